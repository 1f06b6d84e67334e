package mockcentrapay

import (
	"context"
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
//     types, or another type that is neither Centrapay-held nor registered
//     through Payap, paid with transactionId) cannot be refunded through
//     it; the error answers when the request has no other payment.
//   - Payments of a type registered through Payap recorded with
//     transactionId (how the wallet operator records a provider payment,
//     spend contract (2)) are refunded through the wallet operator
//     (wallet_operator.go): under the lock the refund is checked and its
//     shares reserved (a reserved amount is not refundable by anyone
//     else); the operator is called without the lock, once per share;
//     then, under the lock, the refund is committed (operator answered
//     successful) or the reservation released (failed, or nothing done).
//     The provider's failureReason answers PARTIAL_REFUNDS_NOT_ALLOWED,
//     REFUND_WINDOW_EXCEEDED, INVALID_AMOUNT (over-refund reasons, see
//     overRefundReasons) or REFUND_DECLINED (any other, named in reason); an
//     operator that cannot be reached (not configured, no connection, 401,
//     5xx, timeout) is REFUND_DECLINED saying so. When the outcome is
//     unknown (timeout, 5xx, broken answer) the refund is in doubt: its
//     amount stays reserved and its externalRef bound to that amount
//     (another amount: REPEAT_REFERENCE) until it is retried; a retry sends
//     the same refundIds. Calls on the same request wait for each other
//     where they must: the same refund (same externalRef) in flight, a
//     void while any refund is in flight, a refund or payment while a void
//     is in flight. A refund that would need money held by an in-doubt
//     refund is INVALID_AMOUNT (reason says so); a void of such a request
//     is REFUND_DECLINED until that refund is retried.
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
//   - C30: completion is asynchronous in Centrapay, synchronous at the
//     provider; the mock answers with the refund activity once every share
//     is back (Centrapay-held assets at once, wallet operator shares once
//     the operator answered successful) and then sends
//     payment-request:refund-initiated and payment-request:refund-completed.
//     The refund activity carries no status field. Third-party payments
//     paid with authorization (the sandbox's scripted provider) are
//     refunded at once, like Centrapay-held ones.
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
//     REFUND_DECLINED as for refunds. A void makes no PARTIAL_REFUNDS_NOT_ALLOWED
//     check of its own (it refunds everything left), but when a share goes
//     through the wallet operator the provider's answers are mapped as for
//     refunds (PARTIAL_REFUNDS_NOT_ALLOWED, REFUND_WINDOW_EXCEEDED,
//     INVALID_AMOUNT, REFUND_DECLINED), and the request is cancelled only
//     once the operator refunded. A void of a request without payments
//     needs nothing from the wallet operator: the Payap backend sees the
//     cancelled request when it next polls a pending provider payment
//     (spend contract (4)).
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
}

// refundStep is what a refund or void store operation asks of its
// handler: the result; or to wait until another call on the same request
// ends, then start over; or to call the wallet operator with calls and
// hand the outcomes to finishRefund.
type refundStep struct {
	res     refundResult
	wait    <-chan struct{}
	attempt *refundAttempt
	calls   []walletOperatorCall
}

// refundAttempt is a refund (or a void's refund) with shares that go back
// through the wallet operator, from its reservation until it is committed
// or given up. It lives in its request's attempts under its externalRef and
// is only touched under s.mu.
//
// While done is open a call is in flight: the same refund, a void of the
// request and a payment of a request being voided wait for it. After an
// unknown outcome it is inDoubt: its shares stay reserved and its
// externalRef bound to its amount until a retry gets a final answer. After
// an answer that did nothing it stays (without shares) only to give a retry
// the same activityID, hence the same refundIds.
type refundAttempt struct {
	prID        string
	externalRef string
	activityID  string // the refund activity's id; refundIds are activityID-<share number>
	void        bool
	activity    PaymentActivity // the refund activity to store: value, refs, createdBy
	shares      []attemptShare  // reserved on the request's payments
	done        chan struct{}
	inDoubt     bool
}

