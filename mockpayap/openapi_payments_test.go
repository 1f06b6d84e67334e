package mockpayap

// The Spend endpoints' answers, success and error, checked against
// openapi.json by oaClient (openapi_test.go) against a small provider with
// payment endpoints and a small Centrapay. Helpers carry an oa prefix.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	oa "github.com/payap/payap-sandbox/internal/openapitest"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// oaPayRoutes are a provider's payment endpoints: asset 56789 is too poor,
// payment request PrPending stays pending, a refund of 999 is declined.
func oaPayRoutes(m *http.ServeMux) {
	var mu sync.Mutex
	txns := map[string]map[string]any{}
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	read := func(r *http.Request) map[string]any {
		var v map[string]any
		_ = json.NewDecoder(r.Body).Decode(&v)
		return v
	}
	m.HandleFunc("POST /pay", func(w http.ResponseWriter, r *http.Request) {
		a := read(r)
		a["type"], a["status"] = "payment", "successful"
		switch {
		case a["authorization"] == "56789":
			a["status"], a["failureReason"] = "failed", "INSUFFICIENT_ASSET_VALUE"
		case a["paymentRequestId"] == "PrPending":
			a["status"] = "pending"
		}
		mu.Lock()
		txns[fmt.Sprint(a["transactionId"])] = a
		mu.Unlock()
		write(w, http.StatusOK, a)
	})
	m.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := txns[r.URL.Query().Get("transactionId")]
		mu.Unlock()
		if a == nil {
			a = map[string]any{}
		}
		write(w, http.StatusOK, a)
	})
	m.HandleFunc("POST /cancel", func(w http.ResponseWriter, r *http.Request) {
		c := read(r)
		mu.Lock()
		defer mu.Unlock()
		a := txns[fmt.Sprint(c["transactionId"])]
		if a == nil || a["status"] != "pending" {
			write(w, http.StatusConflict, map[string]string{"error": "not pending"})
			return
		}
		a["status"], a["failureReason"] = "failed", c["failureReason"]
		write(w, http.StatusOK, a)
	})
	m.HandleFunc("POST /refund", func(w http.ResponseWriter, r *http.Request) {
		a := read(r)
		a["type"], a["status"] = "refund", "successful"
		if a["amount"] == "999" {
			a["status"], a["failureReason"] = "failed", "PARTIAL_REFUNDS_NOT_ALLOWED"
		}
		write(w, http.StatusOK, a)
	})
}

// oaCentrapay serves payment requests for asset type oa-points: PrOK,
// PrFail, PrPending, PrAgain, PrRace (whose payment it then refuses to
// record), and PrPaid and PrOther, which cannot be paid with it.
type oaCentrapay struct {
	srv    *httptest.Server
	signer *payapjwt.Signer
}

func oaStartCentrapay(t *testing.T) *oaCentrapay {
	t.Helper()
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, oaClock{oaNow})
	if err != nil {
		t.Fatal(err)
	}
	pr := func(id, status string, options ...string) map[string]any {
		var opts []any
		for _, o := range options {
			opts = append(opts, map[string]any{"assetType": o, "amount": "500"})
		}
		return map[string]any{"id": id, "shortCode": "CP-" + strings.ToUpper(id[2:4]) + "X-OA1", "value": map[string]any{"amount": "500", "currency": "NZD"},
			"paymentOptions": opts, "merchantId": "SbxMerchant11111111111", "merchantName": "Sandbox Merchant", "status": status,
			"liveness": "test", "remainingAmount": "500", "expiresAt": "2025-06-01T09:02:00.000Z"}
	}
	prs := map[string]map[string]any{}
	for _, id := range []string{"PrOK", "PrFail", "PrPending", "PrRace", "PrAgain"} {
		prs[id] = pr(id, "new", "centrapay.nzd.test", "oa-points.test")
	}
	prs["PrPaid"] = pr("PrPaid", "paid", "oa-points.test")
	prs["PrOther"] = pr("PrOther", "new", "centrapay.nzd.test")
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	forbidden := map[string]any{"statusCode": 403, "error": "Forbidden", "message": "Forbidden"}
	m := http.NewServeMux()
	m.Handle("GET /api/.well-known/jwks.json", keys)
	m.HandleFunc("GET /api/payment-requests/{id}", func(w http.ResponseWriter, r *http.Request) {
		if p := prs[r.PathValue("id")]; p != nil {
			write(w, http.StatusOK, p)
			return
		}
		write(w, http.StatusForbidden, forbidden)
	})
	m.HandleFunc("GET /api/payment-requests/short-code/{code}", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "error": "Bad Request", "message": "CHECKSUM_FAILED"})
	})
	m.HandleFunc("POST /api/payment-requests/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "PrRace" {
			write(w, http.StatusForbidden, map[string]any{"statusCode": 403, "error": "Forbidden", "message": "REQUEST_EXPIRED", "reason": "the payment request expired"})
			return
		}
		write(w, http.StatusOK, map[string]any{"id": "act_1", "type": "payment"})
	})
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return &oaCentrapay{srv: srv, signer: payapjwt.NewSigner(keys, oaClock{oaNow})}
}

