package mockcentrapay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// woSafety bounds every wait on a channel in these tests; it is never
// reached when the code works.
const woSafety = 10 * time.Second

// woRequest is one request the fake wallet operator received.
type woRequest struct {
	Path          string
	Authorization string
	Raw           []byte
	Body          map[string]string
	Claims        payapjwt.Claims
	VerifyErr     error
}

// woBehaviour answers one request of the fake wallet operator.
type woBehaviour func(w http.ResponseWriter, r *http.Request, req woRequest)

func woAnswer(status int, body string) woBehaviour {
	return func(w http.ResponseWriter, _ *http.Request, _ woRequest) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

var (
	woSuccessful = woAnswer(http.StatusOK, `{"status":"successful"}`)
	woServerDown = woAnswer(http.StatusBadGateway, `{"error":{"code":"provider_unavailable","message":"the provider cannot be reached"}}`)
	woBadToken   = woAnswer(http.StatusUnauthorized, `{"error":{"code":"invalid_token","message":"bad JWT"}}`)
)

func woFailed(reason string) woBehaviour {
	b, _ := json.Marshal(map[string]string{"status": "failed", "failureReason": reason})
	return woAnswer(http.StatusOK, string(b))
}

// woHang never answers: it waits until the caller gives up (or the test
// ends).
func woHang(release <-chan struct{}) woBehaviour {
	return func(_ http.ResponseWriter, r *http.Request, _ woRequest) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

// woOperator is a fake wallet operator (the Payap backend's POST
// /centrapay/refunds): it verifies Centrapay's JWT against Centrapay's JWKS,
// served from its own test server, with aud = its base URL and the body
// hash; records every request; and answers with its current behaviour
// (successful unless set). A request whose JWT does not verify is 401.
type woOperator struct {
	srv      *httptest.Server
	verifier *payapjwt.Verifier
	arrived  chan woRequest // every verified request, when not nil (buffered)

	mu     sync.Mutex
	reqs   []woRequest
	behave woBehaviour
}

func (o *woOperator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := woRequest{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Raw: raw}
	o.mu.Lock()
	verifier := o.verifier
	o.mu.Unlock()
	req.Claims, req.VerifyErr = verifier.Verify(r.Context(), req.Authorization, raw)
	_ = json.Unmarshal(raw, &req.Body)
	o.mu.Lock()
	o.reqs = append(o.reqs, req)
	behave := o.behave
	o.mu.Unlock()
	if req.VerifyErr != nil {
		woBadToken(w, r, req)
		return
	}
	if o.arrived != nil {
		o.arrived <- req
	}
	behave(w, r, req)
}

// set changes how the operator answers from now on.
func (o *woOperator) set(b woBehaviour) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.behave = b
}

// verifyWith changes the verifier from now on.
func (o *woOperator) verifyWith(v *payapjwt.Verifier) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.verifier = v
}

// requests are the requests received so far.
func (o *woOperator) requests() []woRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.reqs)
}

// woEnv is a payments sandbox whose mock Centrapay refunds Payap payments
// through the fake operator, over a client that can be made to fail to
// connect (down).
type woEnv struct {
	*prEnv
	op       *woOperator
	down     atomic.Bool
	keys     *payapjwt.Keyring
	jwksURL  string
	verifier *payapjwt.Verifier // the operator's honest verifier
	// patient is a second handler over the same store whose client waits
	// long, for retries after a timeout.
	patient http.Handler
}

// woNew builds the env; timeout bounds each call to the operator.
func woNew(t *testing.T, timeout time.Duration) *woEnv {
	t.Helper()
	e := &woEnv{op: &woOperator{behave: woSuccessful}}
	client := func(d time.Duration) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true // every call dials, so down always applies
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if e.down.Load() {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			return dial(ctx, network, addr)
		}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: d}
	}
	var patientDeps Deps
	var patientCfg Config
	e.prEnv = prNewWith(t, func(cfg *Config, deps *Deps) {
		keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, deps.Clock)
		if err != nil {
			t.Fatal(err)
		}
		e.keys = keys
		jwks := httptest.NewServer(keys)
		t.Cleanup(jwks.Close)
		e.op.srv = httptest.NewServer(e.op)
		t.Cleanup(e.op.srv.Close)
		e.jwksURL = jwks.URL
		e.verifier = payapjwt.NewVerifier(jwks.URL, e.op.srv.URL, jwks.Client(), deps.Clock)
		e.op.verifier = e.verifier
		cfg.WalletOperatorURL = e.op.srv.URL
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		deps.JWKS = keys
		deps.Signer = payapjwt.NewSigner(keys, deps.Clock)
		patientDeps, patientCfg = *deps, *cfg
		patientDeps.HTTPClient = client(woSafety)
		deps.HTTPClient = client(timeout)
	})
	e.patient = New(patientCfg, patientDeps)
	return e
}

