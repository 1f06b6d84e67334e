package mockpayap_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// start is the frozen sandbox time every test begins at.
var start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// defaultAssetType is the asset type DefaultConfig registers.
const defaultAssetType = "payap-example"

// ---------------------------------------------------------------------------
// Wire shapes of the app API, as a front end reads them.

type problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type connection struct {
	ID          string   `json:"id"`
	UserID      string   `json:"userId"`
	AssetType   string   `json:"assetType"`
	Status      string   `json:"status"`
	Scope       string   `json:"scope"`
	CanPay      bool     `json:"canPay"`
	AuthURL     string   `json:"authorizationUrl"`
	ConnectedAt string   `json:"connectedAt"`
	Problem     *problem `json:"problem"`
}

type walletItem struct {
	ID           string   `json:"id"`
	ConnectionID string   `json:"connectionId"`
	AssetType    string   `json:"assetType"`
	AssetID      string   `json:"assetId"`
	Description  string   `json:"description"`
	Balance      *string  `json:"balance"`
	Status       string   `json:"status"`
	CanPay       bool     `json:"canPay"`
	Problem      *problem `json:"problem"`
}

type apiError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type callbackResult struct {
	Outcome       string       `json:"outcome"`
	Connection    connection   `json:"connection"`
	WalletEntries []walletItem `json:"walletEntries"`
}

// ---------------------------------------------------------------------------
// Responses.

// result is an answer of the app API, from the network or a recorder.
type result struct {
	t      testing.TB
	what   string
	Status int
	Header http.Header
	Body   []byte
}

func newResult(t testing.TB, what string, resp *http.Response) *result {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read body: %v", what, err)
	}
	return &result{t: t, what: what, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// want checks the status and decodes the JSON body into v (when not nil).
func (r *result) want(status int, v any) *result {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d; body: %s", r.what, r.Status, status, r.Body)
	}
	if v != nil {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			r.t.Fatalf("%s: Content-Type %q, want application/json", r.what, ct)
		}
		if err := json.Unmarshal(r.Body, v); err != nil {
			r.t.Fatalf("%s: decode %s: %v", r.what, r.Body, err)
		}
	}
	return r
}

