package mockprovider

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// hash is the SHA-256 of a code or token. The store keeps only hashes, so a
// lookup never compares secrets byte by byte and a state export holds no
// usable credential.
type hash [32]byte

func hashOf(secret string) hash { return sha256.Sum256([]byte(secret)) }

// Errors the store returns. Handlers map each to its RFC error.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrExpired      = errors.New("expired")
	ErrRevoked      = errors.New("revoked")
	ErrCodeReused   = errors.New("authorization code already used")
	ErrCodeBurned   = errors.New("authorization code used up by a failed exchange")
	ErrTokenReused  = errors.New("refresh token already rotated")
	ErrWrongClient  = errors.New("issued to another client")
	ErrScopeTooWide = errors.New("scope exceeds the grant")
	// ErrNotPending: the transaction is not a pending payment.
	ErrNotPending = errors.New("transaction is not pending")
	// ErrTransactionIDInUse: the transactionId names another kind of
	// transaction, or another user's payment.
	ErrTransactionIDInUse = errors.New("transactionId already in use")
)

// Code is a stored authorization code with everything it is bound to
// (checklist E35–E37).
type Code struct {
	ClientID string
	// RedirectURI is the redirect_uri the authorization request sent ("" when
	// it was omitted); the token request must repeat it exactly.
	RedirectURI string
	Challenge   string
	Scope       Scopes
	UserID      string
	ExpiresAt   time.Time
}

type codeState uint8

const (
	codeUnused codeState = iota
	codeRedeemed
	codeBurned // a failed exchange by the right client used it up (E38)
)

type codeRecord struct {
	Code
	state   codeState
	grantID string
}

type accessRecord struct {
	grantID   string
	scope     Scopes
	expiresAt time.Time
	revoked   bool
}

type refreshRecord struct {
	grantID    string
	scope      Scopes
	generation int
	expiresAt  time.Time
	rotatedAt  time.Time
	revoked    bool
}

// Issue is what to mint when a code is redeemed or a refresh token rotated:
// the hashes of freshly generated tokens and their lifetimes. A zero Refresh
// hash issues no refresh token (a client without the refresh_token grant).
type Issue struct {
	Access, Refresh               hash
	AccessExpires, RefreshExpires time.Time
	// AccessScope narrows the access token (refresh downscoping); zero means
	// the whole grant.
	AccessScope Scopes
}

// Store holds the provider's users, assets and OAuth state. Every method is
// atomic: the OAuth transitions (redeem, rotate, revoke) check and change
// state under one lock, so concurrent requests can never both succeed where
// only one may (checklist H59).
type Store interface {
	Users() []User
	User(id string) (User, bool)
	UserByUsername(username string) (User, bool)
	PutUser(u User) error
	Assets(userID string) []Asset
	Asset(id string) (Asset, bool)
	PutAsset(a Asset) error
	SetBalance(assetID string, balance int64) error

	// SaveCode stores a new authorization code under its hash.
	SaveCode(h hash, c Code, now time.Time)
	// Code returns an unused, unexpired code for validation before redeeming.
	Code(h hash, now time.Time) (Code, error)
	// BurnCode marks an unused code as used up without issuing anything.
	BurnCode(h hash)
	// ReplayCode records that a used code came back: the grant it produced,
	// if any, is revoked with every token issued under it (E34).
	ReplayCode(h hash, now time.Time)
	// RedeemCode turns an unused code into a grant with one access and one
	// refresh token. A second redemption returns ErrCodeReused and revokes
	// everything the first one issued (E34).
	RedeemCode(h hash, now time.Time, iss Issue) (Grant, error)
	// Refresh rotates a refresh token (H57). Presenting a rotated token again
	// revokes the whole family (H58) unless it was rotated within grace.
	// want narrows the new access token and must be within the token's scope.
	Refresh(h hash, clientID string, want Scopes, now time.Time, grace time.Duration, iss Issue) (Grant, Scopes, error)
	// Access resolves an access token for the resource server.
	Access(h hash, now time.Time) (TokenInfo, error)
	// Revoke implements RFC 7009 for the token with this hash: unknown tokens
	// are not an error, another client's token is ErrWrongClient. Revoking a
	// refresh token revokes its grant (I62); revoking an access token revokes
	// only that token.
	Revoke(h hash, clientID string, now time.Time) error

	// Grants returns every grant, oldest first, each with its latest
	// access-token expiry.
	Grants() []Grant
	RevokeGrant(id, reason string, now time.Time) error

	// Client returns a client registered at run time (see MemStore.PutClient).
	// The handler asks it only for ids its Config does not register.
	Client(id string) (Client, bool)
	// Clients returns the clients registered at run time, sorted by id.
	Clients() []Client

	// SetAssetSettings changes an asset's payment knobs.
	SetAssetSettings(assetID string, s AssetSettings) error
	// Pay answers a payment attempt: it checks and debits (or holds) the
	// asset and stores the answer under one lock, so concurrent payments can
	// never overdraw an asset. A repeated transactionId returns the stored
	// answer's bytes and changes nothing.
	Pay(in PayInput, now time.Time) ([]byte, error)
	// Refund answers a refund attempt against a successful payment, crediting
	// the asset; idempotent on the refund's own transactionId.
	Refund(in RefundInput, now time.Time) ([]byte, error)
	// Cancel fails a pending payment with reason and releases its hold. The
	// same cancel repeated returns the stored answer; anything else that is
	// not pending is ErrNotPending, an unknown id ErrNotFound.
	Cancel(transactionID, reason string, now time.Time) ([]byte, error)
	// PollTransaction returns a transaction's current attempt. With count, a
	// pending payment counts one poll and may resolve.
	PollTransaction(transactionID string, count bool, now time.Time) ([]byte, bool)
	// ResolveTransaction settles a pending payment as successful, or as
	// failed with failureReason (releasing the hold).
	ResolveTransaction(transactionID, status, failureReason string, now time.Time) error
	// Transaction returns one stored payment or refund.
	Transaction(id string) (Transaction, bool)
	// Transactions returns every payment and refund, oldest first.
	Transactions() []Transaction
}

