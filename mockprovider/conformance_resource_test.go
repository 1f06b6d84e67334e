package mockprovider

// Conformance tests for checklist sections H (refresh_token grant, 55–59),
// I (revocation, 60–62) and J (the resource server, J1–J6) of
// /work/shared/spec/oauth-conformance.md, plus the documented Asset model of
// centrapay-api.md §2.5. Every helper here starts with "rs" so that it cannot
// clash with the other conformance files of the package.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// rsClient is how a test authenticates as one of the harness's clients at the
// token and revocation endpoints: public (client_id in the body), Basic, or
// client_secret_post.
type rsClient struct {
	id     string
	basic  string // client_secret_basic secret
	post   string // client_secret_post secret
	header bool   // force an Authorization header even with basic == ""
}

var (
	rsPayap = rsClient{id: DefaultClientID}
	rsBasic = rsClient{id: confBasicID, basic: confBasicSecret}
	rsPost  = rsClient{id: confPostID, post: confPostSecret}
)

// rsSend POSTs form to path authenticated as c.
func rsSend(h *harness, c rsClient, path string, form url.Values) *http.Response {
	h.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = append([]string(nil), v...)
	}
	if c.basic != "" || c.header {
		return h.post(path, f, c.id, c.basic)
	}
	if c.id != "" {
		f.Set("client_id", c.id)
	}
	if c.post != "" {
		f.Set("client_secret", c.post)
	}
	return h.post(path, f, "", "")
}

// rsRefresh sends a refresh_token grant; scope "" leaves the parameter out.
func rsRefresh(h *harness, c rsClient, refreshToken, scope string) *http.Response {
	h.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return rsSend(h, c, "/token", form)
}

// rsRefreshOK refreshes and decodes the 200 answer.
func rsRefreshOK(h *harness, c rsClient, refreshToken, scope string) tokenResponse {
	h.t.Helper()
	var tr tokenResponse
	decode(h.t, rsRefresh(h, c, refreshToken, scope), http.StatusOK, &tr)
	if tr.AccessToken == "" || tr.RefreshToken == "" || tr.TokenType != "Bearer" {
		h.t.Fatalf("refresh answer %+v lacks tokens", tr)
	}
	return tr
}

// rsRevoke calls the revocation endpoint; hint "" leaves token_type_hint out.
func rsRevoke(h *harness, c rsClient, token, hint string) *http.Response {
	h.t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return rsSend(h, c, "/revoke", form)
}

// rsRevokeOK revokes and insists on 200.
func rsRevokeOK(h *harness, c rsClient, token, hint string) {
	h.t.Helper()
	resp := rsRevoke(h, c, token, hint)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("revoke: status %d, want 200; body %s", resp.StatusCode, b)
	}
}

// rsGrant runs the browser flow for client c as the user with these
// credentials, granting scopes, and redeems the code as c.
func rsGrant(h *harness, c rsClient, username, password string, scopes ...string) tokenResponse {
	h.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"assets:read", "assets:pay"}
	}
	verifier, challenge := pkce()
	q := authParams(challenge)
	q.Set("client_id", c.id)
	consent := h.login(q, username, password)
	code := redirectParams(h.t, h.approve(consent, scopes...), http.StatusSeeOther).Get("code")
	if code == "" {
		h.t.Fatal("consent redirect carries no code")
	}
	resp := rsSend(h, c, "/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier},
	})
	var tr tokenResponse
	decode(h.t, resp, http.StatusOK, &tr)
	return tr
}

// rsOtherUser returns a seeded user other than the demo user that has at
// least one asset.
func rsOtherUser(t testing.TB, h *harness) User {
	t.Helper()
	for _, u := range h.store.Users() {
		if u.ID != DemoUserID && len(h.store.Assets(u.ID)) > 0 {
			return u
		}
	}
	t.Fatal("the seed has no other user with assets")
	return User{}
}

// rsAdvance moves the frozen sandbox clock.
func rsAdvance(t testing.TB, h *harness, d time.Duration) {
	t.Helper()
	if err := h.clock.Advance(d); err != nil {
		t.Fatal(err)
	}
}

// rsAccessScope is the scope the store holds for an access token.
func rsAccessScope(t testing.TB, h *harness, access string) Scopes {
	t.Helper()
	info, err := h.store.Access(hashOf(access), h.clock.Now())
	if err != nil {
		t.Fatalf("access token not valid in the store: %v", err)
	}
	return info.Scope
}

// rsGrantOf returns the stored grant an access token belongs to, even when
// the token itself is dead.
func rsGrantOf(t testing.TB, h *harness, grantID string) Grant {
	t.Helper()
	for _, g := range h.store.Grants() {
		if g.ID == grantID {
			return g
		}
	}
	t.Fatalf("grant %s not in the store", grantID)
	return Grant{}
}

// rsResp is a response read in full.
type rsResp struct {
	status    int
	header    http.Header
	body      []byte
	challenge map[string]string // WWW-Authenticate Bearer parameters
	scheme    string            // WWW-Authenticate scheme
}

var rsAuthParam = regexp.MustCompile(`([A-Za-z_]+)="([^"]*)"`)

// rsParseChallenge splits a WWW-Authenticate value into its scheme and
// auth-params. Values never hold quotes (describe removes them).
func rsParseChallenge(v string) (scheme string, params map[string]string) {
	params = map[string]string{}
	scheme, rest, _ := strings.Cut(v, " ")
	for _, m := range rsAuthParam.FindAllStringSubmatch(rest, -1) {
		params[m[1]] = m[2]
	}
	return scheme, params
}

// rsGet calls a resource on the real loopback server. auth holds the
// Authorization header values to send (none, one or several).
func rsGet(t testing.TB, h *harness, path string, auth ...string) rsResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	resp, err := h.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := rsResp{status: resp.StatusCode, header: resp.Header, body: b}
	if v := resp.Header.Get("WWW-Authenticate"); v != "" {
		r.scheme, r.challenge = rsParseChallenge(v)
	}
	if r.status >= 500 {
		t.Fatalf("GET %s: server error %d: %s", path, r.status, b)
	}
	return r
}

