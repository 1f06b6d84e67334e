package mockpayap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Payap's client of a provider's payment endpoints (§2.7, §2.8, contract
// (1)): POST /pay with the user's access token, and GET /get, POST /cancel
// and POST /refund with a freshly signed Payap JWT (aud = the provider's
// base URL, request_body_sha256 over the exact bytes sent, none on GET).

// attemptRequest is the Transaction Attempt Payap sends to POST /pay.
type attemptRequest struct {
	Currency             string `json:"currency"`
	Amount               string `json:"amount"`
	Authorization        string `json:"authorization"`
	MerchantName         string `json:"merchantName"`
	MerchantID           string `json:"merchantId"`
	MerchantCategoryCode string `json:"merchantCategoryCode,omitempty"`
	TransactionID        string `json:"transactionId"`
	PaymentRequestID     string `json:"paymentRequestId,omitempty"`
}

// cancelRequest is POST /cancel's body.
type cancelRequest struct {
	TransactionID string `json:"transactionId"`
	FailureReason string `json:"failureReason"`
}

// refundRequest is POST /refund's body.
type refundRequest struct {
	Currency             string `json:"currency"`
	Amount               string `json:"amount"`
	PaymentTransactionID string `json:"paymentTransactionId"`
	TransactionID        string `json:"transactionId"`
}

// The reasons Payap cancels a pending payment with (§2.8).
const (
	cancelExpired   = "PAYMENT_REQUEST_EXPIRED"
	cancelMerchant  = "CANCELLED_BY_MERCHANT"
	reasonUnconfirm = "PAYMENT_UNCONFIRMED"
)

// attempt is a provider's answer: a Transaction Attempt. Unknown fields are
// ignored, as the guide asks of receivers.
type attempt struct {
	TransactionID string `json:"transactionId"`
	Status        string `json:"status"`
	Type          string `json:"type"`
	FailureReason string `json:"failureReason"`
}

// outcome is what one exchange with the provider taught Payap about a
// payment. status "" means nothing was learnt: the payment stays as it was.
type outcome struct {
	status  string
	reason  string // the provider's failureReason
	problem *Problem
	// unknown: GET /get answered {}: the provider never got the payment.
	unknown bool
}

// parseAttempt reads an attempt answered for one of ids (the request's
// transactionId; a refund may answer with the payment's, C17).
func parseAttempt(what string, body []byte, ids ...string) (attempt, *Problem) {
	var a attempt
	if err := json.Unmarshal(body, &a); err != nil {
		return a, &Problem{Code: "provider_bad_response", Message: what + " did not answer a Transaction Attempt object: " + truncate(string(body), 200)}
	}
	switch a.Status {
	case PaymentPending, PaymentSuccessful, PaymentFailed:
	default:
		return a, &Problem{Code: "provider_bad_response", Message: fmt.Sprintf("%s answered status %q; a Transaction Attempt's status is pending, successful or failed", what, a.Status)}
	}
	if a.TransactionID != "" && !contains(ids, a.TransactionID) {
		return a, &Problem{Code: "provider_bad_response", Message: fmt.Sprintf("%s answered transactionId %q for %q", what, a.TransactionID, ids[0])}
	}
	return a, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// retryable reports whether a provider answer is worth the same request
// again: a server error or a rate limit.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests
}

// sendPay POSTs the attempt to /pay with the connection's access token
// (refreshed once on a 401, see callProviderWith), and sends the same bytes
// again, with the same transactionId, on a 5xx, a 429 or a timeout, up to
// PayRetries times. A provider that never answers leaves the outcome
// unknown.
func (p *payap) sendPay(ctx context.Context, c Connection, at AssetType, body []byte, txn string) outcome {
	var last *Problem
	for try := 0; try <= p.cfg.PayRetries; try++ {
		resp, err := p.callProviderWith(ctx, c, http.MethodPost, at.ProviderURL+"/pay", body)
		var ae *apiError
		switch {
		case errors.Is(err, errReconnect):
			now, _ := p.store.Connection(c.ID)
			return outcome{status: PaymentFailed, problem: reconnectProblem(now)}
		case errors.As(err, &ae) && ae.Code != "provider_unavailable":
			return outcome{status: PaymentFailed, problem: &Problem{Code: ae.Code, Message: ae.Message}}
		case err != nil:
			last = &Problem{Code: "provider_unavailable", Message: "POST /pay at " + at.ProviderURL + " could not be completed: " + err.Error()}
			continue
		case retryable(resp.status):
			last = &Problem{Code: "provider_error", Message: fmt.Sprintf("POST /pay answered %d: %s", resp.status, truncate(string(resp.body), 200))}
			continue
		case resp.status == http.StatusForbidden:
			return outcome{status: PaymentFailed, problem: &Problem{Code: "insufficient_scope",
				Message: "the provider refused POST /pay with 403: the grant lacks assets:pay; reconnect granting it (POST /api/connections/" + c.ID + "/reconnect)"}}
		case resp.status < 200 || resp.status > 299:
			return outcome{status: PaymentFailed, problem: &Problem{Code: "provider_error",
				Message: fmt.Sprintf("POST /pay answered %d: %s", resp.status, truncate(string(resp.body), 200))}}
		}
		a, prob := parseAttempt("POST /pay", resp.body, txn)
		if prob != nil {
			return outcome{problem: prob}
		}
		return outcome{status: a.Status, reason: a.FailureReason}
	}
	return outcome{problem: last}
}

// signedCall sends one request to a provider with a freshly signed Payap
// JWT in Authorization (bare, as the guide's examples send it).
func (p *payap) signedCall(ctx context.Context, at AssetType, method, path string, body []byte) (providerResponse, error) {
	if p.signer == nil {
		return providerResponse{}, errors.New("the mock Payap has no signer (Deps.Signer)")
	}
	jwt, err := p.signer.Sign(at.ProviderURL, body)
	if err != nil {
		return providerResponse{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	return p.resource(ctx, method, at.ProviderURL+path, jwt, body)
}

// getTxn asks the provider where a payment stands: GET /get.
func (p *payap) getTxn(ctx context.Context, at AssetType, txn string) outcome {
	what := "GET /get?transactionId=" + txn
	resp, err := p.signedCall(ctx, at, http.MethodGet, "/get?transactionId="+url.QueryEscape(txn), nil)
	switch {
	case err != nil:
		return outcome{problem: &Problem{Code: "provider_unavailable", Message: what + " could not be completed: " + err.Error()}}
	case resp.status < 200 || resp.status > 299:
		return outcome{problem: &Problem{Code: "provider_error", Message: fmt.Sprintf("%s answered %d: %s", what, resp.status, truncate(string(resp.body), 200))}}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(resp.body, &fields) == nil && len(fields) == 0 {
		return outcome{status: PaymentFailed, reason: "", unknown: true, problem: &Problem{Code: "transaction_unknown",
			Message: what + " answered {}: the provider has no such transaction, so the payment never reached it"}}
	}
	a, prob := parseAttempt(what, resp.body, txn)
	if prob != nil {
		return outcome{problem: prob}
	}
	return outcome{status: a.Status, reason: a.FailureReason}
}

// cancelTxn cancels a pending payment: POST /cancel. A provider that refuses
// (the payment became final meanwhile) is asked where it stands.
func (p *payap) cancelTxn(ctx context.Context, at AssetType, txn, reason string) outcome {
	body, _ := json.Marshal(cancelRequest{TransactionID: txn, FailureReason: reason})
	resp, err := p.signedCall(ctx, at, http.MethodPost, "/cancel", body)
	if err != nil {
		return outcome{problem: &Problem{Code: "provider_unavailable", Message: "POST /cancel (" + reason + ") could not be completed: " + err.Error()}}
	}
	if resp.status < 200 || resp.status > 299 {
		o := p.getTxn(ctx, at, txn)
		if o.status == "" || o.status == PaymentPending {
			o.problem = &Problem{Code: "provider_error", Message: fmt.Sprintf("POST /cancel (%s) answered %d: %s", reason, resp.status, truncate(string(resp.body), 200))}
		}
		return o
	}
	a, prob := parseAttempt("POST /cancel", resp.body, txn)
	if prob != nil {
		return outcome{problem: prob}
	}
	if a.Status == PaymentFailed && a.FailureReason == "" {
		a.FailureReason = reason
	}
	return outcome{status: a.Status, reason: a.FailureReason}
}

// refundAt asks the provider to refund: POST /refund, tried again with the
// same bytes on a 5xx, 429 or timeout. It answers the provider's attempt, or
// an error for the caller.
func (p *payap) refundAt(ctx context.Context, at AssetType, rr refundRequest) (attempt, *apiError) {
	body, _ := json.Marshal(rr)
	var last *apiError
	for try := 0; try <= p.cfg.PayRetries; try++ {
		resp, err := p.signedCall(ctx, at, http.MethodPost, "/refund", body)
		switch {
		case err != nil:
			last = providerUnavailable(at, err)
			continue
		case retryable(resp.status):
			last = badProviderStatus(at, "POST /refund", resp)
			continue
		case resp.status < 200 || resp.status > 299:
			return attempt{}, badProviderStatus(at, "POST /refund", resp)
		}
		a, prob := parseAttempt("POST /refund", resp.body, rr.TransactionID, rr.PaymentTransactionID)
		if prob != nil {
			return attempt{}, newError(http.StatusBadGateway, "provider_bad_response", prob.Message).with("assetType", at.Name)
		}
		if a.Status == PaymentPending {
			return attempt{}, newError(http.StatusBadGateway, "provider_bad_response",
				"POST /refund answered pending; a refund is synchronous: successful or failed (§2.8)").with("assetType", at.Name)
		}
		return a, nil
	}
	return attempt{}, last
}

// centrapayReason maps a provider's failureReason to Centrapay's pay
// vocabulary (§4.7): the two documented provider reasons pass through, the
// two cancel reasons become the request's state, anything else is a
// decline.
func centrapayReason(providerReason string) string {
	switch strings.TrimSpace(providerReason) {
	case "INSUFFICIENT_ASSET_VALUE", "ASSET_REDEMPTION_DENIED":
		return providerReason
	case cancelExpired:
		return "REQUEST_EXPIRED"
	case cancelMerchant:
		return "REQUEST_CANCELLED"
	}
	return "PAYMENT_DECLINED"
}
