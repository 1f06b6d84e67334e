package payapjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a frozen sandbox clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 2, 17, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustKeyring returns a keyring on clk with cfg.
func MustKeyring(tb testing.TB, cfg KeyringConfig, clk Clock) *Keyring {
	tb.Helper()
	k, err := NewKeyring(cfg, clk)
	if err != nil {
		tb.Fatalf("NewKeyring: %v", err)
	}
	return k
}

// jwksServer serves h on loopback and counts the requests it answers.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
}

func newJWKSServer(tb testing.TB, h http.Handler) *jwksServer {
	tb.Helper()
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(s.Close)
	return s
}

// fetchJWKS GETs the JWKS at url and decodes it into generic maps, so the
// test reads exactly what was served.
func fetchJWKS(tb testing.TB, client *http.Client, url string) []map[string]any {
	tb.Helper()
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("GET JWKS: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET JWKS: status %d", resp.StatusCode)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		tb.Fatalf("decode JWKS: %v", err)
	}
	return doc.Keys
}

// ecdsaKeysFromJWKS builds P-256 public keys from the served x and y with
// the standard library alone, independent of go-jose.
func ecdsaKeysFromJWKS(tb testing.TB, keys []map[string]any) map[string]*ecdsa.PublicKey {
	tb.Helper()
	out := make(map[string]*ecdsa.PublicKey, len(keys))
	for _, k := range keys {
		x, errX := base64.RawURLEncoding.DecodeString(k["x"].(string))
		y, errY := base64.RawURLEncoding.DecodeString(k["y"].(string))
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			tb.Fatalf("key %v: x and y must be 32-byte base64url", k["kid"])
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			tb.Fatalf("key %v: %v", k["kid"], err)
		}
		out[k["kid"].(string)] = pub
	}
	return out
}

func kids(keys []map[string]any) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k["kid"].(string))
	}
	return out
}

func TestNewKeyringConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     KeyringConfig
		want    KeyringConfig
		wantErr string
	}{
		{"zero takes the defaults", KeyringConfig{}, KeyringConfig{PublishLead: 300 * time.Second, TokenLifetime: 300 * time.Second, JWKSMaxAge: 300 * time.Second}, ""},
		{"publish lead defaults to the JWKS max-age", KeyringConfig{JWKSMaxAge: time.Minute}, KeyringConfig{PublishLead: time.Minute, TokenLifetime: 300 * time.Second, JWKSMaxAge: time.Minute}, ""},
		{"explicit values are kept", KeyringConfig{PublishLead: 10 * time.Second, TokenLifetime: time.Minute, JWKSMaxAge: 20 * time.Second}, KeyringConfig{PublishLead: 10 * time.Second, TokenLifetime: time.Minute, JWKSMaxAge: 20 * time.Second}, ""},
		{"negative lifetime is refused", KeyringConfig{TokenLifetime: -time.Second}, KeyringConfig{}, "TokenLifetime"},
		{"negative lead is refused", KeyringConfig{PublishLead: -time.Second}, KeyringConfig{}, "PublishLead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKeyring(tc.cfg, newFakeClock())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Config(); got != tc.want {
				t.Fatalf("Config() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestKeyIDFormat(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	clk.Advance(48 * time.Hour)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	infos := k.Keys()
	if len(infos) != 2 {
		t.Fatalf("%d keys, want 2", len(infos))
	}
	for i, want := range []string{"2026-02-17-", "2026-02-19-"} {
		if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$`).MatchString(infos[i].KID) || !strings.HasPrefix(infos[i].KID, want) {
			t.Errorf("kid %q, want %s plus 8 hex digits", infos[i].KID, want)
		}
	}
	if infos[0].KID == infos[1].KID {
		t.Error("two keys share a kid")
	}
}

func TestJWKSDocument(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{JWKSMaxAge: 120 * time.Second}, clk)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))

	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=120" {
		t.Errorf("Cache-Control = %q, want public, max-age=120", got)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("%d keys, want 2 (the first key and the rotated-in one)", len(doc.Keys))
	}
	want := map[string]string{"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256"}
	for _, key := range doc.Keys {
		for field, v := range want {
			if key[field] != v {
				t.Errorf("key %v: %s = %v, want %q", key["kid"], field, key[field], v)
			}
		}
		for _, field := range []string{"x", "y", "kid"} {
			if s, _ := key[field].(string); s == "" {
				t.Errorf("key %v: %s missing", key["kid"], field)
			}
		}
		for field := range key {
			switch field {
			case "kty", "crv", "x", "y", "use", "alg", "kid":
			default:
				t.Errorf("key %v: unexpected member %q (private parts must never be served)", key["kid"], field)
			}
		}
		if _, ok := key["d"]; ok {
			t.Errorf("key %v: private part d is served", key["kid"])
		}
	}
	ecdsaKeysFromJWKS(t, doc.Keys) // x and y are a point on P-256
}

func TestJWKSHandlerMethods(t *testing.T) {
	k := MustKeyring(t, KeyringConfig{}, newFakeClock())
	for _, tc := range []struct {
		name     string
		method   string
		status   int
		allow    string
		wantBody bool
	}{
		{"GET serves the set", http.MethodGet, http.StatusOK, "", true},
		{"HEAD serves the headers only", http.MethodHead, http.StatusOK, "", false},
		{"POST is refused", http.MethodPost, http.StatusMethodNotAllowed, "GET, HEAD", true},
		{"DELETE is refused", http.MethodDelete, http.StatusMethodNotAllowed, "GET, HEAD", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			k.ServeHTTP(rec, httptest.NewRequest(tc.method, "/.well-known/jwks.json", nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if got := rec.Body.Len() > 0; got != tc.wantBody {
				t.Errorf("body present = %v, want %v", got, tc.wantBody)
			}
			if tc.status == http.StatusOK && !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public, max-age=") {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

// TestRotation walks a key through its life: published before it signs, the
// old key signing until the lead passes and staying published until what it
// signed has expired, with every token verifying against the served JWKS.
func TestRotation(t *testing.T) {
	const (
		lead     = 60 * time.Second
		lifetime = 300 * time.Second
		maxAge   = 120 * time.Second
		aud      = "https://provider.example"
	)
	clk := newFakeClock()
	t0 := clk.Now()
	k := MustKeyring(t, KeyringConfig{PublishLead: lead, TokenLifetime: lifetime, JWKSMaxAge: maxAge}, clk)
	srv := newJWKSServer(t, k)
	signer := NewSigner(k, clk)
	// The verifier would cache the JWKS for max-age; a fresh one per check
	// shows what is served at that moment.
	verify := func(tok string) error {
		_, err := NewVerifier(srv.URL, aud, srv.Client(), clk, WithLeeway(0)).Verify(t.Context(), tok, nil)
		return err
	}
	signedBy := func(tok string) string {
		t.Helper()
		h, err := peekHeader(tok)
		if err != nil {
			t.Fatal(err)
		}
		return h.Kid
	}
	mustSign := func() string {
		t.Helper()
		tok, err := signer.Sign(aud, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	oldKID := k.Keys()[0].KID
	before := mustSign()
	if err := verify(before); err != nil {
		t.Fatalf("token before rotation: %v", err)
	}

	clk.Advance(10 * time.Second) // t0+10s
	newKID, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(fetchJWKS(t, srv.Client(), srv.URL)); len(got) != 2 || got[0] != oldKID || got[1] != newKID {
		t.Fatalf("JWKS after Rotate = %v, want [%s %s]", got, oldKID, newKID)
	}
	infos := k.Keys()
	wantOld := KeyInfo{KID: oldKID, CreatedAt: t0, ActiveFrom: t0, SigningUntil: t0.Add(70 * time.Second), RetiresAt: t0.Add(370 * time.Second), Signing: true, Published: true}
	wantNew := KeyInfo{KID: newKID, CreatedAt: t0.Add(10 * time.Second), ActiveFrom: t0.Add(70 * time.Second), Signing: false, Published: true}
	if infos[0] != wantOld || infos[1] != wantNew {
		t.Fatalf("Keys() =\n %+v\n %+v\nwant\n %+v\n %+v", infos[0], infos[1], wantOld, wantNew)
	}

	clk.Advance(lead - time.Second) // t0+69s: the lead has not passed yet
	lastOld := mustSign()
	if kid := signedBy(lastOld); kid != oldKID {
		t.Fatalf("1s before the switch the token is signed by %s, want the old key %s", kid, oldKID)
	}

	clk.Advance(time.Second) // t0+70s: the new key signs
	first := mustSign()
	if kid := signedBy(first); kid != newKID {
		t.Fatalf("at the switch the token is signed by %s, want the new key %s", kid, newKID)
	}
	if err := verify(first); err != nil {
		t.Fatalf("token after rotation: %v", err)
	}
	if err := verify(lastOld); err != nil {
		t.Fatalf("old key's last token right after the switch: %v", err)
	}

	clk.Advance(lifetime - 2*time.Second) // t0+368s: lastOld expires at t0+369s
	if err := verify(lastOld); err != nil {
		t.Fatalf("old key's last token just before it expires: %v", err)
	}
	clk.Advance(time.Second) // t0+369s = last signature + lifetime
	if got := kids(fetchJWKS(t, srv.Client(), srv.URL)); len(got) != 2 {
		t.Fatalf("JWKS at last-signature + lifetime = %v, want the old key still there", got)
	}
	if err := verify(lastOld); err != nil {
		t.Fatalf("old key's last token at its exp: %v", err)
	}

	clk.Advance(time.Second) // t0+370s: the old key retires
	if got := kids(fetchJWKS(t, srv.Client(), srv.URL)); len(got) != 1 || got[0] != newKID {
		t.Fatalf("JWKS after retirement = %v, want only %s", got, newKID)
	}
	infos = k.Keys()
	if infos[0].Published || infos[0].Signing || !infos[1].Signing || !infos[1].Published {
		t.Fatalf("Keys() after retirement = %+v", infos)
	}
	if err := verify(mustSign()); err != nil {
		t.Fatalf("new token after retirement: %v", err)
	}
}

func TestRotateWithoutNotice(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{}, clk)
	oldKID := k.Keys()[0].KID
	kid, err := k.RotateWithoutNotice()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := NewSigner(k, clk).Sign("https://p.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := peekHeader(tok); h.Kid != kid {
		t.Fatalf("signed by %s, want the new key %s at once", h.Kid, kid)
	}
	if got := kids(jwksMaps(t, k)); len(got) != 2 || got[0] != oldKID {
		t.Fatalf("JWKS = %v, want the old key to stay published", got)
	}
}

func TestRetiredKeysArePruned(t *testing.T) {
	clk := newFakeClock()
	k := MustKeyring(t, KeyringConfig{PublishLead: time.Second, TokenLifetime: time.Second, JWKSMaxAge: time.Second}, clk)
	for range 20 {
		if _, err := k.Rotate(); err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Second)
	}
	// Pruning happens on Rotate: the last one kept retiredKept retired keys
	// plus the key then signing (retired since) and the new one.
	infos := k.Keys()
	if len(infos) != retiredKept+2 {
		t.Fatalf("%d keys remembered, want %d", len(infos), retiredKept+2)
	}
	if !infos[len(infos)-1].Signing {
		t.Fatal("the newest key does not sign")
	}
	if got := len(k.JWKS().Keys); got != 1 {
		t.Fatalf("%d keys published, want 1", got)
	}
}

func jwksMaps(tb testing.TB, k *Keyring) []map[string]any {
	tb.Helper()
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	b, _ := io.ReadAll(rec.Body)
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Keys
}
