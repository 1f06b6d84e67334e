package mockprovider

// Conformance tests for checklist sections E (authorization codes), F (token
// endpoint and client authentication) and G (PKCE at the token endpoint) of
// /work/shared/spec/oauth-conformance.md. Each numbered item has one test
// named after it; helpers are prefixed tk.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/bits"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// ---------------------------------------------------------------- helpers

// tkCodeFor drives the login and consent pages for the authorization query q
// as the given user and returns the code from the 303 callback.
func tkCodeFor(t *testing.T, h *harness, q url.Values, username, password string, scopes ...string) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"assets:read", "assets:pay"}
	}
	consent := h.login(q, username, password)
	cb := redirectParams(t, h.approve(consent, scopes...), http.StatusSeeOther)
	code := cb.Get("code")
	if code == "" {
		t.Fatalf("consent callback carries no code: %v", cb)
	}
	return code
}

// tkCode returns a code issued to clientID for the demo user, and its verifier.
func tkCode(t *testing.T, h *harness, clientID string, scopes ...string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	q := authParams(challenge)
	q.Set("client_id", clientID)
	return tkCodeFor(t, h, q, DemoUsername, DemoPassword, scopes...), verifier
}

// tkForm is a correct authorization_code token request body for clientID.
// conf-basic authenticates with the Basic header (see tkSend), so its body
// carries no client credentials.
func tkForm(clientID, code, verifier string) url.Values {
	f := url.Values{
		"grant_type":    {GrantAuthorizationCode},
		"code":          {code},
		"redirect_uri":  {testRedirect},
		"code_verifier": {verifier},
	}
	switch clientID {
	case confBasicID:
	case confPostID:
		f.Set("client_id", confPostID)
		f.Set("client_secret", confPostSecret)
	default:
		f.Set("client_id", clientID)
	}
	return f
}

// tkSend posts form to /token authenticated the way clientID is registered.
func tkSend(h *harness, clientID string, form url.Values) *http.Response {
	h.t.Helper()
	if clientID == confBasicID {
		return h.post("/token", form, confBasicID, confBasicSecret)
	}
	return h.post("/token", form, "", "")
}

// tkExchange redeems code as clientID with a correct request.
func tkExchange(h *harness, clientID, code, verifier string) *http.Response {
	h.t.Helper()
	return tkSend(h, clientID, tkForm(clientID, code, verifier))
}

// tkRefresh sends a refresh_token grant for clientID; scope "" sends none.
func tkRefresh(h *harness, clientID, refreshToken, scope string) *http.Response {
	h.t.Helper()
	f := url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {refreshToken}}
	if scope != "" {
		f.Set("scope", scope)
	}
	switch clientID {
	case confBasicID:
	case confPostID:
		f.Set("client_id", confPostID)
		f.Set("client_secret", confPostSecret)
	default:
		f.Set("client_id", clientID)
	}
	return tkSend(h, clientID, f)
}

// tkOK checks a 200 token response and decodes it.
func tkOK(t *testing.T, resp *http.Response) tokenResponse {
	t.Helper()
	var tr tokenResponse
	decode(t, resp, http.StatusOK, &tr)
	if tr.AccessToken == "" || tr.RefreshToken == "" {
		t.Fatalf("token response without tokens: %+v", tr)
	}
	return tr
}

// tkOKAccessOnly checks a 200 token response for a client without the
// refresh_token grant: an access token and no refresh token at all.
func tkOKAccessOnly(t *testing.T, resp *http.Response) tokenResponse {
	t.Helper()
	var raw map[string]any
	decode(t, resp, http.StatusOK, &raw)
	if _, ok := raw["refresh_token"]; ok {
		t.Fatalf("token response %v carries a refresh_token the client may never use", raw)
	}
	at, _ := raw["access_token"].(string)
	if at == "" {
		t.Fatalf("token response %v has no access_token", raw)
	}
	return tokenResponse{AccessToken: at}
}

// tkStatus drains and closes resp and returns its status.
func tkStatus(resp *http.Response) int {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// tkRaw sends an arbitrary request to the provider: target is a path with an
// optional query, header holds extra header fields.
func tkRaw(t testing.TB, h *harness, method, target, contentType, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, h.issuer+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

const tkFormType = "application/x-www-form-urlencoded"

// tkBasic is an Authorization header value from raw id and secret, encoded
// exactly as given (no form-encoding).
func tkBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// tkAssetsStatus is the status of GET /assets with token.
func tkAssetsStatus(h *harness, token string) int {
	h.t.Helper()
	return tkStatus(h.bearerGet("/assets", token))
}

// tkWantUsable checks that the code is intact: a correct exchange succeeds.
func tkWantUsable(t *testing.T, h *harness, clientID, code, verifier string) tokenResponse {
	t.Helper()
	resp := tkExchange(h, clientID, code, verifier)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("the code should still be redeemable, but a correct exchange got %d: %s", resp.StatusCode, b)
	}
	return tkOK(t, resp)
}

// tkWantBurned checks that the code is used up: a correct exchange fails.
func tkWantBurned(t *testing.T, h *harness, clientID, code, verifier string) {
	t.Helper()
	wantOAuthError(t, tkExchange(h, clientID, code, verifier), http.StatusBadRequest, "invalid_grant")
}

// tkPKCE builds a verifier/challenge pair from a chosen verifier.
func tkPKCE(verifier string) (string, string) {
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// tkRecorder is an http.RoundTripper that records what x/oauth2 sent and
// what came back.
type tkRecorder struct {
	mu       sync.Mutex
	statuses []int
	basic    []bool // whether the request carried an Authorization header
	secret   []bool // whether the body carried client_secret
}

func (r *tkRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	form, _ := url.ParseQuery(string(body))
	r.mu.Lock()
	r.statuses = append(r.statuses, resp.StatusCode)
	r.basic = append(r.basic, req.Header.Get("Authorization") != "")
	r.secret = append(r.secret, form.Get("client_secret") != "")
	r.mu.Unlock()
	return resp, nil
}

// tkXOAuth2 returns an x/oauth2 config for a registered client and a
// context whose HTTP client records the token requests.
func tkXOAuth2(h *harness, clientID, secret string, style oauth2.AuthStyle) (*oauth2.Config, context.Context, *tkRecorder) {
	rec := &tkRecorder{}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rec})
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		RedirectURL:  testRedirect,
		Scopes:       []string{"assets:read", "assets:pay"},
		Endpoint: oauth2.Endpoint{
			AuthURL:   h.issuer + "/authorize",
			TokenURL:  h.issuer + "/token",
			AuthStyle: style,
		},
	}, ctx, rec
}

// tkLegalDescription reports whether s uses only the characters RFC 6749
// allows in error_description: %x20-21 / %x23-5B / %x5D-7E.
func tkLegalDescription(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ------------------------------------------------- E. Authorization codes

// TestE32_CodeEntropy: codes carry at least 128 bits (SHOULD 160) from a
// random source. Entropy cannot be measured from outside, so the test checks
// what can be: the random part's size, that every code is distinct, that the
// bits are balanced and that no bit position is fixed (as a counter or a
// timestamp would make it).
func TestE32_CodeEntropy(t *testing.T) {
	h := newHarness(t)
	const n = 32
	seen := map[string]bool{}
	var raws [][]byte
	for i := 0; i < n; i++ {
		code, _ := h.code()
		if seen[code] {
			t.Fatalf("code %q issued twice", code)
		}
		seen[code] = true
		if strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
			t.Fatalf("code %q has characters outside the URL-safe unreserved set", code)
		}
		random, ok := strings.CutPrefix(code, "code_")
		if !ok {
			t.Fatalf("code %q lacks the documented code_ prefix", code)
		}
		raw, err := base64.RawURLEncoding.DecodeString(random)
		if err != nil {
			t.Fatalf("code %q: random part is not base64url: %v", code, err)
		}
		if len(raw)*8 < 128 {
			t.Fatalf("code %q carries %d bits, RFC 6749 §10.10 asks for at least 128", code, len(raw)*8)
		}
		if len(raw)*8 < 160 {
			t.Errorf("code %q carries %d bits, SHOULD be at least 160", code, len(raw)*8)
		}
		raws = append(raws, raw)
	}

	// Bit balance over n×256 bits: expected half set, stddev ≈ 45; a 5%
	// band is about 9 standard deviations wide.
	ones, total := 0, 0
	for _, r := range raws {
		for _, b := range r {
			ones += bits.OnesCount8(b)
		}
		total += len(r) * 8
	}
	if lo, hi := total*45/100, total*55/100; ones < lo || ones > hi {
		t.Errorf("%d of %d code bits are set; a random source gives about half", ones, total)
	}
	// No position is the same in every code (probability for random codes
	// is 256 × 2^-31 ≈ 1e-7).
	width := len(raws[0])
	for _, r := range raws {
		if len(r) != width {
			t.Fatalf("codes have random parts of different lengths")
		}
	}
	for bit := 0; bit < width*8; bit++ {
		first := raws[0][bit/8] >> (bit % 8) & 1
		constant := true
		for _, r := range raws[1:] {
			if r[bit/8]>>(bit%8)&1 != first {
				constant = false
				break
			}
		}
		if constant {
			t.Errorf("bit %d is %d in all %d codes: codes are not uniformly random", bit, first, n)
		}
	}
}

