package mockpayap_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/mockpayap"
)

// roundTrip sends a snapshot through JSON, as --state FILE does.
func roundTrip(t testing.TB, snap mockpayap.Snapshot) mockpayap.Snapshot {
	t.Helper()
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var out mockpayap.Snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode the snapshot %s: %v", b, err)
	}
	return out
}

// mustRestore restores a snapshot into a store, failing the test on error.
func mustRestore(t testing.TB, st *mockpayap.MemStore, snap mockpayap.Snapshot) {
	t.Helper()
	if err := st.Restore(snap); err != nil {
		t.Fatalf("restore: %v", err)
	}
}

// TestH2SnapshotRoundTripRealProvider restores what was built by hand
// against the real mock provider into a fresh mock Payap: the session still
// works and the wallet still reads live balances with the stored tokens.
func TestH2SnapshotRoundTripRealProvider(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	done := e.connect(token, demoDecision)
	connID := done.Connection.ID
	before := e.wallet(token)
	// Authorizations in flight: a second user's first connection and the
	// demo user's re-consent. Neither is saved.
	other := e.otherUser()
	e.startConnection(other, defaultAssetType)
	e.do(http.MethodPost, "/api/connections/"+connID+"/reconnect", token, nil).want(http.StatusOK, nil)

	snap := roundTrip(t, e.Store.Snapshot())
	for _, c := range snap.Connections {
		if c.ID != connID {
			t.Errorf("snapshot has connection %+v; only %s is not in flight", c, connID)
		}
		if c.AccessToken == "" || c.RefreshToken == "" || c.TokenExpiry.IsZero() {
			t.Errorf("connection %s was saved without its tokens", c.ID)
		}
	}

	p2 := startPayap(t, reservePayap(t), e.Clock, e.Provider.URL)
	mustRestore(t, p2.Store, snap)

	var sess struct{ User struct{ ID string } }
	p2.do(http.MethodGet, "/api/session", token, nil).want(http.StatusOK, &sess)
	if sess.User.ID != mockpayap.DemoUserID {
		t.Fatalf("the restored session is %q's, want %q", sess.User.ID, mockpayap.DemoUserID)
	}
	conns := p2.connections(token)
	if len(conns) != 1 || conns[0].ID != connID || conns[0].Status != mockpayap.StatusConnected || !conns[0].CanPay || conns[0].AuthURL != "" {
		t.Fatalf("restored connections %+v, want %s connected, able to pay, no authorization in flight", conns, connID)
	}
	if got := p2.connections(other); len(got) != 0 {
		t.Errorf("the other user's pending connection came back: %+v", got)
	}

	after := p2.wallet(token)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("restored wallet\n%+v\nwant\n%+v", after, before)
	}
	for _, w := range after {
		if w.Status != mockpayap.EntryAvailable || w.Balance == nil || *w.Balance != demoBalances(t)[w.AssetID] {
			t.Errorf("restored entry %+v: want available with the provider's balance", w)
		}
	}
	if n := len(p2.Wire.tokenCalls()); n != 0 {
		t.Errorf("the restored Payap called the token endpoint %d times; the stored access token should do", n)
	}

	// Once the access token expires, the stored refresh token gets a new one.
	e.advance(2 * time.Hour)
	if got := p2.wallet(token); !reflect.DeepEqual(got, before) {
		t.Errorf("wallet after the access token expired\n%+v\nwant\n%+v", got, before)
	}
	if n := countGrant(p2.Wire.tokenCalls(), "refresh_token"); n != 1 {
		t.Errorf("%d refreshes with the restored refresh token, want 1", n)
	}

	// New ids continue after the restored ones.
	if c := p2.startConnection(token, defaultAssetType); c.ID == connID {
		t.Errorf("a new connection reused the restored id %s", c.ID)
	}
}

