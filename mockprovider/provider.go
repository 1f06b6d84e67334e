// Package mockprovider is the mock third-party provider: an OAuth 2.0
// authorization server (authorization code + PKCE S256, login and consent
// pages, refresh rotation, RFC 7009 revocation, RFC 8414 metadata) and the
// resource server for GET /assets and GET /assets/{assetId} described in the
// Payap guide "Connect Your Users to Payap", and the payment endpoints of the
// Spend flow: POST /pay (the user's access token) and POST /refund, POST
// /cancel and GET /get (a Payap ES256 JWT).
package mockprovider

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// Clock is the sandbox clock every expiry reads.
type Clock interface{ Now() time.Time }

// Deps are what the provider needs from the sandbox.
type Deps struct {
	// Store holds users, assets and OAuth state. Required; see NewMemStore and Seed.
	Store Store
	// Clock is the sandbox clock. Required.
	Clock Clock
	// Logger receives the provider's own logs; nil discards them.
	Logger *slog.Logger
	// HTTPClient fetches Payap's JWKS; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

type provider struct {
	cfg      Config
	store    Store
	clock    Clock
	log      *slog.Logger
	clients  map[string]Client
	sessions *sessions
	pages    *template.Template
	meta     []byte
	// payap checks the JWTs on refund, cancel and get; nil when
	// cfg.PayapJWKSURL is empty.
	payap *payapjwt.Verifier
}

// New returns the provider's HTTP handler. cfg must be valid (see
// Config.Validate); an empty client list registers DefaultClient is the
// caller's job, so that the handler serves exactly what it is given.
func New(cfg Config, deps Deps) http.Handler {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &provider{
		cfg:      cfg,
		store:    deps.Store,
		clock:    deps.Clock,
		log:      log,
		clients:  make(map[string]Client, len(cfg.Clients)),
		sessions: newSessions(),
		pages:    parsePages(),
	}
	for _, c := range cfg.Clients {
		p.clients[c.ID] = c
	}
	if cfg.PayapJWKSURL != "" {
		var opts []payapjwt.VerifierOption
		if cfg.JWTLeeway > 0 {
			opts = append(opts, payapjwt.WithLeeway(cfg.JWTLeeway))
		}
		p.payap = payapjwt.NewVerifier(cfg.PayapJWKSURL, cfg.Issuer, deps.HTTPClient, deps.Clock, opts...)
	}
	p.meta, _ = json.Marshal(p.metadata())
	return p.routes()
}

// randomToken returns prefix plus 256 bits from crypto/rand, base64url
// encoded: codes and tokens well past the 128 bits RFC 6749 §10.10 asks for (E32).
func randomToken(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func (p *provider) now() time.Time { return p.clock.Now() }

// client looks a client up in the config first, then among those the store
// registered at run time; a config client shadows a store client with its id.
func (p *provider) client(id string) (Client, bool) {
	if c, ok := p.clients[id]; ok {
		return c, true
	}
	return p.store.Client(id)
}
