package mockpayap

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors the store returns.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrStateUnknown = errors.New("state unknown or already used")
	ErrStateExpired = errors.New("state expired")
)

func hashOf(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// Store holds the mock Payap's users, sessions, asset types, connections and
// wallet entries. Every method is atomic; state values and session tokens
// are kept only as hashes.
type Store interface {
	PutUser(u User) error
	Users() []User
	User(id string) (User, bool)
	UserByEmail(email string) (User, bool)

	CreateSession(tokenHash [32]byte, userID string, now, expires time.Time)
	Session(tokenHash [32]byte, now time.Time) (userID string, ok bool)
	DeleteSession(tokenHash [32]byte)

	PutAssetType(t AssetType) error
	AssetTypes() []AssetType
	AssetType(name string) (AssetType, bool)

	// NewConnection stores a pending connection and gives it an id.
	NewConnection(c Connection) Connection
	Connection(id string) (Connection, bool)
	// Connections lists a user's connections, forgetting pending ones whose
	// authorization lapsed.
	Connections(userID string, now time.Time) []Connection
	// StartReauthorization puts an existing connection back through consent.
	StartReauthorization(id string, p pendingAuth, authURL string) error
	// TakeState finds the connection an OAuth state belongs to and forgets
	// the state, so it can be used once only.
	TakeState(stateHash [32]byte, now time.Time) (Connection, error)
	// Complete stores the tokens and granted scope of a connection and
	// replaces its wallet entries with one per asset, keeping the ids of
	// assets it already had.
	Complete(id, scope string, t tokens, assets []WalletEntry, now time.Time) (Connection, error)
	// Abandon forgets a pending connection whose authorization failed; a
	// connection that was connected before keeps its last state.
	Abandon(id string)
	SetTokens(id string, t tokens, scope string) error
	// NeedsReconnect drops a connection's tokens and records why.
	NeedsReconnect(id string, p Problem) error
	// DeleteConnection removes a connection and its wallet entries, and
	// returns the tokens it held so the caller can revoke them.
	DeleteConnection(id string) (tokens, error)

	Entries(userID string) []WalletEntry
	Entry(id string) (WalletEntry, bool)

	// CreatePayment stores a new payment and gives it an id. While another
	// payment of the same payment request is pending or successful it
	// stores nothing and returns that payment with ErrExists, so that one
	// request is never paid twice through Payap.
	CreatePayment(p Payment) (Payment, error)
	Payment(id string) (Payment, bool)
	PaymentByTransaction(transactionID string) (Payment, bool)
	// Payments lists a user's payments, newest first.
	Payments(userID string) []Payment
	// UpdatePayment changes a payment atomically; change must not keep the
	// pointer.
	UpdatePayment(id string, change func(*Payment)) (Payment, error)
	// AddRefund records a refund on a payment. Refund ids are unique across
	// payments (ErrExists).
	AddRefund(paymentID string, r Refund) (Payment, error)
	// RefundByID finds a refund and the payment it belongs to.
	RefundByID(id string) (Refund, Payment, bool)
}

var _ Store = (*MemStore)(nil)

// MemStore is the in-memory Store.
type MemStore struct {
	mu          sync.RWMutex
	users       map[string]User
	byEmail     map[string]string
	sessions    map[[32]byte]session
	assetTypes  map[string]AssetType
	connections map[string]*Connection
	byState     map[[32]byte]string
	entries     map[string]*WalletEntry
	connSeq     int
	entrySeq    int

	payments map[string]*Payment
	byTxn    map[string]string // transactionId → payment id
	refunds  map[string]string // refund id → payment id
	paySeq   int
}

type session struct {
	userID  string
	expires time.Time
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{
		users:       map[string]User{},
		byEmail:     map[string]string{},
		sessions:    map[[32]byte]session{},
		assetTypes:  map[string]AssetType{},
		connections: map[string]*Connection{},
		byState:     map[[32]byte]string{},
		entries:     map[string]*WalletEntry{},
		payments:    map[string]*Payment{},
		byTxn:       map[string]string{},
		refunds:     map[string]string{},
	}
}

// PutUser adds a user. The id, e-mail and password are required; ids are
// unique, and so are e-mails, ignoring case and surrounding spaces (sign-in
// matches them that way). A clash is ErrExists.
func (s *MemStore) PutUser(u User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.users[u.ID]; ok {
		return fmt.Errorf("user id %q is already taken (by %s); user ids are unique: %w", u.ID, old.Email, ErrExists)
	}
	if id, ok := s.byEmail[emailKey(u.Email)]; ok {
		return fmt.Errorf("e-mail %q is already taken by user %q; e-mails are unique, ignoring case: %w", u.Email, id, ErrExists)
	}
	s.users[u.ID] = u
	s.byEmail[emailKey(u.Email)] = u.ID
	return nil
}

// checkUser checks the fields a user needs to exist and sign in.
func checkUser(u User) error {
	switch {
	case strings.TrimSpace(u.ID) == "":
		return errors.New("a user needs an id, such as pu_0003")
	case strings.TrimSpace(u.Email) == "":
		return fmt.Errorf("user %q needs an e-mail: it is the sign-in name", u.ID)
	case u.Password == "":
		return fmt.Errorf("user %q needs a password: without one the user cannot sign in", u.ID)
	}
	return nil
}

// emailKey is how e-mails are matched: trimmed and in lower case.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Users lists the users by e-mail.
func (s *MemStore) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}

