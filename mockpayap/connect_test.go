package mockpayap_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

func TestConnectAuthorizationURL(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	c := e.startConnection(token, defaultAssetType)
	if c.UserID != mockpayap.DemoUserID || c.AssetType != defaultAssetType || c.CanPay || c.Scope != "" {
		t.Fatalf("pending connection %+v", c)
	}
	u, err := url.Parse(c.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != e.Provider.URL+"/authorize" {
		t.Fatalf("authorization endpoint %q, want the discovered %q", got, e.Provider.URL+"/authorize")
	}
	q := u.Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             mockprovider.DefaultClientID,
		"redirect_uri":          e.URL + "/callback",
		"scope":                 "assets:read assets:pay",
		"code_challenge_method": "S256",
	} {
		if got := q[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want exactly %q", k, got, want)
		}
	}
	if s := q.Get("state"); len(s) < 22 {
		t.Errorf("state %q is too short to be unguessable", s)
	}
	if ch := q.Get("code_challenge"); len(ch) != 43 || strings.ContainsAny(ch, "=+/") {
		t.Errorf("code_challenge %q is not an unpadded base64url SHA-256", ch)
	}

	// Every authorization gets a fresh state and verifier.
	c2 := e.startConnection(token, defaultAssetType)
	u2, _ := url.Parse(c2.AuthURL)
	if u2.Query().Get("state") == q.Get("state") || u2.Query().Get("code_challenge") == q.Get("code_challenge") {
		t.Error("two connections share a state or a code challenge")
	}
	if c2.ID == c.ID {
		t.Error("two connections share an id")
	}
	// Pending connections are listed, with their authorization URL.
	if got := e.connections(token); len(got) != 2 || got[0].Status != mockpayap.StatusPending {
		t.Fatalf("connections %+v, want the two pending ones", got)
	}
}

func TestConnectOverLoopback(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)

	c := out.Connection
	if c.Scope != "assets:read assets:pay" || !c.CanPay || c.ConnectedAt == "" || c.AuthURL != "" {
		t.Fatalf("connection %+v, want connected with both scopes and no authorization URL", c)
	}
	if len(out.WalletEntries) != demoAssetCount(t) {
		t.Fatalf("callback wallet entries %+v, want %d", out.WalletEntries, demoAssetCount(t))
	}
	if got := e.connection(token, c.ID); got.Status != mockpayap.StatusConnected || got.Scope != c.Scope {
		t.Fatalf("GET connection %+v", got)
	}

	items := e.wallet(token)
	want := demoBalances(t) // 12345: 5000 and 56789: 25000, as in the guide, and more
	if len(items) != len(want) || want["12345"] != "5000" || want["56789"] != "25000" {
		t.Fatalf("wallet %+v, want the demo user's assets %v", items, want)
	}
	for _, it := range items {
		if it.Status != mockpayap.EntryAvailable || it.Balance == nil || *it.Balance != want[it.AssetID] || it.Problem != nil {
			t.Errorf("wallet entry %+v, want available with balance %q", it, want[it.AssetID])
		}
		if it.ConnectionID != c.ID || it.AssetType != defaultAssetType || !it.CanPay || it.Description == "" {
			t.Errorf("wallet entry %+v does not belong to connection %s", it, c.ID)
		}
		var one walletItem
		e.do(http.MethodGet, "/api/wallet/"+it.ID, token, nil).want(http.StatusOK, &one)
		if one.ID != it.ID || one.Balance == nil || *one.Balance != want[it.AssetID] {
			t.Errorf("GET /api/wallet/%s = %+v", it.ID, one)
		}
	}

	// Tokens never leave the server.
	for _, body := range [][]byte{e.do(http.MethodGet, "/api/connections", token, nil).Body, e.do(http.MethodGet, "/api/wallet", token, nil).Body} {
		for _, secret := range []string{"at_", "rt_", "verifier", "refresh", "access"} {
			if strings.Contains(string(body), secret) {
				t.Errorf("app API body mentions %q: %s", secret, body)
			}
		}
	}

	// Another user sees none of it.
	other := e.otherUser()
	if got := e.connections(other); len(got) != 0 {
		t.Errorf("another user's connections %+v, want none", got)
	}
	if got := e.wallet(other); len(got) != 0 {
		t.Errorf("another user's wallet %+v, want empty", got)
	}
	e.do(http.MethodGet, "/api/wallet/"+items[0].ID, other, nil).wantError(http.StatusNotFound, "wallet_entry_not_found")
	e.do(http.MethodGet, "/api/connections/"+c.ID, other, nil).wantError(http.StatusNotFound, "connection_not_found")
}

