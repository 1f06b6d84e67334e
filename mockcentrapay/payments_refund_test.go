package mockcentrapay

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// prRefundPath is the refund path of a request.
func prRefundPath(id string) string { return "/api/payment-requests/" + id + "/refund" }

// prRefundBody is a valid refund.
func prRefundBody(amount, ref string) prBody {
	return prBody{"value": prMoney(amount), "externalRef": ref}
}

// externalConfig makes a config taking centrapay.nzd.test, external.test
// (cash or EFTPOS a POS records) and quartz.nzd.test, a type neither held
// by Centrapay nor registered through Payap.
func (e *prEnv) externalConfig() string {
	e.t.Helper()
	return e.mustCreateConfig(map[string]any{"type": prNZDTest}, map[string]any{"type": "external.test"},
		map[string]any{"type": "quartz.nzd.test", "externalMerchantId": "q-1"})
}

// oneOffConfig makes a config taking the one-off open-banking type, which
// refunds whole payments only.
func (e *prEnv) oneOffConfig() string {
	e.t.Helper()
	return e.mustCreateConfig(map[string]any{"type": "quartz-one-off.nzd.test", "externalMerchantId": "bnz-1"})
}

func TestRefundPaymentRequestErrors(t *testing.T) {
	// paidWith makes a 1000 cent request of config, paid with body.
	paidWith := func(e *prEnv, config string, pay prBody) string {
		pr := e.create(prCreateBody().with("configId", config))
		prDecode[PaymentActivity](e.t, e.pay(pr.ID, pay))
		return pr.ID
	}
	owner := func(body any) func(*prEnv) (string, string, any) {
		return func(e *prEnv) (string, string, any) { return prRefundPath(e.paid("1000").ID), MerchantOwnerKey, body }
	}
	item := func(price string) map[string]any { return map[string]any{"name": "Mug", "qty": "1", "price": price} }
	prRunErrors(t, http.MethodPost, []prErrorCase{
		// 400 validation.
		{"value missing", owner(prBody{"externalRef": "r1"}), 400, "value is required", false},
		{"value.amount zero", owner(prRefundBody("0", "r1")), 400, "value.amount must be more than 0 and less than 100000000", false},
		{"externalRef missing", owner(prBody{"value": prMoney("100")}), 400, "externalRef is required (a reference of your own, unique per refund)", false},
		{"invoiceRef too long", owner(prRefundBody("100", "r1").with("invoiceRef", strings.Repeat("i", 129))), 400, "invoiceRef must be at most 128 characters", false},
		{"merchantConfigId without mc_", owner(prRefundBody("100", "r1").with("merchantConfigId", "5ee168e8")), 400, "merchantConfigId must start with mc_", false},
		{"another currency", owner(prBody{"value": map[string]any{"amount": "100", "currency": "AUD"}, "externalRef": "r1"}), 400, "value.currency must be NZD, the payment request's currency", false},
		{"LINE_ITEMS_SUM_CHECK_FAILED", owner(prRefundBody("100", "r1").with("lineItems", []any{item("60"), item("30")})), 400, "LINE_ITEMS_SUM_CHECK_FAILED", true},
		{"pre-auth without confirmationIdempotencyKey", func(e *prEnv) (string, string, any) {
			pr := e.create(prCreateBody().with("preAuth", true))
			prDecode[PaymentActivity](e.t, e.pay(pr.ID, prPayBody("confirm-1")))
			return prRefundPath(pr.ID), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 400, "confirmationIdempotencyKey is required to refund a pre-auth payment request: send the idempotencyKey of the confirmation", false},
		// 401 / 403 Forbidden.
		{"no API key", func(e *prEnv) (string, string, any) {
			return prRefundPath(e.paid("1000").ID), "", prRefundBody("100", "r1")
		}, 401, "Missing authentication", false},
		{"unknown payment request", func(*prEnv) (string, string, any) {
			return prRefundPath("NoSuchRequest111111111"), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "Forbidden", false},
		{"another account's payment request", func(e *prEnv) (string, string, any) {
			return prRefundPath(e.paid("1000").ID), PatronOwnerKey, prRefundBody("100", "r1")
		}, 403, "Forbidden", false},
		{"another account's merchantConfigId", func(e *prEnv) (string, string, any) {
			return prRefundPath(e.paid("1000").ID), MerchantOwnerKey, prRefundBody("100", "r1").with("merchantConfigId", "mc_NoSuchConfig1111111111")
		}, 403, "Forbidden", false},
		// 403 business codes.
		{"NOT_PAID", func(e *prEnv) (string, string, any) {
			return prRefundPath(e.create(prCreateBody()).ID), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "NOT_PAID", true},
		{"NOT_PAID partly paid", func(e *prEnv) (string, string, any) {
			pr := e.create(prCreateBody())
			prDecode[PaymentActivity](e.t, e.pay(pr.ID, prPayBody("k").with("mode", ModeMultiAssetPayment, "amount", "100")))
			return prRefundPath(pr.ID), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "NOT_PAID", true},
		{"ALREADY_REFUNDED", func(e *prEnv) (string, string, any) {
			id := e.paid("1000").ID
			prObject(e.t, e.refund(id, "1000", "r1"))
			return prRefundPath(id), MerchantOwnerKey, prRefundBody("1", "r2")
		}, 403, "ALREADY_REFUNDED", true},
		{"INVALID_AMOUNT", owner(prRefundBody("1001", "r1")), 403, "INVALID_AMOUNT", true},
		{"REPEAT_REFERENCE", func(e *prEnv) (string, string, any) {
			id := e.paid("1000").ID
			prObject(e.t, e.refund(id, "100", "r1"))
			return prRefundPath(id), MerchantOwnerKey, prRefundBody("200", "r1")
		}, 403, "REPEAT_REFERENCE", true},
		{"PARTIAL_REFUNDS_NOT_ALLOWED", func(e *prEnv) (string, string, any) {
			return prRefundPath(paidWith(e, e.oneOffConfig(), prThirdPartyPay("k", "bnz-ok").with("assetType", "quartz-one-off.nzd.test"))),
				MerchantOwnerKey, prRefundBody("400", "r1")
		}, 403, "PARTIAL_REFUNDS_NOT_ALLOWED", true},
		{"INACTIVE_ASSET", func(e *prEnv) (string, string, any) {
			return prRefundPath(paidWith(e, SandboxMerchantConfigID, prPayBody("k").with("assetId", PatronVoucherAssetID))),
				MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "INACTIVE_ASSET", true},
		{"REFUND_NOT_SUPPORTED external.test", func(e *prEnv) (string, string, any) {
			return prRefundPath(paidWith(e, e.externalConfig(), prBody{"assetType": "external.test", "transactionId": "cash-1", "idempotencyKey": "k"})),
				MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "REFUND_NOT_SUPPORTED", true},
		{"REFUND_NOT_SUPPORTED another type paid with transactionId", func(e *prEnv) (string, string, any) {
			return prRefundPath(paidWith(e, e.externalConfig(), prBody{"assetType": "quartz.nzd.test", "transactionId": "bnz-1", "idempotencyKey": "k"})),
				MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "REFUND_NOT_SUPPORTED", true},
		{"REFUND_WINDOW_EXCEEDED", func(e *prEnv) (string, string, any) {
			id := e.paid("1000").ID
			e.advance(e.cfg.RefundWindow + time.Millisecond)
			return prRefundPath(id), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "REFUND_WINDOW_EXCEEDED", true},
		{"PRE_AUTH_PENDING", func(e *prEnv) (string, string, any) {
			return prRefundPath(e.create(prCreateBody().with("preAuth", true)).ID), MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "PRE_AUTH_PENDING", true},
		{"CONFIRMATION_NOT_FOUND not a pre-auth", owner(prRefundBody("100", "r1").with("confirmationIdempotencyKey", "confirm-1")), 403, "CONFIRMATION_NOT_FOUND", true},
		{"CONFIRMATION_NOT_FOUND unknown confirmation", func(e *prEnv) (string, string, any) {
			pr := e.create(prCreateBody().with("preAuth", true))
			prDecode[PaymentActivity](e.t, e.pay(pr.ID, prPayBody("confirm-1")))
			return prRefundPath(pr.ID), MerchantOwnerKey, prRefundBody("100", "r1").with("confirmationIdempotencyKey", "confirm-2")
		}, 403, "CONFIRMATION_NOT_FOUND", true},
		{"REFUND_DECLINED", func(e *prEnv) (string, string, any) {
			return prRefundPath(paidWith(e, SandboxMerchantConfigID, prThirdPartyPay("k", AuthorizationDeclineRefunds))),
				MerchantOwnerKey, prRefundBody("100", "r1")
		}, 403, "REFUND_DECLINED", true},
	})
}

func TestRefundPartlyTwiceThenAlreadyRefunded(t *testing.T) {
	e := prNew(t)
	pr := e.paid("1000")
	payment := e.activities(pr.ID)[0]
	first := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-a"))
	if first.Type != ActivityRefund || first.Value.Amount != 400 || first.ExternalRef != "ref-a" || first.AssetType != prNZDTest ||
		first.ActivityNumber != "3" || first.CreatedBy != "crn:SbxMerchantAccount1111:api-key:MerchantOwner" ||
		first.Strategy == nil || len(first.Strategy.Refunds) != 1 ||
		first.Strategy.Refunds[0] != (RefundPart{AssetID: PatronAssetID, AssetType: prNZDTest, CompletedPaymentID: payment.ID, Amount: 400}) {
		t.Fatalf("first refund %+v (payment %s)", first, payment.ID)
	}
	if b := e.balance(PatronAssetID); b != patronSeedBalance-600 {
		t.Errorf("balance %d after refunding 400 of 1000", b)
	}
	prWantError(t, e.refund(pr.ID, "601", "ref-b"), 403, "INVALID_AMOUNT", true)
	prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "ref-b"))
	if b := e.balance(PatronAssetID); b != patronSeedBalance {
		t.Errorf("balance %d after refunding all", b)
	}
	prWantError(t, e.refund(pr.ID, "1", "ref-c"), 403, "ALREADY_REFUNDED", true)
	if got := e.get(pr.ID); got.Status != PRStatusPaid {
		t.Errorf("status %s; a refunded request stays paid", got.Status)
	}
	want := []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted, WebhookEventRefundInitiated, WebhookEventRefundCompleted}
	ns := e.notifications()
	if !slices.Equal(prTypes(ns), want) {
		t.Fatalf("notifications %v, want %v", prTypes(ns), want)
	}
	if ns[1].Data.ID != first.ID || ns[2].Data.ID != first.ID || !ns[1].Test {
		t.Errorf("refund notifications %+v", ns[1:3])
	}
	if got := prActivityTypes(e.activities(pr.ID)); !slices.Equal(got, []string{ActivityRefund, ActivityRefund, ActivityPayment, ActivityRequest}) {
		t.Errorf("activities %v", got)
	}
}

func TestRefundRepeatReference(t *testing.T) {
	e := prNew(t)
	pr := e.paid("1000")
	first := prDecode[PaymentActivity](t, e.refund(pr.ID, "300", "e8df06e2"))
	t.Run("same reference, same amount: the stored refund again", func(t *testing.T) {
		again := prDecode[PaymentActivity](t, e.refund(pr.ID, "300", "e8df06e2"))
		if again.ID != first.ID {
			t.Errorf("replay %s, want %s", again.ID, first.ID)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance-700 {
			t.Errorf("balance %d: the replay credited again", b)
		}
		if n := len(e.notifications()); n != 3 {
			t.Errorf("%d notifications; the replay sent more", n)
		}
	})
	t.Run("same reference, another amount", func(t *testing.T) {
		prWantError(t, e.refund(pr.ID, "400", "e8df06e2"), 403, "REPEAT_REFERENCE", true)
	})
	t.Run("a replay still answers once fully refunded", func(t *testing.T) {
		prDecode[PaymentActivity](t, e.refund(pr.ID, "700", "rest"))
		if again := prDecode[PaymentActivity](t, e.refund(pr.ID, "300", "e8df06e2")); again.ID != first.ID {
			t.Errorf("replay %s", again.ID)
		}
	})
}

func TestRefundAcrossPayments(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("nzd").with("mode", ModeMultiAssetPayment, "amount", "600")))
	prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("points", "points-account-1")))
	// Newest first: the 400 of points, then 200 of the NZD payment.
	refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "both"))
	parts := refund.Strategy.Refunds
	if len(parts) != 2 || parts[0].AssetType != prThirdPartyTest || parts[0].Amount != 400 || parts[0].AssetID != "" ||
		parts[1].AssetType != prNZDTest || parts[1].Amount != 200 || parts[1].AssetID != PatronAssetID {
		t.Fatalf("strategy %+v", parts)
	}
	if b := e.balance(PatronAssetID); b != patronSeedBalance-400 {
		t.Errorf("balance %d", b)
	}
	// The third-party share was paid with authorization (the scripted
	// provider): it is refunded at once, without the wallet operator.
	if got := prTypes(e.notifications()); !slices.Equal(got, []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}) {
		t.Errorf("notifications %v", got)
	}
	t.Run("a one-off type refunds whole payments", func(t *testing.T) {
		pr := e.create(prCreateBody().with("configId", e.oneOffConfig()))
		prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("k", "bnz").with("assetType", "quartz-one-off.nzd.test")))
		prDecode[PaymentActivity](t, e.refund(pr.ID, "1000", "whole"))
	})
	t.Run("a pre-auth refunds its confirmation", func(t *testing.T) {
		pr := e.create(prCreateBody().with("preAuth", true))
		prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("confirm-1")))
		r := prDecode[PaymentActivity](t, e.do(http.MethodPost, prRefundPath(pr.ID), MerchantOwnerKey,
			prRefundBody("250", "pa").with("confirmationIdempotencyKey", "confirm-1")))
		if r.ConfirmationIdempotencyKey != "confirm-1" || r.PreAuth == nil || !*r.PreAuth {
			t.Errorf("refund %+v", r)
		}
	})
	t.Run("refunds give the spend quota back", func(t *testing.T) {
		e := prNew(t)
		first := e.paid("70000")
		prDecode[PaymentActivity](t, e.refund(first.ID, "70000", "all"))
		e.paid("70000")
	})
}