// TestE33_CodeExpiry: a code lives cfg.CodeTTL (configurable, at most 10
// minutes); once past it, the exchange gets invalid_grant.
func TestE33_CodeExpiry(t *testing.T) {
	const ttl = 60 * time.Second
	shortTTL := func(c *Config) { c.CodeTTL = ttl }
	cases := []struct {
		name    string
		client  string
		advance func(cfg Config) time.Duration
		ok      bool
	}{
		{"payap one second before expiry", DefaultClientID, func(c Config) time.Duration { return c.CodeTTL - time.Second }, true},
		{"payap exactly at expiry", DefaultClientID, func(c Config) time.Duration { return c.CodeTTL }, false},
		{"payap one second past expiry", DefaultClientID, func(c Config) time.Duration { return c.CodeTTL + time.Second }, false},
		{"payap an hour past expiry", DefaultClientID, func(c Config) time.Duration { return c.CodeTTL + time.Hour }, false},
		{"conf-basic past expiry", confBasicID, func(c Config) time.Duration { return c.CodeTTL + time.Second }, false},
		{"conf-post past expiry", confPostID, func(c Config) time.Duration { return c.CodeTTL + time.Second }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, shortTTL)
			if h.cfg.CodeTTL != ttl {
				t.Fatalf("CodeTTL = %s, the config mutation did not apply", h.cfg.CodeTTL)
			}
			code, verifier := tkCode(t, h, tc.client)
			if err := h.clock.Advance(tc.advance(h.cfg)); err != nil {
				t.Fatal(err)
			}
			resp := tkExchange(h, tc.client, code, verifier)
			if tc.ok {
				tkOK(t, resp)
				return
			}
			e := wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
			if !strings.Contains(e.Description, "expired") {
				t.Errorf("error_description %q should say the code expired", e.Description)
			}
			if n := len(h.store.Grants()); n != 0 {
				t.Errorf("an expired code produced %d grants", n)
			}
		})
	}

	t.Run("default lifetime within ten minutes", func(t *testing.T) {
		if d := DefaultConfig().CodeTTL; d <= 0 || d > 10*time.Minute {
			t.Fatalf("default CodeTTL = %s, want (0, 10m]", d)
		}
		cfg := testConfig()
		cfg.Issuer = "http://127.0.0.1:1"
		cfg.CodeTTL = 10*time.Minute + time.Second
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "code_ttl") {
			t.Fatalf("Validate accepted a code lifetime over 10 minutes (err = %v)", err)
		}
	})
}

// TestE34_CodeSingleUseRevokesGrant: a second exchange gets invalid_grant
// and revokes everything the first one issued: the access token (401 at the
// resource server) and the refresh token family (invalid_grant), even after
// rotation. Other grants are untouched.
func TestE34_CodeSingleUseRevokesGrant(t *testing.T) {
	cases := []struct {
		name   string
		client string
		rotate bool
	}{
		{"payap, replay right after the exchange", DefaultClientID, false},
		{"payap, replay after one refresh rotation", DefaultClientID, true},
		{"conf-basic, replay right after the exchange", confBasicID, false},
		{"conf-post, replay after one refresh rotation", confPostID, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			bystander := h.tokens() // another grant of the same user and client kind

			code, verifier := tkCode(t, h, tc.client)
			first := tkOK(t, tkExchange(h, tc.client, code, verifier))
			live := first // the family's current tokens
			if tc.rotate {
				live = tkOK(t, tkRefresh(h, tc.client, first.RefreshToken, ""))
			}
			if got := tkAssetsStatus(h, live.AccessToken); got != http.StatusOK {
				t.Fatalf("before the replay GET /assets = %d, want 200", got)
			}

			e := wantOAuthError(t, tkExchange(h, tc.client, code, verifier), http.StatusBadRequest, "invalid_grant")
			if e.Description == "" {
				t.Error("the replay error has no error_description")
			}

			for name, at := range map[string]string{"first access token": first.AccessToken, "live access token": live.AccessToken} {
				resp := h.bearerGet("/assets", at)
				wa := resp.Header.Get("WWW-Authenticate")
				if got := tkStatus(resp); got != http.StatusUnauthorized || !strings.Contains(wa, `error="invalid_token"`) {
					t.Errorf("after the replay GET /assets with the %s = %d (%q), want 401 invalid_token", name, got, wa)
				}
			}
			wantOAuthError(t, tkRefresh(h, tc.client, live.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")

			// A third exchange is refused too, and nothing was issued.
			wantOAuthError(t, tkExchange(h, tc.client, code, verifier), http.StatusBadRequest, "invalid_grant")
			revoked := 0
			for _, g := range h.store.Grants() {
				if g.Revoked() {
					revoked++
				}
			}
			if n := len(h.store.Grants()); n != 2 || revoked != 1 {
				t.Errorf("grants = %d (%d revoked), want the bystander and the replayed code's grant, one revoked", n, revoked)
			}

			// Only the replayed code's grant died.
			if got := tkAssetsStatus(h, bystander.AccessToken); got != http.StatusOK {
				t.Errorf("an unrelated grant's access token got %d after the replay, want 200", got)
			}
			tkOK(t, tkRefresh(h, DefaultClientID, bystander.RefreshToken, ""))
		})
	}
}

// TestE35_CodeBoundToClient: another client redeeming a code gets
// invalid_grant. Documented choice: the attempt does not burn the code, so a
// stranger cannot spoil it; the real owner can still redeem it.
func TestE35_CodeBoundToClient(t *testing.T) {
	cases := []struct{ owner, thief string }{
		{confBasicID, DefaultClientID},
		{confBasicID, confPostID},
		{confBasicID, codeOnlyID},
		{DefaultClientID, confBasicID},
		{DefaultClientID, confPostID},
		{DefaultClientID, codeOnlyID},
		{confPostID, confBasicID},
		{confPostID, DefaultClientID},
	}
	for _, tc := range cases {
		t.Run(tc.owner+" code redeemed by "+tc.thief, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.owner)
			// The thief has everything: code, verifier, redirect URI, and
			// authenticates correctly as itself.
			e := wantOAuthError(t, tkExchange(h, tc.thief, code, verifier), http.StatusBadRequest, "invalid_grant")
			if !strings.Contains(e.Description, "another client") {
				t.Errorf("error_description %q should say the code belongs to another client", e.Description)
			}
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("the thief's attempt created %d grants", n)
			}
			tr := tkWantUsable(t, h, tc.owner, code, verifier)
			if got := tkAssetsStatus(h, tr.AccessToken); got != http.StatusOK {
				t.Errorf("the owner's access token got %d, want 200", got)
			}
			if g := h.store.Grants(); len(g) != 1 || g[0].ClientID != tc.owner {
				t.Errorf("grants = %+v, want one grant for %s", g, tc.owner)
			}
		})
	}
}

// TestE36_CodeBoundToRedirectURI: when the authorization request sent a
// redirect_uri, the token request must repeat it byte for byte; missing or
// different gives invalid_grant.
func TestE36_CodeBoundToRedirectURI(t *testing.T) {
	const absent = "\x00absent"
	cases := []struct {
		name     string
		client   string
		redirect string
		ok       bool
	}{
		{"identical", DefaultClientID, testRedirect, true},
		{"identical, confidential", confBasicID, testRedirect, true},
		{"missing", DefaultClientID, absent, false},
		{"missing, confidential", confPostID, absent, false},
		{"empty counts as missing", DefaultClientID, "", false},
		{"trailing slash", DefaultClientID, testRedirect + "/", false},
		{"localhost for 127.0.0.1", DefaultClientID, "http://localhost:9999/callback", false},
		{"different port", DefaultClientID, "http://127.0.0.1:9998/callback", false},
		{"upper-case path", DefaultClientID, "http://127.0.0.1:9999/Callback", false},
		{"extra query", DefaultClientID, testRedirect + "?x=1", false},
		{"percent-encoded path", DefaultClientID, "http://127.0.0.1:9999/%63allback", false},
		{"another URI registered for the same client", confPostID, "https://app.example.test/cb?tenant=7", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			form := tkForm(tc.client, code, verifier)
			if tc.redirect == absent {
				form.Del("redirect_uri")
			} else {
				form.Set("redirect_uri", tc.redirect)
			}
			resp := tkSend(h, tc.client, form)
			if tc.ok {
				tkOK(t, resp)
				return
			}
			e := wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
			if !strings.Contains(e.Description, "redirect_uri") {
				t.Errorf("error_description %q should name redirect_uri", e.Description)
			}
		})
	}

	// With require_redirect_uri off, a client with one registered URI may
	// omit it; then the token request may omit it too, or send a
	// registered one, but not an unregistered one.
	optional := []struct {
		name     string
		redirect string
		ok       bool
	}{
		{"authorization omitted it, token omits it", "", true},
		{"authorization omitted it, token sends the registered URI", testRedirect, true},
		{"authorization omitted it, token sends an unregistered URI", testRedirect + "/other", false},
	}
	for _, tc := range optional {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.RequireRedirectURI = false })
			verifier, challenge := pkce()
			q := authParams(challenge)
			q.Del("redirect_uri")
			code := tkCodeFor(t, h, q, DemoUsername, DemoPassword)
			form := tkForm(DefaultClientID, code, verifier)
			form.Del("redirect_uri")
			if tc.redirect != "" {
				form.Set("redirect_uri", tc.redirect)
			}
			resp := tkSend(h, DefaultClientID, form)
			if tc.ok {
				tkOK(t, resp)
				return
			}
			wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
		})
	}
}

