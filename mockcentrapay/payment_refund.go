package mockcentrapay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Refunding and voiding payment requests: POST
// /api/payment-requests/{id}/refund and .../void (merchant keys of the
// request's merchant; anyone else, and an unknown request, 403 Forbidden).
//
// Documented choices:
//   - Refund checks run in this order: the body (400, including
//     LINE_ITEMS_SUM_CHECK_FAILED when lineItems do not sum to value.amount),
//     the request (403 Forbidden; merchantConfigId, when sent, must be a
//     config of the caller's, else 403 Forbidden), REPEAT_REFERENCE (a refund
//     of this request already has the externalRef: the same amount answers
//     that refund again with 200, another amount is 403), pre-auth
//     (PRE_AUTH_PENDING, CONFIRMATION_NOT_FOUND), NOT_PAID,
//     REFUND_NOT_SUPPORTED, ALREADY_REFUNDED, REFUND_WINDOW_EXCEEDED,
//     INVALID_AMOUNT, then per payment refunded INACTIVE_ASSET,
//     PARTIAL_REFUNDS_NOT_ALLOWED and REFUND_DECLINED.
//   - NOT_PAID: the request is new, or was never paid at all. A request
//     that expired or was cancelled after partial payments can be refunded.
//   - A refund returns money to the newest payments first; strategy.refunds
//     lists each share. Centrapay-held assets are credited at once (and the
//     payer's monthly spend is given back).
//   - REFUND_NOT_SUPPORTED: payments recorded outside Centrapay (external.*
//     types, or paid with transactionId) cannot be refunded through it; the
//     error answers when the request has no other payment.
//   - REFUND_WINDOW_EXCEEDED: the sandbox clock is past the last payment +
//     Config.RefundWindow (default 90 days) [GAP: the docs say "a short
//     period"].
//   - INACTIVE_ASSET: the Centrapay-held asset paid from is no longer active
//     (the single-use voucher PatronVoucherAssetID after it paid).
//   - PARTIAL_REFUNDS_NOT_ALLOWED: the one-off open-banking types
//     (quartz-one-off.nzd, asb-payap-one-off.nzd, westpac-payap-one-off.nzd)
//     refund whole payments only [GAP].
//   - REFUND_DECLINED: the payment was authorized with
//     AuthorizationDeclineRefunds ("decline-refunds").
//   - Pre-auth: the mock has no pre-auth endpoints; paying a preAuth request
//     stands for its authorization and confirmation, the pay idempotencyKey
//     being the confirmation's. Refunding a preAuth request before it is
//     paid is PRE_AUTH_PENDING; once paid, confirmationIdempotencyKey is
//     required (400) and must be a payment's idempotencyKey
//     (CONFIRMATION_NOT_FOUND); sending one for a request that is not a
//     pre-auth is CONFIRMATION_NOT_FOUND too.
//   - C30: completion is asynchronous in Centrapay; the mock sends
//     payment-request:refund-initiated, then payment-request:refund-completed
//     (at once for Centrapay-held assets; third-party ones go through
//     completeThirdPartyRefund). The refund activity carries no status field.
//   - Void (C11: the next-gen API has no cancel endpoint; void covers it):
//     a request without payments becomes cancelled (CANCELLED_BY_MERCHANT)
//     and the cancellation activity is answered; a request with payments
//     becomes cancelled too ("cancelled: after being cancelled or voided"),
//     everything still refundable is refunded with externalRef = the
//     payment request id, and that refund activity is answered (a still new,
//     partly paid request also gets a cancellation activity first). Voiding
//     again answers the same activity with 200 (idempotent, even after the
//     void window). Errors, in order: REQUEST_EXPIRED, VOID_WINDOW_EXCEEDED
//     (sandbox clock past createdAt + Config.VoidWindow, default 24 h),
//     PRE_AUTH_ALREADY_CONFIRMED (a paid pre-auth), REPEAT_REFERENCE (a
//     refund already used the payment request id as externalRef),
//     REFUND_NOT_SUPPORTED (only payments recorded outside Centrapay),
//     ALREADY_REFUNDED (nothing left to refund), INACTIVE_ASSET and
//     REFUND_DECLINED as for refunds. A void never answers
//     PARTIAL_REFUNDS_NOT_ALLOWED: it refunds everything left.
type refundBody struct {
	Value                      json.RawMessage `json:"value"`
	ExternalRef                *string         `json:"externalRef"`
	InvoiceRef                 *string         `json:"invoiceRef"`
	LineItems                  json.RawMessage `json:"lineItems"`
	ConfirmationIdempotencyKey *string         `json:"confirmationIdempotencyKey"`
	MerchantConfigID           *string         `json:"merchantConfigId"`
}

