package mockprovider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// payHarness is a provider on loopback with Payap's side beside it: a
// keyring whose JWKS is served by its own loopback server (the provider's
// payap_jwks_url) and a signer for refund, cancel and get calls.
type payHarness struct {
	*harness
	keys   *payapjwt.Keyring
	signer *payapjwt.Signer
	jwks   *httptest.Server
	// jwksHits counts JWKS fetches; jwksDown makes them fail with 503.
	jwksHits atomic.Int64
	jwksDown atomic.Bool
}

// newPayHarness starts the provider with PayapJWKSURL pointing at a JWKS
// server on loopback, keyed on the provider's own frozen clock.
func newPayHarness(t testing.TB, mutate ...func(*Config)) *payHarness {
	t.Helper()
	ph := &payHarness{}
	var keys atomic.Pointer[payapjwt.Keyring]
	ph.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ph.jwksHits.Add(1)
		if ph.jwksDown.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		keys.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(ph.jwks.Close)
	mutate = append([]func(*Config){func(c *Config) { c.PayapJWKSURL = ph.jwks.URL + "/.well-known/jwks.json" }}, mutate...)
	ph.harness = newHarness(t, mutate...)
	k, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, ph.clock)
	if err != nil {
		t.Fatal(err)
	}
	keys.Store(k)
	ph.keys = k
	ph.signer = payapjwt.NewSigner(k, ph.clock)
	return ph
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (h *payHarness) send(req *http.Request) reply {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// pay POSTs body to /pay with an access token ("" sends no Authorization).
func (h *payHarness) pay(token string, body []byte) reply {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/pay", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(req)
}

// sign returns a Payap JWT for body (nil for a GET), with faults.
func (h *payHarness) sign(body []byte, faults ...payapjwt.Fault) string {
	h.t.Helper()
	tok, err := h.signer.SignWith(h.issuer, body, faults...)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// signedPost POSTs body to path with a freshly signed Payap JWT, bare as
// the docs show it.
func (h *payHarness) signedPost(path string, body []byte, faults ...payapjwt.Fault) reply {
	h.t.Helper()
	return h.postWithAuth(path, body, h.sign(body, faults...))
}

func (h *payHarness) postWithAuth(path string, body []byte, authorization ...string) reply {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	return h.send(req)
}

// get calls GET /get for id with a freshly signed JWT.
func (h *payHarness) get(id string, faults ...payapjwt.Fault) reply {
	h.t.Helper()
	return h.getWithAuth(http.MethodGet, "/get?transactionId="+id, h.sign(nil, faults...))
}

func (h *payHarness) getWithAuth(method, target string, authorization ...string) reply {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.issuer+target, nil)
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	return h.send(req)
}

// payToken runs the OAuth flow as the demo user and returns an access token.
func (h *payHarness) payToken(scopes ...string) string {
	h.t.Helper()
	return h.tokens(scopes...).AccessToken
}

// balance reads an asset's balance from the store.
func (h *payHarness) balance(id string) int64 {
	h.t.Helper()
	a, ok := h.store.Asset(id)
	if !ok {
		h.t.Fatalf("asset %s not found", id)
	}
	return a.Balance
}

// payState is everything a payment endpoint may change.
type payState struct {
	Assets       map[string]Asset
	Transactions []Transaction
}

func (h *payHarness) state() payState {
	s := payState{Assets: map[string]Asset{}, Transactions: h.store.Transactions()}
	for _, u := range h.store.Users() {
		for _, a := range h.store.Assets(u.ID) {
			s.Assets[a.ID] = a
		}
	}
	return s
}

func (h *payHarness) wantUnchanged(t testing.TB, before payState) {
	t.Helper()
	if after := h.state(); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

// otherUsersAsset returns an asset of a generated user.
func (h *payHarness) otherUsersAsset() Asset {
	h.t.Helper()
	for _, u := range h.store.Users() {
		if u.ID != DemoUserID {
			if as := h.store.Assets(u.ID); len(as) > 0 {
				return as[0]
			}
		}
	}
	h.t.Fatal("no generated user has an asset")
	return Asset{}
}

// payFields is a valid /pay body as a map, for cases to edit.
func payFields(txn, asset, amount string) map[string]any {
	return map[string]any{
		"currency":             "NZD",
		"amount":               amount,
		"authorization":        asset,
		"merchantName":         "Sandbox Coffee",
		"merchantId":           "merchant-001",
		"merchantCategoryCode": "5814",
		"merchantLocation":     map[string]any{"street": "1 Queen Street", "city": "Auckland", "country": "NZ", "lat": "-36.8483579"},
		"paymentRequestId":     "pr_" + txn,
		"transactionId":        txn,
	}
}

func payBody(txn, asset, amount string) []byte { return mustJSON(payFields(txn, asset, amount)) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// attempt decodes an attempt answer (200, JSON) into a generic map, so that
// absent fields are seen as absent.
func attempt(t testing.TB, r reply) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// wantJSONError checks a 4xx in the provider's {error, error_description} shape.
func wantJSONError(t testing.TB, r reply, status int, code, descContains string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	var e oauthErr
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("body %s is not the JSON error shape: %v", r.body, err)
	}
	if e.Error != code || e.Description == "" {
		t.Fatalf("error = %q (%q), want %q with a description", e.Error, e.Description, code)
	}
	if !strings.Contains(e.Description, descContains) {
		t.Fatalf("error_description %q does not mention %q", e.Description, descContains)
	}
}

func TestPayOutcomes(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	other := h.otherUsersAsset()
	wantBefore := timestamp(start.Add(DefaultRefundWindow))
	for _, tc := range []struct {
		name   string
		asset  string
		amount string
		edit   func(map[string]any)
		status string
		reason string
		debit  int64
	}{
		{name: "success debits and is refundable", asset: "12345", amount: "500", status: StatusSuccessful, debit: 500},
		{name: "exactly the balance", asset: "12345", amount: "4500", status: StatusSuccessful, debit: 4500},
		{name: "balance too low", asset: "56789", amount: "25001", status: StatusFailed, reason: ReasonInsufficientValue},
		{name: "unknown asset", asset: "no-such-asset", amount: "1", status: StatusFailed, reason: ReasonRedemptionDenied},
		{name: "another user's asset", asset: other.ID, amount: "1", status: StatusFailed, reason: ReasonRedemptionDenied},
		{name: "currency the asset does not hold", asset: "56789", amount: "100", edit: func(m map[string]any) { m["currency"] = "AUD" }, status: StatusFailed, reason: ReasonRedemptionDenied},
		{name: "optional fields left out", asset: "56789", amount: "100", edit: func(m map[string]any) {
			delete(m, "merchantCategoryCode")
			delete(m, "merchantLocation")
			delete(m, "paymentRequestId")
		}, status: StatusSuccessful, debit: 100},
		{name: "unknown fields tolerated, status and type ignored", asset: "56789", amount: "100", edit: func(m map[string]any) {
			m["status"], m["type"], m["somethingNew"] = "failed", "refund", map[string]any{"x": 1}
		}, status: StatusSuccessful, debit: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txn := "pay-" + strings.ReplaceAll(tc.name, " ", "-")
			fields := payFields(txn, tc.asset, tc.amount)
			if tc.edit != nil {
				tc.edit(fields)
			}
			var balanceBefore int64
			if a, ok := h.store.Asset(tc.asset); ok {
				balanceBefore = a.Balance
			}
			r := h.pay(tok, mustJSON(fields))
			got := attempt(t, r)
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if got["status"] != tc.status || got["type"] != TypePayment {
				t.Fatalf("status %v type %v, want %s payment; body %s", got["status"], got["type"], tc.status, r.body)
			}
			// Every request field is echoed as sent.
			for k, v := range fields {
				if k == "status" || k == "type" || k == "somethingNew" {
					continue
				}
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %v, want the request's %v", k, got[k], v)
				}
			}
			if _, ok := got["somethingNew"]; ok {
				t.Error("an unknown request field was echoed")
			}
			if tc.status == StatusSuccessful {
				if got["refundable"] != true || got["refundBefore"] != wantBefore {
					t.Errorf("refundable %v refundBefore %v, want true and %s", got["refundable"], got["refundBefore"], wantBefore)
				}
				if _, ok := got["failureReason"]; ok {
					t.Errorf("a successful payment has failureReason %v", got["failureReason"])
				}
			} else {
				if got["failureReason"] != tc.reason {
					t.Errorf("failureReason %v, want %s", got["failureReason"], tc.reason)
				}
				for _, k := range []string{"refundable", "refundBefore"} {
					if _, ok := got[k]; ok {
						t.Errorf("a failed payment carries %s", k)
					}
				}
			}
			if a, ok := h.store.Asset(tc.asset); ok && balanceBefore-a.Balance != tc.debit {
				t.Errorf("debited %d, want %d", balanceBefore-a.Balance, tc.debit)
			}
			if other.ID == tc.asset && h.balance(other.ID) != other.Balance {
				t.Error("another user's asset was debited")
			}
			// /get answers the same attempt, byte for byte.
			if g := h.get(txn); !bytes.Equal(g.body, r.body) {
				t.Errorf("GET /get = %s, want the pay answer %s", g.body, r.body)
			}
		})
	}
}

