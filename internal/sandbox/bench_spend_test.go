package sandbox_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
)

// BenchmarkSpendFlow runs the whole Connect → Fetch → Pay → Refund flow
// over loopback, as a front end and a POS would, and reports flows per
// second and the p50/p99 latency of one flow. Each flow: the merchant
// creates a payment request; the user connects (authorization URL, login
// and consent pages, callback, token exchange, GET /assets); the wallet is
// fetched live; the user pays (provider /pay, Centrapay records it); the
// merchant refunds it in full (Centrapay → Payap → provider /refund); the
// user disconnects (revocation at the provider).
func BenchmarkSpendFlow(b *testing.B) {
	sb := MustStart(b, func(c *sandbox.Config) { c.Log.Level = "error" })
	payapSvc, _ := sb.Service(sandbox.ServicePayap)
	centrapaySvc, _ := sb.Service(sandbox.ServiceCentrapay)
	c := newClient(b)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		spendOnce(b, c, payapSvc.BaseURL, centrapaySvc.BaseURL)
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// spendOnce is one whole flow; it fails the benchmark on any surprise.
func spendOnce(tb testing.TB, c *http.Client, payapURL, centrapayURL string) {
	tb.Helper()
	pos := &merchant{t: tb, c: c, base: centrapayURL, key: mockcentrapay.MerchantTerminalKey}
	a := &app{t: tb, c: c, base: payapURL}
	pr := pos.newPaymentRequest("100")
	var sess struct{ Token string }
	a.do(http.MethodPost, "/api/sessions", map[string]string{"email": mockpayap.DemoEmail, "password": mockpayap.DemoPassword}, http.StatusCreated, &sess)
	a.token = sess.Token
	var conn connection
	a.do(http.MethodPost, "/api/connections", map[string]string{"assetType": "payap-example"}, http.StatusCreated, &conn)
	a.consent(conn.AuthURL)
	wallet := a.wallet()
	var p payment
	a.do(http.MethodPost, "/api/payments", map[string]string{"paymentRequestId": pr.ID, "walletEntryId": wallet["12345"].ID}, http.StatusCreated, &p)
	if p.Status != mockpayap.PaymentSuccessful {
		tb.Fatalf("payment %+v", p)
	}
	pos.do(http.MethodPost, "/api/payment-requests/"+pr.ID+"/refund", map[string]any{
		"value": map[string]string{"amount": "100", "currency": "NZD"}, "externalRef": pr.ID,
	}, http.StatusOK, nil)
	a.do(http.MethodDelete, "/api/connections/"+conn.ID, nil, http.StatusOK, nil)
}