// TestE37_CodeBoundToChallengeScopeAndUser: the code carries the PKCE
// challenge, the scope the user granted (possibly narrower than requested)
// and the user who signed in.
func TestE37_CodeBoundToChallengeScopeAndUser(t *testing.T) {
	t.Run("challenge", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		stored, err := h.store.Code(hashOf(code), h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, want := tkPKCE(verifier); stored.Challenge != want {
			t.Fatalf("stored challenge %q, want the one sent at authorization %q", stored.Challenge, want)
		}
		other, _ := pkce() // a well-formed verifier for another challenge
		wantOAuthError(t, h.token(code, other), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("scope narrowed at consent", func(t *testing.T) {
		h := newHarness(t)
		// The request asks for assets:read and assets:pay; the user ticks only read.
		code, verifier := h.code("assets:read")
		tr := tkOK(t, h.token(code, verifier))
		if tr.Scope != "assets:read" {
			t.Fatalf("token scope = %q, want the granted assets:read", tr.Scope)
		}
		if g := h.store.Grants(); len(g) != 1 || g[0].Scope != ScopeRead {
			t.Fatalf("grant scope = %+v, want assets:read only", g)
		}
		// The grant cannot be widened on refresh; omitting scope keeps it.
		wantOAuthError(t, tkRefresh(h, DefaultClientID, tr.RefreshToken, "assets:pay"), http.StatusBadRequest, "invalid_scope")
		if again := tkOK(t, tkRefresh(h, DefaultClientID, tr.RefreshToken, "")); again.Scope != "assets:read" {
			t.Fatalf("refreshed scope = %q, want assets:read", again.Scope)
		}
	})

	t.Run("full scope when all is granted", func(t *testing.T) {
		h := newHarness(t)
		if tr := h.tokens("assets:read", "assets:pay"); tr.Scope != "assets:read assets:pay" {
			t.Fatalf("token scope = %q, want assets:read assets:pay", tr.Scope)
		}
	})

	t.Run("user", func(t *testing.T) {
		h := newHarness(t)
		var u User
		for _, cand := range h.store.Users() {
			if cand.ID != DemoUserID && len(h.store.Assets(cand.ID)) > 0 {
				u = cand
				break
			}
		}
		if u.ID == "" {
			t.Fatal("the seeded store has no generated user with assets")
		}
		verifier, challenge := pkce()
		code := tkCodeFor(t, h, authParams(challenge), u.Username, u.Password)
		tr := tkOK(t, h.token(code, verifier))

		got := getAssets(t, tkBearerClient(tr.AccessToken), h.issuer)
		want := h.store.Assets(u.ID)
		if len(got) != len(want) {
			t.Fatalf("GET /assets returned %d assets, want %s's %d", len(got), u.Username, len(want))
		}
		for i, a := range got {
			if a.UserID != u.ID || a.ID != want[i].ID {
				t.Errorf("asset %d = %+v, want %s of user %s", i, a, want[i].ID, u.ID)
			}
		}
		// The demo user's asset is invisible to this token.
		if got := tkStatus(h.bearerGet("/assets/"+demoAssets[0].ID, tr.AccessToken)); got != http.StatusNotFound {
			t.Errorf("GET another user's asset = %d, want 404", got)
		}
		if g := h.store.Grants(); len(g) != 1 || g[0].UserID != u.ID {
			t.Errorf("grants = %+v, want one for user %s", g, u.ID)
		}
	})
}

// tkBearerClient is an HTTP client that sends token as a Bearer credential.
func tkBearerClient(token string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
}

// TestE38_FailedExchangeBurnsCodeButFailedClientAuthDoesNot: [mock choice]
// a failed exchange by the right, authenticated client uses the code up,
// so a corrected retry fails; a failure of client authentication itself
// leaves the code alone, so a retry with the right credentials succeeds
// (which is what keeps x/oauth2's AuthStyleAutoDetect working, F47).
func TestE38_FailedExchangeBurnsCodeButFailedClientAuthDoesNot(t *testing.T) {
	type send func(h *harness, code, verifier string) *http.Response
	withForm := func(client string, change func(f url.Values)) send {
		return func(h *harness, code, verifier string) *http.Response {
			f := tkForm(client, code, verifier)
			change(f)
			return tkSend(h, client, f)
		}
	}
	otherVerifier := func(f url.Values) { v, _ := pkce(); f.Set("code_verifier", v) }

	burns := []struct {
		name   string
		client string
		send   send
		status int
		code   string
	}{
		{"payap wrong code_verifier", DefaultClientID, withForm(DefaultClientID, otherVerifier), 400, "invalid_grant"},
		{"conf-basic wrong code_verifier", confBasicID, withForm(confBasicID, otherVerifier), 400, "invalid_grant"},
		{"conf-post wrong code_verifier", confPostID, withForm(confPostID, otherVerifier), 400, "invalid_grant"},
		{"malformed code_verifier", DefaultClientID, withForm(DefaultClientID, func(f url.Values) { f.Set("code_verifier", "short") }), 400, "invalid_request"},
		{"missing code_verifier", confBasicID, withForm(confBasicID, func(f url.Values) { f.Del("code_verifier") }), 400, "invalid_request"},
		{"wrong redirect_uri", DefaultClientID, withForm(DefaultClientID, func(f url.Values) { f.Set("redirect_uri", testRedirect+"/") }), 400, "invalid_grant"},
		{"missing redirect_uri", confPostID, withForm(confPostID, func(f url.Values) { f.Del("redirect_uri") }), 400, "invalid_grant"},
	}
	for _, tc := range burns {
		t.Run("burns/"+tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			wantOAuthError(t, tc.send(h, code, verifier), tc.status, tc.code)
			tkWantBurned(t, h, tc.client, code, verifier)
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("a burned code issued %d grants", n)
			}
		})
	}

	basicRaw := func(client, header string, change func(f url.Values)) send {
		return func(h *harness, code, verifier string) *http.Response {
			f := tkForm(client, code, verifier)
			change(f)
			return tkRaw(h.t, h, http.MethodPost, "/token", tkFormType, f.Encode(), map[string]string{"Authorization": header})
		}
	}
	keep := func(url.Values) {}
	keeps := []struct {
		name   string
		client string
		send   send
		status int
		code   string
	}{
		{"conf-basic wrong secret", confBasicID, func(h *harness, code, verifier string) *http.Response {
			return h.post("/token", tkForm(confBasicID, code, verifier), confBasicID, "wrong")
		}, 401, "invalid_client"},
		{"conf-basic secret not form-encoded", confBasicID, basicRaw(confBasicID, tkBasic(confBasicID, confBasicSecret), keep), 401, "invalid_client"},
		{"conf-basic without credentials", confBasicID, withForm(DefaultClientID, func(f url.Values) { f.Set("client_id", confBasicID) }), 401, "invalid_client"},
		{"conf-basic credentials in the body", confBasicID, withForm(DefaultClientID, func(f url.Values) {
			f.Set("client_id", confBasicID)
			f.Set("client_secret", confBasicSecret)
		}), 401, "invalid_client"},
		{"conf-basic Basic plus client_secret in the body", confBasicID, func(h *harness, code, verifier string) *http.Response {
			f := tkForm(confBasicID, code, verifier)
			f.Set("client_secret", confBasicSecret)
			return h.post("/token", f, confBasicID, confBasicSecret)
		}, 400, "invalid_request"},
		{"conf-post credentials in the Basic header (x/oauth2's first try)", confPostID, func(h *harness, code, verifier string) *http.Response {
			f := tkForm(confPostID, code, verifier)
			f.Del("client_id")
			f.Del("client_secret")
			return h.post("/token", f, confPostID, confPostSecret)
		}, 401, "invalid_client"},
		{"conf-post wrong secret", confPostID, withForm(confPostID, func(f url.Values) { f.Set("client_secret", "wrong") }), 401, "invalid_client"},
		{"payap without client_id", DefaultClientID, withForm(DefaultClientID, func(f url.Values) { f.Del("client_id") }), 401, "invalid_client"},
		{"payap unknown client_id", DefaultClientID, withForm(DefaultClientID, func(f url.Values) { f.Set("client_id", "nobody") }), 401, "invalid_client"},
	}
	for _, tc := range keeps {
		t.Run("keeps/"+tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			wantOAuthError(t, tc.send(h, code, verifier), tc.status, tc.code)
			// The same failure again, then the right request.
			wantOAuthError(t, tc.send(h, code, verifier), tc.status, tc.code)
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}

	t.Run("x/oauth2 AuthStyleAutoDetect against conf-post", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confPostID)
		conf, ctx, rec := tkXOAuth2(h, confPostID, confPostSecret, oauth2.AuthStyleAutoDetect)
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("x/oauth2 exchange with auto-detected auth style: %v (requests: %v)", err, rec.statuses)
		}
		if len(rec.statuses) != 2 || rec.statuses[0] != http.StatusUnauthorized || rec.statuses[1] != http.StatusOK {
			t.Fatalf("token requests answered %v, want [401 200]: Basic refused without burning the code, then the body retry", rec.statuses)
		}
		if tok.RefreshToken == "" || tok.Extra("scope") != "assets:read assets:pay" {
			t.Fatalf("token = %+v", tok)
		}
	})
}

// ------------------------------------- F. Token endpoint and client auth

