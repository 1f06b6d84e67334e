package mockcentrapay

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

// prStart is the frozen sandbox time the payments area's tests begin at.
var prStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// prThirdParty is the third-party asset type the tests register; the
// seeded config accepts its .test id.
const (
	prThirdParty     = "sbx-points"
	prThirdPartyTest = prThirdParty + ".test"
	prNZDTest        = "centrapay.nzd.test"
	prHookURL        = "https://merchant.example/hooks"
)

// prEnv is a seeded mock Centrapay on a frozen clock whose merchant
// account subscribes to every webhook; notifications are recorded in the
// store (nothing delivers them).
type prEnv struct {
	t     *testing.T
	h     http.Handler
	st    *MemStore
	clock *clock.Clock
	cfg   Config
}

func prNew(t *testing.T) *prEnv {
	t.Helper()
	return prNewWith(t, nil)
}

// prNewWith is prNew with the config and deps changed by change (nil: no
// change) before the handler is built.
func prNewWith(t *testing.T, change func(cfg *Config, deps *Deps)) *prEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ThirdPartyAssetTypes = []string{prThirdParty}
	st := NewMemStore(42)
	if err := Seed(st, cfg); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	clk := clock.NewFrozen(prStart)
	if err := st.SetWebhookSubscription(SandboxMerchantAccountID, prHookURL, webhookEventTypes, prStart); err != nil {
		t.Fatal(err)
	}
	hooks := NewWebhooks(st, clk, nil, nil, cfg.WebhookRetries, nil)
	deps := Deps{Store: st, Clock: clk, JWKS: http.NotFoundHandler(), Webhooks: hooks}
	if change != nil {
		change(&cfg, &deps)
	}
	return &prEnv{t: t, st: st, clock: clk, cfg: cfg, h: New(cfg, deps)}
}

// do sends a request through cpServe.
func (e *prEnv) do(method, path, key string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	return cpServe(e.t, e.h, method, path, key, body)
}

// advance moves the sandbox clock.
func (e *prEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.clock.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

// prObject checks a 200 and decodes the body into an object.
func prObject(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
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

// prDecode checks a 200 and decodes the body into v.
func prDecode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return v
}

// prWantError checks the one error shape: exactly {statusCode, error,
// message}, plus a non-empty reason when withReason (every business code
// carries one).
func prWantError(t *testing.T, rec *httptest.ResponseRecorder, status int, message string, withReason bool) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	want := []string{"error", "message", "statusCode"}
	if withReason {
		want = append(want, "reason")
	}
	got := slices.Sorted(maps.Keys(m))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v (body %s)", got, want, rec.Body)
	}
	if m["statusCode"] != float64(status) || m["error"] != http.StatusText(status) || m["message"] != message {
		t.Fatalf("body %s, want statusCode %d, error %q, message %q", rec.Body, status, http.StatusText(status), message)
	}
	if withReason && strings.TrimSpace(m["reason"].(string)) == "" {
		t.Fatalf("reason is empty: %s", rec.Body)
	}
}

// prBody is a JSON object under construction.
type prBody map[string]any

// with returns a copy with more fields (a nil value deletes the field).
func (b prBody) with(kv ...any) prBody {
	out := maps.Clone(b)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// prMoney is a Monetary in NZD.
func prMoney(amount string) map[string]any {
	return map[string]any{"amount": amount, "currency": "NZD"}
}

// prCreateBody is a valid create body: 1000 cents on the seeded config.
func prCreateBody() prBody {
	return prBody{"configId": SandboxMerchantConfigID, "value": prMoney("1000")}
}

// prPayBody is a valid payment with the patron's seeded asset.
func prPayBody(key string) prBody {
	return prBody{"assetType": prNZDTest, "assetId": PatronAssetID, "idempotencyKey": key}
}

// prThirdPartyPay is a valid third-party payment.
func prThirdPartyPay(key, authorization string) prBody {
	return prBody{"assetType": prThirdPartyTest, "authorization": authorization, "idempotencyKey": key}
}

// create makes a payment request with the merchant terminal key.
func (e *prEnv) create(body prBody) PaymentRequest {
	e.t.Helper()
	return prDecode[PaymentRequest](e.t, e.do(http.MethodPost, "/api/payment-requests", MerchantTerminalKey, body))
}

// pay pays as the patron.
func (e *prEnv) pay(id string, body prBody) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/payment-requests/"+id+"/pay", PatronOwnerKey, body)
}

