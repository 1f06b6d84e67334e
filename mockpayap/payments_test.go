package mockpayap_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/mockpayap"
)

// Spend: POST /api/payments against a fake provider and a fake Centrapay.

var payTxnPattern = regexp.MustCompile(`^ptx_[A-Za-z0-9_-]{22}$`)

// payNoTraffic checks that nothing reached the provider's payment
// endpoints.
func (e *payEnv) payNoTraffic() {
	e.t.Helper()
	for _, path := range []string{"/pay", "/get", "/cancel", "/refund"} {
		if n := len(e.Prov.callsTo(path)); n != 0 {
			e.t.Errorf("the provider got %d %s calls, want none", n, path)
		}
	}
}

func TestPaymentsRefuseBadInput(t *testing.T) {
	e := newPayEnv(t)
	other := e.other()
	rec := &api{t: t, handler: e.Handler} // through a recorder
	for _, tc := range []struct {
		name        string
		token       string
		contentType string
		body        string
		status      int
		code        string
		field       string
	}{
		{name: "no session", body: `{"paymentRequestId":"` + payPRID + `","walletEntryId":"` + e.entry + `"}`, status: 401, code: "unauthenticated"},
		{name: "not JSON", token: e.token, contentType: "text/plain", body: "pay please", status: 415, code: "unsupported_media_type"},
		{name: "broken JSON", token: e.token, body: `{"walletEntryId":`, status: 400, code: "invalid_json"},
		{name: "empty body", token: e.token, body: ``, status: 400, code: "invalid_json"},
		{name: "array", token: e.token, body: `[]`, status: 400, code: "invalid_json"},
		{name: "unknown field", token: e.token, body: `{"paymentRequestId":"` + payPRID + `","walletAssetId":"` + e.entry + `"}`, status: 400, code: "unknown_field"},
		{name: "wrong type", token: e.token, body: `{"paymentRequestId":12,"walletEntryId":"` + e.entry + `"}`, status: 400, code: "invalid_field"},
		{name: "no wallet entry", token: e.token, body: `{"paymentRequestId":"` + payPRID + `"}`, status: 400, code: "missing_field", field: "walletEntryId"},
		{name: "blank wallet entry", token: e.token, body: `{"paymentRequestId":"` + payPRID + `","walletEntryId":" "}`, status: 400, code: "missing_field", field: "walletEntryId"},
		{name: "neither request nor short code", token: e.token, body: `{"walletEntryId":"` + e.entry + `"}`, status: 400, code: "missing_payment_request"},
		{name: "blank request and short code", token: e.token, body: `{"paymentRequestId":"","shortCode":" ","walletEntryId":"` + e.entry + `"}`, status: 400, code: "missing_payment_request"},
		{name: "both request and short code", token: e.token, body: `{"paymentRequestId":"` + payPRID + `","shortCode":"` + payShortCode + `","walletEntryId":"` + e.entry + `"}`, status: 400, code: "conflicting_fields"},
		{name: "unknown wallet entry", token: e.token, body: `{"paymentRequestId":"` + payPRID + `","walletEntryId":"we_9999"}`, status: 400, code: "unknown_wallet_entry", field: "walletEntryId"},
		{name: "another user's wallet entry", token: other, body: `{"paymentRequestId":"` + payPRID + `","walletEntryId":"` + e.entry + `"}`, status: 400, code: "unknown_wallet_entry", field: "walletEntryId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.t = t
			var opts []reqOpt
			if tc.contentType != "" {
				opts = append(opts, withHeader("Content-Type", tc.contentType))
			}
			got := rec.do(http.MethodPost, "/api/payments", tc.token, tc.body, opts...).wantError(tc.status, tc.code)
			if tc.field != "" && got.Details["field"] != tc.field {
				t.Errorf("details.field = %v, want %s", got.Details["field"], tc.field)
			}
		})
	}
	rec.t = t
	rec.do(http.MethodGet, "/api/payments/pay_9999", e.token, nil).wantError(http.StatusNotFound, "payment_not_found")
	rec.do(http.MethodGet, "/api/payments", "", nil).wantError(http.StatusUnauthorized, "unauthenticated")
	var l struct{ Items []payment }
	rec.do(http.MethodGet, "/api/payments", e.token, nil).want(http.StatusOK, &l)
	if l.Items == nil || len(l.Items) != 0 {
		t.Errorf("GET /api/payments before paying: %+v, want an empty list", l.Items)
	}
	e.payNoTraffic()
	if n := e.CP.reads(); n != 0 {
		t.Errorf("Centrapay was read %d times for bad input, want 0", n)
	}
}

