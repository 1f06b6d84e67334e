// Package payapjwt is Payap's server-to-server JWT scheme (centrapay-api.md
// §2.6): the ES256 P-256 keyring and its JWKS document, the signer the mock
// Payap backend uses on refund, cancel and get calls, and the verifier a
// provider uses to check them. It knows nothing about routing; the only HTTP
// it speaks is the JWKS handler and the verifier's JWKS fetch.
package payapjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Clock is the sandbox clock.
type Clock interface{ Now() time.Time }

// Defaults for KeyringConfig fields left at zero.
const (
	DefaultTokenLifetime = 300 * time.Second
	DefaultJWKSMaxAge    = 300 * time.Second
)

// retiredKept is how many retired keys Keys still reports; older ones are
// forgotten so that repeated rotations do not grow the keyring without bound.
const retiredKept = 8

// KeyringConfig sets the key lifecycle. Zero fields take their defaults.
type KeyringConfig struct {
	// PublishLead is how long a new key is published in the JWKS before it
	// signs, so that verifiers' caches already hold it. Default: JWKSMaxAge.
	PublishLead time.Duration
	// TokenLifetime is exp - iat of every JWT (300 s per the guide). An old
	// key stays published until everything it signed has expired.
	TokenLifetime time.Duration
	// JWKSMaxAge is the Cache-Control max-age of the JWKS document.
	// Default: 300 s.
	JWKSMaxAge time.Duration
}

func (c KeyringConfig) withDefaults() (KeyringConfig, error) {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"PublishLead", c.PublishLead}, {"TokenLifetime", c.TokenLifetime}, {"JWKSMaxAge", c.JWKSMaxAge}} {
		if f.d < 0 {
			return c, fmt.Errorf("payapjwt: %s is %s; use a positive duration, or zero for the default", f.name, f.d)
		}
	}
	if c.TokenLifetime == 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.JWKSMaxAge == 0 {
		c.JWKSMaxAge = DefaultJWKSMaxAge
	}
	if c.PublishLead == 0 {
		c.PublishLead = c.JWKSMaxAge
	}
	return c, nil
}

// KeyInfo describes one key of the keyring for a state view.
type KeyInfo struct {
	KID       string
	CreatedAt time.Time // when it was generated and first published
	// ActiveFrom is when it starts signing.
	ActiveFrom time.Time
	// SigningUntil is when its successor takes over; zero while it has none.
	SigningUntil time.Time
	// RetiresAt is when it leaves the JWKS (SigningUntil + TokenLifetime);
	// zero while unknown.
	RetiresAt time.Time
	Signing   bool // it signs new tokens now
	Published bool // it is in the JWKS now
}

// key is one signing key. Keys are kept in rotation order and activeFrom never
// decreases along that order, so the signing key is the last one whose
// activeFrom has passed and a key stops signing when the next one starts.
type key struct {
	kid        string
	priv       *ecdsa.PrivateKey
	createdAt  time.Time
	activeFrom time.Time
}

// Keyring holds Payap's ES256 P-256 signing keys and their lifecycle. It is
// safe for concurrent use.
type Keyring struct {
	cfg   KeyringConfig
	clock Clock

	mu   sync.RWMutex
	keys []*key // rotation order
}

// NewKeyring generates the first key, which is published and signs at once.
func NewKeyring(cfg KeyringConfig, clock Clock) (*Keyring, error) {
	if clock == nil {
		return nil, errors.New("payapjwt: NewKeyring needs a clock")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &Keyring{cfg: cfg, clock: clock}
	if _, err := k.add(0); err != nil {
		return nil, err
	}
	return k, nil
}

// Config returns the configuration in force, defaults filled in.
func (k *Keyring) Config() KeyringConfig { return k.cfg }

// Rotate adds a new key. It is published now and signs from now+PublishLead;
// until then the previous signing key keeps signing, and that key stays
// published until the moment it stopped signing plus TokenLifetime.
func (k *Keyring) Rotate() (kid string, err error) {
	return k.add(k.cfg.PublishLead)
}

// RotateWithoutNotice adds a new key that signs at once, before any verifier
// can have it cached: the "keys rotate without notice" case of §2.6, which a
// provider must survive by refetching the JWKS on an unknown kid. The previous
// key stays published for TokenLifetime, as with Rotate.
func (k *Keyring) RotateWithoutNotice() (kid string, err error) {
	return k.add(0)
}

func (k *Keyring) add(lead time.Duration) (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("payapjwt: generate P-256 key: %w", err)
	}
	now := k.clock.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	kid, err := k.newKIDLocked(now)
	if err != nil {
		return "", err
	}
	activeFrom := now.Add(lead)
	if n := len(k.keys); n > 0 && activeFrom.Before(k.keys[n-1].activeFrom) {
		// The clock went back, or a shorter lead follows a longer one: keep
		// the order so a key never takes over before its predecessor did.
		activeFrom = k.keys[n-1].activeFrom
	}
	k.keys = append(k.keys, &key{kid: kid, priv: priv, createdAt: now, activeFrom: activeFrom})
	k.pruneLocked(now)
	return kid, nil
}

