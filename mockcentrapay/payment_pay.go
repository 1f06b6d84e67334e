package mockcentrapay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Paying a payment request: POST /api/payment-requests/{id}/pay.
//
// Documented choices:
//   - Any API key may pay (payment-requests:pay is global). assetId pays
//     from a Centrapay-held asset of the caller's account (the patron's
//     PatronAssetID); transactionId records a payment already made
//     elsewhere; authorization authorizes a third-party payment. Exactly one
//     of them is sent (400 otherwise). assetId is for Centrapay-held types
//     only; transactionId and authorization for the others (400 otherwise).
//   - transactionId with a type registered through Payap
//     (Config.ThirdPartyAssetTypes) is how the wallet operator records a
//     provider payment (spend contract (2)): the transactionId is the
//     provider's, the activity has external false, and refunds go back
//     through the wallet operator (see wallet_operator.go). transactionId
//     with any other type (external.* cash or EFTPOS from a POS, or another
//     type not held by Centrapay) records a payment made outside Centrapay:
//     external true, and refunds are REFUND_NOT_SUPPORTED.
//   - While a void that awaits the wallet operator is in flight, a payment
//     of the same request waits for it to end (then it is
//     REQUEST_CANCELLED, or goes ahead if the void failed).
//   - Checks run in this order: the body (400), the request (403 Forbidden),
//     idempotency, REQUEST_EXPIRED / REQUEST_PAID / REQUEST_CANCELLED,
//     INVALID_ASSET_TYPE (not one of the request's payment options, unknown,
//     or of the other liveness), INVALID_MERCHANT_CONFIG (the merchant config
//     was changed since the request was made and no longer offers the type,
//     or was removed), the amount and mode (400), PAYMENT_DECLINED (a
//     restricted type paying more than its option amount, i.e. for
//     restricted line items), then the asset: ASSET_REDEMPTION_DENIED (an
//     asset that is unknown, of another account, or of another asset type),
//     INACTIVE_ASSET, INSUFFICIENT_ASSET_VALUE, QUOTA_EXCEEDED (the patron's
//     monthly spend quota of 80000 cents per asset type, on the sandbox
//     clock; refunds give the spend back).
//   - authorization values that make the mock's "provider" answer, for
//     third-party types: see the Authorization* constants.
//   - Idempotency (§4.1): a successful payment is stored under the request
//     and its idempotencyKey. The same key with the same content (caller,
//     assetType, assetId / transactionId / authorization, mode, amount,
//     externalPaymentRef, lineItems) answers the stored activity again, even
//     once the request is paid; the same key with other content is 403
//     IDEMPOTENT_OPERATION_FAILED. Failed attempts are not stored, so they can
//     be retried with the same key.
//   - mode: none pays the whole remainingAmount (amount, if sent, must equal
//     it); partial-payment (needs partialAllowed) and multi-asset-payment pay
//     amount, at most remainingAmount.
//   - externalPaymentRef is required for farmlands.nzd.*; lineItems are
//     accepted for centrapay.token.* only and echoed on the activity.
//   - A single-use asset (the seeded PatronVoucherAssetID) becomes inactive
//     once it has paid.
type payBody struct {
	AssetType          *string         `json:"assetType"`
	IdempotencyKey     *string         `json:"idempotencyKey"`
	AssetID            *string         `json:"assetId"`
	TransactionID      *string         `json:"transactionId"`
	Authorization      *string         `json:"authorization"`
	Mode               *string         `json:"mode"`
	Amount             json.RawMessage `json:"amount"`
	ExternalPaymentRef *string         `json:"externalPaymentRef"`
	LineItems          json.RawMessage `json:"lineItems"`
}

// Payment modes (§4.7).
const (
	ModePartialPayment    = "partial-payment"
	ModeMultiAssetPayment = "multi-asset-payment"
)

// authorization values that script the outcome of a third-party payment in
// the sandbox. Any other value is accepted as a successful authorization.
const (
	// AuthorizationDecline: 403 PAYMENT_DECLINED.
	AuthorizationDecline = "decline"
	// AuthorizationUnconfirmed: 403 PAYMENT_UNCONFIRMED (the provider never
	// confirmed the payment).
	AuthorizationUnconfirmed = "unconfirmed"
	// AuthorizationInsufficient: 403 INSUFFICIENT_ASSET_VALUE.
	AuthorizationInsufficient = "insufficient"
	// AuthorizationDenied: 403 ASSET_REDEMPTION_DENIED.
	AuthorizationDenied = "denied"
	// AuthorizationInactive: 403 INACTIVE_ASSET.
	AuthorizationInactive = "inactive"
	// AuthorizationDeclineRefunds pays, but every refund of the payment is
	// 403 REFUND_DECLINED.
	AuthorizationDeclineRefunds = "decline-refunds"
)

