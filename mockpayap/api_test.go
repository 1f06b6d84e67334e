package mockpayap_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockpayap"
)

// handlerAPI is the mock Payap's handler alone, called through a recorder.
// The provider URL is never dialled by these tests.
type handlerAPI struct {
	*api
	Store *mockpayap.MemStore
	Clock *clock.Clock
}

func newHandlerAPI(t *testing.T, mutate ...func(*mockpayap.Config)) *handlerAPI {
	t.Helper()
	cfg := mockpayap.DefaultConfig()
	cfg.PublicURL = "http://127.0.0.1:8081"
	cfg.Provider.BaseURL = "http://127.0.0.1:8082"
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(start)
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
	h := mockpayap.New(cfg, mockpayap.Deps{Store: store, Clock: clk, JWKS: keys})
	return &handlerAPI{api: &api{t: t, handler: h}, Store: store, Clock: clk}
}

// appEndpoints is every endpoint of the app API that needs a session.
var appEndpoints = []struct{ method, path string }{
	{http.MethodGet, "/api/session"},
	{http.MethodDelete, "/api/session"},
	{http.MethodGet, "/api/asset-types"},
	{http.MethodPost, "/api/asset-types"},
	{http.MethodGet, "/api/asset-types/" + defaultAssetType},
	{http.MethodGet, "/api/connections"},
	{http.MethodPost, "/api/connections"},
	{http.MethodGet, "/api/connections/conn_0001"},
	{http.MethodDelete, "/api/connections/conn_0001"},
	{http.MethodPost, "/api/connections/conn_0001/reconnect"},
	{http.MethodGet, "/api/wallet"},
	{http.MethodGet, "/api/wallet/we_0001"},
}

func TestAppEndpointsNeedASession(t *testing.T) {
	a := newHandlerAPI(t)
	expired := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	if err := a.Clock.Advance(mockpayap.DefaultConfig().SessionTTL); err != nil {
		t.Fatal(err)
	}
	credentials := []struct {
		name string
		opt  reqOpt
	}{
		{"no Authorization", func(*http.Request) {}},
		{"unknown token", withHeader("Authorization", "Bearer ps_not-a-session")},
		{"expired session", withHeader("Authorization", "Bearer "+expired)},
		{"Basic scheme", withHeader("Authorization", "Basic ZGVtbzpwYXlhcC1kZW1v")},
		{"empty bearer", withHeader("Authorization", "Bearer ")},
	}
	for _, ep := range appEndpoints {
		for _, cr := range credentials {
			t.Run(ep.method+" "+ep.path+"/"+cr.name, func(t *testing.T) {
				a.t = t
				body := any(nil)
				if ep.method == http.MethodPost {
					body = `{"assetType":"payap-example"}`
				}
				r := a.do(ep.method, ep.path, "", body, cr.opt)
				r.wantError(http.StatusUnauthorized, "unauthenticated")
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
			})
		}
	}
}