func TestPaymentRequestNotPayable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(pr map[string]any)
		body   map[string]string // without walletEntryId; default the request id
		status int
		code   string
		says   string // the message names it
	}{
		{name: "paid", change: func(pr map[string]any) { pr["status"] = "paid" }, status: 409, code: "payment_request_not_payable", says: "paid"},
		{name: "expired", change: func(pr map[string]any) { pr["status"] = "expired" }, status: 409, code: "payment_request_not_payable", says: "expired"},
		{name: "cancelled", change: func(pr map[string]any) { pr["status"] = "cancelled" }, status: 409, code: "payment_request_not_payable", says: "cancelled"},
		{name: "past expiresAt", change: func(pr map[string]any) { pr["expiresAt"] = start.Add(-time.Second).Format(time.RFC3339) }, status: 409, code: "payment_request_not_payable", says: "expired at"},
		{name: "not NZD", change: func(pr map[string]any) { pr["value"] = map[string]any{"amount": "500", "currency": "USD"} }, status: 409, code: "payment_request_not_payable", says: "USD"},
		{name: "asset type not an option", change: func(pr map[string]any) {
			pr["paymentOptions"] = []any{map[string]any{"assetType": "centrapay.nzd.test", "amount": "500"}}
		}, status: 409, code: "asset_type_not_accepted", says: "centrapay.nzd.test"},
		{name: "live request", change: func(pr map[string]any) {
			pr["liveness"] = "main"
			pr["paymentOptions"] = []any{map[string]any{"assetType": "payap-example.test", "amount": "500"}}
		}, status: 409, code: "asset_type_not_accepted", says: "payap-example.main"},
		{name: "option limited by restricted items", change: func(pr map[string]any) {
			pr["paymentOptions"] = []any{map[string]any{"assetType": "payap-example.test", "amount": "300"}}
		}, status: 409, code: "asset_type_not_accepted", says: "only 300"},
		{name: "unknown request", body: map[string]string{"paymentRequestId": "PrNowhere"}, status: 404, code: "payment_request_not_found"},
		{name: "bad short code", body: map[string]string{"shortCode": "XX-123"}, status: 400, code: "invalid_short_code", says: "CHECKSUM_FAILED"},
		{name: "unknown short code", body: map[string]string{"shortCode": "CP-AAA-AA1"}, status: 404, code: "payment_request_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPayEnv(t)
			if tc.change != nil {
				e.CP.setPR(payPRID, tc.change)
			}
			body := map[string]string{"paymentRequestId": payPRID}
			if tc.body != nil {
				body = tc.body
			}
			body["walletEntryId"] = e.entry
			got := e.do(http.MethodPost, "/api/payments", e.token, body).wantError(tc.status, tc.code)
			if !strings.Contains(got.Message, tc.says) {
				t.Errorf("message %q does not say %q", got.Message, tc.says)
			}
			e.payNoTraffic()
		})
	}

	t.Run("Centrapay down", func(t *testing.T) {
		e := newPayEnv(t)
		e.CP.set(func(cp *payCentrapay) { cp.Down = true })
		e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).wantError(http.StatusBadGateway, "centrapay_error")
		e.CP.srv.Close()
		e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).wantError(http.StatusBadGateway, "centrapay_unavailable")
		e.payNoTraffic()
	})
	t.Run("wrong API key", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.CentrapayAPIKey = "cp-not-a-key" }))
		got := e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).wantError(http.StatusBadGateway, "centrapay_error")
		if !strings.Contains(got.Message, "centrapay_api_key") {
			t.Errorf("message %q does not point at payap.centrapay_api_key", got.Message)
		}
	})
}

