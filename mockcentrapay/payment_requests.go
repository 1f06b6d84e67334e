package mockcentrapay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Creating and reading payment requests: POST /api/payment-requests, GET
// /api/payment-requests/{id}, .../summary and .../short-code/{shortCode}.
//
// Documented choices for create (see also payments.go):
//   - Checks run in this order: the body (400), configId's mc_ prefix (400),
//     LINE_ITEMS_SUM_CHECK_FAILED (400), CHECKSUM_FAILED (400), the config
//     (403 Forbidden when it does not exist or its merchant is not the
//     caller's), REDIRECT_URL_INVALID, PATRON_CODE_INVALID,
//     TOKEN_COLLECTION_NOT_FOUND, CONNECTION_NOT_FOUND,
//     CONNECTION_CREATED_BY_MISMATCH, CONNECTION_MERCHANT_MISMATCH,
//     NO_AVAILABLE_PAYMENT_OPTIONS.
//   - barcode: a patron code (16 digits starting with one of the documented
//     Centrapay prefixes, or any barcode with barcodeType "centrapay") must
//     pass its Luhn check digit (400 CHECKSUM_FAILED) and be a known patron
//     code (403 PATRON_CODE_INVALID; the sandbox knows one, PatronCodeBarcode,
//     and has no patron code endpoints). With barcodeType "ean13" the barcode
//     must be 13 digits with a valid EAN-13 check digit (400
//     CHECKSUM_FAILED). Other barcodes are echoed unchecked.
//   - redirectCancelUrl / redirectPaidUrl must start with one of the
//     config's allowedRedirectUrls (403 REDIRECT_URL_INVALID; a config with
//     none allows no redirect).
//   - collectionId (prefix c_, else 400) must be one of the collectionIds of
//     the config's payment options (403 TOKEN_COLLECTION_NOT_FOUND); the
//     centrapay.token option then accepts that collection only.
//   - connectionId: an unknown connection is 403 CONNECTION_NOT_FOUND; one
//     created by another account 403 CONNECTION_CREATED_BY_MISMATCH; one of
//     another merchant 403 CONNECTION_MERCHANT_MISMATCH. A connection that is
//     created but not yet authorized is accepted (the connect flow guide has
//     the POS void when the wallet never authorized).
//   - paymentOptions: one per config option whose asset type is known, whose
//     liveness is the request's (the merchant's test flag: test merchants
//     make test requests) and which takes the request's currency. Its
//     amount is value.amount; a restricted type (cca.coke) cannot pay for
//     restricted line items, so its amount leaves them out, and it is
//     dropped when nothing is left. No option left: 403
//     NO_AVAILABLE_PAYMENT_OPTIONS. A centrapay.token option lists its
//     collections as acceptedCollections with the unrestricted line items.
//   - expirySeconds: 1 to 31536000 (one year) [GAP: the docs give no bound].
//   - basketAmount is required when partialAllowed is true and may not be
//     below value.amount.
//   - preAuth: true makes a preAuthRequest activity instead of request; the
//     mock has no pre-auth endpoints, and paying a pre-auth request stands
//     for its authorization and confirmation (see payment_refund.go).
type createPaymentRequestBody struct {
	ConfigID             *string         `json:"configId"`
	Value                json.RawMessage `json:"value"`
	ExpirySeconds        json.RawMessage `json:"expirySeconds"`
	LineItems            json.RawMessage `json:"lineItems"`
	ExternalRef          *string         `json:"externalRef"`
	InvoiceRef           *string         `json:"invoiceRef"`
	PurchaseOrderRef     *string         `json:"purchaseOrderRef"`
	TerminalID           *string         `json:"terminalId"`
	DeviceID             *string         `json:"deviceId"`
	OperatorID           *string         `json:"operatorId"`
	Barcode              *string         `json:"barcode"`
	BarcodeType          *string         `json:"barcodeType"`
	CollectionID         *string         `json:"collectionId"`
	RedirectCancelURL    *string         `json:"redirectCancelUrl"`
	RedirectPaidURL      *string         `json:"redirectPaidUrl"`
	CreatedByAccountName *string         `json:"createdByAccountName"`
	ConditionsEnabled    *bool           `json:"conditionsEnabled"`
	PatronNotPresent     *bool           `json:"patronNotPresent"`
	PreAuth              *bool           `json:"preAuth"`
	PartialAllowed       *bool           `json:"partialAllowed"`
	BasketAmount         json.RawMessage `json:"basketAmount"`
	ConnectionID         *string         `json:"connectionId"`
	PaymentLinkID        *string         `json:"paymentLinkId"`
}