// rsBearerStatus is the status of GET path with a Bearer token.
func rsBearerStatus(t testing.TB, h *harness, path, token string) int {
	t.Helper()
	return rsGet(t, h, path, "Bearer "+token).status
}

// rsWantBearerError checks an RFC 6750 §3 error: status, a Bearer challenge
// with realm, the error attribute (or none when code is ""), and the same
// code in the JSON body.
func rsWantBearerError(t testing.TB, r rsResp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if r.scheme != "Bearer" {
		t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", r.header.Get("WWW-Authenticate"))
	}
	if r.challenge["realm"] == "" {
		t.Errorf("challenge %q has no realm", r.header.Get("WWW-Authenticate"))
	}
	got, has := r.challenge["error"]
	switch {
	case code == "" && has:
		t.Errorf("challenge %q carries error=%q; a request without credentials must get none (RFC 6750 §3)", r.header.Get("WWW-Authenticate"), got)
	case code != "" && got != code:
		t.Errorf("challenge %q: error = %q, want %q", r.header.Get("WWW-Authenticate"), got, code)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	if body.Error != code {
		t.Errorf("body error = %q, want %q", body.Error, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// rsWantStatus checks a status and closes the body.
func rsWantStatus(t testing.TB, resp *http.Response, status int) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, b)
	}
}

// --- H. refresh_token grant -------------------------------------------------

func TestH55_RefreshTokenBoundToClientAndLive(t *testing.T) {
	cases := []struct {
		name string
		// setup returns the refresh token to present, the client presenting
		// it, and the client that owns it ("" when nobody owns it).
		setup      func(t *testing.T, h *harness) (token string, as rsClient, owner *rsClient)
		status     int
		code       string
		basicChall bool
	}{
		{
			name: "own token (control)",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return h.tokens().RefreshToken, rsPayap, nil
			},
			status: http.StatusOK,
		},
		{
			name: "payap token presented by conf-basic",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return h.tokens().RefreshToken, rsBasic, &rsPayap
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "payap token presented by conf-post",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return h.tokens().RefreshToken, rsPost, &rsPayap
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "conf-basic token presented by public payap",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return rsGrant(h, rsBasic, DemoUsername, DemoPassword).RefreshToken, rsPayap, &rsBasic
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "conf-basic token without client authentication",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return rsGrant(h, rsBasic, DemoUsername, DemoPassword).RefreshToken, rsClient{id: confBasicID}, &rsBasic
			},
			status: http.StatusUnauthorized, code: "invalid_client",
		},
		{
			name: "conf-basic token with a wrong Basic secret",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return rsGrant(h, rsBasic, DemoUsername, DemoPassword).RefreshToken, rsClient{id: confBasicID, basic: "wrong"}, &rsBasic
			},
			status: http.StatusUnauthorized, code: "invalid_client", basicChall: true,
		},
		{
			name: "conf-post token with a wrong post secret",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return rsGrant(h, rsPost, DemoUsername, DemoPassword).RefreshToken, rsClient{id: confPostID, post: "wrong"}, &rsPost
			},
			status: http.StatusUnauthorized, code: "invalid_client",
		},
		{
			name: "unknown (bogus) refresh token",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return randomToken("rt_"), rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "garbage refresh token",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return "not a token \x00 %%% ☃", rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "access token presented as a refresh token",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				return h.tokens().AccessToken, rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "authorization code presented as a refresh token",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				code, _ := h.code()
				return code, rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "just before expiry",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				rt := h.tokens().RefreshToken
				rsAdvance(t, h, h.cfg.RefreshTokenTTL-time.Second)
				return rt, rsPayap, nil
			},
			status: http.StatusOK,
		},
		{
			name: "expired",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				rt := h.tokens().RefreshToken
				rsAdvance(t, h, h.cfg.RefreshTokenTTL+time.Second)
				return rt, rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "revoked at the revocation endpoint",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				rt := h.tokens().RefreshToken
				rsRevokeOK(h, rsPayap, rt, "refresh_token")
				return rt, rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
		{
			name: "grant revoked in the store",
			setup: func(t *testing.T, h *harness) (string, rsClient, *rsClient) {
				tr := h.tokens()
				info, err := h.store.Access(hashOf(tr.AccessToken), h.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := h.store.RevokeGrant(info.GrantID, "test", h.clock.Now()); err != nil {
					t.Fatal(err)
				}
				return tr.RefreshToken, rsPayap, nil
			},
			status: http.StatusBadRequest, code: "invalid_grant",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rt, as, owner := tc.setup(t, h)
			resp := rsRefresh(h, as, rt, "")
			if tc.status == http.StatusOK {
				var tr tokenResponse
				decode(t, resp, http.StatusOK, &tr)
				if tr.RefreshToken == "" || tr.RefreshToken == rt {
					t.Fatalf("refresh answered %+v, want a new refresh token", tr)
				}
				return
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			wantOAuthError(t, resp, tc.status, tc.code)
			if tc.basicChall && !strings.HasPrefix(challenge, "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", challenge)
			}
			if owner != nil {
				// A stranger's attempt must neither rotate nor burn the token.
				rsRefreshOK(h, *owner, rt, "")
			}
		})
	}
}

