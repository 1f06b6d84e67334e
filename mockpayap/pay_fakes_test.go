package mockpayap_test

// Fakes for the Spend tests: a provider's payment endpoints (contract (1)),
// mounted on the fakeProvider of helpers_test.go, and a fake Centrapay
// (contract (2)) that also signs contract (3)'s refund requests. Helpers
// carry a pay prefix.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockpayap"
)

// payCall is one request a fake received, body byte for byte.
type payCall struct {
	Method        string
	Path          string
	Query         string
	Authorization string
	APIKey        string
	Body          []byte
}

func payRecord(r *http.Request) payCall {
	b, _ := io.ReadAll(r.Body)
	return payCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Authorization: r.Header.Get("Authorization"), APIKey: r.Header.Get("X-Api-Key"), Body: b}
}

// json decodes a call's body (nil when it is not a JSON object).
func (c payCall) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(c.Body, &m)
	return m
}

// payReply is a fake's scripted answer: a status and a JSON body (a string
// is sent as is).
type payReply struct {
	Status int
	Body   any
}

func payWrite(w http.ResponseWriter, rep payReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	switch b := rep.Body.(type) {
	case nil:
	case string:
		_, _ = io.WriteString(w, b)
	default:
		_ = json.NewEncoder(w).Encode(b)
	}
}

// payAttemptOf answers a Transaction Attempt: the request's fields with a
// status, a type and, when failed, a reason.
func payAttemptOf(req map[string]any, typ, status, reason string) map[string]any {
	out := map[string]any{}
	for k, v := range req {
		out[k] = v
	}
	out["type"], out["status"] = typ, status
	if reason != "" {
		out["failureReason"] = reason
	}
	if typ == "payment" && status == "successful" {
		out["refundable"], out["refundBefore"] = true, "2026-04-01T09:00:00.000Z"
	}
	return out
}

// payProvider is a provider's payment surface. By default /pay succeeds,
// /get answers the last state of a transaction (or {}), /cancel fails a
// pending one with the given reason (409 for a final one) and /refund
// succeeds. The On* hooks change that; n counts that endpoint's calls from
// 1. When Verifier is set, Payap JWTs are checked and a bad one is 401.
type payProvider struct {
	mu       sync.Mutex
	calls    []payCall
	txns     map[string]map[string]any
	verifier *payapjwt.Verifier

	OnPay    func(n int, attempt map[string]any) payReply
	OnGet    func(n int, txn string, current map[string]any) payReply
	OnCancel func(n int, req map[string]any, current map[string]any) payReply
	OnRefund func(n int, req map[string]any) payReply
	// PayHang makes the first n /pay calls wait until Payap gives up.
	PayHang int
}

func newPayProvider() *payProvider { return &payProvider{txns: map[string]map[string]any{}} }

// set changes the fake under its lock.
func (pp *payProvider) set(f func(pp *payProvider)) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	f(pp)
}

