package mockpayap_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// POST /api/sandbox/jwt-probe: each fault reaches the provider as the
// faulty token it names, and the probe shows both sides.

type probeResult struct {
	Fault   string `json:"fault"`
	Expect  string `json:"expect"`
	Verdict string `json:"verdict"`
	Request struct {
		Method        string  `json:"method"`
		URL           string  `json:"url"`
		Authorization string  `json:"authorization"`
		Body          *string `json:"body"`
	} `json:"request"`
	Response struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	} `json:"response"`
}

func (e *payEnv) probe(req map[string]any) probeResult {
	e.t.Helper()
	var out probeResult
	e.do(http.MethodPost, "/api/sandbox/jwt-probe", e.token, req).want(http.StatusOK, &out)
	return out
}

func TestJWTProbeSendsEachFault(t *testing.T) {
	e := newPayEnv(t)
	verifier := payapjwt.NewVerifier(e.URL+"/.well-known/jwks.json", e.Fake.URL, nil, e.Clock)
	jwks := map[string]bool{}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	e.do(http.MethodGet, "/.well-known/jwks.json", "", nil).want(http.StatusOK, &set)
	for _, k := range set.Keys {
		jwks[k.Kid] = true
	}

	for _, tc := range []struct {
		fault    string
		endpoint string
		err      error // what a strict verifier says; nil: accepted
		check    func(t *testing.T, header, claims map[string]any, sig string, body []byte)
	}{
		{fault: "none", endpoint: "refund"},
		{fault: "none", endpoint: "cancel"},
		{fault: "none", endpoint: "get", check: func(t *testing.T, _, claims map[string]any, _ string, _ []byte) {
			if _, ok := claims["request_body_sha256"]; ok {
				t.Error("a GET token has request_body_sha256")
			}
		}},
		{fault: "wrong_aud", endpoint: "refund", err: payapjwt.ErrAudience, check: func(t *testing.T, _, claims map[string]any, _ string, _ []byte) {
			if claims["aud"] != e.Fake.URL+"/refund" {
				t.Errorf("aud %v, want the endpoint URL %s/refund", claims["aud"], e.Fake.URL)
			}
		}},
		{fault: "expired", endpoint: "cancel", err: payapjwt.ErrExpired},
		{fault: "tampered_body", endpoint: "refund", err: payapjwt.ErrBodyHash, check: func(t *testing.T, _, claims map[string]any, _ string, body []byte) {
			if claims["request_body_sha256"] == payapjwt.BodySHA256(body) {
				t.Error("the tampered hash is the body's")
			}
		}},
		{fault: "no_body_hash", endpoint: "cancel", err: payapjwt.ErrBodyHash, check: func(t *testing.T, _, claims map[string]any, _ string, _ []byte) {
			if _, ok := claims["request_body_sha256"]; ok {
				t.Error("request_body_sha256 is there")
			}
		}},
		{fault: "unknown_kid", endpoint: "get", err: payapjwt.ErrUnknownKey, check: func(t *testing.T, header, _ map[string]any, _ string, _ []byte) {
			if jwks[header["kid"].(string)] {
				t.Errorf("kid %v is in Payap's JWKS", header["kid"])
			}
		}},
		{fault: "wrong_key", endpoint: "refund", err: payapjwt.ErrSignature},
		{fault: "alg_none", endpoint: "refund", err: payapjwt.ErrAlgorithm, check: func(t *testing.T, header, _ map[string]any, sig string, _ []byte) {
			if header["alg"] != "none" || sig != "" {
				t.Errorf("header %v, signature %q; want alg none and no signature", header, sig)
			}
		}},
		{fault: "hs256_public_key", endpoint: "cancel", err: payapjwt.ErrAlgorithm, check: func(t *testing.T, header, _ map[string]any, _ string, _ []byte) {
			if header["alg"] != "HS256" {
				t.Errorf("alg %v, want HS256", header["alg"])
			}
		}},
		{fault: "other_alg", endpoint: "get", err: payapjwt.ErrAlgorithm, check: func(t *testing.T, header, _ map[string]any, _ string, _ []byte) {
			if header["alg"] != "ES384" {
				t.Errorf("alg %v, want ES384", header["alg"])
			}
		}},
		{fault: "string_dates", endpoint: "refund", check: func(t *testing.T, _, claims map[string]any, _ string, _ []byte) {
			if _, ok := claims["iat"].(string); !ok {
				t.Errorf("iat %#v, want a numeric string", claims["iat"])
			}
		}},
	} {
		t.Run(tc.fault+" on "+tc.endpoint, func(t *testing.T) {
			e.api.t = t
			defer func() { e.api.t = e.t }()
			before := len(e.Prov.callsTo("/" + tc.endpoint))
			out := e.probe(map[string]any{"assetType": defaultAssetType, "endpoint": tc.endpoint, "fault": tc.fault, "transactionId": "ptx_probe"})
			calls := e.Prov.callsTo("/" + tc.endpoint)
			if len(calls) != before+1 {
				t.Fatalf("%d calls to /%s, want one more", len(calls)-before, tc.endpoint)
			}
			got := calls[len(calls)-1]
			// The probe shows what was sent, byte for byte.
			if out.Request.Authorization != got.Authorization || out.Request.Method != got.Method {
				t.Errorf("the probe shows %s %q, the provider got %s %q", out.Request.Method, out.Request.Authorization, got.Method, got.Authorization)
			}
			var body []byte
			if tc.endpoint == "get" {
				if out.Request.Body != nil || len(got.Body) != 0 || got.Query != "transactionId=ptx_probe" {
					t.Errorf("GET probe: body %v / %q, query %q", out.Request.Body, got.Body, got.Query)
				}
			} else {
				body = got.Body
				if out.Request.Body == nil || *out.Request.Body != string(got.Body) {
					t.Errorf("the probe shows body %v, the provider got %s", out.Request.Body, got.Body)
				}
				if got.json()["transactionId"] == nil {
					t.Errorf("default body %s has no transactionId", got.Body)
				}
			}
			if out.Request.URL != e.Fake.URL+"/"+tc.endpoint && !strings.HasPrefix(out.Request.URL, e.Fake.URL+"/get?") {
				t.Errorf("url %s", out.Request.URL)
			}
			// The token is the faulty one it names.
			_, err := verifier.Verify(context.Background(), got.Authorization, body)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("a strict verifier says %v, want %v", err, tc.err)
			}
			header, claims, sig := payJWTParts(t, got.Authorization)
			if tc.check != nil {
				tc.check(t, header, claims, sig, body)
			}
			// And the provider's answer is shown as it was.
			wantStatus, expect := http.StatusOK, "accept"
			if tc.err != nil {
				wantStatus, expect = http.StatusUnauthorized, "reject"
			}
			if tc.endpoint == "cancel" && tc.err == nil {
				wantStatus = http.StatusConflict // the fake's answer for an unknown transaction
			}
			if out.Response.Status != wantStatus || out.Expect != expect || out.Verdict != "pass" || out.Fault != tc.fault {
				t.Errorf("probe answer %+v, want status %d, expect %s, verdict pass", out, wantStatus, expect)
			}
			if out.Response.Headers["Content-Type"] != "application/json" || !json.Valid([]byte(out.Response.Body)) {
				t.Errorf("response headers %v, body %q", out.Response.Headers, out.Response.Body)
			}
		})
	}
}

