package mockcentrapay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// Merchant is a Centrapay merchant (§4.5): the initiator of payment
// requests, owned by one account.
//
// Documented choices:
//   - onboardingStatus: the docs' create example answers "applied", but a
//     merchant must be "active" to take payments and the sandbox has no
//     onboarding team, so new merchants are "active" at once.
//   - settlementConfig: the sandbox has no bank accounts, so a
//     settlementConfig.bankAccountId can never belong to the account and is
//     answered 403 BANK_ACCOUNT_MISMATCH, as documented.
//   - country must match the account's region (403 ACCOUNT_REGION_MISMATCH);
//     every sandbox account is in region NZ (sandboxAccountRegion).
//   - createdBy, updatedAt and updatedBy are written as the model and the
//     examples have them; type, location and categoryCode only when set.
//   - Checks run in this order: the body (400), accountId is the caller's
//     account (403 Forbidden), ACCOUNT_REGION_MISMATCH,
//     BANK_ACCOUNT_MISMATCH. A location on an e-commerce merchant is a 400
//     (the docs: "forbidden when the provided type is e-commerce").
type Merchant struct {
	ID               string    `json:"id"`
	AccountID        string    `json:"accountId"`
	Name             string    `json:"name"`
	Country          string    `json:"country"`
	Test             bool      `json:"test"`
	Type             string    `json:"type,omitempty"`
	Location         *Location `json:"location,omitempty"`
	CategoryCode     string    `json:"categoryCode,omitempty"`
	OnboardingStatus string    `json:"onboardingStatus"`
	CreatedAt        Timestamp `json:"createdAt"`
	CreatedBy        string    `json:"createdBy"`
	UpdatedAt        Timestamp `json:"updatedAt"`
	UpdatedBy        string    `json:"updatedBy"`
}

// Merchant types and onboarding statuses (§4.5).
const (
	MerchantTypePhysical  = "physical"
	MerchantTypeECommerce = "e-commerce"

	OnboardingApplied      = "applied"
	OnboardingProvisioning = "provisioning"
	OnboardingActive       = "active"
	OnboardingDeactivated  = "deactivated"
	OnboardingOnHold       = "on-hold"
)

// sandboxAccountRegion is the region of every sandbox account: a merchant's
// country must match it (403 ACCOUNT_REGION_MISMATCH). The real service
// keeps a region per account; the sandbox's accounts are all New Zealand
// organisations and people.
const sandboxAccountRegion = "NZ"

// merchantsSeededAt is the createdAt of the seeded merchant, config and
// anything else this area seeds: fixed, so every run is the same.
var merchantsSeededAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// merchantState is the merchants area's state: merchants, merchant configs
// and POS connections; see MemStore.
type merchantState struct {
	merchants   map[string]Merchant
	configs     map[string]MerchantConfig
	configOrder map[string][]string // config ids per merchant, oldest first
	connections map[string]Connection
}

func newMerchantState() merchantState {
	return merchantState{
		merchants:   map[string]Merchant{},
		configs:     map[string]MerchantConfig{},
		configOrder: map[string][]string{},
		connections: map[string]Connection{},
	}
}

