package mockcentrapay

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Reading the payment endpoints' bodies: the typed fields (BigNumber
// amounts, decimals, Monetary, line items) are parsed from raw JSON here so
// that every 400 names the field to fix. The body itself is read by
// mcReadJSON (1 MiB cap, unknown fields ignored).

// maxPRAmount is the exclusive upper bound of a value (§4.7).
const maxPRAmount Amount = 100000000

// maxRefLength is the documented limit of invoiceRef.
const maxRefLength = 128

// present reports whether a raw field was sent with a value.
func prPresent(raw json.RawMessage) bool { return !isJSONNull(raw) }

// prAmount parses a BigNumber of cents: a string of digits or, tolerantly, a
// JSON integer. A leading minus is allowed; callers check the sign.
func prAmount(raw json.RawMessage, field string) (Amount, *apiError) {
	var a Amount
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, errBadRequest(field + ` must be a whole number of cents written as a string of digits, such as "1000"`)
	}
	return a, nil
}

// decimalPattern is a plain decimal number: no exponent, no plus sign.
var decimalPattern = regexp.MustCompile(`^-?[0-9]{1,18}(\.[0-9]{1,9})?$`)

// prDecimal parses a decimal BigNumber (qty, tax) from a string or a JSON
// number and keeps its text.
func prDecimal(raw json.RawMessage, field string) (string, *apiError) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errBadRequest(field + ` must be a decimal number such as "1" or "15.00"`)
		}
	}
	if !decimalPattern.MatchString(s) {
		return "", errBadRequest(field + ` must be a decimal number such as "1" or "15.00"`)
	}
	return s, nil
}

// currencyPattern is an ISO 4217 code.
var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// prMonetary parses a required Monetary whose amount must be positive and
// below 100000000.
func prMonetary(raw json.RawMessage, field string) (Monetary, *apiError) {
	if !prPresent(raw) {
		return Monetary{}, errBadRequest(field + " is required")
	}
	var m struct {
		Amount   json.RawMessage `json:"amount"`
		Currency *string         `json:"currency"`
	}
	if e := mcDecodeField(raw, field, &m); e != nil {
		return Monetary{}, e
	}
	if !prPresent(m.Amount) {
		return Monetary{}, errBadRequest(field + ".amount is required")
	}
	amount, e := prAmount(m.Amount, field+".amount")
	if e != nil {
		return Monetary{}, e
	}
	if amount <= 0 || amount >= maxPRAmount {
		return Monetary{}, errBadRequest(fmt.Sprintf("%s.amount must be more than 0 and less than %d", field, maxPRAmount))
	}
	if m.Currency == nil || *m.Currency == "" {
		return Monetary{}, errBadRequest(field + ".currency is required")
	}
	if !currencyPattern.MatchString(*m.Currency) {
		return Monetary{}, errBadRequest(field + ".currency must be an ISO 4217 currency code such as NZD")
	}
	return Monetary{Amount: amount, Currency: *m.Currency}, nil
}

// lineItemRequest is a line item as sent.
type lineItemRequest struct {
	Name           *string         `json:"name"`
	Sku            *string         `json:"sku"`
	Qty            json.RawMessage `json:"qty"`
	Price          json.RawMessage `json:"price"`
	Tax            json.RawMessage `json:"tax"`
	Discount       json.RawMessage `json:"discount"`
	ProductID      *string         `json:"productId"`
	Restricted     *bool           `json:"restricted"`
	Classification *Classification `json:"classification"`
}

// prLineItems parses an optional array of line items. A missing or null
// array is nil.
func prLineItems(raw json.RawMessage, field string) ([]LineItem, *apiError) {
	if !prPresent(raw) {
		return nil, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return nil, errBadRequest(field + " must be an array of line items")
	}
	items := make([]LineItem, 0, len(raws))
	for i, r := range raws {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !prPresent(r) || strings.TrimSpace(string(r))[0] != '{' {
			return nil, errBadRequest(f + " must be an object")
		}
		var req lineItemRequest
		if e := mcDecodeField(r, f, &req); e != nil {
			return nil, e
		}
		item, e := req.lineItem(f)
		if e != nil {
			return nil, e
		}
		items = append(items, item)
	}
	return items, nil
}

func (req lineItemRequest) lineItem(f string) (LineItem, *apiError) {
	var item LineItem
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		return item, errBadRequest(f + ".name is required")
	}
	item.Name = *req.Name
	if !prPresent(req.Qty) {
		return item, errBadRequest(f + ".qty is required")
	}
	qty, e := prDecimal(req.Qty, f+".qty")
	if e != nil {
		return item, e
	}
	if strings.HasPrefix(qty, "-") || strings.Trim(qty, "0.") == "" {
		return item, errBadRequest(f + ".qty must be more than 0")
	}
	item.Qty = qty
	if !prPresent(req.Price) {
		return item, errBadRequest(f + ".price is required")
	}
	if item.Price, e = prAmount(req.Price, f+".price"); e != nil {
		return item, e
	}
	if prPresent(req.Tax) {
		if item.Tax, e = prDecimal(req.Tax, f+".tax"); e != nil {
			return item, e
		}
	}
	if prPresent(req.Discount) {
		d, e := prAmount(req.Discount, f+".discount")
		if e != nil {
			return item, e
		}
		if d < 0 {
			return item, errBadRequest(f + ".discount must not be negative (put a discount across lines in a line item with a negative price)")
		}
		item.Discount = &d
	}
	if req.Sku != nil {
		item.Sku = *req.Sku
	}
	if req.ProductID != nil {
		item.ProductID = *req.ProductID
	}
	if req.Restricted != nil {
		item.Restricted = *req.Restricted
	}
	item.Classification = req.Classification
	return item, nil
}

// sumPrices adds line item prices (each is below 1e18, and a body of 1 MiB
// holds too few of them to overflow).
func sumPrices(items []LineItem) Amount {
	var sum Amount
	for _, it := range items {
		sum += it.Price
	}
	return sum
}

// str returns a string field's value, "" when absent.
func prStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
