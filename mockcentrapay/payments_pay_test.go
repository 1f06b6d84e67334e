package mockcentrapay

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestPayPaymentRequestErrors(t *testing.T) {
	// newPR makes a 1000 cent request and answers the pay path.
	newPR := func(e *prEnv, mods ...any) string {
		return "/api/payment-requests/" + e.create(prCreateBody().with(mods...)).ID + "/pay"
	}
	patron := func(body prBody, mods ...any) func(*prEnv) (string, string, any) {
		return func(e *prEnv) (string, string, any) { return newPR(e, mods...), PatronOwnerKey, body }
	}
	prRunErrors(t, http.MethodPost, []prErrorCase{
		// 400 validation.
		{"assetType missing", patron(prPayBody("k").with("assetType", nil)), 400, "assetType is required", false},
		{"idempotencyKey missing", patron(prPayBody("k").with("idempotencyKey", nil)), 400, "idempotencyKey is required", false},
		{"none of assetId, transactionId, authorization", patron(prPayBody("k").with("assetId", nil)), 400,
			"send exactly one of assetId (a Centrapay-held asset), transactionId (a payment made outside Centrapay) or authorization (a third-party authorization)", false},
		{"two of them", patron(prPayBody("k").with("authorization", "tok")), 400,
			"send exactly one of assetId (a Centrapay-held asset), transactionId (a payment made outside Centrapay) or authorization (a third-party authorization)", false},
		{"unknown mode", patron(prPayBody("k").with("mode", "split")), 400, "mode must be partial-payment or multi-asset-payment", false},
		{"mode without amount", patron(prPayBody("k").with("mode", ModeMultiAssetPayment)), 400, "amount is required with mode multi-asset-payment", false},
		{"amount not digits", patron(prPayBody("k").with("mode", ModeMultiAssetPayment, "amount", "1e3")), 400,
			`amount must be a whole number of cents written as a string of digits, such as "1000"`, false},
		{"farmlands without externalPaymentRef", patron(prPayBody("k").with("assetType", "farmlands.nzd.test")), 400,
			"externalPaymentRef is required when assetType is farmlands.nzd.test", false},
		{"lineItems with another type than centrapay.token", patron(prPayBody("k").with("lineItems", []any{map[string]any{"name": "Mug", "qty": "1", "price": "1000"}})), 400,
			"lineItems are accepted only when paying with centrapay.token", false},
		{"amount differs from remainingAmount without mode", patron(prPayBody("k").with("amount", "500")), 400,
			"amount must equal remainingAmount (1000) unless mode is partial-payment or multi-asset-payment", false},
		{"partial-payment without partialAllowed", patron(prPayBody("k").with("mode", ModePartialPayment, "amount", "500")), 400,
			"mode partial-payment needs a payment request created with partialAllowed true", false},
		{"amount above remainingAmount", patron(prPayBody("k").with("mode", ModeMultiAssetPayment, "amount", "1001")), 400,
			"amount must not be more than remainingAmount (1000)", false},
		{"authorization for a Centrapay-held type", patron(prPayBody("k").with("assetId", nil, "authorization", "tok")), 400,
			"centrapay.nzd.test is held in Centrapay accounts: pay it with assetId", false},
		{"assetId for a third-party type", patron(prPayBody("k").with("assetType", prThirdPartyTest)), 400,
			"sbx-points.test is not held by Centrapay: pay it with authorization, or with transactionId for a payment made outside Centrapay", false},
		// 401 / 403 Forbidden.
		{"no API key", func(e *prEnv) (string, string, any) { return newPR(e), "", prPayBody("k") }, 401, "Missing authentication", false},
		{"unknown payment request", func(*prEnv) (string, string, any) {
			return "/api/payment-requests/NoSuchRequest111111111/pay", PatronOwnerKey, prPayBody("k")
		}, 403, "Forbidden", false},
		// 403 business codes.
		{"INVALID_ASSET_TYPE not an option", patron(prPayBody("k").with("assetType", "epay.test", "assetId", nil, "authorization", "tok")), 403, "INVALID_ASSET_TYPE", true},
		{"INVALID_ASSET_TYPE other liveness", patron(prPayBody("k").with("assetType", "centrapay.nzd.main")), 403, "INVALID_ASSET_TYPE", true},
		{"REQUEST_EXPIRED", func(e *prEnv) (string, string, any) {
			path := newPR(e)
			e.advance(2 * time.Minute)
			return path, PatronOwnerKey, prPayBody("k")
		}, 403, "REQUEST_EXPIRED", true},
		{"REQUEST_PAID", func(e *prEnv) (string, string, any) {
			return "/api/payment-requests/" + e.paid("1000").ID + "/pay", PatronOwnerKey, prPayBody("another-key")
		}, 403, "REQUEST_PAID", true},
		{"REQUEST_CANCELLED", func(e *prEnv) (string, string, any) {
			pr := e.create(prCreateBody())
			prObject(e.t, e.void(pr.ID))
			return "/api/payment-requests/" + pr.ID + "/pay", PatronOwnerKey, prPayBody("k")
		}, 403, "REQUEST_CANCELLED", true},
		{"INACTIVE_ASSET", patron(prPayBody("k").with("assetId", PatronInactiveAssetID)), 403, "INACTIVE_ASSET", true},
		{"INACTIVE_ASSET spent voucher", func(e *prEnv) (string, string, any) {
			prDecode[PaymentActivity](e.t, e.pay(e.create(prCreateBody()).ID, prPayBody("v1").with("assetId", PatronVoucherAssetID)))
			return newPR(e), PatronOwnerKey, prPayBody("v2").with("assetId", PatronVoucherAssetID)
		}, 403, "INACTIVE_ASSET", true},
		{"INACTIVE_ASSET third party", patron(prThirdPartyPay("k", AuthorizationInactive)), 403, "INACTIVE_ASSET", true},
		{"INVALID_MERCHANT_CONFIG", func(e *prEnv) (string, string, any) {
			path := newPR(e)
			prObject(e.t, e.do(http.MethodPut, "/api/merchants/"+SandboxMerchantID+"/configs/"+SandboxMerchantConfigID, MerchantOwnerKey,
				map[string]any{"paymentOptions": []any{map[string]any{"type": prThirdPartyTest, "externalMerchantId": "m-1"}}}))
			return path, PatronOwnerKey, prPayBody("k")
		}, 403, "INVALID_MERCHANT_CONFIG", true},
		{"QUOTA_EXCEEDED", patron(prPayBody("k"), "value", prMoney("90000")), 403, "QUOTA_EXCEEDED", true},
		{"QUOTA_EXCEEDED over two payments", func(e *prEnv) (string, string, any) {
			e.paid("60000")
			return newPR(e, "value", prMoney("30000")), PatronOwnerKey, prPayBody("k")
		}, 403, "QUOTA_EXCEEDED", true},
		{"INSUFFICIENT_ASSET_VALUE", patron(prPayBody("k"), "value", prMoney("150000")), 403, "INSUFFICIENT_ASSET_VALUE", true},
		{"INSUFFICIENT_ASSET_VALUE third party", patron(prThirdPartyPay("k", AuthorizationInsufficient)), 403, "INSUFFICIENT_ASSET_VALUE", true},
		{"ASSET_REDEMPTION_DENIED another account's asset", func(e *prEnv) (string, string, any) {
			return newPR(e), MerchantOwnerKey, prPayBody("k")
		}, 403, "ASSET_REDEMPTION_DENIED", true},
		{"ASSET_REDEMPTION_DENIED unknown asset", patron(prPayBody("k").with("assetId", "NoSuchAsset11111111111")), 403, "ASSET_REDEMPTION_DENIED", true},
		{"ASSET_REDEMPTION_DENIED third party", patron(prThirdPartyPay("k", AuthorizationDenied)), 403, "ASSET_REDEMPTION_DENIED", true},
		{"PAYMENT_DECLINED", patron(prThirdPartyPay("k", AuthorizationDecline)), 403, "PAYMENT_DECLINED", true},
		{"PAYMENT_DECLINED restricted type for restricted line items", func(e *prEnv) (string, string, any) {
			cfg := e.mustCreateConfig(map[string]any{"type": prNZDTest}, map[string]any{"type": "cca.coke.test"})
			pr := e.create(prCreateBody().with("configId", cfg, "lineItems", []any{
				map[string]any{"name": "Beer", "qty": "1", "price": "600", "restricted": true},
				map[string]any{"name": "Coke", "qty": "1", "price": "400"},
			}))
			return "/api/payment-requests/" + pr.ID + "/pay", PatronOwnerKey, prBody{"assetType": "cca.coke.test", "assetId": "SbxCokeToken1111111111", "idempotencyKey": "k"}
		}, 403, "PAYMENT_DECLINED", true},
		{"PAYMENT_UNCONFIRMED", patron(prThirdPartyPay("k", AuthorizationUnconfirmed)), 403, "PAYMENT_UNCONFIRMED", true},
		{"IDEMPOTENT_OPERATION_FAILED", func(e *prEnv) (string, string, any) {
			path := newPR(e)
			prObject(e.t, e.do(http.MethodPost, path, PatronOwnerKey, prPayBody("k").with("mode", ModeMultiAssetPayment, "amount", "100")))
			return path, PatronOwnerKey, prPayBody("k").with("mode", ModeMultiAssetPayment, "amount", "200")
		}, 403, "IDEMPOTENT_OPERATION_FAILED", true},
	})
}

