package mockprovider

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// SnapshotVersion is the Snapshot format this package writes and reads.
const SnapshotVersion = 1

// Snapshot is the whole state of a MemStore as JSON: users, assets, the
// clients registered at run time, grants with their tokens, transactions.
//
// Tokens are kept as the hex SHA-256 the store holds, never as tokens: the
// client that holds a token (the mock Payap, in its own snapshot) keeps
// using it after a restore. Authorization codes are left out: they live for
// minutes (Config.CodeTTL), and a code issued before a snapshot cannot be
// redeemed after its restore. Config clients are left out too: they are
// made again from the config at start.
type Snapshot struct {
	Version       int                   `json:"version"`
	Users         []User                `json:"users"`
	Assets        []Asset               `json:"assets"`
	Clients       []SnapshotClient      `json:"clients"`
	Grants        []SnapshotGrant       `json:"grants"`
	AccessTokens  []SnapshotAccess      `json:"accessTokens"`
	RefreshTokens []SnapshotRefresh     `json:"refreshTokens"`
	Transactions  []SnapshotTransaction `json:"transactions"`
	// GrantSeq numbers the grants issued so far; the next is GrantSeq+1.
	GrantSeq int `json:"grantSeq"`
}

// SnapshotClient is a client registered at run time, with its secret.
type SnapshotClient struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Secret       string   `json:"secret,omitempty"`
	AuthMethod   string   `json:"authMethod"`
	RedirectURIs []string `json:"redirectUris"`
	GrantTypes   []string `json:"grantTypes,omitempty"`
}

// SnapshotGrant is one grant: the family its tokens belong to.
type SnapshotGrant struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"clientId"`
	UserID       string    `json:"userId"`
	Scope        Scopes    `json:"scope"`
	CreatedAt    time.Time `json:"createdAt"`
	RevokedAt    time.Time `json:"revokedAt,omitzero"`
	RevokeReason string    `json:"revokeReason,omitempty"`
}

// SnapshotAccess is one access token, by the hex SHA-256 of the token.
type SnapshotAccess struct {
	Hash      string    `json:"hash"`
	GrantID   string    `json:"grantId"`
	Scope     Scopes    `json:"scope"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// SnapshotRefresh is one refresh token, by the hex SHA-256 of the token.
// Generation counts rotations in its grant (1 for the code's token);
// RotatedAt is when it was first rotated, zero while it is current.
type SnapshotRefresh struct {
	Hash       string    `json:"hash"`
	GrantID    string    `json:"grantId"`
	Scope      Scopes    `json:"scope"`
	Generation int       `json:"generation"`
	ExpiresAt  time.Time `json:"expiresAt"`
	RotatedAt  time.Time `json:"rotatedAt,omitzero"`
	Revoked    bool      `json:"revoked,omitempty"`
}

// SnapshotTransaction is one payment or refund with what the store needs
// to replay and resolve it.
type SnapshotTransaction struct {
	Transaction
	// RefundWindow is the window the payment was made under, e.g. "720h0m0s".
	RefundWindow string `json:"refundWindow,omitempty"`
	// Answer is the first /pay or /refund answer, replayed on a repeat;
	// CancelAnswer the first /cancel answer.
	Answer       json.RawMessage `json:"answer"`
	CancelAnswer json.RawMessage `json:"cancelAnswer,omitempty"`
}

