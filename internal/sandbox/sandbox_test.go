package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockprovider"
)

// testConfig is the default configuration with every port on :0.
func testConfig() sandbox.Config {
	cfg := sandbox.DefaultConfig()
	cfg.Provider.Port = 0
	cfg.Payap.Port = 0
	cfg.Centrapay.Port = 0
	return cfg
}

// MustStart builds and starts a sandbox on loopback ports chosen by the OS
// and shuts it down when the test ends. mutate changes the configuration
// before New.
func MustStart(tb testing.TB, mutate ...func(*sandbox.Config)) *sandbox.Sandbox {
	tb.Helper()
	cfg := testConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	sb, err := sandbox.New(cfg, nil)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := sb.Start(); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sb.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	return sb
}

// newClient returns a keep-alive client whose idle connections are closed
// when the test ends.
func newClient(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// provider returns the running provider service.
func provider(tb testing.TB, sb *sandbox.Sandbox) sandbox.Service {
	tb.Helper()
	p, ok := sb.Service(sandbox.ServiceProvider)
	if !ok {
		tb.Fatal("the provider is not running")
	}
	return p
}

// redirectURI is the default client's registered callback.
func redirectURI(tb testing.TB, sb *sandbox.Sandbox) string {
	tb.Helper()
	clients := sb.Config().Provider.Clients
	if len(clients) == 0 || len(clients[0].RedirectURIs) == 0 {
		tb.Fatalf("no client registered: %+v", clients)
	}
	return clients[0].RedirectURIs[0]
}

// authURL is an authorization request for the default client.
func authURL(base, redirect, challenge, state string) string {
	return base + "/authorize?" + url.Values{
		"response_type":         {"code"},
		"client_id":             {mockprovider.DefaultClientID},
		"redirect_uri":          {redirect},
		"scope":                 {"assets:read assets:pay"},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}.Encode()
}

// MustCode signs the demo user in with internal/browser, grants scopes (all
// when none are given) and returns the code and its PKCE verifier.
func MustCode(tb testing.TB, sb *sandbox.Sandbox, grant ...string) (code, verifier string) {
	tb.Helper()
	base := provider(tb, sb).BaseURL
	verifier = oauth2.GenerateVerifier()
	redirect := redirectURI(tb, sb)
	loc, err := browser.New(nil).Authorize(context.Background(), authURL(base, redirect, oauth2.S256ChallengeFromVerifier(verifier), "st-1"), browser.Decision{
		Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword, Grant: grant,
	})
	if err != nil {
		tb.Fatalf("Authorize: %v", err)
	}
	q := loc.Query()
	if q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != base {
		tb.Fatalf("redirected to %s, want a code, state st-1 and iss %s", loc, base)
	}
	return q.Get("code"), verifier
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// tokenForm is the code exchange for the default public client.
func tokenForm(redirect, code, verifier string) string {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {mockprovider.DefaultClientID},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	}.Encode()
}

// MustTokens runs the browser flow and exchanges the code.
func MustTokens(tb testing.TB, sb *sandbox.Sandbox, grant ...string) tokenResponse {
	tb.Helper()
	code, verifier := MustCode(tb, sb, grant...)
	resp, err := http.Post(provider(tb, sb).BaseURL+"/token", "application/x-www-form-urlencoded",
		strings.NewReader(tokenForm(redirectURI(tb, sb), code, verifier)))
	if err != nil {
		tb.Fatal(err)
	}
	var tr tokenResponse
	decode(tb, resp, http.StatusOK, &tr)
	if tr.AccessToken == "" || tr.TokenType != "Bearer" {
		tb.Fatalf("token response %+v", tr)
	}
	return tr
}

// decode checks the status and decodes a JSON body.
func decode(tb testing.TB, resp *http.Response, status int, v any) {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != status {
		tb.Fatalf("%s %s: status %d, want %d; body: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			tb.Fatalf("decode %s: %v", b, err)
		}
	}
}

type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

// getMetadata fetches the RFC 8414 document from a loopback address.
func getMetadata(tb testing.TB, c *http.Client, origin, path string) metadata {
	tb.Helper()
	resp, err := c.Get(origin + path)
	if err != nil {
		tb.Fatal(err)
	}
	var md metadata
	decode(tb, resp, http.StatusOK, &md)
	return md
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*sandbox.Config)
		key    string // the key the error must name; "" means valid
	}{
		{"defaults", func(c *sandbox.Config) {}, ""},
		{"all ports 0", func(c *sandbox.Config) { *c = testConfig() }, ""},
		{"host localhost", func(c *sandbox.Config) { c.Host = "localhost" }, ""},
		{"host IPv6 loopback", func(c *sandbox.Config) { c.Host = "::1" }, ""},
		{"host name", func(c *sandbox.Config) { c.Host = "example.test" }, "host"},
		{"host empty", func(c *sandbox.Config) { c.Host = "" }, "host"},
		{"shutdown timeout zero", func(c *sandbox.Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout"},
		{"log level", func(c *sandbox.Config) { c.Log.Level = "loud" }, "log.level"},
		{"log level any case", func(c *sandbox.Config) { c.Log.Level = "DEBUG" }, ""},
		{"log format", func(c *sandbox.Config) { c.Log.Format = "xml" }, "log.format"},
		{"clock start", func(c *sandbox.Config) { c.Clock.Start = "yesterday" }, "clock.start"},
		{"clock start valid", func(c *sandbox.Config) { c.Clock.Start = "2026-01-01T09:00:00Z" }, ""},
		{"journal capacity zero", func(c *sandbox.Config) { c.Journal.Capacity = 0 }, "journal.capacity"},
		{"journal capacity too big", func(c *sandbox.Config) { c.Journal.Capacity = 1_000_001 }, "journal.capacity"},
		{"journal max body negative", func(c *sandbox.Config) { c.Journal.MaxBodyBytes = -1 }, "journal.max_body_bytes"},
		{"journal max body too big", func(c *sandbox.Config) { c.Journal.MaxBodyBytes = 1<<20 + 1 }, "journal.max_body_bytes"},
		{"provider port", func(c *sandbox.Config) { c.Provider.Port = 65536 }, "provider.port"},
		{"payap port", func(c *sandbox.Config) { c.Payap.Port = -1 }, "payap.port"},
		{"centrapay port", func(c *sandbox.Config) { c.Centrapay.Port = 70000 }, "centrapay.port"},
		{"provider base url scheme", func(c *sandbox.Config) { c.Provider.BaseURL = "ftp://provider.example.test" }, "provider.base_url"},
		{"provider base url relative", func(c *sandbox.Config) { c.Provider.BaseURL = "/provider" }, "provider.base_url"},
		{"provider base url query", func(c *sandbox.Config) { c.Provider.BaseURL = "https://provider.example.test/?a=1" }, "provider.base_url"},
		{"payap base url fragment", func(c *sandbox.Config) { c.Payap.BaseURL = "https://payap.example.test/#x" }, "payap.base_url"},
		{"centrapay base url user info", func(c *sandbox.Config) { c.Centrapay.BaseURL = "https://u:p@centrapay.example.test" }, "centrapay.base_url"},
		{"access token ttl", func(c *sandbox.Config) { c.Provider.AccessTokenTTL = 0 }, "provider.access_token_ttl"},
		{"refresh token ttl", func(c *sandbox.Config) { c.Provider.RefreshTokenTTL = -time.Second }, "provider.refresh_token_ttl"},
		{"code ttl too long", func(c *sandbox.Config) { c.Provider.CodeTTL = 11 * time.Minute }, "provider.code_ttl"},
		{"refresh reuse grace", func(c *sandbox.Config) { c.Provider.RefreshReuseGrace = -time.Second }, "provider.refresh_reuse_grace"},
		{"client without id", func(c *sandbox.Config) {
			c.Provider.Clients = []mockprovider.Client{{AuthMethod: mockprovider.AuthNone, RedirectURIs: []string{"http://127.0.0.1/cb"}}}
		}, "provider.clients[0].id"},
		{"client auth method", func(c *sandbox.Config) {
			c.Provider.Clients = []mockprovider.Client{{ID: "x", AuthMethod: "magic", RedirectURIs: []string{"http://127.0.0.1/cb"}}}
		}, "provider.clients[0].auth_method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			switch {
			case tc.key == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.key != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error naming %s", tc.key)
			case tc.key != "" && !strings.Contains(err.Error(), tc.key):
				t.Fatalf("Validate() = %q, want it to name %s", err, tc.key)
			}
			if tc.key != "" {
				if _, err := sandbox.New(cfg, nil); err == nil {
					t.Fatal("New accepted a configuration that Validate refuses")
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Host = "nowhere"
	cfg.Log.Level = "loud"
	cfg.Provider.Port = -5
	cfg.Provider.CodeTTL = time.Hour
	cfg.Journal.Capacity = 0
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, key := range []string{"host", "log.level", "provider.port", "provider.code_ttl", "journal.capacity"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 5 {
		t.Errorf("error has %d lines, want one per problem (5):\n%v", n, err)
	}
}

func TestValidateCanonicalisesBaseURLs(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"trailing slash", "https://provider.example.test/", "https://provider.example.test"},
		{"several trailing slashes", "https://gw.example.test/provider//", "https://gw.example.test/provider"},
		{"already canonical", "http://127.0.0.1:9000", "http://127.0.0.1:9000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sandbox.DefaultConfig()
			cfg.Provider.BaseURL = tc.in
			cfg.Payap.BaseURL = tc.in
			cfg.Centrapay.BaseURL = tc.in
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]string{"provider": cfg.Provider.BaseURL, "payap": cfg.Payap.BaseURL, "centrapay": cfg.Centrapay.BaseURL} {
				if got != tc.want {
					t.Errorf("%s.base_url = %q, want %q", name, got, tc.want)
				}
			}
			// New keeps the canonical form.
			cfg.Provider.BaseURL = tc.in
			sb, err := sandbox.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := sb.Config().Provider.BaseURL; got != tc.want {
				t.Errorf("after New provider.base_url = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStartOnFreePortsServesMetadata(t *testing.T) {
	sb := MustStart(t)
	svcs := sb.Services()
	if len(svcs) == 0 || svcs[0].Name != sandbox.ServiceProvider {
		t.Fatalf("Services() = %+v, want the provider first", svcs)
	}
	p := svcs[0]
	host, port, err := net.SplitHostPort(p.Addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("provider listens on %q, want 127.0.0.1 and a real port", p.Addr)
	}
	if p.BaseURL != "http://"+p.Addr {
		t.Fatalf("BaseURL = %q, want http://%s", p.BaseURL, p.Addr)
	}
	md := getMetadata(t, newClient(t), p.BaseURL, "/.well-known/oauth-authorization-server")
	if md.Issuer != p.BaseURL {
		t.Fatalf("issuer = %q, want Services()[0].BaseURL %q", md.Issuer, p.BaseURL)
	}
	if md.TokenEndpoint != p.BaseURL+"/token" {
		t.Fatalf("token_endpoint = %q", md.TokenEndpoint)
	}
	if got := sb.Config().Provider.Issuer; got != p.BaseURL {
		t.Fatalf("Config().Provider.Issuer = %q, want %q", got, p.BaseURL)
	}
	if sb.Handler(sandbox.ServiceProvider) == nil || sb.Handler("nope") != nil {
		t.Fatal("Handler does not return exactly the running services' handlers")
	}
}

func TestStartUsesConfiguredBaseURLAsIssuer(t *testing.T) {
	for _, tc := range []struct {
		name, baseURL, issuer, wellKnown string
	}{
		{"host only", "https://provider.example.test/", "https://provider.example.test", "/.well-known/oauth-authorization-server"},
		{"with a path", "https://gw.example.test/provider/", "https://gw.example.test/provider", "/.well-known/oauth-authorization-server/provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := MustStart(t, func(c *sandbox.Config) { c.Provider.BaseURL = tc.baseURL })
			p := provider(t, sb)
			if p.BaseURL != tc.issuer {
				t.Fatalf("BaseURL = %q, want %q", p.BaseURL, tc.issuer)
			}
			// Requests go to the loopback listener; the public URL is only named.
			md := getMetadata(t, newClient(t), "http://"+p.Addr, tc.wellKnown)
			if md.Issuer != tc.issuer || md.AuthorizationEndpoint != tc.issuer+"/authorize" {
				t.Fatalf("metadata issuer %q authorize %q, want issuer %q", md.Issuer, md.AuthorizationEndpoint, tc.issuer)
			}
		})
	}
}

func TestStartPortInUseNamesTheFlag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cfg := testConfig()
	cfg.Provider.Port = port
	sb, err := sandbox.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = sb.Start()
	if err == nil {
		t.Fatal("Start on a port in use succeeded")
	}
	for _, want := range []string{"--provider-port", "PAYAP_SANDBOX_PROVIDER_PORT", "127.0.0.1:" + strconv.Itoa(port)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if len(sb.Services()) != 0 {
		t.Errorf("Services() = %+v after a failed Start", sb.Services())
	}
	if err := sb.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after a failed Start = %v, want nil", err)
	}
	// The port is free again: the same sandbox can start now.
	ln.Close()
	if err := sb.Start(); err != nil {
		t.Fatalf("Start once the port is free: %v", err)
	}
	if err := sb.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStartTwice(t *testing.T) {
	sb := MustStart(t)
	if err := sb.Start(); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Fatalf("second Start = %v, want already started", err)
	}
}

func TestShutdownStopsServingAndIsIdempotent(t *testing.T) {
	sb := MustStart(t)
	p := provider(t, sb)
	c := newClient(t)
	getMetadata(t, c, p.BaseURL, "/.well-known/oauth-authorization-server")
	if err := sb.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	<-sb.Done()
	if conn, err := net.Dial("tcp", p.Addr); err == nil {
		conn.Close()
		t.Fatal("the provider still accepts connections after Shutdown")
	}
	if err := sb.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown = %v, want nil", err)
	}
}

func TestRunReturnsNilWhenCancelled(t *testing.T) {
	sb, err := sandbox.New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run starts, sees the cancelled context and shuts down.
	if err := sb.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	<-sb.Done()
	if conn, err := net.Dial("tcp", provider(t, sb).Addr); err == nil {
		conn.Close()
		t.Fatal("the provider still accepts connections after Run returned")
	}
}

func TestRunReportsAPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig()
	cfg.Provider.Port = ln.Addr().(*net.TCPAddr).Port
	sb, err := sandbox.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "--provider-port") {
		t.Fatalf("Run = %v, want the port error", err)
	}
}

// TestGracefulShutdownFinishesInFlightRequest holds a POST /token in flight
// (its body arrives through a pipe), begins Shutdown, then lets the body
// finish: the request must still succeed and Shutdown must return nil.
func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	sb := MustStart(t)
	p := provider(t, sb)
	code, verifier := MustCode(t, sb)
	form := tokenForm(redirectURI(t, sb), code, verifier)

	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequest(http.MethodPost, p.BaseURL+"/token", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// With Expect: 100-continue the client sends the body only once the
	// server asks for it, which it does when the handler starts reading: so
	// once the first write below returns, the token handler is running.
	req.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: time.Hour}
	defer tr.CloseIdleConnections()

	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: b, err: err}
	}()

	half := len(form) / 2
	if _, err := io.WriteString(pw, form[:half]); err != nil {
		t.Fatal(err)
	}

	shutdown := make(chan error, 1)
	go func() { shutdown <- sb.Shutdown(context.Background()) }()

	// Shutdown closes the listener first: once a dial is refused, it has begun.
	for {
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			break
		}
		conn.Close()
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case r := <-done:
		t.Fatalf("the request finished (%d %s, %v) before its body was sent", r.status, r.body, r.err)
	default:
	}

	if _, err := io.WriteString(pw, form[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	r := <-done
	if r.err != nil {
		t.Fatalf("in-flight request failed: %v", r.err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("in-flight request: status %d, want 200; body %s", r.status, r.body)
	}
	var tok tokenResponse
	if err := json.Unmarshal(r.body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("in-flight request body %s (%v)", r.body, err)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v, want nil", err)
	}
	<-sb.Done()
}

// TestShutdownGivesUpWhenContextEnds: a request that never finishes makes
// Shutdown return the context's error once it ends, and not hang.
func TestShutdownGivesUpWhenContextEnds(t *testing.T) {
	sb := MustStart(t)
	p := provider(t, sb)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodPost, p.BaseURL+"/token", pr)
	req.ContentLength = 100
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: time.Hour}
	defer tr.CloseIdleConnections()
	errc := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	if _, err := io.WriteString(pw, "grant_type="); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := sb.Shutdown(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "provider") {
		t.Fatalf("Shutdown = %v, want the provider's context.Canceled", err)
	}
	pw.CloseWithError(errors.New("test over"))
	<-errc
	<-sb.Done()
}