// attemptShare is one reserved share: the payment by index (the payments
// slice may grow while the lock is released), and its refundId when it
// goes through the wallet operator.
type attemptShare struct {
	payment  int
	amount   Amount
	refundID string
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
	id := pathVar(r, "paymentRequestId")
	res, e := c.runRefund(r.Context(), "refund", func(now time.Time) (refundStep, *apiError) {
		return c.store.beginRefund(id, in, p, now, c.cfg.RefundWindow)
	})
	c.answerRefund(w, res, e)
}

// handleVoidPaymentRequest is POST /api/payment-requests/{id}/void. It takes
// no body; one that is sent is ignored.
func (c *centrapay) handleVoidPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	id := pathVar(r, "paymentRequestId")
	res, e := c.runRefund(r.Context(), "void", func(now time.Time) (refundStep, *apiError) {
		return c.store.beginVoid(id, p, now, c.cfg.VoidWindow)
	})
	c.answerRefund(w, res, e)
}

// answerRefund sends the notifications of what was refunded (a refund the
// wallet operator finished only in part is refunded and answered with an
// error), then the answer.
func (c *centrapay) answerRefund(w http.ResponseWriter, res refundResult, e *apiError) {
	c.notifyRefund(res)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, res.activity)
}

// runRefund runs a refund or void store operation to its end: it waits
// (outside the lock) for calls it must not overlap, and calls the wallet
// operator (outside the lock) between the reservation and finishRefund.
// what is "refund" or "void", for the reasons.
func (c *centrapay) runRefund(ctx context.Context, what string, begin func(now time.Time) (refundStep, *apiError)) (refundResult, *apiError) {
	for {
		step, e := begin(c.clock.Now())
		switch {
		case e != nil:
			return refundResult{}, e
		case step.wait != nil:
			if !waitFor(ctx, step.wait) {
				return refundResult{}, errBusiness(http.StatusForbidden, "REFUND_DECLINED",
					"another call on this payment request awaits the wallet operator; nothing was refunded: retry the "+what)
			}
			continue
		case step.attempt != nil:
			outcomes := c.completeThirdPartyRefund(ctx, step.calls)
			return c.store.finishRefund(step.attempt, outcomes, c.clock.Now())
		}
		return step.res, nil
	}
}

// completeThirdPartyRefund asks the wallet operator to refund the shares
// of a reserved refund that go back to payments recorded through it (spend
// contract (3); see wallet_operator.go), one call per share, and returns
// the outcomes for finishRefund. It runs without the store's lock, detached
// from the merchant's request: the merchant hanging up must not cut the
// call short and leave the refund in doubt; the HTTP client's timeout
// bounds it. C30: the provider refunds synchronously, so the refund is
// committed, and both notifications sent, once the operator has answered.
func (c *centrapay) completeThirdPartyRefund(ctx context.Context, calls []walletOperatorCall) []walletOperatorOutcome {
	return c.operator.refund(context.WithoutCancel(ctx), calls)
}

// notifyRefund sends refund-initiated, then refund-completed: a refund is
// only committed once every share is back (Centrapay-held assets at once,
// wallet operator shares once the operator said so). Never under s.mu.
func (c *centrapay) notifyRefund(res refundResult) {
	if !res.refunded {
		return
	}
	test := res.pr.Liveness == "test"
	c.notify(res.pr.merchantAccountID, WebhookEventRefundInitiated, res.activity, test)
	c.notify(res.pr.merchantAccountID, WebhookEventRefundCompleted, res.activity, test)
}

// notify hands a notification to the webhooks engine, if there is one.
func (c *centrapay) notify(accountID, eventType string, activity PaymentActivity, test bool) {
	if c.webhooks != nil {
		c.webhooks.Notify(accountID, eventType, activity, test)
	}
}