func TestPaySuccessIsRecordedOnCentrapay(t *testing.T) {
	for _, by := range []string{"paymentRequestId", "shortCode"} {
		t.Run(by, func(t *testing.T) {
			e := newPayEnv(t)
			ref := map[string]string{"paymentRequestId": payPRID, "shortCode": payShortCode}[by]
			var p payment
			e.do(http.MethodPost, "/api/payments", e.token, map[string]string{by: ref, "walletEntryId": e.entry}).want(http.StatusCreated, &p)
			if p.Status != "successful" || p.CentrapayStatus != "recorded" || p.FailureReason != "" || p.Problem != nil {
				t.Fatalf("payment %+v, want successful and recorded", p)
			}
			if !payTxnPattern.MatchString(p.TransactionID) {
				t.Errorf("transactionId %q, want ptx_ and 22 characters", p.TransactionID)
			}
			if p.PaymentRequestID != payPRID || p.WalletEntryID != e.entry || p.AssetType != "payap-example" || p.CentrapayAssetType != "payap-example.test" ||
				p.Amount != "500" || p.Currency != "NZD" || p.MerchantName != "Sandbox Merchant" || p.Refunds == nil {
				t.Errorf("payment %+v", p)
			}

			// The provider got the Transaction Attempt with the user's token.
			pays := e.Prov.callsTo("/pay")
			if len(pays) != 1 {
				t.Fatalf("%d /pay calls, want 1", len(pays))
			}
			if !strings.HasPrefix(pays[0].Authorization, "Bearer at-code-") {
				t.Errorf("/pay Authorization %q, want the user's Bearer access token", pays[0].Authorization)
			}
			want := map[string]any{
				"currency": "NZD", "amount": "500", "authorization": "f1", "merchantName": "Sandbox Merchant",
				"merchantId": "SbxMerchant11111111111", "transactionId": p.TransactionID, "paymentRequestId": payPRID,
			}
			if got := pays[0].json(); !jsonEqual(got, want) {
				t.Errorf("/pay body %s, want %v", pays[0].Body, want)
			}
			if n := len(e.Prov.callsTo("/get")); n != 0 {
				t.Errorf("%d /get polls of a successful payment, want 0", n)
			}

			// Centrapay recorded it: contract (2).
			posts := e.CP.posts()
			if len(posts) != 1 || posts[0].Path != "/api/payment-requests/"+payPRID+"/pay" || posts[0].APIKey != payAPIKey {
				t.Fatalf("Centrapay pay calls %+v, want one POST /api/payment-requests/%s/pay with Payap's key", posts, payPRID)
			}
			if got, want := string(posts[0].Body), `{"assetType":"payap-example.test","transactionId":"`+p.TransactionID+`","idempotencyKey":"`+p.TransactionID+`"}`; got != want {
				t.Errorf("Centrapay pay body %s, want %s", got, want)
			}

			// And it is listed and fetched as it is.
			var l struct{ Items []payment }
			e.do(http.MethodGet, "/api/payments", e.token, nil).want(http.StatusOK, &l)
			if len(l.Items) != 1 || l.Items[0].ID != p.ID || l.Items[0].Status != "successful" {
				t.Errorf("GET /api/payments: %+v", l.Items)
			}
			if got := e.payment(p.ID); got.Status != "successful" || got.CentrapayStatus != "recorded" {
				t.Errorf("GET /api/payments/%s: %+v", p.ID, got)
			}
			if n := len(e.CP.posts()); n != 1 {
				t.Errorf("reading the payment recorded it again: %d Centrapay pay calls", n)
			}
			// Another user does not see it.
			e.do(http.MethodGet, "/api/payments/"+p.ID, e.other(), nil).wantError(http.StatusNotFound, "payment_not_found")
			// The request is paid now: paying again is refused.
			e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).
				wantError(http.StatusConflict, "payment_request_not_payable")
		})
	}
}

