package mockcentrapay

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

// acHandler builds a seeded mock Centrapay with cfg changed by mutate.
func acHandler(t *testing.T, mutate func(*Config)) (http.Handler, *clock.Clock) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ThirdPartyAssetTypes = []string{"payap-example"}
	if mutate != nil {
		mutate(&cfg)
	}
	st := NewMemStore(42)
	if err := Seed(st, cfg); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	return New(cfg, Deps{Store: st, Clock: clk, JWKS: http.NotFoundHandler()}), clk
}

func acCall(t testing.TB, h http.Handler, method, path, key string) *httptest.ResponseRecorder {
	t.Helper()
	return cpServe(t, h, method, path, key, nil)
}

func acWantBody(t *testing.T, rec *httptest.ResponseRecorder, want apiError) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body, err)
	}
	wantMap := map[string]any{"statusCode": float64(want.StatusCode), "error": want.Error, "message": want.Message}
	if want.Reason != "" {
		wantMap["reason"] = want.Reason
	}
	if rec.Code != want.StatusCode || len(got) != len(wantMap) {
		t.Fatalf("status %d body %v, want %d %v", rec.Code, got, want.StatusCode, wantMap)
	}
	for k, v := range wantMap {
		if got[k] != v {
			t.Fatalf("body %v, want %v", got, wantMap)
		}
	}
}

func TestAuthenticationAndRoutes(t *testing.T) {
	h, _ := acHandler(t, nil)
	for _, tc := range []struct {
		name, method, path, key string
		want                    apiError
	}{
		{"no key", http.MethodGet, "/api/payment-activities?merchantId=" + SandboxMerchantID, "",
			apiError{StatusCode: 401, Error: "Unauthorized", Message: "Missing authentication"}},
		{"unknown key", http.MethodGet, "/api/payment-activities?merchantId=" + SandboxMerchantID, "nope",
			apiError{StatusCode: 401, Error: "Unauthorized", Message: "Invalid authentication"}},
		{"terminal key where the owner role is needed", http.MethodPost, "/api/merchants", MerchantTerminalKey,
			apiError{StatusCode: 403, Error: "Forbidden", Message: "Forbidden"}},
		{"unknown route", http.MethodGet, "/api/nothing-here", MerchantOwnerKey,
			apiError{StatusCode: 404, Error: "Not Found", Message: "Not Found"}},
		{"wrong method is answered like an unknown route", http.MethodDelete, "/api/payment-requests", MerchantOwnerKey,
			apiError{StatusCode: 404, Error: "Not Found", Message: "Not Found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acWantBody(t, acCall(t, h, tc.method, tc.path, tc.key), tc.want)
		})
	}
	if allow := acCall(t, h, http.MethodDelete, "/api/payment-requests", MerchantOwnerKey).Header().Get("Allow"); allow != "POST" {
		t.Errorf("Allow = %q, want POST", allow)
	}
}

// TestRateLimit: off by default; when set, the request over the limit gets
// 429 RATE_LIMIT_EXCEEDED with Retry-After, per key, until the minute of
// sandbox time is over.
func TestRateLimit(t *testing.T) {
	path := "/api/merchants/" + SandboxMerchantID + "/supported-wallets"
	off, _ := acHandler(t, nil)
	for i := 0; i < 300; i++ {
		if rec := acCall(t, off, http.MethodGet, path, MerchantOwnerKey); rec.Code != http.StatusOK {
			t.Fatalf("request %d without a rate limit: %d", i, rec.Code)
		}
	}

	h, clk := acHandler(t, func(c *Config) { c.RateLimit = 3 })
	for i := 0; i < 3; i++ {
		if rec := acCall(t, h, http.MethodGet, path, MerchantOwnerKey); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the limit: %d", i, rec.Code)
		}
	}
	rec := acCall(t, h, http.MethodGet, path, MerchantOwnerKey)
	acWantBody(t, rec, apiError{StatusCode: 429, Error: "Too Many Requests", Message: "RATE_LIMIT_EXCEEDED",
		Reason: "slow down: at most 3 requests a minute per API key"})
	if got := rec.Header().Get("Retry-After"); got != "60" {
		t.Fatalf("Retry-After = %q, want 60", got)
	}
	if rec := acCall(t, h, http.MethodGet, path, PayapOwnerKey); rec.Code != http.StatusOK {
		t.Fatalf("another key is limited too: %d", rec.Code)
	}
	if err := clk.Advance(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := acCall(t, h, http.MethodGet, path, MerchantOwnerKey).Header().Get("Retry-After"); got != "40" {
		t.Fatalf("Retry-After 20 s later = %q, want 40", got)
	}
	if err := clk.Advance(40 * time.Second); err != nil {
		t.Fatal(err)
	}
	if rec := acCall(t, h, http.MethodGet, path, MerchantOwnerKey); rec.Code != http.StatusOK {
		t.Fatalf("after the minute: %d", rec.Code)
	}
}

func TestFlexNumRefusesNonFiniteNumbers(t *testing.T) {
	for _, in := range []string{`"NaN"`, `"Inf"`, `"-Infinity"`, `"0x1p-2"`, `"abc"`} {
		var f FlexNum
		if err := f.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s accepted as %v", in, float64(f))
		}
	}
	for in, want := range map[string]float64{`-36.8483579`: -36.8483579, `"-36.8483579"`: -36.8483579, `1e2`: 100} {
		var f FlexNum
		if err := f.UnmarshalJSON([]byte(in)); err != nil || float64(f) != want {
			t.Errorf("%s = %v, %v; want %v", in, float64(f), err, want)
		}
	}
}

// TestConnectionStatusFollowsTheConnection (C7): a payment request made
// before the wallet authorized its connection shows the connection's status
// as it is now, not as it was.
func TestConnectionStatusFollowsTheConnection(t *testing.T) {
	h, _ := acHandler(t, nil)
	post := func(path, key, body string) map[string]any {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("X-Api-Key", key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return out
	}
	cn := post("/api/connections", MerchantTerminalKey, `{"merchantId":"`+SandboxMerchantID+`"}`)
	pr := post("/api/payment-requests", MerchantTerminalKey,
		`{"configId":"`+SandboxMerchantConfigID+`","value":{"amount":"100","currency":"NZD"},"connectionId":"`+cn["id"].(string)+`"}`)
	if pr["connectionStatus"] != "created" {
		t.Fatalf("connectionStatus at create = %v, want created", pr["connectionStatus"])
	}
	post("/api/connections/"+cn["id"].(string)+"/authorize", PayapOwnerKey, `{"walletId":"payap"}`)
	rec := acCall(t, h, http.MethodGet, "/api/payment-requests/"+pr["id"].(string), MerchantTerminalKey)
	var got map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if got["connectionStatus"] != "authorized" {
		t.Fatalf("connectionStatus after authorize = %v, want authorized", got["connectionStatus"])
	}
}
