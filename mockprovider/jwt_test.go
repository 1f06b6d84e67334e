package mockprovider

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// jwtEndpoint is one of the three endpoints Payap signs, with a request that
// would change state if it were accepted.
type jwtEndpoint struct {
	name string
	// call sends the endpoint's request with these Authorization values;
	// sign(body) makes a token for the request's exact body.
	call func(h *payHarness, auth func(body []byte) []string) reply
}

var jwtEndpoints = []jwtEndpoint{
	{"/refund", func(h *payHarness, auth func([]byte) []string) reply {
		body := refundBody("jwt-refund", "jwt-paid", "100")
		return h.postWithAuth("/refund", body, auth(body)...)
	}},
	{"/cancel", func(h *payHarness, auth func([]byte) []string) reply {
		body := cancelBody("jwt-pending", ReasonCancelledByMerchant)
		return h.postWithAuth("/cancel", body, auth(body)...)
	}},
	{"/get", func(h *payHarness, auth func([]byte) []string) reply {
		// A valid GET would count a poll on the pending payment.
		return h.getWithAuth(http.MethodGet, "/get?transactionId=jwt-pending", auth(nil)...)
	}},
}

// jwtSetup makes a successful payment to refund and a pending one to cancel
// and poll.
func jwtSetup(t *testing.T, h *payHarness) {
	t.Helper()
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("jwt-paid", "56789", "1000")))
	attempt(t, h.pay(tok, payBody("jwt-pending", PendingAssetID, "1000")))
}

// TestPaymentJWTRejected sends every kind of bad Payap JWT to /refund,
// /cancel and /get: each is 401 invalid_token with a Bearer challenge and a
// description of what failed, and nothing changes.
func TestPaymentJWTRejected(t *testing.T) {
	signed := func(h *payHarness, faults ...payapjwt.Fault) func([]byte) []string {
		return func(body []byte) []string { return []string{h.sign(body, faults...)} }
	}
	cases := []struct {
		name     string
		auth     func(h *payHarness) func(body []byte) []string
		desc     string
		bodyOnly bool // meaningless for a GET, which has no body to hash
	}{
		{name: "alg none", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.OtherAlgorithm("none")) }, desc: "algorithm"},
		{name: "HS256 keyed with the public key", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.OtherAlgorithm(jose.HS256)) }, desc: "algorithm"},
		{name: "ES384", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.OtherAlgorithm(jose.ES384)) }, desc: "algorithm"},
		{name: "unknown kid", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.UnknownKID()) }, desc: "kid"},
		{name: "signed by another key under the real kid", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.WrongKey()) }, desc: "signature"},
		{name: "expired", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.Expired()) }, desc: "expired"},
		{name: "issued in the future", auth: func(h *payHarness) func([]byte) []string {
			return signed(h, payapjwt.IssuedAt(h.clock.Now().Add(10*time.Minute)))
		}, desc: "not valid yet"},
		{name: "wrong aud", auth: func(h *payHarness) func([]byte) []string {
			return signed(h, payapjwt.WrongAudience("https://another-provider.example"))
		}, desc: "aud"},
		{name: "aud is the endpoint URL, not the base URL (C14)", auth: func(h *payHarness) func([]byte) []string {
			return signed(h, payapjwt.WrongAudience(h.issuer+"/refund"))
		}, desc: "aud"},
		{name: "tampered body", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.TamperBody()) }, desc: "request_body_sha256", bodyOnly: true},
		{name: "no body hash", auth: func(h *payHarness) func([]byte) []string { return signed(h, payapjwt.NoBodyHash()) }, desc: "request_body_sha256", bodyOnly: true},
		{name: "signed for another body", auth: func(h *payHarness) func([]byte) []string {
			return func(body []byte) []string { return []string{h.sign(append([]byte(" "), body...))} }
		}, desc: "request_body_sha256", bodyOnly: true},
		{name: "no Authorization header", auth: func(*payHarness) func([]byte) []string {
			return func([]byte) []string { return nil }
		}, desc: "no JWT"},
		{name: "Bearer with no token", auth: func(*payHarness) func([]byte) []string {
			return func([]byte) []string { return []string{"Bearer"} }
		}, desc: "no JWT"},
		{name: "Basic scheme", auth: func(h *payHarness) func([]byte) []string {
			return func(body []byte) []string { return []string{"Basic " + h.sign(body)} }
		}, desc: "scheme"},
		{name: "not a JWT", auth: func(*payHarness) func([]byte) []string {
			return func([]byte) []string { return []string{"not-a-jwt"} }
		}, desc: "malformed"},
		{name: "a user access token", auth: func(h *payHarness) func([]byte) []string {
			tok := h.payToken()
			return func([]byte) []string { return []string{"Bearer " + tok} }
		}, desc: "malformed"},
		{name: "two Authorization headers", auth: func(h *payHarness) func([]byte) []string {
			return func(body []byte) []string { return []string{h.sign(body), h.sign(body)} }
		}, desc: "one Authorization header"},
	}
	for _, ep := range jwtEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			h := newPayHarness(t)
			jwtSetup(t, h)
			for _, tc := range cases {
				if tc.bodyOnly && ep.name == "/get" {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					auth := tc.auth(h)
					before := h.state()
					r := ep.call(h, auth)
					wantJSONError(t, r, http.StatusUnauthorized, "invalid_token", tc.desc)
					ch := r.header.Get("WWW-Authenticate")
					if !strings.HasPrefix(ch, `Bearer realm="payap-sandbox-provider"`) || !strings.Contains(ch, `error="invalid_token"`) {
						t.Errorf("WWW-Authenticate = %q, want a Bearer challenge with error=\"invalid_token\"", ch)
					}
					h.wantUnchanged(t, before)
				})
			}
			// The same request, signed properly, does change state: the
			// rejections above were about the token alone.
			before := h.state()
			if r := ep.call(h, signed(h)); r.status != http.StatusOK {
				t.Fatalf("properly signed request: %d %s", r.status, r.body)
			}
			if after := h.state(); reflect.DeepEqual(after, before) {
				t.Fatal("a properly signed request changed nothing; the rejections prove nothing")
			}
		})
	}
}