// maxExpirySeconds bounds expirySeconds (one year).
const maxExpirySeconds = 365 * 24 * 60 * 60

// prDraft is a validated create body.
type prDraft struct {
	pr           PaymentRequest
	patronCode   bool // barcode is a patron code
	accountName  string
	partial      bool
	collectionID string
}

// handleCreatePaymentRequest is POST /api/payment-requests (merchant keys).
func (c *centrapay) handleCreatePaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	var body createPaymentRequestBody
	if e := mcReadJSON(w, r, &body); e != nil {
		writeError(w, e)
		return
	}
	d, e := c.createDraft(body)
	if e != nil {
		writeError(w, e)
		return
	}
	pr, e := c.store.createPaymentRequest(d, p, c.cfg.AppURL, c.clock.Now())
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, pr)
}

// createDraft validates a create body: every 400 of the endpoint.
func (c *centrapay) createDraft(b createPaymentRequestBody) (prDraft, *apiError) {
	var d prDraft
	if b.ConfigID == nil || strings.TrimSpace(*b.ConfigID) == "" {
		return d, errBadRequest("configId is required")
	}
	if e := checkConfigID(*b.ConfigID); e != nil {
		return d, e
	}
	value, e := prMonetary(b.Value, "value")
	if e != nil {
		return d, e
	}
	expirySeconds := int64(c.cfg.DefaultExpiry / time.Second)
	if prPresent(b.ExpirySeconds) {
		if expirySeconds, e = prExpirySeconds(b.ExpirySeconds); e != nil {
			return d, e
		}
	}
	items, e := prLineItems(b.LineItems, "lineItems")
	if e != nil {
		return d, e
	}
	if ref := prStr(b.InvoiceRef); len(ref) > maxRefLength {
		return d, errBadRequest(fmt.Sprintf("invoiceRef must be at most %d characters", maxRefLength))
	}
	d.partial = b.PartialAllowed != nil && *b.PartialAllowed
	var basket *Amount
	if prPresent(b.BasketAmount) {
		a, e := prAmount(b.BasketAmount, "basketAmount")
		if e != nil {
			return d, e
		}
		switch {
		case a <= 0 || a >= maxPRAmount:
			return d, errBadRequest(fmt.Sprintf("basketAmount must be more than 0 and less than %d", maxPRAmount))
		case a < value.Amount:
			return d, errBadRequest("basketAmount must be at least value.amount (it is the whole sale, value.amount the part paid through Centrapay)")
		}
		basket = &a
	} else if d.partial {
		return d, errBadRequest("basketAmount is required when partialAllowed is true")
	}
	d.collectionID = prStr(b.CollectionID)
	if d.collectionID != "" && (!strings.HasPrefix(d.collectionID, collectionPrefix) || len(d.collectionID) == len(collectionPrefix)) {
		return d, errBadRequest("collectionId must start with " + collectionPrefix)
	}
	if len(items) > 0 {
		sum := sumPrices(items)
		if sum != value.Amount && !(d.partial && basket != nil && sum == *basket) {
			want := fmt.Sprintf("value.amount %d", value.Amount)
			if d.partial && basket != nil {
				want += fmt.Sprintf(" or basketAmount %d", *basket)
			}
			return d, errBusiness(http.StatusBadRequest, "LINE_ITEMS_SUM_CHECK_FAILED",
				fmt.Sprintf("the line item prices sum to %d; they must sum to %s (price is the line total in cents, net of discount)", sum, want))
		}
	}
	patron, e := checkBarcode(prStr(b.Barcode), prStr(b.BarcodeType))
	if e != nil {
		return d, e
	}
	d.patronCode = patron
	d.accountName = prStr(b.CreatedByAccountName)
	d.pr = PaymentRequest{
		ConfigID:          *b.ConfigID,
		Value:             value,
		ExpirySeconds:     expirySeconds,
		LineItems:         items,
		PartialAllowed:    b.PartialAllowed,
		BasketAmount:      basket,
		ConnectionID:      prStr(b.ConnectionID),
		ExternalRef:       prStr(b.ExternalRef),
		InvoiceRef:        prStr(b.InvoiceRef),
		PurchaseOrderRef:  prStr(b.PurchaseOrderRef),
		TerminalID:        prStr(b.TerminalID),
		DeviceID:          prStr(b.DeviceID),
		OperatorID:        prStr(b.OperatorID),
		Barcode:           prStr(b.Barcode),
		BarcodeType:       prStr(b.BarcodeType),
		CollectionID:      d.collectionID,
		RedirectCancelURL: prStr(b.RedirectCancelURL),
		RedirectPaidURL:   prStr(b.RedirectPaidURL),
		PaymentLinkID:     prStr(b.PaymentLinkID),
		ConditionsEnabled: b.ConditionsEnabled,
		PatronNotPresent:  b.PatronNotPresent,
		PreAuth:           b.PreAuth,
	}
	return d, nil
}