// wantError checks that the answer is the app API's one error shape
// {"error":{"code","message","details"}} with this status and code, and
// returns the error.
func (r *result) wantError(status int, code string) apiError {
	r.t.Helper()
	var body map[string]json.RawMessage
	r.want(status, &body)
	if len(body) != 1 || body["error"] == nil {
		r.t.Fatalf("%s: body %s is not {\"error\":{…}}", r.what, r.Body)
	}
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(body["error"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		r.t.Fatalf("%s: error object %s: %v (want only code, message, details)", r.what, body["error"], err)
	}
	if e.Code != code {
		r.t.Fatalf("%s: error code %q (%s), want %q", r.what, e.Code, e.Message, code)
	}
	if strings.TrimSpace(e.Message) == "" {
		r.t.Fatalf("%s: error %q has no message", r.what, e.Code)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		r.t.Errorf("%s: error Cache-Control %q, want no-store", r.what, cc)
	}
	return e
}

// ---------------------------------------------------------------------------
// Calling the app API.

// api calls the mock Payap: over the network when base is set, otherwise
// straight into handler with a recorder.
type api struct {
	t       testing.TB
	base    string
	handler http.Handler
	client  *http.Client
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do sends method path with a session token (empty for none) and body: nil
// for none, a string or []byte as is, anything else as JSON.
func (a *api) do(method, path, token string, body any, opts ...reqOpt) *result {
	a.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, contentType = strings.NewReader(b), "application/json"
	case []byte:
		rd, contentType = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd, contentType = bytes.NewReader(j), "application/json"
	}
	what := method + " " + path
	var req *http.Request
	if a.base != "" {
		var err error
		req, err = http.NewRequest(method, a.base+path, rd)
		if err != nil {
			a.t.Fatal(err)
		}
	} else {
		req = httptest.NewRequest(method, "http://payap.test"+path, rd)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, o := range opts {
		o(req)
	}
	if a.base == "" {
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		return newResult(a.t, what, rec.Result())
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s: %v", what, err)
	}
	return newResult(a.t, what, resp)
}

// signIn signs in and returns the session token.
func (a *api) signIn(email, password string) string {
	a.t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	a.do(http.MethodPost, "/api/sessions", "", map[string]string{"email": email, "password": password}).want(http.StatusCreated, &s)
	if s.Token == "" {
		a.t.Fatal("sign-in answered no token")
	}
	return s.Token
}

func (a *api) connections(token string) []connection {
	a.t.Helper()
	var l struct{ Items []connection }
	a.do(http.MethodGet, "/api/connections", token, nil).want(http.StatusOK, &l)
	return l.Items
}

func (a *api) connection(token, id string) connection {
	a.t.Helper()
	var c connection
	a.do(http.MethodGet, "/api/connections/"+id, token, nil).want(http.StatusOK, &c)
	return c
}

func (a *api) wallet(token string) []walletItem {
	a.t.Helper()
	var l struct{ Items []walletItem }
	a.do(http.MethodGet, "/api/wallet", token, nil).want(http.StatusOK, &l)
	return l.Items
}

// startConnection is POST /api/connections for an asset type.
func (a *api) startConnection(token, assetType string) connection {
	a.t.Helper()
	var c connection
	a.do(http.MethodPost, "/api/connections", token, map[string]string{"assetType": assetType}).want(http.StatusCreated, &c)
	if c.Status != mockpayap.StatusPending || c.AuthURL == "" {
		a.t.Fatalf("new connection %+v: want pending with an authorizationUrl", c)
	}
	return c
}

// get fetches an absolute URL (the callback the provider redirected to)
// without following redirects.
func (a *api) get(rawURL string) *result {
	a.t.Helper()
	resp, err := a.client.Get(rawURL)
	if err != nil {
		a.t.Fatalf("GET %s: %v", rawURL, err)
	}
	return newResult(a.t, "GET "+redact(rawURL), resp)
}

// redact keeps codes out of failure messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for _, k := range []string{"code", "state"} {
		if q.Has(k) {
			q.Set(k, "…")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// noRedirects is an HTTP client that stops at redirects, like a test
// wanting to see a 303.
func noRedirects(tr http.RoundTripper) *http.Client {
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ---------------------------------------------------------------------------
// Payap's outbound traffic, recorded through Deps.HTTPClient.

// tokenCall is one request Payap made to a token endpoint and its answer.
type tokenCall struct {
	GrantType    string
	SentRefresh  string
	Status       int
	GotAccess    string
	GotRefresh   string
	GotScope     any
	ErrorCode    string
	ResponseBody string
}

// recorder wraps Payap's transport and keeps every token endpoint exchange.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	toks []tokenCall
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/token") || req.Body == nil {
		return rc.base.RoundTrip(req)
	}
	reqBody, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	req.ContentLength = int64(len(reqBody))
	resp, err := rc.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	form, _ := url.ParseQuery(string(reqBody))
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        any    `json:"scope"`
		Error        string `json:"error"`
	}
	_ = json.Unmarshal(respBody, &tr)
	rc.mu.Lock()
	rc.toks = append(rc.toks, tokenCall{
		GrantType: form.Get("grant_type"), SentRefresh: form.Get("refresh_token"), Status: resp.StatusCode,
		GotAccess: tr.AccessToken, GotRefresh: tr.RefreshToken, GotScope: tr.Scope, ErrorCode: tr.Error, ResponseBody: string(respBody),
	})
	rc.mu.Unlock()
	return resp, nil
}

func (rc *recorder) tokenCalls() []tokenCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]tokenCall(nil), rc.toks...)
}

// ---------------------------------------------------------------------------
// Peers.

// providerPeer is a real mock provider on its own loopback listener.
type providerPeer struct {
	URL    string
	Store  *mockprovider.MemStore
	Config mockprovider.Config
	srv    *httptest.Server
}

// Close stops the provider, as if it went down.
func (p *providerPeer) Close() { p.srv.Close() }

// startProvider starts a seeded mock provider whose issuer is its own URL,
// with the public client "payap" registered for callback, on clk.
func startProvider(t testing.TB, clk *clock.Clock, callback string, mutate ...func(*mockprovider.Config)) *providerPeer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := mockprovider.DefaultConfig()
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	cfg.Clients = []mockprovider.Client{mockprovider.DefaultClient(callback)}
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("provider config: %v", err)
	}
	store := mockprovider.NewMemStore()
	if err := mockprovider.Seed(store, 42); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = mockprovider.New(cfg, mockprovider.Deps{Store: store, Clock: clk})
	srv.Start()
	t.Cleanup(srv.Close)
	return &providerPeer{URL: cfg.Issuer, Store: store, Config: cfg, srv: srv}
}