func TestPayBadRequests(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	without := func(field string) []byte {
		m := payFields("bad-1", "12345", "100")
		delete(m, field)
		return mustJSON(m)
	}
	with := func(field string, v any) []byte {
		m := payFields("bad-1", "12345", "100")
		m[field] = v
		return mustJSON(m)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		desc   string
	}{
		{"missing currency", without("currency"), 400, "currency"},
		{"missing amount", without("amount"), 400, "amount"},
		{"missing authorization", without("authorization"), 400, "authorization"},
		{"missing merchantName", without("merchantName"), 400, "merchantName"},
		{"missing merchantId", without("merchantId"), 400, "merchantId"},
		{"missing transactionId", without("transactionId"), 400, "transactionId"},
		{"every field missing, all named", []byte(`{}`), 400, "amount, authorization, currency, merchantId, merchantName, transactionId"},
		{"empty amount", with("amount", ""), 400, "amount"},
		{"amount not digits", with("amount", "abc"), 400, "digits"},
		{"amount with decimals", with("amount", "5.00"), 400, "digits"},
		{"negative amount", with("amount", "-5"), 400, "digits"},
		{"amount zero", with("amount", "0"), 400, "greater than zero"},
		{"amount with leading zero", with("amount", "0500"), 400, "leading zeros"},
		{"amount too large", with("amount", "99999999999999999999"), 400, "too large"},
		{"amount as a JSON number", with("amount", 500), 400, "amount must be a JSON string"},
		{"currency as a JSON number", with("currency", 554), 400, "currency must be a JSON string"},
		{"merchantLocation not an object", with("merchantLocation", "Auckland"), 400, "merchantLocation"},
		{"transactionId too long", with("transactionId", strings.Repeat("x", maxIDLength+1)), 400, "transactionId longer"},
		{"malformed JSON", []byte(`{"amount":`), 400, "not valid JSON"},
		{"empty body", nil, 400, "empty"},
		{"JSON array", []byte(`[1,2]`), 400, "JSON object"},
		{"JSON null", []byte(`null`), 400, "missing required"},
		{"body over 64 KiB", append(with("merchantName", strings.Repeat("m", maxPaymentBody)), ' '), http.StatusRequestEntityTooLarge, "64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			r := h.pay(tok, tc.body)
			wantJSONError(t, r, tc.status, "invalid_request", tc.desc)
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			h.wantUnchanged(t, before)
		})
	}
}

