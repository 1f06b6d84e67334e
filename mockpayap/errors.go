package mockpayap

import (
	"net/http"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// apiError is the app API's one error shape:
//
//	{"error": {"code": "connection_not_found", "message": "…", "details": {…}}}
//
// code is stable and machine-readable; message tells a developer how to fix
// the request.
type apiError struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

func (e *apiError) with(key string, v any) *apiError {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = v
	return e
}

// writeError is the one writer of app API errors. A 401 carries a Bearer
// challenge.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payap-sandbox"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

func errNotFound(what, id string) *apiError {
	return newError(http.StatusNotFound, what+"_not_found", "no "+strings.ReplaceAll(what, "_", " ")+" "+id+" for this user")
}

func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	writeError(w, newError(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+"; use "+allow))
}
