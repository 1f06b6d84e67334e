package mockpayap_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

func wantAllAvailable(t testing.TB, items []walletItem, n int) {
	t.Helper()
	if len(items) != n {
		t.Fatalf("wallet %+v, want %d entries", items, n)
	}
	for _, it := range items {
		if it.Status != mockpayap.EntryAvailable || it.Balance == nil || it.Problem != nil {
			t.Errorf("entry %+v, want available", it)
		}
	}
}

func TestRefreshWithTheRealProvider(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	first := latestRefresh(t, e.Wire)

	// Within the access token's life nothing is refreshed.
	e.advance(59 * time.Minute)
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
	if n := countGrant(e.Wire.tokenCalls(), "refresh_token"); n != 0 {
		t.Fatalf("%d refreshes before expiry, want 0", n)
	}

	// Past the hour (and inside the 10 s skew before it) Payap refreshes.
	e.advance(time.Minute - 5*time.Second)
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
	calls := e.Wire.tokenCalls()
	if n := countGrant(calls, "refresh_token"); n != 1 {
		t.Fatalf("%d refreshes, want 1 (single-flight for all the entries)", n)
	}
	last := calls[len(calls)-1]
	if last.SentRefresh != first || last.Status != http.StatusOK || last.GotRefresh == "" || last.GotRefresh == first {
		t.Fatalf("refresh %+v: want the first refresh token rotated", last)
	}
	second := last.GotRefresh

	// The rotated token was saved: the next refresh presents it.
	e.advance(2 * time.Hour)
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
	calls = e.Wire.tokenCalls()
	if last := calls[len(calls)-1]; last.GrantType != "refresh_token" || last.SentRefresh != second || last.Status != http.StatusOK {
		t.Fatalf("second refresh %+v, want it to present the rotated token", last)
	}
	if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected || c.Scope != "assets:read assets:pay" {
		t.Fatalf("connection %+v", c)
	}

	// The provider rotated: the first refresh token is dead. Presenting it
	// trips reuse detection, which revokes the whole family (RFC 9700
	// §4.14.2), and Payap then learns the grant is gone.
	if got := e.Provider.refreshByHand(t, first); got != "invalid_grant" {
		t.Fatalf("the old refresh token presented by hand: %q, want invalid_grant", got)
	}
	for _, it := range e.wallet(token) {
		if it.Status != mockpayap.StatusReconnectRequired {
			t.Errorf("entry %+v after the family was revoked, want reconnect_required", it)
		}
	}
}

func TestRevokedGrantNeedsReconnectThenReconnects(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	before := e.wallet(token)
	ids := map[string]string{} // asset id → entry id
	for _, it := range before {
		ids[it.AssetID] = it.ID
	}

	grants := e.Provider.grants(mockprovider.DefaultClientID, mockprovider.DemoUserID)
	if len(grants) != 1 {
		t.Fatalf("provider grants %+v, want 1", grants)
	}
	if err := e.Provider.Store.RevokeGrant(grants[0].ID, "revoked by the user in the provider's settings", e.Clock.Now()); err != nil {
		t.Fatal(err)
	}

	items := e.wallet(token)
	if len(items) != demoAssetCount(t) {
		t.Fatalf("wallet %+v", items)
	}
	for _, it := range items {
		if it.Status != mockpayap.StatusReconnectRequired || it.Balance != nil || it.CanPay || it.Problem == nil ||
			it.Problem.Code != "reconnect_required" || it.Problem.Message == "" {
			t.Errorf("entry %+v, want reconnect_required with a message", it)
		}
	}
	c := e.connection(token, out.Connection.ID)
	if c.Status != mockpayap.StatusReconnectRequired || c.CanPay || c.Problem == nil {
		t.Fatalf("connection %+v, want reconnect_required with a problem", c)
	}
	// One 401, one refresh refused with invalid_grant, then Payap stops.
	calls := e.Wire.tokenCalls()
	if last := calls[len(calls)-1]; last.GrantType != "refresh_token" || last.ErrorCode != "invalid_grant" {
		t.Fatalf("last token call %+v, want a refused refresh", last)
	}
	if n := countGrant(calls, "refresh_token"); n != 1 {
		t.Errorf("%d refresh attempts, want 1", n)
	}

	// Reconnect: a new authorization URL, consent again, connected again.
	var rc connection
	e.do(http.MethodPost, "/api/connections/"+c.ID+"/reconnect", token, nil).want(http.StatusOK, &rc)
	if rc.ID != c.ID || rc.AuthURL == "" || stateOf(t, rc.AuthURL) == stateOf(t, out.Connection.AuthURL) {
		t.Fatalf("reconnect %+v, want the same connection with a new authorization URL", rc)
	}
	if !strings.HasPrefix(rc.AuthURL, e.Provider.URL+"/authorize?") {
		t.Fatalf("reconnect authorization URL %s", rc.AuthURL)
	}
	cb := consent(t, rc.AuthURL, demoDecision)
	var again callbackResult
	e.get(cb).want(http.StatusOK, &again)
	if again.Connection.ID != c.ID || again.Connection.Status != mockpayap.StatusConnected || again.Connection.Problem != nil || !again.Connection.CanPay {
		t.Fatalf("after reconnecting, connection %+v", again.Connection)
	}
	after := e.wallet(token)
	wantAllAvailable(t, after, demoAssetCount(t))
	for _, it := range after {
		if ids[it.AssetID] != it.ID {
			t.Errorf("asset %s is now entry %s, want it to keep %s", it.AssetID, it.ID, ids[it.AssetID])
		}
	}
	if cs := e.connections(token); len(cs) != 1 {
		t.Errorf("connections %+v, want the one reconnected", cs)
	}
}

