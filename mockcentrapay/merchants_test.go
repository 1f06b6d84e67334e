package mockcentrapay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

// mcStart is the frozen sandbox time the merchants area's tests begin at.
var mcStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// mcThirdParty is the third-party asset type the tests register.
const mcThirdParty = "payap-example"

// mcEnv is a seeded mock Centrapay on a frozen clock.
type mcEnv struct {
	t     *testing.T
	h     http.Handler
	st    *MemStore
	clock *clock.Clock
	cfg   Config
}

func mcNew(t *testing.T) *mcEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ThirdPartyAssetTypes = []string{mcThirdParty}
	st := NewMemStore(42)
	if err := Seed(st, cfg); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	clk := clock.NewFrozen(mcStart)
	return &mcEnv{t: t, st: st, clock: clk, cfg: cfg,
		h: New(cfg, Deps{Store: st, Clock: clk, JWKS: http.NotFoundHandler()})}
}

// do sends a request through cpServe.
func (e *mcEnv) do(method, path, key string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	return cpServe(e.t, e.h, method, path, key, body)
}

// cpServe sends one request to a mock Centrapay handler: body is sent as is
// when it is a string, as JSON otherwise (nil: no body); key "" sends no
// X-Api-Key. The test helpers of every area use it.
func cpServe(t testing.TB, h http.Handler, method, path, key string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mcJSON checks a 200 and decodes the body into an object.
func mcJSON(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return m
}

// mcKeys checks that an object has exactly these keys.
func mcKeys(t *testing.T, m map[string]any, want ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v (body %v)", got, want, m)
	}
}

// mcWantError checks the one error shape: {statusCode, error, message} and,
// when reason is not "", a reason containing it (business codes always
// carry one); no other keys.
func mcWantError(t *testing.T, rec *httptest.ResponseRecorder, status int, message, reason string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	keys := []string{"statusCode", "error", "message"}
	if reason != "" {
		keys = append(keys, "reason")
	}
	mcKeys(t, m, keys...)
	if m["statusCode"] != float64(status) || m["error"] != http.StatusText(status) || m["message"] != message {
		t.Fatalf("body %s, want statusCode %d, error %q, message %q", rec.Body, status, http.StatusText(status), message)
	}
	if reason != "" && !strings.Contains(m["reason"].(string), reason) {
		t.Fatalf("reason %q, want it to contain %q", m["reason"], reason)
	}
}

// mcCreateMerchant creates a merchant of the sandbox merchant account and
// returns its id.
func (e *mcEnv) mcCreateMerchant(test bool) string {
	e.t.Helper()
	m := mcJSON(e.t, e.do(http.MethodPost, "/api/merchants", MerchantOwnerKey, map[string]any{
		"accountId": SandboxMerchantAccountID, "name": "Second Cafe", "country": "NZ", "test": test,
	}))
	return m["id"].(string)
}

// The seeded merchant, exactly as GET answers it.
const mcSeededMerchantJSON = `{"id":"SbxMerchant11111111111","accountId":"SbxMerchantAccount1111","name":"Sandbox Merchant","country":"NZ","test":true,"type":"physical","location":{"street":"1 Queen Street","city":"Auckland","country":"NZ","suburb":"Auckland Central","postCode":"1010","lat":-36.8484,"lng":174.7633},"categoryCode":"5812","onboardingStatus":"active","createdAt":"2025-01-01T00:00:00.000Z","createdBy":"crn:SbxMerchantAccount1111:api-key:MerchantOwner","updatedAt":"2025-01-01T00:00:00.000Z","updatedBy":"crn:SbxMerchantAccount1111:api-key:MerchantOwner"}`

