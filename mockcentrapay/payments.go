package mockcentrapay

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Payment requests (§4.7, the "next" API): the model, the payments area's
// state and the store operations every payment endpoint shares.
//
// Documented choices (the README lists them too):
//   - C9: line item prices must sum to value.amount (or, when partialAllowed,
//     to basketAmount or value.amount, as the partial payment guide says);
//     the docs' get example breaks this rule, the mock enforces it (400
//     LINE_ITEMS_SUM_CHECK_FAILED). value is never reduced by line item
//     discounts (price is already net of discount), so the create example's
//     10000 → 9000 is not reproduced. expirySeconds is read from a JSON
//     integer or a string of digits and written as a number.
//   - C10: a payment activity echoes the request's idempotencyKey, and its
//     value is the amount this payment paid (the partial amount, not the
//     payment request's value).
//   - C12: a missing payment request, or one the caller may not touch, is
//     403 Forbidden, never 404.
//   - C7: connectionStatus is the connection's own status (created or
//     authorized); the docs' "active" is never written.
//   - C29: GET .../summary needs no API key; it answers only while the
//     payment request is new, and 403 Forbidden otherwise [GAP].
//   - Create takes no idempotencyKey (the create endpoint does not list one;
//     §4.1 makes idempotency opt-in per endpoint): an idempotencyKey field is
//     ignored like any unknown field, and every create makes a new request.
//   - Expiry is lazy: the first read or write that finds a new payment
//     request past expiresAt (on the sandbox clock) makes it expired and adds
//     one expiry activity dated expiresAt. Payments already made towards it
//     (partial or multi-asset) stay; the merchant refunds them [GAP].
//   - Partial payments: mode partial-payment (needs partialAllowed) and
//     multi-asset-payment pay an amount up to remainingAmount; the request
//     stays new until remainingAmount reaches 0, then becomes paid and the
//     payment-request:paid notification is sent. (The partial payment guide
//     also pictures a request paid with remainingAmount > 0; the connect flow
//     guide has the POS pay the remainder, which is what the mock does.)
//   - No separate "paid" activity is written: the payment that completes the
//     request carries paidBy, and it is the notification's data.
//   - Expiry activities have no createdBy (the system made them) [GAP].
//   - GET .../activities answers any API key, like GET of the request
//     (payment-requests:read is global).
type PaymentRequest struct {
	ID                   string              `json:"id"`
	ShortCode            string              `json:"shortCode"`
	URL                  string              `json:"url"`
	Value                Monetary            `json:"value"`
	PaymentOptions       []PaymentOption     `json:"paymentOptions"`
	MerchantID           string              `json:"merchantId"`
	MerchantName         string              `json:"merchantName"`
	ConfigID             string              `json:"configId"`
	Status               string              `json:"status"`
	Liveness             string              `json:"liveness"`
	CreatedAt            Timestamp           `json:"createdAt"`
	UpdatedAt            Timestamp           `json:"updatedAt"`
	ExpiresAt            Timestamp           `json:"expiresAt"`
	ExpirySeconds        int64               `json:"expirySeconds"`
	RemainingAmount      Amount              `json:"remainingAmount"`
	LineItems            []LineItem          `json:"lineItems,omitempty"`
	MerchantConditions   []MerchantCondition `json:"merchantConditions"`
	CancellationReason   string              `json:"cancellationReason,omitempty"`
	PaidBy               *PaidBy             `json:"paidBy,omitempty"`
	PartialAllowed       *bool               `json:"partialAllowed,omitempty"`
	BasketAmount         *Amount             `json:"basketAmount,omitempty"`
	ConnectionID         string              `json:"connectionId,omitempty"`
	ConnectionStatus     string              `json:"connectionStatus,omitempty"`
	CreatedByAccountID   string              `json:"createdByAccountId"`
	CreatedByAccountName string              `json:"createdByAccountName"`
	PatronCodeID         string              `json:"patronCodeId,omitempty"`

	// Echoes of optional create inputs.
	ExternalRef       string `json:"externalRef,omitempty"`
	InvoiceRef        string `json:"invoiceRef,omitempty"`
	PurchaseOrderRef  string `json:"purchaseOrderRef,omitempty"`
	TerminalID        string `json:"terminalId,omitempty"`
	DeviceID          string `json:"deviceId,omitempty"`
	OperatorID        string `json:"operatorId,omitempty"`
	Barcode           string `json:"barcode,omitempty"`
	BarcodeType       string `json:"barcodeType,omitempty"`
	CollectionID      string `json:"collectionId,omitempty"`
	RedirectCancelURL string `json:"redirectCancelUrl,omitempty"`
	RedirectPaidURL   string `json:"redirectPaidUrl,omitempty"`
	PaymentLinkID     string `json:"paymentLinkId,omitempty"`
	ConditionsEnabled *bool  `json:"conditionsEnabled,omitempty"`
	PatronNotPresent  *bool  `json:"patronNotPresent,omitempty"`
	PreAuth           *bool  `json:"preAuth,omitempty"`

	// What the wire does not show.
	createdBy         string      // CRN of the key that created it
	merchantAccountID string      // the merchant's account: refunds, voids, notifications
	seq               uint64      // creation order
	payments          []prPayment // successful payments, oldest first
	voidActivityID    string      // the activity a void answered, replayed by a repeat void
	// refunds going through the wallet operator and not finished, by
	// externalRef (a void's is the request id); see refundAttempt.
	attempts map[string]*refundAttempt
}