// jsonEqual compares a decoded JSON object with wanted values.
func jsonEqual(got, want map[string]any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}

func TestPayFailuresMapToCentrapayMessages(t *testing.T) {
	failed := func(reason string) func(int, map[string]any) payReply {
		return func(_ int, a map[string]any) payReply {
			return payReply{http.StatusOK, payAttemptOf(a, "payment", "failed", reason)}
		}
	}
	for _, tc := range []struct {
		name           string
		onPay          func(int, map[string]any) payReply
		reason         string
		providerReason string
		problem        string
	}{
		{name: "insufficient", onPay: failed("INSUFFICIENT_ASSET_VALUE"), reason: "INSUFFICIENT_ASSET_VALUE", providerReason: "INSUFFICIENT_ASSET_VALUE"},
		{name: "denied", onPay: failed("ASSET_REDEMPTION_DENIED"), reason: "ASSET_REDEMPTION_DENIED", providerReason: "ASSET_REDEMPTION_DENIED"},
		{name: "another reason", onPay: failed("CARD_ON_FIRE"), reason: "PAYMENT_DECLINED", providerReason: "CARD_ON_FIRE"},
		{name: "failed without a reason", onPay: failed(""), reason: "PAYMENT_DECLINED"},
		{name: "provider 400", onPay: func(int, map[string]any) payReply {
			return payReply{http.StatusBadRequest, map[string]string{"error": "bad attempt"}}
		}, reason: "PAYMENT_DECLINED", problem: "provider_error"},
		{name: "provider 403", onPay: func(int, map[string]any) payReply {
			return payReply{http.StatusForbidden, map[string]string{"error": "insufficient_scope"}}
		}, reason: "PAYMENT_DECLINED", problem: "insufficient_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPayEnv(t)
			e.Prov.set(func(pp *payProvider) { pp.OnPay = tc.onPay })
			p := e.pay()
			if p.Status != "failed" || p.FailureReason != tc.reason || p.ProviderFailureReason != tc.providerReason || p.CentrapayStatus != "" {
				t.Errorf("payment %+v, want failed %s (provider %q)", p, tc.reason, tc.providerReason)
			}
			if got := ""; p.Problem != nil {
				got = p.Problem.Code
				if got != tc.problem {
					t.Errorf("problem %+v, want %q", p.Problem, tc.problem)
				}
			} else if tc.problem != "" {
				t.Errorf("no problem, want %s", tc.problem)
			}
			if n := len(e.CP.posts()); n != 0 {
				t.Errorf("a failed payment was recorded on Centrapay (%d calls)", n)
			}
			if n := len(e.Prov.callsTo("/pay")); n != 1 {
				t.Errorf("%d /pay calls, want 1 (a 4xx or a failed attempt is not retried)", n)
			}
			// A failed payment frees the request for another try.
			e.Prov.set(func(pp *payProvider) { pp.OnPay = nil })
			if again := e.pay(); again.Status != "successful" || again.TransactionID == p.TransactionID {
				t.Errorf("paying again: %+v, want successful with a new transactionId", again)
			}
		})
	}
}