func TestCallbackHeaders(t *testing.T) {
	e := newEnv(t)
	_, cb := e.authorize(e.demo(), demoDecision)
	r := e.get(cb).want(http.StatusOK, nil)
	if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q, want no-referrer", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
}

func TestPartialConsent(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	d := demoDecision
	d.Grant = []string{"assets:read"}
	out := e.connect(token, d)
	if out.Connection.Scope != "assets:read" || out.Connection.CanPay {
		t.Fatalf("connection %+v, want scope assets:read and canPay false", out.Connection)
	}
	if got := e.connection(token, out.Connection.ID); got.Scope != "assets:read" || got.CanPay {
		t.Fatalf("GET connection %+v", got)
	}
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.EntryAvailable || it.CanPay {
			t.Errorf("entry %+v, want available and canPay false", it)
		}
	}
}

func TestBalancesAreLiveNeverCached(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	e.connect(token, demoDecision)
	entry := func() walletItem {
		for _, it := range e.wallet(token) {
			if it.AssetID == "12345" {
				return it
			}
		}
		t.Fatal("asset 12345 is not in the wallet")
		return walletItem{}
	}
	id := entry().ID
	for i, balance := range []int64{4321, 0, 999999} {
		if err := e.Provider.Store.SetBalance("12345", balance); err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(balance, 10)
		if got := entry(); got.Balance == nil || *got.Balance != want {
			t.Fatalf("round %d: GET /api/wallet balance %v, want %s", i, got.Balance, want)
		}
		var one walletItem
		e.do(http.MethodGet, "/api/wallet/"+id, token, nil).want(http.StatusOK, &one)
		if one.Balance == nil || *one.Balance != want {
			t.Fatalf("round %d: GET /api/wallet/%s balance %v, want %s", i, id, one.Balance, want)
		}
	}
}

// wantNoConnection checks that a failed callback left nothing behind: no
// connection but the ones listed in keep, and no wallet entries beyond
// wantEntries.
func (e *env) wantNoConnection(token string, gone string, wantEntries int) {
	e.t.Helper()
	for _, c := range e.connections(token) {
		if c.ID == gone {
			e.t.Errorf("connection %s is still listed after the failed callback: %+v", gone, c)
		}
		if c.Status == mockpayap.StatusConnected && wantEntries == 0 {
			e.t.Errorf("a connection is connected after a failed callback: %+v", c)
		}
	}
	if got := e.wallet(token); len(got) != wantEntries {
		e.t.Errorf("wallet holds %d entries after a failed callback, want %d: %+v", len(got), wantEntries, got)
	}
	e.do(http.MethodGet, "/api/connections/"+gone, token, nil).wantError(http.StatusNotFound, "connection_not_found")
}

// withQuery rewrites a callback URL's query.
func withQuery(t testing.TB, raw string, change func(q url.Values)) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	change(q)
	u.RawQuery = q.Encode()
	return u.String()
}

