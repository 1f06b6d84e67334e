package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// merchant is a POS talking to the mock Centrapay with an API key.
type merchant struct {
	t    testing.TB
	c    *http.Client
	base string
	key  string
}

func (m *merchant) do(method, path string, body any, status int, out any) {
	m.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.base+path, r)
	req.Header.Set("X-Api-Key", m.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.c.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	decode(m.t, resp, status, out)
}

type paymentRequest struct {
	ID                 string
	Status             string
	CancellationReason string
}

func (m *merchant) newPaymentRequest(amount string) paymentRequest {
	m.t.Helper()
	var pr paymentRequest
	m.do(http.MethodPost, "/api/payment-requests", map[string]any{
		"configId": mockcentrapay.SandboxMerchantConfigID,
		"value":    map[string]string{"amount": amount, "currency": "NZD"},
	}, http.StatusOK, &pr)
	return pr
}

func (m *merchant) paymentRequest(id string) paymentRequest {
	m.t.Helper()
	var pr paymentRequest
	m.do(http.MethodGet, "/api/payment-requests/"+id, nil, http.StatusOK, &pr)
	return pr
}

type payment struct {
	ID            string
	Status        string
	TransactionID string
	FailureReason string
}

// webhookReceiver verifies every delivery's JWT against the mock
// Centrapay's JWKS, as a wallet or merchant back end would.
func webhookReceiver(t *testing.T, sb *sandbox.Sandbox, centrapayURL string) (url string, got <-chan map[string]any) {
	t.Helper()
	ch := make(chan map[string]any, 16)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	verifier := payapjwt.NewVerifier(centrapayURL+"/api/.well-known/jwks.json", base, nil, sb.Clock)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := verifier.Verify(r.Context(), r.Header.Get("Authorization"), body); err != nil {
			t.Errorf("webhook JWT does not verify: %v", err)
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		var n map[string]any
		_ = json.Unmarshal(body, &n)
		ch <- n
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return base + "/hooks", ch
}

// TestSpendThroughTheSandbox is the end-to-end walk over real
// loopback listeners: a merchant creates a payment request, the user
// connects, fetches, pays; the request is paid (polled); a webhook
// subscriber receives payment-request:paid and verifies its JWT; the
// merchant refunds part and the provider balance is restored by exactly
// that amount; another request paid with a pending asset is voided and the
// provider's transaction ends failed with CANCELLED_BY_MERCHANT.
func TestSpendThroughTheSandbox(t *testing.T) {
	sb := MustStart(t)
	payapSvc, _ := sb.Service(sandbox.ServicePayap)
	centrapaySvc, _ := sb.Service(sandbox.ServiceCentrapay)
	c := newClient(t)
	pos := &merchant{t: t, c: c, base: centrapaySvc.BaseURL, key: mockcentrapay.MerchantTerminalKey}
	owner := &merchant{t: t, c: c, base: centrapaySvc.BaseURL, key: mockcentrapay.MerchantOwnerKey}

	hookURL, hooks := webhookReceiver(t, sb, centrapaySvc.BaseURL)
	owner.do(http.MethodPut, "/api/webhook-subscriptions", map[string]any{
		"url": hookURL, "eventTypes": []string{"payment-request:paid", "payment-request:refund-initiated", "payment-request:refund-completed"},
	}, http.StatusOK, nil)

	pr := pos.newPaymentRequest("1200")

	a := &app{t: t, c: c, base: payapSvc.BaseURL}
	var sess struct{ Token string }
	a.do(http.MethodPost, "/api/sessions", map[string]string{"email": mockpayap.DemoEmail, "password": mockpayap.DemoPassword}, http.StatusCreated, &sess)
	a.token = sess.Token
	var conn connection
	a.do(http.MethodPost, "/api/connections", map[string]string{"assetType": "payap-example"}, http.StatusCreated, &conn)
	a.consent(conn.AuthURL)
	wallet := a.wallet()
	before, _ := sb.ProviderStore.Asset("12345")

	var p payment
	a.do(http.MethodPost, "/api/payments", map[string]string{"paymentRequestId": pr.ID, "walletEntryId": wallet["12345"].ID}, http.StatusCreated, &p)
	if p.Status != mockpayap.PaymentSuccessful {
		t.Fatalf("payment = %+v, want successful", p)
	}
	// The POS polls the request until it is paid.
	paid := false
	for i := 0; i < 50 && !paid; i++ {
		paid = pos.paymentRequest(pr.ID).Status == "paid"
	}
	if !paid {
		t.Fatalf("payment request %s never became paid", pr.ID)
	}
	after, _ := sb.ProviderStore.Asset("12345")
	if after.Balance != before.Balance-1200 {
		t.Fatalf("provider balance %d after paying 1200 from %d", after.Balance, before.Balance)
	}

	waitHook := func(eventType string) map[string]any {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case n := <-hooks:
				if n["type"] == eventType {
					return n
				}
			case <-deadline:
				t.Fatalf("no %s webhook arrived", eventType)
			}
		}
	}
	n := waitHook("payment-request:paid")
	if data, _ := n["data"].(map[string]any); data["paymentRequestId"] != pr.ID {
		t.Fatalf("paid webhook %v is not about %s", n, pr.ID)
	}

	// A partial refund flows Centrapay → Payap → provider /refund.
	pos.do(http.MethodPost, "/api/payment-requests/"+pr.ID+"/refund", map[string]any{
		"value": map[string]string{"amount": "500", "currency": "NZD"}, "externalRef": "refund-1",
	}, http.StatusOK, nil)
	refunded, _ := sb.ProviderStore.Asset("12345")
	if refunded.Balance != after.Balance+500 {
		t.Fatalf("provider balance %d after refunding 500 to %d", refunded.Balance, after.Balance)
	}
	waitHook("payment-request:refund-completed")

	// A pending payment on another request, then the merchant voids it.
	if err := sb.ProviderStore.SetAssetSettings(mockprovider.PendingAssetID, mockprovider.AssetSettings{PendingPolls: 1000, PartialRefunds: true}); err != nil {
		t.Fatal(err)
	}
	pr2 := pos.newPaymentRequest("700")
	var p2 payment
	a.do(http.MethodPost, "/api/payments", map[string]string{"paymentRequestId": pr2.ID, "walletEntryId": wallet[mockprovider.PendingAssetID].ID}, http.StatusCreated, &p2)
	if p2.Status != mockpayap.PaymentPending {
		t.Fatalf("payment with the pending asset = %+v, want pending", p2)
	}
	pos.do(http.MethodPost, "/api/payment-requests/"+pr2.ID+"/void", nil, http.StatusOK, nil)
	if got := pos.paymentRequest(pr2.ID); got.Status != "cancelled" {
		t.Fatalf("voided request is %q", got.Status)
	}
	// The next time the wallet looks at its payment, Payap sees the request
	// cancelled and cancels the provider transaction.
	a.do(http.MethodGet, "/api/payments/"+p2.ID, nil, http.StatusOK, &p2)
	if p2.Status != mockpayap.PaymentFailed {
		t.Fatalf("payment after the void = %+v, want failed", p2)
	}
	tx, ok := sb.ProviderStore.Transaction(p2.TransactionID)
	if !ok || tx.Attempt.Status != "failed" || tx.Attempt.FailureReason != "CANCELLED_BY_MERCHANT" {
		t.Fatalf("provider transaction = %+v, want failed CANCELLED_BY_MERCHANT", tx.Attempt)
	}
	slow, _ := sb.ProviderStore.Asset(mockprovider.PendingAssetID)
	if slow.Balance != 20000 {
		t.Fatalf("the cancelled payment's hold was not released: balance %d", slow.Balance)
	}
}