// Snapshot returns a deep copy of the whole state, taken under the lock so
// that it is consistent. Users are sorted by username, assets by user in the
// order they were added, grants by id, tokens by hash and transactions
// oldest first, so the same state always gives the same JSON.
func (s *MemStore) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := Snapshot{
		Version:       SnapshotVersion,
		Users:         make([]User, 0, len(s.users)),
		Assets:        make([]Asset, 0, len(s.assets)),
		Clients:       make([]SnapshotClient, 0, len(s.clients)),
		Grants:        make([]SnapshotGrant, 0, len(s.grants)),
		AccessTokens:  make([]SnapshotAccess, 0, len(s.access)),
		RefreshTokens: make([]SnapshotRefresh, 0, len(s.refresh)),
		Transactions:  make([]SnapshotTransaction, 0, len(s.txns)),
		GrantSeq:      s.grantSeq,
	}
	for _, u := range s.users {
		snap.Users = append(snap.Users, u)
	}
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].Username < snap.Users[j].Username })
	for _, u := range snap.Users {
		for _, id := range s.userAssets[u.ID] {
			snap.Assets = append(snap.Assets, s.assets[id])
		}
	}
	for _, c := range s.clientsLocked() {
		snap.Clients = append(snap.Clients, SnapshotClient{ID: c.ID, Name: c.Name, Secret: c.Secret,
			AuthMethod: c.AuthMethod, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes})
	}
	for _, g := range s.grants {
		snap.Grants = append(snap.Grants, SnapshotGrant{ID: g.ID, ClientID: g.ClientID, UserID: g.UserID, Scope: g.Scope,
			CreatedAt: g.CreatedAt, RevokedAt: g.RevokedAt, RevokeReason: g.RevokeReason})
	}
	sort.Slice(snap.Grants, func(i, j int) bool { return snap.Grants[i].ID < snap.Grants[j].ID })
	for h, at := range s.access {
		snap.AccessTokens = append(snap.AccessTokens, SnapshotAccess{Hash: hex.EncodeToString(h[:]), GrantID: at.grantID,
			Scope: at.scope, ExpiresAt: at.expiresAt, Revoked: at.revoked})
	}
	sort.Slice(snap.AccessTokens, func(i, j int) bool { return snap.AccessTokens[i].Hash < snap.AccessTokens[j].Hash })
	for h, rt := range s.refresh {
		snap.RefreshTokens = append(snap.RefreshTokens, SnapshotRefresh{Hash: hex.EncodeToString(h[:]), GrantID: rt.grantID,
			Scope: rt.scope, Generation: rt.generation, ExpiresAt: rt.expiresAt, RotatedAt: rt.rotatedAt, Revoked: rt.revoked})
	}
	sort.Slice(snap.RefreshTokens, func(i, j int) bool { return snap.RefreshTokens[i].Hash < snap.RefreshTokens[j].Hash })
	recs := make([]*txnRecord, 0, len(s.txns))
	for _, r := range s.txns {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	for _, r := range recs {
		st := SnapshotTransaction{Transaction: r.Transaction.clone(), Answer: json.RawMessage(bytesClone(r.answer))}
		if r.refundWindow != 0 {
			st.RefundWindow = r.refundWindow.String()
		}
		if r.cancelAnswer != nil {
			st.CancelAnswer = json.RawMessage(bytesClone(r.cancelAnswer))
		}
		snap.Transactions = append(snap.Transactions, st)
	}
	return snap
}

func bytesClone(b []byte) []byte { return append([]byte(nil), b...) }

// Restore replaces the whole state with snap, all or nothing. It checks
// everything first: the version, unique user ids and usernames, unique
// asset ids whose owners exist, valid settings, clients valid as in the
// config, token hashes of 64 hex digits, grants and tokens that point at
// what exists, and transactions consistent with their users and assets.
// On any error nothing changes and the error names the item, e.g.
// `assets[2]: owner "u9" is not a user`. Authorization codes are cleared.
//
// Grants may name a client the store does not hold: config clients are not
// in the snapshot.
func (s *MemStore) Restore(snap Snapshot) error {
	st, err := buildState(snap)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byUsername, s.assets, s.userAssets = st.users, st.byUsername, st.assets, st.userAssets
	s.clients, s.grants, s.access, s.refresh, s.txns = st.clients, st.grants, st.access, st.refresh, st.txns
	s.codes = map[hash]*codeRecord{}
	s.grantSeq, s.txnSeq = snap.GrantSeq, len(snap.Transactions)
	return nil
}

