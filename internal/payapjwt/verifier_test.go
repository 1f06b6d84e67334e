package payapjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// mint signs claims with golang-jwt, independently of the Signer, so the
// verifier is tested against tokens it did not help to make.
func mint(tb testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatalf("mint %s: %v", method.Alg(), err)
	}
	return s
}

func mustECKey(tb testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// b64 encodes v as a JWS segment.
func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifierTable(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	srv := newJWKSServer(t, k)
	v := NewVerifier(srv.URL+"/.well-known/jwks.json", testAudience, srv.Client(), clk)

	now := clk.Now()
	kid, priv := k.signingKey(now)
	body := []byte(`{"currency":"NZD","amount":"500","paymentTransactionId":"tx1","transactionId":"rf1"}`)
	hash := BodySHA256(body)
	// claims returns the honest claims for body with edits applied; a nil
	// edit value deletes the claim.
	claims := func(edits map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(300 * time.Second).Unix(), "aud": testAudience, "request_body_sha256": hash}
		for name, val := range edits {
			if val == nil {
				delete(c, name)
				continue
			}
			c[name] = val
		}
		return c
	}
	es256 := func(edits map[string]any) string {
		return mint(t, jwt.SigningMethodES256, priv, kid, claims(edits))
	}
	valid := es256(nil)

	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	validParts := strings.Split(valid, ".")

	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		want   error
	}{
		// Accepted.
		{"bare JWT (C16)", valid, body, nil},
		{"Bearer prefix (C16)", "Bearer " + valid, body, nil},
		{"lowercase bearer prefix", "bearer " + valid, body, nil},
		{"surrounding whitespace", "  " + valid + " ", body, nil},
		{"numeric-string iat and exp (C13)", es256(map[string]any{"iat": strconv.FormatInt(now.Unix(), 10), "exp": strconv.FormatInt(now.Unix()+300, 10)}), body, nil},
		{"GET without body or hash", es256(map[string]any{"request_body_sha256": nil}), nil, nil},
		{"GET with a hash claim ignores it", valid, nil, nil},
		{"uppercase hex hash", es256(map[string]any{"request_body_sha256": strings.ToUpper(hash)}), body, nil},
		{"aud with a trailing slash", es256(map[string]any{"aud": testAudience + "/"}), body, nil},
		{"aud as a one-element array", es256(map[string]any{"aud": []string{testAudience}}), body, nil},
		{"expired within the leeway", es256(map[string]any{"exp": now.Add(-29 * time.Second).Unix()}), body, nil},
		{"iat ahead within the leeway", es256(map[string]any{"iat": now.Add(29 * time.Second).Unix()}), body, nil},
		{"no exp, iat inside the 300 s window", es256(map[string]any{"exp": nil, "iat": now.Add(-290 * time.Second).Unix()}), body, nil},

		// Rejected.
		{"missing header", "", body, ErrMissing},
		{"Bearer with no token", "Bearer ", body, ErrMissing},
		{"other scheme", "Basic dXNlcjpwYXNz", body, ErrMalformed},
		{"garbage", "not-a-jwt", body, ErrMalformed},
		{"three parts of garbage", "a.b.c", body, ErrMalformed},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + validParts[1] + "." + validParts[2], body, ErrMalformed},
		{"claims not JSON", validParts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + validParts[2], body, ErrSignature},
		{"alg none", b64(map[string]string{"alg": "none", "typ": "JWT", "kid": kid}) + "." + b64(claims(nil)) + ".", body, ErrAlgorithm},
		{"HS256 keyed with the public key PEM (alg confusion)", mint(t, jwt.SigningMethodHS256, publicPEM, kid, claims(nil)), body, ErrAlgorithm},
		{"ES384", mint(t, jwt.SigningMethodES384, mustECKey(t, elliptic.P384()), kid, claims(nil)), body, ErrAlgorithm},
		{"no kid", mint(t, jwt.SigningMethodES256, priv, "", claims(nil)), body, ErrUnknownKey},
		{"unknown kid", mint(t, jwt.SigningMethodES256, priv, "2026-02-17-00000000", claims(nil)), body, ErrUnknownKey},
		{"signed by another key under the real kid", mint(t, jwt.SigningMethodES256, mustECKey(t, elliptic.P256()), kid, claims(nil)), body, ErrSignature},
		{"claims swapped after signing", validParts[0] + "." + b64(claims(map[string]any{"aud": "https://attacker.example"})) + "." + validParts[2], body, ErrSignature},
		{"expired", es256(map[string]any{"iat": now.Add(-400 * time.Second).Unix(), "exp": now.Add(-31 * time.Second).Unix()}), body, ErrExpired},
		{"no exp, iat past the 300 s window", es256(map[string]any{"exp": nil, "iat": now.Add(-331 * time.Second).Unix()}), body, ErrExpired},
		{"iat in the future beyond the leeway", es256(map[string]any{"iat": now.Add(31 * time.Second).Unix(), "exp": now.Add(331 * time.Second).Unix()}), body, ErrNotYetValid},
		{"nbf in the future", es256(map[string]any{"nbf": now.Add(time.Minute).Unix()}), body, ErrNotYetValid},
		{"no iat", es256(map[string]any{"iat": nil}), body, ErrMalformed},
		{"iat not a date", es256(map[string]any{"iat": "yesterday"}), body, ErrMalformed},
		{"wrong aud", es256(map[string]any{"aud": "https://other-provider.example"}), body, ErrAudience},
		{"endpoint URL as aud (C14)", es256(map[string]any{"aud": testAudience + "/refund"}), body, ErrAudience},
		{"no aud", es256(map[string]any{"aud": nil}), body, ErrAudience},
		{"tampered body", valid, []byte(`{"currency":"NZD","amount":"50000","paymentTransactionId":"tx1","transactionId":"rf1"}`), ErrBodyHash},
		{"body re-serialised", valid, []byte(`{"amount":"500","currency":"NZD","paymentTransactionId":"tx1","transactionId":"rf1"}`), ErrBodyHash},
		{"missing body hash with a body", es256(map[string]any{"request_body_sha256": nil}), body, ErrBodyHash},
		{"body hash not a string", es256(map[string]any{"request_body_sha256": 42}), body, ErrBodyHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tc.header, tc.body)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.KeyID != kid || c.IssuedAt.IsZero() {
					t.Errorf("claims = %+v", c)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			for _, other := range []error{ErrMissing, ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrExpired, ErrNotYetValid, ErrAudience, ErrBodyHash, ErrJWKSUnavailable} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestVerifierClaims(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	srv := newJWKSServer(t, k)
	v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)
	body := []byte(`{"transactionId":"tx1"}`)
	tok, err := NewSigner(k, clk).Sign(testAudience, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(t.Context(), tok, body)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		KeyID:             k.Keys()[0].KID,
		IssuedAt:          clk.Now(),
		Expiry:            clk.Now().Add(300 * time.Second),
		Audience:          testAudience,
		RequestBodySHA256: BodySHA256(body),
	}
	if got != want {
		t.Fatalf("claims = %+v, want %+v", got, want)
	}
}

