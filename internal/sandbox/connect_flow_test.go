package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// app is a front end talking to the mock Payap's app API.
type app struct {
	t     testing.TB
	c     *http.Client
	base  string
	token string
}

func (a *app) do(method, path string, body any, status int, out any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	decode(a.t, resp, status, out)
}

type walletItem struct {
	ID      string  `json:"id"`
	AssetID string  `json:"assetId"`
	Balance *string `json:"balance"`
	Status  string  `json:"status"`
	Problem *struct {
		Code, Message string
	} `json:"problem"`
}

type connection struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Scope   string `json:"scope"`
	AuthURL string `json:"authorizationUrl"`
}

func (a *app) wallet() map[string]walletItem {
	a.t.Helper()
	var w struct{ Items []walletItem }
	a.do(http.MethodGet, "/api/wallet", nil, http.StatusOK, &w)
	out := map[string]walletItem{}
	for _, it := range w.Items {
		out[it.AssetID] = it
	}
	return out
}

// consent follows an authorization URL as the demo user would in a
// browser, then follows the provider's redirect to the mock Payap's callback.
func (a *app) consent(authURL string) {
	a.t.Helper()
	loc, err := browser.New(nil).Authorize(context.Background(), authURL, browser.Decision{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword})
	if err != nil {
		a.t.Fatalf("consent at the provider: %v", err)
	}
	if !strings.HasSuffix(loc.Path, "/callback") || loc.Query().Get("code") == "" {
		a.t.Fatalf("provider redirected to %s, want the mock Payap callback with a code", loc)
	}
	resp, err := a.c.Get(loc.String())
	if err != nil {
		a.t.Fatal(err)
	}
	decode(a.t, resp, http.StatusOK, nil)
}

// TestConnectAndFetchThroughTheSandbox is the end-to-end walk over
// real loopback listeners: sign in, connect through the provider's pages,
// live balances, refresh after the sandbox clock passes the token's expiry
// (seen in the journal), reconnect after the grant is revoked at the
// provider, and disconnect revoking at the provider.
func TestConnectAndFetchThroughTheSandbox(t *testing.T) {
	sb := MustStart(t)
	payap, _ := sb.Service(sandbox.ServicePayap)
	a := &app{t: t, c: newClient(t), base: payap.BaseURL}

	var sess struct{ Token string }
	a.do(http.MethodPost, "/api/sessions", map[string]string{"email": mockpayap.DemoEmail, "password": mockpayap.DemoPassword}, http.StatusCreated, &sess)
	a.token = sess.Token

	var c connection
	a.do(http.MethodPost, "/api/connections", map[string]string{"assetType": "payap-example"}, http.StatusCreated, &c)
	if c.Status != mockpayap.StatusPending || c.AuthURL == "" {
		t.Fatalf("new connection = %+v, want pending with an authorization URL", c)
	}
	a.consent(c.AuthURL)
	a.do(http.MethodGet, "/api/connections/"+c.ID, nil, http.StatusOK, &c)
	if c.Status != mockpayap.StatusConnected || c.Scope != "assets:read assets:pay" {
		t.Fatalf("after the callback the connection is %+v", c)
	}

	w := a.wallet()
	if len(w) != 3 || *w["12345"].Balance != "5000" || *w["56789"].Balance != "25000" || *w["99999"].Balance != "20000" {
		t.Fatalf("wallet = %+v, want the demo user's three seeded assets", w)
	}

	// Balances are live: a change at the provider shows at once.
	if err := sb.ProviderStore.SetBalance("12345", 4321); err != nil {
		t.Fatal(err)
	}
	if got := *a.wallet()["12345"].Balance; got != "4321" {
		t.Fatalf("balance after the provider changed it = %s, want 4321", got)
	}

	// Past the access token's expiry the wallet still works, by a refresh.
	cursor := sb.Journal.LastID()
	if err := sb.Clock.Advance(61 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := a.wallet()["56789"]; got.Status != mockpayap.EntryAvailable || *got.Balance != "25000" {
		t.Fatalf("after the token expired the wallet entry is %+v", got)
	}
	refreshed := false
	for _, e := range sb.Journal.Since(cursor, 0) {
		if e.Service == sandbox.ServiceProvider && e.Method == http.MethodPost && e.Path == "/token" &&
			strings.Contains(e.RequestBody, "grant_type=refresh_token") && e.Status == http.StatusOK {
			refreshed = true
		}
	}
	if !refreshed {
		t.Fatal("the journal shows no refresh at the provider after the access token expired")
	}

	// The grant revoked at the provider: the wallet says to reconnect.
	for _, g := range sb.ProviderStore.Grants() {
		if err := sb.ProviderStore.RevokeGrant(g.ID, "revoked by the test", sb.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for id, it := range a.wallet() {
		if it.Status != mockpayap.StatusReconnectRequired || it.Balance != nil || it.Problem == nil {
			t.Fatalf("after revocation wallet entry %s = %+v, want reconnect_required with a problem", id, it)
		}
	}
	a.do(http.MethodGet, "/api/connections/"+c.ID, nil, http.StatusOK, &c)
	if c.Status != mockpayap.StatusReconnectRequired {
		t.Fatalf("after revocation the connection is %q, want reconnect_required", c.Status)
	}

	// Reconnect, then disconnect: the delete revokes the new grant at the provider.
	a.do(http.MethodPost, "/api/connections/"+c.ID+"/reconnect", nil, http.StatusOK, &c)
	a.consent(c.AuthURL)
	if got := a.wallet()["12345"]; got.Status != mockpayap.EntryAvailable {
		t.Fatalf("after reconnecting the entry is %+v", got)
	}
	var del struct{ Deleted, Revoked bool }
	a.do(http.MethodDelete, "/api/connections/"+c.ID, nil, http.StatusOK, &del)
	if !del.Deleted || !del.Revoked {
		t.Fatalf("delete = %+v, want deleted and revoked", del)
	}
	for _, g := range sb.ProviderStore.Grants() {
		if !g.Revoked() {
			t.Fatalf("grant %s is still live at the provider after the connection was deleted", g.ID)
		}
	}
	if w := a.wallet(); len(w) != 0 {
		t.Fatalf("wallet after delete = %+v, want empty", w)
	}
}
