package mockprovider

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func refundBody(txn, payment, amount string) []byte {
	return mustJSON(map[string]any{"currency": "NZD", "amount": amount, "paymentTransactionId": payment, "transactionId": txn})
}

func cancelBody(txn, reason string) []byte {
	return mustJSON(map[string]any{"transactionId": txn, "failureReason": reason})
}

func TestRefundPartialThenOverRefund(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("p-1", "56789", "1000")))
	if b := h.balance("56789"); b != 24000 {
		t.Fatalf("balance %d after paying 1000, want 24000", b)
	}
	var firstRefund reply
	for _, tc := range []struct {
		name, txn, amount, status, reason string
		balance                           int64
	}{
		{"first partial refund", "r-1", "300", StatusSuccessful, "", 24300},
		{"second partial refund", "r-2", "600", StatusSuccessful, "", 24900},
		{"more than is left", "r-3", "101", StatusFailed, ReasonRefundAmountExceeded, 24900},
		{"exactly what is left", "r-4", "100", StatusSuccessful, "", 25000},
		{"nothing is left", "r-5", "1", StatusFailed, ReasonRefundAmountExceeded, 25000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.signedPost("/refund", refundBody(tc.txn, "p-1", tc.amount))
			if tc.txn == "r-1" {
				firstRefund = r
			}
			got := attempt(t, r)
			want := map[string]any{
				"currency": "NZD", "amount": tc.amount, "transactionId": tc.txn, "paymentTransactionId": "p-1",
				"type": TypeRefund, "status": tc.status,
				// The payment's fields come along (C17's example has them).
				"authorization": "56789", "merchantName": "Sandbox Coffee", "merchantId": "merchant-001",
				"merchantCategoryCode": "5814", "paymentRequestId": "pr_p-1",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if reason, _ := got["failureReason"].(string); reason != tc.reason {
				t.Errorf("failureReason = %v, want %q", got["failureReason"], tc.reason)
			}
			for _, k := range []string{"refundable", "refundBefore"} {
				if _, ok := got[k]; ok {
					t.Errorf("a refund carries %s", k)
				}
			}
			if b := h.balance("56789"); b != tc.balance {
				t.Errorf("balance %d, want %d", b, tc.balance)
			}
		})
	}

	t.Run("repeated refund answers the stored bytes and credits nothing", func(t *testing.T) {
		before := h.state()
		for _, body := range [][]byte{refundBody("r-1", "p-1", "300"), refundBody("r-1", "p-1", "5")} {
			r := h.signedPost("/refund", body)
			if r.status != http.StatusOK || !bytes.Equal(r.body, firstRefund.body) {
				t.Fatalf("replay %s = %d %s, want %s", body, r.status, r.body, firstRefund.body)
			}
		}
		h.wantUnchanged(t, before)
	})
	t.Run("get answers the refund by its own id", func(t *testing.T) {
		if g := h.get("r-1"); !bytes.Equal(g.body, firstRefund.body) {
			t.Fatalf("GET /get?transactionId=r-1 = %s, want %s", g.body, firstRefund.body)
		}
	})
	if tx, _ := h.store.Transaction("p-1"); tx.Refunded != 1000 {
		t.Fatalf("payment refunded %d, want 1000", tx.Refunded)
	}
}

