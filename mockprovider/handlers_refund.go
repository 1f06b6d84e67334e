package mockprovider

import (
	"context"
	"net/http"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// refundRequest is the body of POST /refund (§2.8).
type refundRequest struct {
	Currency             string `json:"currency"`
	Amount               string `json:"amount"`
	PaymentTransactionID string `json:"paymentTransactionId"`
	TransactionID        string `json:"transactionId"`
}

// cancelRequest is the body of POST /cancel (§2.8).
type cancelRequest struct {
	TransactionID string `json:"transactionId"`
	FailureReason string `json:"failureReason"`
}

// verifyPayapJWT checks the Payap JWT on a refund, cancel or get call
// against the exact body bytes, before anything else of the request is
// read. Every failure is 401 invalid_token saying what failed.
func (p *provider) verifyPayapJWT(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if p.payap == nil {
		writeBearerError(w, http.StatusUnauthorized, "invalid_token",
			"this provider cannot check Payap JWTs: its Payap JWKS URL is not configured (set provider.payap_jwks_url)", 0)
		return false
	}
	headers := r.Header.Values("Authorization")
	if len(headers) > 1 {
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "send one Authorization header carrying the Payap JWT", 0)
		return false
	}
	var header string
	if len(headers) == 1 {
		header = headers[0]
	}
	// The JWKS fetch outlives a caller that hangs up, so that one impatient
	// client cannot make the verifier cache a failed fetch for everyone.
	if _, err := p.payap.Verify(context.WithoutCancel(r.Context()), header, body); err != nil {
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", strings.TrimPrefix(err.Error(), "payapjwt: "), 0)
		return false
	}
	return true
}

// handleRefund is POST /refund: a synchronous full or partial refund of a
// successful payment, credited to the asset.
func (p *provider) handleRefund(w http.ResponseWriter, r *http.Request) {
	body, ok := p.readPaymentBody(w, r)
	if !ok || !p.verifyPayapJWT(w, r, body) {
		return
	}
	var req refundRequest
	if err := decodeBody(body, &req); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	if err := required(map[string]string{"currency": req.Currency, "amount": req.Amount,
		"paymentTransactionId": req.PaymentTransactionID, "transactionId": req.TransactionID}); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	if err := checkIDs(map[string]string{"transactionId": req.TransactionID, "paymentTransactionId": req.PaymentTransactionID}); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	amount, err := parseAmount(req.Amount)
	if err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	out, err := p.store.Refund(RefundInput{
		TransactionID:        req.TransactionID,
		PaymentTransactionID: req.PaymentTransactionID,
		Currency:             req.Currency,
		AmountText:           req.Amount,
		Amount:               amount,
	}, p.now())
	if err != nil {
		p.writeStoreError(w, err)
		return
	}
	p.log.Info("refund", "transactionId", req.TransactionID, "paymentTransactionId", req.PaymentTransactionID, "amount", req.Amount)
	writeAttempt(w, out)
}

// handleCancel is POST /cancel: a pending payment fails with the given
// reason and its hold goes back to the asset.
func (p *provider) handleCancel(w http.ResponseWriter, r *http.Request) {
	body, ok := p.readPaymentBody(w, r)
	if !ok || !p.verifyPayapJWT(w, r, body) {
		return
	}
	var req cancelRequest
	if err := decodeBody(body, &req); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	if err := required(map[string]string{"transactionId": req.TransactionID, "failureReason": req.FailureReason}); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	if req.FailureReason != ReasonCancelledByMerchant && req.FailureReason != ReasonRequestExpired {
		p.writeOAuthError(w, errInvalidRequest("failureReason %q is not a cancel reason; use %s or %s",
			req.FailureReason, ReasonCancelledByMerchant, ReasonRequestExpired))
		return
	}
	out, err := p.store.Cancel(req.TransactionID, req.FailureReason, p.now())
	if err != nil {
		p.writeStoreError(w, err)
		return
	}
	p.log.Info("cancel", "transactionId", req.TransactionID, "reason", req.FailureReason)
	writeAttempt(w, out)
}

// handleGet is GET /get?transactionId=: the transaction as it stands, or {}
// for an unknown id. A GET of a pending payment counts a poll; HEAD does not.
func (p *provider) handleGet(w http.ResponseWriter, r *http.Request) {
	// A GET is signed without a body hash; any body sent is ignored.
	if !p.verifyPayapJWT(w, r, nil) {
		return
	}
	ids := r.URL.Query()["transactionId"]
	switch {
	case len(ids) == 0 || ids[0] == "":
		p.writeOAuthError(w, errInvalidRequest("the transactionId query parameter is required: GET /get?transactionId=<id>"))
		return
	case len(ids) > 1:
		p.writeOAuthError(w, errInvalidRequest("send transactionId once"))
		return
	}
	out, found := p.store.PollTransaction(ids[0], r.Method == http.MethodGet, p.now())
	if !found {
		noStore(w)
		httpx.WriteJSON(w, http.StatusOK, struct{}{})
		return
	}
	writeAttempt(w, out)
}
