package mockpayap

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// Spend (DESIGN.md "The three flows"): the app pays a Centrapay payment
// request with a wallet entry. Documented choices:
//
//   - The payment request is read from Centrapay (GET
//     /api/payment-requests/{id} or /short-code/{code}, X-Api-Key) and must
//     be payable: status new and not past expiresAt on the sandbox clock,
//     currency NZD (a Payap asset has no currency, C22; the sandbox's
//     providers count NZD cents), the entry's asset type name + "." + the
//     request's liveness among its paymentOptions, and that option able to
//     pay the whole remainingAmount (an option limited by restricted line
//     items is not). One request is paid through Payap once at a time: a
//     second payment while one is pending or successful is refused.
//   - The connection is checked first: reconnect_required answers 409 and
//     a grant without assets:pay answers 403 insufficient_scope, both
//     before Centrapay or the provider is called.
//   - The Transaction Attempt: transactionId "ptx_" + 22 random characters;
//     currency and amount are the request's value.currency and
//     remainingAmount; authorization is the entry's provider asset id;
//     merchantName is the request's. merchantId (C26): the guide wants the
//     provider's own id for the merchant, the merchant config's
//     externalMerchantId, but the payment request does not carry it and
//     GET /api/merchant-configs/{id} is restricted to the merchant's
//     account, so Payap sends Centrapay's merchantId. merchantCategoryCode
//     and merchantLocation are not on the payment request either and are
//     left out. paymentRequestId is sent.
//   - POST /pay is retried at once (no back-off: nothing sleeps) with the
//     same bytes on a 5xx, a 429 or a timeout, up to payap.pay_retries
//     times. While pending, the pay call polls up to payap.pay_polls times,
//     back to back, and every later GET of the payment polls once (lazy
//     resolution: no background work). Before each poll the payment request
//     is read again: expired → POST /cancel PAYMENT_REQUEST_EXPIRED,
//     cancelled → POST /cancel CANCELLED_BY_MERCHANT; otherwise GET /get.
//     GET /get answering {} means the provider never got the payment: it
//     fails PAYMENT_UNCONFIRMED.
//   - Still pending after the polls (or the provider unreachable after the
//     retries): the payment answers pending with failureReason
//     PAYMENT_UNCONFIRMED, the outcome not confirmed yet; a later poll
//     replaces it.
//   - failureReason speaks Centrapay's pay vocabulary: INSUFFICIENT_ASSET_VALUE
//     and ASSET_REDEMPTION_DENIED as the provider said them,
//     REQUEST_EXPIRED and REQUEST_CANCELLED after a cancel, PAYMENT_DECLINED
//     for any other provider reason or refusal (then problem says why),
//     PAYMENT_UNCONFIRMED as above. providerFailureReason keeps the
//     provider's own.
//   - Successful payments are recorded on Centrapay (contract (2)). If
//     Centrapay refuses (REQUEST_EXPIRED raced the provider, say), the
//     payment stays successful, as it is at the provider, and its
//     centrapayStatus is unsettled with Centrapay's error: the sandbox does
//     not reverse it, so the race stays visible.
//   - A client that goes away does not stop a pay call halfway: the work
//     runs to its end, each call bounded by payap.provider_timeout.
type paymentCreate struct {
	PaymentRequestID string `json:"paymentRequestId"`
	ShortCode        string `json:"shortCode"`
	WalletEntryID    string `json:"walletEntryId"`
}

// newTransactionID is "ptx_" and 22 random base64url characters (128 bits).
func newTransactionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "ptx_" + base64.RawURLEncoding.EncodeToString(b[:])
}