// demoBalances are the mock provider's demo user's assets as its seed makes
// them: asset id → balance in minor units.
func demoBalances(t testing.TB) map[string]string {
	t.Helper()
	st := mockprovider.NewMemStore()
	if err := mockprovider.Seed(st, 42); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range st.Assets(mockprovider.DemoUserID) {
		out[a.ID] = fmt.Sprint(a.Balance)
	}
	return out
}

// demoAssetCount is how many wallet entries connecting the demo user makes.
func demoAssetCount(t testing.TB) int { t.Helper(); return len(demoBalances(t)) }

// grants are the provider's grants to a client for a user.
func (p *providerPeer) grants(clientID, userID string) []mockprovider.Grant {
	var out []mockprovider.Grant
	for _, g := range p.Store.Grants() {
		if g.ClientID == clientID && g.UserID == userID {
			out = append(out, g)
		}
	}
	return out
}

// refreshByHand presents a refresh token to the provider's token endpoint
// as the public client "payap" and returns the OAuth error code ("" on
// success).
func (p *providerPeer) refreshByHand(t testing.TB, refresh string) string {
	t.Helper()
	resp, err := http.PostForm(p.URL+"/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {mockprovider.DefaultClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	return e.Error
}

// payapPeer is a mock Payap on its own loopback listener.
type payapPeer struct {
	*api
	URL     string
	Config  mockpayap.Config
	Store   *mockpayap.MemStore
	Handler http.Handler
	Wire    *recorder
	srv     *httptest.Server
}

// reservePayap binds the mock Payap's listener, so that its URL (and so the
// redirect URI) is known before the provider is configured.
func reservePayap(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	return srv
}

func serverURL(srv *httptest.Server) string { return "http://" + srv.Listener.Addr().String() }

// startPayap builds the mock Payap on a reserved listener: seeded store,
// the configured asset type registered against providerURL, PublicURL its
// own URL, Payap's outbound calls recorded.
func startPayap(t testing.TB, srv *httptest.Server, clk *clock.Clock, providerURL string, mutate ...func(*mockpayap.Config)) *payapPeer {
	t.Helper()
	cfg := mockpayap.DefaultConfig()
	cfg.PublicURL = serverURL(srv)
	cfg.Provider.BaseURL = providerURL
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("payap config: %v", err)
	}
	store := mockpayap.NewMemStore()
	if err := mockpayap.Seed(store, 42); err != nil {
		t.Fatal(err)
	}
	if err := mockpayap.RegisterAssetType(store, cfg.Provider, ""); err != nil {
		t.Fatal(err)
	}
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	wire := &recorder{base: transport}
	h := mockpayap.New(cfg, mockpayap.Deps{Store: store, Clock: clk, JWKS: keys, HTTPClient: &http.Client{Transport: wire}})
	srv.Config.Handler = h
	srv.Start()
	testTransport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(testTransport.CloseIdleConnections)
	return &payapPeer{
		api:    &api{t: t, base: cfg.PublicURL, handler: h, client: noRedirects(testTransport)},
		URL:    cfg.PublicURL,
		Config: cfg, Store: store, Handler: h, Wire: wire, srv: srv,
	}
}

// env is a mock Payap and a real mock provider on one frozen clock.
type env struct {
	*payapPeer
	t        testing.TB
	Clock    *clock.Clock
	Provider *providerPeer
}

type envOpts struct {
	payap    []func(*mockpayap.Config)
	provider []func(*mockprovider.Config)
}

// newEnv starts a real mock provider and a mock Payap pointed at it.
func newEnv(t testing.TB, opts ...func(*envOpts)) *env {
	t.Helper()
	var o envOpts
	for _, f := range opts {
		f(&o)
	}
	clk := clock.NewFrozen(start)
	psrv := reservePayap(t)
	prov := startProvider(t, clk, serverURL(psrv)+"/callback", o.provider...)
	p := startPayap(t, psrv, clk, prov.URL, o.payap...)
	return &env{payapPeer: p, t: t, Clock: clk, Provider: prov}
}