type asset struct {
	ID          string `json:"id"`
	UserID      string `json:"userId"`
	Balance     string `json:"balance"`
	Description string `json:"description"`
}

// bearerGet calls a resource with an access token.
func bearerGet(tb testing.TB, c *http.Client, target, token string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

func TestWholeFlowThroughTheSandbox(t *testing.T) {
	sb := MustStart(t)
	base := provider(t, sb).BaseURL
	c := newClient(t)

	tok := MustTokens(t, sb)
	if tok.Scope != "assets:read assets:pay" || tok.RefreshToken == "" || tok.ExpiresIn != 3600 {
		t.Fatalf("token response %+v", tok)
	}
	var assets []asset
	decode(t, bearerGet(t, c, base+"/assets", tok.AccessToken), http.StatusOK, &assets)
	if len(assets) != 3 || assets[0].ID != "12345" || assets[0].UserID != mockprovider.DemoUserID || assets[0].Balance != "5000" {
		t.Fatalf("GET /assets = %+v, want the demo user's three assets", assets)
	}
	var one asset
	decode(t, bearerGet(t, c, base+"/assets/56789", tok.AccessToken), http.StatusOK, &one)
	if one.Balance != "25000" || one.Description != "Bonus Points" {
		t.Fatalf("GET /assets/56789 = %+v", one)
	}
	resp := bearerGet(t, c, base+"/assets", "at_not-a-token")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /assets with a bad token: %d, want 401", resp.StatusCode)
	}
}

