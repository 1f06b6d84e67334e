package mockpayap_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockpayap"
)

// POST /centrapay/refunds: contract (3).

func TestCentrapayRefundCallsTheProvider(t *testing.T) {
	e := newPayEnv(t)
	p := e.pay()
	var ans map[string]any
	body := payRefundBody("rf_0001", p.TransactionID, "200")
	e.refund(body).want(http.StatusOK, &ans)
	if len(ans) != 1 || ans["status"] != "successful" {
		t.Fatalf("answer %v, want exactly {\"status\":\"successful\"}", ans)
	}
	refunds := e.Prov.callsTo("/refund")
	if len(refunds) != 1 {
		t.Fatalf("%d provider /refund calls, want 1", len(refunds))
	}
	if got, want := string(refunds[0].Body), `{"currency":"NZD","amount":"200","paymentTransactionId":"`+p.TransactionID+`","transactionId":"rf_0001"}`; got != want {
		t.Errorf("/refund body %s, want %s", got, want)
	}
	c := e.verifyPayapJWT(refunds[0])
	if c.Audience != e.Fake.URL || c.RequestBodySHA256 != payapjwt.BodySHA256(refunds[0].Body) {
		t.Errorf("/refund claims %+v", c)
	}

	// A repeat answers the same without calling the provider again.
	var again map[string]any
	e.refund(body).want(http.StatusOK, &again)
	if again["status"] != "successful" || len(e.Prov.callsTo("/refund")) != 1 {
		t.Errorf("repeat: %v after %d provider calls, want the same answer and no new call", again, len(e.Prov.callsTo("/refund")))
	}
	// The payment shows it.
	got := e.payment(p.ID)
	if len(got.Refunds) != 1 || got.Refunds[0].ID != "rf_0001" || got.Refunds[0].Amount != "200" || got.Refunds[0].Status != "successful" {
		t.Errorf("refunds %+v", got.Refunds)
	}

	// A refund the provider declines is answered failed, and that answer is
	// kept too.
	e.Prov.set(func(pp *payProvider) {
		pp.OnRefund = func(_ int, req map[string]any) payReply {
			return payReply{http.StatusOK, payAttemptOf(req, "refund", "failed", "PARTIAL_REFUNDS_NOT_ALLOWED")}
		}
	})
	second := payRefundBody("rf_0002", p.TransactionID, "100")
	for range 2 {
		var f map[string]any
		e.refund(second).want(http.StatusOK, &f)
		if f["status"] != "failed" || f["failureReason"] != "PARTIAL_REFUNDS_NOT_ALLOWED" {
			t.Errorf("declined refund: %v", f)
		}
	}
	if n := len(e.Prov.callsTo("/refund")); n != 2 {
		t.Errorf("%d provider /refund calls, want 2", n)
	}

	// The same refund id for something else is a conflict.
	e.refund(payRefundBody("rf_0001", p.TransactionID, "300")).wantError(http.StatusConflict, "refund_conflict")

	// A refund answer naming the payment's transactionId is accepted (C17).
	e.Prov.set(func(pp *payProvider) {
		pp.OnRefund = func(_ int, req map[string]any) payReply {
			a := payAttemptOf(req, "refund", "successful", "")
			a["transactionId"] = req["paymentTransactionId"]
			return payReply{http.StatusOK, a}
		}
	})
	e.refund(payRefundBody("rf_0003", p.TransactionID, "50")).want(http.StatusOK, &ans)
	if ans["status"] != "successful" {
		t.Errorf("C17 refund answer: %v", ans)
	}
}

func TestCentrapayRefundRefusesBadJWTs(t *testing.T) {
	e := newPayEnv(t)
	p := e.pay()
	body := payRefundBody("rf_bad", p.TransactionID, "100")
	stranger, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clock.NewFrozen(start))
	if err != nil {
		t.Fatal(err)
	}
	strangerJWT, err := payapjwt.NewSigner(stranger, e.Clock).Sign(e.URL, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		header func() string
	}{
		{"no Authorization", func() string { return "" }},
		{"not a JWT", func() string { return "hello" }},
		{"wrong audience", func() string { return e.sign(body, payapjwt.WrongAudience(e.Fake.URL)) }},
		{"expired", func() string { return e.sign(body, payapjwt.Expired()) }},
		{"tampered body", func() string { return e.sign(body, payapjwt.TamperBody()) }},
		{"no body hash", func() string { return e.sign(body, payapjwt.NoBodyHash()) }},
		{"unknown kid", func() string { return e.sign(body, payapjwt.UnknownKID()) }},
		{"wrong key", func() string { return e.sign(body, payapjwt.WrongKey()) }},
		{"alg none", func() string { return e.sign(body, payapjwt.OtherAlgorithm("none")) }},
		{"HS256 with the public key", func() string { return e.sign(body, payapjwt.OtherAlgorithm(jose.HS256)) }},
		{"not Centrapay's keys", func() string { return strangerJWT }},
		{"skewed into the future", func() string { return e.sign(body, payapjwt.IssuedAt(start.Add(time.Hour))) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []reqOpt
			if h := tc.header(); h != "" {
				opts = append(opts, withHeader("Authorization", h))
			}
			e.api.t = t
			defer func() { e.api.t = e.t }()
			e.do(http.MethodPost, "/centrapay/refunds", "", body, opts...).wantError(http.StatusUnauthorized, "invalid_token")
		})
	}
	if n := len(e.Prov.callsTo("/refund")); n != 0 {
		t.Errorf("bad JWTs reached the provider: %d /refund calls", n)
	}
	// Tolerated variants: Bearer, and the docs' string dates (C13).
	var ans map[string]any
	e.do(http.MethodPost, "/centrapay/refunds", "", body, withHeader("Authorization", "Bearer "+e.sign(body))).want(http.StatusOK, &ans)
	e.refund(payRefundBody("rf_dates", p.TransactionID, "1"), payapjwt.StringDates()).want(http.StatusOK, &ans)
}

