package mockprovider

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// oauthError is an RFC 6749 error: the code, a description that says how to
// fix the request, and the HTTP status it is sent with.
type oauthError struct {
	Code        string
	Description string
	Status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(format string, a ...any) *oauthError {
	return &oauthError{Code: "invalid_request", Description: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

func errInvalidGrant(format string, a ...any) *oauthError {
	return &oauthError{Code: "invalid_grant", Description: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

// errInvalidClient is failed client authentication: always 401, so always
// with a Basic challenge (RFC 6749 §5.2, RFC 9110 §15.5.2; F46).
func errInvalidClient(format string, a ...any) *oauthError {
	return &oauthError{Code: "invalid_client", Description: fmt.Sprintf(format, a...), Status: http.StatusUnauthorized}
}

func errInvalidScope(format string, a ...any) *oauthError {
	return &oauthError{Code: "invalid_scope", Description: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

// describe makes a description legal for error_description: RFC 6749 allows
// only %x20-21 / %x23-5B / %x5D-7E, so quotes and backslashes become
// apostrophes and slashes, and anything outside ASCII becomes '?'.
func describe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\':
			return '/'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}

// noStore marks a response as uncacheable (RFC 6749 §5.1, F49).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// writeOAuthError is the one writer of token and revocation endpoint errors:
// JSON {error, error_description}, no-store, and a Basic challenge on a 401.
func (p *provider) writeOAuthError(w http.ResponseWriter, e *oauthError) {
	noStore(w)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	}
	httpx.WriteJSON(w, e.Status, errorBody{Error: e.Code, Description: describe(e.Description)})
}

// errorBody is the RFC 6749 §5.2 error body, used for every JSON error.
type errorBody struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
	Scope       string `json:"scope,omitempty"`
}

// realm names the provider in authentication challenges.
const realm = "payap-sandbox-provider"

// writeBearerError answers a resource request per RFC 6750 §3: a challenge
// without an error attribute when no credentials came (J2), otherwise the
// error code, a description and, for insufficient_scope, the scope needed.
func writeBearerError(w http.ResponseWriter, status int, code, description string, scope Scopes) {
	challenge := `Bearer realm="` + realm + `"`
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + describe(description) + `"`
	}
	if scope != 0 {
		challenge += `, scope="` + scope.String() + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, errorBody{Error: code, Description: describe(description), Scope: scopeString(scope)})
}

func scopeString(s Scopes) string {
	if s == 0 {
		return ""
	}
	return s.String()
}

// writeNotFound answers an unknown path or resource with a JSON 404.
func writeNotFound(w http.ResponseWriter, description string) {
	httpx.WriteJSON(w, http.StatusNotFound, errorBody{Error: "not_found", Description: describe(description)})
}

// writeMethodNotAllowed answers a method a path does not serve.
func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	noStore(w)
	httpx.WriteJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "invalid_request",
		Description: describe(fmt.Sprintf("method %s is not allowed on %s; use %s", r.Method, r.URL.Path, allow))})
}

// redirectError sends an authorization error back to the client's redirect
// URI with state and iss (C21, RFC 9207). status is 302 for GET, 303 after a
// form POST (C24).
func (p *provider) redirectError(w http.ResponseWriter, r *http.Request, target, state string, status int, code, description string) {
	q := url.Values{}
	q.Set("error", code)
	if description != "" {
		q.Set("error_description", describe(description))
	}
	p.redirect(w, r, target, state, status, q)
}

// redirect sends the browser to the client's redirect URI with params plus
// state (when the client sent one) and iss, keeping any query the registered
// URI already has (C20).
func (p *provider) redirect(w http.ResponseWriter, r *http.Request, target, state string, status int, params url.Values) {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", p.cfg.Issuer)
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	w.Header().Set("Location", target+sep+params.Encode())
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}