// payapPaid creates a request of amount cents (with extra create fields)
// and has the wallet operator record a provider payment of what remains,
// as spend contract (2) says.
func (e *woEnv) payapPaid(amount, transactionID string, kv ...any) PaymentRequest {
	e.t.Helper()
	pr := e.create(prCreateBody().with("value", prMoney(amount)).with(kv...))
	e.payapPay(pr.ID, transactionID)
	return pr
}

func (e *woEnv) payapPay(id, transactionID string, kv ...any) PaymentActivity {
	e.t.Helper()
	a := prDecode[PaymentActivity](e.t, e.do(http.MethodPost, "/api/payment-requests/"+id+"/pay", PayapOwnerKey,
		prBody{"assetType": prThirdPartyTest, "transactionId": transactionID, "idempotencyKey": transactionID}.with(kv...)))
	if a.External == nil || *a.External {
		e.t.Fatalf("a payment recorded by the wallet operator has external %v, want false", a.External)
	}
	return a
}

// doContext sends a JSON request like do, with ctx as the request's
// context. It may run on any goroutine: it never fails the test.
func (e *woEnv) doContext(ctx context.Context, method, path, key string, body any) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", key)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// withPatient sends a request to the handler whose client waits long.
func (e *woEnv) withPatient(f func()) {
	e.t.Helper()
	h := e.h
	e.h = e.patient
	defer func() { e.h = h }()
	f()
}

// wantCall checks one operator request: the path, a bare JWT that
// verified (aud = the operator's base URL, body hash), and the body.
func (e *woEnv) wantCall(req woRequest, refundID, transactionID, prID, amount string) {
	e.t.Helper()
	if req.Path != walletOperatorRefundsPath {
		e.t.Errorf("path %s, want %s", req.Path, walletOperatorRefundsPath)
	}
	if req.VerifyErr != nil {
		e.t.Fatalf("the operator could not verify Centrapay's JWT: %v", req.VerifyErr)
	}
	if strings.HasPrefix(req.Authorization, "Bearer ") {
		e.t.Errorf("Authorization %q: Centrapay sends a bare JWT", req.Authorization)
	}
	if req.Claims.Audience != e.op.srv.URL || req.Claims.RequestBodySHA256 != payapjwt.BodySHA256(req.Raw) {
		e.t.Errorf("claims %+v", req.Claims)
	}
	want := map[string]string{
		"refundId": refundID, "paymentTransactionId": transactionID, "paymentRequestId": prID,
		"assetType": prThirdPartyTest, "amount": amount, "currency": "NZD",
	}
	if fmt.Sprint(req.Body) != fmt.Sprint(want) {
		e.t.Errorf("body %s, want %v", req.Raw, want)
	}
}

// refundActivities are a request's refund activities, newest first.
func (e *woEnv) refundActivities(id string) []PaymentActivity {
	e.t.Helper()
	var out []PaymentActivity
	for _, a := range e.activities(id) {
		if a.Type == ActivityRefund {
			out = append(out, a)
		}
	}
	return out
}