func (p *payap) handleCreatePayment(w http.ResponseWriter, r *http.Request, u User) {
	var req paymentCreate
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := required("walletEntryId", req.WalletEntryID); e != nil {
		writeError(w, e)
		return
	}
	prID, code := strings.TrimSpace(req.PaymentRequestID), strings.TrimSpace(req.ShortCode)
	switch {
	case prID == "" && code == "":
		writeError(w, newError(http.StatusBadRequest, "missing_payment_request",
			"send the payment request to pay: paymentRequestId (from the QR code's https://app.centrapay.com/pay/{id}) or shortCode (such as CP-C7F-ZS5)"))
		return
	case prID != "" && code != "":
		writeError(w, newError(http.StatusBadRequest, "conflicting_fields",
			"send exactly one of paymentRequestId or shortCode, not both"))
		return
	}
	e, ok := p.store.Entry(req.WalletEntryID)
	if !ok || e.UserID != u.ID {
		writeError(w, newError(http.StatusBadRequest, "unknown_wallet_entry",
			"the user has no wallet entry "+req.WalletEntryID+"; GET /api/wallet lists them").with("field", "walletEntryId"))
		return
	}
	c, ok := p.store.Connection(e.ConnectionID)
	if !ok {
		writeError(w, errNotFound("connection", e.ConnectionID))
		return
	}
	if apiErr := canPay(c); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	at, ok := p.store.AssetType(c.AssetType)
	if !ok {
		writeError(w, newError(http.StatusConflict, "asset_type_not_found", "the connection's asset type "+c.AssetType+" is no longer registered"))
		return
	}
	ctx := context.WithoutCancel(r.Context())
	pr, apiErr := p.readPaymentRequest(ctx, prID, code)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	option, apiErr := payable(pr, e.AssetType, p.clock.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	now := p.clock.Now()
	txn := newTransactionID()
	lock := p.payLocks.get(txn)
	lock.Lock()
	defer lock.Unlock()
	pay, err := p.store.CreatePayment(Payment{
		UserID:             u.ID,
		PaymentRequestID:   pr.ID,
		WalletEntryID:      e.ID,
		AssetType:          e.AssetType,
		CentrapayAssetType: option,
		Amount:             strconv.FormatInt(int64(pr.RemainingAmount), 10),
		Currency:           pr.Value.Currency,
		MerchantName:       pr.MerchantName,
		MerchantID:         pr.MerchantID,
		TransactionID:      txn,
		Status:             PaymentPending,
		CreatedAt:          now,
		UpdatedAt:          now,
	})
	if errors.Is(err, ErrExists) {
		if pay.UserID != u.ID {
			writeError(w, newError(http.StatusConflict, "payment_request_not_payable",
				"payment request "+pr.ID+" is already being paid through Payap by someone else"))
			return
		}
		writeError(w, newError(http.StatusConflict, "payment_request_not_payable",
			"payment request "+pr.ID+" is already being paid through Payap ("+pay.ID+" is "+pay.Status+"); GET /api/payments/"+pay.ID).with("paymentId", pay.ID))
		return
	}
	if err != nil {
		writeError(w, newError(http.StatusConflict, "payment_request_not_payable", "the payment could not be stored; try again"))
		return
	}
	body, _ := json.Marshal(attemptRequest{
		Currency:         pay.Currency,
		Amount:           pay.Amount,
		Authorization:    e.AssetID,
		MerchantName:     pr.MerchantName,
		MerchantID:       pr.MerchantID,
		TransactionID:    txn,
		PaymentRequestID: pr.ID,
	})
	pay = p.apply(pay, p.sendPay(ctx, c, at, body, txn))
	for i := 0; i < p.cfg.PayPolls && pay.Status == PaymentPending; i++ {
		pay = p.pollOnce(ctx, pay, at)
	}
	if pay.Status == PaymentPending {
		pay = p.update(pay, func(x *Payment) { x.FailureReason = reasonUnconfirm })
	}
	pay = p.settle(ctx, pay)
	p.log.Info("payment", "payment", pay.ID, "transactionId", txn, "status", pay.Status, "failureReason", pay.FailureReason, "centrapay", pay.CentrapayStatus)
	httpx.WriteJSON(w, http.StatusCreated, pay)
}

// canPay refuses, before anything is called, a connection that cannot pay.
func canPay(c Connection) *apiError {
	switch {
	case c.Status == StatusReconnectRequired:
		return newError(http.StatusConflict, "reconnect_required", reconnectProblem(c).Message).with("connectionId", c.ID)
	case c.Status != StatusConnected:
		return newError(http.StatusConflict, "reconnect_required", "the connection "+c.ID+" is "+c.Status+"; finish connecting first").with("connectionId", c.ID)
	case !c.CanPay:
		return newError(http.StatusForbidden, "insufficient_scope",
			"the user did not grant assets:pay for this connection (granted: "+c.Scope+"); reconnect granting assets:pay: POST /api/connections/"+c.ID+"/reconnect").with("connectionId", c.ID)
	}
	return nil
}

// payable checks that a payment request can be paid with an asset type and
// returns the payment option's asset type id (name.liveness).
func payable(pr paymentRequest, assetType string, now time.Time) (string, *apiError) {
	notPayable := func(msg string) *apiError {
		return newError(http.StatusConflict, "payment_request_not_payable", msg).with("paymentRequestId", pr.ID).with("status", pr.Status)
	}
	switch {
	case pr.Status != prNew:
		return "", notPayable("payment request " + pr.ID + " is " + pr.Status + "; only a new payment request can be paid")
	case !pr.ExpiresAt.IsZero() && !now.Before(pr.ExpiresAt):
		return "", notPayable("payment request " + pr.ID + " expired at " + pr.ExpiresAt.UTC().Format(time.RFC3339))
	case pr.Value.Currency != "NZD":
		return "", notPayable("payment request " + pr.ID + " is in " + pr.Value.Currency + "; Payap asset types pay NZD only")
	case pr.RemainingAmount <= 0:
		return "", notPayable("payment request " + pr.ID + " has nothing left to pay")
	}
	want := assetType + "." + pr.Liveness
	offered := paymentOptionsOf(pr)
	i := slices.Index(offered, want)
	if i < 0 {
		return "", newError(http.StatusConflict, "asset_type_not_accepted",
			"payment request "+pr.ID+" accepts "+strings.Join(offered, ", ")+"; not "+want).with("paymentOptions", offered)
	}
	if o := pr.PaymentOptions[i]; o.Amount < pr.RemainingAmount {
		return "", newError(http.StatusConflict, "asset_type_not_accepted",
			fmt.Sprintf("%s may pay only %d of the %d left on payment request %s (restricted line items); Payap pays the whole remainingAmount", want, o.Amount, pr.RemainingAmount, pr.ID)).
			with("paymentOptions", offered)
	}
	return want, nil
}

// update changes a stored payment and returns it as stored; pay as it was
// if it is gone.
func (p *payap) update(pay Payment, change func(*Payment)) Payment {
	updated, err := p.store.UpdatePayment(pay.ID, change)
	if err != nil {
		return pay
	}
	return updated
}

// apply stores what an exchange with the provider taught.
func (p *payap) apply(pay Payment, o outcome) Payment {
	now := p.clock.Now()
	return p.update(pay, func(x *Payment) {
		x.UpdatedAt = now
		x.Problem = o.problem
		switch o.status {
		case PaymentSuccessful:
			x.Status, x.FailureReason, x.ProviderFailureReason = PaymentSuccessful, "", ""
		case PaymentFailed:
			x.Status, x.ProviderFailureReason, x.FailureReason = PaymentFailed, o.reason, centrapayReason(o.reason)
			if o.unknown {
				x.FailureReason = reasonUnconfirm
			}
		case PaymentPending:
			x.Status = PaymentPending
		}
	})
}

// cancelReason is why a pending payment must be cancelled, given its
// payment request: "" when it may go on.
func cancelReason(pr paymentRequest, now time.Time) string {
	switch {
	case pr.Status == prExpired, pr.Status == prNew && !pr.ExpiresAt.IsZero() && !now.Before(pr.ExpiresAt):
		return cancelExpired
	case pr.Status == prCancelled:
		return cancelMerchant
	}
	return ""
}

// pollOnce moves a pending payment one step: the payment request is read
// again and the payment cancelled if the request expired or was cancelled;
// otherwise the provider is asked where the payment stands. A request that
// cannot be read now does not stop the poll.
func (p *payap) pollOnce(ctx context.Context, pay Payment, at AssetType) Payment {
	if pr, apiErr := p.readPaymentRequest(ctx, pay.PaymentRequestID, ""); apiErr == nil {
		if reason := cancelReason(pr, p.clock.Now()); reason != "" {
			return p.apply(pay, p.cancelTxn(ctx, at, pay.TransactionID, reason))
		}
	}
	return p.apply(pay, p.getTxn(ctx, at, pay.TransactionID))
}

// settle records a successful payment on Centrapay, once.
func (p *payap) settle(ctx context.Context, pay Payment) Payment {
	if pay.Status != PaymentSuccessful || pay.CentrapayStatus == CentrapayRecorded || pay.CentrapayStatus == CentrapayUnsettled {
		return pay
	}
	status, cpErr, problem := p.recordPayment(ctx, pay)
	now := p.clock.Now()
	return p.update(pay, func(x *Payment) {
		x.CentrapayStatus, x.CentrapayError, x.Problem, x.UpdatedAt = status, cpErr, problem, now
	})
}

// resolve is the lazy resolution a GET does: a pending payment is polled
// once, a successful one Centrapay could not be told of is recorded again.
// A payment another request is working on is answered as it stands.
func (p *payap) resolve(ctx context.Context, pay Payment) Payment {
	if pay.Status != PaymentPending && !(pay.Status == PaymentSuccessful && pay.CentrapayStatus == CentrapayRecording) {
		return pay
	}
	lock := p.payLocks.get(pay.TransactionID)
	if !lock.TryLock() {
		return pay
	}
	defer lock.Unlock()
	if now, ok := p.store.Payment(pay.ID); ok {
		pay = now // as the last holder of the lock left it
	}
	if pay.Status == PaymentPending {
		at, ok := p.store.AssetType(pay.AssetType)
		if !ok {
			return pay
		}
		pay = p.pollOnce(ctx, pay, at)
		if pay.Status == PaymentPending {
			pay = p.update(pay, func(x *Payment) { x.FailureReason = reasonUnconfirm })
		}
	}
	return p.settle(ctx, pay)
}

func (p *payap) handleListPayments(w http.ResponseWriter, r *http.Request, u User) {
	pays := p.store.Payments(u.ID)
	ctx := context.WithoutCancel(r.Context())
	for i := range pays {
		pays[i] = p.resolve(ctx, pays[i])
	}
	if pays == nil {
		pays = []Payment{}
	}
	httpx.WriteJSON(w, http.StatusOK, list[Payment]{Items: pays})
}

func (p *payap) handleGetPayment(w http.ResponseWriter, r *http.Request, u User) {
	id := pathVar(r, "id")
	pay, ok := p.store.Payment(id)
	if !ok || pay.UserID != u.ID {
		writeError(w, errNotFound("payment", id))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p.resolve(context.WithoutCancel(r.Context()), pay))
}

// paymentOptionsOf lists a request's payment options' asset types.
func paymentOptionsOf(pr paymentRequest) []string {
	out := make([]string, 0, len(pr.PaymentOptions))
	for _, o := range pr.PaymentOptions {
		out = append(out, o.AssetType)
	}
	return out
}