// TestF39_TokenEndpointPostOnly: any other method gets 405 with Allow: POST
// and a JSON error, and issues nothing even when the query is a complete
// token request.
func TestF39_TokenEndpointPostOnly(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			q := tkForm(DefaultClientID, code, verifier)
			resp := tkRaw(t, h, method, "/token?"+q.Encode(), tkFormType, q.Encode(), nil)
			if allow := resp.Header.Get("Allow"); allow != http.MethodPost {
				t.Errorf("Allow = %q, want POST", allow)
			}
			if p := resp.Header.Get("Pragma"); p != "no-cache" {
				t.Errorf("Pragma = %q, want no-cache", p)
			}
			wantOAuthError(t, resp, http.StatusMethodNotAllowed, "invalid_request")
			tkWantUsable(t, h, DefaultClientID, code, verifier)
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		h := newHarness(t)
		resp := tkRaw(t, h, http.MethodHead, "/token", "", "", nil)
		if got := tkStatus(resp); got != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Fatalf("HEAD /token = %d Allow %q, want 405 POST", got, resp.Header.Get("Allow"))
		}
	})
	t.Run("no redirect for a trailing slash", func(t *testing.T) {
		h := newHarness(t)
		resp := tkRaw(t, h, http.MethodPost, "/token/", tkFormType, "", nil)
		if got := tkStatus(resp); got >= 300 && got < 400 {
			t.Fatalf("POST /token/ = %d, a redirect", got)
		}
	})
}

// TestF40_FormBodyOnly: the body must be form-urlencoded (a charset
// parameter is fine); other types get invalid_request; the query string is
// never read.
func TestF40_FormBodyOnly(t *testing.T) {
	accepted := []string{
		"application/x-www-form-urlencoded;charset=UTF-8",
		"application/x-www-form-urlencoded; charset=utf-8",
		"application/x-www-form-urlencoded",
		"Application/X-WWW-Form-Urlencoded",
	}
	for _, ct := range accepted {
		t.Run("accepts "+ct, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			tkOK(t, tkRaw(t, h, http.MethodPost, "/token", ct, tkForm(DefaultClientID, code, verifier).Encode(), nil))
		})
	}

	rejected := []struct {
		name, ct string
		body     func(f url.Values) string
	}{
		{"JSON", "application/json", func(f url.Values) string {
			m := map[string]string{}
			for k := range f {
				m[k] = f.Get(k)
			}
			b, _ := json.Marshal(m)
			return string(b)
		}},
		{"JSON with charset", "application/json; charset=utf-8", func(f url.Values) string { return `{"grant_type":"authorization_code"}` }},
		{"form body labelled text/plain", "text/plain", func(f url.Values) string { return f.Encode() }},
		{"multipart", "multipart/form-data; boundary=xyz", func(f url.Values) string {
			var b strings.Builder
			for k := range f {
				b.WriteString("--xyz\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + f.Get(k) + "\r\n")
			}
			b.WriteString("--xyz--\r\n")
			return b.String()
		}},
		{"no Content-Type", "", func(f url.Values) string { return f.Encode() }},
		{"unparsable Content-Type", "application/x-www-form-urlencoded; charset", func(f url.Values) string { return f.Encode() }},
		{"charset other than UTF-8", "application/x-www-form-urlencoded; charset=ISO-8859-1", func(f url.Values) string { return f.Encode() }},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			resp := tkRaw(t, h, http.MethodPost, "/token", tc.ct, tc.body(tkForm(DefaultClientID, code, verifier)), nil)
			wantOAuthError(t, resp, http.StatusBadRequest, "invalid_request")
			tkWantUsable(t, h, DefaultClientID, code, verifier)
		})
	}

	// Parameters in the query string are not read: moving one from the body
	// to the query makes it missing, and a conflicting query copy neither
	// overrides nor duplicates the body's.
	query := []struct {
		name   string
		move   string // parameter moved from the body to the query
		status int
		code   string
	}{
		{"grant_type only in the query", "grant_type", 400, "invalid_request"},
		{"client_id only in the query", "client_id", 401, "invalid_client"},
		{"code only in the query", "code", 400, "invalid_request"},
	}
	for _, tc := range query {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			body := tkForm(DefaultClientID, code, verifier)
			q := url.Values{tc.move: {body.Get(tc.move)}}
			body.Del(tc.move)
			wantOAuthError(t, tkRaw(t, h, http.MethodPost, "/token?"+q.Encode(), tkFormType, body.Encode(), nil), tc.status, tc.code)
			tkWantUsable(t, h, DefaultClientID, code, verifier)
		})
	}
	t.Run("whole request in the query, empty body", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		q := tkForm(DefaultClientID, code, verifier)
		resp := tkRaw(t, h, http.MethodPost, "/token?"+q.Encode(), tkFormType, "", nil)
		if got := tkStatus(resp); got == http.StatusOK {
			t.Fatal("a token request carried only in the query string succeeded")
		}
		tkWantUsable(t, h, DefaultClientID, code, verifier)
	})
	t.Run("conflicting query copies are ignored", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		wrong, _ := pkce()
		q := url.Values{"code_verifier": {wrong}, "code": {"garbage"}, "grant_type": {"password"}, "redirect_uri": {"https://evil.example/"}}
		tkOK(t, tkRaw(t, h, http.MethodPost, "/token?"+q.Encode(), tkFormType, tkForm(DefaultClientID, code, verifier).Encode(), nil))
	})
}

// TestF41_RepeatedEmptyUnknownParams: a repeated parameter gets
// invalid_request (and does not burn the code); an empty value counts as
// absent; unknown parameters are ignored.
func TestF41_RepeatedEmptyUnknownParams(t *testing.T) {
	for _, name := range []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id"} {
		for _, same := range []bool{true, false} {
			label := "repeated " + name + " with a different value"
			if same {
				label = "repeated " + name + " with the same value"
			}
			t.Run(label, func(t *testing.T) {
				h := newHarness(t)
				code, verifier := h.code()
				f := tkForm(DefaultClientID, code, verifier)
				extra := f.Get(name)
				if !same {
					extra += "x"
				}
				f.Add(name, extra)
				e := wantOAuthError(t, tkSend(h, DefaultClientID, f), http.StatusBadRequest, "invalid_request")
				if !strings.Contains(e.Description, name) {
					t.Errorf("error_description %q should name %s", e.Description, name)
				}
				tkWantUsable(t, h, DefaultClientID, code, verifier)
			})
		}
	}
	t.Run("repeated client_secret", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confPostID)
		f := tkForm(confPostID, code, verifier)
		f.Add("client_secret", confPostSecret)
		wantOAuthError(t, tkSend(h, confPostID, f), http.StatusBadRequest, "invalid_request")
		tkWantUsable(t, h, confPostID, code, verifier)
	})
	t.Run("repeated refresh_token", func(t *testing.T) {
		h := newHarness(t)
		tr := h.tokens()
		f := url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID}, "refresh_token": {tr.RefreshToken, tr.RefreshToken}}
		wantOAuthError(t, h.post("/token", f, "", ""), http.StatusBadRequest, "invalid_request")
		tkOK(t, tkRefresh(h, DefaultClientID, tr.RefreshToken, ""))
	})

	empties := []struct {
		name   string
		client string
		change func(f url.Values)
		status int
		code   string // "" = success
	}{
		{"empty client_secret from a public client", DefaultClientID, func(f url.Values) { f.Set("client_secret", "") }, 200, ""},
		{"empty client_secret next to Basic", confBasicID, func(f url.Values) { f.Set("client_secret", "") }, 200, ""},
		{"empty scope", DefaultClientID, func(f url.Values) { f.Set("scope", "") }, 200, ""},
		{"empty duplicate of grant_type", DefaultClientID, func(f url.Values) { f["grant_type"] = []string{"", GrantAuthorizationCode} }, 200, ""},
		{"empty duplicate of code", DefaultClientID, func(f url.Values) { f["code"] = append(f["code"], "") }, 200, ""},
		{"empty grant_type", DefaultClientID, func(f url.Values) { f.Set("grant_type", "") }, 400, "invalid_request"},
		{"empty code", DefaultClientID, func(f url.Values) { f.Set("code", "") }, 400, "invalid_request"},
		{"empty client_id", DefaultClientID, func(f url.Values) { f.Set("client_id", "") }, 401, "invalid_client"},
	}
	for _, tc := range empties {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			f := tkForm(tc.client, code, verifier)
			tc.change(f)
			resp := tkSend(h, tc.client, f)
			if tc.code == "" {
				tkOK(t, resp)
				return
			}
			wantOAuthError(t, resp, tc.status, tc.code)
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}
	t.Run("empty code_verifier is missing", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		f := tkForm(DefaultClientID, code, verifier)
		f.Set("code_verifier", "")
		e := wantOAuthError(t, tkSend(h, DefaultClientID, f), http.StatusBadRequest, "invalid_request")
		if !strings.Contains(e.Description, "required") {
			t.Errorf("error_description %q should say code_verifier is required, as when it is absent", e.Description)
		}
	})

	unknown := map[string]url.Values{
		"access_type=offline (x/oauth2 AccessTypeOffline)": {"access_type": {"offline"}},
		"state and nonce":                 {"state": {"st"}, "nonce": {"n"}},
		"resource indicator":              {"resource": {"https://api.example.test/"}},
		"repeated unknown parameter":      {"foo": {"a", "b"}},
		"unknown parameter with odd name": {"x[y]": {"1"}, "": {"nameless"}},
		"scope on a code exchange":        {"scope": {"assets:read"}},
	}
	for name, extra := range unknown {
		t.Run("ignores "+name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			f := tkForm(DefaultClientID, code, verifier)
			for k, v := range extra {
				f[k] = v
			}
			tr := tkOK(t, tkSend(h, DefaultClientID, f))
			if tr.Scope != "assets:read assets:pay" {
				t.Errorf("scope = %q, the code's grant is assets:read assets:pay", tr.Scope)
			}
		})
	}
}

