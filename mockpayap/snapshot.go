package mockpayap

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SnapshotVersion is the version of the Snapshot format that Snapshot
// writes and Restore reads.
const SnapshotVersion = 1

// Snapshot is the whole state of a MemStore, made to be saved as JSON and
// restored after a restart. It holds secrets in the clear: user passwords,
// provider access and refresh tokens, asset types' client secrets. Session
// tokens are kept only as hashes, so a saved file cannot sign anyone in,
// but a front end holding a token stays signed in after a restore.
//
// Authorizations in flight are not saved: a connection still waiting for
// the user at the provider is left out (the user starts connecting again),
// and a connected one that was being re-authorized keeps its last state.
// The transaction and refund indexes are rebuilt by Restore.
type Snapshot struct {
	// Version is SnapshotVersion.
	Version     int                  `json:"version"`
	Users       []SnapshotUser       `json:"users"`
	Sessions    []SnapshotSession    `json:"sessions"`
	AssetTypes  []SnapshotAssetType  `json:"assetTypes"`
	Connections []SnapshotConnection `json:"connections"`
	// WalletEntries are the wallet entries of the connections.
	WalletEntries []SnapshotWalletEntry `json:"walletEntries"`
	// Payments are oldest first; Restore keeps that order, and lists new
	// payments after them.
	Payments  []SnapshotPayment `json:"payments"`
	Sequences SnapshotSequences `json:"sequences"`
}

