package mockpayap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Payap's client of the Centrapay API (contract (2)): it reads payment
// requests and records provider payments on them, with X-Api-Key
// payap.centrapay_api_key. Centrapay is reached only over HTTP, at
// payap.centrapay_url.

// paymentRequest is the part of Centrapay's Payment Request (§4.7) Payap
// reads. Unknown fields are ignored.
type paymentRequest struct {
	ID              string        `json:"id"`
	ShortCode       string        `json:"shortCode"`
	Value           cpMonetary    `json:"value"`
	PaymentOptions  []cpPayOption `json:"paymentOptions"`
	MerchantID      string        `json:"merchantId"`
	MerchantName    string        `json:"merchantName"`
	ConfigID        string        `json:"configId"`
	Status          string        `json:"status"`
	Liveness        string        `json:"liveness"`
	ExpiresAt       time.Time     `json:"expiresAt"`
	RemainingAmount cpAmount      `json:"remainingAmount"`
}

type cpMonetary struct {
	Amount   cpAmount `json:"amount"`
	Currency string   `json:"currency"`
}

type cpPayOption struct {
	AssetType string   `json:"assetType"`
	Amount    cpAmount `json:"amount"`
}

// cpAmount is a Centrapay BigNumber of minor units: "1000", or tolerantly
// 1000.
type cpAmount int64

func (a *cpAmount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("amount %s is not a whole number of minor units", b)
	}
	*a = cpAmount(n)
	return nil
}

// Centrapay payment request statuses (§4.7).
const (
	prNew       = "new"
	prExpired   = "expired"
	prCancelled = "cancelled"
)

// centrapayCall is one request to Centrapay with Payap's API key, bounded
// by ProviderTimeout.
func (p *payap) centrapayCall(ctx context.Context, method, path string, body []byte) (providerResponse, error) {
	if p.cfg.CentrapayURL == "" {
		return providerResponse{}, errors.New("payap.centrapay_url is not set")
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	return p.send(ctx, method, p.cfg.CentrapayURL+path, body, "X-Api-Key", p.cfg.CentrapayAPIKey)
}

// centrapayErrorOf reads Centrapay's error shape {statusCode, error,
// message, reason}; message carries the business code.
func centrapayErrorOf(resp providerResponse) CentrapayError {
	var e struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	_ = json.Unmarshal(resp.body, &e)
	if e.Message == "" {
		e.Message = http.StatusText(resp.status)
	}
	return CentrapayError{StatusCode: resp.status, Message: e.Message, Reason: e.Reason}
}

func (e CentrapayError) String() string {
	s := strconv.Itoa(e.StatusCode) + " " + e.Message
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// readPaymentRequest GETs a payment request from Centrapay by id, or by
// short code when id is empty.
func (p *payap) readPaymentRequest(ctx context.Context, id, shortCode string) (paymentRequest, *apiError) {
	path, what, field := "/api/payment-requests/"+url.PathEscape(id), "payment request "+id, "paymentRequestId"
	if id == "" {
		path, what, field = "/api/payment-requests/short-code/"+url.PathEscape(shortCode), "payment request with short code "+shortCode, "shortCode"
	}
	resp, err := p.centrapayCall(ctx, http.MethodGet, path, nil)
	if err != nil {
		return paymentRequest{}, centrapayUnavailable(err)
	}
	switch {
	case resp.status == http.StatusOK:
	case resp.status == http.StatusBadRequest && id == "":
		return paymentRequest{}, newError(http.StatusBadRequest, "invalid_short_code",
			"Centrapay refused the short code "+shortCode+" ("+centrapayErrorOf(resp).String()+"); a short code looks like CP-C7F-ZS5 and ends in a check digit").with("field", field)
	case resp.status == http.StatusForbidden || resp.status == http.StatusNotFound || resp.status == http.StatusBadRequest:
		// Centrapay answers 403 for a request that is missing or that the
		// key may not read, and does not tell the two apart (§4.1).
		return paymentRequest{}, newError(http.StatusNotFound, "payment_request_not_found",
			"Centrapay has no "+what+" that Payap may read ("+centrapayErrorOf(resp).String()+")").with("field", field)
	default:
		return paymentRequest{}, badCentrapayStatus("GET "+path, resp)
	}
	var pr paymentRequest
	if err := json.Unmarshal(resp.body, &pr); err != nil || pr.ID == "" {
		return paymentRequest{}, newError(http.StatusBadGateway, "centrapay_error",
			"Centrapay's GET "+path+" did not answer a payment request: "+truncate(string(resp.body), 200))
	}
	return pr, nil
}

func centrapayUnavailable(err error) *apiError {
	return newError(http.StatusBadGateway, "centrapay_unavailable", "Centrapay could not be reached: "+err.Error()+"; check payap.centrapay_url")
}

func badCentrapayStatus(what string, resp providerResponse) *apiError {
	msg := what + " at Centrapay answered " + centrapayErrorOf(resp).String()
	if resp.status == http.StatusUnauthorized {
		msg += "; Centrapay refused Payap's API key: check payap.centrapay_api_key"
	}
	return newError(http.StatusBadGateway, "centrapay_error", msg).with("centrapayStatus", resp.status)
}

// recordBody is contract (2): a provider payment recorded on Centrapay as
// a payment made outside it, idempotent on the transactionId.
type recordBody struct {
	AssetType      string `json:"assetType"`
	TransactionID  string `json:"transactionId"`
	IdempotencyKey string `json:"idempotencyKey"`
}

// recordPayment records a successful provider payment on its payment
// request. A 5xx, 429 or unreachable Centrapay is tried again, up to
// PayRetries times; the idempotency key makes that safe. The answer is
// recorded, unsettled (Centrapay refused, with its error) or recording
// (still unreachable, or 403 PAYMENT_UNCONFIRMED: Centrapay has not decided;
// the next GET of the payment tries again).
func (p *payap) recordPayment(ctx context.Context, pay Payment) (status string, cpErr *CentrapayError, problem *Problem) {
	body, _ := json.Marshal(recordBody{AssetType: pay.CentrapayAssetType, TransactionID: pay.TransactionID, IdempotencyKey: pay.TransactionID})
	path := "/api/payment-requests/" + url.PathEscape(pay.PaymentRequestID) + "/pay"
	var last string
tries:
	for try := 0; try <= p.cfg.PayRetries; try++ {
		resp, err := p.centrapayCall(ctx, http.MethodPost, path, body)
		switch {
		case err != nil:
			last = "Centrapay could not be reached: " + err.Error()
			continue
		case resp.status >= 500 || resp.status == http.StatusTooManyRequests:
			last = "Centrapay answered " + centrapayErrorOf(resp).String()
			continue
		case resp.status == http.StatusOK:
			return CentrapayRecorded, nil, nil
		}
		e := centrapayErrorOf(resp)
		if e.Message == reasonUnconfirm {
			// Centrapay did not decide (a void of the request is in
			// flight): ask again later, with the same idempotencyKey.
			last = "Centrapay answered " + e.String()
			break tries
		}
		p.log.Warn("Centrapay refused a provider payment; it stays unsettled", "payment", pay.ID, "transactionId", pay.TransactionID, "centrapay", e.String())
		return CentrapayUnsettled, &e, &Problem{Code: "centrapay_refused",
			Message: "the provider took the payment but Centrapay refused to record it on payment request " + pay.PaymentRequestID + " (" + e.String() + "); the payment is unsettled: refund it at the provider"}
	}
	return CentrapayRecording, nil, &Problem{Code: "centrapay_unavailable",
		Message: last + "; the provider took the payment, and the next GET of this payment records it on Centrapay again"}
}