func TestH56_RefreshDownscoping(t *testing.T) {
	const full = "assets:read assets:pay"
	cases := []struct {
		name    string
		granted []string // scopes ticked on the consent page
		scope   string   // scope on the refresh request
		// wantScope is the scope of the answer; "" means an invalid_scope error.
		wantScope  string
		wantAccess Scopes
		// assetsStatus is GET /assets with the new access token.
		assetsStatus int
	}{
		{name: "omitted scope means the original grant", scope: "", wantScope: full, wantAccess: ScopeRead | ScopePay, assetsStatus: http.StatusOK},
		{name: "subset assets:read", scope: "assets:read", wantScope: "assets:read", wantAccess: ScopeRead, assetsStatus: http.StatusOK},
		{name: "subset assets:pay", scope: "assets:pay", wantScope: "assets:pay", wantAccess: ScopePay, assetsStatus: http.StatusForbidden},
		{name: "the full grant, named", scope: full, wantScope: full, wantAccess: ScopeRead | ScopePay, assetsStatus: http.StatusOK},
		{name: "the full grant, other order", scope: "assets:pay assets:read", wantScope: full, wantAccess: ScopeRead | ScopePay, assetsStatus: http.StatusOK},
		{name: "narrowed grant, scope omitted", granted: []string{"assets:read"}, scope: "", wantScope: "assets:read", wantAccess: ScopeRead, assetsStatus: http.StatusOK},
		{name: "never-granted assets:pay", granted: []string{"assets:read"}, scope: "assets:pay"},
		{name: "never-granted superset", granted: []string{"assets:read"}, scope: full},
		{name: "unknown scope", scope: "openid"},
		{name: "unknown scope next to a granted one", scope: "assets:read offline_access"},
		{name: "comma-separated list is one unknown scope", scope: "assets:read,assets:pay"},
		{name: "scope names are case-sensitive", scope: "Assets:Read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			orig := h.tokens(tc.granted...)
			resp := rsRefresh(h, rsPayap, orig.RefreshToken, tc.scope)
			if tc.wantScope == "" {
				wantOAuthError(t, resp, http.StatusBadRequest, "invalid_scope")
				// The refused request neither rotated nor spoiled the token.
				again := rsRefreshOK(h, rsPayap, orig.RefreshToken, "")
				if again.Scope != rsAccessScope(t, h, orig.AccessToken).String() {
					t.Errorf("after invalid_scope the token refreshes to %q", again.Scope)
				}
				return
			}
			var tr tokenResponse
			decode(t, resp, http.StatusOK, &tr)
			if tr.Scope != tc.wantScope {
				t.Errorf("response scope = %q, want %q", tr.Scope, tc.wantScope)
			}
			if got := rsAccessScope(t, h, tr.AccessToken); got != tc.wantAccess {
				t.Errorf("stored access token scope = %q, want %q", got, tc.wantAccess)
			}
			if got := rsBearerStatus(t, h, "/assets", tr.AccessToken); got != tc.assetsStatus {
				t.Errorf("GET /assets with the new access token = %d, want %d", got, tc.assetsStatus)
			}
			// The new refresh token keeps the scope of the presented one,
			// not the narrowed one (RFC 6749 §6).
			origScope := rsAccessScope(t, h, orig.AccessToken)
			next := rsRefreshOK(h, rsPayap, tr.RefreshToken, "")
			if next.Scope != origScope.String() {
				t.Errorf("refreshing the new refresh token without scope gives %q, want the original %q", next.Scope, origScope)
			}
			if got := rsAccessScope(t, h, next.AccessToken); got != origScope {
				t.Errorf("its access token has scope %q, want %q", got, origScope)
			}
		})
	}
}