func TestRefundFailures(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("ok-1", "56789", "1000")))
	attempt(t, h.pay(tok, payBody("ok-2", "56789", "1000")))
	attempt(t, h.pay(tok, payBody("ok-3", "56789", "1000")))
	attempt(t, h.pay(tok, payBody("failed-1", "56789", "999999")))
	attempt(t, h.pay(tok, payBody("pending-1", PendingAssetID, "100")))
	attempt(t, h.signedPost("/refund", refundBody("refund-1", "ok-1", "100")))

	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T)
		body   []byte
		reason string
	}{
		{name: "unknown payment", body: refundBody("rf-1", "no-such-payment", "100"), reason: ReasonRedemptionDenied},
		{name: "a refund is not a payment", body: refundBody("rf-2", "refund-1", "100"), reason: ReasonRedemptionDenied},
		{name: "a failed payment", body: refundBody("rf-3", "failed-1", "100"), reason: ReasonRedemptionDenied},
		{name: "a pending payment", body: refundBody("rf-4", "pending-1", "100"), reason: ReasonRedemptionDenied},
		{name: "another currency", body: mustJSON(map[string]any{"currency": "AUD", "amount": "100", "paymentTransactionId": "ok-1", "transactionId": "rf-5"}), reason: ReasonRedemptionDenied},
		{name: "more than was paid", body: refundBody("rf-6", "ok-2", "1001"), reason: ReasonRefundAmountExceeded},
		{name: "partial refund on an asset that forbids them",
			setup: func(t *testing.T) {
				if err := h.store.SetAssetSettings("56789", AssetSettings{PartialRefunds: false}); err != nil {
					t.Fatal(err)
				}
			},
			body: refundBody("rf-7", "ok-2", "999"), reason: ReasonPartialRefunds},
		{name: "partial refund of what is left, after an earlier partial one", body: refundBody("rf-8", "ok-1", "899"), reason: ReasonPartialRefunds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			before := h.state()
			got := attempt(t, h.signedPost("/refund", tc.body))
			if got["status"] != StatusFailed || got["failureReason"] != tc.reason || got["type"] != TypeRefund {
				t.Fatalf("got %v, want a failed refund with %s", got, tc.reason)
			}
			after := h.state()
			if !equalAssets(before.Assets, after.Assets) || len(after.Transactions) != len(before.Transactions)+1 {
				t.Fatalf("a failed refund moved money or was not recorded once")
			}
		})
	}

	t.Run("full refund is allowed when partial ones are not", func(t *testing.T) {
		b := h.balance("56789")
		if got := attempt(t, h.signedPost("/refund", refundBody("rf-9", "ok-2", "1000"))); got["status"] != StatusSuccessful {
			t.Fatalf("full refund: %v", got)
		}
		if h.balance("56789") != b+1000 {
			t.Fatal("full refund did not credit the asset")
		}
		// What is left of ok-1 (900) may still go back in full.
		if got := attempt(t, h.signedPost("/refund", refundBody("rf-10", "ok-1", "900"))); got["status"] != StatusSuccessful {
			t.Fatalf("refund of the remainder: %v", got)
		}
	})

	t.Run("refund window", func(t *testing.T) {
		if err := h.store.SetAssetSettings("56789", DefaultAssetSettings()); err != nil {
			t.Fatal(err)
		}
		tx, _ := h.store.Transaction("ok-3")
		deadline := mustTimestamp(tx.Attempt.RefundBefore)
		h.clock.Set(deadline)
		if got := attempt(t, h.signedPost("/refund", refundBody("rw-1", "ok-3", "100"))); got["status"] != StatusSuccessful {
			t.Fatalf("refund at refundBefore: %v, want successful", got)
		}
		h.clock.Advance(time.Millisecond)
		before := h.balance("56789")
		got := attempt(t, h.signedPost("/refund", refundBody("rw-2", "ok-3", "100")))
		if got["status"] != StatusFailed || got["failureReason"] != ReasonRefundWindowExceeded {
			t.Fatalf("refund after refundBefore: %v, want %s", got, ReasonRefundWindowExceeded)
		}
		if h.balance("56789") != before {
			t.Fatal("a refund after the window credited the asset")
		}
	})
}

func equalAssets(a, b map[string]Asset) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRefundNotRefundable(t *testing.T) {
	// No seeded asset makes payments that are not refundable; the store
	// refuses a refund of one all the same.
	h := newPayHarness(t)
	attempt(t, h.pay(h.payToken(), payBody("nr-1", "56789", "1000")))
	h.store.mu.Lock()
	h.store.txns["nr-1"].Attempt.Refundable = boolPtr(false)
	h.store.mu.Unlock()
	before := h.balance("56789")
	got := attempt(t, h.signedPost("/refund", refundBody("nr-r", "nr-1", "1000")))
	if got["status"] != StatusFailed || got["failureReason"] != ReasonRefundNotAllowed {
		t.Fatalf("refund of a non-refundable payment: %v", got)
	}
	if h.balance("56789") != before {
		t.Fatal("credited")
	}
}

func TestRefundBadRequests(t *testing.T) {
	h := newPayHarness(t)
	attempt(t, h.pay(h.payToken(), payBody("rb-pay", "56789", "1000")))
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		desc   string
	}{
		{"missing everything", []byte(`{}`), 400, "amount, currency, paymentTransactionId, transactionId"},
		{"missing paymentTransactionId", mustJSON(map[string]any{"currency": "NZD", "amount": "1", "transactionId": "x"}), 400, "paymentTransactionId"},
		{"amount zero", refundBody("rb-1", "rb-pay", "0"), 400, "greater than zero"},
		{"amount negative", refundBody("rb-1", "rb-pay", "-1"), 400, "digits"},
		{"amount as number", mustJSON(map[string]any{"currency": "NZD", "amount": 1, "paymentTransactionId": "rb-pay", "transactionId": "x"}), 400, "amount must be a JSON string"},
		{"malformed JSON", []byte(`{"amount"`), 400, "not valid JSON"},
		{"empty body", []byte{}, 400, "empty"},
		{"the payment's own transactionId", refundBody("rb-pay", "rb-pay", "1"), http.StatusConflict, "already a payment"},
		{"body over 64 KiB", append(refundBody("rb-2", "rb-pay", "1"), bytes.Repeat([]byte(" "), maxPaymentBody)...), http.StatusRequestEntityTooLarge, "64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			wantJSONError(t, h.signedPost("/refund", tc.body), tc.status, "invalid_request", tc.desc)
			h.wantUnchanged(t, before)
		})
	}
}