var _ Store = (*MemStore)(nil)

// MemStore is the in-memory Store.
type MemStore struct {
	mu         sync.RWMutex
	users      map[string]User
	byUsername map[string]string
	assets     map[string]Asset
	userAssets map[string][]string
	codes      map[hash]*codeRecord
	access     map[hash]*accessRecord
	refresh    map[hash]*refreshRecord
	grants     map[string]*Grant
	txns       map[string]*txnRecord
	clients    map[string]Client
	txnSeq     int
	grantSeq   int
	writes     int
	newGrantID func(seq int) string
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{
		users:      map[string]User{},
		byUsername: map[string]string{},
		assets:     map[string]Asset{},
		userAssets: map[string][]string{},
		codes:      map[hash]*codeRecord{},
		access:     map[hash]*accessRecord{},
		refresh:    map[hash]*refreshRecord{},
		grants:     map[string]*Grant{},
		txns:       map[string]*txnRecord{},
		clients:    map[string]Client{},
		newGrantID: func(seq int) string { return fmt.Sprintf("grant_%06d", seq) },
	}
}

// Users returns every user, sorted by username.
func (s *MemStore) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// User returns the user with this id.
func (s *MemStore) User(id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok
}

// UserByUsername finds a user by login name.
func (s *MemStore) UserByUsername(username string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[s.byUsername[username]]
	return u, ok
}

// PutUser adds a user; ids and usernames are unique.
func (s *MemStore) PutUser(u User) error {
	if u.ID == "" || u.Username == "" {
		return fmt.Errorf("user needs an id and a username: %w", ErrNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("user id %q: %w", u.ID, ErrExists)
	}
	if _, ok := s.byUsername[u.Username]; ok {
		return fmt.Errorf("username %q: %w", u.Username, ErrExists)
	}
	s.users[u.ID] = u
	s.byUsername[u.Username] = u.ID
	return nil
}

// Assets returns a user's assets in the order they were added.
func (s *MemStore) Assets(userID string) []Asset {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.userAssets[userID]
	out := make([]Asset, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.assets[id])
	}
	return out
}

// Asset returns one asset.
func (s *MemStore) Asset(id string) (Asset, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.assets[id]
	return a, ok
}