func payapOpt(f func(*mockpayap.Config)) func(*envOpts) {
	return func(o *envOpts) { o.payap = append(o.payap, f) }
}

// advance moves the shared sandbox clock.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if err := e.Clock.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

// demo signs the demo user in.
func (e *env) demo() string { return e.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword) }

// otherUser signs in a seeded user who is not the demo user.
func (e *env) otherUser() string {
	e.t.Helper()
	for _, u := range e.Store.Users() {
		if u.ID != mockpayap.DemoUserID {
			return e.signIn(u.Email, u.Password)
		}
	}
	e.t.Fatal("the seed made no second user")
	return ""
}

// demoDecision signs in as the provider's demo user and grants everything.
var demoDecision = browser.Decision{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword}

// consent drives the provider's pages with a fresh browser and returns the
// URL the provider sent the browser back to.
func consent(t testing.TB, authURL string, d browser.Decision) string {
	t.Helper()
	loc, err := browser.New(nil).Authorize(context.Background(), authURL, d)
	if err != nil {
		t.Fatalf("authorize at the provider: %v", err)
	}
	return loc.String()
}

// authorize starts a connection and consents, returning the pending
// connection and the callback URL, which has not been opened yet.
func (e *env) authorize(token string, d browser.Decision) (connection, string) {
	e.t.Helper()
	c := e.startConnection(token, defaultAssetType)
	cb := consent(e.t, c.AuthURL, d)
	if !strings.HasPrefix(cb, e.URL+"/callback?") {
		e.t.Fatalf("the provider redirected to %s, want %s/callback", redact(cb), e.URL)
	}
	return c, cb
}

// connect connects the signed-in user end to end: create, consent, callback.
func (e *env) connect(token string, d browser.Decision) callbackResult {
	e.t.Helper()
	_, cb := e.authorize(token, d)
	var out callbackResult
	e.get(cb).want(http.StatusOK, &out)
	if out.Outcome != "connected" || out.Connection.Status != mockpayap.StatusConnected {
		e.t.Fatalf("callback outcome %+v, want connected", out)
	}
	return out
}

// latestRefresh is the refresh token the provider last gave Payap.
func latestRefresh(t testing.TB, w *recorder) string {
	t.Helper()
	calls := w.tokenCalls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].GotRefresh != "" {
			return calls[i].GotRefresh
		}
	}
	t.Fatal("Payap has received no refresh token")
	return ""
}

func countGrant(calls []tokenCall, grant string) int {
	n := 0
	for _, c := range calls {
		if c.GrantType == grant {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// A misbehaving provider, for what the real mock cannot be made to do.

// fakeProvider serves RFC 8414 metadata, a one-step /authorize that
// redirects straight back with a code (checking PKCE later at /token), a
// token endpoint, a revocation endpoint and the asset API. Access tokens
// from a code start "at-code-", from a refresh "at-refresh-". Configure it
// through the fields before it starts; they are not changed afterwards.
type fakeProvider struct {
	URL string
	srv *httptest.Server

	// Meta changes the metadata document before it is served.
	Meta func(m map[string]any)
	// HangMetadata makes the metadata endpoint answer nothing until the
	// caller gives up.
	HangMetadata bool
	// NoRefreshToken leaves refresh_token out of code exchanges;
	// KeepRefreshToken leaves it out of refreshes (no rotation).
	NoRefreshToken, KeepRefreshToken bool
	// TokenScope is the scope of token responses; nil leaves it out.
	TokenScope *string
	// RefreshScope, when set, is the scope of refresh responses instead.
	RefreshScope *string
	// RefreshError makes every refresh answer 400 with this OAuth error.
	RefreshError string
	// AssetsBody is GET /assets' body.
	AssetsBody string
	// Asset answers GET /assets/{id}; nil answers 200 with the asset.
	Asset func(w http.ResponseWriter, token, id string)
	// Routes adds more endpoints, such as the payment ones (pay_fakes_test.go).
	Routes func(mux *http.ServeMux)

	mu         sync.Mutex
	challenges map[string]string // code → challenge
	seq        int

	Exchanges, Refreshes, Revocations, AssetReads atomic.Int64
}

const fakeAssets = `[{"id":"f1","userId":"fu1","balance":"100","description":"Fake Points"},` +
	`{"id":"f2","userId":"fu1","balance":"200","description":"Fake Miles"}]`

// newFakeProvider starts a fake provider after configure has set it up.
func newFakeProvider(t testing.TB, configure func(f *fakeProvider)) *fakeProvider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	scope := "assets:read assets:pay"
	f := &fakeProvider{URL: serverURL(srv), srv: srv, TokenScope: &scope, AssetsBody: fakeAssets, challenges: map[string]string{}}
	if configure != nil {
		configure(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", f.metadata)
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		f.Revocations.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /assets", func(w http.ResponseWriter, r *http.Request) {
		if bearerOf(r) == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.AssetsBody)
	})
	mux.HandleFunc("GET /assets/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.AssetReads.Add(1)
		tok, id := bearerOf(r), r.PathValue("id")
		if f.Asset != nil {
			f.Asset(w, tok, id)
			return
		}
		if tok == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeAsset(w, id, "100")
	})
	if f.Routes != nil {
		f.Routes(mux)
	}
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

func bearerOf(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !strings.HasPrefix(tok, "at-") {
		return ""
	}
	return tok
}

func writeAsset(w http.ResponseWriter, id, balance string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "userId": "fu1", "balance": balance, "description": "Fake " + id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeProvider) metadata(w http.ResponseWriter, r *http.Request) {
	if f.HangMetadata {
		<-r.Context().Done()
		return
	}
	m := map[string]any{
		"issuer":                                         f.URL,
		"authorization_endpoint":                         f.URL + "/authorize",
		"token_endpoint":                                 f.URL + "/token",
		"revocation_endpoint":                            f.URL + "/revoke",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
	}
	if f.Meta != nil {
		f.Meta(m)
	}
	writeJSON(w, http.StatusOK, m)
}

// authorize consents at once and redirects back with a code, state and iss.
func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.seq++
	code := fmt.Sprintf("code-%d", f.seq)
	f.challenges[code] = q.Get("code_challenge")
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {f.URL}}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusSeeOther)
}