func TestPayRetriesWithTheSameTransactionID(t *testing.T) {
	t.Run("5xx then success", func(t *testing.T) {
		e := newPayEnv(t)
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = func(n int, a map[string]any) payReply {
				if n < 3 {
					return payReply{http.StatusServiceUnavailable, map[string]string{"error": "busy"}}
				}
				return payReply{http.StatusOK, payAttemptOf(a, "payment", "successful", "")}
			}
		})
		p := e.pay()
		if p.Status != "successful" || p.CentrapayStatus != "recorded" {
			t.Fatalf("payment %+v, want successful after retries", p)
		}
		pays := e.Prov.callsTo("/pay")
		if len(pays) != 3 {
			t.Fatalf("%d /pay calls, want 3 (two 503s, then success)", len(pays))
		}
		for _, c := range pays[1:] {
			if string(c.Body) != string(pays[0].Body) {
				t.Errorf("a retry sent %s, the first call %s; want the same bytes", c.Body, pays[0].Body)
			}
		}
		if got := pays[0].json()["transactionId"]; got != p.TransactionID {
			t.Errorf("/pay transactionId %v, want %s", got, p.TransactionID)
		}
	})

	t.Run("timeout then success", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.ProviderTimeout = time.Second }))
		e.Prov.set(func(pp *payProvider) { pp.PayHang = 1 })
		p := e.pay()
		pays := e.Prov.callsTo("/pay")
		if p.Status != "successful" || len(pays) != 2 || string(pays[0].Body) != string(pays[1].Body) {
			t.Fatalf("payment %+v after %d /pay calls, want successful on the second, same body", p, len(pays))
		}
	})

	t.Run("always 5xx, and the provider never had it", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayRetries = 1; c.PayPolls = 2 }))
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = func(int, map[string]any) payReply { return payReply{http.StatusInternalServerError, "oops"} }
		})
		p := e.pay()
		if n := len(e.Prov.callsTo("/pay")); n != 2 {
			t.Errorf("%d /pay calls, want 1 + pay_retries = 2", n)
		}
		if p.Status != "failed" || p.FailureReason != "PAYMENT_UNCONFIRMED" || p.Problem == nil || p.Problem.Code != "transaction_unknown" {
			t.Errorf("payment %+v, want failed PAYMENT_UNCONFIRMED: GET /get answered {}", p)
		}
		if n := len(e.CP.posts()); n != 0 {
			t.Errorf("recorded on Centrapay %d times", n)
		}
	})

	t.Run("provider unreachable", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayPolls = 1 }))
		e.Fake.srv.Close()
		p := e.pay()
		if p.Status != "pending" || p.FailureReason != "PAYMENT_UNCONFIRMED" || p.Problem == nil || p.Problem.Code != "provider_unavailable" {
			t.Errorf("payment %+v, want pending PAYMENT_UNCONFIRMED with problem provider_unavailable", p)
		}
		if got := e.payment(p.ID); got.Status != "pending" || got.FailureReason != "PAYMENT_UNCONFIRMED" {
			t.Errorf("GET: %+v, want still pending", got)
		}
		if n := len(e.CP.posts()); n != 0 {
			t.Errorf("a pending payment was recorded on Centrapay (%d calls)", n)
		}
	})
}

