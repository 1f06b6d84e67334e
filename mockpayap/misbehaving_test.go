package mockpayap_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/mockpayap"
)

func TestDiscoveryRefusesBadMetadata(t *testing.T) {
	cases := []struct {
		name    string
		meta    func(f *fakeProvider, m map[string]any)
		mention string
	}{
		{"issuer differs", func(f *fakeProvider, m map[string]any) { m["issuer"] = "https://other.example" }, "RFC 8414"},
		{"issuer with a trailing slash", func(f *fakeProvider, m map[string]any) { m["issuer"] = f.URL + "/" }, "RFC 8414"},
		{"issuer localhost for 127.0.0.1", func(f *fakeProvider, m map[string]any) {
			m["issuer"] = strings.Replace(f.URL, "127.0.0.1", "localhost", 1)
		}, "RFC 8414"},
		{"no S256", func(f *fakeProvider, m map[string]any) { m["code_challenge_methods_supported"] = []string{"plain"} }, "S256"},
		{"no PKCE methods at all", func(f *fakeProvider, m map[string]any) { delete(m, "code_challenge_methods_supported") }, "S256"},
		{"no token endpoint", func(f *fakeProvider, m map[string]any) { delete(m, "token_endpoint") }, "token_endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fp *fakeProvider
			e := newFakeEnv(t, func(f *fakeProvider) {
				fp = f
				f.Meta = func(m map[string]any) { tc.meta(fp, m) }
			})
			token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			got := e.do(http.MethodPost, "/api/connections", token, map[string]string{"assetType": defaultAssetType}).
				wantError(http.StatusBadGateway, "provider_unavailable")
			if !strings.Contains(got.Message, tc.mention) {
				t.Errorf("message %q does not mention %s", got.Message, tc.mention)
			}
			if got.Details["assetType"] != defaultAssetType {
				t.Errorf("details %v, want assetType", got.Details)
			}
			if cs := e.connections(token); len(cs) != 0 {
				t.Errorf("connections %+v after a refused start, want none", cs)
			}
		})
	}
}

func TestDiscoveryFailureIsNotCached(t *testing.T) {
	// A provider that is down when the first connection starts is found
	// once it is up: failed discovery is not remembered.
	var down sync.Mutex
	broken := true
	e := newFakeEnv(t, func(f *fakeProvider) {
		f.Meta = func(m map[string]any) {
			down.Lock()
			defer down.Unlock()
			if broken {
				m["issuer"] = "https://not-yet.example"
			}
		}
	})
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	e.do(http.MethodPost, "/api/connections", token, map[string]string{"assetType": defaultAssetType}).wantError(http.StatusBadGateway, "provider_unavailable")
	down.Lock()
	broken = false
	down.Unlock()
	e.startConnection(token, defaultAssetType)
}

func TestBadAssetListLeavesNoConnection(t *testing.T) {
	cases := []struct {
		name, body, mention string
	}{
		{"object instead of array", `{"assets":[{"id":"a1","userId":"u","balance":"1","description":"d"}]}`, "array"},
		{"missing balance", `[{"id":"a1","userId":"u","description":"d"}]`, `"balance"`},
		{"missing userId", `[{"id":"a1","balance":"1","description":"d"}]`, `"userId"`},
		{"non-digit balance", `[{"id":"a1","userId":"u","balance":"12.50","description":"d"}]`, "balance"},
		{"negative balance", `[{"id":"a1","userId":"u","balance":"-5","description":"d"}]`, "balance"},
		{"numeric balance", `[{"id":"a1","userId":"u","balance":100,"description":"d"}]`, "balance"},
		{"empty id", `[{"id":"","userId":"u","balance":"1","description":"d"}]`, "id"},
		{"second asset bad", `[{"id":"a1","userId":"u","balance":"1","description":"d"},{"id":"a2","userId":"u","balance":"","description":"d"}]`, "balance"},
		{"not JSON", `<html>oops</html>`, "array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, func(f *fakeProvider) { f.AssetsBody = tc.body })
			token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			c, cb := e.authorize(token)
			got := e.get(cb).wantError(http.StatusBadGateway, "provider_bad_response")
			if !strings.Contains(got.Message, tc.mention) {
				t.Errorf("message %q does not name %s", got.Message, tc.mention)
			}
			if got.Details["connectionId"] != c.ID {
				t.Errorf("details %v, want connectionId %s", got.Details, c.ID)
			}
			if cs := e.connections(token); len(cs) != 0 {
				t.Errorf("connections %+v, want none", cs)
			}
			if items := e.wallet(token); len(items) != 0 {
				t.Errorf("wallet %+v, want empty", items)
			}
			// The tokens obtained are not left live at the provider.
			if n := e.Fake.Revocations.Load(); n != 1 {
				t.Errorf("%d revocations, want 1 (the refresh token of the abandoned grant)", n)
			}
		})
	}
}