// PutAsset adds an asset to an existing user. The asset must pass the
// checks Restore applies (id, balance, currency, settings).
func (s *MemStore) PutAsset(a Asset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[a.UserID]; !ok {
		return fmt.Errorf("asset %q: user %q: %w", a.ID, a.UserID, ErrNotFound)
	}
	if _, ok := s.assets[a.ID]; ok {
		return fmt.Errorf("asset id %q: %w", a.ID, ErrExists)
	}
	if err := a.check(); err != nil {
		return fmt.Errorf("asset %q: %w", a.ID, err)
	}
	s.assets[a.ID] = a
	s.userAssets[a.UserID] = append(s.userAssets[a.UserID], a.ID)
	return nil
}

// SetBalance sets an asset's balance in minor units.
func (s *MemStore) SetBalance(assetID string, balance int64) error {
	if balance < 0 {
		return fmt.Errorf("balance %d is negative", balance)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[assetID]
	if !ok {
		return fmt.Errorf("asset %q: %w", assetID, ErrNotFound)
	}
	a.Balance = balance
	s.assets[assetID] = a
	return nil
}

// SaveCode stores a code.
func (s *MemStore) SaveCode(h hash, c Code, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[h] = &codeRecord{Code: c}
	s.wrote(now)
}

// Code returns an unused code that has not expired.
func (s *MemStore) Code(h hash, now time.Time) (Code, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.codes[h]
	switch {
	case !ok:
		return Code{}, ErrNotFound
	case rec.state == codeBurned:
		return rec.Code, ErrCodeBurned
	case rec.state != codeUnused:
		return rec.Code, ErrCodeReused
	case !now.Before(rec.ExpiresAt):
		return rec.Code, ErrExpired
	}
	return rec.Code, nil
}

// BurnCode uses a code up without issuing tokens.
func (s *MemStore) BurnCode(h hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.codes[h]; ok && rec.state == codeUnused {
		rec.state = codeBurned
	}
}

// ReplayCode revokes the grant a redeemed code produced.
func (s *MemStore) ReplayCode(h hash, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.codes[h]; ok && rec.state == codeRedeemed {
		if g := s.grants[rec.grantID]; g != nil && !g.Revoked() {
			s.revokeGrantLocked(g, "authorization code replayed", now)
		}
	}
}

// RedeemCode exchanges an unused code for a new grant and its first tokens.
func (s *MemStore) RedeemCode(h hash, now time.Time, iss Issue) (Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.codes[h]
	if !ok {
		return Grant{}, ErrNotFound
	}
	switch rec.state {
	case codeRedeemed:
		if g := s.grants[rec.grantID]; g != nil && !g.Revoked() {
			s.revokeGrantLocked(g, "authorization code replayed", now)
		}
		return Grant{}, ErrCodeReused
	case codeBurned:
		return Grant{}, ErrCodeBurned
	}
	if !now.Before(rec.ExpiresAt) {
		return Grant{}, ErrExpired
	}
	g := &Grant{ID: s.nextGrantIDLocked(), ClientID: rec.ClientID, UserID: rec.UserID, Scope: rec.Scope, CreatedAt: now}
	s.grants[g.ID] = g
	rec.state = codeRedeemed
	rec.grantID = g.ID
	s.issueLocked(g, rec.Scope, 1, iss, now)
	return *g, nil
}

// nextGrantIDLocked returns the next unused grant id. It skips ids already
// taken, which a restored snapshot may hold.
func (s *MemStore) nextGrantIDLocked() string {
	for {
		s.grantSeq++
		if id := s.newGrantID(s.grantSeq); s.grants[id] == nil {
			return id
		}
	}
}

func (s *MemStore) issueLocked(g *Grant, refreshScope Scopes, generation int, iss Issue, now time.Time) {
	scope := iss.AccessScope
	if scope == 0 {
		scope = refreshScope
	}
	s.access[iss.Access] = &accessRecord{grantID: g.ID, scope: scope, expiresAt: iss.AccessExpires}
	if iss.Refresh != (hash{}) {
		s.refresh[iss.Refresh] = &refreshRecord{grantID: g.ID, scope: refreshScope, generation: generation, expiresAt: iss.RefreshExpires}
	}
	s.wrote(now)
}

// Refresh rotates a refresh token.
func (s *MemStore) Refresh(h hash, clientID string, want Scopes, now time.Time, grace time.Duration, iss Issue) (Grant, Scopes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[h]
	if !ok {
		return Grant{}, 0, ErrNotFound
	}
	g := s.grants[rt.grantID]
	switch {
	case g.ClientID != clientID:
		return Grant{}, 0, ErrWrongClient
	case rt.revoked || g.Revoked():
		return Grant{}, 0, ErrRevoked
	case !now.Before(rt.expiresAt):
		return Grant{}, 0, ErrExpired
	case !rt.rotatedAt.IsZero() && (grace <= 0 || now.Sub(rt.rotatedAt) > grace):
		s.revokeGrantLocked(g, "rotated refresh token reused", now)
		return Grant{}, 0, ErrTokenReused
	case want != 0 && !rt.scope.Has(want):
		return Grant{}, 0, ErrScopeTooWide
	}
	if rt.rotatedAt.IsZero() {
		rt.rotatedAt = now
	}
	iss.AccessScope = want
	s.issueLocked(g, rt.scope, rt.generation+1, iss, now)
	if want == 0 {
		want = rt.scope
	}
	return *g, want, nil
}

// Access resolves an access token.
func (s *MemStore) Access(h hash, now time.Time) (TokenInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	at, ok := s.access[h]
	if !ok {
		return TokenInfo{}, ErrNotFound
	}
	g := s.grants[at.grantID]
	switch {
	case at.revoked || g.Revoked():
		return TokenInfo{}, ErrRevoked
	case !now.Before(at.expiresAt):
		return TokenInfo{}, ErrExpired
	}
	return TokenInfo{GrantID: g.ID, ClientID: g.ClientID, UserID: g.UserID, Scope: at.scope, Expires: at.expiresAt}, nil
}

// Revoke revokes an access or refresh token (RFC 7009).
func (s *MemStore) Revoke(h hash, clientID string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refresh[h]; ok {
		g := s.grants[rt.grantID]
		if g.ClientID != clientID {
			return ErrWrongClient
		}
		rt.revoked = true
		if !g.Revoked() {
			s.revokeGrantLocked(g, "refresh token revoked by the client", now)
		}
		return nil
	}
	if at, ok := s.access[h]; ok {
		if s.grants[at.grantID].ClientID != clientID {
			return ErrWrongClient
		}
		at.revoked = true
	}
	return nil
}

// Grants returns every grant, oldest first, with AccessExpiresAt filled in.
func (s *MemStore) Grants() []Grant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	latest := make(map[string]time.Time, len(s.grants))
	for _, at := range s.access {
		if !at.revoked && at.expiresAt.After(latest[at.grantID]) {
			latest[at.grantID] = at.expiresAt
		}
	}
	out := make([]Grant, 0, len(s.grants))
	for _, g := range s.grants {
		c := *g
		c.AccessExpiresAt = latest[g.ID]
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RevokeGrant revokes a grant and every token issued under it.
func (s *MemStore) RevokeGrant(id, reason string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return fmt.Errorf("grant %q: %w", id, ErrNotFound)
	}
	if !g.Revoked() {
		s.revokeGrantLocked(g, reason, now)
	}
	return nil
}

// revokeGrantLocked kills a grant. Tokens check their grant on every use, so
// marking the grant is enough to kill the whole family.
func (s *MemStore) revokeGrantLocked(g *Grant, reason string, now time.Time) {
	g.RevokedAt = now
	g.RevokeReason = reason
}

// sweepEvery is how many writes pass between sweeps of expired records.
const sweepEvery = 1024

// codeKeep is how long a used or expired code is remembered, so that a late
// replay is still recognised and punished.
const codeKeep = time.Hour

// wrote counts writes and, every sweepEvery of them, forgets records that can
// no longer matter, so memory stays bounded however long the sandbox runs.
// Grants are kept: they are small and the state view lists them.
func (s *MemStore) wrote(now time.Time) {
	s.writes++
	if s.writes%sweepEvery != 0 {
		return
	}
	for h, c := range s.codes {
		if now.Sub(c.ExpiresAt) > codeKeep {
			delete(s.codes, h)
		}
	}
	for h, a := range s.access {
		if now.After(a.expiresAt) {
			delete(s.access, h)
		}
	}
	for h, r := range s.refresh {
		if now.After(r.expiresAt) {
			delete(s.refresh, h)
		}
	}
}