// Payment request statuses (§4.7).
const (
	PRStatusNew       = "new"
	PRStatusPaid      = "paid"
	PRStatusCancelled = "cancelled"
	PRStatusExpired   = "expired"
)

// Payment activity types the mock writes (§4.7).
const (
	ActivityRequest        = "request"
	ActivityPreAuthRequest = "preAuthRequest"
	ActivityPayment        = "payment"
	ActivityRefund         = "refund"
	ActivityCancellation   = "cancellation"
	ActivityExpiry         = "expiry"
)

// CancelledByMerchant is the cancellation reason of a void.
const CancelledByMerchant = "CANCELLED_BY_MERCHANT"

// PaymentOption is an asset type the request can be paid with, and how much.
type PaymentOption struct {
	AssetType           string               `json:"assetType"`
	Amount              Amount               `json:"amount"`
	AcceptedCollections []AcceptedCollection `json:"acceptedCollections,omitempty"`
}

// AcceptedCollection is a token collection a centrapay.token option takes,
// with the line items its tokens may buy.
type AcceptedCollection struct {
	ID        string     `json:"id"`
	LineItems []LineItem `json:"lineItems"`
}

// LineItem is an order line. price and discount are cents; qty and tax are
// decimal numbers kept exactly as sent (e.g. "1", "15.00").
type LineItem struct {
	Name           string          `json:"name"`
	Sku            string          `json:"sku,omitempty"`
	Qty            string          `json:"qty"`
	Price          Amount          `json:"price"`
	Tax            string          `json:"tax,omitempty"`
	Discount       *Amount         `json:"discount,omitempty"`
	ProductID      string          `json:"productId,omitempty"`
	Restricted     bool            `json:"restricted,omitempty"`
	Classification *Classification `json:"classification,omitempty"`
}

// Classification is a line item's product classification (GS1 bricks).
type Classification struct {
	Type  string         `json:"type,omitempty"`
	Code  string         `json:"code,omitempty"`
	Name  string         `json:"name,omitempty"`
	Props map[string]any `json:"props,omitempty"`
}

// MerchantCondition is a payment condition. The mock raises none, so
// merchantConditions is always [].
type MerchantCondition struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// PaidBy sums a request's payments per asset type.
type PaidBy struct {
	AssetTotals []AssetTotal `json:"assetTotals"`
}

// AssetTotal is what one asset type paid. settlementDate is midnight UTC
// after the payment (the mock's estimate) [GAP].
type AssetTotal struct {
	Type           string    `json:"type"`
	Description    string    `json:"description"`
	SettlementDate Timestamp `json:"settlementDate"`
	Total          Monetary  `json:"total"`
}