// TestVerifierUnknownKIDRefetch: a kid missing from a still-fresh cache
// causes exactly one refetch, which finds a key just rotated in; a kid that
// is still missing does not refetch again within the refetch interval.
func TestVerifierUnknownKIDRefetch(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{PublishLead: 10 * time.Second, JWKSMaxAge: 300 * time.Second}, clk)
	srv := newJWKSServer(t, k)
	signer := NewSigner(k, clk)
	v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)

	step := func(name string, tok string, want error, wantFetches int64) {
		t.Helper()
		if _, err := v.Verify(t.Context(), tok, nil); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("%s: Verify = %v, want %v", name, err, want)
		}
		if got := srv.fetches.Load(); got != wantFetches {
			t.Fatalf("%s: %d JWKS fetches, want %d", name, got, wantFetches)
		}
	}
	sign := func(faults ...Fault) string {
		t.Helper()
		tok, err := signer.SignWith(testAudience, nil, faults...)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	step("first token fetches the JWKS", sign(), nil, 1)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second) // the new key signs; the cache is still fresh
	step("new kid refetches once and verifies", sign(), nil, 2)
	step("new kid is now cached", sign(), nil, 2)
	step("unknown kid right after a fetch does not refetch", sign(UnknownKID()), ErrUnknownKey, 2)
	clk.Advance(DefaultRefetchInterval - time.Second)
	step("still within the refetch interval", sign(UnknownKID()), ErrUnknownKey, 2)
	clk.Advance(time.Second)
	step("after the interval an unknown kid refetches once", sign(UnknownKID()), ErrUnknownKey, 3)

	if _, err := k.RotateWithoutNotice(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultRefetchInterval)
	step("rotation without notice is picked up by one refetch", sign(), nil, 4)
}

