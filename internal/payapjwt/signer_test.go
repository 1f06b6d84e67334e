package payapjwt

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

const testAudience = "https://provider.example"

// TestSignVerifiesWithGolangJWT checks the signer against an independent
// library: golang-jwt, with the P-256 key rebuilt from the served JWKS by the
// standard library.
func TestSignVerifiesWithGolangJWT(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	srv := newJWKSServer(t, k)
	keys := ecdsaKeysFromJWKS(t, fetchJWKS(t, srv.Client(), srv.URL))
	signer := NewSigner(k, clk)
	wantKID := k.Keys()[0].KID

	for _, tc := range []struct {
		name     string
		body     []byte
		wantHash bool
	}{
		{"refund JSON body", []byte(`{"currency":"NZD","amount":"500","paymentTransactionId":"tx1","transactionId":"rf1"}`), true},
		{"odd whitespace is hashed as sent", []byte("{ \"transactionId\" : \"tx1\" ,\n\"failureReason\":\"CANCELLED_BY_MERCHANT\" }\n"), true},
		{"empty non-nil body is hashed", []byte{}, true},
		{"nil body (GET /get) has no hash claim", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := signer.Sign(testAudience, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.Parse(tok, func(tok *jwt.Token) (any, error) {
				kid, _ := tok.Header["kid"].(string)
				if pub, ok := keys[kid]; ok {
					return pub, nil
				}
				return nil, errors.New("kid not in the served JWKS")
			},
				jwt.WithValidMethods([]string{"ES256"}),
				jwt.WithTimeFunc(clk.Now),
				jwt.WithAudience(testAudience),
				jwt.WithIssuedAt(),
				jwt.WithExpirationRequired(),
				jwt.WithJSONNumber(),
			)
			if err != nil {
				t.Fatalf("golang-jwt rejects the token: %v", err)
			}
			if got := parsed.Header["alg"]; got != "ES256" {
				t.Errorf("alg = %v, want ES256", got)
			}
			if got := parsed.Header["kid"]; got != wantKID {
				t.Errorf("kid = %v, want %s", got, wantKID)
			}
			if got := parsed.Header["typ"]; got != "JWT" {
				t.Errorf("typ = %v, want JWT", got)
			}

			claims := parsed.Claims.(jwt.MapClaims)
			iat, okIat := claims["iat"].(json.Number)
			exp, okExp := claims["exp"].(json.Number)
			if !okIat || !okExp {
				t.Fatalf("iat %T and exp %T must be JSON numbers", claims["iat"], claims["exp"])
			}
			iatN, _ := iat.Int64()
			expN, _ := exp.Int64()
			if iatN != clk.Now().Unix() {
				t.Errorf("iat = %d, want now %d", iatN, clk.Now().Unix())
			}
			if expN-iatN != 300 {
				t.Errorf("exp - iat = %d, want 300", expN-iatN)
			}
			if got, ok := claims["aud"].(string); !ok || got != testAudience {
				t.Errorf("aud = %#v, want the single string %q", claims["aud"], testAudience)
			}
			hash, present := claims["request_body_sha256"]
			if present != tc.wantHash {
				t.Fatalf("request_body_sha256 present = %v, want %v", present, tc.wantHash)
			}
			if tc.wantHash {
				sum := sha256.Sum256(tc.body)
				if want := hex.EncodeToString(sum[:]); hash != want {
					t.Errorf("request_body_sha256 = %v, want %s", hash, want)
				}
			}
			for name := range claims {
				switch name {
				case "iat", "exp", "aud", "request_body_sha256":
				default:
					t.Errorf("unexpected claim %q", name)
				}
			}
		})
	}
}

