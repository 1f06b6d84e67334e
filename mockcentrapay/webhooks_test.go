package mockcentrapay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// whStart is the frozen sandbox time every webhooks test starts at.
var whStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// whWait bounds how long a test waits for something Run does; it is a
// guard against a hang, not a timing assumption.
const whWait = 10 * time.Second

// whEnv is a seeded store, a frozen clock, Centrapay's keyring served as a
// JWKS, and a delivery engine over them.
type whEnv struct {
	st   *MemStore
	clk  *clock.Clock
	keys *payapjwt.Keyring
	jwks *httptest.Server
	wh   *Webhooks
	h    http.Handler
	// logged receives the message of every record the engine logs, in
	// order: "webhook delivered" and the like come after the attempt is
	// recorded, so tests wait on them instead of sleeping.
	logged chan string
}

// whLog passes log messages to a channel.
type whLog struct{ ch chan string }

func (h whLog) Enabled(context.Context, slog.Level) bool { return true }
func (h whLog) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h whLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h whLog) WithGroup(string) slog.Handler      { return h }

// waitLogged waits for n log records with message msg, skipping others.
func (e *whEnv) waitLogged(t *testing.T, msg string, n int) {
	t.Helper()
	for n > 0 {
		select {
		case m := <-e.logged:
			if m == msg {
				n--
			}
		case <-time.After(whWait):
			t.Fatalf("still waiting for %d %q after %s", n, msg, whWait)
		}
	}
}

func whNewEnv(t *testing.T, retries ...time.Duration) *whEnv {
	t.Helper()
	cfg := DefaultConfig()
	st := NewMemStore(42)
	if err := Seed(st, cfg); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	clk := clock.NewFrozen(whStart)
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	jwks := httptest.NewServer(keys)
	t.Cleanup(jwks.Close)
	logged := make(chan string, 4096)
	wh := NewWebhooks(st, clk, payapjwt.NewSigner(keys, clk), nil, retries, slog.New(whLog{logged}))
	h := New(cfg, Deps{Store: st, Clock: clk, JWKS: keys, Webhooks: wh})
	return &whEnv{st: st, clk: clk, keys: keys, jwks: jwks, wh: wh, h: h, logged: logged}
}

func (e *whEnv) subscribe(t *testing.T, accountID, url string, types ...string) {
	t.Helper()
	if len(types) == 0 {
		types = webhookEventTypes
	}
	if err := e.st.SetWebhookSubscription(accountID, url, types, e.clk.Now()); err != nil {
		t.Fatalf("SetWebhookSubscription: %v", err)
	}
}

func (e *whEnv) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.clk.Advance(d); err != nil {
		t.Fatal(err)
	}
}

