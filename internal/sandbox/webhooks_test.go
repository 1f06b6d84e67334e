package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockcentrapay"
)

// TestCentrapayWebhooksDeliveredThroughTheSandbox: a subscription set over
// the API, a notification, and the running sandbox delivers it signed with
// Centrapay's keys, which a receiver verifies against the JWKS the mock
// Centrapay serves.
func TestCentrapayWebhooksDeliveredThroughTheSandbox(t *testing.T) {
	sb := MustStart(t)
	centrapay, _ := sb.Service(sandbox.ServiceCentrapay)
	c := newClient(t)

	type delivery struct {
		body []byte
		err  error
	}
	got := make(chan delivery, 4)
	var verifier *payapjwt.Verifier
	rv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := verifier.Verify(r.Context(), r.Header.Get("Authorization"), body)
		got <- delivery{body, err}
	}))
	t.Cleanup(rv.Close)
	verifier = payapjwt.NewVerifier(centrapay.BaseURL+"/api/.well-known/jwks.json", rv.URL, c, sb.Clock)

	req, _ := http.NewRequest(http.MethodPut, centrapay.BaseURL+"/api/webhook-subscriptions",
		strings.NewReader(`{"url":"`+rv.URL+`/hooks","eventTypes":["payment-request:paid"]}`))
	req.Header.Set("X-Api-Key", mockcentrapay.MerchantOwnerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, http.StatusOK, &struct{}{})

	sb.CentrapayWebhooks.Notify(mockcentrapay.SandboxMerchantAccountID, mockcentrapay.WebhookEventPaid, map[string]string{"type": "payment"}, true)
	select {
	case d := <-got:
		if d.err != nil {
			t.Fatalf("the receiver could not verify the webhook: %v", d.err)
		}
		if !strings.Contains(string(d.body), `"type":"payment-request:paid"`) {
			t.Fatalf("body %s", d.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook within 10 s")
	}
}