func TestSignIn(t *testing.T) {
	big := `{"email":"` + strings.Repeat("a", 70<<10) + `","password":"x"}`
	cases := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		field       string
	}{
		{name: "demo login", body: `{"email":"demo@payap.test","password":"payap-demo"}`, status: http.StatusCreated},
		{name: "e-mail is case-insensitive", body: `{"email":" Demo@Payap.Test ","password":"payap-demo"}`, status: http.StatusCreated},
		{name: "charset parameter accepted", contentType: "application/json; charset=utf-8", body: `{"email":"demo@payap.test","password":"payap-demo"}`, status: http.StatusCreated},
		{name: "wrong password", body: `{"email":"demo@payap.test","password":"nope"}`, status: http.StatusUnauthorized, code: "invalid_credentials"},
		{name: "unknown user", body: `{"email":"nobody@payap.test","password":"payap-demo"}`, status: http.StatusUnauthorized, code: "invalid_credentials"},
		{name: "missing password", body: `{"email":"demo@payap.test"}`, status: http.StatusBadRequest, code: "missing_field", field: "password"},
		{name: "missing email", body: `{"password":"payap-demo"}`, status: http.StatusBadRequest, code: "missing_field", field: "email"},
		{name: "blank email", body: `{"email":"  ","password":"payap-demo"}`, status: http.StatusBadRequest, code: "missing_field", field: "email"},
		{name: "form body", contentType: "application/x-www-form-urlencoded", body: "email=demo%40payap.test&password=payap-demo", status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
		{name: "no content type", contentType: "-", body: `{"email":"demo@payap.test","password":"payap-demo"}`, status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
		{name: "syntax error", body: `{"email":}`, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "truncated JSON", body: `{"email":"demo@payap.test"`, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "empty body", body: ``, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "two objects", body: `{"email":"demo@payap.test","password":"payap-demo"} {}`, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "array instead of object", body: `[]`, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "number for a string", body: `{"email":1,"password":"x"}`, status: http.StatusBadRequest, code: "invalid_field"},
		{name: "unknown field", body: `{"email":"demo@payap.test","password":"payap-demo","remember":true}`, status: http.StatusBadRequest, code: "unknown_field"},
		{name: "oversized body", body: big, status: http.StatusRequestEntityTooLarge, code: "body_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newHandlerAPI(t)
			var opts []reqOpt
			switch tc.contentType {
			case "":
			case "-":
				opts = append(opts, func(r *http.Request) { r.Header.Del("Content-Type") })
			default:
				opts = append(opts, withHeader("Content-Type", tc.contentType))
			}
			r := a.do(http.MethodPost, "/api/sessions", "", tc.body, opts...)
			if tc.code == "" {
				var s struct {
					Token     string    `json:"token"`
					ExpiresAt time.Time `json:"expiresAt"`
					User      struct {
						ID       string `json:"id"`
						Email    string `json:"email"`
						Password string `json:"password"`
					} `json:"user"`
				}
				r.want(tc.status, &s)
				if s.Token == "" || s.User.ID != mockpayap.DemoUserID || s.User.Password != "" {
					t.Fatalf("session %s: want a token and the demo user without a password", r.Body)
				}
				if want := start.Add(mockpayap.DefaultConfig().SessionTTL); !s.ExpiresAt.Equal(want) {
					t.Errorf("expiresAt %s, want %s", s.ExpiresAt, want)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", cc)
				}
				var me struct{ User struct{ ID string } }
				a.do(http.MethodGet, "/api/session", s.Token, nil).want(http.StatusOK, &me)
				if me.User.ID != mockpayap.DemoUserID {
					t.Errorf("GET /api/session user %q, want %q", me.User.ID, mockpayap.DemoUserID)
				}
				return
			}
			e := r.wantError(tc.status, tc.code)
			if tc.field != "" && e.Details["field"] != tc.field {
				t.Errorf("details.field = %v, want %q", e.Details["field"], tc.field)
			}
			if strings.Contains(string(r.Body), "payap-demo\"") && tc.code != "invalid_credentials" {
				t.Errorf("error echoes a password: %s", r.Body)
			}
		})
	}
}

func TestSignOutInvalidatesTheToken(t *testing.T) {
	a := newHandlerAPI(t)
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	other := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	a.do(http.MethodGet, "/api/session", token, nil).want(http.StatusOK, nil)
	r := a.do(http.MethodDelete, "/api/session", token, nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("sign-out: status %d, want 204; body %s", r.Status, r.Body)
	}
	a.do(http.MethodGet, "/api/session", token, nil).wantError(http.StatusUnauthorized, "unauthenticated")
	a.do(http.MethodDelete, "/api/session", token, nil).wantError(http.StatusUnauthorized, "unauthenticated")
	// Another session of the same user is untouched.
	a.do(http.MethodGet, "/api/session", other, nil).want(http.StatusOK, nil)
}

func TestSessionExpiresOnTheSandboxClock(t *testing.T) {
	a := newHandlerAPI(t, func(c *mockpayap.Config) { c.SessionTTL = time.Hour })
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	if err := a.Clock.Advance(time.Hour - time.Second); err != nil {
		t.Fatal(err)
	}
	a.do(http.MethodGet, "/api/session", token, nil).want(http.StatusOK, nil)
	if err := a.Clock.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	a.do(http.MethodGet, "/api/session", token, nil).wantError(http.StatusUnauthorized, "unauthenticated")
}