// TestPaymentJWTAccepted covers the documented variants a provider must
// tolerate: the bare JWT and Bearer (C16), iat and exp as numeric strings
// (C13), and a little clock skew.
func TestPaymentJWTAccepted(t *testing.T) {
	h := newPayHarness(t)
	tok := h.payToken()
	attempt(t, h.pay(tok, payBody("acc-paid", "56789", "1000")))
	for i, tc := range []struct {
		name string
		auth func(body []byte) string
	}{
		{"bare JWT", func(b []byte) string { return h.sign(b) }},
		{"Bearer prefix", func(b []byte) string { return "Bearer " + h.sign(b) }},
		{"lower-case bearer prefix", func(b []byte) string { return "bearer " + h.sign(b) }},
		{"iat and exp as numeric strings", func(b []byte) string { return h.sign(b, payapjwt.StringDates()) }},
		{"Bearer and string dates", func(b []byte) string { return "Bearer " + h.sign(b, payapjwt.StringDates()) }},
		{"iat 20 s ahead, within the default leeway", func(b []byte) string {
			return h.sign(b, payapjwt.IssuedAt(h.clock.Now().Add(20*time.Second)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pending := fmt.Sprintf("acc-pending-%d", i)
			attempt(t, h.pay(tok, payBody(pending, PendingAssetID, "10")))

			body := refundBody(fmt.Sprintf("acc-refund-%d", i), "acc-paid", "1")
			if got := attempt(t, h.postWithAuth("/refund", body, tc.auth(body))); got["status"] != StatusSuccessful {
				t.Errorf("/refund: %v", got)
			}
			body = cancelBody(pending, ReasonRequestExpired)
			if got := attempt(t, h.postWithAuth("/cancel", body, tc.auth(body))); got["failureReason"] != ReasonRequestExpired {
				t.Errorf("/cancel: %v", got)
			}
			if got := attempt(t, h.getWithAuth(http.MethodGet, "/get?transactionId=acc-paid", tc.auth(nil))); got["transactionId"] != "acc-paid" {
				t.Errorf("/get: %v", got)
			}
		})
	}
}

func TestPaymentJWTLeeway(t *testing.T) {
	h := newPayHarness(t, func(c *Config) { c.JWTLeeway = time.Second })
	jwtSetup(t, h)
	r := h.getWithAuth(http.MethodGet, "/get?transactionId=jwt-paid", h.sign(nil, payapjwt.IssuedAt(h.clock.Now().Add(5*time.Second))))
	wantJSONError(t, r, http.StatusUnauthorized, "invalid_token", "1s leeway")
	r = h.getWithAuth(http.MethodGet, "/get?transactionId=jwt-paid", h.sign(nil, payapjwt.IssuedAt(h.clock.Now().Add(time.Second))))
	attempt(t, r)
}

func TestPaymentJWTNotConfigured(t *testing.T) {
	h := newHarness(t)
	ph := &payHarness{harness: h}
	k, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	ph.signer = payapjwt.NewSigner(k, h.clock)
	jwtSetup(t, ph)
	for _, ep := range jwtEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			before := ph.state()
			r := ep.call(ph, func(body []byte) []string { return []string{ph.sign(body)} })
			wantJSONError(t, r, http.StatusUnauthorized, "invalid_token", "payap_jwks_url")
			ph.wantUnchanged(t, before)
		})
	}
}

// TestPaymentJWTKeys follows Payap's keys: the JWKS is cached per its
// max-age, refetched for an unknown kid at most every 5 s, and a JWKS that
// cannot be fetched fails closed.
func TestPaymentJWTKeys(t *testing.T) {
	h := newPayHarness(t)
	jwtSetup(t, h)
	get := func() reply {
		return h.getWithAuth(http.MethodGet, "/get?transactionId=jwt-paid", h.sign(nil))
	}
	attempt(t, get())
	attempt(t, get())
	if n := h.jwksHits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches for two calls, want 1 (cached)", n)
	}

	if _, err := h.keys.RotateWithoutNotice(); err != nil {
		t.Fatal(err)
	}
	wantJSONError(t, get(), http.StatusUnauthorized, "invalid_token", "kid")
	h.clock.Advance(payapjwt.DefaultRefetchInterval)
	attempt(t, get())
	if n := h.jwksHits.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches after the rotation, want 2", n)
	}

	// The cache lapses; the JWKS host is down.
	h.clock.Advance(payapjwt.DefaultJWKSMaxAge)
	h.jwksDown.Store(true)
	before := h.state()
	wantJSONError(t, h.signedPost("/refund", refundBody("keys-r", "jwt-paid", "1")), http.StatusUnauthorized, "invalid_token", "JWKS could not be fetched")
	h.wantUnchanged(t, before)
}