// seedMerchants adds the sandbox's test merchant (SandboxMerchantID, owned
// by SandboxMerchantAccountID) and its config SandboxMerchantConfigID, which
// accepts centrapay.nzd.test and the .test id of every third-party asset type
// in cfg, each with externalMerchantId "sandbox-merchant-001" (the merchantId
// a provider sees in the Transaction Attempt).
func (s *MemStore) seedMerchants(cfg Config) error {
	by := CRN(SandboxMerchantAccountID, "api-key", "MerchantOwner")
	at := ts(merchantsSeededAt)
	lat, lng := FlexNum(-36.8484), FlexNum(174.7633)
	m := Merchant{
		ID:        SandboxMerchantID,
		AccountID: SandboxMerchantAccountID,
		Name:      "Sandbox Merchant",
		Country:   "NZ",
		Test:      true,
		Type:      MerchantTypePhysical,
		Location: &Location{
			Street: "1 Queen Street", City: "Auckland", Country: "NZ",
			Suburb: "Auckland Central", PostCode: "1010", Lat: &lat, Lng: &lng,
		},
		CategoryCode:     "5812",
		OnboardingStatus: OnboardingActive,
		CreatedAt:        at, CreatedBy: by, UpdatedAt: at, UpdatedBy: by,
	}
	options := []PaymentOptionConfig{{Type: "centrapay.nzd.test"}}
	for _, name := range cfg.ThirdPartyAssetTypes {
		options = append(options, PaymentOptionConfig{Type: name + ".test", ExternalMerchantID: "sandbox-merchant-001"})
	}
	mc := MerchantConfig{
		ID: SandboxMerchantConfigID, MerchantID: SandboxMerchantID, PaymentOptions: options,
		CreatedAt: at, CreatedBy: by, UpdatedAt: at, UpdatedBy: by,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.merchants.merchants[m.ID]; dup {
		return fmt.Errorf("seed: merchant %s already exists (Seed fills an empty store)", m.ID)
	}
	s.merchants.merchants[m.ID] = m
	s.putMerchantConfigLocked(mc)
	return nil
}

// merchant returns a merchant by id.
func (s *MemStore) merchant(id string) (Merchant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.merchantLocked(id)
}

// merchantLocked is merchant for callers that hold s.mu.
func (s *MemStore) merchantLocked(id string) (Merchant, bool) {
	m, ok := s.merchants.merchants[id]
	if ok && m.Location != nil {
		loc := *m.Location
		m.Location = &loc
	}
	return m, ok
}

// merchantExists reports whether a merchant exists.
func (s *MemStore) merchantExists(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.merchants.merchants[id]
	return ok
}

func (s *MemStore) addMerchant(m Merchant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merchants.merchants[m.ID] = m
}

// ---------------------------------------------------------------------------
// Handlers.

// createMerchantRequest is the body of POST /api/merchants. Pointers tell a
// missing field from a zero one.
type createMerchantRequest struct {
	AccountID        *string         `json:"accountId"`
	Name             *string         `json:"name"`
	Country          *string         `json:"country"`
	Test             *bool           `json:"test"`
	Type             *string         `json:"type"`
	Location         json.RawMessage `json:"location"`
	CategoryCode     *string         `json:"categoryCode"`
	SettlementConfig *struct {
		BankAccountID string `json:"bankAccountId"`
	} `json:"settlementConfig"`
}

// handleCreateMerchant is POST /api/merchants (account-owner keys): 400 for
// validation, 403 Forbidden when accountId is not the caller's account, 403
// ACCOUNT_REGION_MISMATCH and BANK_ACCOUNT_MISMATCH as documented.
func (c *centrapay) handleCreateMerchant(w http.ResponseWriter, r *http.Request, p principal) {
	var req createMerchantRequest
	if e := mcReadJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	m, e := req.merchant()
	if e != nil {
		writeError(w, e)
		return
	}
	if m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	if m.Country != sandboxAccountRegion {
		writeError(w, errBusiness(http.StatusForbidden, "ACCOUNT_REGION_MISMATCH",
			"country "+m.Country+" does not match the account's region "+sandboxAccountRegion+" (every sandbox account is in "+sandboxAccountRegion+")"))
		return
	}
	if req.SettlementConfig != nil && req.SettlementConfig.BankAccountID != "" {
		writeError(w, errBusiness(http.StatusForbidden, "BANK_ACCOUNT_MISMATCH",
			"settlementConfig.bankAccountId does not belong to the account (the sandbox holds no bank accounts; leave settlementConfig out)"))
		return
	}
	now := ts(c.clock.Now())
	m.ID = c.store.ids.id("")
	m.OnboardingStatus = OnboardingActive
	m.CreatedAt, m.UpdatedAt = now, now
	m.CreatedBy, m.UpdatedBy = p.crn(), p.crn()
	c.store.addMerchant(m)
	writeJSON(w, m)
}

// merchant validates the request (400s only) and returns the merchant it
// describes, without id or audit fields.
func (req createMerchantRequest) merchant() (Merchant, *apiError) {
	var m Merchant
	for _, f := range []struct {
		name string
		v    *string
	}{{"accountId", req.AccountID}, {"name", req.Name}, {"country", req.Country}} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			return m, errBadRequest(f.name + " is required")
		}
	}
	if req.Test == nil {
		return m, errBadRequest("test is required (true for a test merchant, false for a live one)")
	}
	m.AccountID, m.Name, m.Country, m.Test = *req.AccountID, strings.TrimSpace(*req.Name), *req.Country, *req.Test
	if !isCountryCode(m.Country) {
		return m, errBadRequest("country must be an ISO 3166-1 alpha-2 code such as NZ")
	}
	if req.Type != nil {
		m.Type = *req.Type
		if m.Type != MerchantTypePhysical && m.Type != MerchantTypeECommerce {
			return m, errBadRequest("type must be physical or e-commerce")
		}
	}
	if req.CategoryCode != nil {
		m.CategoryCode = *req.CategoryCode
		if len(m.CategoryCode) != 4 || strings.Trim(m.CategoryCode, "0123456789") != "" {
			return m, errBadRequest("categoryCode must be 4 digits, such as 5812")
		}
	}
	if len(req.Location) > 0 && string(req.Location) != "null" {
		if m.Type == MerchantTypeECommerce {
			return m, errBadRequest("location is forbidden when type is e-commerce")
		}
		var loc Location
		if e := mcDecodeLocation(req.Location, "location", &loc); e != nil {
			return m, e
		}
		if e := validateLocation(loc, "location"); e != nil {
			return m, e
		}
		m.Location = &loc
	}
	return m, nil
}

