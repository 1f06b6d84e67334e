package mockprovider

// Bad input against every endpoint, straight through the handler with
// httptest.NewRecorder: wrong content types, oversized and malformed bodies,
// repeated parameters, unknown grant types, garbage tokens and credentials,
// unknown paths and wrong methods. No case may answer 5xx, and every error
// must be the RFC error in the RFC's shape for its endpoint.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// rsShape is the kind of answer a case expects.
type rsShape int

const (
	rsOAuthJSON  rsShape = iota // RFC 6749 §5.2 / RFC 7009 §2.2.1 JSON error
	rsBearer                    // RFC 6750 §3 challenge plus JSON body
	rsNotFound                  // JSON 404 for an unknown path
	rsNotAllowed                // 405 with Allow and a JSON error
	rsHTMLError                 // the authorization endpoint's error page
	rsEmptyOK                   // 200 with nothing to say (revocation)
	rsMetadata                  // the RFC 8414 document
)

// rsReq is one request through the handler.
type rsReq struct {
	name   string
	method string
	target string // path and query
	ctype  string // Content-Type; "" sends none
	body   string
	auth   []string // Authorization header values

	status int
	shape  rsShape
	code   string // error code; for rsBearer "" means no error attribute
	allow  string // for rsNotAllowed
	basic  bool   // a 401 must carry WWW-Authenticate: Basic
}

const rsFormCT = "application/x-www-form-urlencoded"

// rsTokenErrors and friends are the error codes each endpoint may use.
var (
	rsTokenErrors  = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"}
	rsRevokeErrors = append([]string{"unsupported_token_type"}, rsTokenErrors...)
	rsBearerErrors = []string{"invalid_request", "invalid_token", "insufficient_scope"}
)

// rsServe sends the request through h.handler.
func rsServe(h *harness, c rsReq) *httptest.ResponseRecorder {
	var body *strings.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(c.method, c.target, body)
	} else {
		req = httptest.NewRequest(c.method, c.target, nil)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	for _, a := range c.auth {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// rsLegalDescription applies RFC 6749's error_description grammar:
// %x20-21 / %x23-5B / %x5D-7E.
func rsLegalDescription(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func rsContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rsJSONError decodes a JSON error body and checks its keys and description.
func rsJSONError(t *testing.T, rec *httptest.ResponseRecorder, allowed ...string) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &obj); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", rec.Body.String(), err)
	}
	for k, v := range obj {
		if !rsContains(allowed, k) {
			t.Errorf("unexpected member %q in error body %s", k, rec.Body.String())
		}
		if _, ok := v.(string); !ok {
			t.Errorf("member %q = %v is not a string", k, v)
		}
	}
	if d, ok := obj["error_description"].(string); ok && !rsLegalDescription(d) {
		t.Errorf("error_description %q has characters RFC 6749 forbids", d)
	}
	return obj
}

// rsNoStore checks the RFC 6749 §5.1 cache headers.
func rsNoStore(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := rec.Header().Get("Pragma"); got != "no-cache" {
		t.Errorf("Pragma = %q, want no-cache", got)
	}
}