// payInput is a validated pay body.
type payInput struct {
	AssetType          string     `json:"assetType"`
	IdempotencyKey     string     `json:"-"`
	AssetID            string     `json:"assetId,omitempty"`
	TransactionID      string     `json:"transactionId,omitempty"`
	Authorization      string     `json:"authorization,omitempty"`
	Mode               string     `json:"mode,omitempty"`
	Amount             *Amount    `json:"amount,omitempty"`
	ExternalPaymentRef string     `json:"externalPaymentRef,omitempty"`
	LineItems          []LineItem `json:"lineItems,omitempty"`
	Account            string     `json:"account"`
}

// fingerprint is the content an idempotency key is bound to.
func (in payInput) fingerprint() string {
	b, _ := json.Marshal(in) // plain strings, amounts and line items: never fails
	return string(b)
}

// handlePayPaymentRequest is POST /api/payment-requests/{paymentRequestId}/pay.
func (c *centrapay) handlePayPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	var body payBody
	if e := mcReadJSON(w, r, &body); e != nil {
		writeError(w, e)
		return
	}
	in, e := body.input()
	if e != nil {
		writeError(w, e)
		return
	}
	in.Account = p.Account.ID
	var res payResult
	for {
		res, e = c.store.payPaymentRequest(pathVar(r, "paymentRequestId"), in, p, c.clock.Now())
		if e != nil {
			writeError(w, e)
			return
		}
		if res.wait == nil {
			break
		}
		if !waitFor(r.Context(), res.wait) {
			writeError(w, errBusiness(http.StatusForbidden, "PAYMENT_UNCONFIRMED",
				"the payment request is being voided; the payment was not recorded: retry it with the same idempotencyKey"))
			return
		}
	}
	if res.completed && c.webhooks != nil {
		c.webhooks.Notify(res.pr.merchantAccountID, WebhookEventPaid, res.activity, res.pr.Liveness == "test")
	}
	writeJSON(w, res.activity)
}

// input validates a pay body: its 400s that need no state.
func (b payBody) input() (payInput, *apiError) {
	var in payInput
	in.AssetType = strings.TrimSpace(prStr(b.AssetType))
	if in.AssetType == "" {
		return in, errBadRequest("assetType is required")
	}
	in.IdempotencyKey = prStr(b.IdempotencyKey)
	if strings.TrimSpace(in.IdempotencyKey) == "" {
		return in, errBadRequest("idempotencyKey is required")
	}
	in.AssetID, in.TransactionID, in.Authorization = prStr(b.AssetID), prStr(b.TransactionID), prStr(b.Authorization)
	n := 0
	for _, v := range []string{in.AssetID, in.TransactionID, in.Authorization} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return in, errBadRequest("send exactly one of assetId (a Centrapay-held asset), transactionId (a payment made outside Centrapay) or authorization (a third-party authorization)")
	}
	in.Mode = prStr(b.Mode)
	if in.Mode != "" && in.Mode != ModePartialPayment && in.Mode != ModeMultiAssetPayment {
		return in, errBadRequest("mode must be " + ModePartialPayment + " or " + ModeMultiAssetPayment)
	}
	if prPresent(b.Amount) {
		a, e := prAmount(b.Amount, "amount")
		if e != nil {
			return in, e
		}
		if a <= 0 || a >= maxPRAmount {
			return in, errBadRequest(fmt.Sprintf("amount must be more than 0 and less than %d", maxPRAmount))
		}
		in.Amount = &a
	} else if in.Mode != "" {
		return in, errBadRequest("amount is required with mode " + in.Mode)
	}
	in.ExternalPaymentRef = prStr(b.ExternalPaymentRef)
	base := assetTypeBase(in.AssetType)
	if base == "farmlands.nzd" && strings.TrimSpace(in.ExternalPaymentRef) == "" {
		return in, errBadRequest("externalPaymentRef is required when assetType is " + in.AssetType)
	}
	items, e := prLineItems(b.LineItems, "lineItems")
	if e != nil {
		return in, e
	}
	if len(items) > 0 && base != "centrapay.token" {
		return in, errBadRequest("lineItems are accepted only when paying with centrapay.token")
	}
	in.LineItems = items
	return in, nil
}

// payResult is the outcome of a payment.
type payResult struct {
	activity  PaymentActivity
	pr        PaymentRequest
	completed bool // this payment made the request paid (not a replay)
	// wait: a void of the request awaits the wallet operator; pay again
	// once it is closed.
	wait <-chan struct{}
}

