// Package mockpayap is the mock Payap backend: it starts Connect, handles
// the OAuth callback, stores and refreshes tokens, fetches assets live from
// the provider, serves its JWKS, and offers a small app-facing REST API to
// wallet front ends. It talks to providers only over HTTP.
package mockpayap

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// Clock is the sandbox clock every expiry reads.
type Clock interface{ Now() time.Time }

// Deps are what the mock Payap needs from the sandbox.
type Deps struct {
	// Store holds users, sessions, asset types, connections and the wallet.
	// Required; see NewMemStore, Seed and RegisterAssetType.
	Store Store
	// Clock is the sandbox clock. Required.
	Clock Clock
	// HTTPClient calls providers; nil means a client with no timeout of its
	// own (every call is bounded by Config.ProviderTimeout).
	HTTPClient *http.Client
	// JWKS serves Payap's public keys at /.well-known/jwks.json. Required.
	JWKS http.Handler
	// Signer signs Payap's requests to providers (GET /get, POST /refund,
	// POST /cancel) with the keys JWKS serves: aud is the asset type's
	// provider URL. Nil derives one from JWKS when that is a
	// *payapjwt.Keyring.
	Signer *payapjwt.Signer
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
}

type payap struct {
	cfg   Config
	store Store
	clock Clock
	http  *http.Client
	jwks  http.Handler
	log   *slog.Logger
	disco *discovery
	locks connLocks

	signer *payapjwt.Signer
	// centrapayJWT checks the JWT Centrapay signs POST /centrapay/refunds with.
	centrapayJWT *payapjwt.Verifier
	// payLocks serialises the work on one payment: the pay call, a lazy
	// poll and a refund never overlap.
	payLocks connLocks
}

// New returns the mock Payap's HTTP handler. cfg must be valid and its
// PublicURL set.
func New(cfg Config, deps Deps) http.Handler {
	p := newPayap(cfg, deps)
	return p.cors(p.routes())
}

func newPayap(cfg Config, deps Deps) *payap {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := deps.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	// Never follow redirects from a provider's API: discovery, token and
	// revocation must answer directly.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	signer := deps.Signer
	if k, ok := deps.JWKS.(*payapjwt.Keyring); ok && signer == nil {
		signer = payapjwt.NewSigner(k, deps.Clock)
	}
	return &payap{
		cfg:          cfg,
		store:        deps.Store,
		clock:        deps.Clock,
		http:         &c,
		jwks:         deps.JWKS,
		log:          log,
		disco:        &discovery{client: &c},
		signer:       signer,
		centrapayJWT: payapjwt.NewVerifier(cfg.centrapayJWKS(), cfg.PublicURL, &c, deps.Clock),
	}
}

// RegisterAssetType registers the configured provider with a store, as the
// one-off asset type registration of the Payap guide does. providerURL is
// the provider's issuer when the config names none. When a MemStore already
// holds an asset type of that name, as after Restore, the configured
// registration replaces it, so that a restored sandbox reaches its provider
// where it runs now; connections keep their tokens. Other stores answer
// ErrExists then.
func RegisterAssetType(st Store, pc ProviderConfig, providerURL string) error {
	if pc.BaseURL != "" {
		providerURL = pc.BaseURL
	}
	at := AssetType{
		Name:         pc.Name,
		Description:  pc.Description,
		ProviderURL:  providerURL,
		ClientID:     pc.ClientID,
		ClientSecret: pc.ClientSecret,
		AuthMethod:   pc.authMethod(),
	}
	err := st.PutAssetType(at)
	if r, ok := st.(interface{ replaceAssetType(AssetType) bool }); ok && errors.Is(err, ErrExists) && r.replaceAssetType(at) {
		return nil
	}
	return err
}

// randomValue is 256 bits from crypto/rand, base64url-encoded.
func randomValue(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}