// callsTo lists the calls to one path, oldest first.
func (pp *payProvider) callsTo(path string) []payCall {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	var out []payCall
	for _, c := range pp.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (pp *payProvider) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /pay", pp.handle(func(n int, c payCall) payReply {
		if !strings.HasPrefix(c.Authorization, "Bearer at-") {
			return payReply{http.StatusUnauthorized, map[string]string{"error": "invalid_token"}}
		}
		var a map[string]any
		if json.Unmarshal(c.Body, &a) != nil {
			return payReply{http.StatusBadRequest, map[string]string{"error": "not JSON"}}
		}
		rep := payReply{http.StatusOK, payAttemptOf(a, "payment", "successful", "")}
		if pp.OnPay != nil {
			rep = pp.OnPay(n, a)
		}
		if m, ok := rep.Body.(map[string]any); ok && rep.Status == http.StatusOK {
			pp.txns[fmt.Sprint(a["transactionId"])] = m
		}
		return rep
	}))
	mux.HandleFunc("GET /get", pp.handle(func(n int, c payCall) payReply {
		txn := strings.TrimPrefix(c.Query, "transactionId=")
		cur := pp.txns[txn]
		rep := payReply{http.StatusOK, map[string]any{}}
		if cur != nil {
			rep.Body = cur
		}
		if pp.OnGet != nil {
			rep = pp.OnGet(n, txn, cur)
			if m, ok := rep.Body.(map[string]any); ok && len(m) > 0 {
				pp.txns[txn] = m
			}
		}
		return rep
	}))
	mux.HandleFunc("POST /cancel", pp.handle(func(n int, c payCall) payReply {
		req := c.json()
		txn := fmt.Sprint(req["transactionId"])
		cur := pp.txns[txn]
		if pp.OnCancel != nil {
			return pp.OnCancel(n, req, cur)
		}
		if cur == nil || cur["status"] != "pending" {
			return payReply{http.StatusConflict, map[string]string{"error": "transaction is final"}}
		}
		cur = payAttemptOf(cur, "payment", "failed", fmt.Sprint(req["failureReason"]))
		pp.txns[txn] = cur
		return payReply{http.StatusOK, cur}
	}))
	mux.HandleFunc("POST /refund", pp.handle(func(n int, c payCall) payReply {
		req := c.json()
		if pp.OnRefund != nil {
			return pp.OnRefund(n, req)
		}
		return payReply{http.StatusOK, payAttemptOf(req, "refund", "successful", "")}
	}))
}