// refundInput is a validated refund body.
type refundInput struct {
	value                      Monetary
	externalRef                string
	invoiceRef                 string
	lineItems                  []LineItem
	confirmationIdempotencyKey string
	merchantConfigID           string
}

func (b refundBody) input() (refundInput, *apiError) {
	var in refundInput
	v, e := prMonetary(b.Value, "value")
	if e != nil {
		return in, e
	}
	in.value = v
	in.externalRef = prStr(b.ExternalRef)
	if strings.TrimSpace(in.externalRef) == "" {
		return in, errBadRequest("externalRef is required (a reference of your own, unique per refund)")
	}
	in.invoiceRef = prStr(b.InvoiceRef)
	if len(in.invoiceRef) > maxRefLength {
		return in, errBadRequest(fmt.Sprintf("invoiceRef must be at most %d characters", maxRefLength))
	}
	if in.lineItems, e = prLineItems(b.LineItems, "lineItems"); e != nil {
		return in, e
	}
	if len(in.lineItems) > 0 {
		if sum := sumPrices(in.lineItems); sum != v.Amount {
			return in, errBusiness(http.StatusBadRequest, "LINE_ITEMS_SUM_CHECK_FAILED",
				fmt.Sprintf("the line item prices sum to %d; they must sum to value.amount %d", sum, v.Amount))
		}
	}
	in.confirmationIdempotencyKey = prStr(b.ConfirmationIdempotencyKey)
	in.merchantConfigID = prStr(b.MerchantConfigID)
	if in.merchantConfigID != "" && (!strings.HasPrefix(in.merchantConfigID, merchantConfigPrefix) || len(in.merchantConfigID) == len(merchantConfigPrefix)) {
		return in, errBadRequest("merchantConfigId must start with " + merchantConfigPrefix)
	}
	return in, nil
}

// refundResult is the outcome of a refund or void.
type refundResult struct {
	activity PaymentActivity
	pr       PaymentRequest
	// refunded: money was returned by this call (not a replay, not a
	// cancellation), so the refund notifications are due.
	refunded bool
	// thirdParty: some of it goes back to a third-party asset.
	thirdParty bool
}

// handleRefundPaymentRequest is POST /api/payment-requests/{id}/refund.
func (c *centrapay) handleRefundPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	var body refundBody
	if e := mcReadJSON(w, r, &body); e != nil {
		writeError(w, e)
		return
	}
	in, e := body.input()
	if e != nil {
		writeError(w, e)
		return
	}
	res, e := c.store.refundPaymentRequest(pathVar(r, "paymentRequestId"), in, p, c.clock.Now(), c.cfg.RefundWindow)
	if e != nil {
		writeError(w, e)
		return
	}
	c.notifyRefund(res)
	writeJSON(w, res.activity)
}

// handleVoidPaymentRequest is POST /api/payment-requests/{id}/void. It takes
// no body; one that is sent is ignored.
func (c *centrapay) handleVoidPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	res, e := c.store.voidPaymentRequest(pathVar(r, "paymentRequestId"), p, c.clock.Now(), c.cfg.VoidWindow)
	if e != nil {
		writeError(w, e)
		return
	}
	c.notifyRefund(res)
	writeJSON(w, res.activity)
}

// notifyRefund sends refund-initiated, then completes the refund.
func (c *centrapay) notifyRefund(res refundResult) {
	if !res.refunded {
		return
	}
	c.notify(res.pr.merchantAccountID, WebhookEventRefundInitiated, res.activity, res.pr.Liveness == "test")
	if res.thirdParty {
		c.completeThirdPartyRefund(res.pr, res.activity)
		return
	}
	c.notify(res.pr.merchantAccountID, WebhookEventRefundCompleted, res.activity, res.pr.Liveness == "test")
}