// TestF42_GrantTypes: missing grant_type is invalid_request; unknown types
// get unsupported_grant_type; a known type the client may not use gets
// unauthorized_client.
func TestF42_GrantTypes(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		f := tkForm(DefaultClientID, code, verifier)
		f.Del("grant_type")
		wantOAuthError(t, tkSend(h, DefaultClientID, f), http.StatusBadRequest, "invalid_request")
		tkWantUsable(t, h, DefaultClientID, code, verifier)
	})

	unsupported := map[string]url.Values{
		"password":           {"username": {DemoUsername}, "password": {DemoPassword}},
		"client_credentials": {"scope": {"assets:read"}},
		"implicit":           {},
		"token":              {},
		"urn:ietf:params:oauth:grant-type:device_code":    {"device_code": {"x"}},
		"urn:ietf:params:oauth:grant-type:jwt-bearer":     {"assertion": {"x"}},
		"urn:ietf:params:oauth:grant-type:token-exchange": {"subject_token": {"x"}},
		"AUTHORIZATION_CODE":                              {},
		"authorization_code ":                             {},
	}
	for grant, extra := range unsupported {
		for _, client := range []string{DefaultClientID, confBasicID, confPostID} {
			t.Run(grant+" as "+client, func(t *testing.T) {
				h := newHarness(t)
				code, verifier := tkCode(t, h, client)
				f := tkForm(client, code, verifier)
				f.Set("grant_type", grant)
				for k, v := range extra {
					f[k] = v
				}
				wantOAuthError(t, tkSend(h, client, f), http.StatusBadRequest, "unsupported_grant_type")
				tkWantUsable(t, h, client, code, verifier)
			})
		}
	}

	t.Run("code-only client refreshing", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, codeOnlyID)
		tr := tkOKAccessOnly(t, tkExchange(h, codeOnlyID, code, verifier))
		wantOAuthError(t, tkRefresh(h, codeOnlyID, "rt_garbage", ""), http.StatusBadRequest, "unauthorized_client")
		if got := tkAssetsStatus(h, tr.AccessToken); got != http.StatusOK {
			t.Errorf("the code-only client's access token got %d, want 200", got)
		}
	})
	t.Run("clients allowed both grants may refresh", func(t *testing.T) {
		h := newHarness(t)
		for _, client := range []string{DefaultClientID, confBasicID, confPostID} {
			code, verifier := tkCode(t, h, client)
			tr := tkOK(t, tkExchange(h, client, code, verifier))
			tkOK(t, tkRefresh(h, client, tr.RefreshToken, ""))
		}
	})
}

// TestF43_BasicAuthFormEncoded: HTTP Basic works with id and secret
// form-urlencoded before base64 (secret with '+', '%' and ':'); a header that
// skips the form-encoding is refused.
func TestF43_BasicAuthFormEncoded(t *testing.T) {
	if !strings.ContainsAny(confBasicSecret, "+") || !strings.Contains(confBasicSecret, "%") || !strings.Contains(confBasicSecret, ":") {
		t.Fatalf("test secret %q must hold '+', '%%' and ':'", confBasicSecret)
	}
	t.Run("x/oauth2 AuthStyleInHeader", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confBasicID)
		conf, ctx, rec := tkXOAuth2(h, confBasicID, confBasicSecret, oauth2.AuthStyleInHeader)
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if len(rec.statuses) != 1 || !rec.basic[0] || rec.secret[0] {
			t.Fatalf("requests %v (basic %v, body secret %v), want one Basic request", rec.statuses, rec.basic, rec.secret)
		}
		if tok.Extra("scope") != "assets:read assets:pay" || tok.RefreshToken == "" {
			t.Fatalf("token = %+v", tok)
		}
		// Refresh with the same authentication.
		old := *tok
		old.Expiry = h.clock.Now().AddDate(-1, 0, 0)
		if _, err := conf.TokenSource(ctx, &old).Token(); err != nil {
			t.Fatalf("refresh with Basic: %v", err)
		}
	})
	t.Run("lower-case scheme", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confBasicID)
		hdr := "basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(confBasicID)+":"+url.QueryEscape(confBasicSecret)))
		tkOK(t, tkRaw(t, h, http.MethodPost, "/token", tkFormType, tkForm(confBasicID, code, verifier).Encode(), map[string]string{"Authorization": hdr}))
	})
	t.Run("percent-encoded with %20 rather than +", func(t *testing.T) {
		// Both are valid form-encodings of a space; here the secret has
		// no space, so check that upper/lower hex both decode.
		h := newHarness(t)
		code, verifier := tkCode(t, h, confBasicID)
		enc := strings.NewReplacer("%2B", "%2b", "%25", "%25", "%3A", "%3a").Replace(url.QueryEscape(confBasicSecret))
		tkOK(t, tkRaw(t, h, http.MethodPost, "/token", tkFormType, tkForm(confBasicID, code, verifier).Encode(),
			map[string]string{"Authorization": tkBasic(confBasicID, enc)}))
	})
	t.Run("raw secret with '%' is refused", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confBasicID)
		resp := tkRaw(t, h, http.MethodPost, "/token", tkFormType, tkForm(confBasicID, code, verifier).Encode(),
			map[string]string{"Authorization": tkBasic(confBasicID, confBasicSecret)})
		if wa := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Basic realm=") {
			t.Errorf("WWW-Authenticate = %q, want a Basic challenge", wa)
		}
		wantOAuthError(t, resp, http.StatusUnauthorized, "invalid_client")
		tkWantUsable(t, h, confBasicID, code, verifier)
	})
	t.Run("raw secret whose escapes decode to something else is refused", func(t *testing.T) {
		// "a+b" unencoded decodes to "a b": a client that forgot to encode
		// must not be let in by accident.
		h := newHarness(t, func(c *Config) {
			for i := range c.Clients {
				if c.Clients[i].ID == confBasicID {
					c.Clients[i].Secret = "a+b"
				}
			}
		})
		code, verifier := tkCode(t, h, confBasicID)
		wantOAuthError(t, tkRaw(t, h, http.MethodPost, "/token", tkFormType, tkForm(confBasicID, code, verifier).Encode(),
			map[string]string{"Authorization": tkBasic(confBasicID, "a+b")}), http.StatusUnauthorized, "invalid_client")
		tkOK(t, h.post("/token", tkForm(confBasicID, code, verifier), confBasicID, "a+b"))
	})
}

// TestF44_ClientSecretPost: client_secret_post works; client credentials
// in the URL query are rejected.
func TestF44_ClientSecretPost(t *testing.T) {
	t.Run("x/oauth2 AuthStyleInParams", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, confPostID)
		conf, ctx, rec := tkXOAuth2(h, confPostID, confPostSecret, oauth2.AuthStyleInParams)
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if len(rec.statuses) != 1 || rec.basic[0] || !rec.secret[0] {
			t.Fatalf("requests %v (basic %v, body secret %v), want one client_secret_post request", rec.statuses, rec.basic, rec.secret)
		}
		if tok.Extra("scope") != "assets:read assets:pay" || tok.RefreshToken == "" {
			t.Fatalf("token = %+v", tok)
		}
		old := *tok
		old.Expiry = h.clock.Now().AddDate(-1, 0, 0)
		if _, err := conf.TokenSource(ctx, &old).Token(); err != nil {
			t.Fatalf("refresh with client_secret_post: %v", err)
		}
	})

	inQuery := []struct {
		name   string
		client string
		query  url.Values
		body   func(f url.Values)
	}{
		{"conf-post secret only in the query", confPostID, url.Values{"client_secret": {confPostSecret}}, func(f url.Values) { f.Del("client_secret") }},
		{"conf-post id and secret only in the query", confPostID, url.Values{"client_id": {confPostID}, "client_secret": {confPostSecret}}, func(f url.Values) {
			f.Del("client_id")
			f.Del("client_secret")
		}},
		{"conf-post secret in the query and the body", confPostID, url.Values{"client_secret": {confPostSecret}}, func(url.Values) {}},
		{"conf-basic secret in the query next to Basic", confBasicID, url.Values{"client_secret": {confBasicSecret}}, func(url.Values) {}},
		{"conf-basic secret in the query after an empty one", confBasicID, url.Values{"client_secret": {"", confBasicSecret}}, func(url.Values) {}},
		{"conf-post secret in the query after an empty one", confPostID, url.Values{"client_secret": {"", confPostSecret}}, func(url.Values) {}},
	}
	for _, tc := range inQuery {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			f := tkForm(tc.client, code, verifier)
			tc.body(f)
			hdr := map[string]string{}
			if tc.client == confBasicID {
				hdr["Authorization"] = tkBasic(url.QueryEscape(confBasicID), url.QueryEscape(confBasicSecret))
			}
			resp := tkRaw(t, h, http.MethodPost, "/token?"+tc.query.Encode(), tkFormType, f.Encode(), hdr)
			var e oauthErr
			status := resp.StatusCode
			decode(t, resp, status, &e)
			if status == http.StatusOK || (e.Error != "invalid_request" && e.Error != "invalid_client") {
				t.Fatalf("client_secret in the URL query: %d %q, want it rejected", status, e.Error)
			}
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}
}

