package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestH1PutClient(t *testing.T) {
	good := Client{ID: "extra", Name: "Extra", AuthMethod: AuthSecretPost, Secret: "extra+secret", RedirectURIs: []string{testRedirect}}
	for _, tc := range []struct {
		name   string
		client Client
		want   string
	}{
		{"no id", Client{AuthMethod: AuthNone, RedirectURIs: []string{testRedirect}}, ".id is required"},
		{"public with a secret", Client{ID: "p", AuthMethod: AuthNone, Secret: "x", RedirectURIs: []string{testRedirect}}, "has a secret"},
		{"confidential without a secret", Client{ID: "c", AuthMethod: AuthSecretBase, RedirectURIs: []string{testRedirect}}, "needs a secret"},
		{"unknown auth method", Client{ID: "c", AuthMethod: "private_key_jwt", RedirectURIs: []string{testRedirect}}, "auth_method"},
		{"no redirect uri", Client{ID: "c", AuthMethod: AuthNone}, "needs at least one URI"},
		{"http redirect off loopback", Client{ID: "c", AuthMethod: AuthNone, RedirectURIs: []string{"http://example.com/cb"}}, "not loopback"},
		{"unknown grant type", Client{ID: "c", AuthMethod: AuthNone, RedirectURIs: []string{testRedirect}, GrantTypes: []string{"password"}}, "not supported"},
		{"duplicate id", good, "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemStore()
			if err := s.PutClient(good); err != nil {
				t.Fatal(err)
			}
			err := s.PutClient(tc.client)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("PutClient: err = %v, want one containing %q", err, tc.want)
			}
			if got := s.Clients(); len(got) != 1 || got[0].ID != good.ID {
				t.Fatalf("Clients() = %+v, want only %s", got, good.ID)
			}
		})
	}
}

// TestH1StoreClientOverHTTP: a client registered at run time authorizes
// and redeems a code; a config client with the same id wins.
func TestH1StoreClientOverHTTP(t *testing.T) {
	h := newHarness(t)
	extra := Client{ID: "extra", Name: "Extra", AuthMethod: AuthSecretPost, Secret: "extra+secret", RedirectURIs: []string{testRedirect}}
	if err := h.store.PutClient(extra); err != nil {
		t.Fatal(err)
	}
	// Registered in the store with a redirect URI the config's payap client
	// lacks: the config client is used, so that URI is refused.
	shadow := Client{ID: DefaultClientID, AuthMethod: AuthNone, RedirectURIs: []string{"https://shadow.example.test/cb"}}
	if err := h.store.PutClient(shadow); err != nil {
		t.Fatal(err)
	}

	t.Run("home page lists it", func(t *testing.T) {
		resp := h.get("/")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "extra") {
			t.Fatalf("home page does not list the store client:\n%s", b)
		}
	})
	t.Run("authorize and token", func(t *testing.T) {
		verifier, challenge := pkce()
		q := authParams(challenge)
		q.Set("client_id", extra.ID)
		cb := redirectParams(t, h.approve(h.login(q, DemoUsername, DemoPassword), "assets:read"), http.StatusSeeOther)
		resp := h.post("/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {testRedirect},
			"code_verifier": {verifier}, "client_id": {extra.ID}, "client_secret": {extra.Secret},
		}, "", "")
		var tr tokenResponse
		decode(t, resp, http.StatusOK, &tr)
		if tr.Scope != "assets:read" {
			t.Fatalf("scope %q, want assets:read", tr.Scope)
		}
		if g := h.store.Grants(); len(g) != 1 || g[0].ClientID != extra.ID {
			t.Fatalf("grants %+v, want one for %s", g, extra.ID)
		}
	})
	t.Run("config client shadows the store's", func(t *testing.T) {
		_, challenge := pkce()
		q := authParams(challenge)
		q.Set("redirect_uri", shadow.RedirectURIs[0])
		resp := h.authorize(q.Encode())
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("authorize with the shadowed client's URI: %d, want 400", resp.StatusCode)
		}
	})
}