// PaymentActivity records something that happened to a payment request.
// externalRef and invoiceRef (refunds) and strategy are written beyond the
// model's field list: the refund example carries invoiceRef, the digest
// lists strategy.refunds.
type PaymentActivity struct {
	ID                         string          `json:"id"`
	Type                       string          `json:"type"`
	Value                      Monetary        `json:"value"`
	PaymentRequestID           string          `json:"paymentRequestId"`
	MerchantID                 string          `json:"merchantId"`
	MerchantConfigID           string          `json:"merchantConfigId"`
	MerchantAccountID          string          `json:"merchantAccountId"`
	MerchantName               string          `json:"merchantName"`
	CreatedAt                  Timestamp       `json:"createdAt"`
	CreatedBy                  string          `json:"createdBy,omitempty"`
	PaymentRequestCreatedBy    string          `json:"paymentRequestCreatedBy"`
	ActivityNumber             string          `json:"activityNumber"`
	ShortCode                  string          `json:"shortCode"`
	AssetType                  string          `json:"assetType,omitempty"`
	External                   *bool           `json:"external,omitempty"`
	CancellationReason         string          `json:"cancellationReason,omitempty"`
	IdempotencyKey             string          `json:"idempotencyKey,omitempty"`
	ConfirmationIdempotencyKey string          `json:"confirmationIdempotencyKey,omitempty"`
	PreAuth                    *bool           `json:"preAuth,omitempty"`
	Mode                       string          `json:"mode,omitempty"`
	ExternalPaymentRef         string          `json:"externalPaymentRef,omitempty"`
	ExternalRef                string          `json:"externalRef,omitempty"`
	InvoiceRef                 string          `json:"invoiceRef,omitempty"`
	LineItems                  []LineItem      `json:"lineItems,omitempty"`
	PaidBy                     *PaidBy         `json:"paidBy,omitempty"`
	Strategy                   *RefundStrategy `json:"strategy,omitempty"`

	seq         uint64 // creation order across the store
	fingerprint string // a payment's request content, for idempotent replays
}

// RefundStrategy says which payments a refund returned money to.
type RefundStrategy struct {
	Refunds []RefundPart `json:"refunds"`
}

// RefundPart is the share of a refund returned to one payment. assetId is
// the Centrapay-held asset credited; third-party payments have none.
type RefundPart struct {
	AssetID            string `json:"assetId,omitempty"`
	AssetType          string `json:"assetType"`
	CompletedPaymentID string `json:"completedPaymentId"`
	Amount             Amount `json:"amount"`
}

// prPayment is one successful payment towards a request, kept for refunds.
type prPayment struct {
	activityID     string
	idempotencyKey string
	assetType      string
	assetID        string // Centrapay-held asset paid from, or ""
	payerAccountID string
	authorization  string
	transactionID  string // the provider's transactionId of a walletOperator payment
	amount         Amount
	refunded       Amount
	reserved       Amount // held by refunds that await the wallet operator
	at             time.Time
	centrapayHeld  bool
	external       bool // recorded outside Centrapay: refunds not supported
	walletOperator bool // a type registered through Payap, recorded with transactionId: refunded through the wallet operator
	oneOff         bool // no partial refunds
	declineRefunds bool // refunds are declined (authorization "decline-refunds")
}

// refundable is what a refund may still take from the payment.
func (p *prPayment) refundable() Amount { return p.amount - p.refunded - p.reserved }

// heldAsset is an asset held in a Centrapay account (§4.3): the patron's
// money that pays requests with assetId.
type heldAsset struct {
	ID          string
	AccountID   string
	Type        string // asset type id, e.g. centrapay.nzd.test
	Category    string
	Description string
	Currency    string
	Balance     Amount
	Active      bool
	// SingleUse assets (a voucher) become inactive once they have paid.
	SingleUse bool
}

// patronCode is a scanned patron barcode a request can be created with.
type patronCode struct {
	ID, Barcode, AccountID string
}

// Seeded payment fixtures: fixed, documented, the same on every run.
const (
	// PatronInactiveAssetID is the patron's inactive centrapay.nzd.test
	// asset: paying with it is 403 INACTIVE_ASSET.
	PatronInactiveAssetID = "SbxPatronAsset22222222"
	// PatronVoucherAssetID is the patron's single-use centrapay.nzd.test
	// voucher: it pays once and is then inactive, so refunding or voiding
	// that payment is 403 INACTIVE_ASSET.
	PatronVoucherAssetID = "SbxPatronVoucher111111"
	// PatronCodeBarcode is the patron's patron code: a request created with
	// it as barcode carries PatronCodeID. It is the docs' example barcode
	// with its Luhn check digit corrected: the docs print 9990001234567895,
	// whose check digit fails the Luhn check they describe (it is 0).
	PatronCodeBarcode = "9990001234567890"
	PatronCodeID      = "SbxPatronCode111111111"

	patronSeedBalance          Amount = 100000
	patronInactiveBalance      Amount = 50000
	patronVoucherBalance       Amount = 5000
	patronMonthlySpendQuota    Amount = 80000
	patronSeedAssetType               = "centrapay.nzd.test"
	patronSeedAssetCategory           = "money"
	patronSeedAssetCurrency           = "NZD"
	patronSeedAssetDescription        = "Sandbox Patron NZD (test)"
)

