package mockcentrapay

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreatePaymentRequestErrors(t *testing.T) {
	const path = "/api/payment-requests"
	body := func(b any) func(*prEnv) (string, string, any) {
		return func(*prEnv) (string, string, any) { return path, MerchantTerminalKey, b }
	}
	item := func(name, price string, kv ...any) map[string]any {
		m := map[string]any{"name": name, "qty": "1", "price": price}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	// otherAccountConnection: a connection the Payap account made for its own merchant.
	otherAccountConnection := func(e *prEnv) string {
		m := prObject(e.t, e.do(http.MethodPost, "/api/merchants", PayapOwnerKey, map[string]any{
			"accountId": PayapAccountID, "name": "Payap Shop", "country": "NZ", "test": true,
		}))
		return prObject(e.t, e.do(http.MethodPost, "/api/connections", PayapOwnerKey, map[string]any{"merchantId": m["id"]}))["id"].(string)
	}
	// otherMerchantConnection: a connection of a second merchant of the sandbox account.
	otherMerchantConnection := func(e *prEnv) string {
		m := prObject(e.t, e.do(http.MethodPost, "/api/merchants", MerchantOwnerKey, map[string]any{
			"accountId": SandboxMerchantAccountID, "name": "Second Cafe", "country": "NZ", "test": true,
		}))
		return prObject(e.t, e.do(http.MethodPost, "/api/connections", MerchantTerminalKey, map[string]any{"merchantId": m["id"]}))["id"].(string)
	}
	prRunErrors(t, http.MethodPost, []prErrorCase{
		// 401 and 403 before the body.
		{"no API key", func(*prEnv) (string, string, any) { return path, "", prCreateBody() }, 401, "Missing authentication", false},
		// 400 validation.
		{"malformed JSON", body(`{"configId":`), 400, "the body is not valid JSON (it ends too early)", false},
		{"configId missing", body(prCreateBody().with("configId", nil)), 400, "configId is required", false},
		{"configId without mc_ prefix", body(prCreateBody().with("configId", "5ee168e8597be5002af7b454")), 400, "configId must start with mc_", false},
		{"configId not a string", body(prCreateBody().with("configId", 5)), 400, "configId must be a string", false},
		{"value missing", body(prCreateBody().with("value", nil)), 400, "value is required", false},
		{"value.amount missing", body(prCreateBody().with("value", map[string]any{"currency": "NZD"})), 400, "value.amount is required", false},
		{"value.amount a fraction", body(prCreateBody().with("value", prMoney("10.5"))), 400, `value.amount must be a whole number of cents written as a string of digits, such as "1000"`, false},
		{"value.amount zero", body(prCreateBody().with("value", prMoney("0"))), 400, "value.amount must be more than 0 and less than 100000000", false},
		{"value.amount too large", body(prCreateBody().with("value", prMoney("100000000"))), 400, "value.amount must be more than 0 and less than 100000000", false},
		{"value.currency missing", body(prCreateBody().with("value", map[string]any{"amount": "1000"})), 400, "value.currency is required", false},
		{"value.currency not ISO 4217", body(prCreateBody().with("value", map[string]any{"amount": "1000", "currency": "nzd"})), 400, "value.currency must be an ISO 4217 currency code such as NZD", false},
		{"expirySeconds a fraction", body(prCreateBody().with("expirySeconds", 1.5)), 400, "expirySeconds must be a whole number of seconds from 1 to 31536000, such as 120", false},
		{"expirySeconds zero", body(prCreateBody().with("expirySeconds", "0")), 400, "expirySeconds must be a whole number of seconds from 1 to 31536000, such as 120", false},
		{"lineItems not an array", body(prCreateBody().with("lineItems", "x")), 400, "lineItems must be an array of line items", false},
		{"line item without name", body(prCreateBody().with("lineItems", []any{map[string]any{"qty": "1", "price": "1000"}})), 400, "lineItems[0].name is required", false},
		{"line item without qty", body(prCreateBody().with("lineItems", []any{map[string]any{"name": "Mug", "price": "1000"}})), 400, "lineItems[0].qty is required", false},
		{"line item without price", body(prCreateBody().with("lineItems", []any{map[string]any{"name": "Mug", "qty": "1"}})), 400, "lineItems[0].price is required", false},
		{"line item tax not a number", body(prCreateBody().with("lineItems", []any{item("Mug", "1000", "tax", "15%")})), 400, `lineItems[0].tax must be a decimal number such as "1" or "15.00"`, false},
		{"line item restricted not a boolean", body(prCreateBody().with("lineItems", []any{item("Mug", "1000", "restricted", "yes")})), 400, "lineItems[0].restricted must be a boolean", false},
		{"invoiceRef too long", body(prCreateBody().with("invoiceRef", strings.Repeat("x", 129))), 400, "invoiceRef must be at most 128 characters", false},
		{"partialAllowed without basketAmount", body(prCreateBody().with("partialAllowed", true)), 400, "basketAmount is required when partialAllowed is true", false},
		{"basketAmount below value", body(prCreateBody().with("partialAllowed", true, "basketAmount", "999")), 400, "basketAmount must be at least value.amount (it is the whole sale, value.amount the part paid through Centrapay)", false},
		{"collectionId without c_ prefix", body(prCreateBody().with("collectionId", "98h1d312")), 400, "collectionId must start with c_", false},
		{"ean13 barcode of 12 digits", body(prCreateBody().with("barcode", "400638133393", "barcodeType", "ean13")), 400, "barcode must be 13 digits when barcodeType is ean13", false},
		// 400 business codes.
		{"LINE_ITEMS_SUM_CHECK_FAILED", body(prCreateBody().with("lineItems", []any{item("Hard Hat", "400"), item("Tool Belt", "500")})), 400, "LINE_ITEMS_SUM_CHECK_FAILED", true},
		{"LINE_ITEMS_SUM_CHECK_FAILED with discounts deducted twice (C9)", body(prCreateBody().with("value", prMoney("9000"), "lineItems", []any{
			item("Hard Hat", "4000", "discount", "400"), item("Tool Belt", "6000", "discount", "600"),
		})), 400, "LINE_ITEMS_SUM_CHECK_FAILED", true},
		{"CHECKSUM_FAILED patron code", body(prCreateBody().with("barcode", prBadCheck(PatronCodeBarcode))), 400, "CHECKSUM_FAILED", true},
		{"CHECKSUM_FAILED ean13", body(prCreateBody().with("barcode", "4006381333932", "barcodeType", "ean13")), 400, "CHECKSUM_FAILED", true},
		// 403.
		{"unknown config", body(prCreateBody().with("configId", "mc_NoSuchConfig1111111111")), 403, "Forbidden", false},
		{"another account's config", func(*prEnv) (string, string, any) { return path, PayapOwnerKey, prCreateBody() }, 403, "Forbidden", false},
		{"REDIRECT_URL_INVALID", body(prCreateBody().with("redirectPaidUrl", "https://evil.example/paid")), 403, "REDIRECT_URL_INVALID", true},
		{"PATRON_CODE_INVALID unknown patron code", body(prCreateBody().with("barcode", prLuhn("999000000000042"))), 403, "PATRON_CODE_INVALID", true},
		{"PATRON_CODE_INVALID centrapay barcode of the wrong form", body(prCreateBody().with("barcode", "12345", "barcodeType", "centrapay")), 403, "PATRON_CODE_INVALID", true},
		{"TOKEN_COLLECTION_NOT_FOUND", body(prCreateBody().with("collectionId", "c_NoSuchCollection")), 403, "TOKEN_COLLECTION_NOT_FOUND", true},
		{"CONNECTION_NOT_FOUND", body(prCreateBody().with("connectionId", "NoSuchConnection111111")), 403, "CONNECTION_NOT_FOUND", true},
		{"CONNECTION_CREATED_BY_MISMATCH", func(e *prEnv) (string, string, any) {
			return path, MerchantTerminalKey, prCreateBody().with("connectionId", otherAccountConnection(e))
		}, 403, "CONNECTION_CREATED_BY_MISMATCH", true},
		{"CONNECTION_MERCHANT_MISMATCH", func(e *prEnv) (string, string, any) {
			return path, MerchantTerminalKey, prCreateBody().with("connectionId", otherMerchantConnection(e))
		}, 403, "CONNECTION_MERCHANT_MISMATCH", true},
		{"NO_AVAILABLE_PAYMENT_OPTIONS for another currency", body(prCreateBody().with("value", map[string]any{"amount": "1000", "currency": "USD"})), 403, "NO_AVAILABLE_PAYMENT_OPTIONS", true},
		{"NO_AVAILABLE_PAYMENT_OPTIONS restricted items, restricted types only", func(e *prEnv) (string, string, any) {
			cfg := e.mustCreateConfig(map[string]any{"type": "cca.coke.test"})
			return path, MerchantTerminalKey, prCreateBody().with("configId", cfg, "lineItems", []any{item("Beer", "1000", "restricted", true)})
		}, 403, "NO_AVAILABLE_PAYMENT_OPTIONS", true},
	})
}

func TestCreatePaymentRequest(t *testing.T) {
	e := prNew(t)
	rec := e.do(http.MethodPost, "/api/payment-requests", MerchantTerminalKey, prCreateBody())
	m := prObject(t, rec)
	got := slices.Sorted(maps.Keys(m))
	want := []string{"configId", "createdAt", "createdByAccountId", "createdByAccountName", "expiresAt", "expirySeconds",
		"id", "liveness", "merchantConditions", "merchantId", "merchantName", "paymentOptions", "remainingAmount",
		"shortCode", "status", "updatedAt", "url", "value"}
	if !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	id := m["id"].(string)
	if !regexp.MustCompile(`^[1-9A-HJ-NP-Za-km-z]{22}$`).MatchString(id) {
		t.Errorf("id %q is not 22 base58 characters", id)
	}
	if sc := m["shortCode"].(string); !regexp.MustCompile(`^CP-[0-9A-Z]{3}-[0-9A-Z]{3}$`).MatchString(sc) {
		t.Errorf("shortCode %q", sc)
	}
	checks := map[string]any{
		"url":                  "https://app.centrapay.com/pay/" + id,
		"configId":             SandboxMerchantConfigID,
		"merchantId":           SandboxMerchantID,
		"merchantName":         "Sandbox Merchant",
		"status":               "new",
		"liveness":             "test",
		"createdAt":            "2026-01-01T09:00:00.000Z",
		"updatedAt":            "2026-01-01T09:00:00.000Z",
		"expiresAt":            "2026-01-01T09:02:00.000Z",
		"expirySeconds":        float64(120),
		"remainingAmount":      "1000",
		"createdByAccountId":   SandboxMerchantAccountID,
		"createdByAccountName": "Sandbox Merchant",
	}
	for k, v := range checks {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	b, _ := json.Marshal(map[string]any{"value": m["value"], "paymentOptions": m["paymentOptions"], "merchantConditions": m["merchantConditions"]})
	if want := `{"merchantConditions":[],"paymentOptions":[{"amount":"1000","assetType":"centrapay.nzd.test"},{"amount":"1000","assetType":"sbx-points.test"}],"value":{"amount":"1000","currency":"NZD"}}`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}

	acts := e.activities(id)
	if len(acts) != 1 || acts[0].Type != ActivityRequest || acts[0].ActivityNumber != "1" ||
		acts[0].ShortCode != m["shortCode"].(string)+"-001" || acts[0].CreatedBy != "crn:SbxMerchantAccount1111:api-key:MerchantTerminal" ||
		acts[0].PaymentRequestCreatedBy != acts[0].CreatedBy || acts[0].MerchantAccountID != SandboxMerchantAccountID ||
		acts[0].MerchantConfigID != SandboxMerchantConfigID || acts[0].Value != (Monetary{Amount: 1000, Currency: "NZD"}) {
		t.Errorf("activities %+v", acts)
	}
}

func TestCreatePaymentRequestEchoesInputs(t *testing.T) {
	e := prNew(t)
	items := []any{
		map[string]any{"name": "Coffee Grounds", "sku": "GH1234", "qty": "1", "price": "4195", "tax": "15.00", "productId": "9415767624201",
			"classification": map[string]any{"type": "GS1", "code": "10000115", "name": "Coffee", "props": map[string]any{"roast": "dark"}}},
		map[string]any{"name": "Centrapay Cafe Mug", "sku": "SB456", "qty": 25, "price": 1995, "tax": "15.00", "discount": "199"},
	}
	in := prBody{
		"configId": SandboxMerchantConfigID, "value": prMoney("6190"), "expirySeconds": "300", "lineItems": items,
		"externalRef": "ext-1", "invoiceRef": "inv-1", "purchaseOrderRef": "po-1", "terminalId": "t-1", "deviceId": "d-1",
		"operatorId": "op-1", "barcode": PatronCodeBarcode, "createdByAccountName": "Till 3",
		"conditionsEnabled": true, "patronNotPresent": false, "partialAllowed": true, "basketAmount": "8991",
		"paymentLinkId": "pl-1", "unknownField": "ignored",
	}
	m := prObject(t, e.do(http.MethodPost, "/api/payment-requests", MerchantTerminalKey, in))
	for k, v := range map[string]any{
		"expirySeconds": float64(300), "expiresAt": "2026-01-01T09:05:00.000Z", "externalRef": "ext-1", "invoiceRef": "inv-1",
		"purchaseOrderRef": "po-1", "terminalId": "t-1", "deviceId": "d-1", "operatorId": "op-1", "barcode": PatronCodeBarcode,
		"patronCodeId": PatronCodeID, "createdByAccountName": "Till 3", "conditionsEnabled": true, "patronNotPresent": false,
		"partialAllowed": true, "basketAmount": "8991", "paymentLinkId": "pl-1", "remainingAmount": "6190",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if _, ok := m["unknownField"]; ok {
		t.Error("an unknown field was echoed")
	}
	b, _ := json.Marshal(m["lineItems"])
	want := `[{"classification":{"code":"10000115","name":"Coffee","props":{"roast":"dark"},"type":"GS1"},"name":"Coffee Grounds","price":"4195","productId":"9415767624201","qty":"1","sku":"GH1234","tax":"15.00"},` +
		`{"discount":"199","name":"Centrapay Cafe Mug","price":"1995","qty":"25","sku":"SB456","tax":"15.00"}]`
	if string(b) != want {
		t.Errorf("lineItems %s\nwant %s", b, want)
	}

	t.Run("line items may sum to value when partialAllowed", func(t *testing.T) {
		e.create(prCreateBody().with("partialAllowed", true, "basketAmount", "2000",
			"lineItems", []any{map[string]any{"name": "Mug", "qty": "1", "price": "1000"}}))
	})
	t.Run("expirySeconds as a JSON integer", func(t *testing.T) {
		if pr := e.create(prCreateBody().with("expirySeconds", 60)); pr.ExpiresAt.Time() != prStart.Add(time.Minute) {
			t.Errorf("expiresAt %v", pr.ExpiresAt.Time())
		}
	})
	t.Run("a valid ean13 barcode", func(t *testing.T) {
		if pr := e.create(prCreateBody().with("barcode", "4006381333931", "barcodeType", "ean13")); pr.Barcode != "4006381333931" || pr.PatronCodeID != "" {
			t.Errorf("barcode %q patronCodeId %q", pr.Barcode, pr.PatronCodeID)
		}
	})
	t.Run("another barcode is echoed unchecked", func(t *testing.T) {
		if pr := e.create(prCreateBody().with("barcode", "TKT-123", "barcodeType", "ticketek")); pr.Barcode != "TKT-123" || pr.BarcodeType != "ticketek" {
			t.Errorf("barcode %q type %q", pr.Barcode, pr.BarcodeType)
		}
	})
}

func TestCreatePaymentRequestOptions(t *testing.T) {
	e := prNew(t)
	cfg := e.mustCreateConfig(
		map[string]any{"type": prNZDTest},
		map[string]any{"type": "cca.coke.test"},
		map[string]any{"type": "centrapay.token.test", "collectionIds": []string{"c_Coffee", "c_Mugs"}},
		map[string]any{"type": "paypal.test", "paypalMerchantAccountId": "pp", "paypalStoreId": "st"}, // USD only
	)
	items := []any{
		map[string]any{"name": "Beer", "qty": "1", "price": "700", "restricted": true},
		map[string]any{"name": "Chips", "qty": "1", "price": "300"},
	}
	pr := e.create(prCreateBody().with("configId", cfg, "lineItems", items))
	b, _ := json.Marshal(pr.PaymentOptions)
	want := `[{"assetType":"centrapay.nzd.test","amount":"1000"},{"assetType":"cca.coke.test","amount":"300"},` +
		`{"assetType":"centrapay.token.test","amount":"1000","acceptedCollections":[{"id":"c_Coffee","lineItems":[{"name":"Chips","qty":"1","price":"300"}]},{"id":"c_Mugs","lineItems":[{"name":"Chips","qty":"1","price":"300"}]}]}]`
	if string(b) != want {
		t.Errorf("paymentOptions %s\nwant %s", b, want)
	}

	t.Run("collectionId narrows the accepted collections", func(t *testing.T) {
		pr := e.create(prCreateBody().with("configId", cfg, "collectionId", "c_Mugs"))
		if got := pr.PaymentOptions[2].AcceptedCollections; len(got) != 1 || got[0].ID != "c_Mugs" || pr.CollectionID != "c_Mugs" {
			t.Errorf("acceptedCollections %+v", got)
		}
	})
	t.Run("a redirect under allowedRedirectUrls", func(t *testing.T) {
		rec := e.do(http.MethodPost, "/api/merchants/"+SandboxMerchantID+"/configs", MerchantOwnerKey, map[string]any{
			"paymentOptions": []any{map[string]any{"type": prNZDTest}}, "allowedRedirectUrls": []string{"https://shop.example/"},
		})
		cfg := prObject(t, rec)["id"].(string)
		pr := e.create(prCreateBody().with("configId", cfg, "redirectPaidUrl", "https://shop.example/paid", "redirectCancelUrl", "https://shop.example/cancel"))
		if pr.RedirectPaidURL != "https://shop.example/paid" || pr.RedirectCancelURL != "https://shop.example/cancel" {
			t.Errorf("redirects %q %q", pr.RedirectPaidURL, pr.RedirectCancelURL)
		}
	})
	t.Run("preAuth makes a preAuthRequest activity", func(t *testing.T) {
		pr := e.create(prCreateBody().with("preAuth", true))
		acts := e.activities(pr.ID)
		if len(acts) != 1 || acts[0].Type != ActivityPreAuthRequest || acts[0].PreAuth == nil || !*acts[0].PreAuth {
			t.Errorf("activities %+v", acts)
		}
	})
}

func TestCreatePaymentRequestWithConnection(t *testing.T) {
	e := prNew(t)
	cn := prObject(t, e.do(http.MethodPost, "/api/connections", MerchantTerminalKey, map[string]any{"merchantId": SandboxMerchantID}))["id"].(string)
	pr := e.create(prCreateBody().with("connectionId", cn))
	if pr.ConnectionID != cn || pr.ConnectionStatus != ConnectionCreated {
		t.Fatalf("connection %q %q", pr.ConnectionID, pr.ConnectionStatus)
	}
	// The wallet authorizes and reads the newest request through the connection.
	prObject(t, e.do(http.MethodPost, "/api/connections/"+cn+"/authorize", PayapOwnerKey, map[string]any{"walletId": PayapWalletID}))
	second := e.create(prCreateBody().with("connectionId", cn, "value", prMoney("2500")))
	if second.ConnectionStatus != ConnectionAuthorized {
		t.Errorf("connectionStatus %q, want authorized", second.ConnectionStatus)
	}
	e.advance(3 * time.Minute) // both expire; the view applies lazy expiry
	got := prDecode[PaymentRequest](t, e.do(http.MethodGet, "/api/connections/"+cn+"/latest-payment-request", PayapOwnerKey, nil))
	if got.ID != second.ID || got.Status != PRStatusExpired {
		t.Fatalf("latest %s (%s), want %s expired", got.ID, got.Status, second.ID)
	}
}

func TestGetPaymentRequest(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	t.Run("any API key reads it", func(t *testing.T) {
		for _, key := range []string{MerchantTerminalKey, PayapOwnerKey, PatronOwnerKey} {
			if got := prDecode[PaymentRequest](t, e.do(http.MethodGet, "/api/payment-requests/"+pr.ID, key, nil)); got.ID != pr.ID {
				t.Errorf("%s read %s", key, got.ID)
			}
		}
	})
	t.Run("unknown is 403 Forbidden (C12)", func(t *testing.T) {
		prWantError(t, e.do(http.MethodGet, "/api/payment-requests/NoSuchRequest111111111", MerchantTerminalKey, nil), 403, "Forbidden", false)
	})
	t.Run("no API key", func(t *testing.T) {
		prWantError(t, e.do(http.MethodGet, "/api/payment-requests/"+pr.ID, "", nil), 401, "Missing authentication", false)
	})
}

func TestPaymentRequestSummary(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody().with("partialAllowed", true, "basketAmount", "1500",
		"lineItems", []any{map[string]any{"name": "Mug", "qty": "1", "price": "1500"}}))
	rec := e.do(http.MethodGet, "/api/payment-requests/"+pr.ID+"/summary", "", nil)
	m := prObject(t, rec)
	got := slices.Sorted(maps.Keys(m))
	want := []string{"basketAmount", "createdAt", "expiresAt", "id", "lineItems", "liveness", "merchantName", "partialAllowed",
		"paymentOptions", "remainingAmount", "status", "url", "value"}
	if !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if m["status"] != "new" || m["url"] != pr.URL || m["basketAmount"] != "1500" || m["remainingAmount"] != "1000" {
		t.Errorf("summary %v", m)
	}
	t.Run("unknown is 403 Forbidden", func(t *testing.T) {
		prWantError(t, e.do(http.MethodGet, "/api/payment-requests/NoSuchRequest111111111/summary", "", nil), 403, "Forbidden", false)
	})
	t.Run("once no longer new, 403 Forbidden", func(t *testing.T) {
		paid := e.paid("500")
		prWantError(t, e.do(http.MethodGet, "/api/payment-requests/"+paid.ID+"/summary", "", nil), 403, "Forbidden", false)
	})
}

func TestPaymentRequestByShortCode(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	code := pr.ShortCode
	compact := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	for _, form := range []string{code, compact} {
		t.Run("good check character "+form, func(t *testing.T) {
			if got := prDecode[PaymentRequest](t, e.do(http.MethodGet, "/api/payment-requests/short-code/"+form, PayapOwnerKey, nil)); got.ID != pr.ID {
				t.Errorf("got %s, want %s", got.ID, pr.ID)
			}
		})
	}
	// A wrong check character: change the last one.
	last := code[len(code)-1]
	i := strings.IndexByte(shortCodeAlphabet, last)
	bad := code[:len(code)-1] + string(shortCodeAlphabet[(i+1)%len(shortCodeAlphabet)])
	for _, tc := range []struct {
		name, code string
		status     int
		message    string
		withReason bool
	}{
		{"bad check character", bad, 400, "CHECKSUM_FAILED", true},
		{"malformed", "CP-C7F", 400, "CHECKSUM_FAILED", true},
		{"unknown but valid", "CP-" + "000-00" + string(luhnCheck("00000")), 403, "Forbidden", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prWantError(t, e.do(http.MethodGet, "/api/payment-requests/short-code/"+tc.code, PayapOwnerKey, nil), tc.status, tc.message, tc.withReason)
		})
	}
}