func stateOf(t testing.TB, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func TestCallbackErrors(t *testing.T) {
	cases := []struct {
		name string
		// callback returns the URL to open after a connection was started
		// (and, for most cases, consented to).
		callback func(e *env, c connection) string
		status   int
		code     string
		// stillPending: the callback could not be matched to the connection,
		// which is therefore still waiting for its real callback.
		stillPending bool
		// unmatched: the error cannot name the connection.
		unmatched bool
		details   map[string]any
	}{
		{
			name: "no state",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Del("state") })
			},
			status: http.StatusBadRequest, code: "invalid_state", stillPending: true,
		},
		{
			name: "unknown state",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Set("state", "forged-state-value") })
			},
			status: http.StatusBadRequest, code: "invalid_state", stillPending: true,
		},
		{
			name: "no state with a provider error is still a state error",
			callback: func(e *env, c connection) string {
				return e.URL + "/callback?error=access_denied&iss=" + url.QueryEscape(e.Provider.URL)
			},
			status: http.StatusBadRequest, code: "invalid_state", stillPending: true,
		},
		{
			name: "expired state",
			callback: func(e *env, c connection) string {
				cb := consent(e.t, c.AuthURL, demoDecision)
				e.advance(10*time.Minute + time.Second)
				return cb
			},
			status: http.StatusBadRequest, code: "state_expired", unmatched: true,
		},
		{
			name: "user denies",
			callback: func(e *env, c connection) string {
				d := demoDecision
				d.Deny = true
				return consent(e.t, c.AuthURL, d)
			},
			status: http.StatusForbidden, code: "access_denied", details: map[string]any{"providerError": "access_denied"},
		},
		{
			name: "provider answers invalid_scope",
			callback: func(e *env, c connection) string {
				// A comma-separated scope is one unknown token (checklist B17):
				// the provider redirects with error=invalid_scope.
				bad := withQuery(e.t, c.AuthURL, func(q url.Values) { q.Set("scope", "assets:read,assets:pay") })
				cb := consent(e.t, bad, demoDecision)
				if !strings.Contains(cb, "error=invalid_scope") {
					e.t.Fatalf("the provider did not answer invalid_scope: %s", redact(cb))
				}
				return cb
			},
			status: http.StatusBadGateway, code: "provider_configuration_error", details: map[string]any{"providerError": "invalid_scope"},
		},
		{
			name: "missing code",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Del("code") })
			},
			status: http.StatusBadRequest, code: "missing_code",
		},
		{
			name: "iss missing",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Del("iss") })
			},
			status: http.StatusBadRequest, code: "issuer_mismatch",
		},
		{
			name: "iss wrong",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Set("iss", "https://attacker.example") })
			},
			status: http.StatusBadRequest, code: "issuer_mismatch",
		},
		{
			name: "iss with a trailing slash",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Set("iss", e.Provider.URL+"/") })
			},
			status: http.StatusBadRequest, code: "issuer_mismatch",
		},
		{
			name: "iss twice",
			callback: func(e *env, c connection) string {
				return withQuery(e.t, consent(e.t, c.AuthURL, demoDecision), func(q url.Values) { q.Add("iss", e.Provider.URL) })
			},
			status: http.StatusBadRequest, code: "issuer_mismatch",
		},
		{
			name: "iss wrong on an error redirect",
			callback: func(e *env, c connection) string {
				d := demoDecision
				d.Deny = true
				return withQuery(e.t, consent(e.t, c.AuthURL, d), func(q url.Values) { q.Set("iss", "https://attacker.example") })
			},
			status: http.StatusBadRequest, code: "issuer_mismatch",
		},
		{
			name: "code already redeemed by someone else",
			callback: func(e *env, c connection) string {
				cb := consent(e.t, c.AuthURL, demoDecision)
				u, _ := url.Parse(cb)
				// Someone who intercepted the code redeems it first. They do
				// not have Payap's verifier, so the provider burns the code
				// (checklist E38) and Payap's own exchange is refused.
				resp, err := http.PostForm(e.Provider.URL+"/token", url.Values{
					"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "client_id": {mockprovider.DefaultClientID},
					"redirect_uri": {e.URL + "/callback"}, "code_verifier": {strings.Repeat("x", 43)},
				})
				if err != nil {
					e.t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					e.t.Fatalf("hand exchange: status %d, want 400", resp.StatusCode)
				}
				return cb
			},
			status: http.StatusBadGateway, code: "token_exchange_failed", details: map[string]any{"providerError": "invalid_grant"},
		},
		{
			name: "provider unreachable",
			callback: func(e *env, c connection) string {
				cb := consent(e.t, c.AuthURL, demoDecision)
				e.Provider.Close()
				return cb
			},
			status: http.StatusBadGateway, code: "provider_unavailable", details: map[string]any{"assetType": defaultAssetType},
		},
		{
			name: "unparsable query",
			callback: func(e *env, c connection) string {
				return e.URL + "/callback?state=%zz"
			},
			status: http.StatusBadRequest, code: "invalid_callback", stillPending: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			token := e.demo()
			c := e.startConnection(token, defaultAssetType)
			cb := tc.callback(e, c)
			got := e.get(cb).wantError(tc.status, tc.code)
			for k, v := range tc.details {
				if got.Details[k] != v {
					t.Errorf("details.%s = %v, want %v (details %v)", k, got.Details[k], v, got.Details)
				}
			}
			if !tc.stillPending && !tc.unmatched && got.Details["connectionId"] != c.ID {
				t.Errorf("details.connectionId = %v, want %s", got.Details["connectionId"], c.ID)
			}
			if tc.stillPending {
				// Nothing was connected; the connection still waits for its callback.
				for _, x := range e.connections(token) {
					if x.Status != mockpayap.StatusPending {
						t.Errorf("connection %+v, want only the pending one", x)
					}
				}
				if got := e.wallet(token); len(got) != 0 {
					t.Errorf("wallet %+v, want empty", got)
				}
				return
			}
			e.wantNoConnection(token, c.ID, 0)
			// The state was used: opening the callback again does not revive it.
			if !strings.Contains(cb, "state=") {
				return
			}
			e.get(cb).wantError(http.StatusBadRequest, "invalid_state")
		})
	}
}