func TestWalletOperatorRefundPartial(t *testing.T) {
	e := woNew(t, woSafety)
	pr := e.payapPaid("1000", "prov-tx-1")
	payment := e.activities(pr.ID)[0]
	refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1"))
	reqs := e.op.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d operator calls, want 1", len(reqs))
	}
	e.wantCall(reqs[0], refund.ID+"-1", "prov-tx-1", pr.ID, "400")
	if refund.Type != ActivityRefund || refund.Value.Amount != 400 || refund.AssetType != prThirdPartyTest ||
		refund.External == nil || *refund.External || refund.Strategy == nil ||
		!slices.Equal(refund.Strategy.Refunds, []RefundPart{{AssetType: prThirdPartyTest, CompletedPaymentID: payment.ID, Amount: 400}}) {
		t.Fatalf("refund %+v", refund)
	}
	ns := e.notifications()
	if got := prTypes(ns); !slices.Equal(got, []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}) {
		t.Fatalf("notifications %v", got)
	}
	if ns[1].Data.ID != refund.ID || ns[2].Data.ID != refund.ID || !ns[2].Test {
		t.Errorf("refund notifications %+v", ns[1:])
	}
	t.Run("a replay answers the refund without calling the operator", func(t *testing.T) {
		if again := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1")); again.ID != refund.ID {
			t.Errorf("replay %s, want %s", again.ID, refund.ID)
		}
		if n := len(e.op.requests()); n != 1 {
			t.Errorf("%d operator calls", n)
		}
	})
	t.Run("the rest, then nothing is left", func(t *testing.T) {
		rest := prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "ref-2"))
		reqs := e.op.requests()
		e.wantCall(reqs[len(reqs)-1], rest.ID+"-1", "prov-tx-1", pr.ID, "600")
		prWantError(t, e.refund(pr.ID, "1", "ref-3"), 403, "ALREADY_REFUNDED", true)
		if n := len(e.op.requests()); n != 2 {
			t.Errorf("%d operator calls", n)
		}
	})
}

func TestWalletOperatorRefundAcrossPayments(t *testing.T) {
	// 300 from the patron's Centrapay asset, then 700 recorded by Payap:
	// a refund of 800 takes 700 through the operator and 100 from the asset.
	e := woNew(t, woSafety)
	pr := e.create(prCreateBody())
	prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("nzd").with("mode", ModeMultiAssetPayment, "amount", "300")))
	e.payapPay(pr.ID, "prov-tx-9")
	refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "800", "both"))
	parts := refund.Strategy.Refunds
	if len(parts) != 2 || parts[0].AssetType != prThirdPartyTest || parts[0].Amount != 700 || parts[1].AssetID != PatronAssetID || parts[1].Amount != 100 {
		t.Fatalf("strategy %+v", parts)
	}
	reqs := e.op.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d operator calls", len(reqs))
	}
	e.wantCall(reqs[0], refund.ID+"-1", "prov-tx-9", pr.ID, "700")
	if b := e.balance(PatronAssetID); b != patronSeedBalance-200 {
		t.Errorf("balance %d", b)
	}
}

func TestWalletOperatorFailureReasons(t *testing.T) {
	for _, tc := range []struct {
		reason, code string
	}{
		{"PARTIAL_REFUNDS_NOT_ALLOWED", "PARTIAL_REFUNDS_NOT_ALLOWED"},
		{"REFUND_WINDOW_EXCEEDED", "REFUND_WINDOW_EXCEEDED"},
		{"INVALID_AMOUNT", "INVALID_AMOUNT"},
		{"REFUND_AMOUNT_EXCEEDED", "INVALID_AMOUNT"}, // the mock provider's over-refund reason
		{"REFUND_EXCEEDS_PAYMENT", "INVALID_AMOUNT"},
		{"REFUND_NOT_ALLOWED", "REFUND_DECLINED"}, // the mock provider's non-refundable payment
		{"ALREADY_REFUNDED", "INVALID_AMOUNT"},
		{"ASSET_REDEMPTION_DENIED", "REFUND_DECLINED"},
		{"SOMETHING_NEW", "REFUND_DECLINED"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			e := woNew(t, woSafety)
			pr := e.payapPaid("1000", "prov-tx-1")
			e.op.set(woFailed(tc.reason))
			rec := e.refund(pr.ID, "400", "ref-1")
			prWantError(t, rec, 403, tc.code, true)
			if !strings.Contains(rec.Body.String(), tc.reason) {
				t.Errorf("reason does not name the provider's %s: %s", tc.reason, rec.Body)
			}
			if n := len(e.refundActivities(pr.ID)); n != 0 {
				t.Fatalf("%d refunds committed", n)
			}
			if got := prTypes(e.notifications()); !slices.Equal(got, []string{WebhookEventPaid}) {
				t.Fatalf("notifications %v", got)
			}
			first := e.op.requests()[0].Body["refundId"]
			// Nothing stays reserved: the whole amount can be refunded, and
			// a retry of the failed refund is a new refund (new refundId).
			e.op.set(woSuccessful)
			again := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1"))
			reqs := e.op.requests()
			if got := reqs[len(reqs)-1].Body["refundId"]; got == first || got != again.ID+"-1" {
				t.Errorf("retry after a failed answer sent refundId %s (first %s)", got, first)
			}
			prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "ref-2"))
		})
	}
}

func TestWalletOperatorUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   func(e *woEnv)
		inDoubt bool // the amount stays reserved until the retry
	}{
		{"no connection", func(e *woEnv) { e.down.Store(true) }, false},
		{"401", func(e *woEnv) { e.op.set(woBadToken) }, false},
		{"a JWT for another audience", func(e *woEnv) {
			e.op.verifyWith(payapjwt.NewVerifier(e.jwksURL, "https://payap.example", nil, e.clock))
		}, false},
		{"502", func(e *woEnv) { e.op.set(woServerDown) }, true},
		{"200 without a final status", func(e *woEnv) { e.op.set(woAnswer(200, `{"status":"pending"}`)) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := woNew(t, woSafety)
			pr := e.payapPaid("1000", "prov-tx-1")
			tc.fault(e)
			rec := e.refund(pr.ID, "400", "ref-1")
			prWantError(t, rec, 403, "REFUND_DECLINED", true)
			if !strings.Contains(rec.Body.String(), "could not be reached") {
				t.Errorf("reason %s", rec.Body)
			}
			if n := len(e.refundActivities(pr.ID)); n != 0 {
				t.Fatalf("%d refunds committed", n)
			}
			if got := prTypes(e.notifications()); !slices.Equal(got, []string{WebhookEventPaid}) {
				t.Fatalf("notifications %v", got)
			}
			var sent string
			if reqs := e.op.requests(); len(reqs) > 0 {
				sent = reqs[0].Body["refundId"]
			}
			if tc.inDoubt {
				prWantError(t, e.refund(pr.ID, "1000", "ref-other"), 403, "INVALID_AMOUNT", true)
				prWantError(t, e.refund(pr.ID, "300", "ref-1"), 403, "REPEAT_REFERENCE", true)
				prWantError(t, e.void(pr.ID), 403, "REFUND_DECLINED", true)
			}
			// The operator is back: the same refund goes through, with the
			// same refundId.
			e.down.Store(false)
			e.op.set(woSuccessful)
			e.op.verifyWith(e.verifier)
			refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1"))
			reqs := e.op.requests()
			last := reqs[len(reqs)-1]
			e.wantCall(last, refund.ID+"-1", "prov-tx-1", pr.ID, "400")
			if sent != "" && sent != last.Body["refundId"] {
				t.Errorf("refundId %s on the retry, %s the first time", last.Body["refundId"], sent)
			}
			if got := prTypes(e.notifications()); !slices.Equal(got, []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}) {
				t.Errorf("notifications %v", got)
			}
			prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "ref-2"))
		})
	}
	t.Run("no wallet operator configured", func(t *testing.T) {
		e := prNew(t)
		pr := e.create(prCreateBody())
		prDecode[PaymentActivity](t, e.do(http.MethodPost, "/api/payment-requests/"+pr.ID+"/pay", PayapOwnerKey,
			prBody{"assetType": prThirdPartyTest, "transactionId": "tx", "idempotencyKey": "tx"}))
		rec := e.refund(pr.ID, "100", "r")
		prWantError(t, rec, 403, "REFUND_DECLINED", true)
		if !strings.Contains(rec.Body.String(), "wallet_operator_url") {
			t.Errorf("reason %s", rec.Body)
		}
	})
}