// TestH2SnapshotRoundTripPayments restores payments and refunds: they list
// the same, the refund and transaction indexes work again, and the wallet
// reads with the access token that was stored.
func TestH2SnapshotRoundTripPayments(t *testing.T) {
	var mu sync.Mutex
	var assetTokens []string
	e := newPayEnv(t, payFake(func(f *fakeProvider) {
		f.Asset = func(w http.ResponseWriter, token, id string) {
			mu.Lock()
			assetTokens = append(assetTokens, token)
			mu.Unlock()
			writeAsset(w, id, "100")
		}
	}))
	p := e.pay()
	if p.Status != mockpayap.PaymentSuccessful {
		t.Fatalf("payment %+v, want successful", p)
	}
	refund := payRefundBody("rf_0001", p.TransactionID, "200")
	e.refund(refund).want(http.StatusOK, nil)
	listBefore := e.do(http.MethodGet, "/api/payments", e.token, nil).want(http.StatusOK, nil).Body

	snap := roundTrip(t, e.Store.Snapshot())
	if len(snap.Payments) != 1 || len(snap.Payments[0].Refunds) != 1 || snap.Payments[0].UserID != mockpayap.DemoUserID {
		t.Fatalf("snapshot payments %+v, want the demo user's payment with one refund", snap.Payments)
	}
	p2 := startPayap(t, reservePayap(t), e.Clock, e.Fake.URL, func(c *mockpayap.Config) { c.CentrapayURL = e.CP.URL })
	mustRestore(t, p2.Store, snap)

	if got := p2.do(http.MethodGet, "/api/payments", e.token, nil).want(http.StatusOK, nil).Body; !bytes.Equal(got, listBefore) {
		t.Errorf("restored payments\n%s\nwant\n%s", got, listBefore)
	}
	// The refund index is rebuilt: a repeat is answered from the store.
	jwt, err := e.CP.Signer.SignWith(p2.URL, []byte(refund))
	if err != nil {
		t.Fatal(err)
	}
	var ans map[string]any
	p2.do(http.MethodPost, "/centrapay/refunds", "", refund, withHeader("Authorization", jwt)).want(http.StatusOK, &ans)
	if ans["status"] != mockpayap.RefundSuccessful || len(e.Prov.callsTo("/refund")) != 1 {
		t.Errorf("repeated refund answered %v after %d provider calls, want successful and no new call", ans, len(e.Prov.callsTo("/refund")))
	}
	if got, ok := p2.Store.PaymentByTransaction(p.TransactionID); !ok || got.ID != p.ID {
		t.Errorf("PaymentByTransaction(%s) = %+v, %v; want %s", p.TransactionID, got, ok, p.ID)
	}

	// The wallet reads with the stored access token, without refreshing.
	mu.Lock()
	assetTokens = nil
	mu.Unlock()
	refreshes := e.Fake.Refreshes.Load()
	if w := p2.wallet(e.token); len(w) == 0 || w[0].Balance == nil {
		t.Fatalf("restored wallet %+v, want live balances", w)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := snap.Connections[0].AccessToken; len(assetTokens) == 0 || slices.ContainsFunc(assetTokens, func(s string) bool { return s != want }) {
		t.Errorf("the provider saw access tokens %v, want only the stored %s", assetTokens, want)
	}
	if n := e.Fake.Refreshes.Load() - refreshes; n != 0 {
		t.Errorf("%d refreshes after the restore, want 0", n)
	}

	// A new payment gets a new id, listed before the restored one.
	np, err := p2.Store.CreatePayment(mockpayap.Payment{UserID: mockpayap.DemoUserID, PaymentRequestID: "pr_other", TransactionID: "txn_other", Status: mockpayap.PaymentPending})
	if err != nil {
		t.Fatal(err)
	}
	if all := p2.Store.AllPayments(); np.ID == p.ID || len(all) != 2 || all[0].ID != np.ID || all[1].ID != p.ID {
		t.Errorf("new payment %s; AllPayments %v, want it first and %s after", np.ID, paymentIDs(all), p.ID)
	}
}

func paymentIDs(ps []mockpayap.Payment) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// ---------------------------------------------------------------------------
// Restore's checks.

var (
	h2Created = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	h2Hash    = strings.Repeat("ab", 32)
)

// h2Snapshot is a small valid snapshot: two users, one session, one asset
// type, a connected and a reconnect_required connection, two entries and
// two payments of the first user, one with a refund.
func h2Snapshot() mockpayap.Snapshot {
	return mockpayap.Snapshot{
		Version: mockpayap.SnapshotVersion,
		Users: []mockpayap.SnapshotUser{
			{ID: "pu_1", Email: "ann@payap.test", Password: "pw-ann", Name: "Ann"},
			{ID: "pu_2", Email: "bob@payap.test", Password: "pw-bob", Name: "Bob"},
		},
		Sessions: []mockpayap.SnapshotSession{{TokenHash: h2Hash, UserID: "pu_1", ExpiresAt: h2Created.Add(time.Hour)}},
		AssetTypes: []mockpayap.SnapshotAssetType{{
			Name: "points", Description: "Points", ProviderBaseURL: "http://127.0.0.1:1", ClientID: "payap", AuthMethod: mockpayap.AuthNone,
		}},
		Connections: []mockpayap.SnapshotConnection{
			{ID: "conn_0001", UserID: "pu_1", AssetType: "points", Status: mockpayap.StatusConnected, Scope: "assets:read assets:pay",
				CreatedAt: h2Created, ConnectedAt: h2Created, AccessToken: "at-1", RefreshToken: "rt-1", TokenExpiry: h2Created.Add(time.Hour)},
			{ID: "conn_0002", UserID: "pu_2", AssetType: "points", Status: mockpayap.StatusReconnectRequired, Scope: "assets:read",
				CreatedAt: h2Created, ConnectedAt: h2Created, Problem: &mockpayap.Problem{Code: "invalid_grant", Message: "connect again"}},
		},
		WalletEntries: []mockpayap.SnapshotWalletEntry{
			{ID: "we_0001", UserID: "pu_1", ConnectionID: "conn_0001", AssetType: "points", AssetID: "a1", Description: "Everyday"},
			{ID: "we_0002", UserID: "pu_2", ConnectionID: "conn_0002", AssetType: "points", AssetID: "b1", Description: "Other"},
		},
		Payments: []mockpayap.SnapshotPayment{
			{ID: "pay_0001", UserID: "pu_1", PaymentRequestID: "pr_1", WalletEntryID: "we_0001", AssetType: "points", CentrapayAssetType: "points.test",
				Amount: "500", Currency: "NZD", TransactionID: "txn_1", Status: mockpayap.PaymentSuccessful, CentrapayStatus: mockpayap.CentrapayRecorded,
				CreatedAt: h2Created, UpdatedAt: h2Created,
				Refunds: []mockpayap.Refund{{ID: "rf_1", Amount: "200", Currency: "NZD", Status: mockpayap.RefundSuccessful, CreatedAt: h2Created}}},
			{ID: "pay_0002", UserID: "pu_1", PaymentRequestID: "pr_2", WalletEntryID: "we_gone", AssetType: "points", CentrapayAssetType: "points.test",
				Amount: "100", Currency: "NZD", TransactionID: "txn_2", Status: mockpayap.PaymentFailed, FailureReason: "PAYMENT_DECLINED",
				CreatedAt: h2Created, UpdatedAt: h2Created, Refunds: []mockpayap.Refund{}},
		},
		Sequences: mockpayap.SnapshotSequences{Connections: 2, WalletEntries: 2, Payments: 2},
	}
}

// TestH2RestoreThenSnapshot restores a valid snapshot and takes it back
// unchanged; the accessors see the restored state.
func TestH2RestoreThenSnapshot(t *testing.T) {
	want := h2Snapshot()
	st := mockpayap.NewMemStore()
	mustRestore(t, st, roundTrip(t, want))
	if got := roundTrip(t, st.Snapshot()); !reflect.DeepEqual(got, want) {
		gb, _ := json.MarshalIndent(got, "", "  ")
		wb, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("snapshot after restore\n%s\nwant\n%s", gb, wb)
	}

	conns := st.AllConnections(h2Created)
	if len(conns) != 2 || conns[0].ID != "conn_0001" || !conns[0].CanPay || conns[1].UserID != "pu_2" || conns[1].CanPay {
		t.Errorf("AllConnections %+v: want conn_0001 able to pay, then pu_2's conn_0002 not", conns)
	}
	conns[1].Problem.Code = "changed"
	if c, _ := st.Connection("conn_0002"); c.Problem.Code != "invalid_grant" {
		t.Errorf("changing AllConnections' copy changed the store: %+v", c.Problem)
	}
	if ents := st.AllEntries(); len(ents) != 2 || ents[0].UserID != "pu_1" || ents[1].UserID != "pu_2" {
		t.Errorf("AllEntries %+v: want we_0001 of pu_1 and we_0002 of pu_2", ents)
	}
	pays := st.AllPayments()
	if got := paymentIDs(pays); !slices.Equal(got, []string{"pay_0002", "pay_0001"}) {
		t.Errorf("AllPayments %v, want newest first", got)
	}
	pays[1].Refunds[0].Status = "changed"
	if p, _ := st.Payment("pay_0001"); p.Refunds[0].Status != mockpayap.RefundSuccessful {
		t.Errorf("changing AllPayments' copy changed the store: %+v", p.Refunds)
	}
	if _, p, ok := st.RefundByID("rf_1"); !ok || p.ID != "pay_0001" {
		t.Errorf("RefundByID(rf_1) = %s, %v; want pay_0001", p.ID, ok)
	}
	if u, ok := st.UserByEmail("ANN@payap.test"); !ok || u.Password != "pw-ann" {
		t.Errorf("UserByEmail(ANN@payap.test) = %+v, %v; want Ann with her password", u, ok)
	}
	var h [32]byte
	copy(h[:], bytes.Repeat([]byte{0xab}, 32))
	if id, ok := st.Session(h, h2Created); !ok || id != "pu_1" {
		t.Errorf("Session = %q, %v; want pu_1", id, ok)
	}
}

func TestH2RestoreRefusesBadSnapshots(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *mockpayap.Snapshot)
		want   string
	}{
		{"unknown version", func(s *mockpayap.Snapshot) { s.Version = 2 }, "version 2 is not supported"},
		{"duplicate user id", func(s *mockpayap.Snapshot) { s.Users[1].ID = "pu_1" }, `users[1]: user id "pu_1" is used twice`},
		{"duplicate e-mail in another case", func(s *mockpayap.Snapshot) { s.Users[1].Email = "Ann@Payap.test" },
			`users[1]: e-mail "Ann@Payap.test" is already user "pu_1"'s`},
		{"user without password", func(s *mockpayap.Snapshot) { s.Users[1].Password = "" }, `users[1]: user "pu_2" needs a password`},
		{"session of an unknown user", func(s *mockpayap.Snapshot) { s.Sessions[0].UserID = "pu_9" }, `sessions[0]: user "pu_9" does not exist`},
		{"session hash not hex", func(s *mockpayap.Snapshot) { s.Sessions[0].TokenHash = "ps_token" }, `sessions[0]: tokenHash "ps_token" is not a SHA-256 in hex`},
		{"asset type without provider", func(s *mockpayap.Snapshot) { s.AssetTypes[0].ProviderBaseURL = "" }, "assetTypes[0]: providerBaseUrl is required"},
		{"asset type with a bad auth method", func(s *mockpayap.Snapshot) { s.AssetTypes[0].AuthMethod = "magic" }, `assetTypes[0]: authMethod "magic" must be none`},
		{"duplicate asset type", func(s *mockpayap.Snapshot) { s.AssetTypes = append(s.AssetTypes, s.AssetTypes[0]) }, `assetTypes[1]: asset type "points" is registered twice`},
		{"connection of an unknown user", func(s *mockpayap.Snapshot) { s.Connections[1].UserID = "pu_9" }, `connections[1]: user "pu_9" does not exist`},
		{"connection of an unknown asset type", func(s *mockpayap.Snapshot) { s.Connections[0].AssetType = "miles" }, `connections[0]: asset type "miles" is not in assetTypes`},
		{"pending connection", func(s *mockpayap.Snapshot) { s.Connections[1].Status = mockpayap.StatusPending }, "connections[1]: status pending cannot be restored"},
		{"unknown connection status", func(s *mockpayap.Snapshot) { s.Connections[1].Status = "ok" }, `connections[1]: status "ok" must be connected or reconnect_required`},
		{"connected without tokens", func(s *mockpayap.Snapshot) { s.Connections[0].AccessToken, s.Connections[0].RefreshToken = "", "" },
			"connections[0]: a connected connection needs accessToken or refreshToken"},
		{"duplicate connection id", func(s *mockpayap.Snapshot) { s.Connections[1].ID = "conn_0001" }, `connections[1]: connection id "conn_0001" is used twice`},
		{"connection id beyond its sequence", func(s *mockpayap.Snapshot) { s.Sequences.Connections = 1 },
			`connections[1]: id "conn_0002" is beyond sequences.connections (1); set sequences.connections to at least 2`},
		{"negative sequence", func(s *mockpayap.Snapshot) { s.Sequences.Payments = -1 }, "sequences.payments: -1 is negative"},
		{"entry of an unknown connection", func(s *mockpayap.Snapshot) { s.WalletEntries[0].ConnectionID = "conn_0009" },
			`walletEntries[0]: connection "conn_0009" does not exist`},
		{"entry of another user than its connection's", func(s *mockpayap.Snapshot) { s.WalletEntries[1].UserID = "pu_1" },
			`walletEntries[1]: userId "pu_1" is not the user of connection "conn_0002" ("pu_2")`},
		{"two entries for one asset", func(s *mockpayap.Snapshot) {
			s.WalletEntries = append(s.WalletEntries, s.WalletEntries[0])
			s.WalletEntries[2].ID = "we_0003"
			s.Sequences.WalletEntries = 3
		}, `walletEntries[2]: asset "a1" of connection "conn_0001" is already walletEntries[0]`},
		{"entry id beyond its sequence", func(s *mockpayap.Snapshot) { s.WalletEntries[1].ID = "we_0042" }, `walletEntries[1]: id "we_0042" is beyond sequences.walletEntries (2)`},
		{"payment of an unknown user", func(s *mockpayap.Snapshot) { s.Payments[1].UserID = "pu_9" }, `payments[1]: user "pu_9" does not exist`},
		{"duplicate payment id", func(s *mockpayap.Snapshot) { s.Payments[1].ID = "pay_0001" }, `payments[1]: payment id "pay_0001" is used twice`},
		{"duplicate transaction id", func(s *mockpayap.Snapshot) { s.Payments[1].TransactionID = "txn_1" },
			`payments[1]: transactionId "txn_1" is already payment "pay_0001"'s`},
		{"a request paid twice", func(s *mockpayap.Snapshot) {
			s.Payments[1].PaymentRequestID, s.Payments[1].Status = "pr_1", mockpayap.PaymentPending
		}, `payments[1]: payment request "pr_1" is already paid or being paid by payments[0]`},
		{"unknown payment status", func(s *mockpayap.Snapshot) { s.Payments[0].Status = "done" }, `payments[0]: status "done" must be pending, successful or failed`},
		{"amount not in minor units", func(s *mockpayap.Snapshot) { s.Payments[0].Amount = "5.00" }, `payments[0]: amount "5.00" must be a whole number of minor units`},
		{"duplicate refund id", func(s *mockpayap.Snapshot) { s.Payments[1].Refunds = s.Payments[0].Refunds },
			`payments[1].refunds[0]: refund id "rf_1" is already a refund of payment "pay_0001"`},
		{"payment id beyond its sequence", func(s *mockpayap.Snapshot) { s.Sequences.Payments = 0 },
			`payments[0]: id "pay_0001" is beyond sequences.payments (0)`},
		{"several problems", func(s *mockpayap.Snapshot) {
			s.Connections[1].UserID = "pu_9"
			s.Payments[0].Status = "done"
		}, "(2 problems)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mockpayap.NewMemStore()
			if err := mockpayap.Seed(st, 42); err != nil {
				t.Fatal(err)
			}
			before := st.Snapshot()
			snap := roundTrip(t, h2Snapshot()) // a deep copy to change
			tt.change(&snap)
			err := st.Restore(snap)
			if err == nil {
				t.Fatal("Restore accepted the snapshot")
			}
			if !errors.Is(err, mockpayap.ErrInvalidSnapshot) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalidSnapshot saying %q", err, tt.want)
			}
			if after := st.Snapshot(); !reflect.DeepEqual(after, before) {
				t.Errorf("a refused Restore changed the store:\n%+v\nwas\n%+v", after, before)
			}
		})
	}
}

