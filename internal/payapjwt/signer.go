package payapjwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ClaimRequestBodySHA256 is the claim that carries the hex SHA-256 of the
// request body.
const ClaimRequestBodySHA256 = "request_body_sha256"

// Signer signs Payap's requests to providers with the keyring's current
// signing key. It is safe for concurrent use.
type Signer struct {
	keys  *Keyring
	clock Clock
}

// NewSigner returns a signer over k that reads the time from clock.
func NewSigner(k *Keyring, clock Clock) *Signer {
	return &Signer{keys: k, clock: clock}
}

// Sign returns a compact JWS with header alg ES256, the current signing key's
// kid and typ JWT, and claims iat (a NumericDate number), exp = iat +
// TokenLifetime, aud = audience (the provider's base URL, a single string)
// and request_body_sha256 = lowercase hex SHA-256 of body. The body claim is
// absent when body is nil (a GET such as /get); an empty non-nil body is
// hashed.
func (s *Signer) Sign(audience string, body []byte) (string, error) {
	return s.SignWith(audience, body)
}

// signing is everything SignWith puts into one token. Faults edit it between
// the honest defaults and serialisation.
type signing struct {
	now      time.Time
	audience string
	iat      time.Time
	lifetime time.Duration

	body       []byte
	hashBody   bool // include request_body_sha256
	tamperBody bool // hash other bytes than body

	kid        string
	unknownKID bool
	alg        jose.SignatureAlgorithm
	wrongKey   bool // sign with a throwaway key under the real kid
	// stringDates writes iat and exp as numeric strings, the docs' style (C13).
	stringDates bool
}

// Fault makes SignWith produce a token that a strict provider must reject, or
// one in a documented but non-standard shape. Later faults override earlier
// ones where they touch the same field.
type Fault func(*signing)

// WrongAudience sets aud to aud instead of the provider's base URL.
func WrongAudience(aud string) Fault {
	return func(s *signing) { s.audience = aud }
}

// Expired dates the token so that it expired one TokenLifetime ago.
func Expired() Fault {
	return func(s *signing) { s.iat = s.now.Add(-2 * s.lifetime) }
}

// IssuedAt sets iat to t (and exp to t + TokenLifetime): a skewed clock, in
// the future or the past.
func IssuedAt(t time.Time) Fault {
	return func(s *signing) { s.iat = t }
}

// TamperBody puts the hash of other bytes in request_body_sha256, as if the
// body had been changed after signing. It adds the claim even without a body.
func TamperBody() Fault {
	return func(s *signing) { s.hashBody, s.tamperBody = true, true }
}

// NoBodyHash leaves request_body_sha256 out even though there is a body.
func NoBodyHash() Fault {
	return func(s *signing) { s.hashBody, s.tamperBody = false, false }
}

// UnknownKID names a kid that is not in the keyring (signing with the real
// key), as after a rotation the provider has not seen.
func UnknownKID() Fault {
	return func(s *signing) { s.unknownKID = true }
}

// WrongKey signs with a throwaway P-256 key under the real kid, so the
// signature does not verify.
func WrongKey() Fault {
	return func(s *signing) { s.wrongKey = true }
}

// OtherAlgorithm signs with alg instead of ES256, keeping the kid:
//   - HS256, HS384, HS512: HMAC keyed with the PEM of the signing key's public
//     key, the classic algorithm-confusion attack;
//   - ES384, ES512, RS256, PS256, EdDSA: a throwaway key of that type;
//   - "none": no signature at all.
func OtherAlgorithm(alg jose.SignatureAlgorithm) Fault {
	return func(s *signing) { s.alg = alg }
}

// StringDates writes iat and exp as numeric strings ("1684105185"), the way
// the docs' examples show them (C13). It is tolerated, not a fault.
func StringDates() Fault {
	return func(s *signing) { s.stringDates = true }
}

