package mockcentrapay

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// routes is the mock Centrapay's whole HTTP surface. Paths marked "sandbox
// extension" are not in the public documentation; everything else is.
func (c *centrapay) routes() http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true)
	on := func(path string, m httpx.Methods) { r.Handle(path, httpx.Dispatch(m, c.methodNotAllowed)) }
	owner := []string{RoleAccountOwner}
	merchant := []string{RoleAccountOwner, RoleMerchantTerminal}

	on("/openapi.json", httpx.Methods{http.MethodGet: http.HandlerFunc(handleOpenAPI)})
	on("/api/.well-known/jwks.json", httpx.Methods{http.MethodGet: c.jwks})

	// Asset types and media uploads.
	on("/api/asset-types", httpx.Methods{http.MethodGet: c.authed(c.handleListAssetTypes)}) // sandbox extension
	on("/api/media-uploads", httpx.Methods{http.MethodPost: c.authed(c.handleCreateMediaUpload)})
	on("/api/media-uploads/{mediaUploadId}/location", httpx.Methods{http.MethodGet: c.authed(c.handleMediaUploadLocation)})
	on("/api/media-uploads/{mediaUploadId}/content", httpx.Methods{http.MethodGet: http.HandlerFunc(c.handleMediaUploadContent)}) // sandbox extension: the signed URL

	// Wallets (consumer applications).
	on("/api/wallets", httpx.Methods{
		http.MethodPost: c.authed(c.handleCreateWallet, owner...),
		http.MethodGet:  c.authed(c.handleListWallets), // sandbox extension
	})
	on("/api/wallets/{walletId}", httpx.Methods{http.MethodGet: c.authed(c.handleGetWallet)}) // sandbox extension
	on("/api/merchants/{merchantId}/supported-wallets", httpx.Methods{http.MethodGet: c.authed(c.handleSupportedWallets)})

	// Merchants and merchant configs.
	on("/api/merchants", httpx.Methods{http.MethodPost: c.authed(c.handleCreateMerchant, owner...)})
	on("/api/merchants/{merchantId}", httpx.Methods{http.MethodGet: c.authed(c.handleGetMerchant)}) // sandbox extension
	on("/api/merchants/{merchantId}/configs", httpx.Methods{
		http.MethodPost: c.authed(c.handleCreateMerchantConfig, owner...),
		http.MethodGet:  c.authed(c.handleListMerchantConfigs),
	})
	on("/api/merchants/{merchantId}/configs/{configId}", httpx.Methods{http.MethodPut: c.authed(c.handleUpdateMerchantConfig, owner...)})
	on("/api/merchant-configs/{configId}", httpx.Methods{http.MethodGet: c.authed(c.handleGetMerchantConfig)})

	// Connections (a POS sale linked to a consumer wallet).
	on("/api/connections", httpx.Methods{http.MethodPost: c.authed(c.handleCreateConnection, merchant...)})
	on("/api/connections/{connectionId}/authorize", httpx.Methods{http.MethodPost: c.authed(c.handleAuthorizeConnection)})
	on("/api/connections/{connectionId}/summary", httpx.Methods{http.MethodGet: http.HandlerFunc(c.handleConnectionSummary)})
	on("/api/connections/{connectionId}/latest-payment-request", httpx.Methods{http.MethodGet: c.authed(c.handleLatestPaymentRequest)})

	// Payment requests.
	on("/api/payment-requests", httpx.Methods{http.MethodPost: c.authed(c.handleCreatePaymentRequest, merchant...)})
	on("/api/payment-requests/short-code/{shortCode}", httpx.Methods{http.MethodGet: c.authed(c.handlePaymentRequestByShortCode)})
	on("/api/payment-requests/{paymentRequestId}", httpx.Methods{http.MethodGet: c.authed(c.handleGetPaymentRequest)})
	on("/api/payment-requests/{paymentRequestId}/summary", httpx.Methods{http.MethodGet: http.HandlerFunc(c.handlePaymentRequestSummary)})
	on("/api/payment-requests/{paymentRequestId}/pay", httpx.Methods{http.MethodPost: c.authed(c.handlePayPaymentRequest)})
	on("/api/payment-requests/{paymentRequestId}/refund", httpx.Methods{http.MethodPost: c.authed(c.handleRefundPaymentRequest, merchant...)})
	on("/api/payment-requests/{paymentRequestId}/void", httpx.Methods{http.MethodPost: c.authed(c.handleVoidPaymentRequest, merchant...)})
	on("/api/payment-requests/{paymentRequestId}/activities", httpx.Methods{http.MethodGet: c.authed(c.handlePaymentRequestActivities)})
	on("/api/payment-activities", httpx.Methods{http.MethodGet: c.authed(c.handleListPaymentActivities)})

	// Webhook subscriptions (sandbox extension: the real service sets them up through support).
	on("/api/webhook-subscriptions", httpx.Methods{
		http.MethodGet: c.authed(c.handleGetWebhookSubscription),
		http.MethodPut: c.authed(c.handlePutWebhookSubscription, owner...),
	})
	on("/api/webhook-notifications", httpx.Methods{http.MethodGet: c.authed(c.handleListWebhookNotifications)}) // sandbox extension

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, errNotFound()) })
	return r
}

// methodNotAllowed: the docs answer a wrong method like an unknown route
// (404 Not Found, §4.1); the Allow header says what would work.
func (c *centrapay) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	writeError(w, errNotFound())
}

// pathVar is the thin adapter that keeps mux.Vars at the edge.
func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
