// Package mockcentrapay is the mock Centrapay API: wallets, asset types,
// media uploads, merchants and merchant configs, payment requests (create,
// get, pay, refund, void, activities), POS connections and webhooks. Paths,
// field names, statuses, error bodies and error codes follow the public
// documentation, so code written against the mock works against the real
// service. Where the documentation contradicts itself both forms are
// accepted on input and the model's form is written (see the README).
package mockcentrapay

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// Clock is the sandbox clock every expiry reads.
type Clock interface{ Now() time.Time }

// Deps are what the mock Centrapay needs from the sandbox.
type Deps struct {
	// Store holds every object; see NewMemStore and Seed. Required.
	Store *MemStore
	// Clock is the sandbox clock. Required.
	Clock Clock
	// JWKS serves Centrapay's own public keys, which sign webhooks. Required.
	JWKS http.Handler
	// Webhooks delivers notifications; nil sends none.
	Webhooks *Webhooks
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
	// Signer signs Centrapay's calls to the wallet operator with Centrapay's
	// own keys (the keyring JWKS serves). nil: refunds that need the wallet
	// operator are 403 REFUND_DECLINED.
	Signer *payapjwt.Signer
	// HTTPClient calls the wallet operator; nil: a client with a 10 s
	// timeout. Redirects are never followed.
	HTTPClient *http.Client
}

type centrapay struct {
	cfg      Config
	store    *MemStore
	clock    Clock
	jwks     http.Handler
	webhooks *Webhooks
	log      *slog.Logger
	limiter  *limiter
	operator *walletOperator
}

// New returns the mock Centrapay's HTTP handler.
func New(cfg Config, deps Deps) http.Handler {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &centrapay{
		cfg:      cfg,
		store:    deps.Store,
		clock:    deps.Clock,
		jwks:     deps.JWKS,
		webhooks: deps.Webhooks,
		log:      log,
		limiter:  newLimiter(cfg.RateLimit),
		operator: newWalletOperator(cfg.WalletOperatorURL, deps.Signer, deps.HTTPClient, log),
	}
	return c.routes()
}