func TestWrongMethods(t *testing.T) {
	a := newHandlerAPI(t)
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	cases := []struct {
		name, method, path, allow string
	}{
		{"GET sessions", http.MethodGet, "/api/sessions", "POST"},
		{"PUT session", http.MethodPut, "/api/session", "DELETE, GET, HEAD"},
		{"DELETE asset types", http.MethodDelete, "/api/asset-types", "GET, HEAD, POST"},
		{"POST one asset type", http.MethodPost, "/api/asset-types/payap-example", "GET, HEAD"},
		{"PATCH connections", http.MethodPatch, "/api/connections", "GET, HEAD, POST"},
		{"PUT one connection", http.MethodPut, "/api/connections/conn_0001", "DELETE, GET, HEAD"},
		{"GET reconnect", http.MethodGet, "/api/connections/conn_0001/reconnect", "POST"},
		{"POST wallet", http.MethodPost, "/api/wallet", "GET, HEAD"},
		{"DELETE wallet entry", http.MethodDelete, "/api/wallet/we_0001", "GET, HEAD"},
		{"POST callback", http.MethodPost, "/callback", "GET, HEAD"},
		{"POST openapi", http.MethodPost, "/openapi.json", "GET, HEAD"},
		{"DELETE jwks", http.MethodDelete, "/.well-known/jwks.json", "GET, HEAD"},
		{"OPTIONS without preflight headers", http.MethodOptions, "/api/wallet", "GET, HEAD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			// With and without a session: the method is checked first.
			for _, tok := range []string{"", token} {
				r := a.do(tc.method, tc.path, tok, nil)
				r.wantError(http.StatusMethodNotAllowed, "method_not_allowed")
				if got := r.Header.Get("Allow"); got != tc.allow {
					t.Errorf("Allow = %q, want %q", got, tc.allow)
				}
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	a := newHandlerAPI(t)
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	cases := []struct{ name, method, path string }{
		{"unknown api path", http.MethodGet, "/api/nope"},
		{"trailing slash", http.MethodGet, "/api/wallet/"},
		{"too deep", http.MethodGet, "/api/connections/conn_0001/reconnect/now"},
		{"singular typo", http.MethodPost, "/api/connection"},
		{"uncleaned path", http.MethodGet, "/api/../api/wallet"},
		{"provider path", http.MethodGet, "/assets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			e := a.do(tc.method, tc.path, token, nil).wantError(http.StatusNotFound, "route_not_found")
			if !strings.Contains(e.Message, "/openapi.json") {
				t.Errorf("message %q does not point at /openapi.json", e.Message)
			}
		})
	}
}

func TestNotFoundResources(t *testing.T) {
	a := newHandlerAPI(t)
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	cases := []struct{ name, method, path, code string }{
		{"connection", http.MethodGet, "/api/connections/conn_9999", "connection_not_found"},
		{"delete connection", http.MethodDelete, "/api/connections/conn_9999", "connection_not_found"},
		{"reconnect", http.MethodPost, "/api/connections/conn_9999/reconnect", "connection_not_found"},
		{"wallet entry", http.MethodGet, "/api/wallet/we_9999", "wallet_entry_not_found"},
		{"asset type", http.MethodGet, "/api/asset-types/nope", "asset_type_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			a.do(tc.method, tc.path, token, nil).wantError(http.StatusNotFound, tc.code)
		})
	}
}

func TestCreateConnectionRequestErrors(t *testing.T) {
	a := newHandlerAPI(t)
	token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"missing asset type", `{}`, http.StatusBadRequest, "missing_field"},
		{"unknown asset type", `{"assetType":"nope"}`, http.StatusBadRequest, "unknown_asset_type"},
		{"unknown field", `{"assetType":"payap-example","provider":"x"}`, http.StatusBadRequest, "unknown_field"},
		{"not JSON", `assetType=payap-example`, http.StatusBadRequest, "invalid_json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			a.do(http.MethodPost, "/api/connections", token, tc.body).wantError(tc.status, tc.code)
			if got := len(a.connections(token)); got != 0 {
				t.Fatalf("%d connections after a refused request, want 0", got)
			}
		})
	}
}

func TestPublicDocuments(t *testing.T) {
	a := newHandlerAPI(t)
	cases := []struct {
		name, path string
		check      func(t *testing.T, body []byte)
	}{
		{"openapi", "/openapi.json", func(t *testing.T, body []byte) {
			if !json.Valid(body) {
				t.Fatal("/openapi.json is not valid JSON")
			}
		}},
		{"jwks", "/.well-known/jwks.json", func(t *testing.T, body []byte) {
			var set struct {
				Keys []struct {
					Kty, Crv, Kid, Use, Alg string
				}
			}
			if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) == 0 {
				t.Fatalf("JWKS %s: %v", body, err)
			}
			if k := set.Keys[0]; k.Kty != "EC" || k.Crv != "P-256" || k.Kid == "" {
				t.Errorf("JWKS key %+v, want an EC P-256 key with a kid", k)
			}
		}},
		{"index", "/", func(t *testing.T, body []byte) {
			var idx map[string]string
			if err := json.Unmarshal(body, &idx); err != nil {
				t.Fatal(err)
			}
			if idx["callback"] != "http://127.0.0.1:8081/callback" {
				t.Errorf("index callback %q, want the PublicURL's /callback", idx["callback"])
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			r := a.do(http.MethodGet, tc.path, "", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/jwk-set+json") {
				t.Fatalf("Content-Type %q, want JSON", ct)
			}
			tc.check(t, r.Body)
		})
	}
}

