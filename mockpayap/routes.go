package mockpayap

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// routes is the mock Payap's whole HTTP surface.
func (p *payap) routes() http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true)
	on := func(path string, m httpx.Methods) { r.Handle(path, httpx.Dispatch(m, writeMethodNotAllowed)) }

	on("/", httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleIndex)})
	on("/openapi.json", httpx.Methods{http.MethodGet: http.HandlerFunc(handleOpenAPI)})
	on("/.well-known/jwks.json", httpx.Methods{http.MethodGet: p.jwks})

	// The OAuth redirect URI: the browser comes back here from the provider.
	on("/callback", httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleCallback)})

	// The app-facing API. Everything but signing in needs a session.
	on("/api/sessions", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleSignIn)})
	on("/api/session", httpx.Methods{
		http.MethodGet:    p.authed(p.handleGetSession),
		http.MethodDelete: p.authed(p.handleSignOut),
	})
	on("/api/asset-types", httpx.Methods{
		http.MethodGet:  p.authed(p.handleListAssetTypes),
		http.MethodPost: p.authed(p.handleRegisterAssetType),
	})
	on("/api/asset-types/{name}", httpx.Methods{http.MethodGet: p.authed(p.handleGetAssetType)})
	on("/api/connections", httpx.Methods{
		http.MethodGet:  p.authed(p.handleListConnections),
		http.MethodPost: p.authed(p.handleCreateConnection),
	})
	on("/api/connections/{id}", httpx.Methods{
		http.MethodGet:    p.authed(p.handleGetConnection),
		http.MethodDelete: p.authed(p.handleDeleteConnection),
	})
	on("/api/connections/{id}/reconnect", httpx.Methods{http.MethodPost: p.authed(p.handleReconnect)})
	on("/api/wallet", httpx.Methods{http.MethodGet: p.authed(p.handleListWallet)})
	on("/api/wallet/{id}", httpx.Methods{http.MethodGet: p.authed(p.handleGetWalletEntry)})
	on("/api/payments", httpx.Methods{
		http.MethodGet:  p.authed(p.handleListPayments),
		http.MethodPost: p.authed(p.handleCreatePayment),
	})
	on("/api/payments/{id}", httpx.Methods{http.MethodGet: p.authed(p.handleGetPayment)})

	// Sandbox extensions for partners: not part of Payap.
	on("/api/sandbox/jwt-probe", httpx.Methods{http.MethodPost: p.authed(p.handleJWTProbe)})

	// Server to server: Centrapay asks for refunds with its own JWT, no session.
	on("/centrapay/refunds", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleCentrapayRefund)})

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, "route_not_found", "no such endpoint: "+r.Method+" "+r.URL.Path+"; see /openapi.json"))
	})
	return r
}

// userHandler is an app endpoint that needs a signed-in user.
type userHandler func(w http.ResponseWriter, r *http.Request, u User)

// authed resolves the session from Authorization: Bearer <session token>
// and answers 401 without one.
func (p *payap) authed(h userHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := p.sessionUser(r)
		if !ok {
			writeError(w, newError(http.StatusUnauthorized, "unauthenticated",
				"sign in first: POST /api/sessions with your e-mail and password, then send Authorization: Bearer <token>"))
			return
		}
		h(w, r, u)
	})
}

// pathVar is the thin adapter that keeps mux.Vars at the edge.
func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