// paid creates a request of amount cents and pays it in full with the
// patron's asset.
func (e *prEnv) paid(amount string) PaymentRequest {
	e.t.Helper()
	pr := e.create(prCreateBody().with("value", prMoney(amount)))
	prDecode[PaymentActivity](e.t, e.pay(pr.ID, prPayBody("pay-"+pr.ID)))
	return pr
}

// refund refunds as the merchant owner.
func (e *prEnv) refund(id, amount, ref string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/payment-requests/"+id+"/refund", MerchantOwnerKey,
		prBody{"value": prMoney(amount), "externalRef": ref})
}

// void voids as the merchant terminal.
func (e *prEnv) void(id string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/payment-requests/"+id+"/void", MerchantTerminalKey, nil)
}

// get reads a request as the merchant.
func (e *prEnv) get(id string) PaymentRequest {
	e.t.Helper()
	return prDecode[PaymentRequest](e.t, e.do(http.MethodGet, "/api/payment-requests/"+id, MerchantTerminalKey, nil))
}

// activities lists a request's activities.
func (e *prEnv) activities(id string) []PaymentActivity {
	e.t.Helper()
	return prDecode[Page[PaymentActivity]](e.t, e.do(http.MethodGet, "/api/payment-requests/"+id+"/activities", MerchantTerminalKey, nil)).Items
}

// balance is a seeded asset's balance.
func (e *prEnv) balance(id string) Amount {
	e.t.Helper()
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	a, ok := e.st.payments.assets[id]
	if !ok {
		e.t.Fatalf("no asset %s", id)
	}
	return a.Balance
}

// notifications are the merchant account's recorded notifications, oldest
// first, as {type, data} pairs.
func (e *prEnv) notifications() []prNotification {
	e.t.Helper()
	views := e.st.webhookNotifications(SandboxMerchantAccountID)
	out := make([]prNotification, 0, len(views))
	for i := len(views) - 1; i >= 0; i-- {
		var n prNotification
		if err := json.Unmarshal(views[i].Body, &n); err != nil {
			e.t.Fatalf("decode notification %s: %v", views[i].Body, err)
		}
		out = append(out, n)
	}
	return out
}

type prNotification struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Data      PaymentActivity `json:"data"`
	AccountID string          `json:"accountId"`
	Test      bool            `json:"test"`
	CreatedAt string          `json:"createdAt"`
}

// prTypes lists the notification types.
func prTypes(ns []prNotification) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Type)
	}
	return out
}

// prActivityTypes lists activity types in order.
func prActivityTypes(list []PaymentActivity) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.Type)
	}
	return out
}

// mustCreateConfig creates a config of the seeded merchant with the given
// payment options and returns its id.
func (e *prEnv) mustCreateConfig(options ...map[string]any) string {
	e.t.Helper()
	m := prObject(e.t, e.do(http.MethodPost, "/api/merchants/"+SandboxMerchantID+"/configs", MerchantOwnerKey,
		map[string]any{"paymentOptions": options}))
	return m["id"].(string)
}

// prErrorCase is one documented error of an endpoint: setup makes the state
// and returns the request to send.
type prErrorCase struct {
	name       string
	setup      func(e *prEnv) (path, key string, body any)
	status     int
	message    string
	withReason bool
}

// run runs error cases, each on a fresh sandbox, with method.
func prRunErrors(t *testing.T, method string, cases []prErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := prNew(t)
			path, key, body := tc.setup(e)
			prWantError(t, e.do(method, path, key, body), tc.status, tc.message, tc.withReason)
		})
	}
}

// prLuhn completes a patron code body with its Luhn check digit.
func prLuhn(body string) string {
	for d := '0'; d <= '9'; d++ {
		if luhnValid(body + string(d)) {
			return body + string(d)
		}
	}
	panic("unreachable")
}

// prBadCheck changes a code's last digit.
func prBadCheck(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}