func TestCancel(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("c-pending", PendingAssetID, "4000")))
	attempt(t, h.pay(tok, payBody("c-pending-2", PendingAssetID, "1000")))
	attempt(t, h.pay(tok, payBody("c-pending-3", PendingAssetID, "1000")))
	attempt(t, h.pay(tok, payBody("c-done", "56789", "100")))
	attempt(t, h.pay(tok, payBody("c-failed", "56789", "999999")))
	attempt(t, h.signedPost("/refund", refundBody("c-refund", "c-done", "50")))
	if err := h.store.ResolveTransaction("c-pending-3", StatusFailed, ReasonRedemptionDenied, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if b := h.balance(PendingAssetID); b != 15000 {
		t.Fatalf("balance %d with holds of 4000 and 1000, want 15000", b)
	}

	first := h.signedPost("/cancel", cancelBody("c-pending", ReasonCancelledByMerchant))
	got := attempt(t, first)
	if got["status"] != StatusFailed || got["failureReason"] != ReasonCancelledByMerchant || got["transactionId"] != "c-pending" ||
		got["amount"] != "4000" || got["authorization"] != PendingAssetID || got["type"] != TypePayment {
		t.Fatalf("cancel of a pending payment = %s", first.body)
	}
	if b := h.balance(PendingAssetID); b != 19000 {
		t.Fatalf("balance %d after the cancel, want 19000 (the hold released)", b)
	}
	if g := h.get("c-pending"); !bytes.Equal(g.body, first.body) {
		t.Fatalf("GET after cancel = %s, want %s", g.body, first.body)
	}
	expired := attempt(t, h.signedPost("/cancel", cancelBody("c-pending-2", ReasonRequestExpired)))
	if expired["failureReason"] != ReasonRequestExpired {
		t.Fatalf("cancel for expiry = %v", expired)
	}

	t.Run("repeated identical cancel answers the same body", func(t *testing.T) {
		before := h.state()
		r := h.signedPost("/cancel", cancelBody("c-pending", ReasonCancelledByMerchant))
		if r.status != http.StatusOK || !bytes.Equal(r.body, first.body) {
			t.Fatalf("repeat = %d %s, want 200 %s", r.status, r.body, first.body)
		}
		h.wantUnchanged(t, before)
	})

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
		desc   string
	}{
		{"cancel again with another reason", cancelBody("c-pending", ReasonRequestExpired), 409, "invalid_request", "already cancelled with CANCELLED_BY_MERCHANT"},
		{"cancel of a successful payment", cancelBody("c-done", ReasonCancelledByMerchant), 409, "invalid_request", "transaction c-done is successful; only a pending payment can be cancelled"},
		{"cancel of a failed payment", cancelBody("c-failed", ReasonCancelledByMerchant), 409, "invalid_request", "transaction c-failed is failed; only a pending payment can be cancelled"},
		{"cancel of a payment failed by the sandbox", cancelBody("c-pending-3", ReasonCancelledByMerchant), 409, "invalid_request", "is failed"},
		{"cancel of a refund", cancelBody("c-refund", ReasonCancelledByMerchant), 409, "invalid_request", "is a successful refund"},
		{"cancel of an unknown transaction", cancelBody("c-nope", ReasonCancelledByMerchant), 404, "not_found", "c-nope"},
		{"a reason that is not a cancel reason", cancelBody("c-done", ReasonInsufficientValue), 400, "invalid_request", "CANCELLED_BY_MERCHANT or PAYMENT_REQUEST_EXPIRED"},
		{"missing failureReason", mustJSON(map[string]any{"transactionId": "c-done"}), 400, "invalid_request", "failureReason"},
		{"missing transactionId", mustJSON(map[string]any{"failureReason": ReasonCancelledByMerchant}), 400, "invalid_request", "transactionId"},
		{"malformed JSON", []byte(`nope`), 400, "invalid_request", "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			wantJSONError(t, h.signedPost("/cancel", tc.body), tc.status, tc.code, tc.desc)
			h.wantUnchanged(t, before)
		})
	}
}

func TestGet(t *testing.T) {
	h := newPayHarness(t)
	attempt(t, h.pay(h.payToken(), payBody("g-1", "56789", "100")))
	for _, tc := range []struct {
		name   string
		target string
		status int
		body   string
		desc   string
	}{
		{name: "unknown transaction is an empty object", target: "/get?transactionId=nope", status: 200, body: `{}`},
		{name: "missing transactionId", target: "/get", status: 400, desc: "transactionId query parameter is required"},
		{name: "empty transactionId", target: "/get?transactionId=", status: 400, desc: "required"},
		{name: "transactionId twice", target: "/get?transactionId=g-1&transactionId=g-1", status: 400, desc: "once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			r := h.getWithAuth(http.MethodGet, tc.target, h.sign(nil))
			if tc.desc != "" {
				wantJSONError(t, r, tc.status, "invalid_request", tc.desc)
			} else if r.status != tc.status || string(r.body) != tc.body || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s (%s), want %d %s", r.status, r.body, r.header.Get("Content-Type"), tc.status, tc.body)
			}
			h.wantUnchanged(t, before)
		})
	}
	t.Run("a body on GET is ignored", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, h.issuer+"/get?transactionId=g-1", strings.NewReader(`{"x":1}`))
		req.Header.Set("Authorization", h.sign(nil))
		if got := attempt(t, h.send(req)); got["transactionId"] != "g-1" {
			t.Fatalf("got %v", got)
		}
	})
}