func TestJWTProbeSendsTheGivenBody(t *testing.T) {
	e := newPayEnv(t)
	const body = `{ "transactionId": "ptx_mine",  "failureReason": "PAYMENT_REQUEST_EXPIRED" }`
	var out probeResult
	e.do(http.MethodPost, "/api/sandbox/jwt-probe", e.token, `{"assetType":"payap-example","endpoint":"cancel","body":`+body+`}`).want(http.StatusOK, &out)
	calls := e.Prov.callsTo("/cancel")
	if len(calls) != 1 || string(calls[0].Body) != body || out.Request.Body == nil || *out.Request.Body != body {
		t.Fatalf("sent %q, want the given bytes %q", calls[0].Body, body)
	}
	e.verifyPayapJWT(calls[0])
}

func TestJWTProbeRefusesBadInput(t *testing.T) {
	e := newPayEnv(t)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"no asset type", `{"endpoint":"get"}`, 400, "missing_field"},
		{"no endpoint", `{"assetType":"payap-example"}`, 400, "missing_field"},
		{"unknown asset type", `{"assetType":"nope","endpoint":"get"}`, 400, "unknown_asset_type"},
		{"unknown endpoint", `{"assetType":"payap-example","endpoint":"pay"}`, 400, "invalid_value"},
		{"unknown fault", `{"assetType":"payap-example","endpoint":"get","fault":"rot13"}`, 400, "invalid_value"},
		{"body on GET", `{"assetType":"payap-example","endpoint":"get","body":{"a":1}}`, 400, "invalid_value"},
		{"body not an object", `{"assetType":"payap-example","endpoint":"refund","body":"x"}`, 400, "invalid_value"},
		{"unknown field", `{"assetType":"payap-example","endpoint":"get","faults":"none"}`, 400, "unknown_field"},
		{"not JSON", `probe`, 400, "invalid_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.api.t = t
			defer func() { e.api.t = e.t }()
			e.do(http.MethodPost, "/api/sandbox/jwt-probe", e.token, tc.body).wantError(tc.status, tc.code)
		})
	}
	e.do(http.MethodPost, "/api/sandbox/jwt-probe", "", `{"assetType":"payap-example","endpoint":"get"}`).wantError(http.StatusUnauthorized, "unauthenticated")
	e.payNoTraffic()
	e.Fake.srv.Close()
	e.do(http.MethodPost, "/api/sandbox/jwt-probe", e.token, `{"assetType":"payap-example","endpoint":"get"}`).wantError(http.StatusBadGateway, "provider_unavailable")
}
