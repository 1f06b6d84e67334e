package payapjwt

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Sentinel errors of Verify. Every error Verify returns wraps exactly one of
// them, with detail that says what to fix; test with errors.Is.
var (
	ErrMissing         = errors.New("payapjwt: no JWT in the Authorization header")
	ErrMalformed       = errors.New("payapjwt: malformed JWT")
	ErrAlgorithm       = errors.New("payapjwt: JWT algorithm is not ES256")
	ErrUnknownKey      = errors.New("payapjwt: JWT kid is not in Payap's JWKS")
	ErrSignature       = errors.New("payapjwt: JWT signature does not verify")
	ErrExpired         = errors.New("payapjwt: JWT has expired")
	ErrNotYetValid     = errors.New("payapjwt: JWT is not valid yet")
	ErrAudience        = errors.New("payapjwt: JWT aud is not this provider's base URL")
	ErrBodyHash        = errors.New("payapjwt: JWT request_body_sha256 does not match the body")
	ErrJWKSUnavailable = errors.New("payapjwt: Payap's JWKS could not be fetched")
)

// Defaults of the Verifier.
const (
	// DefaultLeeway is the clock skew allowed on exp, iat and nbf.
	DefaultLeeway = 30 * time.Second
	// DefaultRefetchInterval is the least time between two JWKS fetches
	// caused by an unknown kid or by a failed fetch.
	DefaultRefetchInterval = 5 * time.Second
	// maxJWKSBytes caps the JWKS document the verifier reads.
	maxJWKSBytes = 1 << 20
)

// Claims are the checked claims of a Payap JWT.
type Claims struct {
	KeyID    string
	IssuedAt time.Time
	// Expiry is zero when the token has no exp; the verifier then applies
	// iat + DefaultTokenLifetime.
	Expiry   time.Time
	Audience string
	// RequestBodySHA256 is empty when the claim is absent.
	RequestBodySHA256 string
}

// VerifierOption tunes a Verifier.
type VerifierOption func(*Verifier)

// WithLeeway sets the clock skew allowed on exp, iat and nbf.
func WithLeeway(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.leeway = d }
}

// WithRefetchInterval sets the least time between JWKS fetches caused by an
// unknown kid or a failed fetch.
func WithRefetchInterval(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.refetchInterval = d }
}

// Verifier checks Payap JWTs the way a provider must (§2.6): algorithm pinned
// to ES256; kid resolved through the JWKS at a configured URL, cached per its
// Cache-Control max-age on the sandbox clock and refetched once on an unknown
// kid (at most once per refetch interval); exp and iat within a leeway; aud
// equal to the provider's base URL; request_body_sha256 equal to the hex
// SHA-256 of the raw body when there is a body. It tolerates the documented
// variants: iat and exp as numbers or numeric strings (C13), and the header
// with or without "Bearer " (C16). It is safe for concurrent use.
type Verifier struct {
	jwksURL         string
	audience        string
	client          *http.Client
	clock           Clock
	leeway          time.Duration
	refetchInterval time.Duration

	// mu guards the cache and is held across a fetch, so that concurrent
	// verifications share one fetch instead of stampeding the JWKS host.
	mu          sync.Mutex
	keys        map[string]*ecdsa.PublicKey
	fetched     bool      // keys holds a fetched document
	fetchedAt   time.Time // sandbox time of the last successful fetch
	freshUntil  time.Time // fetchedAt + max-age
	lastAttempt time.Time // sandbox time of the last fetch, successful or not
	lastErr     error     // error of the last fetch, nil if it succeeded
}