func TestH1AddUser(t *testing.T) {
	t.Run("adds the user and assets", func(t *testing.T) {
		h := newHarness(t)
		err := h.store.AddUser(User{Username: "alice", Password: "wonderland", Name: "Alice"},
			[]Asset{{ID: "pts-1", Description: "Everyday Points", Balance: 5000, PendingPolls: 2, PartialRefunds: true}})
		if err != nil {
			t.Fatal(err)
		}
		u, ok := h.store.UserByUsername("alice")
		if !ok || u.ID != UserIDFor("alice") || u.ID != "u-2bd806c97f0e" {
			t.Fatalf("user %+v, want id %s", u, UserIDFor("alice"))
		}
		want := []Asset{{ID: "pts-1", UserID: u.ID, Description: "Everyday Points", Currency: "NZD", Balance: 5000, PendingPolls: 2, PartialRefunds: true}}
		if got := h.store.Assets(u.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("assets %+v, want %+v", got, want)
		}
		// The fixture user signs in through the real pages.
		_, challenge := pkce()
		h.login(authParams(challenge), "alice", "wonderland")
	})

	for _, tc := range []struct {
		name   string
		user   User
		assets []Asset
		want   string
	}{
		{"duplicate username", User{Username: DemoUsername, Password: "x"}, nil, `username "demo": already exists`},
		{"duplicate user id", User{ID: DemoUserID, Username: "bob", Password: "x"}, nil, `id "54321": already exists`},
		{"existing asset id", User{Username: "bob", Password: "x"}, []Asset{{ID: "ok-1"}, {ID: "12345"}}, `assets[1]: id "12345": already exists`},
		{"asset id twice", User{Username: "bob", Password: "x"}, []Asset{{ID: "a"}, {ID: "a"}}, "assets[1]: id \"a\" is also assets[0]"},
		{"bad setting", User{Username: "bob", Password: "x"}, []Asset{{ID: "a", PendingPolls: MaxPendingPolls + 1}}, "assets[0]: pendingPolls must be between"},
		{"negative balance", User{Username: "bob", Password: "x"}, []Asset{{ID: "a", Balance: -5}}, "assets[0]: balance -5 is negative"},
		{"asset without id", User{Username: "bob", Password: "x"}, []Asset{{Balance: 5}}, "assets[0]: id is required"},
		{"bad currency", User{Username: "bob", Password: "x"}, []Asset{{ID: "a", Currency: "dollars"}}, `currency "dollars"`},
		{"another user's asset", User{Username: "bob", Password: "x"}, []Asset{{ID: "a", UserID: DemoUserID}}, "is not the user's id"},
		{"no username", User{Password: "x"}, nil, "username is required"},
		{"no password", User{Username: "bob"}, nil, "password is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemStore()
			if err := Seed(s, 42); err != nil {
				t.Fatal(err)
			}
			before := snapshotJSON(t, s)
			err := s.AddUser(tc.user, tc.assets)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AddUser: err = %v, want one containing %q", err, tc.want)
			}
			if after := snapshotJSON(t, s); !bytes.Equal(before, after) {
				t.Fatal("a failed AddUser changed the store")
			}
		})
	}
}

func TestH1ExpireUserTokens(t *testing.T) {
	h := newHarness(t)
	first, second := h.tokens(), h.tokens()
	h.clock.Advance(time.Minute)
	now := h.clock.Now()

	n, err := h.store.ExpireUserTokens(DemoUsername, now)
	if err != nil || n != 2 {
		t.Fatalf("ExpireUserTokens = %d, %v; want 2 tokens", n, err)
	}
	for _, g := range h.store.Grants() {
		if !g.AccessExpiresAt.Equal(now) || g.Revoked() {
			t.Fatalf("grant %s: access expires %s revoked %v, want %s and live", g.ID, g.AccessExpiresAt, g.Revoked(), now)
		}
	}
	for _, tr := range []tokenResponse{first, second} {
		resp := h.bearerGet("/assets", tr.AccessToken)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("expired access token: %d, want 401", resp.StatusCode)
		}
	}
	// The client recovers by refreshing.
	var next tokenResponse
	decode(t, h.refreshToken(first.RefreshToken), http.StatusOK, &next)
	resp := h.bearerGet("/assets", next.AccessToken)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refreshed access token: %d, want 200", resp.StatusCode)
	}
	if n, _ := h.store.ExpireUserTokens(DemoUsername, now); n != 1 {
		t.Fatalf("second ExpireUserTokens expired %d, want only the fresh token", n)
	}
	if _, err := h.store.ExpireUserTokens("nobody", now); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("unknown user: err = %v, want ErrNotFound naming the user", err)
	}
}

func TestH1RevokeUserGrants(t *testing.T) {
	h := newHarness(t)
	first, second := h.tokens(), h.tokens()
	now := h.clock.Now()

	n, err := h.store.RevokeUserGrants(DemoUsername, "scenario step", now)
	if err != nil || n != 2 {
		t.Fatalf("RevokeUserGrants = %d, %v; want 2 grants", n, err)
	}
	for _, g := range h.store.Grants() {
		if !g.Revoked() || g.RevokeReason != "scenario step" {
			t.Fatalf("grant %+v, want revoked for the scenario step", g)
		}
	}
	for _, tr := range []tokenResponse{first, second} {
		resp := h.bearerGet("/assets", tr.AccessToken)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("revoked access token: %d, want 401", resp.StatusCode)
		}
		wantOAuthError(t, h.refreshToken(tr.RefreshToken), http.StatusBadRequest, "invalid_grant")
	}
	if n, err := h.store.RevokeUserGrants(DemoUsername, "", now); err != nil || n != 0 {
		t.Fatalf("second RevokeUserGrants = %d, %v; want 0", n, err)
	}
	if _, err := h.store.RevokeUserGrants("nobody", "", now); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("unknown user: err = %v, want ErrNotFound naming the user", err)
	}
}

