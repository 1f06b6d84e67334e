package mockprovider

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// serveStore starts a fresh provider handler over st on its own loopback
// listener, with h's config (but its own issuer), clock and Payap keys.
func serveStore(t *testing.T, h *payHarness, st *MemStore) *payHarness {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := h.cfg
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	handler := New(cfg, Deps{Store: st, Clock: h.clock})
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &payHarness{
		harness: &harness{t: t, cfg: cfg, store: st, clock: h.clock, server: srv, handler: handler, issuer: cfg.Issuer,
			browser: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}},
		keys: h.keys, signer: h.signer, jwks: h.jwks,
	}
}

// refreshToken redeems a refresh token as the public payap client.
func (h *harness) refreshToken(rt string) *http.Response {
	h.t.Helper()
	return h.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultClientID}}, "", "")
}

// snapshotJSON marshals the store's snapshot.
func snapshotJSON(t *testing.T, s *MemStore) []byte {
	t.Helper()
	b, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatalf("marshal snapshot: %v", err)
	}
	return b
}

// TestH1SnapshotRoundTrip builds state through the HTTP surface, exports
// it as JSON, restores it into a fresh store behind a fresh handler and
// checks that tokens, transactions and balances carry over.
func TestH1SnapshotRoundTrip(t *testing.T) {
	h := newPayHarness(t)
	extra := Client{ID: "extra", Name: "Extra", AuthMethod: AuthSecretPost, Secret: "extra-secret", RedirectURIs: []string{testRedirect}}
	if err := h.store.PutClient(extra); err != nil {
		t.Fatal(err)
	}
	first := h.tokens()
	var rotated tokenResponse
	decode(t, h.refreshToken(first.RefreshToken), http.StatusOK, &rotated)
	tok := rotated.AccessToken

	paid := attempt(t, h.pay(tok, payBody("t-1", "12345", "1000")))
	if paid["status"] != StatusSuccessful {
		t.Fatalf("pay = %v, want successful", paid)
	}
	if r := attempt(t, h.signedPost("/refund", refundBody("r-1", "t-1", "400"))); r["status"] != StatusSuccessful {
		t.Fatalf("refund = %v, want successful", r)
	}
	payAnswer := h.pay(tok, payBody("p-1", PendingAssetID, "500"))
	if g := attempt(t, h.get("p-1")); g["status"] != StatusPending {
		t.Fatalf("first poll of p-1 = %v, want pending", g)
	}
	gets := map[string][]byte{}
	for _, id := range []string{"t-1", "r-1"} {
		gets[id] = h.get(id).body
	}

	raw := snapshotJSON(t, h.store)
	var snap Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		t.Fatal(err)
	}
	fresh := NewMemStore()
	if err := fresh.Restore(snap); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if again := snapshotJSON(t, fresh); !bytes.Equal(again, raw) {
		t.Fatalf("restored snapshot differs:\nbefore %s\nafter  %s", raw, again)
	}
	h2 := serveStore(t, h, fresh)

	t.Run("access token reads assets", func(t *testing.T) {
		var assets []assetJSON
		decode(t, h2.bearerGet("/assets", tok), http.StatusOK, &assets)
		if len(assets) != len(demoAssets) || assets[0].Balance != "4400" {
			t.Fatalf("GET /assets = %+v, want the demo's assets with 12345 at 4400", assets)
		}
	})
	t.Run("get answers the same", func(t *testing.T) {
		for id, want := range gets {
			if got := h2.get(id).body; !bytes.Equal(got, want) {
				t.Errorf("GET /get %s = %s, want %s", id, got, want)
			}
		}
	})
	t.Run("replayed pay answers the stored bytes", func(t *testing.T) {
		if r := h2.pay(tok, payBody("p-1", PendingAssetID, "500")); !bytes.Equal(r.body, payAnswer.body) {
			t.Fatalf("replay = %s, want %s", r.body, payAnswer.body)
		}
	})
	t.Run("pending poll counter carries over", func(t *testing.T) {
		got := attempt(t, h2.get("p-1"))
		if got["status"] != StatusSuccessful {
			t.Fatalf("second poll after restore = %v, want successful", got)
		}
		if b := h2.balance(PendingAssetID); b != 19500 {
			t.Fatalf("Slow Points balance %d, want 19500", b)
		}
	})
	t.Run("balances equal", func(t *testing.T) {
		for _, id := range []string{"12345", "56789"} {
			if a, b := h.balance(id), h2.balance(id); a != b {
				t.Errorf("asset %s: balance %d before, %d after restore", id, a, b)
			}
		}
	})
	t.Run("store client carries over", func(t *testing.T) {
		if got := fresh.Clients(); len(got) != 1 || got[0].ID != extra.ID || got[0].Secret != extra.Secret {
			t.Fatalf("Clients() = %+v, want the extra client with its secret", got)
		}
	})
	t.Run("current refresh token refreshes, rotated one is reuse", func(t *testing.T) {
		var next tokenResponse
		decode(t, h2.refreshToken(rotated.RefreshToken), http.StatusOK, &next)
		resp := h2.bearerGet("/assets", next.AccessToken)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refreshed access token: %d", resp.StatusCode)
		}
		wantOAuthError(t, h2.refreshToken(first.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("a new grant gets a new id", func(t *testing.T) {
		h2.tokens()
		seen := map[string]bool{}
		for _, g := range fresh.Grants() {
			if seen[g.ID] {
				t.Fatalf("grant id %s issued twice", g.ID)
			}
			seen[g.ID] = true
		}
		if len(seen) != 2 {
			t.Fatalf("%d grants, want 2", len(seen))
		}
	})
}

// TestH1SnapshotIsDeepCopy: changing a snapshot changes nothing in the store.
func TestH1SnapshotIsDeepCopy(t *testing.T) {
	h := newPayHarness(t)
	if err := h.store.PutClient(Client{ID: "x", AuthMethod: AuthNone, RedirectURIs: []string{testRedirect}}); err != nil {
		t.Fatal(err)
	}
	attempt(t, h.pay(h.payToken(), payBody("t-1", "12345", "100")))
	before := snapshotJSON(t, h.store)
	snap := h.store.Snapshot()
	snap.Clients[0].RedirectURIs[0] = "http://127.0.0.1/changed"
	snap.Transactions[0].Attempt.MerchantLocation[0] = '['
	snap.Transactions[0].Answer[0] = '['
	*snap.Transactions[0].Attempt.Refundable = false
	snap.Assets[0].Balance = 1
	if after := snapshotJSON(t, h.store); !bytes.Equal(before, after) {
		t.Fatalf("editing a snapshot changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// validSnapshot is a small consistent snapshot with one of everything.
func validSnapshot(t *testing.T) Snapshot {
	t.Helper()
	h := newPayHarness(t)
	if err := h.store.PutClient(Client{ID: "extra", AuthMethod: AuthSecretBase, Secret: "s", RedirectURIs: []string{testRedirect}}); err != nil {
		t.Fatal(err)
	}
	attempt(t, h.pay(h.payToken(), payBody("t-1", PendingAssetID, "100")))
	return h.store.Snapshot()
}

// cloneSnapshot deep-copies a snapshot through JSON.
func cloneSnapshot(t *testing.T, s Snapshot) Snapshot {
	t.Helper()
	var out Snapshot
	if err := json.Unmarshal(mustJSON(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestH1RestoreRejects(t *testing.T) {
	base := validSnapshot(t)
	if len(base.Users) < 2 || len(base.Assets) < 3 || len(base.Grants) != 1 || len(base.AccessTokens) != 1 ||
		len(base.RefreshTokens) != 1 || len(base.Transactions) != 1 || len(base.Clients) != 1 {
		t.Fatalf("the base snapshot lacks something: %+v", base)
	}
	for _, tc := range []struct {
		name   string
		mutate func(s *Snapshot)
		want   string
	}{
		{"wrong version", func(s *Snapshot) { s.Version = 2 }, "version 2"},
		{"user without username", func(s *Snapshot) { s.Users[0].Username = "" }, "users[0]: a user needs an id and a username"},
		{"duplicate user id", func(s *Snapshot) { s.Users[1].ID = s.Users[0].ID }, "users[1]: id"},
		{"duplicate username", func(s *Snapshot) { s.Users[1].Username = s.Users[0].Username }, "users[1]: username"},
		{"asset owner missing", func(s *Snapshot) { s.Assets[2].UserID = "u9" }, `assets[2]: owner "u9" is not a user`},
		{"duplicate asset id", func(s *Snapshot) { s.Assets[1].ID = s.Assets[0].ID }, "assets[1]: id"},
		{"asset without id", func(s *Snapshot) { s.Assets[0].ID = "" }, "assets[0]: id is required"},
		{"negative balance", func(s *Snapshot) { s.Assets[0].Balance = -1 }, "assets[0]: balance -1 is negative"},
		{"bad pending polls", func(s *Snapshot) { s.Assets[0].PendingPolls = -1 }, "assets[0]: pendingPolls must be between"},
		{"bad currency", func(s *Snapshot) { s.Assets[0].Currency = "nzd" }, `assets[0]: currency "nzd"`},
		{"invalid client", func(s *Snapshot) { s.Clients[0].Secret = "" }, "clients[0] uses client_secret_basic and needs a secret"},
		{"duplicate client", func(s *Snapshot) { s.Clients = append(s.Clients, s.Clients[0]) }, "clients[1]: id"},
		{"grant of unknown user", func(s *Snapshot) { s.Grants[0].UserID = "nobody" }, `grants[0]: userId "nobody" is not a user`},
		{"grant without scope", func(s *Snapshot) { s.Grants[0].Scope = 0 }, "grants[0]: scope must be"},
		{"duplicate grant", func(s *Snapshot) { s.Grants = append(s.Grants, s.Grants[0]) }, "grants[1]: id"},
		{"short hash", func(s *Snapshot) { s.AccessTokens[0].Hash = "abc" }, "accessTokens[0]: hash must be 64 hex digits"},
		{"hash not hex", func(s *Snapshot) { s.AccessTokens[0].Hash = strings.Repeat("z", 64) }, "accessTokens[0]: hash must be 64 hex digits"},
		{"access of unknown grant", func(s *Snapshot) { s.AccessTokens[0].GrantID = "grant_999" }, `accessTokens[0]: grantId "grant_999" is not a grant`},
		{"access wider than grant", func(s *Snapshot) { s.Grants[0].Scope = ScopeRead }, `scope "assets:read assets:pay" is wider than its grant's "assets:read"`},
		{"refresh of unknown grant", func(s *Snapshot) { s.RefreshTokens[0].GrantID = "nope" }, `refreshTokens[0]: grantId "nope"`},
		{"refresh generation zero", func(s *Snapshot) { s.RefreshTokens[0].Generation = 0 }, "refreshTokens[0]: generation 0"},
		{"hash shared by two tokens", func(s *Snapshot) { s.RefreshTokens[0].Hash = s.AccessTokens[0].Hash }, "refreshTokens[0]: hash"},
		{"transaction of unknown asset", func(s *Snapshot) { s.Transactions[0].AssetID = "nope" }, `transactions[0]: assetId "nope" is not an asset`},
		{"transaction of unknown user", func(s *Snapshot) { s.Transactions[0].UserID = "nope" }, `transactions[0]: userId "nope"`},
		{"transaction answer not JSON", func(s *Snapshot) { s.Transactions[0].Answer = json.RawMessage("{") }, "transactions[0]: answer"},
		{"transaction amount mismatch", func(s *Snapshot) { s.Transactions[0].Amount = 7 }, "transactions[0]: attempt.amount"},
		{"pending without polls", func(s *Snapshot) { s.Transactions[0].PollsNeeded = 0 }, "transactions[0]: a pending payment needs pollsNeeded"},
		{"bad status", func(s *Snapshot) { s.Transactions[0].Attempt.Status = "done" }, `transactions[0]: attempt.status "done"`},
		{"duplicate transaction", func(s *Snapshot) { s.Transactions = append(s.Transactions, s.Transactions[0]) }, "transactions[1]: transactionId"},
		{"bad refund window", func(s *Snapshot) { s.Transactions[0].RefundWindow = "soon" }, `transactions[0]: refundWindow "soon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := NewMemStore()
			if err := Seed(target, 7); err != nil {
				t.Fatal(err)
			}
			before := snapshotJSON(t, target)
			bad := cloneSnapshot(t, base)
			tc.mutate(&bad)
			err := target.Restore(bad)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore: err = %v, want one containing %q", err, tc.want)
			}
			if after := snapshotJSON(t, target); !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the store")
			}
		})
	}
	t.Run("the base itself restores", func(t *testing.T) {
		if err := NewMemStore().Restore(cloneSnapshot(t, base)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestH1RestoreReplacesEverything: restoring an empty snapshot leaves an
// empty store, and codes issued before are gone.
func TestH1RestoreReplacesEverything(t *testing.T) {
	h := newHarness(t)
	code, verifier := h.code()
	tr := h.tokens()
	if err := h.store.Restore(Snapshot{Version: SnapshotVersion}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.store.Users()) + len(h.store.Grants()) + len(h.store.Transactions()) + len(h.store.Clients()); n != 0 {
		t.Fatalf("%d items left after restoring an empty snapshot", n)
	}
	resp := h.bearerGet("/assets", tr.AccessToken)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old access token: %d, want 401", resp.StatusCode)
	}
	wantOAuthError(t, h.token(code, verifier), http.StatusBadRequest, "invalid_grant")
}
