package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// maxPaymentBody caps the body of /pay, /refund and /cancel.
const maxPaymentBody = 64 << 10

// maxIDLength caps transaction, asset and merchant ids: anything longer is a
// mistake, not an id.
const maxIDLength = 256

// payRequest is the body of POST /pay: the Transaction Attempt fields the
// caller sends (§2.7). Unknown fields, status and type included, are ignored.
type payRequest struct {
	Currency             string          `json:"currency"`
	Amount               string          `json:"amount"`
	Authorization        string          `json:"authorization"`
	MerchantName         string          `json:"merchantName"`
	MerchantID           string          `json:"merchantId"`
	MerchantCategoryCode string          `json:"merchantCategoryCode"`
	MerchantLocation     json.RawMessage `json:"merchantLocation"`
	PaymentRequestID     string          `json:"paymentRequestId"`
	TransactionID        string          `json:"transactionId"`
}

// handlePay is POST /pay: the user's access token with assets:pay spends
// from one of the user's assets. Business outcomes are 200 attempts (failed
// with INSUFFICIENT_ASSET_VALUE or ASSET_REDEMPTION_DENIED); only a request
// that cannot be read is a 4xx. A PayOverride on the request's context
// (WithPayOverride) forces the outcome once every check has passed.
func (p *provider) handlePay(w http.ResponseWriter, r *http.Request) {
	info, ok := p.authenticateBearer(w, r, ScopePay)
	if !ok {
		return
	}
	body, ok := p.readPaymentBody(w, r)
	if !ok {
		return
	}
	var req payRequest
	if err := decodeBody(body, &req); err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	amount, err := req.validate()
	if err != nil {
		p.writeOAuthError(w, errInvalidRequest("%s", err))
		return
	}
	loc := req.MerchantLocation
	if isNull(loc) {
		loc = nil
	}
	override, ok := payOverrideFrom(r.Context())
	if ok {
		if err := override.Validate(); err != nil {
			// The sandbox set a bad fault, not the caller: say so plainly.
			p.log.Error("pay override", "err", err)
			noStore(w)
			httpx.WriteJSON(w, http.StatusInternalServerError, errorBody{Error: "server_error",
				Description: "the sandbox's payResult fault is invalid: " + err.Error()})
			return
		}
	}
	in := PayInput{
		UserID: info.UserID,
		Attempt: Attempt{
			Currency:             req.Currency,
			Amount:               req.Amount,
			Authorization:        req.Authorization,
			MerchantName:         req.MerchantName,
			MerchantID:           req.MerchantID,
			MerchantCategoryCode: req.MerchantCategoryCode,
			MerchantLocation:     loc,
			PaymentRequestID:     req.PaymentRequestID,
			TransactionID:        req.TransactionID,
		},
		Amount:       amount,
		RefundWindow: p.cfg.RefundWindow,
	}
	if ok {
		in.Override = &override
	}
	out, err := p.store.Pay(in, p.now())
	if err != nil {
		p.writeStoreError(w, err)
		return
	}
	p.log.Info("pay", "transactionId", req.TransactionID, "user", info.UserID, "asset", req.Authorization, "amount", req.Amount)
	writeAttempt(w, out)
}

// validate checks the required fields and returns the amount in minor units.
func (req *payRequest) validate() (int64, error) {
	if err := required(map[string]string{
		"currency": req.Currency, "amount": req.Amount, "authorization": req.Authorization,
		"merchantName": req.MerchantName, "merchantId": req.MerchantID, "transactionId": req.TransactionID,
	}); err != nil {
		return 0, err
	}
	if err := checkIDs(map[string]string{"transactionId": req.TransactionID, "authorization": req.Authorization, "merchantId": req.MerchantID}); err != nil {
		return 0, err
	}
	if len(req.MerchantLocation) > 0 && !isNull(req.MerchantLocation) && req.MerchantLocation[0] != '{' {
		return 0, errors.New("merchantLocation must be a Location object, e.g. {\"street\":\"…\",\"city\":\"…\",\"country\":\"NZ\"}")
	}
	return parseAmount(req.Amount)
}

// required names every empty field at once.
func required(fields map[string]string) error {
	var missing []string
	for name, v := range fields {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("missing required field(s): %s", strings.Join(missing, ", "))
}

func checkIDs(fields map[string]string) error {
	var long []string
	for name, v := range fields {
		if len(v) > maxIDLength {
			long = append(long, name)
		}
	}
	if len(long) == 0 {
		return nil
	}
	sort.Strings(long)
	return fmt.Errorf("%s longer than %d characters", strings.Join(long, ", "), maxIDLength)
}

// parseAmount reads an amount in minor units: a string of ASCII digits with
// no sign, no decimal point and no leading zero, greater than zero.
func parseAmount(s string) (int64, error) {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("amount %q must be a whole number of minor units as a string of digits, e.g. \"500\" for 5.00", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("amount %q must not have leading zeros", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	if n <= 0 {
		return 0, errors.New("amount must be greater than zero")
	}
	return n, nil
}

// readPaymentBody reads at most maxPaymentBody bytes; a larger body is 413.
func (p *provider) readPaymentBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxPaymentBody+1))
	if err != nil {
		p.writeOAuthError(w, errInvalidRequest("the request body could not be read"))
		return nil, false
	}
	if len(b) > maxPaymentBody {
		p.writeOAuthError(w, &oauthError{Code: "invalid_request", Status: http.StatusRequestEntityTooLarge,
			Description: fmt.Sprintf("the request body is larger than %d KiB", maxPaymentBody>>10)})
		return nil, false
	}
	return b, true
}

// decodeBody decodes a JSON object into v, tolerating unknown fields, and
// says which field has the wrong type.
func decodeBody(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the request body is empty; send the attempt as a JSON object")
	}
	err := json.Unmarshal(b, v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Errorf("%s must be a JSON %s", typeErr.Field, typeErr.Type.Kind())
	case errors.As(err, &typeErr):
		return errors.New("the request body must be a JSON object")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("the request body is not valid JSON (at byte %d)", syntaxErr.Offset)
	}
	return errors.New("the request body is not valid JSON")
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// writeAttempt sends a Transaction Attempt's bytes as they were stored.
func writeAttempt(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeStoreError maps a store refusal on a payment endpoint to its answer.
func (p *provider) writeStoreError(w http.ResponseWriter, err error) {
	var se *stateError
	switch {
	case errors.Is(err, ErrNotFound):
		writeNotFound(w, err.Error())
	case errors.As(err, &se):
		p.writeOAuthError(w, &oauthError{Code: "invalid_request", Description: se.msg, Status: http.StatusConflict})
	default:
		p.log.Error("payment store", "err", err)
		noStore(w)
		httpx.WriteJSON(w, http.StatusInternalServerError, errorBody{Error: "server_error", Description: "internal error"})
	}
}