func TestPayInFull(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	if got := e.get(pr.ID); got.Status != PRStatusNew || got.RemainingAmount != 1000 {
		t.Fatalf("before paying: %s %d", got.Status, got.RemainingAmount)
	}
	rec := e.pay(pr.ID, prPayBody("b62-2b1f"))
	m := prObject(t, rec)
	act := prDecode[PaymentActivity](t, rec)
	if act.Type != ActivityPayment || act.Value != (Monetary{Amount: 1000, Currency: "NZD"}) || act.AssetType != prNZDTest ||
		act.IdempotencyKey != "b62-2b1f" || act.ActivityNumber != "2" || act.ShortCode != pr.ShortCode+"-002" ||
		act.CreatedBy != "crn:SbxPatronAccount111111:api-key:PatronOwner" || act.PaymentRequestCreatedBy != "crn:SbxMerchantAccount1111:api-key:MerchantTerminal" ||
		act.External == nil || *act.External || act.PaidBy == nil {
		t.Fatalf("payment activity %s", rec.Body)
	}
	if m["external"] != false {
		t.Errorf("external = %v, want false", m["external"])
	}
	b, _ := json.Marshal(m["paidBy"])
	if want := `{"assetTotals":[{"description":"Centrapay NZD wallet","settlementDate":"2026-01-02T00:00:00.000Z","total":{"amount":"1000","currency":"NZD"},"type":"centrapay.nzd.test"}]}`; string(b) != want {
		t.Errorf("paidBy %s\nwant %s", b, want)
	}

	got := e.get(pr.ID)
	if got.Status != PRStatusPaid || got.RemainingAmount != 0 || got.PaidBy == nil || got.UpdatedAt != ts(prStart) {
		t.Errorf("after paying: %+v", got)
	}
	if b := e.balance(PatronAssetID); b != patronSeedBalance-1000 {
		t.Errorf("balance %d, want %d", b, patronSeedBalance-1000)
	}
	acts := e.activities(pr.ID)
	if !slices.Equal(prActivityTypes(acts), []string{ActivityPayment, ActivityRequest}) || acts[0].ID != act.ID {
		t.Errorf("activities %v", prActivityTypes(acts))
	}
	ns := e.notifications()
	if len(ns) != 1 || ns[0].Type != WebhookEventPaid || ns[0].AccountID != SandboxMerchantAccountID || !ns[0].Test || ns[0].Data.ID != act.ID || ns[0].Data.PaidBy == nil {
		t.Fatalf("notifications %+v", ns)
	}

	t.Run("a repeat with the same key and content answers the stored payment (C10: the same key)", func(t *testing.T) {
		again := prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("b62-2b1f")))
		if again.ID != act.ID || again.IdempotencyKey != "b62-2b1f" {
			t.Errorf("replay %+v", again)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance-1000 {
			t.Errorf("balance %d after the replay", b)
		}
		if len(e.notifications()) != 1 || len(e.activities(pr.ID)) != 2 {
			t.Error("the replay sent a notification or wrote an activity")
		}
	})
	t.Run("the same key with other content", func(t *testing.T) {
		prWantError(t, e.pay(pr.ID, prPayBody("b62-2b1f").with("amount", "1000")), 403, "IDEMPOTENT_OPERATION_FAILED", true)
	})
}