func TestPayPendingIsPolled(t *testing.T) {
	pending := func(_ int, a map[string]any) payReply {
		return payReply{http.StatusOK, payAttemptOf(a, "payment", "pending", "")}
	}
	t.Run("pending then successful", func(t *testing.T) {
		e := newPayEnv(t)
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = pending
			pp.OnGet = func(n int, txn string, cur map[string]any) payReply {
				if n < 2 {
					return payReply{http.StatusOK, cur}
				}
				return payReply{http.StatusOK, payAttemptOf(cur, "payment", "successful", "")}
			}
		})
		p := e.pay()
		if p.Status != "successful" || p.CentrapayStatus != "recorded" || p.FailureReason != "" {
			t.Fatalf("payment %+v, want successful and recorded", p)
		}
		gets := e.Prov.callsTo("/get")
		if len(gets) != 2 {
			t.Fatalf("%d /get polls, want 2", len(gets))
		}
		for _, g := range gets {
			if g.Query != "transactionId="+p.TransactionID {
				t.Errorf("/get query %q, want transactionId=%s", g.Query, p.TransactionID)
			}
			if len(g.Body) != 0 {
				t.Errorf("/get sent a body %q", g.Body)
			}
			c := e.verifyPayapJWT(g)
			if c.Audience != e.Fake.URL {
				t.Errorf("/get aud %q, want the provider's base URL %s", c.Audience, e.Fake.URL)
			}
		}
		if n := e.CP.reads(); n != 3 {
			t.Errorf("Centrapay read %d times, want 3: once to pay, once before each poll", n)
		}
	})

	t.Run("still pending, then resolved lazily by GET", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayPolls = 2 }))
		resolved := false
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = pending
			pp.OnGet = func(n int, txn string, cur map[string]any) payReply {
				if resolved {
					return payReply{http.StatusOK, payAttemptOf(cur, "payment", "successful", "")}
				}
				return payReply{http.StatusOK, cur}
			}
		})
		p := e.pay()
		if p.Status != "pending" || p.FailureReason != "PAYMENT_UNCONFIRMED" || p.CentrapayStatus != "" {
			t.Fatalf("payment %+v, want pending PAYMENT_UNCONFIRMED after 2 polls", p)
		}
		if n := len(e.Prov.callsTo("/get")); n != 2 {
			t.Errorf("%d /get polls, want pay_polls = 2", n)
		}
		if n := len(e.CP.posts()); n != 0 {
			t.Fatalf("a pending payment was recorded on Centrapay")
		}
		// Each GET polls once.
		if got := e.payment(p.ID); got.Status != "pending" {
			t.Fatalf("GET: %+v", got)
		}
		if n := len(e.Prov.callsTo("/get")); n != 3 {
			t.Errorf("%d /get polls after one GET, want 3", n)
		}
		e.Prov.set(func(*payProvider) { resolved = true })
		var l struct{ Items []payment }
		e.do(http.MethodGet, "/api/payments", e.token, nil).want(http.StatusOK, &l)
		if len(l.Items) != 1 || l.Items[0].Status != "successful" || l.Items[0].CentrapayStatus != "recorded" || l.Items[0].FailureReason != "" {
			t.Fatalf("GET /api/payments: %+v, want the payment successful and recorded", l.Items)
		}
		if n := len(e.CP.posts()); n != 1 {
			t.Errorf("%d Centrapay pay calls, want 1", n)
		}
		if got := e.payment(p.ID); got.Status != "successful" || len(e.Prov.callsTo("/get")) != 4 {
			t.Errorf("a final payment was polled again: %+v, %d polls", got, len(e.Prov.callsTo("/get")))
		}
	})

	for _, tc := range []struct {
		name, prStatus, reason, failure string
	}{
		{"request expired", "expired", "PAYMENT_REQUEST_EXPIRED", "REQUEST_EXPIRED"},
		{"request cancelled", "cancelled", "CANCELLED_BY_MERCHANT", "REQUEST_CANCELLED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPayEnv(t)
			e.Prov.set(func(pp *payProvider) { pp.OnPay = pending })
			e.CP.set(func(cp *payCentrapay) {
				cp.OnRead = func(n int, pr map[string]any) {
					if n == 2 { // the read before the first poll (n counts this read)
						pr["status"] = tc.prStatus
					}
				}
			})
			p := e.pay()
			if p.Status != "failed" || p.FailureReason != tc.failure || p.ProviderFailureReason != tc.reason {
				t.Fatalf("payment %+v, want failed %s (provider %s)", p, tc.failure, tc.reason)
			}
			cancels := e.Prov.callsTo("/cancel")
			if len(cancels) != 1 {
				t.Fatalf("%d /cancel calls, want 1", len(cancels))
			}
			if got, want := string(cancels[0].Body), `{"transactionId":"`+p.TransactionID+`","failureReason":"`+tc.reason+`"}`; got != want {
				t.Errorf("/cancel body %s, want %s", got, want)
			}
			e.verifyPayapJWT(cancels[0])
			if n := len(e.Prov.callsTo("/get")); n != 0 {
				t.Errorf("%d /get polls after the request ended, want 0", n)
			}
			if n := len(e.CP.posts()); n != 0 {
				t.Errorf("a cancelled payment was recorded on Centrapay")
			}
		})
	}

	t.Run("request expires on the sandbox clock between GETs", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayPolls = 0 }))
		e.Prov.set(func(pp *payProvider) { pp.OnPay = pending })
		p := e.pay()
		if p.Status != "pending" {
			t.Fatalf("payment %+v, want pending", p)
		}
		e.advance(121 * time.Second) // past expiresAt; the fake still says new
		got := e.payment(p.ID)
		if got.Status != "failed" || got.FailureReason != "REQUEST_EXPIRED" {
			t.Fatalf("GET after expiry: %+v, want failed REQUEST_EXPIRED", got)
		}
		if c := e.Prov.callsTo("/cancel"); len(c) != 1 || c[0].json()["failureReason"] != "PAYMENT_REQUEST_EXPIRED" {
			t.Errorf("/cancel calls %+v, want one with PAYMENT_REQUEST_EXPIRED", c)
		}
	})

	t.Run("cancel refused because the payment succeeded meanwhile", func(t *testing.T) {
		e := newPayEnv(t)
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = pending
			pp.OnCancel = func(_ int, req, cur map[string]any) payReply {
				return payReply{http.StatusConflict, map[string]string{"error": "already final"}}
			}
			pp.OnGet = func(_ int, _ string, cur map[string]any) payReply {
				return payReply{http.StatusOK, payAttemptOf(cur, "payment", "successful", "")}
			}
		})
		e.CP.set(func(cp *payCentrapay) {
			cp.OnRead = func(n int, pr map[string]any) {
				if n == 2 {
					pr["status"] = "expired"
				}
			}
			cp.OnPay = func(int, map[string]any) payReply {
				return payReply{http.StatusForbidden, map[string]any{"statusCode": 403, "error": "Forbidden", "message": "REQUEST_EXPIRED", "reason": "the payment request expired"}}
			}
		})
		p := e.pay()
		if p.Status != "successful" || p.CentrapayStatus != "unsettled" {
			t.Fatalf("payment %+v, want successful but unsettled", p)
		}
	})
}