func TestVoidPaymentRequestErrors(t *testing.T) {
	path := func(id string) string { return "/api/payment-requests/" + id + "/void" }
	terminal := func(setup func(e *prEnv) string) func(*prEnv) (string, string, any) {
		return func(e *prEnv) (string, string, any) { return path(setup(e)), MerchantTerminalKey, nil }
	}
	paidWith := func(e *prEnv, config string, pay prBody) string {
		pr := e.create(prCreateBody().with("configId", config))
		prDecode[PaymentActivity](e.t, e.pay(pr.ID, pay))
		return pr.ID
	}
	prRunErrors(t, http.MethodPost, []prErrorCase{
		{"no API key", func(e *prEnv) (string, string, any) { return path(e.create(prCreateBody()).ID), "", nil }, 401, "Missing authentication", false},
		{"unknown payment request", terminal(func(*prEnv) string { return "NoSuchRequest111111111" }), 403, "Forbidden", false},
		{"another account's payment request", func(e *prEnv) (string, string, any) {
			return path(e.create(prCreateBody()).ID), PayapOwnerKey, nil
		}, 403, "Forbidden", false},
		{"VOID_WINDOW_EXCEEDED", terminal(func(e *prEnv) string {
			id := e.create(prCreateBody().with("expirySeconds", 2*24*60*60)).ID
			e.advance(e.cfg.VoidWindow + time.Millisecond)
			return id
		}), 403, "VOID_WINDOW_EXCEEDED", true},
		{"VOID_WINDOW_EXCEEDED paid", terminal(func(e *prEnv) string {
			id := e.paid("1000").ID
			e.advance(e.cfg.VoidWindow + time.Millisecond)
			return id
		}), 403, "VOID_WINDOW_EXCEEDED", true},
		{"ALREADY_REFUNDED", terminal(func(e *prEnv) string {
			id := e.paid("1000").ID
			prObject(e.t, e.refund(id, "1000", "all"))
			return id
		}), 403, "ALREADY_REFUNDED", true},
		{"REPEAT_REFERENCE", terminal(func(e *prEnv) string {
			id := e.paid("1000").ID
			prObject(e.t, e.refund(id, "100", id))
			return id
		}), 403, "REPEAT_REFERENCE", true},
		{"INACTIVE_ASSET", terminal(func(e *prEnv) string {
			return paidWith(e, SandboxMerchantConfigID, prPayBody("k").with("assetId", PatronVoucherAssetID))
		}), 403, "INACTIVE_ASSET", true},
		{"REFUND_NOT_SUPPORTED", terminal(func(e *prEnv) string {
			return paidWith(e, e.externalConfig(), prBody{"assetType": "external.test", "transactionId": "cash-1", "idempotencyKey": "k"})
		}), 403, "REFUND_NOT_SUPPORTED", true},
		{"REFUND_DECLINED", terminal(func(e *prEnv) string {
			return paidWith(e, SandboxMerchantConfigID, prThirdPartyPay("k", AuthorizationDeclineRefunds))
		}), 403, "REFUND_DECLINED", true},
		{"REQUEST_EXPIRED", terminal(func(e *prEnv) string {
			id := e.create(prCreateBody()).ID
			e.advance(2 * time.Minute)
			return id
		}), 403, "REQUEST_EXPIRED", true},
		{"PRE_AUTH_ALREADY_CONFIRMED", terminal(func(e *prEnv) string {
			pr := e.create(prCreateBody().with("preAuth", true))
			prDecode[PaymentActivity](e.t, e.pay(pr.ID, prPayBody("confirm-1")))
			return pr.ID
		}), 403, "PRE_AUTH_ALREADY_CONFIRMED", true},
	})
}

