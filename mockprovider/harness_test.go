package mockprovider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

// Test clients. The confidential secrets hold '+', '%' and ':' so that the
// form-encoding of Basic credentials is exercised (F43).
const (
	testRedirect    = "http://127.0.0.1:9999/callback"
	confBasicID     = "conf-basic"
	confBasicSecret = "s3cr+t%with:colon"
	confPostID      = "conf-post"
	confPostSecret  = "post+secret%:x"
	codeOnlyID      = "code-only"
)

// start is the frozen sandbox time every test begins at.
var start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// harness is a provider on a real loopback listener, with a frozen clock and
// the seeded store, plus a browser-like client that keeps cookies and does
// not follow redirects.
type harness struct {
	t       testing.TB
	cfg     Config
	store   *MemStore
	clock   *clock.Clock
	server  *httptest.Server
	handler http.Handler
	browser *http.Client
	issuer  string
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Clients = []Client{
		{ID: DefaultClientID, Name: "Payap <b>(test)</b>", AuthMethod: AuthNone, RedirectURIs: []string{testRedirect}},
		{ID: confBasicID, Name: "Confidential basic", AuthMethod: AuthSecretBase, Secret: confBasicSecret, RedirectURIs: []string{testRedirect}},
		{ID: confPostID, Name: "Confidential post", AuthMethod: AuthSecretPost, Secret: confPostSecret, RedirectURIs: []string{testRedirect, "https://app.example.test/cb?tenant=7"}},
		{ID: codeOnlyID, Name: "No refresh", AuthMethod: AuthNone, RedirectURIs: []string{testRedirect}, GrantTypes: []string{GrantAuthorizationCode}},
	}
	return cfg
}

// newHarness starts a provider. mutate, when given, changes the config
// before the handler is built.
func newHarness(t testing.TB, mutate ...func(*Config)) *harness {
	t.Helper()
	cfg := testConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	store := NewMemStore()
	if err := Seed(store, 42); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(start)
	h := New(cfg, Deps{Store: store, Clock: clk})
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &harness{
		t: t, cfg: cfg, store: store, clock: clk, server: srv, handler: h, issuer: cfg.Issuer,
		browser: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = randomToken("")
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authParams are valid authorization request parameters for the payap client.
func authParams(challenge string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {DefaultClientID},
		"redirect_uri":          {testRedirect},
		"scope":                 {"assets:read assets:pay"},
		"state":                 {"st-123"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
}

// get sends a browser GET.
func (h *harness) get(path string) *http.Response {
	h.t.Helper()
	resp, err := h.browser.Get(h.issuer + path)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// authorize opens the authorization endpoint with raw query q.
func (h *harness) authorize(q string) *http.Response {
	h.t.Helper()
	return h.get("/authorize?" + q)
}

// postForm sends a form POST from the browser.
func (h *harness) postForm(path string, form url.Values) *http.Response {
	h.t.Helper()
	resp, err := h.browser.PostForm(h.issuer+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

var hiddenField = regexp.MustCompile(`name="(request_id|csrf_token)" value="([^"]*)"`)

// formFields reads the hidden request_id and csrf_token from a page.
func formFields(t testing.TB, resp *http.Response) (body string, fields url.Values) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fields = url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(b), -1) {
		fields.Set(m[1], html.UnescapeString(m[2]))
	}
	return string(b), fields
}

// login opens the authorization URL and signs in, returning the consent
// page's hidden fields.
func (h *harness) login(q url.Values, username, password string) url.Values {
	h.t.Helper()
	resp := h.authorize(q.Encode())
	body, fields := formFields(h.t, resp)
	if resp.StatusCode != http.StatusOK || fields.Get("request_id") == "" {
		h.t.Fatalf("authorize: status %d, want the login page; body:\n%s", resp.StatusCode, body)
	}
	fields.Set("action", "login")
	fields.Set("username", username)
	fields.Set("password", password)
	resp = h.postForm("/authorize", fields)
	body, consent := formFields(h.t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="approve"`) {
		h.t.Fatalf("login: status %d, want the consent page; body:\n%s", resp.StatusCode, body)
	}
	return consent
}

// approve submits the consent form granting scopes and returns the redirect.
func (h *harness) approve(consent url.Values, scopes ...string) *http.Response {
	h.t.Helper()
	form := url.Values{"request_id": {consent.Get("request_id")}, "csrf_token": {consent.Get("csrf_token")}, "action": {"approve"}, "scope": scopes}
	return h.postForm("/authorize", form)
}

// code runs the browser part of the flow as the demo user and returns a code
// and its verifier.
func (h *harness) code(scopes ...string) (code, verifier string) {
	h.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"assets:read", "assets:pay"}
	}
	verifier, challenge := pkce()
	consent := h.login(authParams(challenge), DemoUsername, DemoPassword)
	resp := h.approve(consent, scopes...)
	if resp.StatusCode != http.StatusSeeOther {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("consent: status %d, want 303; body:\n%s", resp.StatusCode, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		h.t.Fatalf("consent redirect %q carries no code", resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), verifier
}

// post sends a form POST to path with optional Basic credentials (already
// form-encoded as the RFC requires) and returns the response.
func (h *harness) post(path string, form url.Values, basicUser, basicPass string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// token exchanges a code as the public payap client.
func (h *harness) token(code, verifier string) *http.Response {
	h.t.Helper()
	return h.post("/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {DefaultClientID},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier},
	}, "", "")
}

// tokens runs the whole flow and returns the token response.
func (h *harness) tokens(scopes ...string) tokenResponse {
	h.t.Helper()
	code, verifier := h.code(scopes...)
	resp := h.token(code, verifier)
	var tr tokenResponse
	decode(h.t, resp, http.StatusOK, &tr)
	return tr
}

// bearerGet calls a resource with an access token.
func (h *harness) bearerGet(path, token string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.issuer+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// decode checks the status and decodes a JSON body into v.
func decode(t testing.TB, resp *http.Response, status int, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// oauthErr is an RFC 6749 error body.
type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// wantOAuthError checks status, error code and the no-store headers.
func wantOAuthError(t testing.TB, resp *http.Response, status int, code string) oauthErr {
	t.Helper()
	var e oauthErr
	decode(t, resp, status, &e)
	if e.Error != code {
		t.Fatalf("error = %q (%s), want %q", e.Error, e.Description, code)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return e
}

// redirectParams checks a redirect to the test redirect URI and returns its query.
func redirectParams(t testing.TB, resp *http.Response, status int) url.Values {
	t.Helper()
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d redirect", resp.StatusCode, status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %q, want %q", got, testRedirect)
	}
	return loc.Query()
}