func TestPayUnsettledWhenCentrapayRefuses(t *testing.T) {
	e := newPayEnv(t)
	e.CP.set(func(cp *payCentrapay) {
		cp.OnPay = func(int, map[string]any) payReply {
			return payReply{http.StatusForbidden, map[string]any{"statusCode": 403, "error": "Forbidden", "message": "REQUEST_EXPIRED", "reason": "the payment request expired at 2026-01-01T09:02:00.000Z"}}
		}
	})
	p := e.pay()
	if p.Status != "successful" || p.CentrapayStatus != "unsettled" || p.Problem == nil || p.Problem.Code != "centrapay_refused" {
		t.Fatalf("payment %+v, want successful, unsettled, problem centrapay_refused", p)
	}
	if p.CentrapayError["statusCode"] != float64(403) || p.CentrapayError["message"] != "REQUEST_EXPIRED" || p.CentrapayError["reason"] == nil {
		t.Errorf("centrapayError %v, want Centrapay's 403 REQUEST_EXPIRED with its reason", p.CentrapayError)
	}
	if got := e.payment(p.ID); got.CentrapayStatus != "unsettled" || len(e.CP.posts()) != 1 {
		t.Errorf("GET of an unsettled payment: %+v after %d Centrapay calls; a refusal is final", got, len(e.CP.posts()))
	}
}