func TestCORS(t *testing.T) {
	preflight := func(origin, method string) []reqOpt {
		return []reqOpt{
			withHeader("Origin", origin),
			withHeader("Access-Control-Request-Method", method),
			withHeader("Access-Control-Request-Headers", "authorization, content-type"),
		}
	}
	cases := []struct {
		name    string
		origins []string // nil: the default
		method  string
		opts    []reqOpt
		status  int
		code    string // error code when refused
		acao    string // "" means no Access-Control-Allow-Origin
	}{
		{name: "preflight from the Vite dev server", method: http.MethodOptions, opts: preflight("http://localhost:5173", "POST"), status: http.StatusNoContent, acao: "http://localhost:5173"},
		{name: "preflight from 127.0.0.1 any port", method: http.MethodOptions, opts: preflight("http://127.0.0.1:3000", "DELETE"), status: http.StatusNoContent, acao: "http://127.0.0.1:3000"},
		{name: "preflight from evil", method: http.MethodOptions, opts: preflight("https://evil.example", "GET"), status: http.StatusForbidden, code: "origin_not_allowed"},
		{name: "preflight from localhost lookalike", method: http.MethodOptions, opts: preflight("http://localhost:5173.evil.example", "GET"), status: http.StatusForbidden, code: "origin_not_allowed"},
		{name: "preflight from https localhost", method: http.MethodOptions, opts: preflight("https://localhost:5173", "GET"), status: http.StatusForbidden, code: "origin_not_allowed"},
		{name: "preflight from localhost without port", method: http.MethodOptions, opts: preflight("http://localhost", "GET"), status: http.StatusForbidden, code: "origin_not_allowed"},
		{name: "simple GET from allowed origin", method: http.MethodGet, opts: []reqOpt{withHeader("Origin", "http://localhost:5173")}, status: http.StatusOK, acao: "http://localhost:5173"},
		{name: "simple GET from disallowed origin", method: http.MethodGet, opts: []reqOpt{withHeader("Origin", "https://evil.example")}, status: http.StatusOK},
		{name: "configured origin allowed", origins: []string{"https://wallet.example.com"}, method: http.MethodOptions, opts: preflight("https://wallet.example.com", "GET"), status: http.StatusNoContent, acao: "https://wallet.example.com"},
		{name: "configured origin replaces the default", origins: []string{"https://wallet.example.com"}, method: http.MethodOptions, opts: preflight("http://localhost:5173", "GET"), status: http.StatusForbidden, code: "origin_not_allowed"},
		{name: "wildcard", origins: []string{"*"}, method: http.MethodOptions, opts: preflight("https://anywhere.example", "GET"), status: http.StatusNoContent, acao: "https://anywhere.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newHandlerAPI(t, func(c *mockpayap.Config) {
				if tc.origins != nil {
					c.CORSOrigins = tc.origins
				}
			})
			token := a.signIn(mockpayap.DemoEmail, mockpayap.DemoPassword)
			r := a.do(tc.method, "/api/wallet", token, nil, tc.opts...)
			if tc.code != "" {
				r.wantError(tc.status, tc.code)
			} else if r.Status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tc.status, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.acao)
			}
			if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary = %q, want Origin", r.Header.Values("Vary"))
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("Access-Control-Allow-Credentials sent; the API uses bearer tokens, not cookies")
			}
			if tc.method == http.MethodOptions && tc.status == http.StatusNoContent {
				methods := r.Header.Get("Access-Control-Allow-Methods")
				for _, m := range []string{"GET", "POST", "DELETE"} {
					if !strings.Contains(methods, m) {
						t.Errorf("Access-Control-Allow-Methods %q lacks %s", methods, m)
					}
				}
				headers := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
				for _, h := range []string{"authorization", "content-type"} {
					if !strings.Contains(headers, h) {
						t.Errorf("Access-Control-Allow-Headers %q lacks %s", headers, h)
					}
				}
				if len(r.Body) != 0 {
					t.Errorf("preflight body %q, want none", r.Body)
				}
			}
		})
	}
}

func TestCORSOnErrors(t *testing.T) {
	// A front end must be able to read the 401 to know it has to sign in.
	a := newHandlerAPI(t)
	r := a.do(http.MethodGet, "/api/wallet", "", nil, withHeader("Origin", "http://localhost:5173"))
	r.wantError(http.StatusUnauthorized, "unauthenticated")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
		t.Errorf("Access-Control-Allow-Origin on a 401 = %q, want the origin", got)
	}
}