// mcDecodeLocation decodes a Location, naming lat or lng when one is not a
// number (FlexNum's own error cannot name its field).
func mcDecodeLocation(raw json.RawMessage, field string, loc *Location) *apiError {
	var coords struct {
		Lat json.RawMessage `json:"lat"`
		Lng json.RawMessage `json:"lng"`
	}
	if json.Unmarshal(raw, &coords) == nil {
		for _, c := range []struct {
			name string
			raw  json.RawMessage
		}{{"lat", coords.Lat}, {"lng", coords.Lng}} {
			var f FlexNum
			if len(c.raw) > 0 && string(c.raw) != "null" && f.UnmarshalJSON(c.raw) != nil {
				return errBadRequest(field + "." + c.name + " must be a number")
			}
		}
	}
	return mcDecodeField(raw, field, loc)
}

// validateLocation checks the documented required fields of a Location.
func validateLocation(loc Location, field string) *apiError {
	switch {
	case strings.TrimSpace(loc.Street) == "":
		return errBadRequest(field + ".street is required")
	case strings.TrimSpace(loc.City) == "":
		return errBadRequest(field + ".city is required")
	case loc.Country == "":
		return errBadRequest(field + ".country is required")
	case !isCountryCode(loc.Country):
		return errBadRequest(field + ".country must be an ISO 3166-1 alpha-2 code such as NZ")
	}
	return nil
}

// isCountryCode is the form of an ISO 3166-1 alpha-2 code: two upper-case
// letters.
func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// handleGetMerchant is GET /api/merchants/{merchantId} (Get Merchant in
// the docs; routes.go marks it a sandbox extension): the caller's own
// merchants only, 403 Forbidden otherwise [GAP: the docs name no
// permission].
func (c *centrapay) handleGetMerchant(w http.ResponseWriter, r *http.Request, p principal) {
	m, ok := c.store.merchant(pathVar(r, "merchantId"))
	if !ok || m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, m)
}

// ---------------------------------------------------------------------------
// Request bodies of this area.

// mcMaxBody caps a request body.
const mcMaxBody = 1 << 20

// mcReadJSON reads one JSON object into v. Unknown fields are ignored (the
// real API ignores them); malformed JSON and wrong types are 400s that name
// the field.
func mcReadJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, mcMaxBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errBadRequest(fmt.Sprintf("the body is larger than %d MiB", mcMaxBody>>20))
		}
		if errors.Is(err, io.EOF) {
			return errBadRequest("the body is empty; send a JSON object")
		}
		return mcJSONError("", err)
	}
	if dec.More() {
		return errBadRequest("send exactly one JSON object")
	}
	return nil
}

// mcDecodeField decodes raw, the value of field, into v.
func mcDecodeField(raw json.RawMessage, field string, v any) *apiError {
	if err := json.Unmarshal(raw, v); err != nil {
		return mcJSONError(field, err)
	}
	return nil
}

// mcJSONError turns a decoding error into a 400 naming the field under
// prefix ("" for the body itself).
func mcJSONError(prefix string, err error) *apiError {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errBadRequest(fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("the body is not valid JSON (it ends too early)")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		switch {
		case prefix != "" && field != "":
			field = prefix + "." + field
		case prefix != "":
			field = prefix
		}
		if field == "" {
			return errBadRequest("the body must be a JSON object")
		}
		return errBadRequest(field + " must be " + jsonKind(typeErr.Type))
	default:
		if prefix == "" {
			return errBadRequest("the body could not be read: " + err.Error())
		}
		return errBadRequest(prefix + " is invalid: " + err.Error())
	}
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another type"
}
