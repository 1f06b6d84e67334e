package mockcentrapay

// TEMPORARY: handlers not yet written. Each area deletes its block here as
// it implements its handlers. This file must be gone before the issue is done.

import "net/http"

func notYet(w http.ResponseWriter) {
	writeError(w, newAPIError(http.StatusNotImplemented, "NOT_IMPLEMENTED", ""))
}

// BEGIN wallets
func (c *centrapay) handleListAssetTypes(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleCreateMediaUpload(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleMediaUploadLocation(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleMediaUploadContent(w http.ResponseWriter, r *http.Request) { notYet(w) }
func (c *centrapay) handleCreateWallet(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleListWallets(w http.ResponseWriter, r *http.Request, p principal) { notYet(w) }
func (c *centrapay) handleGetWallet(w http.ResponseWriter, r *http.Request, p principal)   { notYet(w) }
func (c *centrapay) handleSupportedWallets(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}

// END wallets

// BEGIN merchants
func (c *centrapay) handleCreateMerchant(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleGetMerchant(w http.ResponseWriter, r *http.Request, p principal) { notYet(w) }
func (c *centrapay) handleCreateMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleListMerchantConfigs(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleUpdateMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleGetMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleCreateConnection(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleAuthorizeConnection(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleConnectionSummary(w http.ResponseWriter, r *http.Request) { notYet(w) }
func (c *centrapay) handleLatestPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}

// END merchants

// BEGIN payments
func (c *centrapay) handleCreatePaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handlePaymentRequestByShortCode(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleGetPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handlePaymentRequestSummary(w http.ResponseWriter, r *http.Request) { notYet(w) }
func (c *centrapay) handlePayPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleRefundPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleVoidPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handlePaymentRequestActivities(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleListPaymentActivities(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}

// END payments

// BEGIN webhooks
func (c *centrapay) handleGetWebhookSubscription(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handlePutWebhookSubscription(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}
func (c *centrapay) handleListWebhookNotifications(w http.ResponseWriter, r *http.Request, p principal) {
	notYet(w)
}

// END webhooks