// notes lists accountID's notifications through the HTTP API.
func (e *whEnv) notes(t *testing.T, key string) []webhookNotificationView {
	t.Helper()
	rec := whDo(t, e.h, http.MethodGet, "/api/webhook-notifications", key, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/webhook-notifications: %d %s", rec.Code, rec.Body)
	}
	var page struct {
		Items []webhookNotificationView `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatalf("decode notifications: %v", err)
	}
	return page.Items
}

func (e *whEnv) only(t *testing.T, key string) webhookNotificationView {
	t.Helper()
	items := e.notes(t, key)
	if len(items) != 1 {
		t.Fatalf("%d notifications, want 1: %+v", len(items), items)
	}
	return items[0]
}

func whDo(t *testing.T, h http.Handler, method, path, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// whCheckError asserts the status and the whole documented error body:
// exactly statusCode, error and message.
func whCheckError(t *testing.T, rec *httptest.ResponseRecorder, status int, message string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("error body is not JSON: %q", rec.Body)
	}
	want := map[string]any{"statusCode": float64(status), "error": http.StatusText(status), "message": message}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("error body\n got %v\nwant %v", got, want)
	}
}

// whKeys returns the sorted keys of a JSON object.
func whKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %q", b)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// whRequest is one request a receiver got.
type whRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

// whReceiver is a webhook endpoint that answers a script of statuses (the
// last one repeats) or hangs until the caller gives up.
type whReceiver struct {
	srv      *httptest.Server
	got      chan whRequest
	mu       sync.Mutex
	reqs     []whRequest
	statuses []int
	hang     bool
}

func whNewReceiver(t *testing.T, statuses ...int) *whReceiver {
	t.Helper()
	rv := &whReceiver{got: make(chan whRequest, 64), statuses: statuses}
	if len(rv.statuses) == 0 {
		rv.statuses = []int{http.StatusOK}
	}
	rv.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := whRequest{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		rv.mu.Lock()
		n := len(rv.reqs)
		rv.reqs = append(rv.reqs, req)
		status := rv.statuses[min(n, len(rv.statuses)-1)]
		hang := rv.hang
		rv.mu.Unlock()
		select {
		case rv.got <- req:
		default:
		}
		if hang {
			<-r.Context().Done()
			return
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rv.srv.Close)
	return rv
}

func (rv *whReceiver) setHang(hang bool) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.hang = hang
}

func (rv *whReceiver) requests() []whRequest {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return slices.Clone(rv.reqs)
}

// next waits for the receiver's next request.
func (rv *whReceiver) next(t *testing.T) whRequest {
	t.Helper()
	select {
	case r := <-rv.got:
		return r
	case <-time.After(whWait):
		t.Fatalf("the receiver got no request within %s", whWait)
		return whRequest{}
	}
}

// whActivity stands for the Payment Activity the payments area passes.
var whActivity = map[string]any{
	"id":               "Act1111111111111111111",
	"type":             "payment",
	"paymentRequestId": "PR11111111111111111111",
	"value":            map[string]any{"amount": "1000", "currency": "NZD"},
}

func TestWebhookSubscriptionPut(t *testing.T) {
	const bad = "url must be an absolute https URL such as https://example.com/webhooks (http only for a loopback host: localhost, 127.0.0.1 or [::1])"
	for _, tc := range []struct {
		name      string
		key, body string
		status    int
		message   string   // the error message, for failures
		types     []string // the stored event types, for successes
	}{
		{name: "https with every type", key: MerchantOwnerKey,
			body:   `{"url":"https://merchant.example/hooks/centrapay","eventTypes":["payment-request:paid","payment-request:refund-initiated","payment-request:refund-completed"]}`,
			status: 200, types: webhookEventTypes},
		{name: "http on 127.0.0.1", key: MerchantOwnerKey, body: `{"url":"http://127.0.0.1:9000/hooks","eventTypes":["payment-request:paid"]}`,
			status: 200, types: []string{WebhookEventPaid}},
		{name: "http on localhost", key: MerchantOwnerKey, body: `{"url":"http://localhost:9000","eventTypes":["payment-request:paid"]}`,
			status: 200, types: []string{WebhookEventPaid}},
		{name: "http on ::1", key: MerchantOwnerKey, body: `{"url":"http://[::1]:9000/","eventTypes":["payment-request:refund-completed"]}`,
			status: 200, types: []string{WebhookEventRefundCompleted}},
		{name: "duplicate types are kept once", key: MerchantOwnerKey,
			body:   `{"url":"https://merchant.example","eventTypes":["payment-request:refund-completed","payment-request:paid","payment-request:refund-completed"]}`,
			status: 200, types: []string{WebhookEventRefundCompleted, WebhookEventPaid}},
		{name: "unknown fields are ignored", key: PayapOwnerKey,
			body:   `{"url":"https://payap.example/cp","eventTypes":["payment-request:paid"],"secret":"x","enabled":true}`,
			status: 200, types: []string{WebhookEventPaid}},

		{name: "url missing", key: MerchantOwnerKey, body: `{"eventTypes":["payment-request:paid"]}`, status: 400, message: "url is required"},
		{name: "url null", key: MerchantOwnerKey, body: `{"url":null,"eventTypes":["payment-request:paid"]}`, status: 400, message: "url is required"},
		{name: "url empty", key: MerchantOwnerKey, body: `{"url":"","eventTypes":["payment-request:paid"]}`, status: 400, message: "url is required"},
		{name: "url not a string", key: MerchantOwnerKey, body: `{"url":42,"eventTypes":["payment-request:paid"]}`, status: 400, message: "url must be a string"},
		{name: "url http on a public host", key: MerchantOwnerKey, body: `{"url":"http://merchant.example/hooks","eventTypes":["payment-request:paid"]}`, status: 400, message: bad},
		{name: "url relative", key: MerchantOwnerKey, body: `{"url":"/hooks","eventTypes":["payment-request:paid"]}`, status: 400, message: bad},
		{name: "url other scheme", key: MerchantOwnerKey, body: `{"url":"ftp://merchant.example/hooks","eventTypes":["payment-request:paid"]}`, status: 400, message: bad},
		{name: "url with spaces", key: MerchantOwnerKey, body: `{"url":" https://merchant.example","eventTypes":["payment-request:paid"]}`, status: 400, message: bad},
		{name: "url without host", key: MerchantOwnerKey, body: `{"url":"https:///hooks","eventTypes":["payment-request:paid"]}`, status: 400, message: bad},
		{name: "url too long", key: MerchantOwnerKey, body: `{"url":"https://merchant.example/` + strings.Repeat("a", 2100) + `","eventTypes":["payment-request:paid"]}`,
			status: 400, message: "url must be at most 2048 characters"},
		{name: "url is checked first", key: MerchantOwnerKey, body: `{"eventTypes":"payment-request:paid"}`, status: 400, message: "url is required"},
		{name: "eventTypes missing", key: MerchantOwnerKey, body: `{"url":"https://merchant.example"}`, status: 400, message: "eventTypes is required"},
		{name: "eventTypes null", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","eventTypes":null}`, status: 400, message: "eventTypes is required"},
		{name: "eventTypes a string", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","eventTypes":"payment-request:paid"}`,
			status: 400, message: "eventTypes must be an array of strings"},
		{name: "eventTypes of numbers", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","eventTypes":[1]}`,
			status: 400, message: "eventTypes must be an array of strings"},
		{name: "eventTypes empty", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","eventTypes":[]}`, status: 400,
			message: "eventTypes must list at least one event type: payment-request:paid, payment-request:refund-initiated, payment-request:refund-completed"},
		{name: "eventTypes unknown", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","eventTypes":["payment-request:paid","payment-request:expired"]}`, status: 400,
			message: `eventTypes[1] "payment-request:expired" is not a webhook event type; use payment-request:paid, payment-request:refund-initiated, payment-request:refund-completed`},
		{name: "body not JSON", key: MerchantOwnerKey, body: `{"url":`, status: 400, message: "the body is not valid JSON"},
		{name: "body empty", key: MerchantOwnerKey, body: "", status: 400, message: "the body is empty; send a JSON object"},
		{name: "body an array", key: MerchantOwnerKey, body: `[{"url":"https://merchant.example"}]`, status: 400, message: "the body must be a JSON object"},
		{name: "body too large", key: MerchantOwnerKey, body: `{"url":"https://merchant.example","pad":"` + strings.Repeat("x", 1<<20) + `"}`,
			status: 400, message: "the body is larger than 1 MiB"},

		{name: "merchant-terminal key", key: MerchantTerminalKey, body: `{"url":"https://merchant.example","eventTypes":["payment-request:paid"]}`, status: 403, message: "Forbidden"},
		{name: "no key", key: "", body: `{"url":"https://merchant.example","eventTypes":["payment-request:paid"]}`, status: 401, message: "Missing authentication"},
		{name: "unknown key", key: "cp-nope", body: `{"url":"https://merchant.example","eventTypes":["payment-request:paid"]}`, status: 401, message: "Invalid authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := whNewEnv(t)
			rec := whDo(t, e.h, http.MethodPut, "/api/webhook-subscriptions", tc.key, tc.body)
			if tc.status != http.StatusOK {
				whCheckError(t, rec, tc.status, tc.message)
				// Nothing was written.
				for _, key := range []string{MerchantOwnerKey, PayapOwnerKey} {
					whCheckError(t, whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", key, ""), 403, "Forbidden")
				}
				return
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
			}
			if got, want := whKeys(t, rec.Body.Bytes()), []string{"createdAt", "eventTypes", "updatedAt", "url"}; !slices.Equal(got, want) {
				t.Fatalf("fields %v, want %v", got, want)
			}
			var sub webhookSubscription
			if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil {
				t.Fatal(err)
			}
			var in struct{ URL string }
			_ = json.Unmarshal([]byte(tc.body), &in)
			if sub.URL != in.URL || !slices.Equal(sub.EventTypes, tc.types) {
				t.Fatalf("got %+v, want url %q types %v", sub, in.URL, tc.types)
			}
			if !sub.CreatedAt.Time().Equal(whStart) || !sub.UpdatedAt.Time().Equal(whStart) {
				t.Fatalf("createdAt %v updatedAt %v, want %v", sub.CreatedAt.Time(), sub.UpdatedAt.Time(), whStart)
			}
			get := whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", tc.key, "")
			if get.Code != http.StatusOK || get.Body.String() != rec.Body.String() {
				t.Fatalf("GET after PUT: %d %s, want %s", get.Code, get.Body, rec.Body)
			}
		})
	}
}