// completeThirdPartyRefund completes a refund that returns money to a
// third-party asset. For now it completes at once and sends
// payment-request:refund-completed, as for Centrapay-held assets.
//
// The spend issue will make it call the mock Payap (which calls the
// provider's /refund with a signed JWT) and send refund-completed only once
// the provider has refunded (C30: Centrapay's refund is asynchronous, the
// provider's synchronous).
func (c *centrapay) completeThirdPartyRefund(pr PaymentRequest, refund PaymentActivity) {
	c.notify(pr.merchantAccountID, WebhookEventRefundCompleted, refund, pr.Liveness == "test")
}

// notify hands a notification to the webhooks engine, if there is one.
func (c *centrapay) notify(accountID, eventType string, activity PaymentActivity, test bool) {
	if c.webhooks != nil {
		c.webhooks.Notify(accountID, eventType, activity, test)
	}
}

// refundShare is one payment's share of a refund.
type refundShare struct {
	pay    *prPayment
	amount Amount
}

// ownPaymentRequestLocked returns a request of the caller's merchant.
func (s *MemStore) ownPaymentRequestLocked(id string, p principal, now time.Time) (*PaymentRequest, *apiError) {
	pr, ok := s.paymentRequestLocked(id, now)
	if !ok || pr.merchantAccountID != p.Account.ID {
		return nil, errForbidden()
	}
	return pr, nil
}

// refundPaymentRequest runs a refund's checks and, when they pass, returns
// the money and records the refund, atomically.
func (s *MemStore) refundPaymentRequest(id string, in refundInput, p principal, now time.Time, window time.Duration) (refundResult, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, e := s.ownPaymentRequestLocked(id, p, now)
	if e != nil {
		return refundResult{}, e
	}
	if in.merchantConfigID != "" {
		mc, ok := s.merchantConfigLocked(in.merchantConfigID)
		if !ok {
			return refundResult{}, errForbidden()
		}
		if m, ok := s.merchantLocked(mc.MerchantID); !ok || m.AccountID != p.Account.ID {
			return refundResult{}, errForbidden()
		}
	}
	if done, ok := s.payments.refundRefs[pr.ID+"\x00"+in.externalRef]; ok {
		if done.Value.Amount != in.value.Amount {
			return refundResult{}, errBusiness(http.StatusForbidden, "REPEAT_REFERENCE",
				fmt.Sprintf("a refund of %d already has externalRef %s; use a new externalRef for another refund", done.Value.Amount, in.externalRef))
		}
		return refundResult{activity: *done, pr: *pr}, nil
	}
	candidates, e := refundCandidates(pr, in.confirmationIdempotencyKey)
	if e != nil {
		return refundResult{}, e
	}
	supported, e := refundablePayments(candidates)
	if e != nil {
		return refundResult{}, e
	}
	refundable := refundableTotal(supported)
	if refundable == 0 {
		return refundResult{}, errBusiness(http.StatusForbidden, "ALREADY_REFUNDED", "the payment request is already fully refunded")
	}
	last := pr.payments[len(pr.payments)-1].at
	if now.After(last.Add(window)) {
		return refundResult{}, errBusiness(http.StatusForbidden, "REFUND_WINDOW_EXCEEDED",
			"refunds may start up to "+window.String()+" after the payment, until "+last.Add(window).UTC().Format(timestampLayout))
	}
	if in.value.Currency != pr.Value.Currency {
		return refundResult{}, errBadRequest("value.currency must be " + pr.Value.Currency + ", the payment request's currency")
	}
	if in.value.Amount > refundable {
		return refundResult{}, errBusiness(http.StatusForbidden, "INVALID_AMOUNT",
			fmt.Sprintf("at most %d can still be refunded", refundable))
	}
	shares, e := s.refundSharesLocked(supported, in.value.Amount, true)
	if e != nil {
		return refundResult{}, e
	}
	a := s.applyRefundLocked(pr, shares, &PaymentActivity{
		Value: in.value, CreatedBy: p.crn(), ExternalRef: in.externalRef, InvoiceRef: in.invoiceRef,
		LineItems: in.lineItems, ConfirmationIdempotencyKey: in.confirmationIdempotencyKey,
	}, now)
	return refundResult{activity: *a, pr: *pr, refunded: true, thirdParty: anyThirdParty(shares)}, nil
}