// prExpirySeconds reads expirySeconds from a JSON integer or a string of
// digits (C9).
func prExpirySeconds(raw json.RawMessage) (int64, *apiError) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strings.HasPrefix(s, "+") || n < 1 || n > maxExpirySeconds {
		return 0, errBadRequest(fmt.Sprintf("expirySeconds must be a whole number of seconds from 1 to %d, such as 120", maxExpirySeconds))
	}
	return n, nil
}

// patronCodePrefixes are the documented Centrapay prefixes of patron code
// barcodes.
var patronCodePrefixes = []string{
	"121921", "123000", "282828", "293000", "321000", "321123", "636863", "713131",
	"765432", "777000", "839234", "848484", "888444", "929394", "987600", "999000",
}

// checkBarcode applies the check digits: it reports whether the barcode is
// a patron code (to be looked up) or answers 400 CHECKSUM_FAILED.
func checkBarcode(barcode, barcodeType string) (patronCode bool, e *apiError) {
	if barcode == "" {
		return false, nil
	}
	switch strings.ToLower(barcodeType) {
	case "ean13":
		if len(barcode) != 13 || !allDigits(barcode) {
			return false, errBadRequest("barcode must be 13 digits when barcodeType is ean13")
		}
		if !ean13Valid(barcode) {
			return false, errBusiness(http.StatusBadRequest, "CHECKSUM_FAILED", "the EAN-13 check digit of barcode does not match")
		}
		return false, nil
	case "centrapay":
		if len(barcode) != 16 || !allDigits(barcode) {
			return true, nil // not a patron code: PATRON_CODE_INVALID
		}
	case "":
		if len(barcode) != 16 || !allDigits(barcode) || !slices.Contains(patronCodePrefixes, barcode[:6]) {
			return false, nil
		}
	default:
		return false, nil
	}
	if !luhnValid(barcode) {
		return false, errBusiness(http.StatusBadRequest, "CHECKSUM_FAILED", "the Luhn check digit of the patron code barcode does not match")
	}
	return true, nil
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// luhnValid checks a decimal Luhn check digit (the last digit).
func luhnValid(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ean13Valid checks an EAN-13 check digit.
func ean13Valid(s string) bool {
	sum := 0
	for i := 0; i < 12; i++ {
		d := int(s[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[12]-'0')
}

// createPaymentRequest checks a draft against the store and stores the new
// request with its request activity: every 403 of the endpoint.
func (s *MemStore) createPaymentRequest(d prDraft, p principal, appURL string, now time.Time) (PaymentRequest, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := d.pr
	mc, ok := s.merchantConfigLocked(pr.ConfigID)
	if !ok {
		return PaymentRequest{}, errForbidden()
	}
	m, ok := s.merchantLocked(mc.MerchantID)
	if !ok || m.AccountID != p.Account.ID {
		return PaymentRequest{}, errForbidden()
	}
	for _, u := range []struct{ field, url string }{{"redirectCancelUrl", pr.RedirectCancelURL}, {"redirectPaidUrl", pr.RedirectPaidURL}} {
		if u.url != "" && !slices.ContainsFunc(mc.AllowedRedirectURLs, func(allowed string) bool { return strings.HasPrefix(u.url, allowed) }) {
			return PaymentRequest{}, errBusiness(http.StatusForbidden, "REDIRECT_URL_INVALID",
				u.field+" must start with one of the merchant config's allowedRedirectUrls")
		}
	}
	if d.patronCode {
		pc, ok := s.payments.patronCodes[pr.Barcode]
		if !ok {
			return PaymentRequest{}, errBusiness(http.StatusForbidden, "PATRON_CODE_INVALID", "no patron code has this barcode, or it has expired")
		}
		pr.PatronCodeID = pc.ID
	}
	if d.collectionID != "" && !slices.ContainsFunc(mc.PaymentOptions, func(o PaymentOptionConfig) bool { return slices.Contains(o.CollectionIDs, d.collectionID) }) {
		return PaymentRequest{}, errBusiness(http.StatusForbidden, "TOKEN_COLLECTION_NOT_FOUND",
			"collectionId "+d.collectionID+" is not a collection of the merchant config's payment options")
	}
	if pr.ConnectionID != "" {
		cn, ok := s.connectionLocked(pr.ConnectionID)
		switch {
		case !ok:
			return PaymentRequest{}, errBusiness(http.StatusForbidden, "CONNECTION_NOT_FOUND", "no connection has id "+pr.ConnectionID)
		case cn.CreatedByAccountID != p.Account.ID:
			return PaymentRequest{}, errBusiness(http.StatusForbidden, "CONNECTION_CREATED_BY_MISMATCH", "the connection was created by another account")
		case cn.MerchantID != m.ID:
			return PaymentRequest{}, errBusiness(http.StatusForbidden, "CONNECTION_MERCHANT_MISMATCH", "the connection is for another merchant than the merchant config's")
		}
		pr.ConnectionStatus = cn.Status
	}
	pr.Liveness = "main"
	if m.Test {
		pr.Liveness = "test"
	}
	pr.PaymentOptions = s.paymentOptionsLocked(mc, pr, d.collectionID)
	if len(pr.PaymentOptions) == 0 {
		return PaymentRequest{}, errBusiness(http.StatusForbidden, "NO_AVAILABLE_PAYMENT_OPTIONS",
			fmt.Sprintf("no payment option of the merchant config takes %s %s payments for these line items", pr.Liveness, pr.Value.Currency))
	}

	pr.ID = s.ids.id("")
	pr.ShortCode = s.ids.shortCode()
	pr.URL = strings.TrimSuffix(appURL, "/") + "/pay/" + pr.ID
	pr.MerchantID, pr.MerchantName = m.ID, m.Name
	pr.Status = PRStatusNew
	pr.CreatedAt, pr.UpdatedAt = ts(now), ts(now)
	pr.ExpiresAt = ts(now.Add(time.Duration(pr.ExpirySeconds) * time.Second))
	pr.RemainingAmount = pr.Value.Amount
	pr.MerchantConditions = []MerchantCondition{}
	pr.CreatedByAccountID = p.Account.ID
	pr.CreatedByAccountName = p.Account.Name
	if d.accountName != "" {
		pr.CreatedByAccountName = d.accountName
	}
	pr.createdBy = p.crn()
	pr.merchantAccountID = m.AccountID
	s.payments.seq++
	pr.seq = s.payments.seq

	stored := pr
	s.payments.requests[pr.ID] = &stored
	s.payments.byShortCode[pr.ShortCode] = pr.ID
	s.payments.byMerchant[pr.MerchantID] = append(s.payments.byMerchant[pr.MerchantID], pr.ID)
	if pr.ConnectionID != "" {
		s.payments.byConnection[pr.ConnectionID] = pr.ID
	}
	kind := ActivityRequest
	if pr.PreAuth != nil && *pr.PreAuth {
		kind = ActivityPreAuthRequest
	}
	s.addActivityLocked(&stored, &PaymentActivity{Type: kind, Value: pr.Value, CreatedBy: p.crn()}, now)
	return stored, nil
}

// paymentOptionsLocked lists the payment options a request gets from its
// config; see createPaymentRequestBody for the rules.
func (s *MemStore) paymentOptionsLocked(mc MerchantConfig, pr PaymentRequest, collectionID string) []PaymentOption {
	var restricted Amount
	unrestricted := []LineItem{}
	for _, it := range pr.LineItems {
		if it.Restricted {
			restricted += it.Price
		} else {
			unrestricted = append(unrestricted, it)
		}
	}
	out := []PaymentOption{}
	for _, o := range mc.PaymentOptions {
		info, ok := s.assetType(o.Type)
		if !ok || !livenessMatches(info, o.Type, pr.Liveness) || !slices.Contains(info.Currencies, pr.Value.Currency) {
			continue
		}
		if slices.ContainsFunc(out, func(x PaymentOption) bool { return x.AssetType == o.Type }) {
			continue
		}
		opt := PaymentOption{AssetType: o.Type, Amount: pr.Value.Amount}
		if info.Restricted {
			opt.Amount = min(pr.Value.Amount, pr.Value.Amount-restricted)
			if opt.Amount <= 0 {
				continue
			}
		}
		if info.Name == "centrapay.token" {
			for _, cid := range o.CollectionIDs {
				if collectionID == "" || cid == collectionID {
					opt.AcceptedCollections = append(opt.AcceptedCollections, AcceptedCollection{ID: cid, LineItems: slices.Clone(unrestricted)})
				}
			}
		}
		out = append(out, opt)
	}
	return out
}

// livenessMatches: a type id's liveness (its suffix; for a bare name, the
// only liveness the type has) is the request's. A bare name of a type with
// both livenesses matches either.
func livenessMatches(info AssetTypeInfo, id, liveness string) bool {
	l := info.Liveness
	if l == "" {
		l = assetTypeSuffixLiveness(id)
	}
	if l == "" {
		switch {
		case info.Live && !info.Test:
			l = "main"
		case info.Test && !info.Live:
			l = "test"
		default:
			return true
		}
	}
	return l == liveness
}

// handleGetPaymentRequest is GET /api/payment-requests/{paymentRequestId}:
// any API key (payment-requests:read is global).
func (c *centrapay) handleGetPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	pr, ok := c.store.paymentRequest(pathVar(r, "paymentRequestId"), c.clock.Now())
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, pr)
}

// paymentRequestSummary is the reduced, public view of a new request (the
// fields of the docs' summary example).
type paymentRequestSummary struct {
	ID              string          `json:"id"`
	URL             string          `json:"url"`
	MerchantName    string          `json:"merchantName"`
	Value           Monetary        `json:"value"`
	CreatedAt       Timestamp       `json:"createdAt"`
	ExpiresAt       Timestamp       `json:"expiresAt"`
	PaymentOptions  []PaymentOption `json:"paymentOptions"`
	PartialAllowed  *bool           `json:"partialAllowed,omitempty"`
	BasketAmount    *Amount         `json:"basketAmount,omitempty"`
	RemainingAmount Amount          `json:"remainingAmount"`
	Status          string          `json:"status"`
	LineItems       []LineItem      `json:"lineItems,omitempty"`
	Liveness        string          `json:"liveness"`
}

// handlePaymentRequestSummary is GET
// /api/payment-requests/{paymentRequestId}/summary: no API key (C29), and
// only while the request is new (403 Forbidden otherwise).
func (c *centrapay) handlePaymentRequestSummary(w http.ResponseWriter, r *http.Request) {
	pr, ok := c.store.paymentRequest(pathVar(r, "paymentRequestId"), c.clock.Now())
	if !ok || pr.Status != PRStatusNew {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, paymentRequestSummary{
		ID: pr.ID, URL: pr.URL, MerchantName: pr.MerchantName, Value: pr.Value,
		CreatedAt: pr.CreatedAt, ExpiresAt: pr.ExpiresAt, PaymentOptions: pr.PaymentOptions,
		PartialAllowed: pr.PartialAllowed, BasketAmount: pr.BasketAmount,
		RemainingAmount: pr.RemainingAmount, Status: pr.Status, LineItems: pr.LineItems, Liveness: pr.Liveness,
	})
}

// handlePaymentRequestByShortCode is GET
// /api/payment-requests/short-code/{shortCode}: the latest request with the
// code. A malformed code or a wrong check character is 400 CHECKSUM_FAILED;
// an unknown code 403 Forbidden.
func (c *centrapay) handlePaymentRequestByShortCode(w http.ResponseWriter, r *http.Request, p principal) {
	code, wellFormed, ok := normalizeShortCode(pathVar(r, "shortCode"))
	if !wellFormed || !ok {
		writeError(w, errBusiness(http.StatusBadRequest, "CHECKSUM_FAILED",
			"a short code is CP followed by six letters or digits, the last a check character, such as CP-C7F-ZS5"))
		return
	}
	pr, found := c.store.paymentRequestByShortCode(code, c.clock.Now())
	if !found {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, pr)
}

// paymentRequestByShortCode returns the latest request with a canonical
// short code.
func (s *MemStore) paymentRequestByShortCode(code string, now time.Time) (PaymentRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.payments.byShortCode[code]
	if !ok {
		return PaymentRequest{}, false
	}
	pr, _ := s.paymentRequestLocked(id, now)
	return *pr, true
}