func TestVoidUnpaid(t *testing.T) {
	e := prNew(t)
	pr := e.create(prCreateBody())
	e.advance(30 * time.Second)
	act := prDecode[PaymentActivity](t, e.void(pr.ID))
	if act.Type != ActivityCancellation || act.CancellationReason != CancelledByMerchant || act.Value.Amount != 1000 || act.ActivityNumber != "2" {
		t.Fatalf("activity %+v", act)
	}
	got := e.get(pr.ID)
	if got.Status != PRStatusCancelled || got.CancellationReason != CancelledByMerchant || got.UpdatedAt != ts(prStart.Add(30*time.Second)) {
		t.Fatalf("request %s %s", got.Status, got.CancellationReason)
	}
	t.Run("voiding again answers the same activity", func(t *testing.T) {
		e.advance(e.cfg.VoidWindow) // even after the window
		if again := prDecode[PaymentActivity](t, e.void(pr.ID)); again.ID != act.ID {
			t.Errorf("again %s, want %s", again.ID, act.ID)
		}
		if n := len(e.activities(pr.ID)); n != 2 {
			t.Errorf("%d activities", n)
		}
	})
	if n := len(e.notifications()); n != 0 {
		t.Errorf("%d notifications for a cancellation", n)
	}
}

func TestVoidPaid(t *testing.T) {
	e := prNew(t)
	pr := e.paid("1000")
	prDecode[PaymentActivity](t, e.refund(pr.ID, "300", "r1"))
	act := prDecode[PaymentActivity](t, e.void(pr.ID))
	if act.Type != ActivityRefund || act.Value.Amount != 700 || act.ExternalRef != pr.ID || len(act.Strategy.Refunds) != 1 {
		t.Fatalf("void activity %+v", act)
	}
	got := e.get(pr.ID)
	if got.Status != PRStatusCancelled || got.CancellationReason != CancelledByMerchant {
		t.Errorf("request %s %s", got.Status, got.CancellationReason)
	}
	if b := e.balance(PatronAssetID); b != patronSeedBalance {
		t.Errorf("balance %d", b)
	}
	if got := prActivityTypes(e.activities(pr.ID)); !slices.Equal(got, []string{ActivityRefund, ActivityRefund, ActivityPayment, ActivityRequest}) {
		t.Errorf("activities %v", got)
	}
	want := []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted, WebhookEventRefundInitiated, WebhookEventRefundCompleted}
	if got := prTypes(e.notifications()); !slices.Equal(got, want) {
		t.Errorf("notifications %v", got)
	}
	t.Run("voiding again answers the same refund", func(t *testing.T) {
		if again := prDecode[PaymentActivity](t, e.void(pr.ID)); again.ID != act.ID {
			t.Errorf("again %s", again.ID)
		}
		if n := len(e.notifications()); n != 5 {
			t.Errorf("%d notifications", n)
		}
	})
	t.Run("a refund after the void", func(t *testing.T) {
		prWantError(t, e.refund(pr.ID, "1", "late"), 403, "ALREADY_REFUNDED", true)
	})
	t.Run("a partly paid new request is cancelled and refunded", func(t *testing.T) {
		pr := e.create(prCreateBody())
		prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("part").with("mode", ModeMultiAssetPayment, "amount", "250")))
		act := prDecode[PaymentActivity](t, e.void(pr.ID))
		if act.Type != ActivityRefund || act.Value.Amount != 250 {
			t.Fatalf("void %+v", act)
		}
		if got := prActivityTypes(e.activities(pr.ID)); !slices.Equal(got, []string{ActivityRefund, ActivityCancellation, ActivityPayment, ActivityRequest}) {
			t.Errorf("activities %v", got)
		}
		if got := e.get(pr.ID); got.Status != PRStatusCancelled {
			t.Errorf("status %s", got.Status)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance {
			t.Errorf("balance %d", b)
		}
	})
}