func TestWalletOperatorHangs(t *testing.T) {
	// The operator never answers; the client's short timeout ends the call.
	e := woNew(t, 200*time.Millisecond)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	pr := e.payapPaid("1000", "prov-tx-1")
	e.op.set(woHang(release))
	prWantError(t, e.refund(pr.ID, "400", "ref-1"), 403, "REFUND_DECLINED", true)
	if n := len(e.refundActivities(pr.ID)); n != 0 {
		t.Fatalf("%d refunds committed", n)
	}
	sent := e.op.requests()[0].Body["refundId"]
	// In doubt: the 400 stays reserved.
	prWantError(t, e.refund(pr.ID, "601", "ref-2"), 403, "INVALID_AMOUNT", true)
	e.op.set(woSuccessful)
	e.withPatient(func() {
		refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1"))
		if refund.ID+"-1" != sent {
			t.Errorf("refund %s committed; the first call sent refundId %s", refund.ID, sent)
		}
		prDecode[PaymentActivity](t, e.refund(pr.ID, "600", "ref-2"))
	})
}

func TestWalletOperatorVoid(t *testing.T) {
	t.Run("a paid request: the operator refunds what remains", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.create(prCreateBody())
		prDecode[PaymentActivity](t, e.pay(pr.ID, prPayBody("nzd").with("mode", ModeMultiAssetPayment, "amount", "300")))
		e.payapPay(pr.ID, "prov-tx-1")
		prDecode[PaymentActivity](t, e.refund(pr.ID, "200", "first"))
		void := prDecode[PaymentActivity](t, e.void(pr.ID))
		if void.Type != ActivityRefund || void.Value.Amount != 800 || void.ExternalRef != pr.ID || len(void.Strategy.Refunds) != 2 {
			t.Fatalf("void %+v", void)
		}
		reqs := e.op.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d operator calls", len(reqs))
		}
		e.wantCall(reqs[1], void.ID+"-1", "prov-tx-1", pr.ID, "500")
		if got := e.get(pr.ID); got.Status != PRStatusCancelled || got.CancellationReason != CancelledByMerchant {
			t.Errorf("request %s %s", got.Status, got.CancellationReason)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance {
			t.Errorf("balance %d", b)
		}
		if again := prDecode[PaymentActivity](t, e.void(pr.ID)); again.ID != void.ID || len(e.op.requests()) != 2 {
			t.Errorf("repeat void %s", again.ID)
		}
		want := []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted, WebhookEventRefundInitiated, WebhookEventRefundCompleted}
		if got := prTypes(e.notifications()); !slices.Equal(got, want) {
			t.Errorf("notifications %v", got)
		}
	})
	t.Run("the operator fails: nothing is cancelled", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.payapPaid("1000", "prov-tx-1")
		e.op.set(woFailed("PARTIAL_REFUNDS_NOT_ALLOWED"))
		prWantError(t, e.void(pr.ID), 403, "PARTIAL_REFUNDS_NOT_ALLOWED", true)
		if got := e.get(pr.ID); got.Status != PRStatusPaid {
			t.Errorf("status %s after a failed void", got.Status)
		}
		e.op.set(woServerDown)
		prWantError(t, e.void(pr.ID), 403, "REFUND_DECLINED", true)
		if got := e.get(pr.ID); got.Status != PRStatusPaid {
			t.Errorf("status %s after a void in doubt", got.Status)
		}
		prWantError(t, e.refund(pr.ID, "1", "r"), 403, "INVALID_AMOUNT", true) // held by the void
		e.op.set(woSuccessful)
		void := prDecode[PaymentActivity](t, e.void(pr.ID))
		reqs := e.op.requests()
		if len(reqs) != 3 || reqs[1].Body["refundId"] != reqs[2].Body["refundId"] || reqs[2].Body["refundId"] != void.ID+"-1" {
			t.Errorf("refundIds %s, %s, %s; void %s", reqs[0].Body["refundId"], reqs[1].Body["refundId"], reqs[2].Body["refundId"], void.ID)
		}
		if got := e.get(pr.ID); got.Status != PRStatusCancelled {
			t.Errorf("status %s", got.Status)
		}
	})
	t.Run("an unpaid request needs nothing from the operator", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.create(prCreateBody())
		if a := prDecode[PaymentActivity](t, e.void(pr.ID)); a.Type != ActivityCancellation {
			t.Errorf("activity %+v", a)
		}
		if n := len(e.op.requests()); n != 0 {
			t.Errorf("%d operator calls", n)
		}
	})
}