// User returns one user.
func (s *MemStore) User(id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok
}

// UserByEmail finds a user by e-mail, ignoring case and surrounding spaces.
func (s *MemStore) UserByEmail(email string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byEmail[emailKey(email)]
	if !ok {
		return User{}, false
	}
	u, ok := s.users[id]
	return u, ok
}

// CreateSession stores a session under its token's hash. Past maxSessions
// the expired ones go first, then any.
func (s *MemStore) CreateSession(h [32]byte, userID string, now, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= maxSessions {
		for k, v := range s.sessions {
			if !now.Before(v.expires) {
				delete(s.sessions, k)
			}
		}
		for k := range s.sessions {
			if len(s.sessions) < maxSessions {
				break
			}
			delete(s.sessions, k)
		}
	}
	s.sessions[h] = session{userID: userID, expires: expires}
}

// maxSessions bounds the sessions a flood of sign-ins can create.
const maxSessions = 10_000

// Session resolves a live session.
func (s *MemStore) Session(h [32]byte, now time.Time) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.sessions[h]
	if !ok || !now.Before(sess.expires) {
		return "", false
	}
	return sess.userID, true
}

// DeleteSession signs a session out.
func (s *MemStore) DeleteSession(h [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, h)
}

// PutAssetType registers an asset type; names are unique.
func (s *MemStore) PutAssetType(t AssetType) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.assetTypes[t.Name]; ok {
		return fmt.Errorf("asset type %q: %w", t.Name, ErrExists)
	}
	s.assetTypes[t.Name] = t
	return nil
}

// replaceAssetType replaces the registration of an existing asset type
// (RegisterAssetType after Restore); false when there is none.
func (s *MemStore) replaceAssetType(t AssetType) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.assetTypes[t.Name]; !ok {
		return false
	}
	s.assetTypes[t.Name] = t
	return true
}

// AssetTypes lists the registered asset types by name.
func (s *MemStore) AssetTypes() []AssetType {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]AssetType, 0, len(s.assetTypes))
	for _, t := range s.assetTypes {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AssetType returns one asset type.
func (s *MemStore) AssetType(name string) (AssetType, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.assetTypes[name]
	return t, ok
}

// NewConnection stores a new pending connection.
func (s *MemStore) NewConnection(c Connection) Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connSeq++
	c.ID = fmt.Sprintf("conn_%04d", s.connSeq)
	s.connections[c.ID] = &c
	if c.pending != nil {
		s.byState[c.pending.stateHash] = c.ID
	}
	return c
}

// Connection returns one connection.
func (s *MemStore) Connection(id string) (Connection, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.connections[id]
	if !ok {
		return Connection{}, false
	}
	return *c, true
}