func TestH57_RefreshRotation(t *testing.T) {
	cases := []struct {
		name       string
		rotations  int
		presentOld int  // index into the chain of refresh tokens to present at the end
		downscope  bool // each rotation also narrows the access token to assets:read
	}{
		{name: "one rotation, then the old token", rotations: 1, presentOld: 0},
		{name: "five rotations, then the first token", rotations: 5, presentOld: 0},
		{name: "five rotations, then the immediate predecessor", rotations: 5, presentOld: 4},
		{name: "rotation with downscoping also invalidates the old token", rotations: 1, presentOld: 0, downscope: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.tokens()
			chain := []tokenResponse{first}
			seen := map[string]bool{first.AccessToken: true, first.RefreshToken: true}
			for i := 0; i < tc.rotations; i++ {
				scope := ""
				if tc.downscope {
					scope = "assets:read"
				}
				next := rsRefreshOK(h, rsPayap, chain[len(chain)-1].RefreshToken, scope)
				if seen[next.RefreshToken] || seen[next.AccessToken] {
					t.Fatalf("rotation %d returned a token seen before", i+1)
				}
				seen[next.RefreshToken], seen[next.AccessToken] = true, true
				chain = append(chain, next)
			}
			current := chain[len(chain)-1]
			if got := rsBearerStatus(t, h, "/assets", current.AccessToken); got != http.StatusOK {
				t.Fatalf("GET /assets with the newest access token = %d", got)
			}
			wantOAuthError(t, rsRefresh(h, rsPayap, chain[tc.presentOld].RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
		})
	}
}

func TestH58_RefreshReuseRevokesFamily(t *testing.T) {
	cases := []struct {
		name        string
		rotations   int
		reuse       int // index of the rotated refresh token presented again
		reuseScoped string
	}{
		{name: "first generation reused after one rotation", rotations: 1, reuse: 0},
		{name: "first generation reused after three rotations", rotations: 3, reuse: 0},
		{name: "middle generation reused", rotations: 3, reuse: 1},
		{name: "immediate predecessor reused", rotations: 3, reuse: 2},
		{name: "reused with a scope parameter", rotations: 2, reuse: 0, reuseScoped: "assets:read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			bystander := h.tokens() // another grant of the same user and client
			chain := []tokenResponse{h.tokens()}
			for i := 0; i < tc.rotations; i++ {
				chain = append(chain, rsRefreshOK(h, rsPayap, chain[len(chain)-1].RefreshToken, ""))
			}
			current := chain[len(chain)-1]
			info, err := h.store.Access(hashOf(current.AccessToken), h.clock.Now())
			if err != nil {
				t.Fatal(err)
			}

			wantOAuthError(t, rsRefresh(h, rsPayap, chain[tc.reuse].RefreshToken, tc.reuseScoped), http.StatusBadRequest, "invalid_grant")

			// The currently active refresh token is dead...
			wantOAuthError(t, rsRefresh(h, rsPayap, current.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
			// ...and so is every access token of the family.
			for i, tr := range chain {
				r := rsGet(t, h, "/assets", "Bearer "+tr.AccessToken)
				if r.status != http.StatusUnauthorized || r.challenge["error"] != "invalid_token" {
					t.Errorf("access token of generation %d answers %d (%q) after reuse detection, want 401 invalid_token", i, r.status, r.header.Get("WWW-Authenticate"))
				}
			}
			if g := rsGrantOf(t, h, info.GrantID); !g.Revoked() {
				t.Errorf("grant %s not marked revoked", g.ID)
			}
			// Another grant is untouched.
			if got := rsBearerStatus(t, h, "/assets", bystander.AccessToken); got != http.StatusOK {
				t.Errorf("an unrelated grant's access token answers %d after reuse detection, want 200", got)
			}
			rsRefreshOK(h, rsPayap, bystander.RefreshToken, "")
		})
	}
}

// rsOutcome is one concurrent refresh's result.
type rsOutcome struct {
	status int
	tr     tokenResponse
	err    oauthErr
	fail   error
}

// rsConcurrentRefresh presents the same refresh token from n goroutines at
// once over the loopback server. No t.Fatal happens off the test goroutine.
func rsConcurrentRefresh(h *harness, refreshToken string, n int) []rsOutcome {
	out := make([]rsOutcome, n)
	body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {DefaultClientID}}.Encode()
	client := h.server.Client()
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			req, err := http.NewRequest(http.MethodPost, h.server.URL+"/token", strings.NewReader(body))
			if err != nil {
				out[i].fail = err
				ready.Done()
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			ready.Done()
			<-gate
			resp, err := client.Do(req)
			if err != nil {
				out[i].fail = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			out[i].status = resp.StatusCode
			if resp.StatusCode == http.StatusOK {
				out[i].fail = json.Unmarshal(b, &out[i].tr)
			} else {
				out[i].fail = json.Unmarshal(b, &out[i].err)
			}
		}(i)
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return out
}

func TestH59_RefreshRotationAtomicAndGrace(t *testing.T) {
	const grace = 30 * time.Second
	withGrace := func(c *Config) { c.RefreshReuseGrace = grace }

	t.Run("concurrent", func(t *testing.T) {
		cases := []struct {
			name        string
			grace       bool
			n           int
			wantOK      int // -1: all
			familyAlive bool
		}{
			{name: "no grace: exactly one of two succeeds", n: 2, wantOK: 1},
			{name: "no grace: exactly one of sixteen succeeds", n: 16, wantOK: 1},
			{name: "grace: every use within the grace succeeds", grace: true, n: 8, wantOK: -1, familyAlive: true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var h *harness
				if tc.grace {
					h = newHarness(t, withGrace)
				} else {
					h = newHarness(t)
				}
				orig := h.tokens()
				outs := rsConcurrentRefresh(h, orig.RefreshToken, tc.n)
				var wins []tokenResponse
				for i, o := range outs {
					switch {
					case o.fail != nil:
						t.Fatalf("request %d: %v", i, o.fail)
					case o.status == http.StatusOK:
						wins = append(wins, o.tr)
					case o.status != http.StatusBadRequest || o.err.Error != "invalid_grant":
						t.Errorf("request %d: status %d error %q, want 200 or 400 invalid_grant", i, o.status, o.err.Error)
					}
				}
				want := tc.wantOK
				if want < 0 {
					want = tc.n
				}
				if len(wins) != want {
					t.Fatalf("%d of %d concurrent refreshes succeeded, want %d", len(wins), tc.n, want)
				}
				distinct := map[string]bool{}
				for _, w := range wins {
					distinct[w.RefreshToken] = true
				}
				if len(distinct) != len(wins) {
					t.Errorf("concurrent refreshes handed out the same refresh token twice")
				}
				for _, w := range wins {
					resp := rsRefresh(h, rsPayap, w.RefreshToken, "")
					if tc.familyAlive {
						rsWantStatus(t, resp, http.StatusOK)
					} else {
						// The losers were reuse: the winner cannot go on silently.
						wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
					}
				}
			})
		}
	})

	t.Run("grace", func(t *testing.T) {
		cases := []struct {
			name string
			cfg  func(*Config)
			// after is how long after the first rotation the old token is
			// presented again (several values: several reuses).
			after   []time.Duration
			wantOK  []bool
			revoked bool // the family is revoked at the end
		}{
			{name: "off by default: immediate reuse is detected", cfg: func(*Config) {}, after: []time.Duration{0}, wantOK: []bool{false}, revoked: true},
			{name: "immediate reuse within the grace", cfg: withGrace, after: []time.Duration{0}, wantOK: []bool{true}},
			{name: "reuse just inside the grace", cfg: withGrace, after: []time.Duration{grace - time.Second}, wantOK: []bool{true}},
			{name: "reuse after the grace", cfg: withGrace, after: []time.Duration{grace + time.Second}, wantOK: []bool{false}, revoked: true},
			{name: "the grace runs from the first rotation and is not extended by reuse", cfg: withGrace,
				after: []time.Duration{20 * time.Second, 40 * time.Second}, wantOK: []bool{true, false}, revoked: true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, tc.cfg)
				orig := h.tokens()
				first := rsRefreshOK(h, rsPayap, orig.RefreshToken, "")
				issued := []tokenResponse{first}
				var elapsed time.Duration
				for i, at := range tc.after {
					rsAdvance(t, h, at-elapsed)
					elapsed = at
					resp := rsRefresh(h, rsPayap, orig.RefreshToken, "")
					if tc.wantOK[i] {
						var tr tokenResponse
						decode(t, resp, http.StatusOK, &tr)
						issued = append(issued, tr)
					} else {
						wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
					}
				}
				for _, tr := range issued {
					status := rsBearerStatus(t, h, "/assets", tr.AccessToken)
					if tc.revoked && status != http.StatusUnauthorized {
						t.Errorf("after reuse detection an access token of the family answers %d, want 401", status)
					}
					if !tc.revoked && status != http.StatusOK {
						t.Errorf("reuse within the grace killed an access token of the family: %d", status)
					}
				}
				// The tokens issued so far are all alive (grace) or all dead.
				for _, tr := range issued {
					resp := rsRefresh(h, rsPayap, tr.RefreshToken, "")
					if tc.revoked {
						wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
					} else {
						rsWantStatus(t, resp, http.StatusOK)
					}
				}
			})
		}
	})
}