func TestCreateMerchant(t *testing.T) {
	valid := func(mod func(map[string]any)) map[string]any {
		b := map[string]any{"accountId": SandboxMerchantAccountID, "name": "Centrapay Cafe Auckland", "country": "NZ", "test": false}
		if mod != nil {
			mod(b)
		}
		return b
	}
	loc := func() map[string]any {
		return map[string]any{"street": "1 Queen Street", "city": "Auckland", "country": "NZ", "lat": -36.8, "lng": "174.7"}
	}
	for _, tc := range []struct {
		name            string
		key             string
		body            any
		status          int
		message, reason string
	}{
		{"missing accountId", MerchantOwnerKey, valid(func(b map[string]any) { delete(b, "accountId") }), 400, "accountId is required", ""},
		{"blank name", MerchantOwnerKey, valid(func(b map[string]any) { b["name"] = "  " }), 400, "name is required", ""},
		{"missing country", MerchantOwnerKey, valid(func(b map[string]any) { delete(b, "country") }), 400, "country is required", ""},
		{"missing test", MerchantOwnerKey, valid(func(b map[string]any) { delete(b, "test") }), 400, "test is required (true for a test merchant, false for a live one)", ""},
		{"test as a string", MerchantOwnerKey, valid(func(b map[string]any) { b["test"] = "true" }), 400, "test must be a boolean", ""},
		{"name as a number", MerchantOwnerKey, valid(func(b map[string]any) { b["name"] = 7 }), 400, "name must be a string", ""},
		{"lower-case country", MerchantOwnerKey, valid(func(b map[string]any) { b["country"] = "nz" }), 400, "country must be an ISO 3166-1 alpha-2 code such as NZ", ""},
		{"alpha-3 country", MerchantOwnerKey, valid(func(b map[string]any) { b["country"] = "NZL" }), 400, "country must be an ISO 3166-1 alpha-2 code such as NZ", ""},
		{"unknown type", MerchantOwnerKey, valid(func(b map[string]any) { b["type"] = "online" }), 400, "type must be physical or e-commerce", ""},
		{"category code of 3 digits", MerchantOwnerKey, valid(func(b map[string]any) { b["categoryCode"] = "581" }), 400, "categoryCode must be 4 digits, such as 5812", ""},
		{"category code with a letter", MerchantOwnerKey, valid(func(b map[string]any) { b["categoryCode"] = "58a2" }), 400, "categoryCode must be 4 digits, such as 5812", ""},
		{"location without street", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); delete(l, "street"); b["location"] = l }), 400, "location.street is required", ""},
		{"location without city", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); delete(l, "city"); b["location"] = l }), 400, "location.city is required", ""},
		{"location with a bad country", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); l["country"] = "New Zealand"; b["location"] = l }), 400, "location.country must be an ISO 3166-1 alpha-2 code such as NZ", ""},
		{"location street as a number", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); l["street"] = 1; b["location"] = l }), 400, "location.street must be a string", ""},
		{"location lat not a number", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); l["lat"] = "north"; b["location"] = l }), 400, "location.lat must be a number", ""},
		{"location lng an object", MerchantOwnerKey, valid(func(b map[string]any) { l := loc(); l["lng"] = map[string]any{}; b["location"] = l }), 400, "location.lng must be a number", ""},
		{"location not an object", MerchantOwnerKey, valid(func(b map[string]any) { b["location"] = "Auckland" }), 400, "location must be an object", ""},
		{"location on an e-commerce merchant", MerchantOwnerKey, valid(func(b map[string]any) { b["type"] = "e-commerce"; b["location"] = loc() }), 400, "location is forbidden when type is e-commerce", ""},
		{"malformed JSON", MerchantOwnerKey, `{"accountId":`, 400, "the body is not valid JSON (it ends too early)", ""},
		{"syntax error", MerchantOwnerKey, `{"accountId" "x"}`, 400, "the body is not valid JSON (at byte 14)", ""},
		{"empty body", MerchantOwnerKey, "", 400, "the body is empty; send a JSON object", ""},
		{"an array body", MerchantOwnerKey, `[]`, 400, "the body must be a JSON object", ""},
		{"two objects", MerchantOwnerKey, `{} {}`, 400, "send exactly one JSON object", ""},
		{"another account's accountId", MerchantOwnerKey, valid(func(b map[string]any) { b["accountId"] = PayapAccountID }), 403, "Forbidden", ""},
		{"country outside the account's region", MerchantOwnerKey, valid(func(b map[string]any) { b["country"] = "AU" }), 403, "ACCOUNT_REGION_MISMATCH", "region NZ"},
		{"settlement bank account", MerchantOwnerKey, valid(func(b map[string]any) { b["settlementConfig"] = map[string]any{"bankAccountId": "ba_1"} }), 403, "BANK_ACCOUNT_MISMATCH", "settlementConfig.bankAccountId"},
		{"merchant-terminal key", MerchantTerminalKey, valid(nil), 403, "Forbidden", ""},
		{"no key", "", valid(nil), 401, "Missing authentication", ""},
		{"unknown key", "cp-nobody", valid(nil), 401, "Invalid authentication", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			mcWantError(t, e.do(http.MethodPost, "/api/merchants", tc.key, tc.body), tc.status, tc.message, tc.reason)
			e.st.mu.Lock()
			n := len(e.st.merchants.merchants)
			e.st.mu.Unlock()
			if n != 1 {
				t.Fatalf("%d merchants after a refused create, want only the seeded one", n)
			}
		})
	}

	t.Run("minimal body", func(t *testing.T) {
		e := mcNew(t)
		created := e.do(http.MethodPost, "/api/merchants", MerchantOwnerKey, valid(nil))
		m := mcJSON(t, created)
		mcKeys(t, m, "id", "accountId", "name", "country", "test", "onboardingStatus", "createdAt", "createdBy", "updatedAt", "updatedBy")
		id := m["id"].(string)
		if len(id) != 22 || strings.Trim(id, base58) != "" {
			t.Fatalf("id %q, want 22 base58 characters", id)
		}
		want := map[string]any{
			"id": id, "accountId": SandboxMerchantAccountID, "name": "Centrapay Cafe Auckland", "country": "NZ", "test": false,
			"onboardingStatus": "active", "createdAt": "2026-01-01T09:00:00.000Z", "updatedAt": "2026-01-01T09:00:00.000Z",
			"createdBy": "crn:SbxMerchantAccount1111:api-key:MerchantOwner", "updatedBy": "crn:SbxMerchantAccount1111:api-key:MerchantOwner",
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %v, want %v", k, m[k], v)
			}
		}
		if got := e.do(http.MethodGet, "/api/merchants/"+id, MerchantOwnerKey, nil); got.Code != 200 || got.Body.String() != created.Body.String() {
			t.Fatalf("GET after create: %d %s, want the create body %s", got.Code, got.Body, created.Body)
		}
	})

	t.Run("every field, unknown fields ignored", func(t *testing.T) {
		e := mcNew(t)
		m := mcJSON(t, e.do(http.MethodPost, "/api/merchants", MerchantOwnerKey, valid(func(b map[string]any) {
			b["type"], b["location"], b["categoryCode"], b["test"] = "physical", loc(), "5812", true
			b["settlementConfig"] = map[string]any{}
			b["favouriteColour"] = "teal"
		})))
		mcKeys(t, m, "id", "accountId", "name", "country", "test", "type", "location", "categoryCode", "onboardingStatus", "createdAt", "createdBy", "updatedAt", "updatedBy")
		l := m["location"].(map[string]any)
		mcKeys(t, l, "street", "city", "country", "lat", "lng")
		if l["lat"] != -36.8 || l["lng"] != 174.7 || m["type"] != "physical" || m["categoryCode"] != "5812" || m["test"] != true {
			t.Fatalf("got %v", m)
		}
	})

	t.Run("e-commerce without location", func(t *testing.T) {
		e := mcNew(t)
		m := mcJSON(t, e.do(http.MethodPost, "/api/merchants", MerchantOwnerKey, valid(func(b map[string]any) { b["type"] = "e-commerce" })))
		if m["type"] != "e-commerce" {
			t.Fatalf("type %v", m["type"])
		}
	})
}