// Connections lists a user's connections, oldest first.
func (s *MemStore) Connections(userID string, now time.Time) []Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Connection
	for id, c := range s.connections {
		if c.UserID == userID && s.lapse(id, c, now) {
			out = append(out, c.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AllConnections lists every user's connections by id (oldest first), for
// a view of the whole sandbox. Like Connections it forgets pending ones
// whose authorization lapsed. The copies share nothing with the store, and
// their tokens stay unexported.
func (s *MemStore) AllConnections(now time.Time) []Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Connection, 0, len(s.connections))
	for id, c := range s.connections {
		if s.lapse(id, c, now) {
			out = append(out, c.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// lapse ends a connection's authorization in progress once it lapsed at
// now: a pending connection is deleted (false), a connected one keeps its
// last state (true). The caller holds the write lock.
func (s *MemStore) lapse(id string, c *Connection, now time.Time) bool {
	if c.pending == nil || now.Before(c.pending.expiresAt) {
		return true
	}
	delete(s.byState, c.pending.stateHash)
	if c.Status == StatusPending {
		delete(s.connections, id)
		return false
	}
	c.pending, c.AuthURL = nil, ""
	return true
}

// clone copies a connection with its own problem and pending authorization.
func (c Connection) clone() Connection {
	if c.Problem != nil {
		p := *c.Problem
		c.Problem = &p
	}
	if c.pending != nil {
		p := *c.pending
		c.pending = &p
	}
	return c
}

// StartReauthorization begins a new consent for an existing connection.
func (s *MemStore) StartReauthorization(id string, p pendingAuth, authURL string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connections[id]
	if !ok {
		return ErrNotFound
	}
	if c.pending != nil {
		delete(s.byState, c.pending.stateHash)
	}
	c.pending, c.AuthURL = &p, authURL
	s.byState[p.stateHash] = id
	return nil
}

// TakeState resolves and forgets an OAuth state.
func (s *MemStore) TakeState(h [32]byte, now time.Time) (Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byState[h]
	if !ok {
		return Connection{}, ErrStateUnknown
	}
	delete(s.byState, h)
	c := s.connections[id]
	p := c.pending
	c.pending, c.AuthURL = nil, ""
	if !now.Before(p.expiresAt) {
		if c.Status == StatusPending {
			delete(s.connections, id)
		}
		return Connection{}, ErrStateExpired
	}
	out := *c
	out.pending = p
	return out, nil
}

// Complete connects a connection and syncs its wallet entries.
func (s *MemStore) Complete(id, scope string, t tokens, assets []WalletEntry, now time.Time) (Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connections[id]
	if !ok {
		return Connection{}, ErrNotFound
	}
	c.Status, c.Scope, c.tokens, c.Problem = StatusConnected, scope, t, nil
	c.CanPay = hasScope(scope, "assets:pay")
	if c.ConnectedAt.IsZero() {
		c.ConnectedAt = now
	}
	existing := map[string]string{} // asset id → entry id
	for eid, e := range s.entries {
		if e.ConnectionID == id {
			existing[e.AssetID] = eid
		}
	}
	seen := map[string]bool{}
	for _, a := range assets {
		if eid, ok := existing[a.AssetID]; ok {
			s.entries[eid].Description = a.Description
			seen[eid] = true
			continue
		}
		s.entrySeq++
		a.ID = fmt.Sprintf("we_%04d", s.entrySeq)
		a.ConnectionID, a.UserID, a.AssetType = id, c.UserID, c.AssetType
		s.entries[a.ID] = &a
		seen[a.ID] = true
	}
	for _, eid := range existing {
		if !seen[eid] {
			delete(s.entries, eid)
		}
	}
	return *c, nil
}

// Abandon forgets a pending connection.
func (s *MemStore) Abandon(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.connections[id]; ok && c.Status == StatusPending {
		delete(s.connections, id)
	}
}

// SetTokens saves refreshed tokens.
func (s *MemStore) SetTokens(id string, t tokens, scope string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connections[id]
	if !ok {
		return ErrNotFound
	}
	c.tokens = t
	if scope != "" {
		c.Scope = scope
		c.CanPay = hasScope(scope, "assets:pay")
	}
	return nil
}

// NeedsReconnect drops the tokens and records why.
func (s *MemStore) NeedsReconnect(id string, p Problem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connections[id]
	if !ok {
		return ErrNotFound
	}
	c.Status, c.tokens, c.Problem, c.CanPay = StatusReconnectRequired, tokens{}, &p, false
	return nil
}

// DeleteConnection removes a connection and its entries.
func (s *MemStore) DeleteConnection(id string) (tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connections[id]
	if !ok {
		return tokens{}, ErrNotFound
	}
	if c.pending != nil {
		delete(s.byState, c.pending.stateHash)
	}
	delete(s.connections, id)
	for eid, e := range s.entries {
		if e.ConnectionID == id {
			delete(s.entries, eid)
		}
	}
	return c.tokens, nil
}

// Entries lists a user's wallet entries, oldest first.
func (s *MemStore) Entries(userID string) []WalletEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []WalletEntry
	for _, e := range s.entries {
		if e.UserID == userID {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AllEntries lists every user's wallet entries by id (oldest first), for a
// view of the whole sandbox; WalletEntry.UserID says whose each one is.
func (s *MemStore) AllEntries() []WalletEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]WalletEntry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Entry returns one wallet entry.
func (s *MemStore) Entry(id string) (WalletEntry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.entries[id]
	if !ok {
		return WalletEntry{}, false
	}
	return *e, true
}

// CreatePayment stores a new payment unless its payment request is already
// being paid or paid.
func (s *MemStore) CreatePayment(p Payment) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.payments {
		if other.PaymentRequestID == p.PaymentRequestID && other.Status != PaymentFailed {
			return other.clone(), fmt.Errorf("payment request %s: %w", p.PaymentRequestID, ErrExists)
		}
	}
	if _, dup := s.byTxn[p.TransactionID]; dup || p.TransactionID == "" {
		return Payment{}, fmt.Errorf("transaction %q: %w", p.TransactionID, ErrExists)
	}
	s.paySeq++
	p.ID, p.seq = fmt.Sprintf("pay_%04d", s.paySeq), s.paySeq
	p = p.clone()
	s.payments[p.ID] = &p
	s.byTxn[p.TransactionID] = p.ID
	return p.clone(), nil
}

// Payment returns one payment.
func (s *MemStore) Payment(id string) (Payment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	return p.clone(), true
}

// PaymentByTransaction finds a payment by its provider transactionId.
func (s *MemStore) PaymentByTransaction(txn string) (Payment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.payments[s.byTxn[txn]]
	if !ok {
		return Payment{}, false
	}
	return p.clone(), true
}

// Payments lists a user's payments, newest first.
func (s *MemStore) Payments(userID string) []Payment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Payment
	for _, p := range s.payments {
		if p.UserID == userID {
			out = append(out, p.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	return out
}

// AllPayments lists every user's payments, newest first, for a view of the
// whole sandbox; Payment.UserID says whose each one is. Each copy has its
// own refunds.
func (s *MemStore) AllPayments() []Payment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Payment, 0, len(s.payments))
	for _, p := range s.payments {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	return out
}

// UpdatePayment changes a payment under the lock.
func (s *MemStore) UpdatePayment(id string, change func(*Payment)) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, ErrNotFound
	}
	c := p.clone()
	change(&c)
	c.ID, c.seq, c.TransactionID, c.UserID, c.PaymentRequestID = p.ID, p.seq, p.TransactionID, p.UserID, p.PaymentRequestID
	c = c.clone()
	*p = c
	return c.clone(), nil
}

// AddRefund records a refund on a payment.
func (s *MemStore) AddRefund(paymentID string, r Refund) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentID]
	if !ok {
		return Payment{}, ErrNotFound
	}
	if _, dup := s.refunds[r.ID]; dup {
		return Payment{}, fmt.Errorf("refund %q: %w", r.ID, ErrExists)
	}
	s.refunds[r.ID] = paymentID
	p.Refunds = append(p.Refunds, r)
	return p.clone(), nil
}

// RefundByID finds a refund and its payment.
func (s *MemStore) RefundByID(id string) (Refund, Payment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.payments[s.refunds[id]]
	if !ok {
		return Refund{}, Payment{}, false
	}
	for _, r := range p.Refunds {
		if r.ID == id {
			return r, p.clone(), true
		}
	}
	return Refund{}, Payment{}, false
}