func TestPayAuthentication(t *testing.T) {
	h := newPayHarness(t)
	payTok := h.payToken()
	readTok := h.payToken("assets:read")
	expiring := h.payToken()
	for _, tc := range []struct {
		name      string
		auth      []string
		query     string
		status    int
		code      string
		challenge string
	}{
		{name: "no Authorization header", status: 401, challenge: `Bearer realm="payap-sandbox-provider"`},
		{name: "unknown token", auth: []string{"Bearer at_nope"}, status: 401, code: "invalid_token", challenge: `error="invalid_token"`},
		{name: "Basic scheme", auth: []string{"Basic " + payTok}, status: 401, challenge: `Bearer realm=`},
		{name: "a Payap JWT is not a user token", auth: []string{"Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig"}, status: 401, code: "invalid_token", challenge: `error="invalid_token"`},
		{name: "token lacks assets:pay", auth: []string{"Bearer " + readTok}, status: 403, code: "insufficient_scope", challenge: `scope="assets:pay"`},
		{name: "two Authorization headers", auth: []string{"Bearer " + payTok, "Bearer " + payTok}, status: 400, code: "invalid_request"},
		{name: "token also in the query", auth: []string{"Bearer " + payTok}, query: "?access_token=" + payTok, status: 400, code: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			req, _ := http.NewRequest(http.MethodPost, h.issuer+"/pay"+tc.query, bytes.NewReader(payBody("auth-1", "12345", "100")))
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			r := h.send(req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			var e oauthErr
			_ = json.Unmarshal(r.body, &e)
			if e.Error != tc.code {
				t.Errorf("error %q, want %q", e.Error, tc.code)
			}
			if ch := r.header.Get("WWW-Authenticate"); !strings.Contains(ch, tc.challenge) {
				t.Errorf("WWW-Authenticate %q, want it to contain %q", ch, tc.challenge)
			}
			h.wantUnchanged(t, before)
		})
	}

	t.Run("expired token", func(t *testing.T) {
		if err := h.clock.Advance(h.cfg.AccessTokenTTL); err != nil {
			t.Fatal(err)
		}
		before := h.state()
		r := h.pay(expiring, payBody("auth-2", "12345", "100"))
		wantJSONError(t, r, 401, "invalid_token", "expired")
		h.wantUnchanged(t, before)
	})

	t.Run("revoked grant", func(t *testing.T) {
		h.clock.Set(start)
		tok := h.payToken()
		for _, g := range h.store.Grants() {
			if err := h.store.RevokeGrant(g.ID, "test", start); err != nil {
				t.Fatal(err)
			}
		}
		before := h.state()
		wantJSONError(t, h.pay(tok, payBody("auth-3", "12345", "100")), 401, "invalid_token", "revoked")
		h.wantUnchanged(t, before)
	})
}

