package mockpayap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// POST /centrapay/refunds (contract (3)): Centrapay asks Payap to refund a
// third-party payment made through it. Server to server, outside any user
// session. Documented choices:
//
//   - Authentication first: Authorization carries Centrapay's JWT (bare or
//     Bearer), ES256 by a key of Centrapay's JWKS
//     (payap.centrapay_jwks_url), aud = Payap's base URL,
//     request_body_sha256 of the exact body. Any failed check is 401
//     invalid_token and nothing else happens. Centrapay's JWKS that cannot
//     be fetched is 502 centrapay_unavailable.
//   - The body is read tolerantly (unknown fields ignored, as between
//     services); refundId, paymentTransactionId, amount (digits, minor
//     units) and currency are required. paymentRequestId and assetType
//     are informational.
//   - The payment is found by paymentTransactionId (404 payment_not_found);
//     only a successful one can be refunded (409 payment_not_refundable).
//     Over-refunds, windows and partial-refund rules are the provider's
//     call (C27): its answer is passed on.
//   - The provider's POST /refund gets {currency, amount,
//     paymentTransactionId, transactionId: refundId} with a fresh Payap JWT;
//     a 5xx, 429 or timeout is tried again with the same bytes up to
//     payap.pay_retries times. A refund answer naming the payment's
//     transactionId instead of the refund's is accepted (C17).
//   - The answer: 200 {"status":"successful"} or {"status":"failed",
//     "failureReason": the provider's}, recorded on the payment. A repeat
//     with the same refundId answers the same without calling the provider
//     again; the same refundId for another payment, amount or currency is
//     409 refund_conflict. A provider that cannot be reached (502
//     provider_unavailable) or answers out of contract (502 provider_error,
//     provider_bad_response, e.g. pending: refunds are synchronous) records
//     nothing, so Centrapay can try again.
type centrapayRefund struct {
	RefundID             string `json:"refundId"`
	PaymentTransactionID string `json:"paymentTransactionId"`
	PaymentRequestID     string `json:"paymentRequestId"`
	AssetType            string `json:"assetType"`
	Amount               string `json:"amount"`
	Currency             string `json:"currency"`
}

// refundAnswer is Payap's answer to Centrapay.
type refundAnswer struct {
	Status        string `json:"status"`
	FailureReason string `json:"failureReason,omitempty"`
}

func answerOf(r Refund) refundAnswer {
	return refundAnswer{Status: r.Status, FailureReason: r.FailureReason}
}

func (p *payap) handleCentrapayRefund(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, newError(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d KiB", maxBodyBytes>>10)))
			return
		}
		writeError(w, newError(http.StatusBadRequest, "invalid_json", "the body could not be read"))
		return
	}
	if _, err := p.centrapayJWT.Verify(r.Context(), r.Header.Get("Authorization"), body); err != nil {
		if errors.Is(err, payapjwt.ErrJWKSUnavailable) {
			writeError(w, newError(http.StatusBadGateway, "centrapay_unavailable",
				"Centrapay's JWKS could not be fetched to check the JWT: "+err.Error()+"; check payap.centrapay_jwks_url"))
			return
		}
		writeError(w, newError(http.StatusUnauthorized, "invalid_token",
			"send Centrapay's ES256 JWT in Authorization (aud "+p.cfg.PublicURL+", request_body_sha256 of the exact body): "+
				strings.ReplaceAll(err.Error(), "Payap's JWKS", "Centrapay's JWKS")))
		return
	}
	var req centrapayRefund
	if apiErr := decodeLoose(body, &req); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	for _, f := range []struct{ name, v string }{
		{"refundId", req.RefundID}, {"paymentTransactionId", req.PaymentTransactionID}, {"amount", req.Amount}, {"currency", req.Currency},
	} {
		if e := required(f.name, f.v); e != nil {
			writeError(w, e)
			return
		}
	}
	if strings.Trim(req.Amount, "0123456789") != "" || strings.Trim(req.Amount, "0") == "" {
		writeError(w, newError(http.StatusBadRequest, "invalid_field", "amount "+req.Amount+" must be a positive whole number of minor units as a string, e.g. \"500\"").with("field", "amount"))
		return
	}

	pay, ok := p.store.PaymentByTransaction(req.PaymentTransactionID)
	if !ok {
		writeError(w, newError(http.StatusNotFound, "payment_not_found", "Payap made no payment with transactionId "+req.PaymentTransactionID))
		return
	}
	lock := p.payLocks.get(pay.TransactionID)
	lock.Lock()
	defer lock.Unlock()
	if done, of, ok := p.store.RefundByID(req.RefundID); ok {
		if of.ID != pay.ID || done.Amount != req.Amount || done.Currency != req.Currency {
			writeError(w, newError(http.StatusConflict, "refund_conflict",
				fmt.Sprintf("refundId %s was already used for a refund of %s %s of payment %s; a refund id names one refund", req.RefundID, done.Amount, done.Currency, of.TransactionID)))
			return
		}
		httpx.WriteJSON(w, http.StatusOK, answerOf(done))
		return
	}
	pay, _ = p.store.Payment(pay.ID)
	if pay.Status != PaymentSuccessful {
		writeError(w, newError(http.StatusConflict, "payment_not_refundable",
			"payment "+pay.TransactionID+" is "+pay.Status+"; only a successful payment can be refunded"))
		return
	}
	at, ok := p.store.AssetType(pay.AssetType)
	if !ok {
		writeError(w, newError(http.StatusConflict, "asset_type_not_found", "the payment's asset type "+pay.AssetType+" is no longer registered"))
		return
	}
	a, apiErr := p.refundAt(context.WithoutCancel(r.Context()), at, refundRequest{
		Currency: req.Currency, Amount: req.Amount, PaymentTransactionID: pay.TransactionID, TransactionID: req.RefundID,
	})
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	refund := Refund{ID: req.RefundID, Amount: req.Amount, Currency: req.Currency, Status: a.Status, FailureReason: a.FailureReason, CreatedAt: p.clock.Now()}
	if refund.Status == RefundFailed && refund.FailureReason == "" {
		refund.FailureReason = "PAYMENT_DECLINED"
	}
	if _, err := p.store.AddRefund(pay.ID, refund); err != nil {
		writeError(w, newError(http.StatusConflict, "refund_conflict", "refundId "+req.RefundID+" was recorded meanwhile; send it again"))
		return
	}
	p.log.Info("refund", "payment", pay.ID, "refundId", refund.ID, "amount", refund.Amount, "status", refund.Status, "failureReason", refund.FailureReason)
	httpx.WriteJSON(w, http.StatusOK, answerOf(refund))
}

// decodeLoose reads one JSON object, ignoring unknown fields: the tolerant
// reading of a body another service sends.
func decodeLoose(body []byte, v any) *apiError {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch err := json.Unmarshal(body, v); {
	case err == nil:
		return nil
	case len(strings.TrimSpace(string(body))) == 0:
		return newError(http.StatusBadRequest, "invalid_json", "the body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return newError(http.StatusBadRequest, "invalid_json", fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return newError(http.StatusBadRequest, "invalid_json", "the body must be a JSON object (it was a JSON "+typeErr.Value+")")
	case errors.As(err, &typeErr):
		return newError(http.StatusBadRequest, "invalid_field", fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type.Kind())).with("field", typeErr.Field)
	default:
		return newError(http.StatusBadRequest, "invalid_json", "the body could not be read as JSON")
	}
}