func TestWebhookSubscriptionGet(t *testing.T) {
	e := whNewEnv(t)
	whCheckError(t, whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", MerchantOwnerKey, ""), 403, "Forbidden")
	whCheckError(t, whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", "", ""), 401, "Missing authentication")

	put := whDo(t, e.h, http.MethodPut, "/api/webhook-subscriptions", MerchantOwnerKey, `{"url":"https://merchant.example/a","eventTypes":["payment-request:paid"]}`)
	if put.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", put.Code, put.Body)
	}
	want := `{"url":"https://merchant.example/a","eventTypes":["payment-request:paid"],"createdAt":"2026-03-01T09:00:00.000Z","updatedAt":"2026-03-01T09:00:00.000Z"}`
	for _, key := range []string{MerchantOwnerKey, MerchantTerminalKey} {
		rec := whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", key, "")
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			t.Fatalf("GET with %s: %d %s, want %s", key, rec.Code, rec.Body, want)
		}
	}
	// Another account does not see it.
	whCheckError(t, whDo(t, e.h, http.MethodGet, "/api/webhook-subscriptions", PayapOwnerKey, ""), 403, "Forbidden")

	// Replacing keeps createdAt and moves updatedAt.
	e.advance(t, 90*time.Second)
	put = whDo(t, e.h, http.MethodPut, "/api/webhook-subscriptions", MerchantOwnerKey, `{"url":"https://merchant.example/b","eventTypes":["payment-request:refund-completed"]}`)
	want = `{"url":"https://merchant.example/b","eventTypes":["payment-request:refund-completed"],"createdAt":"2026-03-01T09:00:00.000Z","updatedAt":"2026-03-01T09:01:30.000Z"}`
	if put.Code != http.StatusOK || put.Body.String() != want {
		t.Fatalf("replace: %d %s, want %s", put.Code, put.Body, want)
	}
}