func TestPayIdempotent(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	first := h.pay(tok, payBody("idem-1", "12345", "700"))
	attempt(t, first)
	if got := h.balance("12345"); got != 4300 {
		t.Fatalf("balance %d after the first pay, want 4300", got)
	}
	failed := h.pay(tok, payBody("idem-failed", "12345", "999999"))
	if attempt(t, failed)["failureReason"] != ReasonInsufficientValue {
		t.Fatalf("want an insufficient-value failure, got %s", failed.body)
	}
	h.clock.Advance(30 * time.Minute)
	otherTok := h.payToken()

	for _, tc := range []struct {
		name string
		tok  string
		body []byte
		want []byte
	}{
		{"same request again", tok, payBody("idem-1", "12345", "700"), first.body},
		{"same request with a new token of the same user", otherTok, payBody("idem-1", "12345", "700"), first.body},
		{"different amount still answers the stored attempt", tok, payBody("idem-1", "12345", "1"), first.body},
		{"different asset still answers the stored attempt", tok, payBody("idem-1", "56789", "700"), first.body},
		{"a failed attempt is replayed as failed", tok, payBody("idem-failed", "12345", "1"), failed.body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			r := h.pay(tc.tok, tc.body)
			if r.status != http.StatusOK || !bytes.Equal(r.body, tc.want) {
				t.Fatalf("replay: %d %s\nwant 200 %s", r.status, r.body, tc.want)
			}
			h.wantUnchanged(t, before)
		})
	}
}