// TestH2RestoreReplacesEverything checks that nothing of the state before
// a Restore survives it, seeded users included.
func TestH2RestoreReplacesEverything(t *testing.T) {
	st := mockpayap.NewMemStore()
	if err := mockpayap.Seed(st, 42); err != nil {
		t.Fatal(err)
	}
	mustRestore(t, st, mockpayap.Snapshot{Version: mockpayap.SnapshotVersion})
	if u := st.Users(); len(u) != 0 {
		t.Errorf("users after restoring an empty snapshot: %+v", u)
	}
	if _, ok := st.UserByEmail(mockpayap.DemoEmail); ok {
		t.Error("the demo user's e-mail still resolves")
	}
	if err := st.PutUser(mockpayap.User{ID: mockpayap.DemoUserID, Email: mockpayap.DemoEmail, Password: "x"}); err != nil {
		t.Errorf("PutUser after the restore: %v", err)
	}
}

// ---------------------------------------------------------------------------
// PutUser.

func TestH2PutUserRefusesClashesAndGaps(t *testing.T) {
	tests := []struct {
		name   string
		user   mockpayap.User
		exists bool
		want   string
	}{
		{"duplicate id", mockpayap.User{ID: mockpayap.DemoUserID, Email: "new@payap.test", Password: "pw"}, true,
			`user id "pu_demo" is already taken (by demo@payap.test)`},
		{"duplicate e-mail", mockpayap.User{ID: "pu_new", Email: mockpayap.DemoEmail, Password: "pw"}, true,
			`e-mail "demo@payap.test" is already taken by user "pu_demo"`},
		{"duplicate e-mail in another case", mockpayap.User{ID: "pu_new", Email: " Demo@Payap.TEST", Password: "pw"}, true,
			`is already taken by user "pu_demo"`},
		{"no id", mockpayap.User{Email: "new@payap.test", Password: "pw"}, false, "a user needs an id"},
		{"no e-mail", mockpayap.User{ID: "pu_new", Password: "pw"}, false, `user "pu_new" needs an e-mail`},
		{"no password", mockpayap.User{ID: "pu_new", Email: "new@payap.test"}, false, `user "pu_new" needs a password`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mockpayap.NewMemStore()
			if err := mockpayap.Seed(st, 42); err != nil {
				t.Fatal(err)
			}
			n := len(st.Users())
			err := st.PutUser(tt.user)
			if err == nil {
				t.Fatal("PutUser accepted the user")
			}
			if errors.Is(err, mockpayap.ErrExists) != tt.exists || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (ErrExists %v), want %q (ErrExists %v)", err, errors.Is(err, mockpayap.ErrExists), tt.want, tt.exists)
			}
			if got := len(st.Users()); got != n {
				t.Errorf("%d users after a refused PutUser, want %d", got, n)
			}
		})
	}
}