// TestOpenAPIPaymentResponsesMatchSchemas walks Spend, refunds and the JWT
// probe and checks every answer against the document.
func TestOpenAPIPaymentResponsesMatchSchemas(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	fp := oaStartProvider(t, oaPayRoutes)
	cp := oaStartCentrapay(t)
	env := oaNewEnv(t, func(cfg *Config, d *Deps) {
		d.HTTPClient = fp.srv.Client()
		cfg.CentrapayURL = cp.srv.URL
		cfg.PayPolls = 1
		cfg.PayRetries = 0
	})
	if err := RegisterAssetType(env.store, ProviderConfig{Name: "oa-points", Description: "OA Points", ClientID: "payap"}, fp.srv.URL); err != nil {
		t.Fatal(err)
	}
	c := &oaClient{t: t, doc: doc, h: env.h}
	c.token = oaSignIn(t, c)
	const ctJSON = "application/json"

	conn := c.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"oa-points"}`, http.StatusCreated).body
	done := c.call("GET", "/callback", "/callback?code=oa-code&state="+oaState(t, conn)+"&iss="+url.QueryEscape(fp.srv.URL), "", "", http.StatusOK).body
	entries := oa.Slice(oa.At(done, "walletEntries"))
	rich, poor := fmt.Sprint(oa.At(entries[0], "id")), fmt.Sprint(oa.At(entries[1], "id"))
	connID := fmt.Sprint(oa.At(conn, "id"))
	pay := func(pr, entry string, want int) oaResult {
		t.Helper()
		return c.call("POST", "/api/payments", "/api/payments", ctJSON, `{"paymentRequestId":"`+pr+`","walletEntryId":"`+entry+`"}`, want)
	}

	c.call("GET", "/api/payments", "/api/payments", "", "", http.StatusOK)
	ok := pay("PrOK", rich, http.StatusCreated)
	if oa.At(ok.body, "status") != PaymentSuccessful || oa.At(ok.body, "centrapayStatus") != CentrapayRecorded {
		t.Errorf("PrOK: %s", ok.rec.Body.String())
	}
	if r := pay("PrFail", poor, http.StatusCreated); oa.At(r.body, "failureReason") != "INSUFFICIENT_ASSET_VALUE" {
		t.Errorf("PrFail: %s", r.rec.Body.String())
	}
	pending := pay("PrPending", rich, http.StatusCreated)
	if oa.At(pending.body, "status") != PaymentPending {
		t.Errorf("PrPending: %s", pending.rec.Body.String())
	}
	if r := pay("PrRace", rich, http.StatusCreated); oa.At(r.body, "centrapayStatus") != CentrapayUnsettled {
		t.Errorf("PrRace: %s", r.rec.Body.String())
	}
	pay("PrPending", rich, http.StatusConflict) // already being paid
	pay("PrPaid", rich, http.StatusConflict)
	pay("PrOther", rich, http.StatusConflict)
	pay("PrNowhere", rich, http.StatusNotFound)
	pay("PrOK", "we_9999", http.StatusBadRequest)
	c.call("POST", "/api/payments", "/api/payments", ctJSON, `{"shortCode":"CP-XXX-XX0","walletEntryId":"`+rich+`"}`, http.StatusBadRequest)
	c.call("POST", "/api/payments", "/api/payments", ctJSON, `{"walletEntryId":"`+rich+`"}`, http.StatusBadRequest)
	c.call("POST", "/api/payments", "/api/payments", ctJSON, `{"paymentRequestId":"PrOK","shortCode":"CP-OKX-OA1","walletEntryId":"`+rich+`"}`, http.StatusBadRequest)
	c.call("POST", "/api/payments", "/api/payments", "text/plain", `{}`, http.StatusUnsupportedMediaType)

	c.call("GET", "/api/payments", "/api/payments", "", "", http.StatusOK)
	c.call("GET", "/api/payments/{id}", "/api/payments/"+fmt.Sprint(oa.At(pending.body, "id")), "", "", http.StatusOK)
	c.call("GET", "/api/payments/{id}", "/api/payments/pay_9999", "", "", http.StatusNotFound)

	// Refunds, as Centrapay sends them.
	txn := fmt.Sprint(oa.At(ok.body, "transactionId"))
	refund := func(body string, want int, faults ...payapjwt.Fault) oaResult {
		t.Helper()
		jwt, err := cp.signer.SignWith("http://127.0.0.1:8402", []byte(body), faults...)
		if err != nil {
			t.Fatal(err)
		}
		rc := &oaClient{t: t, doc: doc, h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("Authorization", jwt)
			env.h.ServeHTTP(w, r)
		})}
		return rc.call("POST", "/centrapay/refunds", "/centrapay/refunds", ctJSON, body, want)
	}
	refundBody := func(id, txn, amount string) string {
		return `{"refundId":"` + id + `","paymentTransactionId":"` + txn + `","amount":"` + amount + `","currency":"NZD"}`
	}
	refund(refundBody("rf_1", txn, "100"), http.StatusOK)
	refund(refundBody("rf_2", txn, "999"), http.StatusOK)
	refund(refundBody("rf_1", txn, "300"), http.StatusConflict)
	refund(refundBody("rf_3", fmt.Sprint(oa.At(pending.body, "transactionId")), "1"), http.StatusConflict)
	refund(refundBody("rf_4", "ptx_nowhere", "1"), http.StatusNotFound)
	refund(`{"refundId":"rf_5"}`, http.StatusBadRequest)
	refund(refundBody("rf_6", txn, "1"), http.StatusUnauthorized, payapjwt.WrongAudience("http://127.0.0.1:8401"))
	c.call("GET", "/api/payments/{id}", "/api/payments/"+fmt.Sprint(oa.At(ok.body, "id")), "", "", http.StatusOK)

	// The JWT probe.
	probe := func(body string, want int) oaResult {
		t.Helper()
		return c.call("POST", "/api/sandbox/jwt-probe", "/api/sandbox/jwt-probe", ctJSON, body, want)
	}
	probe(`{"assetType":"oa-points","endpoint":"get","transactionId":"`+txn+`"}`, http.StatusOK)
	probe(`{"assetType":"oa-points","endpoint":"refund","fault":"alg_none"}`, http.StatusOK)
	probe(`{"assetType":"oa-points","endpoint":"cancel","fault":"rot13"}`, http.StatusBadRequest)
	probe(`{"assetType":"payap-example","endpoint":"get"}`, http.StatusBadGateway) // its provider is unreachable

	// A connection that cannot pay is refused before anything is called.
	cn, _ := env.store.Connection(connID)
	if err := env.store.SetTokens(connID, cn.tokens, "assets:read"); err != nil {
		t.Fatal(err)
	}
	pay("PrAgain", rich, http.StatusForbidden)
	if err := env.store.NeedsReconnect(connID, Problem{Code: "invalid_grant", Message: "gone"}); err != nil {
		t.Fatal(err)
	}
	pay("PrAgain", rich, http.StatusConflict)

	// Without Centrapay.
	lone := oaNewEnv(t, func(_ *Config, d *Deps) { d.HTTPClient = fp.srv.Client() })
	if err := RegisterAssetType(lone.store, ProviderConfig{Name: "oa-points", Description: "OA Points", ClientID: "payap"}, fp.srv.URL); err != nil {
		t.Fatal(err)
	}
	lc := &oaClient{t: t, doc: doc, h: lone.h}
	lc.token = oaSignIn(t, lc)
	lconn := lc.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"oa-points"}`, http.StatusCreated).body
	ldone := lc.call("GET", "/callback", "/callback?code=oa-code&state="+oaState(t, lconn)+"&iss="+url.QueryEscape(fp.srv.URL), "", "", http.StatusOK).body
	lentry := fmt.Sprint(oa.At(oa.Slice(oa.At(ldone, "walletEntries"))[0], "id"))
	lc.call("POST", "/api/payments", "/api/payments", ctJSON, `{"paymentRequestId":"PrOK","walletEntryId":"`+lentry+`"}`, http.StatusBadGateway)
}