func TestPayTransactionIDConflicts(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("conf-pay", "56789", "1000")))
	attempt(t, h.signedPost("/refund", refundBody("conf-refund", "conf-pay", "100")))

	// Another user pays with the demo user's transactionId.
	other := h.otherUsersAsset()
	u, _ := h.store.User(other.UserID)
	verifier, challenge := pkce()
	consent := h.login(authParams(challenge), u.Username, u.Password)
	loc := redirectParams(t, h.approve(consent, "assets:read", "assets:pay"), http.StatusSeeOther)
	var tr tokenResponse
	decode(t, h.token(loc.Get("code"), verifier), http.StatusOK, &tr)

	for _, tc := range []struct {
		name string
		tok  string
		body []byte
		desc string
	}{
		{"payment with a refund's transactionId", tok, payBody("conf-refund", "56789", "1000"), "already a refund"},
		{"another user's payment transactionId", tr.AccessToken, payBody("conf-pay", other.ID, "1"), "another user's payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			wantJSONError(t, h.pay(tc.tok, tc.body), http.StatusConflict, "invalid_request", tc.desc)
			h.wantUnchanged(t, before)
		})
	}
}

func TestPayPendingResolvesAfterPolls(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	if h.balance(PendingAssetID) != 20000 {
		t.Fatalf("seeded Slow Points balance %d, want 20000", h.balance(PendingAssetID))
	}
	first := h.pay(tok, payBody("slow-1", PendingAssetID, "500"))
	got := attempt(t, first)
	if got["status"] != StatusPending || got["type"] != TypePayment {
		t.Fatalf("pay on Slow Points = %s, want pending", first.body)
	}
	for _, k := range []string{"refundable", "refundBefore", "failureReason"} {
		if _, ok := got[k]; ok {
			t.Errorf("a pending payment carries %s", k)
		}
	}
	if b := h.balance(PendingAssetID); b != 19500 {
		t.Fatalf("balance %d while pending, want 19500 (the amount is held)", b)
	}

	// HEAD reads without counting a poll.
	if r := h.getWithAuth(http.MethodHead, "/get?transactionId=slow-1", h.sign(nil)); r.status != 200 {
		t.Fatalf("HEAD /get: %d", r.status)
	}
	if tx, _ := h.store.Transaction("slow-1"); tx.Polls != 0 {
		t.Fatalf("HEAD counted a poll: %d", tx.Polls)
	}

	steps := []struct {
		advance time.Duration
		status  string
	}{{time.Minute, StatusPending}, {time.Minute, StatusSuccessful}, {time.Minute, StatusSuccessful}}
	for i, s := range steps {
		h.clock.Advance(s.advance)
		g := attempt(t, h.get("slow-1"))
		if g["status"] != s.status {
			t.Fatalf("poll %d: status %v, want %s", i+1, g["status"], s.status)
		}
		if s.status == StatusSuccessful {
			// Refundable from when it succeeded: the second poll.
			want := timestamp(start.Add(2 * time.Minute).Add(DefaultRefundWindow))
			if g["refundable"] != true || g["refundBefore"] != want {
				t.Fatalf("poll %d: refundable %v refundBefore %v, want true %s", i+1, g["refundable"], g["refundBefore"], want)
			}
		}
	}
	if tx, _ := h.store.Transaction("slow-1"); tx.Polls != 2 || tx.Held {
		t.Fatalf("after resolving: polls %d held %v, want 2 polls and no hold", tx.Polls, tx.Held)
	}
	if b := h.balance(PendingAssetID); b != 19500 {
		t.Fatalf("balance %d after success, want 19500 (debited once)", b)
	}
	// A retried /pay still answers the stored first answer.
	if r := h.pay(tok, payBody("slow-1", PendingAssetID, "500")); !bytes.Equal(r.body, first.body) {
		t.Fatalf("replay after resolution = %s, want the stored %s", r.body, first.body)
	}
	// An insufficient balance fails at once, never pending.
	if g := attempt(t, h.pay(tok, payBody("slow-2", PendingAssetID, "19501"))); g["status"] != StatusFailed || g["failureReason"] != ReasonInsufficientValue {
		t.Fatalf("overdraw of a pending asset = %v", g)
	}
}