// TestF45_TwoAuthMethodsRejected: the Basic header plus client_secret in the
// body is invalid_request, and the code survives it.
func TestF45_TwoAuthMethodsRejected(t *testing.T) {
	cases := []struct {
		name           string
		client         string
		user, pass     string
		bodyID, bodySc string
	}{
		{"conf-basic Basic plus its secret in the body", confBasicID, confBasicID, confBasicSecret, "", confBasicSecret},
		{"conf-basic Basic plus id and secret in the body", confBasicID, confBasicID, confBasicSecret, confBasicID, confBasicSecret},
		{"conf-basic Basic plus a wrong body secret", confBasicID, confBasicID, confBasicSecret, "", "other"},
		{"conf-post Basic plus client_secret_post", confPostID, confPostID, confPostSecret, confPostID, confPostSecret},
		{"Basic for conf-basic, body for conf-post", confBasicID, confBasicID, confBasicSecret, confPostID, confPostSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			f := tkForm(tc.client, code, verifier)
			f.Del("client_id")
			f.Del("client_secret")
			if tc.bodyID != "" {
				f.Set("client_id", tc.bodyID)
			}
			f.Set("client_secret", tc.bodySc)
			wantOAuthError(t, h.post("/token", f, tc.user, tc.pass), http.StatusBadRequest, "invalid_request")
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}
}

// TestF46_BadClientAuth401: failed client authentication gets 401
// invalid_client, with a Basic challenge when the Authorization header was
// used.
func TestF46_BadClientAuth401(t *testing.T) {
	enc := func(id, secret string) string { return tkBasic(url.QueryEscape(id), url.QueryEscape(secret)) }
	headers := []struct{ name, header string }{
		{"wrong secret", enc(confBasicID, "wrong")},
		{"empty secret", enc(confBasicID, "")},
		{"unknown client", enc("nobody", confBasicSecret)},
		{"id with quote and non-ASCII", enc(`"évil"`, "x")},
		{"secret not form-encoded", tkBasic(confBasicID, confBasicSecret)},
		{"malformed base64", "Basic !!!not-base64!!!"},
		{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte(confBasicID))},
		{"empty credentials", "Basic "},
		{"public client in the header", enc(DefaultClientID, "")},
		{"client_secret_post client in the header", enc(confPostID, confPostSecret)},
		{"Bearer scheme", "Bearer " + confBasicSecret},
		{"Digest scheme", `Digest username="conf-basic"`},
	}
	for _, tc := range headers {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, confBasicID)
			resp := tkRaw(t, h, http.MethodPost, "/token", tkFormType, tkForm(confBasicID, code, verifier).Encode(), map[string]string{"Authorization": tc.header})
			wa := resp.Header.Get("WWW-Authenticate")
			e := wantOAuthError(t, resp, http.StatusUnauthorized, "invalid_client")
			if !strings.HasPrefix(wa, `Basic realm="`) || strings.HasPrefix(wa, `Basic realm=""`) {
				t.Errorf("WWW-Authenticate = %q, want Basic realm=\"...\"", wa)
			}
			if !tkLegalDescription(e.Description) {
				t.Errorf("error_description %q has characters RFC 6749 does not allow", e.Description)
			}
			tkWantUsable(t, h, confBasicID, code, verifier)
		})
	}

	body := []struct {
		name   string
		client string
		change func(f url.Values)
	}{
		{"client_secret_post with a wrong secret", confPostID, func(f url.Values) { f.Set("client_secret", "wrong") }},
		{"unknown client_id in the body", DefaultClientID, func(f url.Values) { f.Set("client_id", "nobody") }},
	}
	for _, tc := range body {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			f := tkForm(tc.client, code, verifier)
			tc.change(f)
			resp := h.post("/token", f, "", "")
			var e oauthErr
			status := resp.StatusCode
			decode(t, resp, status, &e)
			if e.Error != "invalid_client" || (status != http.StatusUnauthorized && status != http.StatusBadRequest) {
				t.Fatalf("got %d %q, want invalid_client with 401 (or 400 without a header)", status, e.Error)
			}
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}
}

// TestF47_XOAuth2AutoDetectRetry: x/oauth2's default AuthStyleAutoDetect
// tries Basic and, on any error, retries with credentials in the body. The
// provider's first answer (401, code kept) makes that retry succeed, and
// x/oauth2 then caches the style.
func TestF47_XOAuth2AutoDetectRetry(t *testing.T) {
	cases := []struct {
		name, client, secret string
		want                 []int
	}{
		{"conf-post: Basic refused, body retry succeeds", confPostID, confPostSecret, []int{401, 200}},
		{"payap (public): Basic refused, body retry succeeds", DefaultClientID, "", []int{401, 200}},
		{"conf-basic: Basic succeeds first time", confBasicID, confBasicSecret, []int{200}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			conf, ctx, rec := tkXOAuth2(h, tc.client, tc.secret, oauth2.AuthStyleAutoDetect)
			code, verifier := tkCode(t, h, tc.client)
			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v (statuses %v)", err, rec.statuses)
			}
			if len(rec.statuses) != len(tc.want) {
				t.Fatalf("statuses %v, want %v", rec.statuses, tc.want)
			}
			for i := range tc.want {
				if rec.statuses[i] != tc.want[i] {
					t.Fatalf("statuses %v, want %v", rec.statuses, tc.want)
				}
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("token = %+v", tok)
			}
			// The style that worked is cached: the next exchange is one request.
			code2, verifier2 := tkCode(t, h, tc.client)
			n := len(rec.statuses)
			if _, err := conf.Exchange(ctx, code2, oauth2.VerifierOption(verifier2)); err != nil {
				t.Fatalf("second exchange: %v", err)
			}
			if got := rec.statuses[n:]; len(got) != 1 || got[0] != http.StatusOK {
				t.Fatalf("second exchange statuses %v, want one 200", got)
			}
		})
	}
}

// TestF48_PublicClientIDAndNoPosing: a public client sends client_id in the
// body; a confidential client cannot skip authentication by posing as a
// public one.
func TestF48_PublicClientIDAndNoPosing(t *testing.T) {
	cases := []struct {
		name   string
		client string
		send   func(h *harness, f url.Values) *http.Response
	}{
		{"public client without client_id", DefaultClientID, func(h *harness, f url.Values) *http.Response {
			f.Del("client_id")
			return h.post("/token", f, "", "")
		}},
		{"public client with client_id only in the query", DefaultClientID, func(h *harness, f url.Values) *http.Response {
			f.Del("client_id")
			return tkRaw(h.t, h, http.MethodPost, "/token?client_id="+DefaultClientID, tkFormType, f.Encode(), nil)
		}},
		{"public client in a Basic header", DefaultClientID, func(h *harness, f url.Values) *http.Response {
			return tkRaw(h.t, h, http.MethodPost, "/token", tkFormType, f.Encode(), map[string]string{"Authorization": tkBasic(DefaultClientID, "")})
		}},
		{"public client sending a client_secret", DefaultClientID, func(h *harness, f url.Values) *http.Response {
			f.Set("client_secret", "made-up")
			return h.post("/token", f, "", "")
		}},
		{"conf-basic posing as public", confBasicID, func(h *harness, f url.Values) *http.Response {
			f.Set("client_id", confBasicID)
			return h.post("/token", f, "", "")
		}},
		{"conf-post posing as public", confPostID, func(h *harness, f url.Values) *http.Response {
			f.Del("client_secret")
			return h.post("/token", f, "", "")
		}},
		{"conf-post with an empty client_secret", confPostID, func(h *harness, f url.Values) *http.Response {
			f.Set("client_secret", "")
			return h.post("/token", f, "", "")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			wantOAuthError(t, tc.send(h, tkForm(tc.client, code, verifier)), http.StatusUnauthorized, "invalid_client")
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("%d grants issued", n)
			}
			tkWantUsable(t, h, tc.client, code, verifier)
		})
	}
	t.Run("public client with client_id in the body", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := tkCode(t, h, DefaultClientID)
		tkOK(t, tkExchange(h, DefaultClientID, code, verifier))
		code, verifier = tkCode(t, h, codeOnlyID)
		tkOKAccessOnly(t, tkExchange(h, codeOnlyID, code, verifier))
	})
}

