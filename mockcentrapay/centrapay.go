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
}

type centrapay struct {
	cfg      Config
	store    *MemStore
	clock    Clock
	jwks     http.Handler
	webhooks *Webhooks
	log      *slog.Logger
	limiter  *limiter
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
	}
	return c.routes()
}