func TestJournalRecordsProviderRequestsMasked(t *testing.T) {
	sb := MustStart(t)
	base := provider(t, sb).BaseURL
	tok := MustTokens(t, sb)
	resp := bearerGet(t, newClient(t), base+"/assets/12345", tok.AccessToken)
	decode(t, resp, http.StatusOK, nil)

	entries := sb.Journal.Since(0, 0)
	find := func(method, path string, status int) journal.Entry {
		t.Helper()
		for _, e := range entries {
			if e.Method == method && e.Path == path && e.Status == status {
				return e
			}
		}
		t.Fatalf("no %s %s %d in the journal", method, path, status)
		return journal.Entry{}
	}
	for _, e := range entries {
		if e.Service != sandbox.ServiceProvider || e.ID == 0 || e.Time.IsZero() {
			t.Errorf("entry %d: service %q time %v", e.ID, e.Service, e.Time)
		}
		// No token is kept in the clear anywhere in an entry, and no password
		// in a request (the login page itself shows the demo login).
		b, _ := json.Marshal(e)
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
			if strings.Contains(string(b), secret) {
				t.Errorf("entry %d %s %s keeps a token in the clear: %s", e.ID, e.Method, e.Path, b)
			}
		}
		if strings.Contains(e.RequestBody, mockprovider.DemoPassword) {
			t.Errorf("entry %d %s %s keeps the password in the clear: %s", e.ID, e.Method, e.Path, e.RequestBody)
		}
	}

	token := find(http.MethodPost, "/token", http.StatusOK)
	if want := `"access_token":"` + journal.Masked + tok.AccessToken[len(tok.AccessToken)-4:] + `"`; !strings.Contains(token.ResponseBody, want) {
		t.Errorf("token response body %s, want %s", token.ResponseBody, want)
	}
	if !strings.Contains(token.RequestBody, "code="+url.QueryEscape(journal.Masked)) ||
		!strings.Contains(token.RequestBody, "code_verifier="+url.QueryEscape(journal.Masked)) ||
		!strings.Contains(token.RequestBody, "client_id=payap") {
		t.Errorf("token request body %s, want code and verifier masked", token.RequestBody)
	}

	get := find(http.MethodGet, "/assets/12345", http.StatusOK)
	if got, want := get.RequestHeaders.Get("Authorization"), "Bearer "+journal.Masked+tok.AccessToken[len(tok.AccessToken)-4:]; got != want {
		t.Errorf("Authorization recorded as %q, want %q", got, want)
	}
	if !strings.Contains(get.ResponseBody, `"balance":"5000"`) {
		t.Errorf("asset response body %s", get.ResponseBody)
	}

	login := find(http.MethodPost, "/authorize", http.StatusOK) // the login form answered by the consent page
	if !strings.Contains(login.RequestBody, "password="+url.QueryEscape(journal.Masked)) {
		t.Errorf("login form recorded as %s, want the password masked", login.RequestBody)
	}
	consent := find(http.MethodPost, "/authorize", http.StatusSeeOther)
	if loc := consent.ResponseHeaders.Get("Location"); !strings.Contains(loc, "code="+url.QueryEscape(journal.Masked)) {
		t.Errorf("consent redirect recorded as %s, want the code masked", loc)
	}
}

func TestWriteBanner(t *testing.T) {
	sb := MustStart(t)
	var b strings.Builder
	sb.WriteBanner(&b)
	base := provider(t, sb).BaseURL
	for _, want := range []string{base, base + "/.well-known/oauth-authorization-server", "demo / payap-demo", redirectURI(t, sb)} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner does not show %q:\n%s", want, b.String())
		}
	}
}