// rsCheck runs one case and applies the checks its shape calls for.
func rsCheck(t *testing.T, h *harness, c rsReq) {
	t.Helper()
	rec := rsServe(h, c)
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d: %s", c.method, c.target, rec.Code, rec.Body.String())
	}
	if rec.Code != c.status {
		t.Fatalf("%s %s: status %d, want %d; body %s", c.method, c.target, rec.Code, c.status, rec.Body.String())
	}
	if loc := rec.Header().Get("Location"); loc != "" {
		t.Errorf("unexpected redirect to %q", loc)
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	switch c.shape {
	case rsOAuthJSON:
		codes := rsTokenErrors
		if strings.HasPrefix(c.target, "/revoke") {
			codes = rsRevokeErrors
		}
		obj := rsJSONError(t, rec, "error", "error_description", "error_uri")
		if obj["error"] != c.code {
			t.Errorf("error = %v (%v), want %q", obj["error"], obj["error_description"], c.code)
		}
		if !rsContains(codes, c.code) {
			t.Errorf("test expects %q, which is not an error code of this endpoint", c.code)
		}
		rsNoStore(t, rec)
		if (c.basic || c.status == http.StatusUnauthorized) != strings.HasPrefix(challenge, "Basic ") {
			t.Errorf("WWW-Authenticate = %q; want a Basic challenge: %v", challenge, c.basic)
		}
		if c.status == http.StatusUnauthorized && c.code != "invalid_client" {
			t.Errorf("only invalid_client may be a 401")
		}
	case rsBearer:
		scheme, params := rsParseChallenge(challenge)
		if scheme != "Bearer" || params["realm"] == "" {
			t.Errorf("WWW-Authenticate = %q, want Bearer realm=...", challenge)
		}
		got, has := params["error"]
		if c.code == "" && has || c.code != "" && got != c.code {
			t.Errorf("challenge %q: error = %q, want %q", challenge, got, c.code)
		}
		if c.code != "" && !rsContains(rsBearerErrors, c.code) {
			t.Errorf("test expects %q, which is not an RFC 6750 error code", c.code)
		}
		if d, ok := params["error_description"]; ok && !rsLegalDescription(d) {
			t.Errorf("challenge error_description %q has forbidden characters", d)
		}
		obj := rsJSONError(t, rec, "error", "error_description", "scope")
		if c.code != "" && obj["error"] != c.code {
			t.Errorf("body error = %v, want %q", obj["error"], c.code)
		}
	case rsNotFound:
		obj := rsJSONError(t, rec, "error", "error_description")
		if obj["error"] != "not_found" {
			t.Errorf("error = %v, want not_found", obj["error"])
		}
	case rsNotAllowed:
		if got := rec.Header().Get("Allow"); got != c.allow {
			t.Errorf("Allow = %q, want %q", got, c.allow)
		}
		obj := rsJSONError(t, rec, "error", "error_description")
		if obj["error"] != "invalid_request" {
			t.Errorf("error = %v, want invalid_request", obj["error"])
		}
		rsNoStore(t, rec)
	case rsHTMLError:
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q, want text/html", ct)
		}
		if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("X-Frame-Options = %q, want DENY", got)
		}
	case rsEmptyOK:
		rsNoStore(t, rec)
	case rsMetadata:
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
	}
}

func rsBasicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// rsBadForm are bodies and content types every form endpoint must refuse with
// invalid_request, given a valid body otherwise.
func rsBadForm(method, path, validBody string, dupParams []string) []rsReq {
	bad := func(name, ctype, body string) rsReq {
		return rsReq{name: name, method: method, target: path, ctype: ctype, body: body, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"}
	}
	cases := []rsReq{
		bad("JSON body", "application/json", `{"grant_type":"refresh_token","token":"x","client_id":"payap"}`),
		bad("form body labelled JSON", "application/json", validBody),
		bad("text/plain", "text/plain", validBody),
		bad("missing content type", "", validBody),
		bad("multipart", "multipart/form-data; boundary=x", validBody),
		bad("ISO-8859-1 charset", rsFormCT+"; charset=ISO-8859-1", validBody),
		bad("malformed media type", rsFormCT+"; charset", validBody),
		bad("oversized body", rsFormCT, validBody+"&pad="+strings.Repeat("a", maxFormBytes)),
		bad("malformed percent-encoding", rsFormCT, validBody+"&x=%zz"),
		bad("truncated percent-encoding", rsFormCT, validBody+"&x=%4"),
		bad("semicolon separator", rsFormCT, validBody+";x=1"),
	}
	for _, p := range dupParams {
		cases = append(cases, bad("repeated "+p, rsFormCT, validBody+"&"+p+"=a&"+p+"=b"))
	}
	return cases
}

func TestRSHandlersTokenEndpointBadInput(t *testing.T) {
	h := newHarness(t)
	const valid = "grant_type=refresh_token&refresh_token=garbage&client_id=payap"
	grant := func(name, body string, status int, code string) rsReq {
		return rsReq{name: name, method: http.MethodPost, target: "/token", ctype: rsFormCT, body: body, status: status, shape: rsOAuthJSON, code: code}
	}
	cases := rsBadForm(http.MethodPost, "/token", valid, []string{"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id"})
	cases = append(cases,
		// Accepted content types reach the grant (garbage token: invalid_grant).
		grant("charset=UTF-8 is accepted", valid, http.StatusBadRequest, "invalid_grant"),
		rsReq{name: "charset=utf-8 quoted is accepted", method: http.MethodPost, target: "/token", ctype: rsFormCT + `; charset="utf-8"`, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_grant"},
		rsReq{name: "media type is case-insensitive", method: http.MethodPost, target: "/token", ctype: "Application/X-WWW-Form-URLEncoded;charset=UTF-8", body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_grant"},
		grant("repeated parameter with one empty value counts once", valid+"&grant_type=", http.StatusBadRequest, "invalid_grant"),
		grant("unknown parameters are ignored", valid+"&access_type=offline&foo=bar", http.StatusBadRequest, "invalid_grant"),

		grant("missing grant_type", "client_id=payap", http.StatusBadRequest, "invalid_request"),
		grant("empty grant_type", "grant_type=&client_id=payap", http.StatusBadRequest, "invalid_request"),
		grant("grant_type password", "grant_type=password&username=demo&password=payap-demo&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("grant_type client_credentials", "grant_type=client_credentials&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("grant_type implicit", "grant_type=implicit&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("grant_type device_code", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("grant_type token-exchange", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("grant_type is case-sensitive", "grant_type=Refresh_Token&refresh_token=x&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("reflected grant_type with quote, backslash, control and non-ASCII characters", "grant_type=%22%5C%0A%E2%98%83&client_id=payap", http.StatusBadRequest, "unsupported_grant_type"),
		grant("reflected client_id with quote, backslash, control and non-ASCII characters", "grant_type=refresh_token&refresh_token=x&client_id=%22%5C%0A%E2%98%83", http.StatusUnauthorized, "invalid_client"),
		rsReq{name: "reflected content type with quotes and backslash", method: http.MethodPost, target: "/token", ctype: `text/x; a="q\\\"x"`, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"},
		grant("refresh grant for a client without it", "grant_type=refresh_token&refresh_token=x&client_id="+codeOnlyID, http.StatusBadRequest, "unauthorized_client"),

		grant("garbage refresh token", valid, http.StatusBadRequest, "invalid_grant"),
		grant("garbage refresh token with odd bytes", "grant_type=refresh_token&refresh_token=%00%FF%E2%98%83&client_id=payap", http.StatusBadRequest, "invalid_grant"),
		grant("missing refresh token", "grant_type=refresh_token&client_id=payap", http.StatusBadRequest, "invalid_request"),
		grant("garbage authorization code", "grant_type=authorization_code&code=garbage&redirect_uri="+testRedirect+"&code_verifier="+strings.Repeat("a", 43)+"&client_id=payap", http.StatusBadRequest, "invalid_grant"),
		grant("missing authorization code", "grant_type=authorization_code&client_id=payap", http.StatusBadRequest, "invalid_request"),
		grant("unknown scope on refresh", valid+"&scope=openid", http.StatusBadRequest, "invalid_scope"),

		// Parameters come from the body only.
		rsReq{name: "grant_type only in the query", method: http.MethodPost, target: "/token?grant_type=refresh_token&refresh_token=x", ctype: rsFormCT, body: "client_id=payap", status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"},
		rsReq{name: "client_secret in the query", method: http.MethodPost, target: "/token?client_secret=" + url.QueryEscape(confPostSecret), ctype: rsFormCT, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"},
		// A raw secret holding '%' is not valid percent-encoding; URL.Query
		// drops such a pair, and the check must still see it.
		rsReq{name: "client_secret in the query, not percent-encoded", method: http.MethodPost, target: "/token?client_secret=" + confPostSecret, ctype: rsFormCT, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"},
		rsReq{name: "client_secret in the query beside an empty one", method: http.MethodPost, target: "/token?client_secret=&client_secret=x", ctype: rsFormCT, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_request"},
		rsReq{name: "empty client_secret in the query counts as absent", method: http.MethodPost, target: "/token?client_secret=", ctype: rsFormCT, body: valid, status: http.StatusBadRequest, shape: rsOAuthJSON, code: "invalid_grant"},

		// Client authentication.
		grant("no client at all", "grant_type=refresh_token&refresh_token=x", http.StatusUnauthorized, "invalid_client"),
		grant("empty body", "", http.StatusUnauthorized, "invalid_client"),
		grant("unknown client_id", "grant_type=refresh_token&refresh_token=x&client_id=nobody", http.StatusUnauthorized, "invalid_client"),
		grant("confidential client without its secret", "grant_type=refresh_token&refresh_token=x&client_id="+confBasicID, http.StatusUnauthorized, "invalid_client"),
		rsReq{name: "Basic credentials not base64", auth: []string{"Basic !!!not-base64!!!"}},
		rsReq{name: "Basic credentials without a colon", auth: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("conf-basic"))}},
		rsReq{name: "Basic credentials with bad percent-encoding", auth: []string{rsBasicHeader(confBasicID, "%zz")}},
		rsReq{name: "Basic with an empty credential", auth: []string{"Basic "}},
		rsReq{name: "Basic with a wrong secret", auth: []string{rsBasicHeader(confBasicID, "wrong")}},
		rsReq{name: "Bearer scheme at the token endpoint", auth: []string{"Bearer garbage"}},
		rsReq{name: "two methods at once", auth: []string{rsBasicHeader(confBasicID, "s3cr%2Bt%25with%3Acolon")}, body: "grant_type=refresh_token&refresh_token=x&client_secret=y",
			status: http.StatusBadRequest, code: "invalid_request"},
	)
	for _, c := range cases {
		if len(c.auth) > 0 {
			// Defaults for the client-authentication cases.
			c.method, c.target, c.ctype, c.shape = http.MethodPost, "/token", rsFormCT, rsOAuthJSON
			if c.body == "" {
				c.body = "grant_type=refresh_token&refresh_token=x"
			}
			if c.status == 0 {
				c.status, c.code, c.basic = http.StatusUnauthorized, "invalid_client", true
			}
		}
		t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
	}
}

func TestRSHandlersRevocationEndpointBadInput(t *testing.T) {
	h := newHarness(t)
	const valid = "token=garbage&client_id=payap"
	revoke := func(name, target, body string, status int, shape rsShape, code string) rsReq {
		return rsReq{name: name, method: http.MethodPost, target: target, ctype: rsFormCT, body: body, status: status, shape: shape, code: code}
	}
	cases := rsBadForm(http.MethodPost, "/revoke", valid, []string{"token", "token_type_hint", "client_id"})
	cases = append(cases,
		revoke("garbage token", "/revoke", valid, http.StatusOK, rsEmptyOK, ""),
		revoke("garbage token with odd bytes", "/revoke", "token=%00%FF%E2%98%83&client_id=payap", http.StatusOK, rsEmptyOK, ""),
		revoke("unknown hint", "/revoke", valid+"&token_type_hint=banana", http.StatusOK, rsEmptyOK, ""),
		revoke("missing token", "/revoke", "client_id=payap", http.StatusBadRequest, rsOAuthJSON, "invalid_request"),
		revoke("token only in the query", "/revoke?token=garbage", "client_id=payap", http.StatusBadRequest, rsOAuthJSON, "invalid_request"),
		revoke("no client", "/revoke", "token=garbage", http.StatusUnauthorized, rsOAuthJSON, "invalid_client"),
		revoke("unknown client", "/revoke", "token=garbage&client_id=nobody", http.StatusUnauthorized, rsOAuthJSON, "invalid_client"),
		revoke("client_secret in the query", "/revoke?client_secret=x", valid, http.StatusBadRequest, rsOAuthJSON, "invalid_request"),
		revoke("client_secret in the query, not percent-encoded", "/revoke?client_secret=a%zz", valid, http.StatusBadRequest, rsOAuthJSON, "invalid_request"),
		rsReq{name: "garbage Basic credentials", method: http.MethodPost, target: "/revoke", ctype: rsFormCT, body: "token=garbage", auth: []string{"Basic %%%"},
			status: http.StatusUnauthorized, shape: rsOAuthJSON, code: "invalid_client", basic: true},
		rsReq{name: "wrong Basic secret", method: http.MethodPost, target: "/revoke", ctype: rsFormCT, body: "token=garbage", auth: []string{rsBasicHeader(confBasicID, "wrong")},
			status: http.StatusUnauthorized, shape: rsOAuthJSON, code: "invalid_client", basic: true},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
	}
}

func TestRSHandlersResourceBadInput(t *testing.T) {
	h := newHarness(t)
	cases := []rsReq{}
	for _, path := range []string{"/assets", "/assets/12345"} {
		get := func(name, target string, status int, code string, auth ...string) rsReq {
			return rsReq{name: name + " " + path, method: http.MethodGet, target: target, auth: auth, status: status, shape: rsBearer, code: code}
		}
		cases = append(cases,
			get("no credentials", path, http.StatusUnauthorized, ""),
			get("garbage token", path, http.StatusUnauthorized, "invalid_token", "Bearer garbage"),
			get("garbage token with symbols", path, http.StatusUnauthorized, "invalid_token", "Bearer %%%<>\"'"),
			get("very long token", path, http.StatusUnauthorized, "invalid_token", "Bearer "+strings.Repeat("x", 8192)),
			get("empty bearer token", path, http.StatusBadRequest, "invalid_request", "Bearer "),
			get("bearer without token", path, http.StatusBadRequest, "invalid_request", "Bearer"),
			get("two headers", path, http.StatusBadRequest, "invalid_request", "Bearer a", "Bearer b"),
			get("header and query", path+"?access_token=a", http.StatusBadRequest, "invalid_request", "Bearer a"),
			get("query only", path+"?access_token=a", http.StatusUnauthorized, ""),
			get("malformed query with a token", path+"?%zz&access_token=a", http.StatusUnauthorized, ""),
			get("Basic scheme", path, http.StatusUnauthorized, "", rsBasicHeader("demo", "payap-demo")),
			rsReq{name: "HEAD without credentials " + path, method: http.MethodHead, target: path, status: http.StatusUnauthorized, shape: rsBearer},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
	}
}

func TestRSHandlersUnknownPaths(t *testing.T) {
	h := newHarness(t)
	paths := []string{
		"/nope",
		"/token/",
		"/revoke/",
		"/TOKEN",
		"/authorize/",
		"/assets/",
		"/assets/12345/",
		"/assets/12345/extra",
		"/.well-known/openid-configuration",
		"/.well-known/oauth-authorization-server/",
		"/.well-known/oauth-authorization-server/tenant1",
		"/.well-known/oauth-protected-resource",
		"/token/../token",
		"/./token",
		"/userinfo",
		"/%22%5C%0A%E2%98%83",
	}
	for _, p := range paths {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			c := rsReq{name: m + " " + p, method: m, target: p, status: http.StatusNotFound, shape: rsNotFound}
			if m == http.MethodPost {
				c.ctype, c.body = rsFormCT, "grant_type=refresh_token"
			}
			t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
		}
	}
}

func TestRSHandlersWrongMethods(t *testing.T) {
	h := newHarness(t)
	routes := []struct {
		path    string
		allowed []string
	}{
		{"/", []string{http.MethodGet, http.MethodHead}},
		{"/.well-known/oauth-authorization-server", []string{http.MethodGet, http.MethodHead}},
		{"/authorize", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/token", []string{http.MethodPost}},
		{"/revoke", []string{http.MethodPost}},
		{"/assets", []string{http.MethodGet, http.MethodHead}},
		{"/assets/12345", []string{http.MethodGet, http.MethodHead}},
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace, "PROPFIND"}
	for _, r := range routes {
		for _, m := range methods {
			if rsContains(r.allowed, m) {
				continue
			}
			c := rsReq{name: m + " " + r.path, method: m, target: r.path, ctype: rsFormCT, body: "token=x&client_id=payap",
				status: http.StatusMethodNotAllowed, shape: rsNotAllowed, allow: strings.Join(r.allowed, ", ")}
			t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
		}
	}
}

func TestRSHandlersHEADOnMetadata(t *testing.T) {
	h := newHarness(t)
	const path = "/.well-known/oauth-authorization-server"
	get := rsServe(h, rsReq{method: http.MethodGet, target: path})
	head := rsServe(h, rsReq{method: http.MethodHead, target: path})
	for name, rec := range map[string]*httptest.ResponseRecorder{"GET": get, "HEAD": head} {
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", name, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type = %q", name, ct)
		}
	}
	for _, k := range []string{"Content-Type", "Cache-Control"} {
		if get.Header().Get(k) != head.Header().Get(k) {
			t.Errorf("%s differs: GET %q, HEAD %q", k, get.Header().Get(k), head.Header().Get(k))
		}
	}
	var md metadata
	if err := json.Unmarshal(get.Body.Bytes(), &md); err != nil || md.Issuer != h.issuer {
		t.Errorf("metadata %s: issuer %q, err %v", get.Body.String(), md.Issuer, err)
	}

	// Over the real loopback server HEAD carries no body.
	req, _ := http.NewRequest(http.MethodHead, h.server.URL+path, nil)
	resp, err := h.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != get.Header().Get("Content-Type") {
		t.Errorf("HEAD over loopback: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rsCheck(t, h, rsReq{name: "HEAD", method: http.MethodHead, target: path, status: http.StatusOK, shape: rsMetadata})
}

func TestRSHandlersAuthorizeBadInput(t *testing.T) {
	h := newHarness(t)
	page := func(name, method, target, ctype, body string, status int) rsReq {
		return rsReq{name: name, method: method, target: target, ctype: ctype, body: body, status: status, shape: rsHTMLError}
	}
	cases := []rsReq{
		page("GET without parameters", http.MethodGet, "/authorize", "", "", http.StatusBadRequest),
		page("GET with malformed percent-encoding", http.MethodGet, "/authorize?client_id=%zz", "", "", http.StatusBadRequest),
		page("GET with repeated client_id", http.MethodGet, "/authorize?client_id=payap&client_id=payap", "", "", http.StatusBadRequest),
		page("GET with unknown client", http.MethodGet, "/authorize?client_id=nobody&redirect_uri="+testRedirect, "", "", http.StatusBadRequest),
		page("POST form as JSON", http.MethodPost, "/authorize", "application/json", `{"action":"login"}`, http.StatusBadRequest),
		page("POST form without content type", http.MethodPost, "/authorize", "", "action=login", http.StatusBadRequest),
		page("POST form in ISO-8859-1", http.MethodPost, "/authorize", rsFormCT+"; charset=ISO-8859-1", "action=login", http.StatusBadRequest),
		page("POST oversized form", http.MethodPost, "/authorize", rsFormCT, "action=login&pad="+strings.Repeat("a", maxFormBytes), http.StatusBadRequest),
		page("POST malformed percent-encoding", http.MethodPost, "/authorize", rsFormCT, "action=%zz", http.StatusBadRequest),
		page("POST repeated request_id", http.MethodPost, "/authorize", rsFormCT, "request_id=a&request_id=b&action=login", http.StatusBadRequest),
		page("POST unknown request_id", http.MethodPost, "/authorize", rsFormCT, "request_id=garbage&csrf_token=x&action=approve", http.StatusBadRequest),
		page("POST without anything", http.MethodPost, "/authorize", rsFormCT, "", http.StatusBadRequest),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { rsCheck(t, h, c) })
	}
}