// handle records the call, checks a Payap JWT on the JWT endpoints when a
// verifier is set, and answers with reply under the lock.
func (pp *payProvider) handle(reply func(n int, c payCall) payReply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := payRecord(r)
		pp.mu.Lock()
		pp.calls = append(pp.calls, c)
		n := 0
		for _, o := range pp.calls {
			if o.Path == c.Path {
				n++
			}
		}
		hang := c.Path == "/pay" && n <= pp.PayHang
		v := pp.verifier
		pp.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if v != nil && c.Path != "/pay" {
			var body []byte
			if r.Method != http.MethodGet {
				body = c.Body
			}
			if _, err := v.Verify(r.Context(), c.Authorization, body); err != nil {
				payWrite(w, payReply{http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": err.Error()}})
				return
			}
		}
		pp.mu.Lock()
		rep := reply(n, c)
		pp.mu.Unlock()
		payWrite(w, rep)
	}
}

// ---------------------------------------------------------------------------
// The fake Centrapay.

const (
	payPRID      = "PrSandbox1111111111111"
	payShortCode = "CP-C7F-ZS5"
	payAPIKey    = "cp-sandbox-payap-owner"
)

// payCentrapay serves GET /api/payment-requests/{id}, /short-code/{code},
// POST /api/payment-requests/{id}/pay and its JWKS, and signs refund
// requests to Payap with its own keys.
type payCentrapay struct {
	URL    string
	Keys   *payapjwt.Keyring
	Signer *payapjwt.Signer
	srv    *httptest.Server

	mu    sync.Mutex
	prs   map[string]map[string]any
	calls []payCall
	// OnRead runs before each read of a request (n counts reads from 1) and
	// may change it.
	OnRead func(n int, pr map[string]any)
	// OnPay answers the pay call; nil records it (200) and marks the
	// request paid.
	OnPay func(n int, body map[string]any) payReply
	// Down answers every call 503.
	Down bool
}

// payPR is a new test payment request of 500 NZD cents accepting
// centrapay.nzd.test and payap-example.test, expiring 120 s after start.
func payPR(id string) map[string]any {
	return map[string]any{
		"id": id, "shortCode": payShortCode, "url": "https://app.centrapay.com/pay/" + id,
		"value": map[string]any{"amount": "500", "currency": "NZD"},
		"paymentOptions": []any{
			map[string]any{"assetType": "centrapay.nzd.test", "amount": "500"},
			map[string]any{"assetType": "payap-example.test", "amount": "500"},
		},
		"merchantId": "SbxMerchant11111111111", "merchantName": "Sandbox Merchant", "configId": "mc_SbxMerchantConfig11111",
		"status": "new", "liveness": "test", "remainingAmount": "500",
		"createdAt": start.Format("2006-01-02T15:04:05.000Z"), "updatedAt": start.Format("2006-01-02T15:04:05.000Z"),
		"expiresAt": start.Add(120 * time.Second).Format("2006-01-02T15:04:05.000Z"), "expirySeconds": 120,
		"merchantConditions": []any{},
	}
}

func newPayCentrapay(t testing.TB, clk *clock.Clock) *payCentrapay {
	t.Helper()
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	cp := &payCentrapay{Keys: keys, Signer: payapjwt.NewSigner(keys, clk), prs: map[string]map[string]any{payPRID: payPR(payPRID)}}
	forbidden := payReply{http.StatusForbidden, map[string]any{"statusCode": 403, "error": "Forbidden", "message": "Forbidden"}}
	mux := http.NewServeMux()
	mux.Handle("GET /api/.well-known/jwks.json", keys)
	read := func(w http.ResponseWriter, find func() map[string]any) {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		pr := find()
		if pr == nil {
			payWrite(w, forbidden)
			return
		}
		n := 0
		for _, c := range cp.calls {
			if c.Method == http.MethodGet {
				n++
			}
		}
		if cp.OnRead != nil {
			cp.OnRead(n, pr)
		}
		payWrite(w, payReply{http.StatusOK, pr})
	}
	mux.HandleFunc("GET /api/payment-requests/{id}", cp.guard(func(w http.ResponseWriter, r *http.Request, _ payCall) {
		read(w, func() map[string]any { return cp.prs[r.PathValue("id")] })
	}))
	mux.HandleFunc("GET /api/payment-requests/short-code/{code}", cp.guard(func(w http.ResponseWriter, r *http.Request, _ payCall) {
		if !strings.HasPrefix(r.PathValue("code"), "CP-") {
			payWrite(w, payReply{http.StatusBadRequest, map[string]any{"statusCode": 400, "error": "Bad Request", "message": "CHECKSUM_FAILED"}})
			return
		}
		read(w, func() map[string]any {
			for _, pr := range cp.prs {
				if pr["shortCode"] == r.PathValue("code") {
					return pr
				}
			}
			return nil
		})
	}))
	mux.HandleFunc("POST /api/payment-requests/{id}/pay", cp.guard(func(w http.ResponseWriter, r *http.Request, c payCall) {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		pr := cp.prs[r.PathValue("id")]
		if pr == nil {
			payWrite(w, forbidden)
			return
		}
		body := c.json()
		n := 0
		for _, c := range cp.calls {
			if c.Method == http.MethodPost {
				n++
			}
		}
		if cp.OnPay != nil {
			payWrite(w, cp.OnPay(n, body))
			return
		}
		pr["status"], pr["remainingAmount"] = "paid", "0"
		payWrite(w, payReply{http.StatusOK, map[string]any{"id": "act_1", "type": "payment", "paymentRequestId": pr["id"], "assetType": body["assetType"],
			"idempotencyKey": body["idempotencyKey"], "value": pr["value"], "external": true}})
	}))
	cp.srv = httptest.NewServer(mux)
	t.Cleanup(cp.srv.Close)
	cp.URL = cp.srv.URL
	return cp
}

// guard records a call and checks Payap's API key.
func (cp *payCentrapay) guard(h func(w http.ResponseWriter, r *http.Request, c payCall)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := payRecord(r)
		cp.mu.Lock()
		cp.calls = append(cp.calls, c)
		down := cp.Down
		cp.mu.Unlock()
		switch {
		case down:
			payWrite(w, payReply{http.StatusServiceUnavailable, map[string]any{"statusCode": 503, "error": "Service Unavailable", "message": "down"}})
		case c.APIKey != payAPIKey:
			payWrite(w, payReply{http.StatusUnauthorized, map[string]any{"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"}})
		default:
			h(w, r, c)
		}
	}
}