// buildState checks a snapshot and builds fresh maps from it in a MemStore
// that nobody else sees.
func buildState(snap Snapshot) (*MemStore, error) {
	if snap.Version != SnapshotVersion {
		return nil, fmt.Errorf("version %d: this sandbox reads provider snapshots of version %d", snap.Version, SnapshotVersion)
	}
	if snap.GrantSeq < 0 {
		return nil, fmt.Errorf("grantSeq %d must not be negative", snap.GrantSeq)
	}
	st := NewMemStore()
	for i, u := range snap.Users {
		switch {
		case u.ID == "" || u.Username == "":
			return nil, fmt.Errorf("users[%d]: a user needs an id and a username", i)
		case st.users[u.ID].ID != "":
			return nil, fmt.Errorf("users[%d]: id %q is also another user's", i, u.ID)
		case st.byUsername[u.Username] != "":
			return nil, fmt.Errorf("users[%d]: username %q is also another user's", i, u.Username)
		}
		st.users[u.ID] = u
		st.byUsername[u.Username] = u.ID
	}
	for i, a := range snap.Assets {
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("assets[%d]: %w", i, err)
		}
		if _, ok := st.users[a.UserID]; !ok {
			return nil, fmt.Errorf("assets[%d]: owner %q is not a user", i, a.UserID)
		}
		if _, ok := st.assets[a.ID]; ok {
			return nil, fmt.Errorf("assets[%d]: id %q is also another asset's", i, a.ID)
		}
		st.assets[a.ID] = a
		st.userAssets[a.UserID] = append(st.userAssets[a.UserID], a.ID)
	}
	for i, sc := range snap.Clients {
		c := cloneClient(Client{ID: sc.ID, Name: sc.Name, Secret: sc.Secret, AuthMethod: sc.AuthMethod,
			RedirectURIs: sc.RedirectURIs, GrantTypes: sc.GrantTypes})
		if errs := c.problems(fmt.Sprintf("clients[%d]", i)); len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		if _, ok := st.clients[c.ID]; ok {
			return nil, fmt.Errorf("clients[%d]: id %q is registered twice", i, c.ID)
		}
		st.clients[c.ID] = c
	}
	for i, sg := range snap.Grants {
		where := fmt.Sprintf("grants[%d]", i)
		switch {
		case sg.ID == "" || sg.ClientID == "":
			return nil, fmt.Errorf("%s: a grant needs an id and a clientId", where)
		case st.grants[sg.ID] != nil:
			return nil, fmt.Errorf("%s: id %q is also another grant's", where, sg.ID)
		case st.users[sg.UserID].ID == "":
			return nil, fmt.Errorf("%s: userId %q is not a user", where, sg.UserID)
		case sg.CreatedAt.IsZero():
			return nil, fmt.Errorf("%s: createdAt is required", where)
		}
		if err := checkScope(sg.Scope); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		st.grants[sg.ID] = &Grant{ID: sg.ID, ClientID: sg.ClientID, UserID: sg.UserID, Scope: sg.Scope,
			CreatedAt: sg.CreatedAt, RevokedAt: sg.RevokedAt, RevokeReason: sg.RevokeReason}
	}
	for i, sa := range snap.AccessTokens {
		where := fmt.Sprintf("accessTokens[%d]", i)
		h, err := st.tokenRecordCheck(where, sa.Hash, sa.GrantID, sa.Scope, sa.ExpiresAt)
		if err != nil {
			return nil, err
		}
		st.access[h] = &accessRecord{grantID: sa.GrantID, scope: sa.Scope, expiresAt: sa.ExpiresAt, revoked: sa.Revoked}
	}
	for i, sr := range snap.RefreshTokens {
		where := fmt.Sprintf("refreshTokens[%d]", i)
		h, err := st.tokenRecordCheck(where, sr.Hash, sr.GrantID, sr.Scope, sr.ExpiresAt)
		if err != nil {
			return nil, err
		}
		if sr.Generation < 1 {
			return nil, fmt.Errorf("%s: generation %d must be 1 or more", where, sr.Generation)
		}
		st.refresh[h] = &refreshRecord{grantID: sr.GrantID, scope: sr.Scope, generation: sr.Generation,
			expiresAt: sr.ExpiresAt, rotatedAt: sr.RotatedAt, revoked: sr.Revoked}
	}
	for i, t := range snap.Transactions {
		r, err := st.txnFromSnapshot(t)
		if err != nil {
			return nil, fmt.Errorf("transactions[%d]: %w", i, err)
		}
		if _, ok := st.txns[r.Attempt.TransactionID]; ok {
			return nil, fmt.Errorf("transactions[%d]: transactionId %q is also another transaction's", i, r.Attempt.TransactionID)
		}
		r.seq = i + 1
		st.txns[r.Attempt.TransactionID] = r
	}
	return st, nil
}

// checkScope wants at least one scope and only the provider's.
func checkScope(s Scopes) error {
	if s == 0 || s&^allScopes != 0 {
		return fmt.Errorf("scope must be assets:read, assets:pay or both (got bits %#x)", uint8(s))
	}
	return nil
}

// tokenRecordCheck checks the fields access and refresh tokens share and
// returns the parsed hash, new among both kinds.
func (s *MemStore) tokenRecordCheck(where, hexHash, grantID string, scope Scopes, expiresAt time.Time) (hash, error) {
	var h hash
	if len(hexHash) != 2*len(h) {
		return h, fmt.Errorf("%s: hash must be 64 hex digits (the SHA-256 of the token), got %d characters", where, len(hexHash))
	}
	if _, err := hex.Decode(h[:], []byte(hexHash)); err != nil {
		return h, fmt.Errorf("%s: hash must be 64 hex digits (the SHA-256 of the token): %v", where, err)
	}
	if s.access[h] != nil || s.refresh[h] != nil {
		return h, fmt.Errorf("%s: hash %s is also another token's", where, hexHash)
	}
	g := s.grants[grantID]
	if g == nil {
		return h, fmt.Errorf("%s: grantId %q is not a grant", where, grantID)
	}
	if err := checkScope(scope); err != nil {
		return h, fmt.Errorf("%s: %w", where, err)
	}
	if !g.Scope.Has(scope) {
		return h, fmt.Errorf("%s: scope %q is wider than its grant's %q", where, scope, g.Scope)
	}
	if expiresAt.IsZero() {
		return h, fmt.Errorf("%s: expiresAt is required", where)
	}
	return h, nil
}