func (f *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f.mu.Lock()
	f.seq++
	n := f.seq
	f.mu.Unlock()
	var access string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.Exchanges.Add(1)
		code := r.PostForm.Get("code")
		f.mu.Lock()
		challenge, ok := f.challenges[code]
		delete(f.challenges, code)
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		access = fmt.Sprintf("at-code-%d", n)
	case "refresh_token":
		f.Refreshes.Add(1)
		if f.RefreshError != "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": f.RefreshError, "error_description": "the fake provider refuses refreshes"})
			return
		}
		access = fmt.Sprintf("at-refresh-%d", n)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": fmt.Sprintf("rt-%d", n)}
	if grant := r.PostForm.Get("grant_type"); grant == "authorization_code" && f.NoRefreshToken || grant == "refresh_token" && f.KeepRefreshToken {
		delete(resp, "refresh_token")
	}
	if scope := f.TokenScope; scope != nil {
		if f.RefreshScope != nil && r.PostForm.Get("grant_type") == "refresh_token" {
			scope = f.RefreshScope
		}
		resp["scope"] = *scope
	}
	writeJSON(w, http.StatusOK, resp)
}

// fakeEnv is a mock Payap whose configured provider is a fake.
type fakeEnv struct {
	*payapPeer
	t     testing.TB
	Clock *clock.Clock
	Fake  *fakeProvider
}

func newFakeEnv(t testing.TB, configure func(f *fakeProvider), mutate ...func(*mockpayap.Config)) *fakeEnv {
	t.Helper()
	clk := clock.NewFrozen(start)
	fake := newFakeProvider(t, configure)
	p := startPayap(t, reservePayap(t), clk, fake.URL, mutate...)
	return &fakeEnv{payapPeer: p, t: t, Clock: clk, Fake: fake}
}

// authorize starts a connection and follows the fake's one-step
// authorization, returning the callback URL.
func (e *fakeEnv) authorize(token string) (connection, string) {
	e.t.Helper()
	c := e.startConnection(token, defaultAssetType)
	r := e.get(c.AuthURL)
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("fake authorize: status %d: %s", r.Status, r.Body)
	}
	return c, r.Header.Get("Location")
}

// connect connects the signed-in user to the fake.
func (e *fakeEnv) connect(token string) callbackResult {
	e.t.Helper()
	_, cb := e.authorize(token)
	var out callbackResult
	e.get(cb).want(http.StatusOK, &out)
	return out
}

func (e *fakeEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.Clock.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}