// paymentState is the payments area's state; see MemStore.
type paymentState struct {
	requests     map[string]*PaymentRequest
	byShortCode  map[string]string   // canonical short code → latest request id
	byConnection map[string]string   // connection id → latest request id
	byMerchant   map[string][]string // merchant id → request ids, oldest first

	activities         map[string][]*PaymentActivity // request id → activities, oldest first
	merchantActivities map[string][]*PaymentActivity // merchant id → activities, in creation order
	payKeys            map[string]*PaymentActivity   // request id + "\x00" + idempotencyKey → payment
	refundRefs         map[string]*PaymentActivity   // request id + "\x00" + externalRef → refund

	assets      map[string]*heldAsset
	quotas      map[string]Amount // account id → monthly spend limit per asset type
	spend       map[string]Amount // account|assetType|yyyy-mm → spend this month
	patronCodes map[string]patronCode

	seq uint64
}

func newPaymentState() paymentState {
	return paymentState{
		requests:           map[string]*PaymentRequest{},
		byShortCode:        map[string]string{},
		byConnection:       map[string]string{},
		byMerchant:         map[string][]string{},
		activities:         map[string][]*PaymentActivity{},
		merchantActivities: map[string][]*PaymentActivity{},
		payKeys:            map[string]*PaymentActivity{},
		refundRefs:         map[string]*PaymentActivity{},
		assets:             map[string]*heldAsset{},
		quotas:             map[string]Amount{},
		spend:              map[string]Amount{},
		patronCodes:        map[string]patronCode{},
	}
}

// seedPayments gives the patron (PatronAccountID) its Centrapay-held
// centrapay.nzd.test assets: PatronAssetID (100000 cents, active),
// PatronInactiveAssetID (inactive) and PatronVoucherAssetID (single use);
// a monthly spend quota of 80000 cents per asset type (QUOTA_EXCEEDED); and
// the patron code PatronCodeBarcode.
func (s *MemStore) seedPayments(cfg Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range []heldAsset{
		{ID: PatronAssetID, Balance: patronSeedBalance, Active: true, Description: patronSeedAssetDescription},
		{ID: PatronInactiveAssetID, Balance: patronInactiveBalance, Description: "Sandbox Patron NZD (inactive)"},
		{ID: PatronVoucherAssetID, Balance: patronVoucherBalance, Active: true, SingleUse: true, Description: "Sandbox Patron voucher (single use)"},
	} {
		a.AccountID, a.Type, a.Category, a.Currency = PatronAccountID, patronSeedAssetType, patronSeedAssetCategory, patronSeedAssetCurrency
		s.payments.assets[a.ID] = &a
	}
	s.payments.quotas[PatronAccountID] = patronMonthlySpendQuota
	s.payments.patronCodes[PatronCodeBarcode] = patronCode{ID: PatronCodeID, Barcode: PatronCodeBarcode, AccountID: PatronAccountID}
	return nil
}

// ---------------------------------------------------------------------------
// Store operations shared by the endpoints. The Locked ones need s.mu held.

// paymentRequestLocked returns the request, expired first if its time has
// come (lazy expiry).
func (s *MemStore) paymentRequestLocked(id string, now time.Time) (*PaymentRequest, bool) {
	pr, ok := s.payments.requests[id]
	if ok {
		s.expireLocked(pr, now)
		// connectionStatus follows the connection: a request made before the
		// wallet authorized it shows authorized once it has.
		if pr.ConnectionID != "" {
			if cn, found := s.connectionLocked(pr.ConnectionID); found {
				pr.ConnectionStatus = cn.Status
			}
		}
	}
	return pr, ok
}