func TestSetWebhookSubscription(t *testing.T) {
	for _, tc := range []struct {
		name, account, url string
		types              []string
		wantErr            string
	}{
		{"ok", SandboxMerchantAccountID, "https://merchant.example/hooks", []string{WebhookEventPaid}, ""},
		{"unknown account", "NoSuchAccount", "https://merchant.example/hooks", []string{WebhookEventPaid}, `no account "NoSuchAccount"`},
		{"bad url", SandboxMerchantAccountID, "http://merchant.example/hooks", []string{WebhookEventPaid}, "url must be an absolute https URL"},
		{"no types", SandboxMerchantAccountID, "https://merchant.example/hooks", nil, "eventTypes is required"},
		{"unknown type", SandboxMerchantAccountID, "https://merchant.example/hooks", []string{"payment-request:created"}, "is not a webhook event type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemStore(42)
			if err := Seed(st, DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			err := st.SetWebhookSubscription(tc.account, tc.url, tc.types, whStart)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("SetWebhookSubscription: %v", err)
				}
				sub, ok := st.webhookSubscription(tc.account)
				if !ok || sub.URL != tc.url || !slices.Equal(sub.EventTypes, tc.types) {
					t.Fatalf("stored %+v %v", sub, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if _, ok := st.webhookSubscription(tc.account); ok {
				t.Fatal("a refused subscription was stored")
			}
		})
	}
}

func TestWebhookNotifyWithoutSubscriptionStoresNothing(t *testing.T) {
	e := whNewEnv(t)
	rv := whNewReceiver(t)
	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	// A subscription to other types does not catch it either.
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL, WebhookEventRefundCompleted)
	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	e.wh.Notify(SandboxMerchantAccountID, "payment-request:nonsense", whActivity, true)

	rec := whDo(t, e.h, http.MethodGet, "/api/webhook-notifications", MerchantOwnerKey, "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"items":[]}` {
		t.Fatalf("notifications: %d %s, want {\"items\":[]}", rec.Code, rec.Body)
	}
	if n := e.wh.DeliverDue(context.Background()); n != 0 {
		t.Fatalf("DeliverDue made %d attempts, want 0", n)
	}
	if got := rv.requests(); len(got) != 0 {
		t.Fatalf("the receiver got %d requests", len(got))
	}
}