func (cp *payCentrapay) set(f func(cp *payCentrapay)) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	f(cp)
}

// setPR changes a stored payment request.
func (cp *payCentrapay) setPR(id string, f func(pr map[string]any)) {
	cp.set(func(cp *payCentrapay) {
		if cp.prs[id] == nil {
			cp.prs[id] = payPR(id)
		}
		f(cp.prs[id])
	})
}

func (cp *payCentrapay) reads() int { return cp.count(http.MethodGet) }
func (cp *payCentrapay) posts() []payCall {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var out []payCall
	for _, c := range cp.calls {
		if c.Method == http.MethodPost {
			out = append(out, c)
		}
	}
	return out
}

func (cp *payCentrapay) count(method string) int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	n := 0
	for _, c := range cp.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// The environment: a mock Payap, a fake provider with payments and a fake
// Centrapay, on one frozen clock, the demo user connected with both scopes.

type payEnv struct {
	*fakeEnv
	Prov  *payProvider
	CP    *payCentrapay
	token string
	entry string // the demo user's wallet entry for the fake's asset f1
}

type payEnvOpts struct {
	scope  string // the scope the fake grants; "" for both
	config []func(*mockpayap.Config)
	fake   []func(*fakeProvider)
}

func payFake(f func(*fakeProvider)) func(*payEnvOpts) {
	return func(o *payEnvOpts) { o.fake = append(o.fake, f) }
}

func payScope(s string) func(*payEnvOpts) { return func(o *payEnvOpts) { o.scope = s } }
func payConfig(f func(*mockpayap.Config)) func(*payEnvOpts) {
	return func(o *payEnvOpts) { o.config = append(o.config, f) }
}

func newPayEnv(t testing.TB, opts ...func(*payEnvOpts)) *payEnv {
	t.Helper()
	var o payEnvOpts
	for _, f := range opts {
		f(&o)
	}
	clk := clock.NewFrozen(start)
	cp := newPayCentrapay(t, clk)
	pp := newPayProvider()
	fake := newFakeProvider(t, func(f *fakeProvider) {
		f.Routes = pp.routes
		if o.scope != "" {
			f.TokenScope = &o.scope
		}
		for _, c := range o.fake {
			c(f)
		}
	})
	mutate := append([]func(*mockpayap.Config){func(c *mockpayap.Config) { c.CentrapayURL = cp.URL }}, o.config...)
	p := startPayap(t, reservePayap(t), clk, fake.URL, mutate...)
	pp.set(func(pp *payProvider) {
		pp.verifier = payapjwt.NewVerifier(p.URL+"/.well-known/jwks.json", fake.URL, nil, clk)
	})
	e := &payEnv{fakeEnv: &fakeEnv{payapPeer: p, t: t, Clock: clk, Fake: fake}, Prov: pp, CP: cp}
	e.token = e.demo()
	out := e.connect(e.token)
	for _, we := range out.WalletEntries {
		if we.AssetID == "f1" {
			e.entry = we.ID
		}
	}
	if e.entry == "" {
		t.Fatalf("connecting made no entry for f1: %+v", out)
	}
	return e
}

func (e *payEnv) demo() string { return e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword) }

// other signs in a seeded user who is not the demo user.
func (e *payEnv) other() string {
	e.t.Helper()
	for _, u := range e.Store.Users() {
		if u.ID != mockpayap.DemoUserID {
			return e.signIn(u.Email, u.Password)
		}
	}
	e.t.Fatal("the seed made no second user")
	return ""
}