// refundCandidates are the payments a refund may return money to: all of
// them, or for a pre-auth the confirmation's.
func refundCandidates(pr *PaymentRequest, confirmationKey string) ([]*prPayment, *apiError) {
	preAuth := pr.PreAuth != nil && *pr.PreAuth
	if preAuth && len(pr.payments) == 0 {
		return nil, errBusiness(http.StatusForbidden, "PRE_AUTH_PENDING", "the pre-auth payment request has not been authorized yet")
	}
	if preAuth && confirmationKey == "" {
		return nil, errBadRequest("confirmationIdempotencyKey is required to refund a pre-auth payment request: send the idempotencyKey of the confirmation")
	}
	if confirmationKey != "" {
		for i := range pr.payments {
			if preAuth && pr.payments[i].idempotencyKey == confirmationKey {
				return []*prPayment{&pr.payments[i]}, nil
			}
		}
		return nil, errBusiness(http.StatusForbidden, "CONFIRMATION_NOT_FOUND",
			"no confirmation of this payment request has idempotencyKey "+confirmationKey)
	}
	if pr.Status == PRStatusNew || len(pr.payments) == 0 {
		return nil, errBusiness(http.StatusForbidden, "NOT_PAID", "the payment request has not been paid")
	}
	return paymentsOf(pr), nil
}

// paymentsOf points at a request's payments, oldest first.
func paymentsOf(pr *PaymentRequest) []*prPayment {
	out := make([]*prPayment, 0, len(pr.payments))
	for i := range pr.payments {
		out = append(out, &pr.payments[i])
	}
	return out
}

// refundableTotal is what payments can still give back.
func refundableTotal(payments []*prPayment) Amount {
	var sum Amount
	for _, pay := range payments {
		sum += pay.refundable()
	}
	return sum
}

// refundablePayments drops payments recorded outside Centrapay; none left
// is REFUND_NOT_SUPPORTED.
func refundablePayments(candidates []*prPayment) ([]*prPayment, *apiError) {
	var out []*prPayment
	for _, pay := range candidates {
		if !pay.external {
			out = append(out, pay)
		}
	}
	if len(out) == 0 {
		return nil, errBusiness(http.StatusForbidden, "REFUND_NOT_SUPPORTED",
			"the payment was recorded outside Centrapay ("+candidates[0].assetType+"); refund it where it was made")
	}
	return out, nil
}

// refundSharesLocked spreads amount over payments, newest first, and
// applies the per-payment rules. partialCheck is false for a void, which
// refunds everything left.
func (s *MemStore) refundSharesLocked(payments []*prPayment, amount Amount, partialCheck bool) ([]refundShare, *apiError) {
	var shares []refundShare
	left := amount
	for i := len(payments) - 1; i >= 0 && left > 0; i-- {
		pay := payments[i]
		part := min(pay.refundable(), left)
		if part == 0 {
			continue
		}
		if pay.centrapayHeld {
			if a, ok := s.payments.assets[pay.assetID]; !ok || !a.Active {
				return nil, errBusiness(http.StatusForbidden, "INACTIVE_ASSET", "asset "+pay.assetID+" that paid is no longer active and cannot be refunded")
			}
		}
		if partialCheck && pay.oneOff && part != pay.amount {
			return nil, errBusiness(http.StatusForbidden, "PARTIAL_REFUNDS_NOT_ALLOWED",
				fmt.Sprintf("%s refunds whole payments only: refund %d", pay.assetType, pay.amount))
		}
		if pay.declineRefunds {
			return nil, errBusiness(http.StatusForbidden, "REFUND_DECLINED", "the provider of "+pay.assetType+" declined the refund")
		}
		shares = append(shares, refundShare{pay: pay, amount: part})
		left -= part
	}
	return shares, nil
}