// newKIDLocked returns a kid in the docs' format, "2026-02-17-adab74e8": the
// sandbox date and 8 random hex digits, unique within the keyring.
func (k *Keyring) newKIDLocked(now time.Time) (string, error) {
	for range 16 {
		kid, err := randomKID(now)
		if err != nil {
			return "", err
		}
		if k.findLocked(kid) == nil {
			return kid, nil
		}
	}
	return "", errors.New("payapjwt: could not draw an unused kid")
}

func randomKID(now time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("payapjwt: draw kid: %w", err)
	}
	return now.UTC().Format("2006-01-02") + "-" + hex.EncodeToString(b[:]), nil
}

func (k *Keyring) findLocked(kid string) *key {
	for _, c := range k.keys {
		if c.kid == kid {
			return c
		}
	}
	return nil
}

// pruneLocked forgets the oldest retired keys beyond retiredKept.
func (k *Keyring) pruneLocked(now time.Time) {
	retired := 0
	for i := range k.keys {
		if !k.publishedLocked(i, now) {
			retired++
		}
	}
	for retired > retiredKept && !k.publishedLocked(0, now) {
		k.keys = k.keys[1:]
		retired--
	}
}

// signingUntilLocked is when key i stops signing: when its successor starts.
func (k *Keyring) signingUntilLocked(i int) (time.Time, bool) {
	if i+1 < len(k.keys) {
		return k.keys[i+1].activeFrom, true
	}
	return time.Time{}, false
}

func (k *Keyring) retiresAtLocked(i int) (time.Time, bool) {
	until, ok := k.signingUntilLocked(i)
	if !ok {
		return time.Time{}, false
	}
	return until.Add(k.cfg.TokenLifetime), true
}

func (k *Keyring) publishedLocked(i int, now time.Time) bool {
	at, ok := k.retiresAtLocked(i)
	return !ok || now.Before(at)
}

// signingIndexLocked is the index of the key that signs at now: the last one
// whose activeFrom has passed, or the first key if the clock went back
// before all of them.
func (k *Keyring) signingIndexLocked(now time.Time) int {
	idx := 0
	for i, c := range k.keys {
		if !now.Before(c.activeFrom) {
			idx = i
		}
	}
	return idx
}

// signingKey returns the key that signs at now.
func (k *Keyring) signingKey(now time.Time) (kid string, priv *ecdsa.PrivateKey) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	c := k.keys[k.signingIndexLocked(now)]
	return c.kid, c.priv
}

// hasKID reports whether kid is one of the keyring's keys, published or not.
func (k *Keyring) hasKID(kid string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.findLocked(kid) != nil
}

// Keys describes every key the keyring still remembers, oldest first.
func (k *Keyring) Keys() []KeyInfo {
	now := k.clock.Now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	signing := k.signingIndexLocked(now)
	out := make([]KeyInfo, 0, len(k.keys))
	for i, c := range k.keys {
		info := KeyInfo{
			KID:        c.kid,
			CreatedAt:  c.createdAt,
			ActiveFrom: c.activeFrom,
			Signing:    i == signing,
			Published:  k.publishedLocked(i, now),
		}
		info.SigningUntil, _ = k.signingUntilLocked(i)
		info.RetiresAt, _ = k.retiresAtLocked(i)
		out = append(out, info)
	}
	return out
}

// JWKS returns the public keys published now, oldest first. Each carries kty
// EC, crv P-256, x, y, use "sig", alg "ES256" and kid; no private part.
func (k *Keyring) JWKS() jose.JSONWebKeySet {
	now := k.clock.Now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for i, c := range k.keys {
		if !k.publishedLocked(i, now) {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       &c.priv.PublicKey,
			KeyID:     c.kid,
			Algorithm: string(jose.ES256),
			Use:       "sig",
		})
	}
	return set
}

// ServeHTTP serves the JWKS document (GET and HEAD) with
// Cache-Control: public, max-age=JWKSMaxAge. Other methods get 405.
func (k *Keyring) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"message":"method not allowed: the JWKS is read with GET"}` + "\n"))
		return
	}
	b, err := json.Marshal(k.JWKS())
	if err != nil {
		// Only a broken key could get here; say nothing about it.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"internal error"}` + "\n"))
		return
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(k.cfg.JWKSMaxAge/time.Second), 10))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(b)
	}
}