// TestF49_NoStoreHeaders: every token endpoint answer, success or error,
// carries Cache-Control: no-store and Pragma: no-cache.
func TestF49_NoStoreHeaders(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T, h *harness) *http.Response
		want int
	}{
		{"code exchange success", func(t *testing.T, h *harness) *http.Response {
			code, verifier := h.code()
			return h.token(code, verifier)
		}, 200},
		{"confidential code exchange success", func(t *testing.T, h *harness) *http.Response {
			code, verifier := tkCode(t, h, confBasicID)
			return tkExchange(h, confBasicID, code, verifier)
		}, 200},
		{"refresh success", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, h.tokens().RefreshToken, "assets:read")
		}, 200},
		{"invalid_request", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"client_id": {DefaultClientID}}, "", "")
		}, 400},
		{"invalid_client with a Basic challenge", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantAuthorizationCode}}, confBasicID, "wrong")
		}, 401},
		{"invalid_client from the body", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantAuthorizationCode}}, "", "")
		}, 401},
		{"invalid_grant", func(t *testing.T, h *harness) *http.Response { return h.token("code_garbage", "x") }, 400},
		{"invalid_scope", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, h.tokens().RefreshToken, "assets:write")
		}, 400},
		{"unsupported_grant_type", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {"password"}, "client_id": {DefaultClientID}}, "", "")
		}, 400},
		{"unauthorized_client", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, codeOnlyID, "rt_x", "")
		}, 400},
		{"wrong content type", func(t *testing.T, h *harness) *http.Response {
			return tkRaw(t, h, http.MethodPost, "/token", "application/json", "{}", nil)
		}, 400},
		{"oversized body", func(t *testing.T, h *harness) *http.Response {
			return tkRaw(t, h, http.MethodPost, "/token", tkFormType, "a="+strings.Repeat("b", maxFormBytes), nil)
		}, 400},
		{"method not allowed", func(t *testing.T, h *harness) *http.Response {
			return tkRaw(t, h, http.MethodGet, "/token", "", "", nil)
		}, 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := tc.do(t, h)
			if got := tkStatus(resp); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			if got := resp.Header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := resp.Header.Values("Pragma"); len(got) != 1 || got[0] != "no-cache" {
				t.Errorf("Pragma = %q, want no-cache", got)
			}
			if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// TestF50_SuccessResponseShape: access_token, token_type Bearer, expires_in
// as a JSON number (3600 here), a non-empty refresh_token and scope as a
// string, with no error member.
func TestF50_SuccessResponseShape(t *testing.T) {
	cases := []struct {
		name      string
		scope     string
		issue     func(t *testing.T, h *harness) *http.Response
		wantScope string
	}{
		{"code exchange, payap", "", func(t *testing.T, h *harness) *http.Response {
			code, verifier := h.code()
			return h.token(code, verifier)
		}, "assets:read assets:pay"},
		{"code exchange, narrowed consent", "", func(t *testing.T, h *harness) *http.Response {
			code, verifier := h.code("assets:pay")
			return h.token(code, verifier)
		}, "assets:pay"},
		{"code exchange, conf-basic", "", func(t *testing.T, h *harness) *http.Response {
			code, verifier := tkCode(t, h, confBasicID)
			return tkExchange(h, confBasicID, code, verifier)
		}, "assets:read assets:pay"},
		{"code exchange, conf-post", "", func(t *testing.T, h *harness) *http.Response {
			code, verifier := tkCode(t, h, confPostID)
			return tkExchange(h, confPostID, code, verifier)
		}, "assets:read assets:pay"},
		{"refresh, same scope", "", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, h.tokens().RefreshToken, "")
		}, "assets:read assets:pay"},
		{"refresh, downscoped", "", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, h.tokens().RefreshToken, "assets:read")
		}, "assets:read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := tc.issue(t, h)
			var raw map[string]json.RawMessage
			decode(t, resp, http.StatusOK, &raw)
			if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			if _, ok := raw["error"]; ok {
				t.Errorf("a 200 token response carries an error member: %s", raw["error"])
			}
			str := func(name string) string {
				t.Helper()
				v, ok := raw[name]
				if !ok {
					t.Errorf("%s is missing", name)
					return ""
				}
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					t.Errorf("%s = %s, want a JSON string", name, v)
				}
				return s
			}
			access, refresh := str("access_token"), str("refresh_token")
			if access == "" || refresh == "" || access == refresh {
				t.Errorf("access_token %q, refresh_token %q: want two different non-empty tokens", access, refresh)
			}
			if tt := str("token_type"); tt != "Bearer" {
				t.Errorf("token_type = %q, want Bearer", tt)
			}
			if s := str("scope"); s != tc.wantScope {
				t.Errorf("scope = %q, want %q", s, tc.wantScope)
			}
			ei, ok := raw["expires_in"]
			if !ok {
				t.Fatal("expires_in is missing")
			}
			var n json.Number
			dec := json.NewDecoder(strings.NewReader(string(ei)))
			dec.UseNumber()
			if err := dec.Decode(&n); err != nil || strings.HasPrefix(string(ei), `"`) {
				t.Fatalf("expires_in = %s, want a JSON number", ei)
			}
			secs, err := n.Int64()
			if err != nil || secs != int64(h.cfg.AccessTokenTTL/time.Second) || secs != 3600 {
				t.Errorf("expires_in = %s, want 3600 (the access token TTL)", ei)
			}
			if got := tkAssetsStatus(h, access); tc.wantScope != "assets:pay" && got != http.StatusOK {
				t.Errorf("GET /assets with the new access token = %d", got)
			}
		})
	}
}

// TestF51_ErrorResponseShape: errors are 400 (401 for invalid_client) with
// a JSON body holding error and a legal error_description, and never a 200.
func TestF51_ErrorResponseShape(t *testing.T) {
	cases := []struct {
		name   string
		do     func(t *testing.T, h *harness) *http.Response
		status int
		code   string
	}{
		{"missing grant_type", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"client_id": {DefaultClientID}}, "", "")
		}, 400, "invalid_request"},
		{"missing code", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantAuthorizationCode}, "client_id": {DefaultClientID}}, "", "")
		}, 400, "invalid_request"},
		{"missing refresh_token", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID}}, "", "")
		}, 400, "invalid_request"},
		{"unsupported grant type with quotes, backslash and non-ASCII", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {"pass\"wörd\\\x01\u2028"}, "client_id": {DefaultClientID}}, "", "")
		}, 400, "unsupported_grant_type"},
		{"unknown client with quotes and non-ASCII", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantAuthorizationCode}, "client_id": {"\"évil\"\\"}}, "", "")
		}, 401, "invalid_client"},
		{"wrong Basic secret", func(t *testing.T, h *harness) *http.Response {
			return h.post("/token", url.Values{"grant_type": {GrantAuthorizationCode}}, confBasicID, "nope")
		}, 401, "invalid_client"},
		{"garbage code", func(t *testing.T, h *harness) *http.Response { return h.token("garbage", strings.Repeat("a", 43)) }, 400, "invalid_grant"},
		{"garbage refresh token", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, "rt_garbage", "")
		}, 400, "invalid_grant"},
		{"code-only client refreshing", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, codeOnlyID, "rt_garbage", "")
		}, 400, "unauthorized_client"},
		{"unknown scope on refresh", func(t *testing.T, h *harness) *http.Response {
			return tkRefresh(h, DefaultClientID, h.tokens().RefreshToken, "assets:read,assets:pay")
		}, 400, "invalid_scope"},
		{"JSON body", func(t *testing.T, h *harness) *http.Response {
			return tkRaw(t, h, http.MethodPost, "/token", "application/json", `{"grant_type":"authorization_code"}`, nil)
		}, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := tc.do(t, h)
			if ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
			}
			var raw map[string]json.RawMessage
			decode(t, resp, tc.status, &raw)
			var code, desc string
			if err := json.Unmarshal(raw["error"], &code); err != nil || code != tc.code {
				t.Fatalf("error = %s, want the string %q", raw["error"], tc.code)
			}
			if d, ok := raw["error_description"]; ok {
				if err := json.Unmarshal(d, &desc); err != nil {
					t.Fatalf("error_description = %s, want a string", d)
				}
				if !tkLegalDescription(desc) {
					t.Errorf("error_description %q has characters outside %%x20-21 / %%x23-5B / %%x5D-7E", desc)
				}
			}
			if u, ok := raw["error_uri"]; ok {
				var s string
				if json.Unmarshal(u, &s) != nil {
					t.Errorf("error_uri = %s, want a string", u)
				}
			}
			for k := range raw {
				if k != "error" && k != "error_description" && k != "error_uri" {
					t.Errorf("unexpected member %q in an error response", k)
				}
			}
		})
	}
}

// ----------------------------------------- G. authorization_code + PKCE

// TestG52_VerifierFormatAndMatch: a verifier that is not 43–128 characters
// of [A-Za-z0-9-._~] is invalid_request; a well-formed verifier that does not
// hash to the challenge is invalid_grant.
func TestG52_VerifierFormatAndMatch(t *testing.T) {
	valid43 := strings.Repeat("A", 43)
	cases := []struct {
		name     string
		verifier func(right, challenge string) string
		code     string
	}{
		{"42 characters", func(string, string) string { return valid43[:42] }, "invalid_request"},
		{"the right verifier less one character", func(r, _ string) string { return r[:42] }, "invalid_request"},
		{"129 characters", func(string, string) string { return strings.Repeat("a", 129) }, "invalid_request"},
		{"one character", func(string, string) string { return "a" }, "invalid_request"},
		{"plus sign", func(string, string) string { return valid43[:42] + "+" }, "invalid_request"},
		{"slash", func(string, string) string { return "/" + valid43[:42] }, "invalid_request"},
		{"base64 padding", func(string, string) string { return valid43 + "=" }, "invalid_request"},
		{"space", func(string, string) string { return valid43[:21] + " " + valid43[:21] }, "invalid_request"},
		{"percent", func(string, string) string { return valid43[:42] + "%" }, "invalid_request"},
		{"non-ASCII", func(string, string) string { return strings.Repeat("é", 22) }, "invalid_request"},
		{"NUL byte", func(string, string) string { return valid43[:42] + "\x00" }, "invalid_request"},
		{"another valid verifier", func(string, string) string { v, _ := pkce(); return v }, "invalid_grant"},
		{"43 valid characters, wrong", func(string, string) string { return valid43 }, "invalid_grant"},
		{"128 valid characters, wrong", func(string, string) string { return strings.Repeat("z", 128) }, "invalid_grant"},
		{"the challenge instead of the verifier", func(_, c string) string { return c }, "invalid_grant"},
		{"the right verifier in upper case", func(r, _ string) string { return strings.ToUpper(r) }, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			verifier, challenge := pkce()
			code := tkCodeFor(t, h, authParams(challenge), DemoUsername, DemoPassword)
			bad := tc.verifier(verifier, challenge)
			if bad == verifier {
				t.Fatal("test case produced the right verifier")
			}
			e := wantOAuthError(t, h.token(code, bad), http.StatusBadRequest, tc.code)
			if !strings.Contains(e.Description, "code_verifier") {
				t.Errorf("error_description %q should name code_verifier", e.Description)
			}
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("%d grants issued for a bad verifier", n)
			}
		})
	}

	accepted := []struct{ name, verifier string }{
		{"43 characters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"},
		{"128 characters of every allowed kind", strings.Repeat("aZ9-._~", 19)[:128]},
		{"x/oauth2 GenerateVerifier", oauth2.GenerateVerifier()},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			if n := len(tc.verifier); n < 43 || n > 128 {
				t.Fatalf("test verifier has %d characters", n)
			}
			h := newHarness(t)
			verifier, challenge := tkPKCE(tc.verifier)
			code := tkCodeFor(t, h, authParams(challenge), DemoUsername, DemoPassword)
			tkOK(t, h.token(code, verifier))
		})
	}
}