func TestPartialPayments(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody().with("configId", e.externalConfig(), "partialAllowed", true, "basketAmount", "1500"))
	first := prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("p1").with("mode", ModePartialPayment, "amount", "300")))
	if first.Value.Amount != 300 || first.Mode != ModePartialPayment || first.PaidBy != nil {
		t.Fatalf("first %+v", first)
	}
	got := e.get(pr.ID)
	if got.Status != PRStatusNew || got.RemainingAmount != 700 || got.PaidBy.AssetTotals[0].Total.Amount != 300 {
		t.Fatalf("after 300: %s remaining %d paidBy %+v", got.Status, got.RemainingAmount, got.PaidBy)
	}
	if len(e.notifications()) != 0 {
		t.Fatal("a partial payment sent payment-request:paid")
	}
	// The POS records the rest as paid outside Centrapay.
	rest := prDecode[PaymentActivity](t, e.do(http.MethodPost, "/api/payment-requests/"+pr.ID+"/pay", MerchantTerminalKey,
		prBody{"assetType": "external.test", "transactionId": "eftpos-991", "idempotencyKey": "p2", "mode": ModeMultiAssetPayment, "amount": "700"}))
	if rest.External == nil || !*rest.External || rest.PaidBy == nil || len(rest.PaidBy.AssetTotals) != 2 {
		t.Fatalf("rest %+v", rest)
	}
	got = e.get(pr.ID)
	if got.Status != PRStatusPaid || got.RemainingAmount != 0 {
		t.Fatalf("after the rest: %s %d", got.Status, got.RemainingAmount)
	}
	ns := e.notifications()
	if len(ns) != 1 || ns[0].Data.ID != rest.ID {
		t.Fatalf("notifications %+v", ns)
	}
	if b := e.balance(PatronAssetID); b != patronSeedBalance-300 {
		t.Errorf("balance %d", b)
	}
	t.Run("a payment without mode pays what remains", func(t *testing.T) {
		pr := e.create(prCreateBody())
		prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("m1").with("mode", ModeMultiAssetPayment, "amount", "250")))
		last := prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("m2", "tok-1")))
		if last.Value.Amount != 750 || e.get(pr.ID).Status != PRStatusPaid {
			t.Errorf("last %+v", last)
		}
	})
}