func TestSameCallbackTwice(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	_, cb := e.authorize(token, demoDecision)
	var first callbackResult
	e.get(cb).want(http.StatusOK, &first)
	e.get(cb).wantError(http.StatusBadRequest, "invalid_state")

	cs := e.connections(token)
	if len(cs) != 1 || cs[0].ID != first.Connection.ID || cs[0].Status != mockpayap.StatusConnected {
		t.Fatalf("connections %+v, want only the first, connected", cs)
	}
	items := e.wallet(token)
	if len(items) != demoAssetCount(t) {
		t.Fatalf("wallet %+v, want %d entries", items, demoAssetCount(t))
	}
	for _, it := range items {
		if it.Status != mockpayap.EntryAvailable {
			t.Errorf("entry %+v, want available: the replay must not have hurt the grant", it)
		}
	}
	// Payap exchanged the code once only.
	if n := countGrant(e.Wire.tokenCalls(), "authorization_code"); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
}

func TestCallbackFailureKeepsAnEarlierConnection(t *testing.T) {
	// A failed callback of one connection leaves the user's other,
	// connected one alone.
	e := newEnv(t)
	token := e.demo()
	first := e.connect(token, demoDecision)
	d := demoDecision
	d.Deny = true
	c, cb := e.authorize(token, d)
	e.get(cb).wantError(http.StatusForbidden, "access_denied")
	cs := e.connections(token)
	if len(cs) != 1 || cs[0].ID != first.Connection.ID || cs[0].Status != mockpayap.StatusConnected {
		t.Fatalf("connections %+v, want only %s connected", cs, first.Connection.ID)
	}
	e.wantNoConnection(token, c.ID, demoAssetCount(t))
}

func TestCallbackRedirectsToTheReturnURL(t *testing.T) {
	const returnURL = "http://localhost:5173/wallet?tab=connect"
	cases := []struct {
		name     string
		decision func() browser.Decision
		mangle   func(q url.Values)
		want     url.Values // outcome, error; connectionId checked apart
		withConn bool
	}{
		{name: "connected", decision: func() browser.Decision { return demoDecision }, want: url.Values{"outcome": {"connected"}}, withConn: true},
		{name: "denied", decision: func() browser.Decision { d := demoDecision; d.Deny = true; return d }, want: url.Values{"outcome": {"failed"}, "error": {"access_denied"}}, withConn: true},
		{name: "no state", decision: func() browser.Decision { return demoDecision }, mangle: func(q url.Values) { q.Del("state") }, want: url.Values{"outcome": {"failed"}, "error": {"invalid_state"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payapOpt(func(c *mockpayap.Config) { c.ReturnURL = returnURL }))
			token := e.demo()
			c, cb := e.authorize(token, tc.decision())
			if tc.mangle != nil {
				cb = withQuery(t, cb, tc.mangle)
			}
			r := e.get(cb)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("callback status %d, want 303; body %s", r.Status, r.Body)
			}
			loc, err := url.Parse(r.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "http://localhost:5173/wallet" {
				t.Fatalf("redirected to %s, want the return URL", loc)
			}
			q := loc.Query()
			if q.Get("tab") != "connect" {
				t.Errorf("the return URL's own query was lost: %s", loc)
			}
			for k := range tc.want {
				if q.Get(k) != tc.want.Get(k) {
					t.Errorf("%s = %q, want %q (%s)", k, q.Get(k), tc.want.Get(k), loc)
				}
			}
			if q.Get("outcome") == "failed" && q.Get("message") == "" {
				t.Errorf("a failure carries no message: %s", loc)
			}
			if q.Has("code") || q.Has("state") || q.Has("iss") {
				t.Errorf("the return URL carries OAuth parameters: %s", loc)
			}
			if tc.withConn && q.Get("connectionId") != c.ID {
				t.Errorf("connectionId = %q, want %s", q.Get("connectionId"), c.ID)
			}
			if !tc.withConn && q.Has("connectionId") {
				t.Errorf("connectionId %q sent for a callback matching no connection", q.Get("connectionId"))
			}
			if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy %q, want no-referrer", got)
			}
			connected := 0
			for _, x := range e.connections(token) {
				if x.Status == mockpayap.StatusConnected {
					connected++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.want.Get("outcome") == "connected"]; connected != want {
				t.Errorf("%d connected connections, want %d", connected, want)
			}
		})
	}
}