func TestReconnectDeniedKeepsTheConnectionAsItWas(t *testing.T) {
	// A reconnect the user declines does not delete the connection: it
	// stays reconnect_required with its entries.
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	g := e.Provider.grants(mockprovider.DefaultClientID, mockprovider.DemoUserID)[0]
	if err := e.Provider.Store.RevokeGrant(g.ID, "test", e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.wallet(token)
	var rc connection
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", token, nil).want(http.StatusOK, &rc)
	d := demoDecision
	d.Deny = true
	e.get(consent(t, rc.AuthURL, d)).wantError(http.StatusForbidden, "access_denied")
	c := e.connection(token, out.Connection.ID)
	if c.Status != mockpayap.StatusReconnectRequired {
		t.Fatalf("connection %+v, want still reconnect_required", c)
	}
	if items := e.wallet(token); len(items) != demoAssetCount(t) {
		t.Fatalf("wallet %+v, want its entries kept", items)
	}
}

func TestReconnectToGrantAMissingScope(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	d := demoDecision
	d.Grant = []string{"assets:read"}
	out := e.connect(token, d)
	if out.Connection.CanPay {
		t.Fatal("canPay with assets:read only")
	}
	var rc connection
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", token, nil).want(http.StatusOK, &rc)
	// Until the user is back, the connection keeps working.
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
	var again callbackResult
	e.get(consent(t, rc.AuthURL, demoDecision)).want(http.StatusOK, &again)
	if again.Connection.Scope != "assets:read assets:pay" || !again.Connection.CanPay {
		t.Fatalf("connection %+v, want both scopes", again.Connection)
	}
	for _, it := range e.wallet(token) {
		if !it.CanPay {
			t.Errorf("entry %+v, want canPay", it)
		}
	}
}

func TestDeleteConnection(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	items := e.wallet(token)
	refresh := latestRefresh(t, e.Wire)

	// Another user cannot touch it.
	other := e.otherUser()
	e.do(http.MethodDelete, "/api/connections/"+out.Connection.ID, other, nil).wantError(http.StatusNotFound, "connection_not_found")
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", other, nil).wantError(http.StatusNotFound, "connection_not_found")
	if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected {
		t.Fatalf("after another user's attempt, connection %+v", c)
	}

	var del struct {
		ID                string   `json:"id"`
		Deleted           bool     `json:"deleted"`
		Revoked           bool     `json:"revoked"`
		RevocationProblem *problem `json:"revocationProblem"`
	}
	e.do(http.MethodDelete, "/api/connections/"+out.Connection.ID, token, nil).want(http.StatusOK, &del)
	if del.ID != out.Connection.ID || !del.Deleted || !del.Revoked || del.RevocationProblem != nil {
		t.Fatalf("delete %+v, want deleted and revoked", del)
	}
	for _, g := range e.Provider.grants(mockprovider.DefaultClientID, mockprovider.DemoUserID) {
		if !g.Revoked() {
			t.Errorf("provider grant %s is live after disconnect", g.ID)
		}
	}
	if got := e.Provider.refreshByHand(t, refresh); got != "invalid_grant" {
		t.Errorf("the revoked refresh token: %q, want invalid_grant", got)
	}
	if cs := e.connections(token); len(cs) != 0 {
		t.Errorf("connections %+v, want none", cs)
	}
	if w := e.wallet(token); len(w) != 0 {
		t.Errorf("wallet %+v, want empty", w)
	}
	e.do(http.MethodGet, "/api/wallet/"+items[0].ID, token, nil).wantError(http.StatusNotFound, "wallet_entry_not_found")
	e.do(http.MethodGet, "/api/connections/"+out.Connection.ID, token, nil).wantError(http.StatusNotFound, "connection_not_found")
	e.do(http.MethodDelete, "/api/connections/"+out.Connection.ID, token, nil).wantError(http.StatusNotFound, "connection_not_found")
}

func TestDeleteWhenTheProviderIsDown(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	e.Provider.Close()

	var del struct {
		Deleted           bool     `json:"deleted"`
		Revoked           bool     `json:"revoked"`
		RevocationProblem *problem `json:"revocationProblem"`
	}
	e.do(http.MethodDelete, "/api/connections/"+out.Connection.ID, token, nil).want(http.StatusOK, &del)
	if !del.Deleted || del.Revoked || del.RevocationProblem == nil || del.RevocationProblem.Code != "revocation_failed" || del.RevocationProblem.Message == "" {
		t.Fatalf("delete %+v, want deleted, not revoked, with a revocation problem", del)
	}
	if cs := e.connections(token); len(cs) != 0 {
		t.Errorf("connections %+v, want none", cs)
	}
	if w := e.wallet(token); len(w) != 0 {
		t.Errorf("wallet %+v, want empty", w)
	}
}

func TestDeletePendingConnection(t *testing.T) {
	// A connection still waiting for consent can be abandoned; its
	// callback then matches nothing.
	e := newEnv(t)
	token := e.demo()
	c, cb := e.authorize(token, demoDecision)
	var del struct{ Deleted, Revoked bool }
	e.do(http.MethodDelete, "/api/connections/"+c.ID, token, nil).want(http.StatusOK, &del)
	if !del.Deleted || del.Revoked {
		t.Fatalf("delete %+v, want deleted with nothing to revoke", del)
	}
	e.get(cb).wantError(http.StatusBadRequest, "invalid_state")
	if cs := e.connections(token); len(cs) != 0 {
		t.Errorf("connections %+v, want none", cs)
	}
	if n := countGrant(e.Wire.tokenCalls(), "authorization_code"); n != 0 {
		t.Errorf("%d code exchanges for a deleted connection, want 0", n)
	}
}

func TestPendingConnectionLapses(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	e.startConnection(token, defaultAssetType)
	e.advance(10 * time.Minute)
	if cs := e.connections(token); len(cs) != 0 {
		t.Fatalf("connections %+v, want the lapsed pending one forgotten", cs)
	}
}

func TestOnlyTheLatestReconnectCounts(t *testing.T) {
	// Starting a reconnect twice: the first authorization URL is
	// superseded, so its callback matches nothing.
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	var first, second connection
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", token, nil).want(http.StatusOK, &first)
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", token, nil).want(http.StatusOK, &second)
	if first.AuthURL == second.AuthURL {
		t.Fatal("two reconnects gave the same authorization URL")
	}
	e.get(consent(t, first.AuthURL, demoDecision)).wantError(http.StatusBadRequest, "invalid_state")
	if c := e.connection(token, out.Connection.ID); c.Status != mockpayap.StatusConnected {
		t.Fatalf("connection %+v, want still connected", c)
	}
	var again callbackResult
	e.get(consent(t, second.AuthURL, demoDecision)).want(http.StatusOK, &again)
	if again.Connection.ID != out.Connection.ID || again.Connection.Status != mockpayap.StatusConnected {
		t.Fatalf("after the second reconnect %+v", again.Connection)
	}
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
}

// TestReconnectRevokesTheReplacedGrant: reconnecting a live connection gets
// a new grant; the old one, which nobody holds any more, is revoked at the
// provider rather than left alive.
func TestReconnectRevokesTheReplacedGrant(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	out := e.connect(token, demoDecision)
	var rc connection
	e.do(http.MethodPost, "/api/connections/"+out.Connection.ID+"/reconnect", token, nil).want(http.StatusOK, &rc)
	e.get(consent(t, rc.AuthURL, demoDecision)).want(http.StatusOK, nil)
	grants := e.Provider.grants("payap", "54321")
	if len(grants) != 2 {
		t.Fatalf("%d grants at the provider, want 2", len(grants))
	}
	if !grants[0].Revoked() || grants[1].Revoked() {
		t.Fatalf("grants after reconnect: first revoked=%v, second revoked=%v; want the replaced one revoked and the new one live",
			grants[0].Revoked(), grants[1].Revoked())
	}
	wantAllAvailable(t, e.wallet(token), demoAssetCount(t))
}

// TestHeadOnCallbackDoesNotUseTheCode: a link prefetcher's HEAD must not
// use up the state and the code; the user's own GET still connects.
func TestHeadOnCallbackDoesNotUseTheCode(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	c := e.startConnection(token, "payap-example")
	callback := consent(t, c.AuthURL, demoDecision)
	req, _ := http.NewRequest(http.MethodHead, callback, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("HEAD /callback = %d, want 204", resp.StatusCode)
	}
	var res callbackResult
	e.get(callback).want(http.StatusOK, &res)
	if res.Connection.Status != mockpayap.StatusConnected {
		t.Fatalf("after a HEAD the GET gave %+v", res.Connection)
	}
}
