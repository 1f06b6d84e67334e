package mockprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"
)

// This file holds the hooks the sandbox's scenarios and control API use:
// run-time clients, fixtures, grant faults and the pay result override.

// PutClient registers an OAuth client at run time. It is checked as a
// config client is (see Config.Validate); an id the store already holds is
// ErrExists. The handler looks a client up in its Config first, so a store
// client whose id a config client also has is never seen: the caller, which
// knows the config, should refuse such ids.
func (s *MemStore) PutClient(c Client) error {
	where := fmt.Sprintf("client %q", c.ID)
	if errs := c.problems(where); len(errs) > 0 {
		return errors.Join(errs...)
	}
	c = cloneClient(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return fmt.Errorf("%s: %w", where, ErrExists)
	}
	s.clients[c.ID] = c
	return nil
}

// Client returns a client registered with PutClient.
func (s *MemStore) Client(id string) (Client, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[id]
	return cloneClient(c), ok
}

// Clients returns the clients registered with PutClient, sorted by id.
// Config clients are not among them.
func (s *MemStore) Clients() []Client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clientsLocked()
}

func (s *MemStore) clientsLocked() []Client {
	out := make([]Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, cloneClient(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// cloneClient copies c's slices, so that no caller shares the store's.
func cloneClient(c Client) Client {
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	c.GrantTypes = append([]string(nil), c.GrantTypes...)
	return c
}

// DefaultCurrency is the currency AddUser gives an asset that names none.
const DefaultCurrency = "NZD"

// UserIDFor is the id AddUser gives a user that has none: "u-" and the
// first 12 hex digits of the SHA-256 of the username, the same on every run.
func UserIDFor(username string) string {
	sum := sha256.Sum256([]byte(username))
	return "u-" + hex.EncodeToString(sum[:6])
}

// AddUser adds a fixture user with their assets, all or nothing. An empty
// u.ID becomes UserIDFor(u.Username); an asset's empty UserID becomes the
// user's id and its empty Currency DefaultCurrency. The username, user id
// and every asset id must be new; each asset needs an id, a balance of zero
// or more and valid settings (see AssetSettings.Validate). On any error
// nothing is added, and the error names the asset at fault.
func (s *MemStore) AddUser(u User, assets []Asset) error {
	if u.Username == "" {
		return errors.New("user: username is required")
	}
	if u.Password == "" {
		return fmt.Errorf("user %q: password is required, or nobody can sign in as them", u.Username)
	}
	if u.ID == "" {
		u.ID = UserIDFor(u.Username)
	}
	as := make([]Asset, len(assets))
	seen := map[string]int{}
	for i, a := range assets {
		where := fmt.Sprintf("user %q: assets[%d]", u.Username, i)
		if a.UserID == "" {
			a.UserID = u.ID
		}
		if a.Currency == "" {
			a.Currency = DefaultCurrency
		}
		if err := a.check(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if a.UserID != u.ID {
			return fmt.Errorf("%s: userId %q is not the user's id %q; leave it empty", where, a.UserID, u.ID)
		}
		if j, dup := seen[a.ID]; dup {
			return fmt.Errorf("%s: id %q is also assets[%d]; give each asset its own id", where, a.ID, j)
		}
		seen[a.ID] = i
		as[i] = a
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byUsername[u.Username]; ok {
		return fmt.Errorf("username %q: %w", u.Username, ErrExists)
	}
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("user %q: id %q: %w", u.Username, u.ID, ErrExists)
	}
	for i, a := range as {
		if _, ok := s.assets[a.ID]; ok {
			return fmt.Errorf("user %q: assets[%d]: id %q: %w", u.Username, i, a.ID, ErrExists)
		}
	}
	s.users[u.ID] = u
	s.byUsername[u.Username] = u.ID
	for _, a := range as {
		s.assets[a.ID] = a
		s.userAssets[u.ID] = append(s.userAssets[u.ID], a.ID)
	}
	return nil
}

// check reports what is wrong with an asset on its own: its id, balance,
// currency and settings.
func (a Asset) check() error {
	switch {
	case a.ID == "":
		return errors.New("id is required")
	case len(a.ID) > maxIDLength:
		return fmt.Errorf("id is longer than %d characters", maxIDLength)
	case a.Balance < 0:
		return fmt.Errorf("balance %d is negative; use 0 or more minor units", a.Balance)
	case a.Currency != "" && !isCurrencyCode(a.Currency):
		return fmt.Errorf("currency %q must be an ISO 4217 code of three capital letters, e.g. NZD", a.Currency)
	}
	if err := a.Settings().Validate(); err != nil {
		return err
	}
	return nil
}

func isCurrencyCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// ExpireUserTokens makes every live access token of every grant of the
// user expire at now (the "expireGrant" fault). Refresh tokens keep
// working, so a client that refreshes recovers. It returns how many tokens
// it expired; an unknown username is ErrNotFound.
func (s *MemStore) ExpireUserTokens(username string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[s.byUsername[username]]
	if !ok {
		return 0, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	n := 0
	for _, at := range s.access {
		g := s.grants[at.grantID]
		if g.UserID != u.ID || at.revoked || g.Revoked() || !now.Before(at.expiresAt) {
			continue
		}
		at.expiresAt = now
		n++
	}
	return n, nil
}

// RevokeUserGrants revokes every live grant of the user with reason (the
// "revokeGrant" fault and scenario step): all their access and refresh
// tokens stop working. An empty reason is "revoked by the sandbox". It
// returns how many grants it revoked; an unknown username is ErrNotFound.
func (s *MemStore) RevokeUserGrants(username, reason string, now time.Time) (int, error) {
	if reason == "" {
		reason = "revoked by the sandbox"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[s.byUsername[username]]
	if !ok {
		return 0, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	n := 0
	for _, g := range s.grants {
		if g.UserID == u.ID && !g.Revoked() {
			s.revokeGrantLocked(g, reason, now)
			n++
		}
	}
	return n, nil
}

// PayOverride forces the outcome of one POST /pay (the sandbox's
// "payResult" fault). It applies only after the request has passed every
// check (token, scope, body) and only to a new transactionId: a replayed
// one answers what was stored.
type PayOverride struct {
	// Status is failed (answer failed with FailureReason, charge nothing) or
	// pending (hold the amount and answer pending, as an asset with
	// PendingPolls does). A payment that cannot be made at all (unknown
	// asset, wrong currency, insufficient balance) still fails at once
	// under pending, as it would without the override.
	Status string
	// FailureReason is the reason of a failed payment, or of a pending one
	// that ends failed, e.g. INSUFFICIENT_ASSET_VALUE.
	FailureReason string
	// ResolveAfterPolls is, for pending, the GET /get (1 or more) on which
	// the payment resolves.
	ResolveAfterPolls int
	// Then is, for pending, what it resolves to: successful (the held
	// amount stays charged) or failed (the hold goes back to the asset).
	Then string
}

// Validate reports what is wrong with the override and how to fix it.
func (o PayOverride) Validate() error {
	switch o.Status {
	case StatusFailed:
		if o.ResolveAfterPolls != 0 || o.Then != "" {
			return errors.New("payResult failed answers at once: remove resolveAfterPolls and then")
		}
		return checkFailureReason(o.FailureReason, "payResult failed")
	case StatusPending:
		if o.ResolveAfterPolls < 1 || o.ResolveAfterPolls > MaxPendingPolls {
			return fmt.Errorf("payResult pending needs resolveAfterPolls between 1 and %d, got %d", MaxPendingPolls, o.ResolveAfterPolls)
		}
		switch o.Then {
		case StatusSuccessful:
			if o.FailureReason != "" {
				return fmt.Errorf("payResult pending then successful has no failureReason (got %q)", o.FailureReason)
			}
			return nil
		case StatusFailed:
			return checkFailureReason(o.FailureReason, "payResult pending then failed")
		}
		return fmt.Errorf("payResult pending needs then: %s or %s (got %q)", StatusSuccessful, StatusFailed, o.Then)
	}
	return fmt.Errorf("payResult status must be %s or %s (got %q)", StatusFailed, StatusPending, o.Status)
}

// checkFailureReason wants a reason in the documented form: capitals,
// digits and underscores, e.g. INSUFFICIENT_ASSET_VALUE.
func checkFailureReason(reason, what string) error {
	if reason == "" {
		return fmt.Errorf("%s needs a failureReason, e.g. %s", what, ReasonInsufficientValue)
	}
	for i := 0; i < len(reason); i++ {
		if c := reason[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%s: failureReason %q must be capitals, digits and underscores, e.g. %s", what, reason, ReasonInsufficientValue)
		}
	}
	return nil
}

// payOverrideKey is the context key of a PayOverride.
type payOverrideKey struct{}

// WithPayOverride returns a copy of ctx that makes POST /pay answer as o
// says. It is a per-request test hook for the sandbox's fault middleware,
// which sets it on the request before the provider's handler runs.
func WithPayOverride(ctx context.Context, o PayOverride) context.Context {
	return context.WithValue(ctx, payOverrideKey{}, o)
}

func payOverrideFrom(ctx context.Context) (PayOverride, bool) {
	o, ok := ctx.Value(payOverrideKey{}).(PayOverride)
	return o, ok
}