// TestRunsAgainstAProviderConfiguredOnlyByURL is the mock Payap pointed at a
// provider it knows only by URL and client credentials: a provider on a
// plain httptest listener, not built by internal/sandbox, discovered through
// RFC 8414, connected to and read from end to end. Each client
// authentication method Payap supports is used, with a secret that needs
// form-encoding in Basic credentials.
func TestRunsAgainstAProviderConfiguredOnlyByURL(t *testing.T) {
	const secret = "s3cr+t%with:colon"
	cases := []struct {
		name, clientID, secret, method string
	}{
		{"public client", "partner-public", "", mockpayap.AuthNone},
		{"client_secret_basic", "partner-basic", secret, mockpayap.AuthSecretBasic},
		{"client_secret_post", "partner-post", secret, mockpayap.AuthSecretPost},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFrozen(start)

			// The mock Payap's listener first: its URL is the redirect URI
			// the partner registers.
			payapSrv := httptest.NewUnstartedServer(nil)
			t.Cleanup(payapSrv.Close)
			payapURL := "http://" + payapSrv.Listener.Addr().String()

			// The partner's provider: any server that speaks the protocol.
			provSrv := httptest.NewUnstartedServer(nil)
			t.Cleanup(provSrv.Close)
			pcfg := mockprovider.DefaultConfig()
			pcfg.Issuer = "http://" + provSrv.Listener.Addr().String()
			pcfg.Clients = []mockprovider.Client{{
				ID: tc.clientID, Name: "Partner test", Secret: tc.secret, AuthMethod: tc.method,
				RedirectURIs: []string{payapURL + "/callback"},
			}}
			if err := pcfg.Validate(); err != nil {
				t.Fatal(err)
			}
			pstore := mockprovider.NewMemStore()
			if err := mockprovider.Seed(pstore, 7); err != nil {
				t.Fatal(err)
			}
			provSrv.Config.Handler = mockprovider.New(pcfg, mockprovider.Deps{Store: pstore, Clock: clk})
			provSrv.Start()

			// The mock Payap, told only the provider's URL and credentials.
			cfg := mockpayap.DefaultConfig()
			cfg.PublicURL = payapURL
			cfg.Provider = mockpayap.ProviderConfig{
				Name: "partner-points", Description: "Partner Points",
				BaseURL: pcfg.Issuer, ClientID: tc.clientID, ClientSecret: tc.secret, AuthMethod: tc.method,
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			store := mockpayap.NewMemStore()
			if err := mockpayap.Seed(store, 7); err != nil {
				t.Fatal(err)
			}
			if err := mockpayap.RegisterAssetType(store, cfg.Provider, ""); err != nil {
				t.Fatal(err)
			}
			keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
			if err != nil {
				t.Fatal(err)
			}
			payapSrv.Config.Handler = mockpayap.New(cfg, mockpayap.Deps{Store: store, Clock: clk, JWKS: keys})
			payapSrv.Start()

			a := &api{t: t, base: payapURL, client: noRedirects(nil)}
			token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			c := a.startConnection(token, "partner-points")
			if !strings.HasPrefix(c.AuthURL, pcfg.Issuer+"/authorize?") || !strings.Contains(c.AuthURL, "client_id="+tc.clientID) {
				t.Fatalf("authorization URL %s, want the partner's with client %s", c.AuthURL, tc.clientID)
			}
			loc, err := browser.New(nil).Authorize(context.Background(), c.AuthURL, demoDecision)
			if err != nil {
				t.Fatal(err)
			}
			var out callbackResult
			a.get(loc.String()).want(http.StatusOK, &out)
			if out.Connection.Status != mockpayap.StatusConnected || out.Connection.AssetType != "partner-points" {
				t.Fatalf("callback %+v, want connected", out)
			}
			items := a.wallet(token)
			if len(items) != demoAssetCount(t) {
				t.Fatalf("wallet %+v, want the demo user's assets", items)
			}
			for _, it := range items {
				if it.Status != mockpayap.EntryAvailable || it.Balance == nil || it.AssetType != "partner-points" {
					t.Errorf("entry %+v, want available", it)
				}
			}

			// Refresh and revocation use the same client authentication.
			if err := clk.Advance(2 * time.Hour); err != nil {
				t.Fatal(err)
			}
			for _, it := range a.wallet(token) {
				if it.Status != mockpayap.EntryAvailable {
					t.Errorf("after a refresh, entry %+v, want available", it)
				}
			}
			var del struct{ Deleted, Revoked bool }
			a.do(http.MethodDelete, "/api/connections/"+out.Connection.ID, token, nil).want(http.StatusOK, &del)
			if !del.Deleted || !del.Revoked {
				t.Fatalf("delete %+v, want deleted and revoked", del)
			}
			for _, g := range pstore.Grants() {
				if g.ClientID == tc.clientID && !g.Revoked() {
					t.Errorf("grant %s is still live after disconnect", g.ID)
				}
			}
		})
	}
}