// NewVerifier returns a verifier that fetches Payap's JWKS from jwksURL with
// client (a client with a 10 s timeout if nil) and accepts tokens whose aud
// is audience, the provider's base URL.
func NewVerifier(jwksURL, audience string, client *http.Client, clock Clock, opts ...VerifierOption) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	v := &Verifier{
		jwksURL:         jwksURL,
		audience:        audience,
		client:          client,
		clock:           clock,
		leeway:          DefaultLeeway,
		refetchInterval: DefaultRefetchInterval,
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify checks the Authorization header value of a refund, cancel or get
// call against body, the raw request body (nil or empty when there is none).
func (v *Verifier) Verify(ctx context.Context, authorizationHeader string, body []byte) (Claims, error) {
	token, err := tokenFromHeader(authorizationHeader)
	if err != nil {
		return Claims{}, err
	}
	hdr, err := peekHeader(token)
	if err != nil {
		return Claims{}, err
	}
	if hdr.Alg != string(jose.ES256) {
		return Claims{}, fmt.Errorf("%w: header alg is %q; Payap signs with ES256 only", ErrAlgorithm, hdr.Alg)
	}
	if hdr.Kid == "" {
		return Claims{}, fmt.Errorf("%w: the header has no kid to look up in the JWKS", ErrUnknownKey)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	pub, err := v.key(ctx, hdr.Kid)
	if err != nil {
		return Claims{}, err
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: not signed by the JWKS key %q", ErrSignature, hdr.Kid)
	}
	c, err := parseClaims(payload)
	if err != nil {
		return Claims{}, err
	}
	c.KeyID = hdr.Kid
	if err := v.checkTimes(c.claims); err != nil {
		return Claims{}, err
	}
	if err := v.checkAudience(c.audiences); err != nil {
		return Claims{}, err
	}
	c.Audience = strings.Join(c.audiences, " ")
	if err := checkBody(c.bodyHash, c.hasBodyHash, body); err != nil {
		return Claims{}, err
	}
	return c.Claims, nil
}

// tokenFromHeader takes the JWT out of the header value, with or without
// "Bearer " (C16).
func tokenFromHeader(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", fmt.Errorf("%w: send the Payap JWT as Authorization: <jwt>", ErrMissing)
	}
	if strings.EqualFold(h, "Bearer") {
		return "", fmt.Errorf("%w: Authorization is Bearer with no token", ErrMissing)
	}
	scheme, rest, found := strings.Cut(h, " ")
	if !found {
		return h, nil
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: Authorization scheme %q; send the bare JWT or Bearer <jwt>", ErrMalformed, scheme)
	}
	token := strings.TrimSpace(rest)
	if token == "" {
		return "", fmt.Errorf("%w: Authorization is Bearer with no token", ErrMissing)
	}
	return token, nil
}

type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// peekHeader decodes the protected header before the library parses the
// token, so that a foreign alg is reported as such rather than as garbage.
func peekHeader(token string) (joseHeader, error) {
	var h joseHeader
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return h, fmt.Errorf("%w: a compact JWS has 3 dot-separated parts, this has %d", ErrMalformed, len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return h, fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	return h, nil
}

// parsed holds the claims with what Verify still has to check.
type parsed struct {
	Claims
	claims      timeClaims
	audiences   []string
	bodyHash    string
	hasBodyHash bool
}

type timeClaims struct {
	iat, exp, nbf          time.Time
	hasIat, hasExp, hasNbf bool
}

func parseClaims(payload []byte) (parsed, error) {
	var p parsed
	var raw struct {
		IssuedAt  json.RawMessage `json:"iat"`
		Expiry    json.RawMessage `json:"exp"`
		NotBefore json.RawMessage `json:"nbf"`
		Audience  json.RawMessage `json:"aud"`
		BodyHash  json.RawMessage `json:"request_body_sha256"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&raw); err != nil {
		return p, fmt.Errorf("%w: claims are not a JSON object", ErrMalformed)
	}
	var err error
	if p.claims.iat, p.claims.hasIat, err = numericDateClaim("iat", raw.IssuedAt); err != nil {
		return p, err
	}
	if !p.claims.hasIat {
		return p, fmt.Errorf("%w: the iat claim is required", ErrMalformed)
	}
	if p.claims.exp, p.claims.hasExp, err = numericDateClaim("exp", raw.Expiry); err != nil {
		return p, err
	}
	if p.claims.nbf, p.claims.hasNbf, err = numericDateClaim("nbf", raw.NotBefore); err != nil {
		return p, err
	}
	p.IssuedAt = p.claims.iat
	if p.claims.hasExp {
		p.Expiry = p.claims.exp
	}
	if p.audiences, err = audienceClaim(raw.Audience); err != nil {
		return p, err
	}
	if present(raw.BodyHash) {
		if err := json.Unmarshal(raw.BodyHash, &p.bodyHash); err != nil {
			return p, fmt.Errorf("%w: request_body_sha256 must be a hex string", ErrBodyHash)
		}
		p.hasBodyHash = true
		p.RequestBodySHA256 = p.bodyHash
	}
	return p, nil
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// numericDateClaim reads a NumericDate given as a JSON number or, as in the
// docs' examples, a numeric string (C13).
func numericDateClaim(name string, raw json.RawMessage) (time.Time, bool, error) {
	if !present(raw) {
		return time.Time{}, false, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false, fmt.Errorf("%w: %s is not a NumericDate", ErrMalformed, name)
		}
		s = strings.TrimSpace(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	// 1<<40 s is some 35,000 years: far beyond any real date, well inside
	// what time.Unix handles.
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<40 {
		return time.Time{}, false, fmt.Errorf("%w: %s is %s, not seconds since the epoch", ErrMalformed, name, raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// audienceClaim reads aud as a string or, per RFC 7519, an array of strings.
func audienceClaim(raw json.RawMessage) ([]string, error) {
	if !present(raw) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil {
		return many, nil
	}
	return nil, fmt.Errorf("%w: aud must be a string", ErrMalformed)
}

func (v *Verifier) checkTimes(c timeClaims) error {
	now := v.clock.Now()
	exp, fromIat := c.exp, false
	if !c.hasExp {
		// §2.6: the receiver may apply its own window from iat.
		exp, fromIat = c.iat.Add(DefaultTokenLifetime), true
	}
	if now.After(exp.Add(v.leeway)) {
		if fromIat {
			return fmt.Errorf("%w: no exp, and iat %s is more than %s before now (%s)", ErrExpired, stamp(c.iat), DefaultTokenLifetime+v.leeway, stamp(now))
		}
		return fmt.Errorf("%w: exp %s is before now (%s) by more than the %s leeway", ErrExpired, stamp(exp), stamp(now), v.leeway)
	}
	if c.iat.After(now.Add(v.leeway)) {
		return fmt.Errorf("%w: iat %s is after now (%s) by more than the %s leeway", ErrNotYetValid, stamp(c.iat), stamp(now), v.leeway)
	}
	if c.hasNbf && c.nbf.After(now.Add(v.leeway)) {
		return fmt.Errorf("%w: nbf %s is after now (%s) by more than the %s leeway", ErrNotYetValid, stamp(c.nbf), stamp(now), v.leeway)
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkAudience compares aud with the provider's base URL, ignoring a
// trailing slash on either side.
func (v *Verifier) checkAudience(auds []string) error {
	want := strings.TrimRight(v.audience, "/")
	for _, a := range auds {
		if strings.TrimRight(a, "/") == want {
			return nil
		}
	}
	if len(auds) == 0 {
		return fmt.Errorf("%w: the token has no aud; want %q", ErrAudience, v.audience)
	}
	return fmt.Errorf("%w: aud is %q; want %q", ErrAudience, strings.Join(auds, " "), v.audience)
}

// checkBody compares request_body_sha256 with the raw body. With no body the
// claim is not needed and, if present, ignored.
func checkBody(claim string, has bool, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	if !has {
		return fmt.Errorf("%w: the request has a body but the token has no request_body_sha256", ErrBodyHash)
	}
	if want := BodySHA256(body); !strings.EqualFold(claim, want) {
		return fmt.Errorf("%w: request_body_sha256 is %q; the body's SHA-256 is %q (hash the exact bytes sent)", ErrBodyHash, claim, want)
	}
	return nil
}

// key returns the JWKS key for kid, fetching the JWKS when the cache is stale
// and refetching once when kid is unknown.
func (v *Verifier) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.clock.Now()

	fetchedNow := false
	if !v.fetched || !now.Before(v.freshUntil) || now.Before(v.fetchedAt) {
		if err := v.fetchLocked(ctx, now); err != nil {
			return nil, err
		}
		fetchedNow = true
	}
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if !fetchedNow && v.mayFetchLocked(now) {
		if err := v.fetchLocked(ctx, now); err != nil {
			return nil, err
		}
		if k, ok := v.keys[kid]; ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: kid %q is not among the %d ES256 keys at %s", ErrUnknownKey, kid, len(v.keys), v.jwksURL)
}

// mayFetchLocked reports whether the refetch interval has passed since the
// last fetch (or the clock went back).
func (v *Verifier) mayFetchLocked(now time.Time) bool {
	return v.lastAttempt.IsZero() || now.Before(v.lastAttempt) || now.Sub(v.lastAttempt) >= v.refetchInterval
}

// fetchLocked fetches the JWKS and replaces the cache. After a failure it
// waits out the refetch interval before trying again.
func (v *Verifier) fetchLocked(ctx context.Context, now time.Time) error {
	if v.lastErr != nil && !v.mayFetchLocked(now) {
		return v.lastErr
	}
	v.lastAttempt = now
	keys, maxAge, err := v.get(ctx)
	if err != nil {
		v.lastErr = fmt.Errorf("%w: %v", ErrJWKSUnavailable, err)
		return v.lastErr
	}
	v.lastErr = nil
	v.keys, v.fetched = keys, true
	v.fetchedAt, v.freshUntil = now, now.Add(maxAge)
	return nil
}

// get fetches and parses the JWKS. Keys that are not ES256 P-256 signing
// keys, or that do not parse, are skipped rather than failing the set.
func (v *Verifier) get(ctx context.Context) (map[string]*ecdsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJWKSBytes))
		return nil, 0, fmt.Errorf("GET %s: status %d", v.jwksURL, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %v", v.jwksURL, err)
	}
	if len(b) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("GET %s: document larger than %d bytes", v.jwksURL, maxJWKSBytes)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, 0, fmt.Errorf("GET %s: not a JWK set: %v", v.jwksURL, err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(doc.Keys))
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := jwk.Key.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() || jwk.KeyID == "" {
			continue
		}
		if (jwk.Use != "" && jwk.Use != "sig") || (jwk.Algorithm != "" && jwk.Algorithm != string(jose.ES256)) {
			continue
		}
		keys[jwk.KeyID] = pub
	}
	return keys, cacheMaxAge(resp.Header), nil
}

// cacheMaxAge reads max-age from Cache-Control; no-store, no-cache or no
// max-age mean the document may not be reused.
func cacheMaxAge(h http.Header) time.Duration {
	var maxAge time.Duration
	for _, line := range h.Values("Cache-Control") {
		for _, d := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n > 0 && n < math.MaxInt64/int64(time.Second) {
					maxAge = time.Duration(n) * time.Second
				}
			}
		}
	}
	return maxAge
}