// txnFromSnapshot checks one transaction against the users and assets
// already built and returns its record.
func (s *MemStore) txnFromSnapshot(t SnapshotTransaction) (*txnRecord, error) {
	a := t.Attempt
	switch {
	case a.TransactionID == "":
		return nil, errors.New("attempt.transactionId is required")
	case a.Type != TypePayment && a.Type != TypeRefund:
		return nil, fmt.Errorf("attempt.type %q must be %s or %s", a.Type, TypePayment, TypeRefund)
	case a.Status != StatusSuccessful && a.Status != StatusFailed && a.Status != StatusPending:
		return nil, fmt.Errorf("attempt.status %q must be %s, %s or %s", a.Status, StatusSuccessful, StatusFailed, StatusPending)
	case a.Status == StatusFailed && a.FailureReason == "":
		return nil, errors.New("a failed attempt needs a failureReason")
	case a.Status == StatusPending && a.Type != TypePayment:
		return nil, errors.New("only a payment can be pending")
	case a.Status == StatusPending && t.PollsNeeded < 1:
		return nil, errors.New("a pending payment needs pollsNeeded of 1 or more")
	case t.Held && a.Status != StatusPending:
		return nil, errors.New("held is only for a pending payment")
	case t.Held && t.AssetID == "":
		return nil, errors.New("a held payment needs the assetId it is held on")
	case t.Polls < 0 || t.Refunded < 0 || t.Refunded > t.Amount:
		return nil, fmt.Errorf("polls %d and refunded %d must be 0 or more, refunded at most amountMinor %d", t.Polls, t.Refunded, t.Amount)
	case t.ResolvesTo != "" && t.ResolvesTo != StatusSuccessful && t.ResolvesTo != StatusFailed:
		return nil, fmt.Errorf("resolvesTo %q must be empty, %s or %s", t.ResolvesTo, StatusSuccessful, StatusFailed)
	case t.ResolvesTo == StatusFailed && t.ResolveFailureReason == "":
		return nil, errors.New("resolvesTo failed needs a resolveFailureReason")
	case t.UserID != "" && s.users[t.UserID].ID == "":
		return nil, fmt.Errorf("userId %q is not a user", t.UserID)
	case len(a.MerchantLocation) > 0 && !json.Valid(a.MerchantLocation):
		return nil, errors.New("attempt.merchantLocation must be JSON")
	case len(t.Answer) == 0 || !json.Valid(t.Answer):
		return nil, errors.New("answer must be the stored JSON attempt")
	case len(t.CancelAnswer) > 0 && !json.Valid(t.CancelAnswer):
		return nil, errors.New("cancelAnswer must be a JSON attempt")
	case (t.CancelReason == "") != (len(t.CancelAnswer) == 0):
		return nil, errors.New("cancelReason and cancelAnswer go together: both or neither")
	}
	if a.RefundBefore != "" {
		if _, err := time.Parse(timestampLayout, a.RefundBefore); err != nil {
			return nil, fmt.Errorf("attempt.refundBefore %q must be a timestamp such as 2026-01-31T09:00:00.000Z", a.RefundBefore)
		}
	}
	if t.AssetID != "" {
		if _, ok := s.assets[t.AssetID]; !ok {
			return nil, fmt.Errorf("assetId %q is not an asset", t.AssetID)
		}
	}
	if n, err := strconv.ParseInt(a.Amount, 10, 64); err != nil || n != t.Amount {
		return nil, fmt.Errorf("attempt.amount %q must be amountMinor %d as digits", a.Amount, t.Amount)
	}
	r := &txnRecord{Transaction: t.Transaction.clone(), answer: bytesClone(t.Answer)}
	if len(t.CancelAnswer) > 0 {
		r.cancelAnswer = bytesClone(t.CancelAnswer)
	}
	if t.RefundWindow != "" {
		w, err := time.ParseDuration(t.RefundWindow)
		if err != nil || w < 0 {
			return nil, fmt.Errorf("refundWindow %q must be a duration such as 720h", t.RefundWindow)
		}
		r.refundWindow = w
	}
	return r, nil
}