// applyRefundLocked returns the money of shares and stores the refund
// activity a (its value, refs and createdBy already set).
func (s *MemStore) applyRefundLocked(pr *PaymentRequest, shares []refundShare, a *PaymentActivity, now time.Time) *PaymentActivity {
	a.Type = ActivityRefund
	a.External = prBool(false)
	a.Strategy = &RefundStrategy{Refunds: make([]RefundPart, 0, len(shares))}
	for _, sh := range shares {
		sh.pay.refunded += sh.amount
		if sh.pay.centrapayHeld {
			s.payments.assets[sh.pay.assetID].Balance += sh.amount
			k := spendKey(sh.pay.payerAccountID, sh.pay.assetType, sh.pay.at)
			s.payments.spend[k] = max(0, s.payments.spend[k]-sh.amount)
		}
		if a.AssetType == "" {
			a.AssetType = sh.pay.assetType
		}
		a.Strategy.Refunds = append(a.Strategy.Refunds, RefundPart{
			AssetID: sh.pay.assetID, AssetType: sh.pay.assetType, CompletedPaymentID: sh.pay.activityID, Amount: sh.amount,
		})
	}
	pr.UpdatedAt = ts(now)
	s.addActivityLocked(pr, a, now)
	s.payments.refundRefs[pr.ID+"\x00"+a.ExternalRef] = a
	return a
}

func anyThirdParty(shares []refundShare) bool {
	for _, sh := range shares {
		if !sh.pay.centrapayHeld {
			return true
		}
	}
	return false
}

// voidPaymentRequest cancels a request and refunds what it was paid.
func (s *MemStore) voidPaymentRequest(id string, p principal, now time.Time, window time.Duration) (refundResult, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, e := s.ownPaymentRequestLocked(id, p, now)
	if e != nil {
		return refundResult{}, e
	}
	if pr.voidActivityID != "" {
		a, _ := s.activityLocked(pr.ID, pr.voidActivityID)
		return refundResult{activity: *a, pr: *pr}, nil
	}
	switch {
	case pr.Status == PRStatusExpired:
		return refundResult{}, errBusiness(http.StatusForbidden, "REQUEST_EXPIRED", "the payment request expired at "+pr.ExpiresAt.Time().Format(timestampLayout))
	case now.After(pr.CreatedAt.Time().Add(window)):
		return refundResult{}, errBusiness(http.StatusForbidden, "VOID_WINDOW_EXCEEDED",
			"a payment request can be voided until "+window.String()+" after it was created; refund it instead")
	}
	cancel := func() *PaymentActivity {
		wasNew := pr.Status == PRStatusNew
		pr.Status, pr.CancellationReason, pr.UpdatedAt = PRStatusCancelled, CancelledByMerchant, ts(now)
		if !wasNew {
			return nil
		}
		return s.addActivityLocked(pr, &PaymentActivity{
			Type: ActivityCancellation, Value: pr.Value, CreatedBy: p.crn(), CancellationReason: CancelledByMerchant,
		}, now)
	}
	if len(pr.payments) == 0 {
		a := cancel()
		pr.voidActivityID = a.ID
		return refundResult{activity: *a, pr: *pr}, nil
	}
	if pr.PreAuth != nil && *pr.PreAuth {
		return refundResult{}, errBusiness(http.StatusForbidden, "PRE_AUTH_ALREADY_CONFIRMED",
			"the pre-auth payment request has a confirmation; refund it instead")
	}
	if _, used := s.payments.refundRefs[pr.ID+"\x00"+pr.ID]; used {
		return refundResult{}, errBusiness(http.StatusForbidden, "REPEAT_REFERENCE",
			"a refund already has externalRef "+pr.ID+", the reference a void refunds with")
	}
	supported, e := refundablePayments(paymentsOf(pr))
	if e != nil {
		return refundResult{}, e
	}
	refundable := refundableTotal(supported)
	if refundable == 0 {
		return refundResult{}, errBusiness(http.StatusForbidden, "ALREADY_REFUNDED", "the payment request is already fully refunded")
	}
	shares, e := s.refundSharesLocked(supported, refundable, false)
	if e != nil {
		return refundResult{}, e
	}
	cancel()
	a := s.applyRefundLocked(pr, shares, &PaymentActivity{
		Value: Monetary{Amount: refundable, Currency: pr.Value.Currency}, CreatedBy: p.crn(), ExternalRef: pr.ID,
	}, now)
	pr.voidActivityID = a.ID
	return refundResult{activity: *a, pr: *pr, refunded: true, thirdParty: anyThirdParty(shares)}, nil
}
