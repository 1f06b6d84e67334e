package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/payap/payap-sandbox/internal/sandbox"
)

// TestSignerVerifiesAgainstServedJWKS: a token from the sandbox's Payap
// signer verifies with golang-jwt, an independent JOSE library, against the
// JWKS the mock Payap serves over HTTP, before and after a key rotation; a
// token signed before the rotation keeps verifying until it expires.
func TestSignerVerifiesAgainstServedJWKS(t *testing.T) {
	sb := MustStart(t)
	payap, _ := sb.Service(sandbox.ServicePayap)
	provider, _ := sb.Service(sandbox.ServiceProvider)
	c := newClient(t)

	verify := func(token string, body []byte) jwt.MapClaims {
		t.Helper()
		resp, err := c.Get(payap.BaseURL + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		if cc := resp.Header.Get("Cache-Control"); cc == "" {
			t.Errorf("JWKS has no Cache-Control")
		}
		var set jose.JSONWebKeySet
		decode(t, resp, http.StatusOK, &set)
		claims := jwt.MapClaims{}
		_, err = jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
			kid, _ := tok.Header["kid"].(string)
			keys := set.Key(kid)
			if len(keys) != 1 {
				return nil, jwt.ErrTokenUnverifiable
			}
			return keys[0].Key.(*ecdsa.PublicKey), nil
		}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(provider.BaseURL),
			jwt.WithTimeFunc(sb.Clock.Now))
		if err != nil {
			t.Fatalf("verify with the served JWKS: %v", err)
		}
		sum := sha256.Sum256(body)
		if body != nil && claims["request_body_sha256"] != hex.EncodeToString(sum[:]) {
			t.Fatalf("request_body_sha256 = %v, want the hex SHA-256 of the body", claims["request_body_sha256"])
		}
		iat, _ := claims.GetIssuedAt()
		exp, _ := claims.GetExpirationTime()
		if exp.Sub(iat.Time) != 300*time.Second {
			t.Fatalf("exp - iat = %s, want 300s", exp.Sub(iat.Time))
		}
		return claims
	}

	body := []byte(`{"transactionId":"t1","amount":"100"}`)
	before, err := sb.Signer.Sign(provider.BaseURL, body)
	if err != nil {
		t.Fatal(err)
	}
	verify(before, body)

	if _, err := sb.Keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	verify(before, body) // the new key is published, the old one still signs

	// Just before the new key takes over, the old key signs once more.
	lead := sb.Keys.Config().PublishLead
	if err := sb.Clock.Advance(lead - 10*time.Second); err != nil {
		t.Fatal(err)
	}
	lastOld, err := sb.Signer.Sign(provider.BaseURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock.Advance(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	after, err := sb.Signer.Sign(provider.BaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	claims := verify(after, nil)
	if _, ok := claims["request_body_sha256"]; ok {
		t.Fatal("a token for a request without a body carries request_body_sha256")
	}
	if kidOf(t, lastOld) != kidOf(t, before) || kidOf(t, after) == kidOf(t, before) {
		t.Fatal("the rotated key did not take over signing at the end of the publish lead")
	}
	// The old key stays published until what it signed has expired.
	verify(lastOld, body)
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := parsed.Header["kid"].(string)
	return kid
}