func TestWalletOperatorNotForOtherPayments(t *testing.T) {
	e := woNew(t, woSafety)
	t.Run("external.* stays REFUND_NOT_SUPPORTED", func(t *testing.T) {
		pr := e.create(prCreateBody().with("configId", e.externalConfig()))
		prDecode[PaymentActivity](t, e.do(http.MethodPost, "/api/payment-requests/"+pr.ID+"/pay", MerchantTerminalKey,
			prBody{"assetType": "external.test", "transactionId": "cash-1", "idempotencyKey": "k"}))
		prWantError(t, e.refund(pr.ID, "100", "r"), 403, "REFUND_NOT_SUPPORTED", true)
		prWantError(t, e.void(pr.ID), 403, "REFUND_NOT_SUPPORTED", true)
	})
	t.Run("a third-party authorization is refunded at once", func(t *testing.T) {
		pr := e.create(prCreateBody())
		prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("tp", "points-1")))
		prDecode[PaymentActivity](t, e.refund(pr.ID, "100", "r"))
	})
	if n := len(e.op.requests()); n != 0 {
		t.Errorf("%d operator calls", n)
	}
}

func TestWalletOperatorConcurrency(t *testing.T) {
	t.Run("a refund in flight holds its amount", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.payapPaid("1000", "prov-tx-1")
		release := make(chan struct{})
		e.op.arrived = make(chan woRequest, 4)
		e.op.set(func(w http.ResponseWriter, r *http.Request, req woRequest) { <-release; woSuccessful(w, r, req) })
		first := make(chan *httptest.ResponseRecorder, 1)
		go func() { first <- e.refund(pr.ID, "600", "a") }()
		select {
		case <-e.op.arrived:
		case <-time.After(woSafety):
			t.Fatal("the operator was never called")
		}
		// While the operator has not answered: the other 600 is too much,
		// and the same refund waits for the first call (a caller that has
		// gone away stops waiting).
		prWantError(t, e.refund(pr.ID, "600", "b"), 403, "INVALID_AMOUNT", true)
		gone, cancel := context.WithCancel(context.Background())
		cancel()
		rec := e.doContext(gone, http.MethodPost, prRefundPath(pr.ID), MerchantOwnerKey, prRefundBody("600", "a"))
		prWantError(t, rec, 403, "REFUND_DECLINED", true)
		if !strings.Contains(rec.Body.String(), "awaits the wallet operator") {
			t.Errorf("reason %s", rec.Body)
		}
		same := make(chan *httptest.ResponseRecorder, 1)
		go func() { same <- e.refund(pr.ID, "600", "a") }()
		close(release)
		var ids []string
		for _, ch := range []chan *httptest.ResponseRecorder{first, same} {
			select {
			case rec := <-ch:
				a := prDecode[PaymentActivity](t, rec)
				if a.Value.Amount != 600 {
					t.Errorf("refund %+v", a)
				}
				ids = append(ids, a.ID)
			case <-time.After(woSafety):
				t.Fatal("a refund never answered")
			}
		}
		if ids[0] != ids[1] {
			t.Errorf("refunds %s and %s of one externalRef", ids[0], ids[1])
		}
		prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "c"))
		if n := len(e.op.requests()); n != 2 {
			t.Errorf("%d operator calls, want 2", n)
		}
	})
	t.Run("concurrent refunds never refund more than was paid", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.payapPaid("1000", "prov-tx-1")
		var wg sync.WaitGroup
		codes := make([]int, 10)
		start := make(chan struct{})
		for i := range codes {
			wg.Go(func() {
				<-start
				codes[i] = e.refund(pr.ID, "300", fmt.Sprintf("r-%d", i)).Code
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			}
		}
		var sent, committed Amount
		for _, r := range e.op.requests() {
			var a Amount
			if err := a.UnmarshalJSON([]byte(r.Body["amount"])); err != nil {
				t.Fatal(err)
			}
			sent += a
		}
		for _, a := range e.refundActivities(pr.ID) {
			committed += a.Value.Amount
		}
		if ok != 3 || sent != 900 || committed != 900 {
			t.Errorf("%d refunds succeeded, %d sent to the operator, %d committed; want 3, 900, 900", ok, sent, committed)
		}
	})
	t.Run("a payment waits for a void in flight", func(t *testing.T) {
		e := woNew(t, woSafety)
		pr := e.create(prCreateBody())
		e.payapPay(pr.ID, "prov-tx-1", "mode", ModeMultiAssetPayment, "amount", "400")
		release := make(chan struct{})
		e.op.arrived = make(chan woRequest, 1)
		e.op.set(func(w http.ResponseWriter, r *http.Request, req woRequest) { <-release; woSuccessful(w, r, req) })
		voided := make(chan *httptest.ResponseRecorder, 1)
		go func() { voided <- e.void(pr.ID) }()
		select {
		case <-e.op.arrived:
		case <-time.After(woSafety):
			t.Fatal("the operator was never called")
		}
		// The request is still new, but the payment waits for the void: a
		// payer that has gone away stops waiting, and nothing is paid.
		gone, cancel := context.WithCancel(context.Background())
		cancel()
		rec := e.doContext(gone, http.MethodPost, "/api/payment-requests/"+pr.ID+"/pay", PatronOwnerKey, prPayBody("rest"))
		prWantError(t, rec, 403, "PAYMENT_UNCONFIRMED", true)
		if !strings.Contains(rec.Body.String(), "being voided") {
			t.Errorf("reason %s", rec.Body)
		}
		paid := make(chan *httptest.ResponseRecorder, 1)
		go func() { paid <- e.pay(pr.ID, prPayBody("rest")) }()
		close(release)
		select {
		case rec := <-voided:
			if v := prDecode[PaymentActivity](t, rec); v.Value.Amount != 400 {
				t.Errorf("void %+v", v)
			}
		case <-time.After(woSafety):
			t.Fatal("the void never answered")
		}
		select {
		case rec := <-paid:
			prWantError(t, rec, 403, "REQUEST_CANCELLED", true)
		case <-time.After(woSafety):
			t.Fatal("the payment never answered")
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance {
			t.Errorf("balance %d", b)
		}
	})
}