func TestWebhookNotifyOnNilEngine(t *testing.T) {
	var w *Webhooks
	w.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	if n := w.DeliverDue(context.Background()); n != 0 {
		t.Fatalf("DeliverDue on nil = %d", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err != nil {
		t.Fatalf("Run on nil: %v", err)
	}
}

func TestWebhookDeliverySignedAndVerified(t *testing.T) {
	e := whNewEnv(t, 10*time.Second)
	rv := whNewReceiver(t, http.StatusNoContent)
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL+"/hooks/centrapay?tenant=7")

	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	pending := e.only(t, MerchantOwnerKey)
	if pending.State != "pending" || pending.Attempts != 0 || pending.NextAttemptAt == nil || !pending.NextAttemptAt.Time().Equal(whStart) {
		t.Fatalf("before delivery: %+v", pending)
	}
	if n := e.wh.DeliverDue(context.Background()); n != 1 {
		t.Fatalf("DeliverDue made %d attempts, want 1", n)
	}
	reqs := rv.requests()
	if len(reqs) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.method != http.MethodPost || req.path != "/hooks/centrapay" {
		t.Fatalf("%s %s, want POST /hooks/centrapay", req.method, req.path)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	auth := req.header.Get("Authorization")
	if auth == "" || strings.HasPrefix(auth, "Bearer") || strings.Count(auth, ".") != 2 {
		t.Fatalf("Authorization %q, want a bare compact JWT", auth)
	}

	// The receiver's check, with its base URL as audience.
	v := payapjwt.NewVerifier(e.jwks.URL, rv.srv.URL, e.jwks.Client(), e.clk)
	claims, err := v.Verify(context.Background(), auth, req.body)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	sum := sha256.Sum256(req.body)
	if claims.RequestBodySHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("request_body_sha256 %q, want %x", claims.RequestBodySHA256, sum)
	}
	if claims.Audience != rv.srv.URL {
		t.Fatalf("aud %q, want %q (the base URL, no path)", claims.Audience, rv.srv.URL)
	}
	if !claims.IssuedAt.Equal(whStart) || claims.Expiry.Sub(claims.IssuedAt) != 300*time.Second {
		t.Fatalf("iat %v exp %v, want iat %v and exp 300 s later", claims.IssuedAt, claims.Expiry, whStart)
	}
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(auth, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var jose struct{ Alg, Kid string }
	_ = json.Unmarshal(hdr, &jose)
	if jose.Alg != "ES256" || jose.Kid != e.keys.Keys()[0].KID {
		t.Fatalf("header %s, want alg ES256 and the keyring's kid", hdr)
	}
	// The audience is checked: another base URL is refused.
	if _, err := payapjwt.NewVerifier(e.jwks.URL, "https://other.example", e.jwks.Client(), e.clk).Verify(context.Background(), auth, req.body); err == nil {
		t.Fatal("a verifier for another base URL accepted the token")
	}

	// The Notification body.
	if got, want := whKeys(t, req.body), []string{"accountId", "createdAt", "data", "id", "test", "type"}; !slices.Equal(got, want) {
		t.Fatalf("notification fields %v, want %v", got, want)
	}
	var body struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		Data      map[string]any `json:"data"`
		AccountID string         `json:"accountId"`
		Test      bool           `json:"test"`
		CreatedAt string         `json:"createdAt"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.ID) != 22 || body.ID != pending.ID || body.Type != WebhookEventPaid || body.AccountID != SandboxMerchantAccountID ||
		!body.Test || body.CreatedAt != "2026-03-01T09:00:00.000Z" || !reflect.DeepEqual(body.Data, whActivity) {
		t.Fatalf("notification %+v", body)
	}

	// The delivery record.
	got := e.only(t, MerchantOwnerKey)
	if got.State != "delivered" || got.Attempts != 1 || got.LastStatus != http.StatusNoContent || got.LastError != "" ||
		got.NextAttemptAt != nil || got.DeliveredAt == nil || !got.DeliveredAt.Time().Equal(whStart) ||
		got.URL != rv.srv.URL+"/hooks/centrapay?tenant=7" || !bytes.Equal(got.Body, req.body) {
		t.Fatalf("record %+v", got)
	}
	// Nothing more to do.
	e.advance(t, time.Hour)
	if n := e.wh.DeliverDue(context.Background()); n != 0 {
		t.Fatalf("a delivered notification was attempted again (%d)", n)
	}
}

func TestWebhookNotificationsListing(t *testing.T) {
	e := whNewEnv(t)
	rv := whNewReceiver(t)
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL)
	for i, typ := range webhookEventTypes {
		e.wh.Notify(SandboxMerchantAccountID, typ, map[string]any{"n": i}, false)
		e.advance(t, time.Second)
	}
	items := e.notes(t, MerchantTerminalKey)
	if len(items) != 3 {
		t.Fatalf("%d items, want 3", len(items))
	}
	for i, it := range items { // newest first
		if want := webhookEventTypes[2-i]; it.Type != want {
			t.Fatalf("item %d type %s, want %s", i, it.Type, want)
		}
	}
	rec := whDo(t, e.h, http.MethodGet, "/api/webhook-notifications", MerchantOwnerKey, "")
	var raw struct{ Items []json.RawMessage }
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	if got, want := whKeys(t, raw.Items[0]), []string{"attempts", "body", "createdAt", "id", "nextAttemptAt", "state", "type"}; !slices.Equal(got, want) {
		t.Fatalf("pending item fields %v, want %v", got, want)
	}
	// Other accounts see none of them; no key is refused.
	if items := e.notes(t, PayapOwnerKey); len(items) != 0 {
		t.Fatalf("another account sees %d notifications", len(items))
	}
	whCheckError(t, whDo(t, e.h, http.MethodGet, "/api/webhook-notifications", "", ""), 401, "Missing authentication")
}

func TestWebhookRetriesOnTheSandboxClock(t *testing.T) {
	ctx := context.Background()
	e := whNewEnv(t, 10*time.Second, time.Minute, 10*time.Minute)
	rv := whNewReceiver(t, 500, 500, 200)
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL)
	e.wh.Notify(SandboxMerchantAccountID, WebhookEventRefundInitiated, whActivity, false)

	if n := e.wh.DeliverDue(ctx); n != 1 {
		t.Fatalf("first pass: %d attempts, want 1", n)
	}
	got := e.only(t, MerchantOwnerKey)
	if got.State != "pending" || got.Attempts != 1 || got.LastStatus != 500 || got.NextAttemptAt == nil || !got.NextAttemptAt.Time().Equal(whStart.Add(10*time.Second)) ||
		got.LastError != "the receiver answered 500 Internal Server Error; only a 2xx answer counts as delivered" {
		t.Fatalf("after the first failure: %+v", got)
	}
	if n := e.wh.DeliverDue(ctx); n != 0 {
		t.Fatalf("a retry ran before it was due (%d)", n)
	}
	e.advance(t, 10*time.Second-time.Millisecond)
	if n := e.wh.DeliverDue(ctx); n != 0 {
		t.Fatalf("a retry ran 1 ms early (%d)", n)
	}
	e.advance(t, time.Millisecond)
	if n := e.wh.DeliverDue(ctx); n != 1 {
		t.Fatalf("second attempt: %d, want 1", n)
	}
	if got := e.only(t, MerchantOwnerKey); got.Attempts != 2 || !got.NextAttemptAt.Time().Equal(whStart.Add(10*time.Second+time.Minute)) {
		t.Fatalf("after the second failure: %+v", got)
	}
	e.advance(t, 59*time.Second)
	if n := e.wh.DeliverDue(ctx); n != 0 {
		t.Fatalf("third attempt before its delay (%d)", n)
	}
	e.advance(t, time.Second)
	if n := e.wh.DeliverDue(ctx); n != 1 {
		t.Fatalf("third attempt: %d, want 1", n)
	}
	got = e.only(t, MerchantOwnerKey)
	if got.State != "delivered" || got.Attempts != 3 || got.LastStatus != 200 || got.LastError != "" || got.NextAttemptAt != nil ||
		!got.DeliveredAt.Time().Equal(whStart.Add(70*time.Second)) {
		t.Fatalf("after delivery: %+v", got)
	}

	reqs := rv.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	var first struct{ ID string }
	_ = json.Unmarshal(reqs[0].body, &first)
	for i, r := range reqs {
		if !bytes.Equal(r.body, reqs[0].body) {
			t.Fatalf("attempt %d sent other bytes:\n%s\n%s", i+1, r.body, reqs[0].body)
		}
		// Each attempt carries a fresh token over the same bytes.
		v := payapjwt.NewVerifier(e.jwks.URL, rv.srv.URL, e.jwks.Client(), e.clk)
		if _, err := v.Verify(ctx, r.header.Get("Authorization"), r.body); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if first.ID != got.ID {
		t.Fatalf("sent id %q, recorded %q", first.ID, got.ID)
	}
}

func TestWebhookGivesUpAfterTheLastRetry(t *testing.T) {
	ctx := context.Background()
	e := whNewEnv(t, 10*time.Second, 20*time.Second)
	rv := whNewReceiver(t, http.StatusServiceUnavailable)
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL)
	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)

	for i, wait := range []time.Duration{0, 10 * time.Second, 20 * time.Second} {
		e.advance(t, wait)
		if n := e.wh.DeliverDue(ctx); n != 1 {
			t.Fatalf("attempt %d: %d, want 1", i+1, n)
		}
	}
	got := e.only(t, MerchantOwnerKey)
	if got.State != "failed" || got.Attempts != 3 || got.LastStatus != 503 || got.NextAttemptAt != nil || got.DeliveredAt != nil {
		t.Fatalf("after the last retry: %+v", got)
	}
	e.advance(t, 24*time.Hour)
	if n := e.wh.DeliverDue(ctx); n != 0 {
		t.Fatalf("a given-up notification was attempted again (%d)", n)
	}
	if len(rv.requests()) != 3 {
		t.Fatalf("%d requests, want 3", len(rv.requests()))
	}
}

func TestWebhookFailedAttempts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int    // the receiver's answer; 0 for no receiver
		hang      bool   // the receiver never answers
		lastError string // a fragment of the recorded error
	}{
		{name: "a redirect is not followed", status: http.StatusFound, lastError: "answered 302 Found"},
		{name: "a client error", status: http.StatusBadRequest, lastError: "answered 400 Bad Request"},
		{name: "a hanging receiver is cut off", hang: true, lastError: "no answer within 50ms"},
		{name: "nobody listening", lastError: "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := whNewEnv(t, time.Minute)
			e.wh.attemptTimeout = 50 * time.Millisecond
			url := "http://127.0.0.1:1/hooks"
			if tc.status != 0 || tc.hang {
				rv := whNewReceiver(t, max(tc.status, 200))
				rv.setHang(tc.hang)
				url = rv.srv.URL
			}
			e.subscribe(t, SandboxMerchantAccountID, url)
			e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
			if n := e.wh.DeliverDue(context.Background()); n != 1 {
				t.Fatalf("%d attempts, want 1", n)
			}
			got := e.only(t, MerchantOwnerKey)
			if got.State != "pending" || got.Attempts != 1 || got.LastStatus != tc.status ||
				!strings.Contains(got.LastError, tc.lastError) || !got.NextAttemptAt.Time().Equal(whStart.Add(time.Minute)) {
				t.Fatalf("record %+v, want pending with lastStatus %d and an error containing %q", got, tc.status, tc.lastError)
			}
		})
	}
}

func TestWebhookMemoryIsBounded(t *testing.T) {
	ctx := context.Background()
	e := whNewEnv(t, time.Minute)
	e.wh.maxPerAccount = 3
	ok := whNewReceiver(t)
	e.subscribe(t, SandboxMerchantAccountID, ok.srv.URL)
	notify := func(n int) {
		e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, map[string]any{"n": n}, true)
	}
	ns := func() []int {
		var out []int
		for _, it := range e.notes(t, MerchantOwnerKey) {
			var b struct{ Data struct{ N int } }
			_ = json.Unmarshal(it.Body, &b)
			out = append(out, b.Data.N)
		}
		return out
	}
	notify(1)
	notify(2)
	if n := e.wh.DeliverDue(ctx); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	// 1 and 2 are delivered; pending 3 and 4 push out the oldest delivered.
	notify(3)
	notify(4)
	if got, want := ns(), []int{4, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v (newest first)", got, want)
	}
	// With only pending ones left to drop, the oldest pending goes.
	notify(5)
	notify(6)
	if got, want := ns(), []int{6, 5, 4}; !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
}

func TestWebhookRunDeliversOnNotifyAndAfterTheClockMoves(t *testing.T) {
	e := whNewEnv(t, 30*time.Second)
	e.wh.pollInterval = 5 * time.Millisecond
	rv := whNewReceiver(t, 500, 200)
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.wh.Run(ctx) }()

	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	first := rv.next(t)
	e.waitLogged(t, "webhook attempt failed; will retry", 1)
	e.advance(t, 30*time.Second) // Run's poll sees the retry is due
	second := rv.next(t)
	if !bytes.Equal(first.body, second.body) {
		t.Fatal("the retry sent other bytes")
	}
	e.waitLogged(t, "webhook delivered", 1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(whWait):
		t.Fatal("Run did not return after cancel")
	}
	if got := e.only(t, MerchantOwnerKey); got.State != "delivered" || got.Attempts != 2 {
		t.Fatalf("record %+v", got)
	}
}

func TestWebhookRunStopsWhenCancelled(t *testing.T) {
	e := whNewEnv(t, time.Minute)
	rv := whNewReceiver(t)
	rv.setHang(true) // Run is cancelled in the middle of an attempt
	e.subscribe(t, SandboxMerchantAccountID, rv.srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.wh.Run(ctx) }()
	e.wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, whActivity, true)
	rv.next(t)
	if e.wh.active.Load() != 1 {
		t.Fatalf("%d delivery goroutines during the attempt, want 1", e.wh.active.Load())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(whWait):
		t.Fatal("Run did not return after cancel")
	}
	if n := e.wh.active.Load(); n != 0 {
		t.Fatalf("%d delivery goroutines outlived Run", n)
	}
	// The cut-short attempt is not counted; the notification is sent again.
	got := e.only(t, MerchantOwnerKey)
	if got.State != "pending" || got.Attempts != 0 {
		t.Fatalf("after cancel: %+v", got)
	}
	rv.setHang(false)
	if n := e.wh.DeliverDue(context.Background()); n != 1 {
		t.Fatalf("redelivery: %d attempts, want 1", n)
	}
	if got := e.only(t, MerchantOwnerKey); got.State != "delivered" {
		t.Fatalf("after redelivery: %+v", got)
	}
}

// TestWebhookConcurrentDelivery runs Notify from many goroutines while Run
// and extra DeliverDue passes compete; run it with -race. Every notification
// arrives exactly once and no notification, nor subscriber, ever has two
// deliveries in flight.
func TestWebhookConcurrentDelivery(t *testing.T) {
	e := whNewEnv(t, time.Second)
	e.wh.pollInterval = 2 * time.Millisecond
	accounts := []string{SandboxMerchantAccountID, PayapAccountID, PatronAccountID}

	var mu sync.Mutex
	seen := map[string]int{}
	inFlight := map[string]int{} // by account
	var overlap []string
	const perAccount = 40
	total := perAccount * len(accounts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var n struct{ ID, AccountID string }
		_ = json.Unmarshal(body, &n)
		mu.Lock()
		inFlight[n.AccountID]++
		if inFlight[n.AccountID] > 1 {
			overlap = append(overlap, n.AccountID)
		}
		mu.Unlock()
		runtime.Gosched() // give an overlapping delivery its chance
		mu.Lock()
		inFlight[n.AccountID]--
		seen[n.ID]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	for _, a := range accounts {
		e.subscribe(t, a, srv.URL+"/"+a)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.wh.Run(ctx) }()
	var wg sync.WaitGroup
	for _, a := range accounts {
		for i := range perAccount {
			wg.Go(func() { e.wh.Notify(a, WebhookEventPaid, map[string]any{"i": i}, true) })
		}
		wg.Go(func() {
			for ctx.Err() == nil {
				e.wh.DeliverDue(ctx)
				_ = e.st.webhookNotifications(a)
				runtime.Gosched()
			}
		})
	}
	e.waitLogged(t, "webhook delivered", total) // every delivery recorded
	cancel()
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(overlap) > 0 {
		t.Fatalf("%d times a subscriber had two deliveries in flight at once (first: %s)", len(overlap), overlap[0])
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("notification %s arrived %d times", id, n)
		}
	}
	for _, a := range accounts {
		key := map[string]string{SandboxMerchantAccountID: MerchantOwnerKey, PayapAccountID: PayapOwnerKey, PatronAccountID: PatronOwnerKey}[a]
		items := e.notes(t, key)
		if len(items) != perAccount {
			t.Fatalf("%s: %d notifications, want %d", a, len(items), perAccount)
		}
		for _, it := range items {
			if it.State != "delivered" || it.Attempts != 1 {
				t.Fatalf("%s: %+v", a, it)
			}
		}
	}
}

func TestWebhookAudience(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://merchant.example/hooks/centrapay?x=1", "https://merchant.example"},
		{"https://merchant.example:8443/", "https://merchant.example:8443"},
		{"HTTP://127.0.0.1:9000/a/b", "http://127.0.0.1:9000"},
		{"http://[::1]:9000", "http://[::1]:9000"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, err := webhookAudience(tc.url)
			if err != nil || got != tc.want {
				t.Fatalf("webhookAudience(%q) = %q, %v; want %q", tc.url, got, err, tc.want)
			}
		})
	}
}

func ExampleWebhooks_Notify() {
	st := NewMemStore(42)
	_ = Seed(st, DefaultConfig())
	clk := clock.NewFrozen(whStart)
	keys, _ := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	wh := NewWebhooks(st, clk, payapjwt.NewSigner(keys, clk), nil, DefaultConfig().WebhookRetries, nil)
	_ = st.SetWebhookSubscription(SandboxMerchantAccountID, "https://merchant.example/hooks", []string{WebhookEventPaid}, clk.Now())

	wh.Notify(SandboxMerchantAccountID, WebhookEventPaid, map[string]string{"type": "payment"}, true)
	for _, n := range st.webhookNotifications(SandboxMerchantAccountID) {
		fmt.Println(n.Type, n.State, n.Attempts)
	}
	// Output: payment-request:paid pending 0
}