// SnapshotUser is a Payap app user, with the password.
type SnapshotUser struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// SnapshotSession is a signed-in session.
type SnapshotSession struct {
	// TokenHash is the SHA-256 of the session token, in hex.
	TokenHash string    `json:"tokenHash"`
	UserID    string    `json:"userId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// SnapshotAssetType is a registered asset type, with the client secret.
type SnapshotAssetType struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	ProviderBaseURL string `json:"providerBaseUrl"`
	ClientID        string `json:"clientId"`
	ClientSecret    string `json:"clientSecret,omitempty"`
	AuthMethod      string `json:"authMethod"`
}

// SnapshotConnection is a connection with the provider tokens it holds.
// Whether it can pay is not saved: it follows from Status and Scope.
type SnapshotConnection struct {
	ID        string `json:"id"`
	UserID    string `json:"userId"`
	AssetType string `json:"assetType"`
	// Status is connected or reconnect_required.
	Status      string    `json:"status"`
	Scope       string    `json:"scope,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	ConnectedAt time.Time `json:"connectedAt,omitzero"`
	Problem     *Problem  `json:"problem,omitempty"`
	// AccessToken, RefreshToken and TokenExpiry (on the sandbox clock) are
	// the provider's tokens; a reconnect_required connection has none
	// (Restore ignores them there).
	AccessToken  string    `json:"accessToken,omitempty"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	TokenExpiry  time.Time `json:"tokenExpiry,omitzero"`
}

// SnapshotWalletEntry is one provider asset in a user's wallet. UserID and
// AssetType are those of its connection.
type SnapshotWalletEntry struct {
	ID           string `json:"id"`
	UserID       string `json:"userId"`
	ConnectionID string `json:"connectionId"`
	AssetType    string `json:"assetType"`
	AssetID      string `json:"assetId"`
	Description  string `json:"description"`
}

// SnapshotPayment is a payment with its refunds. Its wallet entry may be
// gone (the user disconnected since), as in the running store.
type SnapshotPayment struct {
	ID                    string          `json:"id"`
	UserID                string          `json:"userId"`
	PaymentRequestID      string          `json:"paymentRequestId"`
	WalletEntryID         string          `json:"walletEntryId"`
	AssetType             string          `json:"assetType"`
	CentrapayAssetType    string          `json:"centrapayAssetType"`
	Amount                string          `json:"amount"`
	Currency              string          `json:"currency"`
	MerchantName          string          `json:"merchantName"`
	MerchantID            string          `json:"merchantId"`
	TransactionID         string          `json:"transactionId"`
	Status                string          `json:"status"`
	FailureReason         string          `json:"failureReason,omitempty"`
	ProviderFailureReason string          `json:"providerFailureReason,omitempty"`
	Problem               *Problem        `json:"problem,omitempty"`
	CentrapayStatus       string          `json:"centrapayStatus,omitempty"`
	CentrapayError        *CentrapayError `json:"centrapayError,omitempty"`
	CreatedAt             time.Time       `json:"createdAt"`
	UpdatedAt             time.Time       `json:"updatedAt"`
	Refunds               []Refund        `json:"refunds"`
}

// SnapshotSequences are the last numbers given to generated ids
// (conn_0001, we_0001, pay_0001), so that new ids never collide with
// restored ones.
type SnapshotSequences struct {
	Connections   int `json:"connections"`
	WalletEntries int `json:"walletEntries"`
	Payments      int `json:"payments"`
}

// Snapshot returns a deep copy of the whole store, taken at one instant.
// Items are in a stable order: users, connections and wallet entries by
// id, sessions by token hash, asset types by name, payments oldest first.
func (s *MemStore) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := Snapshot{
		Version:       SnapshotVersion,
		Users:         make([]SnapshotUser, 0, len(s.users)),
		Sessions:      make([]SnapshotSession, 0, len(s.sessions)),
		AssetTypes:    make([]SnapshotAssetType, 0, len(s.assetTypes)),
		Connections:   make([]SnapshotConnection, 0, len(s.connections)),
		WalletEntries: make([]SnapshotWalletEntry, 0, len(s.entries)),
		Payments:      make([]SnapshotPayment, 0, len(s.payments)),
		Sequences:     SnapshotSequences{Connections: s.connSeq, WalletEntries: s.entrySeq, Payments: s.paySeq},
	}
	for _, u := range s.users {
		snap.Users = append(snap.Users, SnapshotUser{ID: u.ID, Email: u.Email, Password: u.Password, Name: u.Name})
	}
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].ID < snap.Users[j].ID })
	for h, sess := range s.sessions {
		snap.Sessions = append(snap.Sessions, SnapshotSession{TokenHash: hex.EncodeToString(h[:]), UserID: sess.userID, ExpiresAt: sess.expires})
	}
	sort.Slice(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].TokenHash < snap.Sessions[j].TokenHash })
	for _, t := range s.assetTypes {
		snap.AssetTypes = append(snap.AssetTypes, SnapshotAssetType{
			Name: t.Name, Description: t.Description, ProviderBaseURL: t.ProviderURL,
			ClientID: t.ClientID, ClientSecret: t.ClientSecret, AuthMethod: t.AuthMethod,
		})
	}
	sort.Slice(snap.AssetTypes, func(i, j int) bool { return snap.AssetTypes[i].Name < snap.AssetTypes[j].Name })
	for _, c := range s.connections {
		if c.Status == StatusPending {
			continue // an authorization in flight: not saved
		}
		snap.Connections = append(snap.Connections, SnapshotConnection{
			ID: c.ID, UserID: c.UserID, AssetType: c.AssetType, Status: c.Status, Scope: c.Scope,
			CreatedAt: c.CreatedAt, ConnectedAt: c.ConnectedAt, Problem: cloneProblem(c.Problem),
			AccessToken: c.tokens.Access, RefreshToken: c.tokens.Refresh, TokenExpiry: c.tokens.Expiry,
		})
	}
	sort.Slice(snap.Connections, func(i, j int) bool { return snap.Connections[i].ID < snap.Connections[j].ID })
	for _, e := range s.entries {
		if c, ok := s.connections[e.ConnectionID]; !ok || c.Status == StatusPending {
			continue
		}
		snap.WalletEntries = append(snap.WalletEntries, SnapshotWalletEntry{
			ID: e.ID, UserID: e.UserID, ConnectionID: e.ConnectionID, AssetType: e.AssetType, AssetID: e.AssetID, Description: e.Description,
		})
	}
	sort.Slice(snap.WalletEntries, func(i, j int) bool { return snap.WalletEntries[i].ID < snap.WalletEntries[j].ID })
	pays := make([]*Payment, 0, len(s.payments))
	for _, p := range s.payments {
		pays = append(pays, p)
	}
	sort.Slice(pays, func(i, j int) bool { return pays[i].seq < pays[j].seq })
	for _, p := range pays {
		c := p.clone()
		snap.Payments = append(snap.Payments, SnapshotPayment{
			ID: c.ID, UserID: c.UserID, PaymentRequestID: c.PaymentRequestID, WalletEntryID: c.WalletEntryID,
			AssetType: c.AssetType, CentrapayAssetType: c.CentrapayAssetType, Amount: c.Amount, Currency: c.Currency,
			MerchantName: c.MerchantName, MerchantID: c.MerchantID, TransactionID: c.TransactionID, Status: c.Status,
			FailureReason: c.FailureReason, ProviderFailureReason: c.ProviderFailureReason, Problem: c.Problem,
			CentrapayStatus: c.CentrapayStatus, CentrapayError: c.CentrapayError,
			CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Refunds: c.Refunds,
		})
	}
	return snap
}

// Restore replaces the whole state of the store with a snapshot. The
// snapshot is checked first: its version; that every item has its id and
// the fields it needs, with known statuses; that ids (and e-mails, ignoring
// case) are unique; that every session, connection, wallet entry and
// payment names an existing user, asset type or connection; that no
// payment request has two payments pending or successful; and that each
// sequence is at least the highest generated id of its kind. On any error
// the store is left as it was, and the error names every bad item, such as
// `connections[1]: user "pu_9" does not exist`. Authorizations in flight
// in the store are dropped with the rest of its state.
func (s *MemStore) Restore(snap Snapshot) error {
	st, err := buildState(snap)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byEmail, s.sessions, s.assetTypes = st.users, st.byEmail, st.sessions, st.assetTypes
	s.connections, s.byState, s.entries = st.connections, st.byState, st.entries
	s.payments, s.byTxn, s.refunds = st.payments, st.byTxn, st.refunds
	s.connSeq, s.entrySeq, s.paySeq = st.connSeq, st.entrySeq, st.paySeq
	return nil
}

// ErrInvalidSnapshot is what Restore's errors wrap.
var ErrInvalidSnapshot = errors.New("invalid mock Payap snapshot")

// snapshotCheck gathers the problems of a snapshot. Items found bad are
// remembered, so that what refers to them is not reported again.
type snapshotCheck struct {
	errs    []error
	refused map[string]bool // kind + "/" + id
}

func (c *snapshotCheck) refuse(kind, id string) { c.refused[kind+"/"+id] = true }

// ref reports, unless it was reported already, that the kind named id that
// item refers to does not exist, and returns whether it exists.
func (c *snapshotCheck) ref(item string, exists bool, kind, id, format string, args ...any) bool {
	if !exists && !c.refused[kind+"/"+id] {
		c.errorf(item, format, args...)
	}
	return exists
}

func (c *snapshotCheck) errorf(item string, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", item, fmt.Sprintf(format, args...)))
}

// required reports the empty ones of a few named fields.
func (c *snapshotCheck) required(item string, fields ...[2]string) bool {
	ok := true
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			c.errorf(item, "%s is required", f[0])
			ok = false
		}
	}
	return ok
}

// assetType checks an asset type's fields as registration does.
func (c *snapshotCheck) assetType(item string, t SnapshotAssetType) bool {
	n := len(c.errs)
	if err := validAssetTypeName(t.Name); err != nil {
		c.errorf(item, "name %v", err)
	}
	c.required(item, [2]string{"description", t.Description}, [2]string{"clientId", t.ClientID})
	if c.required(item, [2]string{"providerBaseUrl", t.ProviderBaseURL}) {
		if err := checkBaseURL(t.ProviderBaseURL); err != nil {
			c.errorf(item, "providerBaseUrl %v", err)
		}
	}
	switch (ProviderConfig{ClientSecret: t.ClientSecret, AuthMethod: t.AuthMethod}).authMethod() {
	case AuthNone:
		if t.ClientSecret != "" {
			c.errorf(item, "authMethod none takes no clientSecret; drop it or use %s", AuthSecretBasic)
		}
	case AuthSecretBasic, AuthSecretPost:
		if t.ClientSecret == "" {
			c.errorf(item, "authMethod %s needs a clientSecret", t.AuthMethod)
		}
	default:
		c.errorf(item, "authMethod %q must be %s, %s or %s", t.AuthMethod, AuthNone, AuthSecretBasic, AuthSecretPost)
	}
	return len(c.errs) == n
}

// sequence checks that a sequence covers an id generated with its prefix.
func (c *snapshotCheck) sequence(item, id, prefix string, seq int, seqName string) {
	n, ok := generatedNumber(id, prefix)
	if ok && n > seq {
		c.errorf(item, "id %q is beyond sequences.%s (%d); set sequences.%s to at least %d so new ids do not collide", id, seqName, seq, seqName, n)
	}
}

// generatedNumber is the number of an id in the store's generated form
// (prefix and at least four digits, as fmt's %04d writes it).
func generatedNumber(id, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || fmt.Sprintf("%04d", n) != digits {
		return 0, false
	}
	return n, true
}

// wholeNumber reports whether s is a non-negative whole number of minor
// units written in digits.
func wholeNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// memState is the state Restore swaps in.
type memState struct {
	users       map[string]User
	byEmail     map[string]string
	sessions    map[[32]byte]session
	assetTypes  map[string]AssetType
	connections map[string]*Connection
	byState     map[[32]byte]string
	entries     map[string]*WalletEntry
	payments    map[string]*Payment
	byTxn       map[string]string
	refunds     map[string]string

	connSeq, entrySeq, paySeq int
}

// buildState checks a snapshot and builds the store state it describes,
// sharing nothing with it.
func buildState(snap Snapshot) (*memState, error) {
	c := snapshotCheck{refused: map[string]bool{}}
	if snap.Version != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d is not supported; this sandbox reads version %d", ErrInvalidSnapshot, snap.Version, SnapshotVersion)
	}
	fresh := NewMemStore()
	st := &memState{
		users: fresh.users, byEmail: fresh.byEmail, sessions: fresh.sessions, assetTypes: fresh.assetTypes,
		connections: fresh.connections, byState: fresh.byState, entries: fresh.entries,
		payments: fresh.payments, byTxn: fresh.byTxn, refunds: fresh.refunds,
		connSeq: snap.Sequences.Connections, entrySeq: snap.Sequences.WalletEntries, paySeq: snap.Sequences.Payments,
	}
	for name, v := range map[string]int{"connections": st.connSeq, "walletEntries": st.entrySeq, "payments": st.paySeq} {
		if v < 0 {
			c.errorf("sequences."+name, "%d is negative; use the highest number used in its ids, or 0", v)
		}
	}

	for i, u := range snap.Users {
		item := fmt.Sprintf("users[%d]", i)
		user := User{ID: u.ID, Email: u.Email, Password: u.Password, Name: u.Name}
		if err := checkUser(user); err != nil {
			c.errorf(item, "%v", err)
			c.refuse("user", u.ID)
			continue
		}
		if _, dup := st.users[u.ID]; dup {
			c.errorf(item, "user id %q is used twice; user ids are unique", u.ID)
			continue
		}
		if id, dup := st.byEmail[emailKey(u.Email)]; dup {
			c.errorf(item, "e-mail %q is already user %q's; e-mails are unique, ignoring case", u.Email, id)
			c.refuse("user", u.ID)
			continue
		}
		st.users[u.ID] = user
		st.byEmail[emailKey(u.Email)] = u.ID
	}

	if len(snap.Sessions) > maxSessions {
		c.errorf("sessions", "%d sessions is more than the %d the store keeps; drop the expired ones", len(snap.Sessions), maxSessions)
	}
	for i, sess := range snap.Sessions {
		item := fmt.Sprintf("sessions[%d]", i)
		raw, err := hex.DecodeString(sess.TokenHash)
		if err != nil || len(raw) != 32 {
			c.errorf(item, "tokenHash %q is not a SHA-256 in hex (64 hex digits)", sess.TokenHash)
			continue
		}
		h := [32]byte(raw)
		if _, ok := st.users[sess.UserID]; !c.ref(item, ok, "user", sess.UserID, "user %q does not exist; add it to users or drop the session", sess.UserID) {
			continue
		}
		if _, dup := st.sessions[h]; dup {
			c.errorf(item, "tokenHash %s is used twice; each session token is unique", sess.TokenHash)
			continue
		}
		st.sessions[h] = session{userID: sess.UserID, expires: sess.ExpiresAt}
	}

	for i, t := range snap.AssetTypes {
		item := fmt.Sprintf("assetTypes[%d]", i)
		if !c.assetType(item, t) {
			c.refuse("assetType", t.Name)
			continue
		}
		pc := ProviderConfig{ClientSecret: t.ClientSecret, AuthMethod: t.AuthMethod}
		if _, dup := st.assetTypes[t.Name]; dup {
			c.errorf(item, "asset type %q is registered twice; names are unique", t.Name)
			continue
		}
		st.assetTypes[t.Name] = AssetType{
			Name: t.Name, Description: t.Description, ProviderURL: t.ProviderBaseURL,
			ClientID: t.ClientID, ClientSecret: t.ClientSecret, AuthMethod: pc.authMethod(),
		}
	}

	for i, sc := range snap.Connections {
		item := fmt.Sprintf("connections[%d]", i)
		if !c.required(item, [2]string{"id", sc.ID}, [2]string{"userId", sc.UserID}, [2]string{"assetType", sc.AssetType}) {
			continue
		}
		if _, dup := st.connections[sc.ID]; dup {
			c.errorf(item, "connection id %q is used twice; connection ids are unique", sc.ID)
			continue
		}
		c.sequence(item, sc.ID, "conn_", st.connSeq, "connections")
		ok := true
		if _, found := st.users[sc.UserID]; !c.ref(item, found, "user", sc.UserID, "user %q does not exist", sc.UserID) {
			ok = false
		}
		if _, found := st.assetTypes[sc.AssetType]; !c.ref(item, found, "assetType", sc.AssetType, "asset type %q is not in assetTypes", sc.AssetType) {
			ok = false
		}
		switch sc.Status {
		case StatusConnected:
			if sc.AccessToken == "" && sc.RefreshToken == "" {
				c.errorf(item, "a connected connection needs accessToken or refreshToken; add them, or make its status %s", StatusReconnectRequired)
				ok = false
			}
		case StatusReconnectRequired:
		case StatusPending:
			c.errorf(item, "status %s cannot be restored: the authorization in flight is not saved; drop the connection (the user connects again)", StatusPending)
			ok = false
		default:
			c.errorf(item, "status %q must be %s or %s", sc.Status, StatusConnected, StatusReconnectRequired)
			ok = false
		}
		if !ok {
			c.refuse("connection", sc.ID)
			continue
		}
		conn := &Connection{
			ID: sc.ID, UserID: sc.UserID, AssetType: sc.AssetType, Status: sc.Status, Scope: sc.Scope,
			CanPay:    sc.Status == StatusConnected && hasScope(sc.Scope, "assets:pay"),
			CreatedAt: sc.CreatedAt, ConnectedAt: sc.ConnectedAt, Problem: cloneProblem(sc.Problem),
		}
		if sc.Status == StatusConnected {
			conn.tokens = tokens{Access: sc.AccessToken, Refresh: sc.RefreshToken, Expiry: sc.TokenExpiry}
		}
		st.connections[sc.ID] = conn
	}

	type connAsset struct{ conn, asset string }
	assets := map[connAsset]int{}
	for i, se := range snap.WalletEntries {
		item := fmt.Sprintf("walletEntries[%d]", i)
		if !c.required(item, [2]string{"id", se.ID}, [2]string{"connectionId", se.ConnectionID}, [2]string{"assetId", se.AssetID}) {
			continue
		}
		if _, dup := st.entries[se.ID]; dup {
			c.errorf(item, "wallet entry id %q is used twice; wallet entry ids are unique", se.ID)
			continue
		}
		c.sequence(item, se.ID, "we_", st.entrySeq, "walletEntries")
		conn, found := st.connections[se.ConnectionID]
		if !c.ref(item, found, "connection", se.ConnectionID, "connection %q does not exist", se.ConnectionID) {
			continue
		}
		if se.UserID != conn.UserID {
			c.errorf(item, "userId %q is not the user of connection %q (%q)", se.UserID, conn.ID, conn.UserID)
			continue
		}
		if se.AssetType != conn.AssetType {
			c.errorf(item, "assetType %q is not the asset type of connection %q (%q)", se.AssetType, conn.ID, conn.AssetType)
			continue
		}
		key := connAsset{se.ConnectionID, se.AssetID}
		if j, dup := assets[key]; dup {
			c.errorf(item, "asset %q of connection %q is already walletEntries[%d]; a connection has one entry per asset", se.AssetID, se.ConnectionID, j)
			continue
		}
		assets[key] = i
		st.entries[se.ID] = &WalletEntry{
			ID: se.ID, UserID: se.UserID, ConnectionID: se.ConnectionID, AssetType: se.AssetType, AssetID: se.AssetID, Description: se.Description,
		}
	}

	live := map[string]int{} // payment request id → the payment pending or successful
	for i, sp := range snap.Payments {
		item := fmt.Sprintf("payments[%d]", i)
		if !c.required(item, [2]string{"id", sp.ID}, [2]string{"userId", sp.UserID}, [2]string{"paymentRequestId", sp.PaymentRequestID},
			[2]string{"transactionId", sp.TransactionID}, [2]string{"assetType", sp.AssetType}) {
			continue
		}
		if _, dup := st.payments[sp.ID]; dup {
			c.errorf(item, "payment id %q is used twice; payment ids are unique", sp.ID)
			continue
		}
		c.sequence(item, sp.ID, "pay_", st.paySeq, "payments")
		ok := true
		if _, found := st.users[sp.UserID]; !c.ref(item, found, "user", sp.UserID, "user %q does not exist", sp.UserID) {
			ok = false
		}
		if _, found := st.assetTypes[sp.AssetType]; !c.ref(item, found, "assetType", sp.AssetType, "asset type %q is not in assetTypes", sp.AssetType) {
			ok = false
		}
		if other, dup := st.byTxn[sp.TransactionID]; dup {
			c.errorf(item, "transactionId %q is already payment %q's; transaction ids are unique", sp.TransactionID, other)
			ok = false
		}
		if !wholeNumber(sp.Amount) {
			c.errorf(item, "amount %q must be a whole number of minor units, such as \"500\"", sp.Amount)
			ok = false
		}
		switch sp.Status {
		case PaymentPending, PaymentSuccessful:
			if j, dup := live[sp.PaymentRequestID]; dup {
				c.errorf(item, "payment request %q is already paid or being paid by payments[%d]; only one payment of a request may be pending or successful", sp.PaymentRequestID, j)
				ok = false
			}
			live[sp.PaymentRequestID] = i
		case PaymentFailed:
		default:
			c.errorf(item, "status %q must be %s, %s or %s", sp.Status, PaymentPending, PaymentSuccessful, PaymentFailed)
			ok = false
		}
		switch sp.CentrapayStatus {
		case "", CentrapayRecorded, CentrapayRecording, CentrapayUnsettled:
		default:
			c.errorf(item, "centrapayStatus %q must be empty, %s, %s or %s", sp.CentrapayStatus, CentrapayRecorded, CentrapayRecording, CentrapayUnsettled)
			ok = false
		}
		for j, r := range sp.Refunds {
			ritem := fmt.Sprintf("%s.refunds[%d]", item, j)
			if !c.required(ritem, [2]string{"id", r.ID}) {
				ok = false
				continue
			}
			if other, dup := st.refunds[r.ID]; dup {
				c.errorf(ritem, "refund id %q is already a refund of payment %q; refund ids are unique", r.ID, other)
				ok = false
			}
			if !wholeNumber(r.Amount) {
				c.errorf(ritem, "amount %q must be a whole number of minor units, such as \"500\"", r.Amount)
				ok = false
			}
			if r.Status != RefundSuccessful && r.Status != RefundFailed {
				c.errorf(ritem, "status %q must be %s or %s", r.Status, RefundSuccessful, RefundFailed)
				ok = false
			}
			st.refunds[r.ID] = sp.ID
		}
		if !ok {
			continue
		}
		p := Payment{
			ID: sp.ID, UserID: sp.UserID, PaymentRequestID: sp.PaymentRequestID, WalletEntryID: sp.WalletEntryID,
			AssetType: sp.AssetType, CentrapayAssetType: sp.CentrapayAssetType, Amount: sp.Amount, Currency: sp.Currency,
			MerchantName: sp.MerchantName, MerchantID: sp.MerchantID, TransactionID: sp.TransactionID, Status: sp.Status,
			FailureReason: sp.FailureReason, ProviderFailureReason: sp.ProviderFailureReason, Problem: sp.Problem,
			CentrapayStatus: sp.CentrapayStatus, CentrapayError: sp.CentrapayError,
			CreatedAt: sp.CreatedAt, UpdatedAt: sp.UpdatedAt, Refunds: sp.Refunds,
			// Restored payments keep their order and come before new ones,
			// whose seq continues from paySeq.
			seq: st.paySeq - (len(snap.Payments) - 1 - i),
		}
		p = p.clone()
		st.payments[p.ID] = &p
		st.byTxn[p.TransactionID] = p.ID
	}

	switch len(c.errs) {
	case 0:
		return st, nil
	case 1:
		return nil, fmt.Errorf("%w: %w", ErrInvalidSnapshot, c.errs[0])
	}
	return nil, fmt.Errorf("%w (%d problems):\n%w", ErrInvalidSnapshot, len(c.errs), errors.Join(c.errs...))
}

func cloneProblem(p *Problem) *Problem {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