// payWith POSTs /pay straight to the handler with an override on the
// request's context, as the sandbox's fault middleware does.
func (h *payHarness) payWith(o *PayOverride, token string, body []byte) reply {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, h.issuer+"/pay", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if o != nil {
		req = req.WithContext(WithPayOverride(req.Context(), *o))
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func TestH1PayOverride(t *testing.T) {
	type poll struct {
		status, reason string
		balance        int64
	}
	for _, tc := range []struct {
		name     string
		override PayOverride
		asset    string
		amount   string
		// answer is the /pay answer, then polls are the GET /get answers.
		answer  poll
		polls   []poll
		refunds bool
	}{
		{
			name:     "failed charges nothing",
			override: PayOverride{Status: StatusFailed, FailureReason: ReasonInsufficientValue},
			asset:    "12345", amount: "100",
			answer: poll{StatusFailed, ReasonInsufficientValue, 5000},
			polls:  []poll{{StatusFailed, ReasonInsufficientValue, 5000}},
		},
		{
			name:     "failed even on an unknown asset",
			override: PayOverride{Status: StatusFailed, FailureReason: "SANDBOX_FAULT"},
			asset:    "no-such-asset", amount: "100",
			answer: poll{StatusFailed, "SANDBOX_FAULT", 5000},
		},
		{
			name:     "pending then successful",
			override: PayOverride{Status: StatusPending, ResolveAfterPolls: 3, Then: StatusSuccessful},
			asset:    "12345", amount: "1000",
			answer: poll{StatusPending, "", 4000},
			polls: []poll{
				{StatusPending, "", 4000}, {StatusPending, "", 4000}, {StatusSuccessful, "", 4000}, {StatusSuccessful, "", 4000},
			},
			refunds: true,
		},
		{
			name:     "pending then failed releases the hold",
			override: PayOverride{Status: StatusPending, ResolveAfterPolls: 1, Then: StatusFailed, FailureReason: ReasonRedemptionDenied},
			asset:    "12345", amount: "1000",
			answer: poll{StatusPending, "", 4000},
			polls:  []poll{{StatusFailed, ReasonRedemptionDenied, 5000}, {StatusFailed, ReasonRedemptionDenied, 5000}},
		},
		{
			name:     "pending that cannot be paid fails at once",
			override: PayOverride{Status: StatusPending, ResolveAfterPolls: 1, Then: StatusSuccessful},
			asset:    "12345", amount: "5001",
			answer: poll{StatusFailed, ReasonInsufficientValue, 5000},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newPayHarness(t)
			tok := h.payToken()
			check := func(step string, r reply, want poll) {
				t.Helper()
				got := attempt(t, r)
				reason, _ := got["failureReason"].(string)
				if got["status"] != want.status || reason != want.reason || got["transactionId"] != "o-1" || got["type"] != TypePayment {
					t.Fatalf("%s: %s, want status %s failureReason %q", step, r.body, want.status, want.reason)
				}
				if b := h.balance("12345"); b != want.balance {
					t.Fatalf("%s: balance %d, want %d", step, b, want.balance)
				}
				if _, ok := got["refundable"]; ok != (tc.refunds && want.status == StatusSuccessful) {
					t.Fatalf("%s: refundable present %v in %s", step, ok, r.body)
				}
			}
			o := tc.override
			first := h.payWith(&o, tok, payBody("o-1", tc.asset, tc.amount))
			check("pay", first, tc.answer)
			for i, want := range tc.polls {
				check(fmt.Sprintf("poll %d", i+1), h.get("o-1"), want)
			}
			// A replay, with or without the override, answers the stored bytes.
			for _, ov := range []*PayOverride{nil, &o} {
				if r := h.payWith(ov, tok, payBody("o-1", tc.asset, tc.amount)); !bytes.Equal(r.body, first.body) {
					t.Fatalf("replay = %s, want %s", r.body, first.body)
				}
			}
		})
	}
}

// TestH1PayOverrideAfterChecks: every usual check of /pay runs before the
// override, and a replayed transactionId ignores it.
func TestH1PayOverrideAfterChecks(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	readOnly := h.payToken("assets:read")
	failed := &PayOverride{Status: StatusFailed, FailureReason: ReasonRedemptionDenied}

	normal := h.payWith(nil, tok, payBody("n-1", "12345", "100"))
	if got := attempt(t, normal); got["status"] != StatusSuccessful {
		t.Fatalf("plain pay = %s", normal.body)
	}
	for _, tc := range []struct {
		name, token string
		body        []byte
		status      int
		code        string
	}{
		{"no token", "", payBody("x-1", "12345", "100"), http.StatusUnauthorized, ""},
		{"no pay scope", readOnly, payBody("x-1", "12345", "100"), http.StatusForbidden, "insufficient_scope"},
		{"bad body", tok, []byte(`{"amount":"1"}`), http.StatusBadRequest, "invalid_request"},
		{"bad amount", tok, payBody("x-1", "12345", "1.00"), http.StatusBadRequest, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			r := h.payWith(failed, tc.token, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if tc.code != "" && len(r.body) > 0 {
				var e oauthErr
				_ = json.Unmarshal(r.body, &e)
				if e.Error != tc.code {
					t.Fatalf("error %q, want %q (%s)", e.Error, tc.code, r.body)
				}
			}
			h.wantUnchanged(t, before)
		})
	}
	t.Run("replay ignores the override", func(t *testing.T) {
		if r := h.payWith(failed, tok, payBody("n-1", "12345", "100")); !bytes.Equal(r.body, normal.body) {
			t.Fatalf("replay = %s, want %s", r.body, normal.body)
		}
	})
	t.Run("an invalid override is a server error that says why", func(t *testing.T) {
		before := h.state()
		r := h.payWith(&PayOverride{Status: StatusPending}, tok, payBody("x-2", "12345", "100"))
		wantJSONError(t, r, http.StatusInternalServerError, "server_error", "resolveAfterPolls")
		h.wantUnchanged(t, before)
	})
}

func TestH1PayOverrideValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    PayOverride
		want string // "" means valid
	}{
		{"failed", PayOverride{Status: StatusFailed, FailureReason: ReasonInsufficientValue}, ""},
		{"pending then successful", PayOverride{Status: StatusPending, ResolveAfterPolls: 2, Then: StatusSuccessful}, ""},
		{"pending then failed", PayOverride{Status: StatusPending, ResolveAfterPolls: 1, Then: StatusFailed, FailureReason: "X_1"}, ""},
		{"unknown status", PayOverride{Status: StatusSuccessful}, "status must be failed or pending"},
		{"failed without reason", PayOverride{Status: StatusFailed}, "needs a failureReason"},
		{"failed with polls", PayOverride{Status: StatusFailed, FailureReason: "X", ResolveAfterPolls: 1}, "remove resolveAfterPolls"},
		{"lowercase reason", PayOverride{Status: StatusFailed, FailureReason: "no money"}, "capitals, digits and underscores"},
		{"pending without polls", PayOverride{Status: StatusPending, Then: StatusSuccessful}, "resolveAfterPolls between 1"},
		{"pending too many polls", PayOverride{Status: StatusPending, ResolveAfterPolls: MaxPendingPolls + 1, Then: StatusSuccessful}, "resolveAfterPolls between 1"},
		{"pending without then", PayOverride{Status: StatusPending, ResolveAfterPolls: 1}, "needs then"},
		{"then failed without reason", PayOverride{Status: StatusPending, ResolveAfterPolls: 1, Then: StatusFailed}, "needs a failureReason"},
		{"then successful with reason", PayOverride{Status: StatusPending, ResolveAfterPolls: 1, Then: StatusSuccessful, FailureReason: "X"}, "has no failureReason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestH1GrantsView: Grants gives a UI the user, client, scope, dates and
// latest access-token expiry, and the scope reads as text in JSON.
func TestH1GrantsView(t *testing.T) {
	h := newHarness(t)
	h.tokens("assets:read")
	gs := h.store.Grants()
	if len(gs) != 1 {
		t.Fatalf("%d grants, want 1", len(gs))
	}
	g := gs[0]
	if g.UserID != DemoUserID || g.ClientID != DefaultClientID || g.Scope != ScopeRead || !g.CreatedAt.Equal(start) ||
		!g.AccessExpiresAt.Equal(start.Add(h.cfg.AccessTokenTTL)) || g.Revoked() {
		t.Fatalf("grant %+v", g)
	}
	var m map[string]any
	if err := json.Unmarshal(mustJSON(g), &m); err != nil {
		t.Fatal(err)
	}
	if m["scope"] != "assets:read" || m["accessExpiresAt"] == nil || m["revokedAt"] != nil {
		t.Fatalf("grant JSON %v", m)
	}
	var s Scopes
	if err := json.Unmarshal([]byte(`"assets:read assets:write"`), &s); err == nil || !strings.Contains(err.Error(), "assets:write") {
		t.Fatalf("unknown scope: err = %v, want one naming assets:write", err)
	}
}