func TestVerifierCachesPerMaxAge(t *testing.T) {
	for _, tc := range []struct {
		name         string
		cacheControl string
		// fetches after: verify, verify, +119s verify, +1s verify
		want [4]int64
	}{
		{"max-age=120 is honoured", "public, max-age=120", [4]int64{1, 1, 1, 2}},
		{"max-age among other directives", "must-revalidate, max-age=120, public", [4]int64{1, 1, 1, 2}},
		{"no-store is not cached", "no-store", [4]int64{1, 2, 3, 4}},
		{"no-cache with max-age is not cached", "no-cache, max-age=120", [4]int64{1, 2, 3, 4}},
		{"no Cache-Control is not cached", "", [4]int64{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			k := MustKeyring(t, KeyringConfig{}, clk)
			srv := newJWKSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := json.Marshal(k.JWKS())
				if tc.cacheControl != "" {
					w.Header().Set("Cache-Control", tc.cacheControl)
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(b)
			}))
			signer := NewSigner(k, clk)
			v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)
			for i, advance := range []time.Duration{0, 0, 119 * time.Second, time.Second} {
				clk.Advance(advance)
				tok, err := signer.Sign(testAudience, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.Verify(t.Context(), tok, nil); err != nil {
					t.Fatalf("verify %d: %v", i+1, err)
				}
				if got := srv.fetches.Load(); got != tc.want[i] {
					t.Fatalf("after verify %d: %d fetches, want %d", i+1, got, tc.want[i])
				}
			}
		})
	}
}

func TestVerifierJWKSUnavailable(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	tok, err := NewSigner(k, clk).Sign(testAudience, nil)
	if err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	for _, tc := range []struct {
		name    string
		url     string
		handler http.HandlerFunc
	}{
		{"server down", downURL, nil},
		{"500", "", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"404", "", http.NotFound},
		{"not JSON", "", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>login</html>")) }},
		{"too large", "", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, client := tc.url, &http.Client{Timeout: 5 * time.Second}
			if tc.handler != nil {
				srv := newJWKSServer(t, tc.handler)
				url, client = srv.URL, srv.Client()
			}
			_, err := NewVerifier(url, testAudience, client, clk).Verify(t.Context(), tok, nil)
			if !errors.Is(err, ErrJWKSUnavailable) {
				t.Fatalf("Verify = %v, want ErrJWKSUnavailable", err)
			}
		})
	}
}

// TestVerifierRecoversFromJWKSOutage: a failed fetch is not retried within
// the refetch interval, and after it the JWKS is fetched again.
func TestVerifierRecoversFromJWKSOutage(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	var broken atomic.Bool
	broken.Store(true)
	srv := newJWKSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		k.ServeHTTP(w, r)
	}))
	signer := NewSigner(k, clk)
	v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)
	verify := func() error {
		tok, err := signer.Sign(testAudience, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), tok, nil)
		return err
	}

	if err := verify(); !errors.Is(err, ErrJWKSUnavailable) {
		t.Fatalf("while down: %v, want ErrJWKSUnavailable", err)
	}
	broken.Store(false)
	if err := verify(); !errors.Is(err, ErrJWKSUnavailable) || srv.fetches.Load() != 1 {
		t.Fatalf("within the refetch interval: %v after %d fetches, want ErrJWKSUnavailable after 1", err, srv.fetches.Load())
	}
	clk.Advance(DefaultRefetchInterval)
	if err := verify(); err != nil || srv.fetches.Load() != 2 {
		t.Fatalf("after the interval: %v after %d fetches, want success after 2", err, srv.fetches.Load())
	}
}

// TestVerifierConcurrent runs verifications in parallel (for -race) and
// checks they share one JWKS fetch.
func TestVerifierConcurrent(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	srv := newJWKSServer(t, k)
	signer := NewSigner(k, clk)
	v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)
	body := []byte(`{"transactionId":"tx1"}`)

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			tok, err := signer.Sign(testAudience, body)
			if err == nil {
				_, err = v.Verify(t.Context(), "Bearer "+tok, body)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Fatalf("%d JWKS fetches, want 1", got)
	}
}