// TestH2PutUserMixedCaseEmailSignsIn: an e-mail stored in mixed case is
// found the way sign-in looks it up (trimmed, lower case).
func TestH2PutUserMixedCaseEmailSignsIn(t *testing.T) {
	e := newFakeEnv(t, nil)
	if err := e.Store.PutUser(mockpayap.User{ID: "pu_alice", Email: "Alice@Payap.test", Password: "wonderland", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	var sess struct{ User struct{ ID, Email string } }
	e.do(http.MethodPost, "/api/sessions", "", map[string]string{"email": "alice@payap.test", "password": "wonderland"}).want(http.StatusCreated, &sess)
	if sess.User.ID != "pu_alice" || sess.User.Email != "Alice@Payap.test" {
		t.Errorf("signed in as %+v, want pu_alice with the e-mail as given", sess.User)
	}
}

// TestH2RegisterAssetTypeAfterRestore: the sandbox registers its configured
// provider after restoring a snapshot that already holds the asset type
// (with the provider's old address); the configured one wins and the
// connections keep their tokens.
func TestH2RegisterAssetTypeAfterRestore(t *testing.T) {
	st := mockpayap.NewMemStore()
	mustRestore(t, st, h2Snapshot())
	pc := mockpayap.ProviderConfig{Name: "points", Description: "Points now", ClientID: "payap"}
	if err := mockpayap.RegisterAssetType(st, pc, "http://127.0.0.1:2"); err != nil {
		t.Fatalf("RegisterAssetType after Restore: %v", err)
	}
	if at, _ := st.AssetType("points"); at.ProviderURL != "http://127.0.0.1:2" || at.Description != "Points now" {
		t.Errorf("asset type %+v, want the configured registration", at)
	}
	if c := st.Snapshot().Connections[0]; c.AccessToken != "at-1" || c.RefreshToken != "rt-1" {
		t.Errorf("connection %s lost its tokens: %+v", c.ID, c)
	}
	// A plain PutAssetType still refuses the duplicate.
	if err := st.PutAssetType(mockpayap.AssetType{Name: "points"}); !errors.Is(err, mockpayap.ErrExists) {
		t.Errorf("PutAssetType of a duplicate: %v, want ErrExists", err)
	}
}