// --- I. Revocation ----------------------------------------------------------

func TestI60_RevocationClientAuthentication(t *testing.T) {
	cases := []struct {
		name string
		// owner is the client the token is issued to; as presents it.
		owner      rsClient
		as         rsClient
		noToken    bool
		form       url.Values // extra form fields
		status     int
		code       string
		basicChall bool
	}{
		{name: "public client with client_id", owner: rsPayap, as: rsPayap, status: http.StatusOK},
		{name: "client_secret_basic", owner: rsBasic, as: rsBasic, status: http.StatusOK},
		{name: "client_secret_post", owner: rsPost, as: rsPost, status: http.StatusOK},
		{name: "wrong Basic secret", owner: rsBasic, as: rsClient{id: confBasicID, basic: "wrong"}, status: http.StatusUnauthorized, code: "invalid_client", basicChall: true},
		{name: "unknown client in Basic", owner: rsBasic, as: rsClient{id: "nobody", basic: "x"}, status: http.StatusUnauthorized, code: "invalid_client", basicChall: true},
		{name: "Basic with an empty secret", owner: rsBasic, as: rsClient{id: confBasicID, header: true}, status: http.StatusUnauthorized, code: "invalid_client", basicChall: true},
		{name: "public client authenticating with Basic", owner: rsPayap, as: rsClient{id: DefaultClientID, basic: "x"}, status: http.StatusUnauthorized, code: "invalid_client", basicChall: true},
		{name: "confidential client posing as public", owner: rsBasic, as: rsClient{id: confBasicID}, status: http.StatusUnauthorized, code: "invalid_client"},
		{name: "basic client using client_secret_post", owner: rsBasic, as: rsClient{id: confBasicID, post: confBasicSecret}, status: http.StatusUnauthorized, code: "invalid_client"},
		{name: "wrong post secret", owner: rsPost, as: rsClient{id: confPostID, post: "wrong"}, status: http.StatusUnauthorized, code: "invalid_client"},
		{name: "no client at all", owner: rsPayap, as: rsClient{}, status: http.StatusUnauthorized, code: "invalid_client"},
		{name: "two methods at once", owner: rsBasic, as: rsBasic, form: url.Values{"client_secret": {confBasicSecret}}, status: http.StatusBadRequest, code: "invalid_request"},
		{name: "missing token, public client", owner: rsPayap, as: rsPayap, noToken: true, status: http.StatusBadRequest, code: "invalid_request"},
		{name: "missing token, Basic", owner: rsBasic, as: rsBasic, noToken: true, status: http.StatusBadRequest, code: "invalid_request"},
		{name: "empty token", owner: rsPayap, as: rsPayap, noToken: true, form: url.Values{"token": {""}}, status: http.StatusBadRequest, code: "invalid_request"},
		{name: "repeated token", owner: rsPayap, as: rsPayap, form: url.Values{"token": {"a", "b"}}, status: http.StatusBadRequest, code: "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tr := rsGrant(h, tc.owner, DemoUsername, DemoPassword)
			form := url.Values{}
			if !tc.noToken {
				form.Set("token", tr.RefreshToken)
			}
			for k, v := range tc.form {
				form[k] = v
			}
			resp := rsSend(h, tc.as, "/revoke", form)
			if tc.status == http.StatusOK {
				rsWantStatus(t, resp, http.StatusOK)
				wantOAuthError(t, rsRefresh(h, tc.owner, tr.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
				return
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			wantOAuthError(t, resp, tc.status, tc.code)
			if (tc.basicChall || tc.status == http.StatusUnauthorized) != strings.HasPrefix(challenge, "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge: %v", challenge, tc.basicChall)
			}
			// A refused revocation revokes nothing.
			if got := rsBearerStatus(t, h, "/assets", tr.AccessToken); got != http.StatusOK {
				t.Errorf("after a refused revocation the access token answers %d", got)
			}
			rsRefreshOK(h, tc.owner, tr.RefreshToken, "")
		})
	}
}

func TestI61_RevocationAnswers200(t *testing.T) {
	type target int
	const (
		refreshTok target = iota
		accessTok
		other
	)
	cases := []struct {
		name string
		// token picks the token to revoke from a fresh payap grant; raw is used
		// for other.
		token target
		raw   string
		hint  string
		prep  func(t *testing.T, h *harness, tr tokenResponse)
		as    rsClient
		// status 200, or the refusal of another client's token.
		status int
		// killed reports whether the grant's access/refresh token is dead after.
		accessDead, refreshDead bool
	}{
		{name: "unknown token", token: other, raw: randomToken("rt_"), as: rsPayap, status: http.StatusOK},
		{name: "garbage token", token: other, raw: "%%%\x00 ☃ not-a-token", as: rsPayap, status: http.StatusOK},
		{name: "garbage token with a hint", token: other, raw: "garbage", hint: "refresh_token", as: rsPayap, status: http.StatusOK},
		{name: "unknown token from a confidential client", token: other, raw: "garbage", as: rsBasic, status: http.StatusOK},
		{name: "already-revoked refresh token", token: refreshTok, as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true,
			prep: func(t *testing.T, h *harness, tr tokenResponse) { rsRevokeOK(h, rsPayap, tr.RefreshToken, "") }},
		{name: "already-revoked access token", token: accessTok, as: rsPayap, status: http.StatusOK, accessDead: true,
			prep: func(t *testing.T, h *harness, tr tokenResponse) { rsRevokeOK(h, rsPayap, tr.AccessToken, "") }},
		{name: "expired access token", token: accessTok, as: rsPayap, status: http.StatusOK, accessDead: true,
			prep: func(t *testing.T, h *harness, tr tokenResponse) { rsAdvance(t, h, h.cfg.AccessTokenTTL+time.Second) }},
		{name: "expired refresh token", token: refreshTok, as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true,
			prep: func(t *testing.T, h *harness, tr tokenResponse) { rsAdvance(t, h, h.cfg.RefreshTokenTTL+time.Second) }},
		{name: "rotated refresh token", token: refreshTok, as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true,
			prep: func(t *testing.T, h *harness, tr tokenResponse) { rsRefreshOK(h, rsPayap, tr.RefreshToken, "") }},
		{name: "refresh token, right hint", token: refreshTok, hint: "refresh_token", as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true},
		{name: "refresh token, wrong hint", token: refreshTok, hint: "access_token", as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true},
		{name: "refresh token, unknown hint", token: refreshTok, hint: "id_token", as: rsPayap, status: http.StatusOK, accessDead: true, refreshDead: true},
		{name: "access token, right hint", token: accessTok, hint: "access_token", as: rsPayap, status: http.StatusOK, accessDead: true},
		{name: "access token, wrong hint", token: accessTok, hint: "refresh_token", as: rsPayap, status: http.StatusOK, accessDead: true},
		{name: "access token, unknown hint", token: accessTok, hint: "banana", as: rsPayap, status: http.StatusOK, accessDead: true},
		{name: "another client's refresh token", token: refreshTok, as: rsBasic, status: http.StatusBadRequest},
		{name: "another client's refresh token, public client", token: refreshTok, as: rsClient{id: codeOnlyID}, status: http.StatusBadRequest},
		{name: "another client's access token", token: accessTok, hint: "access_token", as: rsPost, status: http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tr := h.tokens()
			if tc.prep != nil {
				tc.prep(t, h, tr)
			}
			token := tc.raw
			switch tc.token {
			case refreshTok:
				token = tr.RefreshToken
			case accessTok:
				token = tr.AccessToken
			}
			resp := rsRevoke(h, tc.as, token, tc.hint)
			if tc.status == http.StatusOK {
				rsWantStatus(t, resp, http.StatusOK)
			} else {
				wantOAuthError(t, resp, tc.status, "unauthorized_client")
			}
			if tc.token == other {
				// An unrelated token's revocation leaves the grant alone.
				tc.accessDead, tc.refreshDead = false, false
			}
			status := rsBearerStatus(t, h, "/assets", tr.AccessToken)
			if tc.accessDead != (status == http.StatusUnauthorized) {
				t.Errorf("GET /assets with the grant's access token = %d; want it dead: %v", status, tc.accessDead)
			}
			if tc.refreshDead {
				wantOAuthError(t, rsRefresh(h, rsPayap, tr.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
			} else {
				rsRefreshOK(h, rsPayap, tr.RefreshToken, "")
			}
		})
	}
}

func TestI62_RevocationCascade(t *testing.T) {
	cases := []struct {
		name string
		// rotations before revoking; the revoked token is from the newest
		// generation.
		rotations   int
		revokeRT    bool
		hint        string
		wantRefresh bool // the refresh token still works afterwards
	}{
		{name: "refresh token kills its access token", revokeRT: true, hint: "refresh_token"},
		{name: "refresh token without hint", revokeRT: true},
		{name: "rotated family: refresh token kills every generation's access token", rotations: 2, revokeRT: true, hint: "refresh_token"},
		{name: "access token leaves the refresh token working [mock choice]", hint: "access_token", wantRefresh: true},
		{name: "access token without hint", wantRefresh: true},
		{name: "access token of a rotated family", rotations: 2, hint: "access_token", wantRefresh: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			chain := []tokenResponse{h.tokens()}
			for i := 0; i < tc.rotations; i++ {
				chain = append(chain, rsRefreshOK(h, rsPayap, chain[len(chain)-1].RefreshToken, ""))
			}
			current := chain[len(chain)-1]
			token := current.AccessToken
			if tc.revokeRT {
				token = current.RefreshToken
			}
			rsRevokeOK(h, rsPayap, token, tc.hint)

			// The revoked access token (or every access token of the grant).
			rsWantBearerError(t, rsGet(t, h, "/assets", "Bearer "+current.AccessToken), http.StatusUnauthorized, "invalid_token")
			rsWantBearerError(t, rsGet(t, h, "/assets/12345", "Bearer "+current.AccessToken), http.StatusUnauthorized, "invalid_token")
			if tc.revokeRT {
				for i, tr := range chain {
					if got := rsBearerStatus(t, h, "/assets", tr.AccessToken); got != http.StatusUnauthorized {
						t.Errorf("generation %d's access token answers %d after its refresh token was revoked", i, got)
					}
				}
			}
			resp := rsRefresh(h, rsPayap, current.RefreshToken, "")
			if !tc.wantRefresh {
				wantOAuthError(t, resp, http.StatusBadRequest, "invalid_grant")
				return
			}
			var next tokenResponse
			decode(t, resp, http.StatusOK, &next)
			if got := rsBearerStatus(t, h, "/assets", next.AccessToken); got != http.StatusOK {
				t.Errorf("the access token refreshed after revoking an access token answers %d, want 200", got)
			}
		})
	}
}

// --- J. Resource server -----------------------------------------------------

func TestJ1_BearerSchemeCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	tr := h.tokens()
	cases := []struct{ name, header string }{
		{"canonical", "Bearer " + tr.AccessToken},
		{"lower case", "bearer " + tr.AccessToken},
		{"upper case", "BEARER " + tr.AccessToken},
		{"mixed case", "bEaReR " + tr.AccessToken},
	}
	for _, path := range []string{"/assets", "/assets/12345"} {
		for _, tc := range cases {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				r := rsGet(t, h, path, tc.header)
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", r.status, r.body)
				}
			})
		}
	}
}