// payPaymentRequest runs the payment's checks and, when they pass, moves
// the money and records the payment, atomically.
func (s *MemStore) payPaymentRequest(id string, in payInput, p principal, now time.Time) (payResult, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.paymentRequestLocked(id, now)
	if !ok {
		return payResult{}, errForbidden()
	}
	fp := in.fingerprint()
	key := pr.ID + "\x00" + in.IdempotencyKey
	if done, ok := s.payments.payKeys[key]; ok {
		if done.fingerprint != fp {
			return payResult{}, errBusiness(http.StatusForbidden, "IDEMPOTENT_OPERATION_FAILED",
				"idempotencyKey "+in.IdempotencyKey+" was already used for a different payment of this payment request")
		}
		return payResult{activity: *done, pr: *pr}, nil
	}
	if at := pr.attempts[pr.ID]; at != nil && at.void && at.done != nil {
		return payResult{wait: at.done}, nil
	}
	if e := requestPayable(pr); e != nil {
		return payResult{}, e
	}
	opt := slices.IndexFunc(pr.PaymentOptions, func(o PaymentOption) bool { return o.AssetType == in.AssetType })
	info, known := s.assetType(in.AssetType)
	if opt < 0 || !known || !livenessMatches(info, in.AssetType, pr.Liveness) {
		return payResult{}, errBusiness(http.StatusForbidden, "INVALID_ASSET_TYPE",
			in.AssetType+" is not a payment option of this payment request")
	}
	if mc, ok := s.merchantConfigLocked(pr.ConfigID); !ok || !slices.ContainsFunc(mc.PaymentOptions, func(o PaymentOptionConfig) bool { return o.Type == in.AssetType }) {
		return payResult{}, errBusiness(http.StatusForbidden, "INVALID_MERCHANT_CONFIG",
			"the merchant config no longer offers "+in.AssetType)
	}
	amount, e := payAmount(pr, in)
	if e != nil {
		return payResult{}, e
	}
	if amount > pr.PaymentOptions[opt].Amount {
		return payResult{}, errBusiness(http.StatusForbidden, "PAYMENT_DECLINED",
			fmt.Sprintf("%s may pay at most %d of this payment request (it cannot pay for restricted line items)", in.AssetType, pr.PaymentOptions[opt].Amount))
	}
	pay := prPayment{
		idempotencyKey: in.IdempotencyKey, assetType: in.AssetType, payerAccountID: p.Account.ID,
		authorization: in.Authorization, transactionID: in.TransactionID, amount: amount, at: now,
		centrapayHeld:  info.CentrapayHeld,
		walletOperator: info.ThirdParty && in.TransactionID != "",
		oneOff:         strings.Contains(info.Name, "-one-off"),
	}
	pay.external = info.Name == "external" || (in.TransactionID != "" && !pay.walletOperator)
	var asset *heldAsset
	if info.CentrapayHeld {
		if asset, e = s.spendableAssetLocked(in, info, p, amount, now); e != nil {
			return payResult{}, e
		}
		pay.assetID = asset.ID
	} else {
		if in.AssetID != "" {
			return payResult{}, errBadRequest(in.AssetType + " is not held by Centrapay: pay it with authorization, or with transactionId for a payment made outside Centrapay")
		}
		if e := thirdPartyAuthorization(in.Authorization); e != nil {
			return payResult{}, e
		}
		pay.declineRefunds = in.Authorization == AuthorizationDeclineRefunds
	}

	// Every check passed: move the money.
	if asset != nil {
		asset.Balance -= amount
		s.payments.spend[spendKey(p.Account.ID, in.AssetType, now)] += amount
		if asset.SingleUse {
			asset.Active = false
		}
	}
	pr.RemainingAmount -= amount
	pr.UpdatedAt = ts(now)
	pr.PaidBy = addAssetTotal(pr.PaidBy, AssetTotal{
		Type: in.AssetType, Description: info.Description, SettlementDate: ts(settlementDate(now)),
		Total: Monetary{Amount: amount, Currency: pr.Value.Currency},
	})
	a := &PaymentActivity{
		Type: ActivityPayment, Value: Monetary{Amount: amount, Currency: pr.Value.Currency},
		CreatedBy: p.crn(), AssetType: in.AssetType, External: prBool(pay.external),
		IdempotencyKey: in.IdempotencyKey, Mode: in.Mode, ExternalPaymentRef: in.ExternalPaymentRef,
		LineItems: in.LineItems, fingerprint: fp,
	}
	completed := pr.RemainingAmount == 0
	if completed {
		pr.Status = PRStatusPaid
		a.PaidBy = pr.PaidBy
	}
	s.addActivityLocked(pr, a, now)
	pay.activityID = a.ID
	pr.payments = append(pr.payments, pay)
	s.payments.payKeys[key] = a
	return payResult{activity: *a, pr: *pr, completed: completed}, nil
}