func TestAssetSettings(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	if err := h.store.SetAssetSettings("12345", AssetSettings{PendingPolls: 1, PartialRefunds: true}); err != nil {
		t.Fatal(err)
	}
	if g := attempt(t, h.pay(tok, payBody("set-1", "12345", "100"))); g["status"] != StatusPending {
		t.Fatalf("after PendingPolls 1: %v, want pending", g)
	}
	if g := attempt(t, h.get("set-1")); g["status"] != StatusSuccessful {
		t.Fatalf("first poll: %v, want successful", g)
	}
	if err := h.store.SetAssetSettings("12345", DefaultAssetSettings()); err != nil {
		t.Fatal(err)
	}
	if g := attempt(t, h.pay(tok, payBody("set-2", "12345", "100"))); g["status"] != StatusSuccessful {
		t.Fatalf("back to defaults: %v, want successful at once", g)
	}
	for _, tc := range []struct {
		name  string
		asset string
		set   AssetSettings
		want  string
	}{
		{"negative polls", "12345", AssetSettings{PendingPolls: -1}, "pendingPolls"},
		{"too many polls", "12345", AssetSettings{PendingPolls: MaxPendingPolls + 1}, "pendingPolls"},
		{"unknown asset", "nope", DefaultAssetSettings(), "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			if err := h.store.SetAssetSettings(tc.asset, tc.set); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
			h.wantUnchanged(t, before)
		})
	}
}

func TestResolveTransaction(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("res-ok", PendingAssetID, "1000")))
	attempt(t, h.pay(tok, payBody("res-fail", PendingAssetID, "2000")))
	attempt(t, h.pay(tok, payBody("res-done", "12345", "100")))
	if b := h.balance(PendingAssetID); b != 17000 {
		t.Fatalf("balance %d with two holds, want 17000", b)
	}
	for _, tc := range []struct {
		name, id, status, reason, want string
	}{
		{"bad status", "res-ok", "pending", "", "resolve a pending transaction as"},
		{"failed without a reason", "res-ok", StatusFailed, "", "needs a failure reason"},
		{"successful with a reason", "res-ok", StatusSuccessful, "X", "no failure reason"},
		{"unknown transaction", "nope", StatusSuccessful, "", "not found"},
		{"not pending", "res-done", StatusSuccessful, "", "is successful; only a pending payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			if err := h.store.ResolveTransaction(tc.id, tc.status, tc.reason, h.clock.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			h.wantUnchanged(t, before)
		})
	}

	h.clock.Advance(time.Hour)
	if err := h.store.ResolveTransaction("res-ok", StatusSuccessful, "", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	g := attempt(t, h.get("res-ok"))
	if g["status"] != StatusSuccessful || g["refundBefore"] != timestamp(start.Add(time.Hour+DefaultRefundWindow)) {
		t.Fatalf("resolved successful: %v", g)
	}
	if err := h.store.ResolveTransaction("res-fail", StatusFailed, ReasonRedemptionDenied, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	g = attempt(t, h.get("res-fail"))
	if g["status"] != StatusFailed || g["failureReason"] != ReasonRedemptionDenied {
		t.Fatalf("resolved failed: %v", g)
	}
	if b := h.balance(PendingAssetID); b != 19000 {
		t.Fatalf("balance %d, want 19000: the failed hold is released, the successful one kept", b)
	}
	if err := h.store.ResolveTransaction("res-fail", StatusSuccessful, "", h.clock.Now()); err == nil {
		t.Fatal("a failed transaction was resolved again")
	}
}

func TestPaymentRoutesMethods(t *testing.T) {
	h := newPayHarness(t)
	for _, tc := range []struct {
		path, method, allow string
	}{
		{"/pay", http.MethodGet, "POST"},
		{"/pay", http.MethodPut, "POST"},
		{"/refund", http.MethodGet, "POST"},
		{"/cancel", http.MethodDelete, "POST"},
		{"/get", http.MethodPost, "GET, HEAD"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tc.allow {
				t.Fatalf("%d Allow %q, want 405 with Allow %q", rec.Code, rec.Header().Get("Allow"), tc.allow)
			}
		})
	}
}

func TestConfigPaymentKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"defaults are valid", func(*Config) {}, ""},
		{"jwks url set", func(c *Config) { c.PayapJWKSURL = "http://127.0.0.1:8402/.well-known/jwks.json" }, ""},
		{"jwks url relative", func(c *Config) { c.PayapJWKSURL = "/.well-known/jwks.json" }, "provider.payap_jwks_url"},
		{"jwks url ftp", func(c *Config) { c.PayapJWKSURL = "ftp://example.test/jwks" }, "provider.payap_jwks_url"},
		{"refund window zero", func(c *Config) { c.RefundWindow = 0 }, "provider.refund_window"},
		{"refund window negative", func(c *Config) { c.RefundWindow = -time.Hour }, "provider.refund_window"},
		{"leeway negative", func(c *Config) { c.JWTLeeway = -time.Second }, "provider.jwt_leeway"},
		{"leeway too long", func(c *Config) { c.JWTLeeway = time.Hour }, "provider.jwt_leeway"},
		{"leeway set", func(c *Config) { c.JWTLeeway = 5 * time.Second }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Issuer = "http://127.0.0.1:8401"
			tc.mutate(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.want)
			}
		})
	}
	if got := DefaultConfig().RefundWindow; got != 30*24*time.Hour {
		t.Fatalf("default refund window %s, want 30 days", got)
	}
}

func TestSeedPendingAsset(t *testing.T) {
	s := NewMemStore()
	if err := Seed(s, 42); err != nil {
		t.Fatal(err)
	}
	want := []Asset{
		{ID: "12345", UserID: DemoUserID, Description: "Everyday Points", Currency: "NZD", Balance: 5000, PartialRefunds: true},
		{ID: "56789", UserID: DemoUserID, Description: "Bonus Points", Currency: "NZD", Balance: 25000, PartialRefunds: true},
		{ID: "99999", UserID: DemoUserID, Description: "Slow Points", Currency: "NZD", Balance: 20000, PendingPolls: 2, PartialRefunds: true},
	}
	if got := s.Assets(DemoUserID); !reflect.DeepEqual(got, want) {
		t.Fatalf("demo assets\n %+v\nwant\n %+v", got, want)
	}
	for _, u := range s.Users() {
		for _, a := range s.Assets(u.ID) {
			if u.ID != DemoUserID && a.Settings() != DefaultAssetSettings() {
				t.Errorf("generated asset %s has settings %+v, want the defaults", a.ID, a.Settings())
			}
		}
	}
}

// Example of the byte-level wire form of a successful payment.
func TestPayWireForm(t *testing.T) {
	h := newPayHarness(t)
	r := h.pay(h.payToken(), []byte(`{"currency":"NZD","amount":"250","authorization":"56789","merchantName":"Cafe","merchantId":"m1","transactionId":"wire-1","merchantLocation":{"city":"Auckland",  "street":"1 Queen St","country":"NZ"}}`))
	want := fmt.Sprintf(`{"currency":"NZD","amount":"250","authorization":"56789","merchantName":"Cafe","merchantId":"m1","merchantLocation":{"city":"Auckland","street":"1 Queen St","country":"NZ"},"transactionId":"wire-1","status":"successful","type":"payment","refundable":true,"refundBefore":"%s"}`,
		start.Add(DefaultRefundWindow).Format("2006-01-02T15:04:05.000Z"))
	if string(r.body) != want {
		t.Fatalf("body\n %s\nwant\n %s", r.body, want)
	}
}