// TestSignWithFaults checks that each fault is rejected by the Verifier with
// the error that names it, and that the tolerated variants pass.
func TestSignWithFaults(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	srv := newJWKSServer(t, k)
	signer := NewSigner(k, clk)
	v := NewVerifier(srv.URL, testAudience, srv.Client(), clk)
	kid := k.Keys()[0].KID
	body := []byte(`{"transactionId":"tx1","failureReason":"CANCELLED_BY_MERCHANT"}`)

	for _, tc := range []struct {
		name    string
		body    []byte
		faults  []Fault
		want    error
		wantAlg string
	}{
		{"no fault", body, nil, nil, "ES256"},
		{"string dates are tolerated (C13)", body, []Fault{StringDates()}, nil, "ES256"},
		{"wrong audience", body, []Fault{WrongAudience("https://other-provider.example")}, ErrAudience, "ES256"},
		{"expired", body, []Fault{Expired()}, ErrExpired, "ES256"},
		{"issued in the future", body, []Fault{IssuedAt(clk.Now().Add(10 * time.Minute))}, ErrNotYetValid, "ES256"},
		{"issued an hour ago", body, []Fault{IssuedAt(clk.Now().Add(-time.Hour))}, ErrExpired, "ES256"},
		{"tampered body", body, []Fault{TamperBody()}, ErrBodyHash, "ES256"},
		{"no body hash with a body", body, []Fault{NoBodyHash()}, ErrBodyHash, "ES256"},
		{"unknown kid", body, []Fault{UnknownKID()}, ErrUnknownKey, "ES256"},
		{"wrong key under the real kid", body, []Fault{WrongKey()}, ErrSignature, "ES256"},
		{"HS256 keyed with the public key", body, []Fault{OtherAlgorithm(jose.HS256)}, ErrAlgorithm, "HS256"},
		{"ES384", body, []Fault{OtherAlgorithm(jose.ES384)}, ErrAlgorithm, "ES384"},
		{"ES512", body, []Fault{OtherAlgorithm(jose.ES512)}, ErrAlgorithm, "ES512"},
		{"RS256", body, []Fault{OtherAlgorithm(jose.RS256)}, ErrAlgorithm, "RS256"},
		{"EdDSA", body, []Fault{OtherAlgorithm(jose.EdDSA)}, ErrAlgorithm, "EdDSA"},
		{"alg none", body, []Fault{OtherAlgorithm("none")}, ErrAlgorithm, "none"},
		{"tampered hash on a GET is ignored", nil, []Fault{TamperBody()}, nil, "ES256"},
		{"later fault wins: NoBodyHash after TamperBody", body, []Fault{TamperBody(), NoBodyHash()}, ErrBodyHash, "ES256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := signer.SignWith(testAudience, tc.body, tc.faults...)
			if err != nil {
				t.Fatalf("SignWith: %v", err)
			}
			h := decodeSegment(t, tok, 0)
			if h["alg"] != tc.wantAlg {
				t.Errorf("header alg = %v, want %s", h["alg"], tc.wantAlg)
			}
			// Every fault keeps the real kid except UnknownKID.
			if foreign := h["kid"] != kid; foreign != errors.Is(tc.want, ErrUnknownKey) {
				t.Errorf("header kid = %v, keyring kid %s", h["kid"], kid)
			}
			_, err = v.Verify(t.Context(), tok, tc.body)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestOtherAlgorithmHS256IsAlgConfusion shows the HS256 fault is the classic
// attack: a verifier that trusts the header alg and feeds it the public key
// PEM accepts the token.
func TestOtherAlgorithmHS256IsAlgConfusion(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	tok, err := NewSigner(k, clk).SignWith(testAudience, nil, OtherAlgorithm(jose.HS256))
	if err != nil {
		t.Fatal(err)
	}
	pub := k.JWKS().Keys[0].Key.(*ecdsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	naive := func(*jwt.Token) (any, error) { return pemKey, nil }
	if _, err := jwt.Parse(tok, naive, jwt.WithTimeFunc(clk.Now)); err != nil {
		t.Fatalf("a naive verifier should accept it (that is the attack): %v", err)
	}
	if _, err := jwt.Parse(tok, naive, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(clk.Now)); err == nil {
		t.Fatal("a verifier pinned to ES256 accepts it")
	}
}

func TestSignWithUnsupportedAlgorithm(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	_, err := NewSigner(k, clk).SignWith(testAudience, nil, OtherAlgorithm("XS999"))
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("err = %v, want a not-supported error", err)
	}
}

func TestBodySHA256(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		// C15: the docs' example hash is that of the string "2".
		{"the docs' example hash", "2", "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"},
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BodySHA256([]byte(tc.body)); got != tc.want {
				t.Fatalf("BodySHA256(%q) = %s, want %s", tc.body, got, tc.want)
			}
		})
	}
}

// decodeSegment decodes part i (0 header, 1 claims) of a compact JWS.
func decodeSegment(tb testing.TB, tok string, i int) map[string]any {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}