func TestJ2_NoCredentialsChallengeWithoutError(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		auth []string
	}{
		{name: "no Authorization header"},
		{name: "Basic credentials are not bearer credentials", auth: []string{"Basic ZGVtbzpwYXlhcC1kZW1v"}},
		{name: "unknown scheme", auth: []string{"Token abc"}},
	}
	for _, path := range []string{"/assets", "/assets/12345", "/assets/unknown"} {
		for _, tc := range cases {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				r := rsGet(t, h, path, tc.auth...)
				rsWantBearerError(t, r, http.StatusUnauthorized, "")
				if got, want := r.header.Get("WWW-Authenticate"), `Bearer realm="`+realm+`"`; got != want {
					t.Errorf("WWW-Authenticate = %q, want exactly %q", got, want)
				}
			})
		}
	}
}

func TestJ3_InvalidExpiredRevokedToken(t *testing.T) {
	cases := []struct {
		name  string
		token func(t *testing.T, h *harness) string
	}{
		{name: "garbage", token: func(*testing.T, *harness) string { return "garbage" }},
		{name: "well-formed but unknown", token: func(*testing.T, *harness) string { return randomToken("at_") }},
		{name: "refresh token used as access token", token: func(t *testing.T, h *harness) string { return h.tokens().RefreshToken }},
		{name: "authorization code used as access token", token: func(t *testing.T, h *harness) string { c, _ := h.code(); return c }},
		{name: "expired", token: func(t *testing.T, h *harness) string {
			at := h.tokens().AccessToken
			rsAdvance(t, h, h.cfg.AccessTokenTTL+time.Second)
			return at
		}},
		{name: "expired exactly at its lifetime", token: func(t *testing.T, h *harness) string {
			at := h.tokens().AccessToken
			rsAdvance(t, h, h.cfg.AccessTokenTTL)
			return at
		}},
		{name: "revoked access token", token: func(t *testing.T, h *harness) string {
			at := h.tokens().AccessToken
			rsRevokeOK(h, rsPayap, at, "access_token")
			return at
		}},
		{name: "grant revoked through its refresh token", token: func(t *testing.T, h *harness) string {
			tr := h.tokens()
			rsRevokeOK(h, rsPayap, tr.RefreshToken, "refresh_token")
			return tr.AccessToken
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			token := tc.token(t, h)
			for _, path := range []string{"/assets", "/assets/12345"} {
				rsWantBearerError(t, rsGet(t, h, path, "Bearer "+token), http.StatusUnauthorized, "invalid_token")
			}
		})
	}
	t.Run("control: just before expiry", func(t *testing.T) {
		h := newHarness(t)
		at := h.tokens().AccessToken
		rsAdvance(t, h, h.cfg.AccessTokenTTL-time.Second)
		if got := rsBearerStatus(t, h, "/assets", at); got != http.StatusOK {
			t.Fatalf("status %d, want 200", got)
		}
	})
}