// sign is a Centrapay JWT for a refund body.
func (e *payEnv) sign(body string, faults ...payapjwt.Fault) string {
	e.t.Helper()
	jwt, err := e.CP.Signer.SignWith(e.URL, []byte(body), faults...)
	if err != nil {
		e.t.Fatal(err)
	}
	return jwt
}

func TestCentrapayRefundRefusesBadRequests(t *testing.T) {
	e := newPayEnv(t)
	p := e.pay()
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `refund please`, 400, "invalid_json"},
		{"empty", ``, 400, "invalid_json"},
		{"array", `[]`, 400, "invalid_json"},
		{"amount as a number", `{"refundId":"rf_1","paymentTransactionId":"` + p.TransactionID + `","amount":5,"currency":"NZD"}`, 400, "invalid_field"},
		{"no refundId", `{"paymentTransactionId":"` + p.TransactionID + `","amount":"5","currency":"NZD"}`, 400, "missing_field"},
		{"no currency", `{"refundId":"rf_1","paymentTransactionId":"` + p.TransactionID + `","amount":"5"}`, 400, "missing_field"},
		{"zero amount", `{"refundId":"rf_1","paymentTransactionId":"` + p.TransactionID + `","amount":"0","currency":"NZD"}`, 400, "invalid_field"},
		{"decimal amount", `{"refundId":"rf_1","paymentTransactionId":"` + p.TransactionID + `","amount":"5.00","currency":"NZD"}`, 400, "invalid_field"},
		{"unknown payment", payRefundBody("rf_1", "ptx_nowhere", "5"), 404, "payment_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.api.t = t
			defer func() { e.api.t = e.t }()
			e.refund(tc.body).wantError(tc.status, tc.code)
		})
	}
	if n := len(e.Prov.callsTo("/refund")); n != 0 {
		t.Errorf("bad requests reached the provider: %d /refund calls", n)
	}
	// Unknown fields are tolerated between services.
	var ans map[string]any
	e.refund(`{"refundId":"rf_x","paymentTransactionId":"`+p.TransactionID+`","amount":"5","currency":"NZD","merchantId":"m1"}`).want(http.StatusOK, &ans)
	if ans["status"] != "successful" {
		t.Errorf("a body with an extra field: %v", ans)
	}
}

func TestCentrapayRefundOfAPaymentThatCannotBeRefunded(t *testing.T) {
	t.Run("pending", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayPolls = 0 }))
		e.Prov.set(func(pp *payProvider) {
			pp.OnPay = func(_ int, a map[string]any) payReply {
				return payReply{http.StatusOK, payAttemptOf(a, "payment", "pending", "")}
			}
		})
		p := e.pay()
		e.refund(payRefundBody("rf_1", p.TransactionID, "5")).wantError(http.StatusConflict, "payment_not_refundable")
		if n := len(e.Prov.callsTo("/refund")); n != 0 {
			t.Errorf("%d /refund calls", n)
		}
	})
	t.Run("provider down", func(t *testing.T) {
		e := newPayEnv(t, payConfig(func(c *mockpayap.Config) { c.PayRetries = 0 }))
		p := e.pay()
		e.Prov.set(func(pp *payProvider) {
			pp.OnRefund = func(int, map[string]any) payReply { return payReply{http.StatusServiceUnavailable, "down"} }
		})
		e.refund(payRefundBody("rf_1", p.TransactionID, "5")).wantError(http.StatusBadGateway, "provider_error")
		e.Prov.set(func(pp *payProvider) {
			pp.OnRefund = func(_ int, req map[string]any) payReply {
				return payReply{http.StatusOK, payAttemptOf(req, "refund", "pending", "")}
			}
		})
		e.refund(payRefundBody("rf_1", p.TransactionID, "5")).wantError(http.StatusBadGateway, "provider_bad_response")
		e.Fake.srv.Close()
		e.refund(payRefundBody("rf_1", p.TransactionID, "5")).wantError(http.StatusBadGateway, "provider_unavailable")
		if got := e.payment(p.ID); len(got.Refunds) != 0 {
			t.Errorf("a refund the provider never answered was recorded: %+v", got.Refunds)
		}
	})
}

func TestCentrapayRefundNeedsCentrapaysJWKS(t *testing.T) {
	e := newPayEnv(t)
	p := e.pay()
	e.CP.srv.Close()
	got := e.refund(payRefundBody("rf_1", p.TransactionID, "5")).wantError(http.StatusBadGateway, "centrapay_unavailable")
	if !strings.Contains(got.Message, "centrapay_jwks_url") {
		t.Errorf("message %q should point at payap.centrapay_jwks_url", got.Message)
	}
}