// expireLocked makes a new request past expiresAt expired, once, with an
// expiry activity dated expiresAt.
func (s *MemStore) expireLocked(pr *PaymentRequest, now time.Time) {
	at := pr.ExpiresAt.Time()
	if pr.Status != PRStatusNew || now.Before(at) {
		return
	}
	pr.Status = PRStatusExpired
	pr.UpdatedAt = ts(at)
	s.addActivityLocked(pr, &PaymentActivity{Type: ActivityExpiry, Value: pr.Value}, at)
}

// expireMerchantLocked applies lazy expiry to every request of a merchant.
func (s *MemStore) expireMerchantLocked(merchantID string, now time.Time) {
	for _, id := range s.payments.byMerchant[merchantID] {
		s.expireLocked(s.payments.requests[id], now)
	}
}

// addActivityLocked numbers an activity, fills in what it copies from its
// request, and stores it.
func (s *MemStore) addActivityLocked(pr *PaymentRequest, a *PaymentActivity, at time.Time) *PaymentActivity {
	s.payments.seq++
	n := len(s.payments.activities[pr.ID]) + 1
	if a.ID == "" { // a refund through the wallet operator chose its id first
		a.ID = s.ids.id("")
	}
	a.PaymentRequestID = pr.ID
	a.MerchantID = pr.MerchantID
	a.MerchantConfigID = pr.ConfigID
	a.MerchantAccountID = pr.merchantAccountID
	a.MerchantName = pr.MerchantName
	a.CreatedAt = ts(at)
	a.PaymentRequestCreatedBy = pr.createdBy
	a.ActivityNumber = strconv.Itoa(n)
	a.ShortCode = pr.ShortCode + "-" + fmt.Sprintf("%03d", n)
	if pr.PreAuth != nil && *pr.PreAuth {
		a.PreAuth = prBool(true)
	}
	a.seq = s.payments.seq
	s.payments.activities[pr.ID] = append(s.payments.activities[pr.ID], a)
	s.payments.merchantActivities[pr.MerchantID] = append(s.payments.merchantActivities[pr.MerchantID], a)
	return a
}

// activityLocked finds an activity of a request by id.
func (s *MemStore) activityLocked(prID, id string) (*PaymentActivity, bool) {
	for _, a := range s.payments.activities[prID] {
		if a.ID == id {
			return a, true
		}
	}
	return nil, false
}

// latestPaymentRequestForConnection is the newest request created with the
// connection, with lazy expiry applied by paymentRequestView.
func (s *MemStore) latestPaymentRequestForConnection(connectionID string) (PaymentRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.payments.byConnection[connectionID]
	if !ok {
		return PaymentRequest{}, false
	}
	return *s.payments.requests[id], true
}

// paymentRequestView is the JSON form of a request, as GET
// /api/payment-requests/{id} answers it. It re-reads the request so that
// lazy expiry applies to callers that got it earlier.
func (c *centrapay) paymentRequestView(pr PaymentRequest) any {
	if fresh, ok := c.store.paymentRequest(pr.ID, c.clock.Now()); ok {
		return fresh
	}
	return pr
}

// paymentRequest returns a copy of a request after lazy expiry.
func (s *MemStore) paymentRequest(id string, now time.Time) (PaymentRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.paymentRequestLocked(id, now)
	if !ok {
		return PaymentRequest{}, false
	}
	return *pr, true
}

// paymentActivities lists a request's activities newest first.
func (s *MemStore) paymentActivities(id string, now time.Time) ([]PaymentActivity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.paymentRequestLocked(id, now); !ok {
		return nil, false
	}
	return newestFirst(s.payments.activities[id]), true
}

// newestFirst copies activities ordered by createdAt, then creation order,
// newest first. (An expiry activity is dated expiresAt although it is
// written later, when the expiry is noticed.)
func newestFirst(list []*PaymentActivity) []PaymentActivity {
	out := make([]PaymentActivity, 0, len(list))
	for _, a := range list {
		out = append(out, *a)
	}
	slices.SortStableFunc(out, func(a, b PaymentActivity) int { return compareActivities(b, a) })
	return out
}

// compareActivities orders by createdAt, then creation order.
func compareActivities(a, b PaymentActivity) int {
	if c := a.CreatedAt.Time().Compare(b.CreatedAt.Time()); c != 0 {
		return c
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

// spendKey is the quota usage key of an account, asset type and month.
func spendKey(accountID, assetType string, at time.Time) string {
	return accountID + "|" + assetType + "|" + at.UTC().Format("2006-01")
}

func prBool(b bool) *bool { return &b }