// waitFor waits until ch is closed (true) or ctx ends (false).
func waitFor(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
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

// beginRefund runs a refund's checks and, when they pass, either returns
// the money and records the refund at once (no share goes through the
// wallet operator), or reserves the shares and asks for the wallet
// operator to be called (see finishRefund).
func (s *MemStore) beginRefund(id string, in refundInput, p principal, now time.Time, window time.Duration) (refundStep, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, e := s.ownPaymentRequestLocked(id, p, now)
	if e != nil {
		return refundStep{}, e
	}
	if in.merchantConfigID != "" {
		mc, ok := s.merchantConfigLocked(in.merchantConfigID)
		if !ok {
			return refundStep{}, errForbidden()
		}
		if m, ok := s.merchantLocked(mc.MerchantID); !ok || m.AccountID != p.Account.ID {
			return refundStep{}, errForbidden()
		}
	}
	if done, ok := s.payments.refundRefs[pr.ID+"\x00"+in.externalRef]; ok {
		if done.Value.Amount != in.value.Amount {
			return refundStep{}, errBusiness(http.StatusForbidden, "REPEAT_REFERENCE",
				fmt.Sprintf("a refund of %d already has externalRef %s; use a new externalRef for another refund", done.Value.Amount, in.externalRef))
		}
		return refundStep{res: refundResult{activity: *done, pr: *pr}}, nil
	}
	at := pr.attempts[in.externalRef]
	switch {
	case at != nil && at.done != nil:
		return refundStep{wait: at.done}, nil
	case at != nil && at.inDoubt && (at.void || at.activity.Value.Amount != in.value.Amount):
		return refundStep{}, errBusiness(http.StatusForbidden, "REPEAT_REFERENCE",
			fmt.Sprintf("a refund of %d with externalRef %s awaits the wallet operator's answer; retry it with the same amount, or use a new externalRef", at.activity.Value.Amount, in.externalRef))
	case at != nil && at.inDoubt:
		return s.startAttemptLocked(pr, at), nil
	}
	if v := pr.attempts[pr.ID]; v != nil && v.void && v.done != nil {
		return refundStep{wait: v.done}, nil // the void decides what is left
	}
	candidates, e := refundCandidates(pr, in.confirmationIdempotencyKey)
	if e != nil {
		return refundStep{}, e
	}
	supported, e := refundablePayments(candidates)
	if e != nil {
		return refundStep{}, e
	}
	refundable, reserved := refundableTotal(supported), reservedTotal(supported)
	if refundable == 0 && reserved > 0 {
		return refundStep{}, errBusiness(http.StatusForbidden, "INVALID_AMOUNT",
			fmt.Sprintf("nothing can be refunded now: the %d left is held by refunds that await the wallet operator; retry those refunds first", reserved))
	}
	if refundable == 0 {
		return refundStep{}, errBusiness(http.StatusForbidden, "ALREADY_REFUNDED", "the payment request is already fully refunded")
	}
	last := pr.payments[len(pr.payments)-1].at
	if now.After(last.Add(window)) {
		return refundStep{}, errBusiness(http.StatusForbidden, "REFUND_WINDOW_EXCEEDED",
			"refunds may start up to "+window.String()+" after the payment, until "+last.Add(window).UTC().Format(timestampLayout))
	}
	if in.value.Currency != pr.Value.Currency {
		return refundStep{}, errBadRequest("value.currency must be " + pr.Value.Currency + ", the payment request's currency")
	}
	if in.value.Amount > refundable {
		held := ""
		if reserved > 0 {
			held = fmt.Sprintf(" (%d more is held by refunds that await the wallet operator)", reserved)
		}
		return refundStep{}, errBusiness(http.StatusForbidden, "INVALID_AMOUNT",
			fmt.Sprintf("at most %d can still be refunded%s", refundable, held))
	}
	shares, e := s.refundSharesLocked(supported, in.value.Amount, true)
	if e != nil {
		return refundStep{}, e
	}
	a := &PaymentActivity{
		Value: in.value, CreatedBy: p.crn(), ExternalRef: in.externalRef, InvoiceRef: in.invoiceRef,
		LineItems: in.lineItems, ConfirmationIdempotencyKey: in.confirmationIdempotencyKey,
	}
	if !anyWalletOperator(shares) {
		s.applyRefundLocked(pr, shares, a, now)
		return refundStep{res: refundResult{activity: *a, pr: *pr, refunded: true}}, nil
	}
	return s.reserveLocked(pr, at, in.externalRef, false, shares, a), nil
}

// reserveLocked reserves shares for a refund through the wallet operator,
// under externalRef (reusing at, a record left by an attempt that did
// nothing, so that its refundIds stay), and starts the attempt.
func (s *MemStore) reserveLocked(pr *PaymentRequest, at *refundAttempt, externalRef string, void bool, shares []refundShare, a *PaymentActivity) refundStep {
	if at == nil {
		at = &refundAttempt{prID: pr.ID, externalRef: externalRef, activityID: s.ids.id("")}
		if pr.attempts == nil {
			pr.attempts = map[string]*refundAttempt{}
		}
		pr.attempts[externalRef] = at
	}
	at.void, at.activity, at.shares, at.inDoubt = void, *a, make([]attemptShare, 0, len(shares)), false
	for i, sh := range shares {
		share := attemptShare{payment: paymentIndex(pr, sh.pay), amount: sh.amount}
		if sh.pay.walletOperator {
			share.refundID = fmt.Sprintf("%s-%d", at.activityID, i+1)
		}
		sh.pay.reserved += sh.amount
		at.shares = append(at.shares, share)
	}
	return s.startAttemptLocked(pr, at)
}

// startAttemptLocked marks an attempt in flight and builds its calls, one
// per wallet operator share, in strategy order.
func (s *MemStore) startAttemptLocked(pr *PaymentRequest, at *refundAttempt) refundStep {
	at.done = make(chan struct{})
	calls := make([]walletOperatorCall, 0, len(at.shares))
	for _, sh := range at.shares {
		if sh.refundID == "" {
			continue
		}
		pay := &pr.payments[sh.payment]
		// Plain strings and an amount: never fails.
		body, _ := json.Marshal(walletOperatorRefund{
			RefundID: sh.refundID, PaymentTransactionID: pay.transactionID, PaymentRequestID: pr.ID,
			AssetType: pay.assetType, Amount: sh.amount, Currency: pr.Value.Currency,
		})
		calls = append(calls, walletOperatorCall{refundID: sh.refundID, assetType: pay.assetType, body: body})
	}
	return refundStep{attempt: at, calls: calls}
}

// finishRefund takes the wallet operator's outcomes (one per call, in
// order) and commits or releases the attempt's reservation:
//   - all successful: the refund (with its Centrapay-held shares) is
//     committed under the reserved activity id (a void also cancels);
//   - an unknown outcome: nothing is committed, the reservation stays and
//     the attempt is in doubt until a retry with the same externalRef;
//   - otherwise nothing is committed and the reservation is released, the
//     answer being the first failure mapped to Centrapay's codes. When an
//     earlier wallet operator share was already refunded (a refund spread
//     over two payments recorded through Payap), that share is committed as
//     the refund (value = what was refunded) and notified, and the answer
//     is still the error, its reason naming the committed refund.
func (s *MemStore) finishRefund(at *refundAttempt, outcomes []walletOperatorOutcome, now time.Time) (refundResult, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { close(at.done); at.done = nil }()
	pr := s.payments.requests[at.prID]
	var (
		bad      *walletOperatorOutcome
		badType  string
		unknown  bool
		answered bool // the operator answered failed: its refundIds are spent
		ok       = map[int]bool{}
		n        int
	)
	for i, sh := range at.shares {
		if sh.refundID == "" {
			continue
		}
		o := walletOperatorOutcome{kind: outcomeSkipped}
		if n < len(outcomes) {
			o = outcomes[n]
		}
		n++
		switch o.kind {
		case outcomeSuccessful:
			ok[i] = true
			continue
		case outcomeSkipped:
			continue
		case outcomeUnknown:
			unknown = true
		case outcomeFailed:
			answered = true
		}
		if bad == nil {
			bad, badType = &o, pr.payments[sh.payment].assetType
		}
	}
	if bad == nil {
		// Every wallet operator share was refunded.
		a := s.commitAttemptLocked(pr, at, func(int) bool { return true }, now)
		return refundResult{activity: *a, pr: *pr, refunded: true}, nil
	}
	e := refundOutcomeError(badType, at.void, *bad)
	if unknown {
		at.inDoubt = true
		return refundResult{}, e
	}
	if len(ok) > 0 {
		a := s.commitAttemptLocked(pr, at, func(i int) bool { return ok[i] }, now)
		e.Reason += fmt.Sprintf("; the wallet operator had already refunded %d of it, recorded as refund %s with externalRef %s", a.Value.Amount, a.ID, a.ExternalRef)
		return refundResult{activity: *a, pr: *pr, refunded: true}, e
	}
	s.releaseLocked(pr, at)
	if answered {
		delete(pr.attempts, at.externalRef)
	} else {
		at.shares, at.inDoubt = nil, false
	}
	return refundResult{}, e
}

// commitAttemptLocked releases an attempt's reservation and commits the
// shares keep says (by share index) as its refund activity, under its
// reserved id; a void also cancels the request. The attempt is done.
func (s *MemStore) commitAttemptLocked(pr *PaymentRequest, at *refundAttempt, keep func(i int) bool, now time.Time) *PaymentActivity {
	s.releaseLocked(pr, at)
	var shares []refundShare
	var sum Amount
	for i, sh := range at.shares {
		if keep(i) {
			shares = append(shares, refundShare{pay: &pr.payments[sh.payment], amount: sh.amount})
			sum += sh.amount
		}
	}
	a := at.activity
	a.ID, a.Value.Amount = at.activityID, sum
	if sum != at.activity.Value.Amount {
		a.LineItems = nil // they summed to the amount asked for
	}
	if at.void {
		s.cancelLocked(pr, a.CreatedBy, now)
	}
	stored := s.applyRefundLocked(pr, shares, &a, now)
	if at.void {
		pr.voidActivityID = stored.ID
	}
	delete(pr.attempts, at.externalRef)
	return stored
}

// releaseLocked gives an attempt's reserved shares back.
func (s *MemStore) releaseLocked(pr *PaymentRequest, at *refundAttempt) {
	for _, sh := range at.shares {
		pr.payments[sh.payment].reserved -= sh.amount
	}
}

// paymentIndex is the index of one of pr's payments.
func paymentIndex(pr *PaymentRequest, pay *prPayment) int {
	for i := range pr.payments {
		if &pr.payments[i] == pay {
			return i
		}
	}
	panic("mockcentrapay: a refund share's payment is not a payment of its request")
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

// reservedTotal is what refunds awaiting the wallet operator hold.
func reservedTotal(payments []*prPayment) Amount {
	var sum Amount
	for _, pay := range payments {
		sum += pay.reserved
	}
	return sum
}

// applyRefundLocked returns the money of shares and stores the refund
// activity a (its value, refs and createdBy already set; its id too when
// it went through the wallet operator).
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

// anyWalletOperator reports whether a share goes back through the wallet
// operator.
func anyWalletOperator(shares []refundShare) bool {
	for _, sh := range shares {
		if sh.pay.walletOperator {
			return true
		}
	}
	return false
}

// cancelLocked makes a request cancelled by its merchant; a request that
// was still new gets a cancellation activity, which is returned (nil
// otherwise).
func (s *MemStore) cancelLocked(pr *PaymentRequest, createdBy string, now time.Time) *PaymentActivity {
	wasNew := pr.Status == PRStatusNew
	pr.Status, pr.CancellationReason, pr.UpdatedAt = PRStatusCancelled, CancelledByMerchant, ts(now)
	if !wasNew {
		return nil
	}
	return s.addActivityLocked(pr, &PaymentActivity{
		Type: ActivityCancellation, Value: pr.Value, CreatedBy: createdBy, CancellationReason: CancelledByMerchant,
	}, now)
}

// beginVoid cancels a request and refunds what it was paid: at once, or,
// when a share goes back through the wallet operator, by reserving
// everything left and asking for the operator to be called (the request
// is cancelled only when finishRefund commits). A void waits for any
// refund of the request that is in flight, so that it refunds what is
// really left.
func (s *MemStore) beginVoid(id string, p principal, now time.Time, window time.Duration) (refundStep, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, e := s.ownPaymentRequestLocked(id, p, now)
	if e != nil {
		return refundStep{}, e
	}
	if pr.voidActivityID != "" {
		a, _ := s.activityLocked(pr.ID, pr.voidActivityID)
		return refundStep{res: refundResult{activity: *a, pr: *pr}}, nil
	}
	for _, at := range pr.attempts {
		if at.done != nil {
			return refundStep{wait: at.done}, nil
		}
	}
	at := pr.attempts[pr.ID]
	if at != nil && at.void && at.inDoubt {
		return s.startAttemptLocked(pr, at), nil
	}
	switch {
	case pr.Status == PRStatusExpired:
		return refundStep{}, errBusiness(http.StatusForbidden, "REQUEST_EXPIRED", "the payment request expired at "+pr.ExpiresAt.Time().Format(timestampLayout))
	case now.After(pr.CreatedAt.Time().Add(window)):
		return refundStep{}, errBusiness(http.StatusForbidden, "VOID_WINDOW_EXCEEDED",
			"a payment request can be voided until "+window.String()+" after it was created; refund it instead")
	}
	if len(pr.payments) == 0 {
		a := s.cancelLocked(pr, p.crn(), now)
		pr.voidActivityID = a.ID
		return refundStep{res: refundResult{activity: *a, pr: *pr}}, nil
	}
	if pr.PreAuth != nil && *pr.PreAuth {
		return refundStep{}, errBusiness(http.StatusForbidden, "PRE_AUTH_ALREADY_CONFIRMED",
			"the pre-auth payment request has a confirmation; refund it instead")
	}
	if _, used := s.payments.refundRefs[pr.ID+"\x00"+pr.ID]; used || (at != nil && at.inDoubt) {
		return refundStep{}, errBusiness(http.StatusForbidden, "REPEAT_REFERENCE",
			"a refund already has externalRef "+pr.ID+", the reference a void refunds with")
	}
	supported, e := refundablePayments(paymentsOf(pr))
	if e != nil {
		return refundStep{}, e
	}
	if reserved := reservedTotal(supported); reserved > 0 {
		return refundStep{}, errBusiness(http.StatusForbidden, "REFUND_DECLINED",
			fmt.Sprintf("%d of this payment request is held by a refund that awaits the wallet operator's answer; retry that refund (same externalRef) before voiding", reserved))
	}
	refundable := refundableTotal(supported)
	if refundable == 0 {
		return refundStep{}, errBusiness(http.StatusForbidden, "ALREADY_REFUNDED", "the payment request is already fully refunded")
	}
	shares, e := s.refundSharesLocked(supported, refundable, false)
	if e != nil {
		return refundStep{}, e
	}
	a := &PaymentActivity{Value: Monetary{Amount: refundable, Currency: pr.Value.Currency}, CreatedBy: p.crn(), ExternalRef: pr.ID}
	if anyWalletOperator(shares) {
		return s.reserveLocked(pr, at, pr.ID, true, shares, a), nil
	}
	s.cancelLocked(pr, p.crn(), now)
	s.applyRefundLocked(pr, shares, a, now)
	pr.voidActivityID = a.ID
	return refundStep{res: refundResult{activity: *a, pr: *pr, refunded: true}}, nil
}
