package mockprovider

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// routes is the provider's whole HTTP surface.
func (p *provider) routes() http.Handler {
	r := mux.NewRouter()
	// No path cleaning and no trailing-slash redirects: discovery, token and
	// revocation requests must never be answered with a 3xx (A8).
	r.SkipClean(true)
	r.StrictSlash(false)

	on := func(path string, m httpx.Methods) { r.Handle(path, httpx.Dispatch(m, writeMethodNotAllowed)) }

	on("/", httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleHome)})

	// RFC 8414 metadata. With an issuer that has a path, the well-known
	// segment goes between host and path (A1); the plain location is served
	// too for proxies that strip the path prefix.
	meta := httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleMetadata)}
	on("/.well-known/oauth-authorization-server", meta)
	if u, err := url.Parse(p.cfg.Issuer); err == nil && strings.Trim(u.Path, "/") != "" {
		on("/.well-known/oauth-authorization-server"+strings.TrimRight(u.Path, "/"), meta)
	}

	on("/authorize", httpx.Methods{
		http.MethodGet:  http.HandlerFunc(p.handleAuthorize),
		http.MethodPost: http.HandlerFunc(p.handleAuthorizeForm),
	})
	on("/token", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleToken)})
	on("/revoke", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleRevoke)})

	on("/assets", httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleListAssets)})
	on("/assets/{assetId}", httpx.Methods{http.MethodGet: assetID(p.handleGetAsset)})

	// Spend (§2.8): /pay takes the user's access token, the others a Payap JWT.
	on("/pay", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handlePay)})
	on("/refund", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleRefund)})
	on("/cancel", httpx.Methods{http.MethodPost: http.HandlerFunc(p.handleCancel)})
	on("/get", httpx.Methods{http.MethodGet: http.HandlerFunc(p.handleGet)})

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeNotFound(w, "no such endpoint: "+r.URL.Path+"; see "+p.cfg.Issuer+"/.well-known/oauth-authorization-server")
	})
	return r
}

// assetID is the thin adapter that keeps mux.Vars out of the handlers.
func assetID(h func(w http.ResponseWriter, r *http.Request, id string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, mux.Vars(r)["assetId"])
	})
}