func TestWalletOperatorPartlyDone(t *testing.T) {
	// Two payments recorded by Payap; the refund reaches both, newest
	// first. The operator refunds the first share and refuses the second:
	// what it refunded is committed and notified, and the merchant is told.
	e := woNew(t, woSafety)
	pr := e.create(prCreateBody())
	e.payapPay(pr.ID, "tx-a", "mode", ModeMultiAssetPayment, "amount", "400")
	e.payapPay(pr.ID, "tx-b")
	e.op.set(func(w http.ResponseWriter, r *http.Request, req woRequest) {
		if req.Body["paymentTransactionId"] == "tx-a" {
			woFailed("PARTIAL_REFUNDS_NOT_ALLOWED")(w, r, req)
			return
		}
		woSuccessful(w, r, req)
	})
	rec := e.refund(pr.ID, "700", "both")
	prWantError(t, rec, 403, "PARTIAL_REFUNDS_NOT_ALLOWED", true)
	refunds := e.refundActivities(pr.ID)
	if len(refunds) != 1 || refunds[0].Value.Amount != 600 || refunds[0].ExternalRef != "both" || !strings.Contains(rec.Body.String(), refunds[0].ID) {
		t.Fatalf("refunds %+v; answer %s", refunds, rec.Body)
	}
	reqs := e.op.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d operator calls", len(reqs))
	}
	e.wantCall(reqs[0], refunds[0].ID+"-1", "tx-b", pr.ID, "600")
	if got := prTypes(e.notifications()); !slices.Equal(got, []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}) {
		t.Errorf("notifications %v", got)
	}
	prWantError(t, e.refund(pr.ID, "700", "both"), 403, "REPEAT_REFERENCE", true)
	e.op.set(woSuccessful)
	prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "rest"))
}

func TestConfigWalletOperatorURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"http://127.0.0.1:8402", true},
		{"https://payap.example/base/", true},
		{"127.0.0.1:8402", false},
		{"ftp://payap.example", false},
		{"http://payap.example?x=1", false},
		{"http:///nohost", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.WalletOperatorURL = tc.url
			if err := cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate: %v, want ok %v", err, tc.ok)
			}
		})
	}
	t.Run("a base URL with a path", func(t *testing.T) {
		o := newWalletOperator("https://payap.example/base/", nil, nil, nil)
		if o.url != "https://payap.example/base/centrapay/refunds" || o.audience != "https://payap.example" {
			t.Errorf("url %s, audience %s", o.url, o.audience)
		}
	})
}