func TestJ4_ScopeEnforcement(t *testing.T) {
	cases := []struct {
		name string
		// token returns an access token whose scope is under test.
		token  func(t *testing.T, h *harness) string
		status int
	}{
		{name: "consented to assets:read only", token: func(t *testing.T, h *harness) string { return h.tokens("assets:read").AccessToken }, status: http.StatusOK},
		{name: "downscoped to assets:read", token: func(t *testing.T, h *harness) string {
			return rsRefreshOK(h, rsPayap, h.tokens().RefreshToken, "assets:read").AccessToken
		}, status: http.StatusOK},
		{name: "both scopes", token: func(t *testing.T, h *harness) string { return h.tokens().AccessToken }, status: http.StatusOK},
		// No asset endpoint needs assets:pay yet, and every one needs
		// assets:read: a token without assets:read is the way to reach
		// insufficient_scope.
		{name: "consented to assets:pay only", token: func(t *testing.T, h *harness) string { return h.tokens("assets:pay").AccessToken }, status: http.StatusForbidden},
		{name: "downscoped to assets:pay", token: func(t *testing.T, h *harness) string {
			return rsRefreshOK(h, rsPayap, h.tokens().RefreshToken, "assets:pay").AccessToken
		}, status: http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			token := tc.token(t, h)
			for _, path := range []string{"/assets", "/assets/12345", "/assets/unknown"} {
				r := rsGet(t, h, path, "Bearer "+token)
				if tc.status == http.StatusOK {
					want := http.StatusOK
					if path == "/assets/unknown" {
						want = http.StatusNotFound
					}
					if r.status != want {
						t.Errorf("GET %s = %d, want %d; body %s", path, r.status, want, r.body)
					}
					continue
				}
				rsWantBearerError(t, r, http.StatusForbidden, "insufficient_scope")
				if got := r.challenge["scope"]; got != "assets:read" {
					t.Errorf("GET %s: challenge %q: scope = %q, want assets:read", path, r.header.Get("WWW-Authenticate"), got)
				}
			}
		})
	}
}

func TestJ5_MalformedBearerRequest(t *testing.T) {
	h := newHarness(t)
	tr := h.tokens()
	cases := []struct {
		name  string
		query string
		auth  []string
	}{
		{name: "header and query at once", query: "?access_token=" + url.QueryEscape(tr.AccessToken), auth: []string{"Bearer " + tr.AccessToken}},
		{name: "header and a different query token", query: "?access_token=other", auth: []string{"Bearer " + tr.AccessToken}},
		{name: "two Authorization headers", auth: []string{"Bearer " + tr.AccessToken, "Bearer " + tr.AccessToken}},
		{name: "two Authorization headers, one Basic", auth: []string{"Bearer " + tr.AccessToken, "Basic eDp5"}},
		{name: "Bearer with an empty token", auth: []string{"Bearer "}},
		{name: "Bearer with only spaces", auth: []string{"Bearer    "}},
		{name: "Bearer without a token", auth: []string{"Bearer"}},
		{name: "two tokens in one header", auth: []string{"Bearer " + tr.AccessToken + " " + tr.AccessToken}},
	}
	for _, path := range []string{"/assets", "/assets/12345"} {
		for _, tc := range cases {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				rsWantBearerError(t, rsGet(t, h, path+tc.query, tc.auth...), http.StatusBadRequest, "invalid_request")
			})
		}
	}
}