func TestGetMerchant(t *testing.T) {
	for _, tc := range []struct {
		name, id, key string
		status        int
		message       string
	}{
		{"own merchant, owner key", SandboxMerchantID, MerchantOwnerKey, 200, ""},
		{"own merchant, terminal key", SandboxMerchantID, MerchantTerminalKey, 200, ""},
		{"another account's merchant", SandboxMerchantID, PayapOwnerKey, 403, "Forbidden"},
		{"unknown merchant", "NoSuchMerchant11111111", MerchantOwnerKey, 403, "Forbidden"},
		{"no key", SandboxMerchantID, "", 401, "Missing authentication"},
		{"unknown key", SandboxMerchantID, "cp-nobody", 401, "Invalid authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			rec := e.do(http.MethodGet, "/api/merchants/"+tc.id, tc.key, nil)
			if tc.status != 200 {
				mcWantError(t, rec, tc.status, tc.message, "")
				return
			}
			if rec.Code != 200 || rec.Body.String() != mcSeededMerchantJSON {
				t.Fatalf("%d %s\nwant %s", rec.Code, rec.Body, mcSeededMerchantJSON)
			}
		})
	}
}

func TestMerchantSharedFunctions(t *testing.T) {
	e := mcNew(t)
	if !e.st.merchantExists(SandboxMerchantID) || e.st.merchantExists("nope") {
		t.Fatal("merchantExists")
	}
	m, ok := e.st.merchant(SandboxMerchantID)
	if !ok || m.AccountID != SandboxMerchantAccountID || !m.Test {
		t.Fatalf("merchant: %+v %v", m, ok)
	}
	m.Location.City = "Changed"
	if again, _ := e.st.merchant(SandboxMerchantID); again.Location.City != "Auckland" {
		t.Fatal("merchant returns a copy that aliases the store")
	}
	mc, ok := e.st.merchantConfig(SandboxMerchantConfigID)
	if !ok || mc.MerchantID != SandboxMerchantID {
		t.Fatalf("merchantConfig: %+v %v", mc, ok)
	}
	mc.PaymentOptions[0].Type = "changed"
	e.st.mu.Lock()
	locked, _ := e.st.merchantConfigLocked(SandboxMerchantConfigID)
	lm, _ := e.st.merchantLocked(SandboxMerchantID)
	e.st.mu.Unlock()
	if locked.PaymentOptions[0].Type != "centrapay.nzd.test" || lm.ID != SandboxMerchantID {
		t.Fatal("merchantConfig returns a copy that aliases the store")
	}
	want := []PaymentOptionRef{{Type: "centrapay.nzd.test"}, {Type: mcThirdParty + ".test"}}
	if got := e.st.merchantPaymentOptionTypes(SandboxMerchantID); !slices.Equal(got, want) {
		t.Fatalf("merchantPaymentOptionTypes = %v, want %v", got, want)
	}
	if got := e.st.merchantPaymentOptionTypes("nope"); len(got) != 0 {
		t.Fatalf("unknown merchant: %v", got)
	}
}