func TestPayThirdParty(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	act := prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("tp-1", "points-account-42")))
	if act.AssetType != prThirdPartyTest || act.External == nil || *act.External {
		t.Fatalf("activity %+v", act)
	}
	got := e.get(pr.ID)
	if got.Status != PRStatusPaid || got.PaidBy.AssetTotals[0].Description != "sbx-points (registered through Payap)" {
		t.Errorf("request %+v", got)
	}
	if e.balance(PatronAssetID) != patronSeedBalance {
		t.Error("a third-party payment moved Centrapay money")
	}
}

func TestPaymentRequestExpiry(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	e.advance(119 * time.Second)
	if got := e.get(pr.ID); got.Status != PRStatusNew {
		t.Fatalf("status %s one second before expiry", got.Status)
	}
	e.advance(time.Second)
	got := e.get(pr.ID)
	if got.Status != PRStatusExpired || got.UpdatedAt != pr.ExpiresAt {
		t.Fatalf("status %s updatedAt %v", got.Status, got.UpdatedAt.Time())
	}
	e.advance(time.Hour)
	e.get(pr.ID)
	acts := e.activities(pr.ID)
	if !slices.Equal(prActivityTypes(acts), []string{ActivityExpiry, ActivityRequest}) {
		t.Fatalf("activities %v", prActivityTypes(acts))
	}
	if acts[0].CreatedAt != pr.ExpiresAt || acts[0].CreatedBy != "" || acts[0].ActivityNumber != "2" {
		t.Errorf("expiry activity %+v", acts[0])
	}
	t.Run("a write notices the expiry too", func(t *testing.T) {
		pr := e.create(prCreateBody())
		e.advance(3 * time.Minute)
		prWantError(t, e.pay(pr.ID, prPayBody("late")), 403, "REQUEST_EXPIRED", true)
		if acts := e.activities(pr.ID); len(acts) != 2 || acts[0].Type != ActivityExpiry {
			t.Errorf("activities %v", prActivityTypes(acts))
		}
	})
}