func TestJ6_QueryTokenIsNoCredentials(t *testing.T) {
	h := newHarness(t)
	tr := h.tokens()
	cases := []struct{ name, query string }{
		{"valid access token in the query", "access_token=" + url.QueryEscape(tr.AccessToken)},
		{"garbage in the query", "access_token=garbage"},
		{"with other parameters", "x=1&access_token=" + url.QueryEscape(tr.AccessToken)},
	}
	for _, path := range []string{"/assets", "/assets/12345"} {
		for _, tc := range cases {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				r := rsGet(t, h, path+"?"+tc.query)
				rsWantBearerError(t, r, http.StatusUnauthorized, "")
			})
		}
	}
}

// --- Asset model (centrapay-api.md §2.5) --------------------------------------

// rsAssetKeys checks that one JSON asset has exactly the four documented
// string fields and returns them.
func rsAssetKeys(t testing.TB, raw json.RawMessage) map[string]string {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("asset %s is not a JSON object: %v", raw, err)
	}
	keys := make([]string, 0, len(obj))
	out := map[string]string{}
	for k, v := range obj {
		keys = append(keys, k)
		s, ok := v.(string)
		if !ok {
			t.Errorf("asset field %s = %v (%T), want a string", k, v, v)
		}
		out[k] = s
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "balance,description,id,userId" {
		t.Fatalf("asset keys = %s, want exactly balance,description,id,userId", got)
	}
	return out
}

func TestRSAssetsListIsBareArrayOfAssets(t *testing.T) {
	cases := []struct {
		name string
		// user returns the login to use, creating it when needed.
		user func(t *testing.T, h *harness) User
	}{
		{name: "demo user", user: func(t *testing.T, h *harness) User {
			u, _ := h.store.User(DemoUserID)
			return u
		}},
		{name: "another seeded user", user: func(t *testing.T, h *harness) User { return rsOtherUser(t, h) }},
		{name: "a user without assets", user: func(t *testing.T, h *harness) User {
			u := User{ID: "99999", Username: "empty", Password: "empty-pass", Name: "No Assets"}
			if err := h.store.PutUser(u); err != nil {
				t.Fatal(err)
			}
			return u
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := tc.user(t, h)
			tr := rsGrant(h, rsPayap, u.Username, u.Password)
			r := rsGet(t, h, "/assets", "Bearer "+tr.AccessToken)
			if r.status != http.StatusOK {
				t.Fatalf("status %d; body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var arr []json.RawMessage
			if err := json.Unmarshal(r.body, &arr); err != nil || arr == nil {
				t.Fatalf("body %s is not a bare JSON array: %v", r.body, err)
			}
			want := h.store.Assets(u.ID)
			if len(arr) != len(want) {
				t.Fatalf("%d assets, want %d", len(arr), len(want))
			}
			for i, raw := range arr {
				got := rsAssetKeys(t, raw)
				w := want[i].wire()
				if got["id"] != w.ID || got["userId"] != u.ID || got["balance"] != w.Balance || got["description"] != w.Description {
					t.Errorf("asset %d = %v, want %+v", i, got, w)
				}
			}
			if u.ID == DemoUserID {
				if string(arr[0]) != `{"id":"12345","userId":"54321","balance":"5000","description":"Everyday Points"}` {
					t.Errorf("first demo asset = %s", arr[0])
				}
			}
		})
	}
}

func TestRSAssetByID(t *testing.T) {
	h := newHarness(t)
	tr := h.tokens()
	other := rsOtherUser(t, h)
	foreign := h.store.Assets(other.ID)[0].ID
	const unknown = "424242424242"

	cases := []struct {
		name   string
		id     string
		status int
		want   string // balance for a 200
	}{
		{name: "own asset", id: "12345", status: http.StatusOK, want: "5000"},
		{name: "own second asset", id: "56789", status: http.StatusOK, want: "25000"},
		{name: "another user's asset", id: foreign, status: http.StatusNotFound},
		{name: "unknown id", id: unknown, status: http.StatusNotFound},
	}
	bodies := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rsGet(t, h, "/assets/"+tc.id, "Bearer "+tr.AccessToken)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.status == http.StatusOK {
				got := rsAssetKeys(t, r.body)
				if got["id"] != tc.id || got["userId"] != DemoUserID || got["balance"] != tc.want {
					t.Errorf("asset = %v", got)
				}
				return
			}
			var obj map[string]any
			if err := json.Unmarshal(r.body, &obj); err != nil {
				t.Fatalf("404 body %s is not JSON: %v", r.body, err)
			}
			if obj["error"] != "not_found" {
				t.Errorf("404 error = %v, want not_found", obj["error"])
			}
			if strings.Contains(string(r.body), other.ID) || strings.Contains(string(r.body), other.Username) {
				t.Errorf("404 body %s names the asset's owner", r.body)
			}
			bodies[tc.name] = strings.ReplaceAll(string(r.body), tc.id, "ID")
		})
	}
	if a, b := bodies["another user's asset"], bodies["unknown id"]; a != b {
		t.Errorf("a foreign asset and an unknown one answer differently:\n%s\n%s", a, b)
	}

	t.Run("balance is live", func(t *testing.T) {
		if err := h.store.SetBalance("12345", 777); err != nil {
			t.Fatal(err)
		}
		got := rsAssetKeys(t, rsGet(t, h, "/assets/12345", "Bearer "+tr.AccessToken).body)
		if got["balance"] != "777" {
			t.Errorf("balance = %q after SetBalance(777)", got["balance"])
		}
	})
}