func TestAssetReadFailureIsPerEntry(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		code   string
	}{
		{"500", func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) }, "provider_error"},
		{"404", func(w http.ResponseWriter) { http.Error(w, "gone", http.StatusNotFound) }, "asset_not_found"},
		{"403 insufficient_scope", func(w http.ResponseWriter) {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="assets:read"`)
			w.WriteHeader(http.StatusForbidden)
		}, "insufficient_scope"},
		{"not JSON", func(w http.ResponseWriter) { fmt.Fprint(w, "<html>") }, "provider_bad_response"},
		{"balance missing", func(w http.ResponseWriter) { fmt.Fprint(w, `{"id":"f2","userId":"fu1","description":"d"}`) }, "provider_bad_response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, func(f *fakeProvider) {
				f.Asset = func(w http.ResponseWriter, token, id string) {
					if id == "f2" {
						tc.answer(w)
						return
					}
					writeAsset(w, id, "100")
				}
			})
			token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			out := e.connect(token)
			if out.Connection.Status != mockpayap.StatusConnected {
				t.Fatalf("callback %+v, want connected", out)
			}
			items := e.wallet(token)
			if len(items) != 2 {
				t.Fatalf("wallet %+v, want 2 entries", items)
			}
			for _, it := range items {
				switch it.AssetID {
				case "f1":
					if it.Status != mockpayap.EntryAvailable || it.Balance == nil || *it.Balance != "100" {
						t.Errorf("healthy entry %+v, want available", it)
					}
				case "f2":
					if it.Status != mockpayap.EntryUnavailable || it.Balance != nil || it.Problem == nil || it.Problem.Code != tc.code || it.Problem.Message == "" {
						t.Errorf("failing entry %+v, want unavailable with problem %s", it, tc.code)
					}
					var one walletItem
					e.do(http.MethodGet, "/api/wallet/"+it.ID, token, nil).want(http.StatusOK, &one)
					if one.Status != mockpayap.EntryUnavailable || one.Problem == nil || one.Problem.Code != tc.code {
						t.Errorf("GET /api/wallet/%s = %+v", it.ID, one)
					}
				}
			}
			// A resource error is not a grant problem.
			if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected {
				t.Errorf("connection %+v, want still connected", c)
			}
			if n := e.Fake.Refreshes.Load(); n != 0 {
				t.Errorf("%d refreshes, want 0", n)
			}
		})
	}
}

func TestTokenResponseWithoutScopeMeansAsRequested(t *testing.T) {
	e := newFakeEnv(t, func(f *fakeProvider) { f.TokenScope = nil })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	if out.Connection.Scope != "assets:read assets:pay" || !out.Connection.CanPay {
		t.Fatalf("connection %+v, want the requested scope and canPay", out.Connection)
	}
	// A refresh without scope keeps it.
	e.advance(2 * time.Hour)
	e.wallet(token)
	if n := e.Fake.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if c := e.connection(token, out.Connection.ID); c.Scope != "assets:read assets:pay" || !c.CanPay {
		t.Fatalf("after a refresh, connection %+v, want the scope kept", c)
	}
}

func TestRefreshNarrowsTheStoredScope(t *testing.T) {
	// A provider that narrows the scope on refresh: the stored scope and
	// canPay follow the token response.
	narrowed := "assets:read"
	e := newFakeEnv(t, func(f *fakeProvider) { f.RefreshScope = &narrowed })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	if !out.Connection.CanPay {
		t.Fatalf("connection %+v, want canPay", out.Connection)
	}
	e.advance(2 * time.Hour)
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.EntryAvailable || it.CanPay {
			t.Errorf("entry %+v, want available and canPay false", it)
		}
	}
	if c := e.connection(token, out.Connection.ID); c.Scope != "assets:read" || c.CanPay {
		t.Fatalf("connection %+v, want scope assets:read and canPay false", c)
	}
}

func TestRefreshInvalidGrantNeedsReconnect(t *testing.T) {
	e := newFakeEnv(t, func(f *fakeProvider) { f.RefreshError = "invalid_grant" })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	e.advance(time.Hour)
	items := e.wallet(token)
	if len(items) != 2 {
		t.Fatalf("wallet %+v", items)
	}
	for _, it := range items {
		if it.Status != mockpayap.StatusReconnectRequired || it.Balance != nil || it.CanPay || it.Problem == nil ||
			it.Problem.Code != "reconnect_required" || !strings.Contains(it.Problem.Message, "/reconnect") {
			t.Errorf("entry %+v, want reconnect_required with a message pointing at /reconnect", it)
		}
	}
	c := e.connection(token, out.Connection.ID)
	if c.Status != mockpayap.StatusReconnectRequired || c.CanPay || c.Problem == nil || c.Problem.Code != "invalid_grant" {
		t.Fatalf("connection %+v, want reconnect_required with problem invalid_grant", c)
	}
	// Payap stops: no more refreshes once the grant is known to be gone.
	before := e.Fake.Refreshes.Load()
	if before != 1 {
		t.Errorf("%d refreshes, want 1", before)
	}
	e.wallet(token)
	e.advance(time.Hour)
	e.wallet(token)
	if n := e.Fake.Refreshes.Load(); n != before {
		t.Errorf("%d refreshes after the grant died, want none", n-before)
	}
}

func TestRefreshTransientFailureDoesNotBreakTheConnection(t *testing.T) {
	// §2 item 9: only invalid_grant means re-consent; a temporary failure
	// does not.
	e := newFakeEnv(t, func(f *fakeProvider) { f.RefreshError = "temporarily_unavailable" })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	e.advance(time.Hour)
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.EntryUnavailable || it.Problem == nil {
			t.Errorf("entry %+v, want unavailable with a problem", it)
		}
	}
	if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected {
		t.Fatalf("connection %+v, want still connected", c)
	}
}

func TestResource401RefreshesOnceAndRetries(t *testing.T) {
	// The provider refuses the access token from the code (revoked on its
	// side, say) but accepts a refreshed one.
	refuseCodeToken := func(w http.ResponseWriter, token, id string) {
		if !strings.HasPrefix(token, "at-refresh-") {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeAsset(w, id, "777")
	}
	cases := []struct {
		name   string
		assets string
		// minReads, maxReads: with two entries read at once, the second may
		// start after the first refreshed and need no retry.
		minReads, maxReads int64
	}{
		{"one entry", `[{"id":"f1","userId":"fu1","balance":"100","description":"Fake Points"}]`, 2, 2},
		{"two entries read at once", fakeAssets, 3, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, func(f *fakeProvider) { f.AssetsBody = tc.assets; f.Asset = refuseCodeToken })
			token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			out := e.connect(token)
			for _, it := range e.wallet(token) {
				if it.Status != mockpayap.EntryAvailable || it.Balance == nil || *it.Balance != "777" {
					t.Errorf("entry %+v, want available after the retry", it)
				}
			}
			if n := e.Fake.Refreshes.Load(); n != 1 {
				t.Errorf("%d refreshes, want 1", n)
			}
			if n := e.Fake.AssetReads.Load(); n < tc.minReads || n > tc.maxReads {
				t.Errorf("%d asset reads, want %d to %d: one 401 and one retry per entry at most", n, tc.minReads, tc.maxReads)
			}
			if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected {
				t.Errorf("connection %+v, want connected", c)
			}
			// The refreshed token is kept: no further refresh.
			e.wallet(token)
			if n := e.Fake.Refreshes.Load(); n != 1 {
				t.Errorf("%d refreshes after a second read, want still 1", n)
			}
		})
	}
}

func TestResource401TwiceNeedsReconnect(t *testing.T) {
	e := newFakeEnv(t, func(f *fakeProvider) {
		f.AssetsBody = `[{"id":"f1","userId":"fu1","balance":"100","description":"Fake Points"}]`
		f.Asset = func(w http.ResponseWriter, token, id string) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	items := e.wallet(token)
	if len(items) != 1 || items[0].Status != mockpayap.StatusReconnectRequired || items[0].Problem == nil {
		t.Fatalf("wallet %+v, want one entry needing reconnect", items)
	}
	if n := e.Fake.Refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if n := e.Fake.AssetReads.Load(); n != 2 {
		t.Errorf("%d asset reads, want 2 (the call and one retry)", n)
	}
	c := e.connection(token, out.Connection.ID)
	if c.Status != mockpayap.StatusReconnectRequired || c.Problem == nil || c.Problem.Code != "invalid_token" {
		t.Fatalf("connection %+v, want reconnect_required (invalid_token)", c)
	}
	// No more provider calls for a broken connection.
	e.wallet(token)
	if n := e.Fake.AssetReads.Load(); n != 2 {
		t.Errorf("%d asset reads after the connection broke, want still 2", n)
	}
}

func TestConcurrentReadsRefreshOnce(t *testing.T) {
	e := newFakeEnv(t, func(f *fakeProvider) {
		f.AssetsBody = `[` +
			`{"id":"f1","userId":"fu1","balance":"1","description":"A"},` +
			`{"id":"f2","userId":"fu1","balance":"2","description":"B"},` +
			`{"id":"f3","userId":"fu1","balance":"3","description":"C"},` +
			`{"id":"f4","userId":"fu1","balance":"4","description":"D"},` +
			`{"id":"f5","userId":"fu1","balance":"5","description":"E"}]`
	})
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	e.connect(token)
	items := e.wallet(token)
	e.advance(time.Hour + time.Minute) // every access token has expired

	const readers = 12
	var wg sync.WaitGroup
	errs := make(chan string, readers*2)
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/api/wallet"
			if i%2 == 1 {
				path = "/api/wallet/" + items[i%len(items)].ID
			}
			req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := e.client.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Sprintf("GET %s: %d", path, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if n := e.Fake.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refresh requests reached the token endpoint, want exactly 1", n)
	}
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.EntryAvailable {
			t.Errorf("entry %+v, want available", it)
		}
	}
	if n := e.Fake.Refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes after another read, want still 1", n)
	}
}

func TestHangingProviderIsBoundedByProviderTimeout(t *testing.T) {
	// Deps.HTTPClient has no timeout of its own: every call to a provider,
	// discovery included, must be bounded by Config.ProviderTimeout. The
	// fake's metadata never answers; the app request must still end in a
	// 502 rather than hang with it. (The short timeout is the behaviour
	// under test, not a timing assertion; the client deadline only stops a
	// broken build from hanging the suite.)
	cases := []struct {
		name, path string
		body       func(f *fakeProvider) any
	}{
		{"create connection", "/api/connections", func(*fakeProvider) any { return map[string]string{"assetType": defaultAssetType} }},
		{"register asset type", "/api/asset-types", func(f *fakeProvider) any {
			return map[string]string{"name": "hanging-points", "description": "Hanging", "providerBaseUrl": f.URL, "clientId": "payap"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, func(f *fakeProvider) { f.HangMetadata = true },
				func(c *mockpayap.Config) { c.ProviderTimeout = 200 * time.Millisecond })
			token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got := e.do(http.MethodPost, tc.path, token, tc.body(e.Fake), func(r *http.Request) { *r = *r.WithContext(ctx) }).
				wantError(http.StatusBadGateway, "provider_unavailable")
			if !strings.Contains(got.Message, "deadline") {
				t.Errorf("message %q, want it to say the provider timed out", got.Message)
			}
		})
	}
}

func TestProviderWithoutRefreshTokens(t *testing.T) {
	e := newFakeEnv(t, func(f *fakeProvider) { f.NoRefreshToken = true })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	out := e.connect(token)
	e.advance(time.Hour)
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.StatusReconnectRequired {
			t.Errorf("entry %+v, want reconnect_required once the access token expired", it)
		}
	}
	c := e.connection(token, out.Connection.ID)
	if c.Status != mockpayap.StatusReconnectRequired || c.Problem == nil || c.Problem.Code != "token_expired" {
		t.Fatalf("connection %+v, want reconnect_required (token_expired)", c)
	}
	if n := e.Fake.Refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes without a refresh token", n)
	}
	// Nothing to revoke on delete.
	var del struct {
		Deleted, Revoked  bool
		RevocationProblem *problem `json:"revocationProblem"`
	}
	e.do(http.MethodDelete, "/api/connections/"+c.ID, token, nil).want(http.StatusOK, &del)
	if !del.Deleted || del.Revoked || del.RevocationProblem != nil || e.Fake.Revocations.Load() != 0 {
		t.Fatalf("delete %+v, revocations %d: want deleted, nothing revoked", del, e.Fake.Revocations.Load())
	}
}

func TestRefreshWithoutRotationKeepsTheRefreshToken(t *testing.T) {
	// RFC 6749 §6: a refresh response without refresh_token means keep the
	// old one.
	e := newFakeEnv(t, func(f *fakeProvider) { f.KeepRefreshToken = true })
	token := e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	e.connect(token)
	original := latestRefresh(t, e.Wire)
	for i := 0; i < 3; i++ {
		e.advance(time.Hour)
		for _, it := range e.wallet(token) {
			if it.Status != mockpayap.EntryAvailable {
				t.Fatalf("round %d: entry %+v, want available", i, it)
			}
		}
	}
	calls := e.Wire.tokenCalls()
	if n := countGrant(calls, "refresh_token"); n != 3 {
		t.Fatalf("%d refreshes, want 3", n)
	}
	for _, c := range calls {
		if c.GrantType == "refresh_token" && c.SentRefresh != original {
			t.Errorf("refresh sent %q, want the original refresh token kept", c.SentRefresh)
		}
	}
}