// requestPayable answers the status errors of pay.
func requestPayable(pr *PaymentRequest) *apiError {
	switch pr.Status {
	case PRStatusExpired:
		return errBusiness(http.StatusForbidden, "REQUEST_EXPIRED", "the payment request expired at "+pr.ExpiresAt.Time().Format(timestampLayout))
	case PRStatusPaid:
		return errBusiness(http.StatusForbidden, "REQUEST_PAID", "the payment request is already paid")
	case PRStatusCancelled:
		return errBusiness(http.StatusForbidden, "REQUEST_CANCELLED", "the payment request was cancelled")
	}
	return nil
}

// payAmount is how much a payment pays, given its mode.
func payAmount(pr *PaymentRequest, in payInput) (Amount, *apiError) {
	remaining := pr.RemainingAmount
	switch in.Mode {
	case "":
		if in.Amount != nil && *in.Amount != remaining {
			return 0, errBadRequest(fmt.Sprintf("amount must equal remainingAmount (%d) unless mode is %s or %s", remaining, ModePartialPayment, ModeMultiAssetPayment))
		}
		return remaining, nil
	case ModePartialPayment:
		if pr.PartialAllowed == nil || !*pr.PartialAllowed {
			return 0, errBadRequest("mode " + ModePartialPayment + " needs a payment request created with partialAllowed true")
		}
	}
	if *in.Amount > remaining {
		return 0, errBadRequest(fmt.Sprintf("amount must not be more than remainingAmount (%d)", remaining))
	}
	return *in.Amount, nil
}

// spendableAssetLocked checks a Centrapay-held asset for a payment.
func (s *MemStore) spendableAssetLocked(in payInput, info AssetTypeInfo, p principal, amount Amount, now time.Time) (*heldAsset, *apiError) {
	if in.AssetID == "" {
		return nil, errBadRequest(in.AssetType + " is held in Centrapay accounts: pay it with assetId")
	}
	asset, ok := s.payments.assets[in.AssetID]
	switch {
	case !ok || asset.AccountID != p.Account.ID:
		return nil, errBusiness(http.StatusForbidden, "ASSET_REDEMPTION_DENIED", "asset "+in.AssetID+" is not an asset of the paying account")
	case asset.Type != in.AssetType:
		return nil, errBusiness(http.StatusForbidden, "ASSET_REDEMPTION_DENIED", "asset "+in.AssetID+" holds "+asset.Type+", not "+in.AssetType)
	case !asset.Active:
		return nil, errBusiness(http.StatusForbidden, "INACTIVE_ASSET", "asset "+in.AssetID+" is not active")
	case asset.Balance < amount:
		return nil, errBusiness(http.StatusForbidden, "INSUFFICIENT_ASSET_VALUE",
			fmt.Sprintf("asset %s holds %d; the payment needs %d", asset.ID, asset.Balance, amount))
	}
	if limit, ok := s.payments.quotas[p.Account.ID]; ok {
		used := s.payments.spend[spendKey(p.Account.ID, in.AssetType, now)]
		if used+amount > limit {
			return nil, errBusiness(http.StatusForbidden, "QUOTA_EXCEEDED",
				fmt.Sprintf("the account's monthly %s spend quota is %d; %d is spent this month and the payment needs %d", in.AssetType, limit, used, amount))
		}
	}
	return asset, nil
}

// thirdPartyAuthorization plays the third-party provider's answer to an
// authorization.
func thirdPartyAuthorization(authorization string) *apiError {
	switch authorization {
	case AuthorizationDecline:
		return errBusiness(http.StatusForbidden, "PAYMENT_DECLINED", "the provider declined the payment")
	case AuthorizationUnconfirmed:
		return errBusiness(http.StatusForbidden, "PAYMENT_UNCONFIRMED", "the provider did not confirm the payment")
	case AuthorizationInsufficient:
		return errBusiness(http.StatusForbidden, "INSUFFICIENT_ASSET_VALUE", "the provider reports the asset's balance is too low")
	case AuthorizationDenied:
		return errBusiness(http.StatusForbidden, "ASSET_REDEMPTION_DENIED", "the provider refused the redemption")
	case AuthorizationInactive:
		return errBusiness(http.StatusForbidden, "INACTIVE_ASSET", "the provider reports the asset is not active")
	}
	return nil
}

// addAssetTotal returns paidBy with t added (a new value: paidBy is never
// changed in place, so copies handed out stay as they were).
func addAssetTotal(pb *PaidBy, t AssetTotal) *PaidBy {
	out := &PaidBy{AssetTotals: []AssetTotal{}}
	if pb != nil {
		out.AssetTotals = slices.Clone(pb.AssetTotals)
	}
	for i := range out.AssetTotals {
		if out.AssetTotals[i].Type == t.Type {
			out.AssetTotals[i].Total.Amount += t.Total.Amount
			out.AssetTotals[i].SettlementDate = t.SettlementDate
			return out
		}
	}
	out.AssetTotals = append(out.AssetTotals, t)
	return out
}

// settlementDate estimates settlement: the next midnight UTC.
func settlementDate(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