// TestG53_MissingVerifier: a code issued with a challenge but redeemed
// without a verifier is rejected with invalid_request (documented choice;
// invalid_grant is for a wrong verifier). Per E38 the attempt uses the code up.
func TestG53_MissingVerifier(t *testing.T) {
	cases := []struct {
		name   string
		client string
		change func(f url.Values)
	}{
		{"absent, public client", DefaultClientID, func(f url.Values) { f.Del("code_verifier") }},
		{"empty, public client", DefaultClientID, func(f url.Values) { f.Set("code_verifier", "") }},
		{"absent, conf-basic", confBasicID, func(f url.Values) { f.Del("code_verifier") }},
		{"absent, conf-post", confPostID, func(f url.Values) { f.Del("code_verifier") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := tkCode(t, h, tc.client)
			f := tkForm(tc.client, code, verifier)
			tc.change(f)
			e := wantOAuthError(t, tkSend(h, tc.client, f), http.StatusBadRequest, "invalid_request")
			if !strings.Contains(e.Description, "code_verifier") {
				t.Errorf("error_description %q should name code_verifier", e.Description)
			}
			tkWantBurned(t, h, tc.client, code, verifier)
		})
	}
}

// TestG54_NoDowngrade: the provider never issues a code without a PKCE
// challenge, so a verifier can never accompany a challenge-less code; and a
// code stored without a challenge could not be redeemed anyway.
func TestG54_NoDowngrade(t *testing.T) {
	_, challenge := pkce()
	cases := []struct {
		name   string
		client string
		change func(q url.Values)
	}{
		{"no code_challenge, public client", DefaultClientID, func(q url.Values) {
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}},
		{"no code_challenge but S256 method", DefaultClientID, func(q url.Values) { q.Del("code_challenge") }},
		{"empty code_challenge", DefaultClientID, func(q url.Values) { q.Set("code_challenge", "") }},
		{"no code_challenge, confidential client", confBasicID, func(q url.Values) {
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}},
		{"plain method", DefaultClientID, func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"method omitted (means plain)", DefaultClientID, func(q url.Values) { q.Del("code_challenge_method") }},
	}
	for _, tc := range cases {
		t.Run("authorize refuses "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := authParams(challenge)
			q.Set("client_id", tc.client)
			tc.change(q)
			cb := redirectParams(t, h.authorize(q.Encode()), http.StatusFound)
			if cb.Get("error") != "invalid_request" || cb.Get("code") != "" {
				t.Fatalf("callback %v, want error=invalid_request and no code", cb)
			}
			if cb.Get("state") != "st-123" || cb.Get("iss") != h.issuer {
				t.Errorf("callback state=%q iss=%q", cb.Get("state"), cb.Get("iss"))
			}
		})
	}

	// Even a challenge-less code planted in the store cannot be redeemed,
	// with or without a verifier.
	for _, withVerifier := range []bool{true, false} {
		name := "planted challenge-less code without a verifier"
		want := "invalid_request"
		if withVerifier {
			name, want = "planted challenge-less code with a verifier", "invalid_grant"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			const code = "code_planted_without_challenge"
			h.store.SaveCode(hashOf(code), Code{
				ClientID: DefaultClientID, RedirectURI: testRedirect, Scope: ScopeRead,
				UserID: DemoUserID, ExpiresAt: h.clock.Now().Add(h.cfg.CodeTTL),
			}, h.clock.Now())
			verifier, _ := pkce()
			f := tkForm(DefaultClientID, code, verifier)
			if !withVerifier {
				f.Del("code_verifier")
			}
			wantOAuthError(t, tkSend(h, DefaultClientID, f), http.StatusBadRequest, want)
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("a challenge-less code issued %d grants", n)
			}
		})
	}
}

// ------------------------------------------------------------ bad input

// TestTokenBadInput: oversized bodies, malformed encodings and garbage codes
// get a 4xx OAuth error, never a 500, and change nothing: no grant appears
// and a valid code in the same request (or the store) stays redeemable.
func TestTokenBadInput(t *testing.T) {
	cases := []struct {
		name   string
		body   func(valid url.Values) string
		status int
		code   string
	}{
		{"body one byte over 64 KiB", func(v url.Values) string {
			base := v.Encode() + "&pad="
			return base + strings.Repeat("p", maxFormBytes+1-len(base))
		}, 400, "invalid_request"},
		{"body twice the cap", func(v url.Values) string { return v.Encode() + "&pad=" + strings.Repeat("p", 2*maxFormBytes) }, 400, "invalid_request"},
		{"malformed percent-encoding", func(v url.Values) string { return v.Encode() + "&code_verifier=%zz" }, 400, "invalid_request"},
		{"truncated percent-encoding", func(v url.Values) string { return v.Encode() + "&x=%4" }, 400, "invalid_request"},
		{"malformed percent-encoding in a name", func(v url.Values) string { return "%G1=x&" + v.Encode() }, 400, "invalid_request"},
		{"semicolon separator", func(v url.Values) string { return strings.ReplaceAll(v.Encode(), "&", ";") }, 400, "invalid_request"},
		{"garbage code", func(v url.Values) string { v.Set("code", "garbage"); return v.Encode() }, 400, "invalid_grant"},
		{"valid code with one character changed", func(v url.Values) string {
			c := []byte(v.Get("code"))
			c[len(c)-1] ^= 1
			v.Set("code", string(c))
			return v.Encode()
		}, 400, "invalid_grant"},
		{"valid code with a suffix", func(v url.Values) string { v.Set("code", v.Get("code")+"x"); return v.Encode() }, 400, "invalid_grant"},
		{"valid code without its prefix", func(v url.Values) string {
			v.Set("code", strings.TrimPrefix(v.Get("code"), "code_"))
			return v.Encode()
		}, 400, "invalid_grant"},
		{"very long code", func(v url.Values) string { v.Set("code", strings.Repeat("c", 60000)); return v.Encode() }, 400, "invalid_grant"},
		{"code with control characters", func(v url.Values) string { v.Set("code", "code_\x00\r\n\x7f"); return v.Encode() }, 400, "invalid_grant"},
		{"code with invalid UTF-8", func(v url.Values) string { return strings.Replace(v.Encode(), "code=", "code=%FF%FE", 1) }, 400, "invalid_grant"},
		{"access token as code", func(v url.Values) string { v.Set("code", "at_"+strings.Repeat("A", 43)); return v.Encode() }, 400, "invalid_grant"},
		{"binary body", func(url.Values) string { return "\x00\x01\x02\xff\xfe" }, 401, "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code, verifier := h.code()
			resp := tkRaw(t, h, http.MethodPost, "/token", tkFormType, tc.body(tkForm(DefaultClientID, code, verifier)), nil)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			wantOAuthError(t, resp, tc.status, tc.code)
			if n := len(h.store.Grants()); n != 0 {
				t.Fatalf("bad input created %d grants", n)
			}
			tkWantUsable(t, h, DefaultClientID, code, verifier)
		})
	}

	t.Run("body of exactly 64 KiB is accepted", func(t *testing.T) {
		h := newHarness(t)
		code, verifier := h.code()
		base := tkForm(DefaultClientID, code, verifier).Encode() + "&pad="
		body := base + strings.Repeat("p", maxFormBytes-len(base))
		if len(body) != maxFormBytes || maxFormBytes != 64<<10 {
			t.Fatalf("body is %d bytes, cap %d", len(body), maxFormBytes)
		}
		tkOK(t, tkRaw(t, h, http.MethodPost, "/token", tkFormType, body, nil))
	})

	t.Run("bad input does not disturb live tokens", func(t *testing.T) {
		h := newHarness(t)
		tr := h.tokens()
		for _, body := range []string{"%zz", "grant_type=refresh_token&client_id=payap&refresh_token=" + tr.RefreshToken + "x", strings.Repeat("q", maxFormBytes+10)} {
			resp := tkRaw(t, h, http.MethodPost, "/token", tkFormType, body, nil)
			if got := tkStatus(resp); got != http.StatusBadRequest {
				t.Fatalf("bad body got %d, want 400", got)
			}
		}
		if got := tkAssetsStatus(h, tr.AccessToken); got != http.StatusOK {
			t.Fatalf("access token after bad input: %d", got)
		}
		tkOK(t, tkRefresh(h, DefaultClientID, tr.RefreshToken, ""))
	})
}