func TestPayRecordedLaterWhenCentrapayDidNotDecide(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply payReply
		calls int // Centrapay pay calls during the pay call
	}{
		{"Centrapay down", payReply{http.StatusServiceUnavailable, map[string]any{"statusCode": 503, "error": "Service Unavailable", "message": "down"}}, 2},
		{"a void in flight", payReply{http.StatusForbidden, map[string]any{"statusCode": 403, "error": "Forbidden", "message": "PAYMENT_UNCONFIRMED"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayRetries = 1 }))
			e.CP.set(func(cp *payCentrapay) {
				cp.OnPay = func(int, map[string]any) payReply { return tc.reply }
			})
			p := e.pay()
			if p.Status != "successful" || p.CentrapayStatus != "recording" || p.Problem == nil || p.Problem.Code != "centrapay_unavailable" {
				t.Fatalf("payment %+v, want successful, recording, problem centrapay_unavailable", p)
			}
			posts := e.CP.posts()
			if len(posts) != tc.calls || string(posts[0].Body) != string(posts[len(posts)-1].Body) {
				t.Fatalf("Centrapay pay calls %+v, want %d with the same body", posts, tc.calls)
			}
			e.CP.set(func(cp *payCentrapay) { cp.OnPay = nil })
			got := e.payment(p.ID)
			if got.CentrapayStatus != "recorded" || got.Problem != nil {
				t.Errorf("GET once Centrapay decides: %+v, want recorded", got)
			}
			if posts := e.CP.posts(); len(posts) != tc.calls+1 || posts[len(posts)-1].json()["idempotencyKey"] != p.TransactionID {
				t.Errorf("Centrapay pay calls %d, want %d, the last with idempotencyKey %s", len(posts), tc.calls+1, p.TransactionID)
			}
		})
	}
}

func TestPayRefusedBeforeTheProviderWhenTheConnectionCannotPay(t *testing.T) {
	t.Run("no assets:pay", func(t *testing.T) {
		e := newPayEnv(t, payScope("assets:read"))
		got := e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).
			wantError(http.StatusForbidden, "insufficient_scope")
		if !strings.Contains(got.Message, "assets:pay") || !strings.Contains(got.Message, "reconnect") {
			t.Errorf("message %q should say to reconnect granting assets:pay", got.Message)
		}
		e.payNoTraffic()
		if n := e.CP.reads(); n != 0 {
			t.Errorf("Centrapay was read %d times", n)
		}
	})

	t.Run("reconnect required", func(t *testing.T) {
		e := newPayEnv(t)
		cs := e.connections(e.token)
		if err := e.Store.NeedsReconnect(cs[0].ID, mockpayap.Problem{Code: "invalid_grant", Message: "the provider refused the refresh token"}); err != nil {
			t.Fatal(err)
		}
		got := e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).
			wantError(http.StatusConflict, "reconnect_required")
		if !strings.Contains(got.Message, "/reconnect") {
			t.Errorf("message %q should say how to reconnect", got.Message)
		}
		e.payNoTraffic()
	})

	t.Run("the grant is gone at /pay", func(t *testing.T) {
		e := newPayEnv(t, payFake(func(f *fakeProvider) { f.RefreshError = "invalid_grant" }))
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = func(int, map[string]any) payReply {
				return payReply{http.StatusUnauthorized, map[string]string{"error": "invalid_token"}}
			}
		})
		p := e.pay()
		if p.Status != "failed" || p.Problem == nil || p.Problem.Code != "reconnect_required" {
			t.Errorf("payment %+v, want failed with problem reconnect_required", p)
		}
		if c := e.connections(e.token); c[0].Status != mockpayap.StatusReconnectRequired {
			t.Errorf("connection %+v, want reconnect_required", c[0])
		}
	})
}

func TestPayOneRequestAtATime(t *testing.T) {
	e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayPolls = 0 }))
	e.Prov.set(func(pp *payProvider) {
		pp.OnPay = func(_ int, a map[string]any) payReply {
			return payReply{http.StatusOK, payAttemptOf(a, "payment", "pending", "")}
		}
	})
	first := e.pay()
	got := e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).
		wantError(http.StatusConflict, "payment_request_not_payable")
	if got.Details["paymentId"] != first.ID {
		t.Errorf("details %v, want paymentId %s", got.Details, first.ID)
	}
	if n := len(e.Prov.callsTo("/pay")); n != 1 {
		t.Errorf("%d /pay calls, want 1", n)
	}
}