// payment is the app's view of a payment.
type payment struct {
	ID                    string         `json:"id"`
	PaymentRequestID      string         `json:"paymentRequestId"`
	WalletEntryID         string         `json:"walletEntryId"`
	AssetType             string         `json:"assetType"`
	CentrapayAssetType    string         `json:"centrapayAssetType"`
	Amount                string         `json:"amount"`
	Currency              string         `json:"currency"`
	MerchantName          string         `json:"merchantName"`
	MerchantID            string         `json:"merchantId"`
	TransactionID         string         `json:"transactionId"`
	Status                string         `json:"status"`
	FailureReason         string         `json:"failureReason"`
	ProviderFailureReason string         `json:"providerFailureReason"`
	Problem               *problem       `json:"problem"`
	CentrapayStatus       string         `json:"centrapayStatus"`
	CentrapayError        map[string]any `json:"centrapayError"`
	CreatedAt             string         `json:"createdAt"`
	UpdatedAt             string         `json:"updatedAt"`
	Refunds               []struct {
		ID            string `json:"id"`
		Amount        string `json:"amount"`
		Currency      string `json:"currency"`
		Status        string `json:"status"`
		FailureReason string `json:"failureReason"`
	} `json:"refunds"`
}

// pay is POST /api/payments for the demo user's f1 entry and the fake's
// payment request, wanting 201.
func (e *payEnv) pay() payment {
	e.t.Helper()
	var p payment
	e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": payPRID, "walletEntryId": e.entry}).want(http.StatusCreated, &p)
	return p
}

func (e *payEnv) payment(id string) payment {
	e.t.Helper()
	var p payment
	e.do(http.MethodGet, "/api/payments/"+id, e.token, nil).want(http.StatusOK, &p)
	return p
}

// verifyPayapJWT checks a call's Authorization the way a provider must:
// against Payap's served JWKS, aud = the fake's base URL, the exact body.
func (e *payEnv) verifyPayapJWT(c payCall) payapjwt.Claims {
	e.t.Helper()
	var body []byte
	if c.Method != http.MethodGet {
		body = c.Body
	}
	v := payapjwt.NewVerifier(e.URL+"/.well-known/jwks.json", e.Fake.URL, nil, e.Clock)
	claims, err := v.Verify(context.Background(), c.Authorization, body)
	if err != nil {
		e.t.Fatalf("%s %s: the Payap JWT does not verify: %v", c.Method, c.Path, err)
	}
	if strings.HasPrefix(c.Authorization, "Bearer ") {
		e.t.Errorf("%s %s: Authorization %q; the guide sends the bare JWT", c.Method, c.Path, c.Authorization[:10])
	}
	if c.Method == http.MethodGet && claims.RequestBodySHA256 != "" {
		e.t.Errorf("GET %s: the JWT has request_body_sha256 %s; a GET has no body hash", c.Path, claims.RequestBodySHA256)
	}
	if c.Method != http.MethodGet && claims.RequestBodySHA256 != payapjwt.BodySHA256(c.Body) {
		e.t.Errorf("%s %s: request_body_sha256 %s is not the hash of the exact bytes sent", c.Method, c.Path, claims.RequestBodySHA256)
	}
	return claims
}

// refund POSTs a contract (3) refund to Payap, signed by the fake
// Centrapay with faults, and returns the answer.
func (e *payEnv) refund(body string, faults ...payapjwt.Fault) *result {
	e.t.Helper()
	jwt, err := e.CP.Signer.SignWith(e.URL, []byte(body), faults...)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, "/centrapay/refunds", "", body, withHeader("Authorization", jwt))
}

func payRefundBody(refundID, txn, amount string) string {
	return fmt.Sprintf(`{"refundId":%q,"paymentTransactionId":%q,"paymentRequestId":%q,"assetType":"payap-example.test","amount":%q,"currency":"NZD"}`,
		refundID, txn, payPRID, amount)
}

// payJWTParts decodes a compact JWT's header and claims without checking it.
func payJWTParts(t testing.TB, jwt string) (header, claims map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", jwt)
	}
	for i, into := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(into); err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, claims, parts[2]
}