// SignWith signs like Sign and then applies faults, for the "bad JWT"
// developer feature.
func (s *Signer) SignWith(audience string, body []byte, faults ...Fault) (string, error) {
	now := s.clock.Now()
	kid, priv := s.keys.signingKey(now)
	sg := &signing{
		now:      now,
		audience: audience,
		iat:      now,
		lifetime: s.keys.cfg.TokenLifetime,
		body:     body,
		hashBody: body != nil,
		kid:      kid,
		alg:      jose.ES256,
	}
	for _, f := range faults {
		if f != nil {
			f(sg)
		}
	}
	if sg.unknownKID {
		var err error
		if sg.kid, err = s.unusedKID(now); err != nil {
			return "", err
		}
	}

	payload, err := sg.payload()
	if err != nil {
		return "", err
	}
	if sg.alg == "none" {
		return unsignedToken(sg.kid, payload)
	}
	signingKey, err := sg.signingKey(priv)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), sg.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: sg.alg, Key: signingKey}, opts)
	if err != nil {
		return "", fmt.Errorf("payapjwt: signer for %s: %w", sg.alg, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("payapjwt: sign: %w", err)
	}
	return jws.CompactSerialize()
}

func (s *Signer) unusedKID(now time.Time) (string, error) {
	for range 16 {
		kid, err := randomKID(now)
		if err != nil {
			return "", err
		}
		if !s.keys.hasKID(kid) {
			return kid, nil
		}
	}
	return "", errors.New("payapjwt: could not draw an unknown kid")
}

// payload is the JSON claims set, in a fixed order: iat, exp, aud,
// request_body_sha256.
func (sg *signing) payload() ([]byte, error) {
	iat := sg.iat.Unix()
	exp := sg.iat.Add(sg.lifetime).Unix()
	var claims struct {
		IssuedAt    json.RawMessage `json:"iat"`
		Expiry      json.RawMessage `json:"exp"`
		Audience    string          `json:"aud"`
		RequestBody string          `json:"request_body_sha256,omitempty"`
	}
	claims.IssuedAt = numericDate(iat, sg.stringDates)
	claims.Expiry = numericDate(exp, sg.stringDates)
	claims.Audience = sg.audience
	if sg.hashBody {
		hashed := sg.body
		if sg.tamperBody {
			hashed = append([]byte("tampered:"), sg.body...)
		}
		claims.RequestBody = BodySHA256(hashed)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("payapjwt: encode claims: %w", err)
	}
	return b, nil
}

func numericDate(sec int64, asString bool) json.RawMessage {
	s := strconv.FormatInt(sec, 10)
	if asString {
		s = strconv.Quote(s)
	}
	return json.RawMessage(s)
}

// BodySHA256 is the request_body_sha256 value for body: lowercase hex SHA-256
// of the exact bytes.
func BodySHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// signingKey picks the key for sg.alg: the real one for honest ES256, a
// throwaway one for the faults.
func (sg *signing) signingKey(priv *ecdsa.PrivateKey) (any, error) {
	var (
		key any
		err error
	)
	switch sg.alg {
	case jose.ES256:
		key = priv
		if sg.wrongKey {
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
	case jose.HS256, jose.HS384, jose.HS512:
		var der []byte
		der, err = x509.MarshalPKIXPublicKey(&priv.PublicKey)
		key = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case jose.ES384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.RS256, jose.PS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("payapjwt: OtherAlgorithm(%q) is not supported; use HS256, HS384, HS512, ES384, ES512, RS256, PS256, EdDSA or none", sg.alg)
	}
	if err != nil {
		return nil, fmt.Errorf("payapjwt: key for %s: %w", sg.alg, err)
	}
	return key, nil
}

// unsignedToken is an "alg":"none" JWS: header and payload with an empty
// signature. No library will make one, and none should accept it.
func unsignedToken(kid string, payload []byte) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "none", "kid": kid, "typ": "JWT"})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + ".", nil
}
