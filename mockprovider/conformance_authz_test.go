package mockprovider

// Conformance tests for sections A–D of /work/shared/spec/oauth-conformance.md:
// metadata, authorization request validation, the authorization response,
// and the login and consent pages. One test per checklist item, named after it.

import (
	"encoding/json"
	"html"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

const azMetadataPath = "/.well-known/oauth-authorization-server"

// ---------------------------------------------------------------------------
// A. Metadata
// ---------------------------------------------------------------------------

func TestA1_MetadataIsJSONAtWellKnown(t *testing.T) {
	t.Run("issuer without path", func(t *testing.T) {
		h := newHarness(t)
		resp := h.get(azMetadataPath)
		doc := azMetadataFrom(t, resp.StatusCode, resp.Header, azBody(t, resp))
		if doc["issuer"] != h.issuer {
			t.Fatalf("issuer = %v, want %q", doc["issuer"], h.issuer)
		}
	})

	t.Run("issuer with path", func(t *testing.T) {
		issuer := "http://127.0.0.1:18443/tenant1"
		hd := azPathProvider(t, issuer)

		// RFC 8414 §3: the well-known segment goes between host and path.
		rec := azServe(hd, http.MethodGet, azMetadataPath+"/tenant1")
		doc := azMetadataFrom(t, rec.Code, rec.Header(), rec.Body.String())
		if doc["issuer"] != issuer {
			t.Fatalf("issuer = %v, want %q", doc["issuer"], issuer)
		}

		// Not after the path (the Keycloak mistake), and never a redirect.
		rec = azServe(hd, http.MethodGet, "/tenant1"+azMetadataPath)
		if rec.Code == http.StatusOK || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("GET /tenant1%s = %d, want a 4xx: the document belongs at %s/tenant1", azMetadataPath, rec.Code, azMetadataPath)
		}
		// Another tenant's path is not this issuer's document.
		rec = azServe(hd, http.MethodGet, azMetadataPath+"/tenant2")
		if rec.Code != http.StatusNotFound {
			t.Fatalf("GET %s/tenant2 = %d, want 404", azMetadataPath, rec.Code)
		}
	})
}

func TestA2_MetadataIssuerIsByteIdentical(t *testing.T) {
	t.Run("loopback issuer", func(t *testing.T) {
		h := newHarness(t)
		resp := h.get(azMetadataPath)
		raw := azBody(t, resp)
		doc := azMetadataFrom(t, resp.StatusCode, resp.Header, raw)
		// The URL the client fetched from is h.issuer + the well-known path.
		if got := doc["issuer"]; got != h.issuer {
			t.Fatalf("issuer = %q, want byte-identical %q", got, h.issuer)
		}
		if !strings.Contains(raw, `"issuer":"`+h.issuer+`"`) {
			t.Fatalf("raw document does not carry the issuer verbatim: %s", raw)
		}
		if strings.HasSuffix(h.issuer, "/") {
			t.Fatalf("issuer %q is not canonical (trailing slash)", h.issuer)
		}
		// One canonical form everywhere: every endpoint is built from it.
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "revocation_endpoint"} {
			v, _ := doc[k].(string)
			if !strings.HasPrefix(v, h.issuer+"/") || strings.Contains(strings.TrimPrefix(v, "http://"), "//") {
				t.Errorf("%s = %q, want %q followed by one path", k, v, h.issuer)
			}
		}
	})
	t.Run("issuer with path", func(t *testing.T) {
		issuer := "http://127.0.0.1:18443/tenant1"
		rec := azServe(azPathProvider(t, issuer), http.MethodGet, azMetadataPath+"/tenant1")
		doc := azMetadataFrom(t, rec.Code, rec.Header(), rec.Body.String())
		if doc["issuer"] != issuer {
			t.Fatalf("issuer = %q, want byte-identical %q", doc["issuer"], issuer)
		}
		if doc["authorization_endpoint"] != issuer+"/authorize" {
			t.Fatalf("authorization_endpoint = %q, want %q", doc["authorization_endpoint"], issuer+"/authorize")
		}
	})
}

func TestA3_MetadataRequiredFields(t *testing.T) {
	h := newHarness(t)
	doc := azMetadata(t, h)
	want := map[string]string{
		"issuer":                 h.issuer,
		"authorization_endpoint": h.issuer + "/authorize",
		"token_endpoint":         h.issuer + "/token",
	}
	for k, v := range want {
		if got, ok := doc[k].(string); !ok || got != v {
			t.Errorf("%s = %#v, want %q", k, doc[k], v)
		}
	}
	azWantStrings(t, doc, "response_types_supported", "code")

	// The advertised endpoints are the ones that really answer.
	_, challenge := pkce()
	resp, err := h.browser.Get(doc["authorization_endpoint"].(string) + "?" + authParams(challenge).Encode())
	if err != nil {
		t.Fatal(err)
	}
	if body, fields := formFields(t, resp); resp.StatusCode != http.StatusOK || fields.Get("request_id") == "" {
		t.Fatalf("authorization_endpoint answered %d without the login form:\n%s", resp.StatusCode, body)
	}
	resp = azPost(t, doc["token_endpoint"].(string), url.Values{"grant_type": {"authorization_code"}, "client_id": {DefaultClientID}})
	wantOAuthError(t, resp, http.StatusBadRequest, "invalid_request") // code is required
}

func TestA4_MetadataGrantTypesExplicit(t *testing.T) {
	h := newHarness(t)
	doc := azMetadata(t, h)
	if _, ok := doc["grant_types_supported"]; !ok {
		t.Fatal("grant_types_supported is absent; the RFC 8414 default would claim implicit")
	}
	azWantStrings(t, doc, "grant_types_supported", "authorization_code", "refresh_token")
}

func TestA5_MetadataPKCEMethodsS256Only(t *testing.T) {
	h := newHarness(t)
	doc := azMetadata(t, h)
	if _, ok := doc["code_challenge_methods_supported"]; !ok {
		t.Fatal("code_challenge_methods_supported is absent; clients would assume no PKCE")
	}
	azWantStrings(t, doc, "code_challenge_methods_supported", "S256")
}

func TestA6_MetadataAdvertisesIssParameter(t *testing.T) {
	h := newHarness(t)
	doc := azMetadata(t, h)
	v, ok := doc["authorization_response_iss_parameter_supported"]
	if b, isBool := v.(bool); !ok || !isBool || !b {
		t.Fatalf("authorization_response_iss_parameter_supported = %#v, want JSON true", v)
	}
	// Having promised it, every callback carries iss: success and error.
	q := redirectParams(t, h.approve(h.login(authParams(azChallenge()), DemoUsername, DemoPassword), "assets:read"), http.StatusSeeOther)
	if q.Get("iss") != h.issuer {
		t.Errorf("success callback iss = %q, want %q", q.Get("iss"), h.issuer)
	}
	bad := authParams(azChallenge())
	bad.Set("response_type", "token")
	q = redirectParams(t, h.authorize(bad.Encode()), http.StatusFound)
	if q.Get("iss") != h.issuer {
		t.Errorf("error callback iss = %q, want %q", q.Get("iss"), h.issuer)
	}
}

func TestA7_MetadataRevocationAuthScopesModes(t *testing.T) {
	h := newHarness(t)
	doc := azMetadata(t, h)
	if doc["revocation_endpoint"] != h.issuer+"/revoke" {
		t.Errorf("revocation_endpoint = %#v, want %q", doc["revocation_endpoint"], h.issuer+"/revoke")
	}
	// Every method a registered client uses must be advertised, for both
	// endpoints (the default when absent would be client_secret_basic only).
	for _, k := range []string{"token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		got := azStrings(t, doc, k)
		for _, m := range []string{AuthNone, AuthSecretBase, AuthSecretPost} {
			if !slices.Contains(got, m) {
				t.Errorf("%s = %q, missing %q", k, got, m)
			}
		}
		for _, m := range got {
			if m != AuthNone && m != AuthSecretBase && m != AuthSecretPost {
				t.Errorf("%s advertises %q, which the provider does not implement", k, m)
			}
		}
	}
	azWantStrings(t, doc, "scopes_supported", "assets:read", "assets:pay")
	azWantStrings(t, doc, "response_modes_supported", "query")

	// The revocation endpoint advertised is the one that answers.
	resp := azPost(t, doc["revocation_endpoint"].(string), url.Values{"client_id": {DefaultClientID}})
	wantOAuthError(t, resp, http.StatusBadRequest, "invalid_request") // token is required
}

func TestA8_NoRedirectsOnDiscoveryTokenRevoke(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path string
		want               int // 0: any non-3xx status
	}{
		{"metadata", http.MethodGet, azMetadataPath, http.StatusOK},
		{"metadata with query", http.MethodGet, azMetadataPath + "?x=1", http.StatusOK},
		{"metadata trailing slash", http.MethodGet, azMetadataPath + "/", 0},
		{"metadata double slash", http.MethodGet, "/" + azMetadataPath, 0},
		{"metadata dot segment", http.MethodGet, "/./.well-known/oauth-authorization-server", 0},
		{"metadata POST", http.MethodPost, azMetadataPath, http.StatusMethodNotAllowed},
		{"token", http.MethodPost, "/token", http.StatusBadRequest},
		{"token trailing slash", http.MethodPost, "/token/", 0},
		{"token double slash", http.MethodPost, "//token", 0},
		{"token dot-dot", http.MethodPost, "/x/../token", 0},
		{"token GET", http.MethodGet, "/token", http.StatusMethodNotAllowed},
		{"token GET trailing slash", http.MethodGet, "/token/", 0},
		{"revoke", http.MethodPost, "/revoke", http.StatusBadRequest},
		{"revoke trailing slash", http.MethodPost, "/revoke/", 0},
		{"revoke double slash", http.MethodPost, "//revoke", 0},
		{"revoke GET", http.MethodGet, "/revoke", http.StatusMethodNotAllowed},
	}
	c := azBrowser()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.method == http.MethodPost {
				body = strings.NewReader(url.Values{"client_id": {DefaultClientID}}.Encode())
			}
			req, err := http.NewRequest(tc.method, h.issuer+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.Path != strings.SplitN(tc.path, "?", 2)[0] {
				t.Fatalf("client rewrote the path to %q", req.URL.Path)
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 && resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
				t.Fatalf("%s %s = %d (Location %q), want no redirect", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"))
			}
			if tc.want != 0 && resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d, want %d; body %s", tc.method, tc.path, resp.StatusCode, tc.want, b)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// B. Authorization endpoint: request validation
// ---------------------------------------------------------------------------

func TestB9_AuthorizeSupportsGET(t *testing.T) {
	h := newHarness(t)
	resp := h.authorize(authParams(azChallenge()).Encode())
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	body, fields := formFields(t, resp)
	if resp.StatusCode != http.StatusOK || fields.Get("request_id") == "" || fields.Get("csrf_token") == "" {
		t.Fatalf("GET /authorize = %d, want 200 with the login form:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `<form method="post"`) || !strings.Contains(body, `name="password"`) {
		t.Fatalf("GET /authorize did not render the login form:\n%s", body)
	}

	// Methods other than GET and the form POST are refused, not redirected.
	req, _ := http.NewRequest(http.MethodPut, h.issuer+"/authorize?"+authParams(azChallenge()).Encode(), nil)
	resp, err := h.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), http.MethodGet) {
		t.Fatalf("PUT /authorize = %d (Allow %q), want 405 allowing GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestB10_ClientAndRedirectCheckedFirstNeverRedirected(t *testing.T) {
	ch := azChallenge()
	cases := []struct {
		name  string
		query func() string
	}{
		{"client_id missing", func() string { return azWith(authParams(ch), "client_id", "").Encode() }},
		{"client_id unknown", func() string { return azWith(authParams(ch), "client_id", "nobody").Encode() }},
		{"client_id repeated", func() string { q := authParams(ch); q.Add("client_id", confBasicID); return q.Encode() }},
		{"redirect_uri unregistered", func() string { return azWith(authParams(ch), "redirect_uri", "https://evil.example/cb").Encode() }},
		{"redirect_uri repeated", func() string { q := authParams(ch); q.Add("redirect_uri", testRedirect); return q.Encode() }},
		{"redirect_uri missing", func() string { return azWith(authParams(ch), "redirect_uri", "").Encode() }},
		{"redirect_uri of another client", func() string {
			return azWith(authParams(ch), "redirect_uri", "https://app.example.test/cb?tenant=7").Encode()
		}},
		{"unknown client and bad response_type", func() string {
			return azWith(azWith(authParams(ch), "client_id", "nobody"), "response_type", "token").Encode()
		}},
		{"unregistered redirect and bad response_type, scope, PKCE", func() string {
			q := azWith(authParams(ch), "redirect_uri", "https://evil.example/cb")
			q.Set("response_type", "token")
			q.Set("scope", "nope")
			q.Del("code_challenge")
			return q.Encode()
		}},
		{"malformed query", func() string { return authParams(ch).Encode() + "&state=%zz" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			body := azWantErrorPage(t, h.authorize(tc.query()))
			if strings.Contains(body, "evil.example/cb?") || strings.Contains(body, "code=") {
				t.Fatalf("error page looks like it leaks a redirect:\n%s", body)
			}
		})
	}

	// Once client and redirect URI pass, later errors go to the client.
	t.Run("valid client and redirect, later error is redirected", func(t *testing.T) {
		h := newHarness(t)
		q := azWith(authParams(ch), "response_type", "token")
		azWantAuthzError(t, h, h.authorize(q.Encode()), "unsupported_response_type", "st-123")
	})
}

func TestB11_RedirectURIExactMatch(t *testing.T) {
	mismatches := []struct{ name, uri string }{
		{"trailing slash", testRedirect + "/"},
		{"path case", "http://127.0.0.1:9999/Callback"},
		{"scheme case", "HTTP://127.0.0.1:9999/callback"},
		{"localhost for 127.0.0.1", "http://localhost:9999/callback"},
		{"ipv6 loopback for 127.0.0.1", "http://[::1]:9999/callback"},
		{"other port", "http://127.0.0.1:9998/callback"},
		{"no port", "http://127.0.0.1/callback"},
		{"longer path (prefix match)", testRedirect + "/extra"},
		{"shorter path", "http://127.0.0.1:9999/"},
		{"added query", testRedirect + "?x=1"},
		{"empty query", testRedirect + "?"},
		{"fragment", testRedirect + "#x"},
		{"empty fragment", testRedirect + "#"},
		{"percent-encoded path", "http://127.0.0.1:9999/%63allback"},
		{"userinfo", "http://user@127.0.0.1:9999/callback"},
		{"https instead of http", "https://127.0.0.1:9999/callback"},
	}
	t.Run("default", func(t *testing.T) {
		for _, tc := range mismatches {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t)
				azWantErrorPage(t, h.authorize(azWith(authParams(azChallenge()), "redirect_uri", tc.uri).Encode()))
			})
		}
		t.Run("exact", func(t *testing.T) {
			h := newHarness(t)
			azWantLoginPage(t, h.authorize(authParams(azChallenge()).Encode()))
		})
	})

	anyPort := func(c *Config) { c.LoopbackAnyPort = true }
	t.Run("loopback_any_port", func(t *testing.T) {
		t.Run("other port matches and is redirected to", func(t *testing.T) {
			h := newHarness(t, anyPort)
			uri := "http://127.0.0.1:54321/callback"
			resp := h.approve(h.login(azWith(authParams(azChallenge()), "redirect_uri", uri), DemoUsername, DemoPassword), "assets:read")
			loc := azLocation(t, resp, http.StatusSeeOther)
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != uri || loc.Query().Get("code") == "" {
				t.Fatalf("redirected to %q, want %q with a code", resp.Header.Get("Location"), uri)
			}
		})
		stillWrong := []struct{ name, uri string }{
			{"other port and localhost", "http://localhost:54321/callback"},
			{"other port and trailing slash", "http://127.0.0.1:54321/callback/"},
			{"other port and path case", "http://127.0.0.1:54321/Callback"},
			{"other port and https", "https://127.0.0.1:54321/callback"},
			{"other port and query", "http://127.0.0.1:54321/callback?x=1"},
			{"other port and empty query", "http://127.0.0.1:54321/callback?"},
			{"other port and fragment", "http://127.0.0.1:54321/callback#x"},
			{"other port and empty fragment", "http://127.0.0.1:54321/callback#"},
			{"other port and userinfo", "http://u@127.0.0.1:54321/callback"},
		}
		for _, tc := range stillWrong {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, anyPort)
				azWantErrorPage(t, h.authorize(azWith(authParams(azChallenge()), "redirect_uri", tc.uri).Encode()))
			})
		}
		t.Run("not for non-loopback https URIs", func(t *testing.T) {
			h := newHarness(t, anyPort)
			q := azWith(authParams(azChallenge()), "client_id", confPostID)
			q.Set("redirect_uri", "https://app.example.test:8443/cb?tenant=7")
			azWantErrorPage(t, h.authorize(q.Encode()))
		})
	})
}

func TestB12_RedirectURIRequiredFlag(t *testing.T) {
	omit := func(client string) url.Values {
		q := azWith(authParams(azChallenge()), "redirect_uri", "")
		q.Set("client_id", client)
		return q
	}
	t.Run("on by default", func(t *testing.T) {
		if !DefaultConfig().RequireRedirectURI {
			t.Fatal("DefaultConfig().RequireRedirectURI = false, want true (OAuth 2.1 behaviour by default)")
		}
		h := newHarness(t)
		azWantErrorPage(t, h.authorize(omit(DefaultClientID).Encode()))
	})
	t.Run("off, one registered URI may be omitted", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.RequireRedirectURI = false })
		verifier, challenge := pkce()
		q := azWith(authParams(challenge), "redirect_uri", "")
		cb := redirectParams(t, h.approve(h.login(q, DemoUsername, DemoPassword), "assets:read"), http.StatusSeeOther)
		if cb.Get("code") == "" || cb.Get("state") != "st-123" {
			t.Fatalf("callback %v, want a code and the state", cb)
		}
		// The request sent no redirect_uri, so the exchange needs none.
		resp := h.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
			"client_id": {DefaultClientID}, "code_verifier": {verifier}}, "", "")
		var tr tokenResponse
		decode(t, resp, http.StatusOK, &tr)
	})
	t.Run("off, several registered URIs still require it", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.RequireRedirectURI = false })
		azWantErrorPage(t, h.authorize(omit(confPostID).Encode()))
	})
}

func TestB13_ConfigRejectsFragmentAndNonLoopbackHTTP(t *testing.T) {
	cases := []struct {
		name, uri string
		wantErr   string // "" means valid
	}{
		{"https", "https://app.example.test/cb", ""},
		{"https with query", "https://app.example.test/cb?tenant=7", ""},
		{"http 127.0.0.1", "http://127.0.0.1:8080/cb", ""},
		{"http localhost", "http://localhost:8080/cb", ""},
		{"http ::1", "http://[::1]:8080/cb", ""},
		{"fragment", "https://app.example.test/cb#frag", "fragment"},
		{"empty fragment", "https://app.example.test/cb#", "fragment"},
		{"loopback with fragment", "http://127.0.0.1:8080/cb#x", "fragment"},
		{"http non-loopback", "http://app.example.test/cb", "loopback"},
		{"http uppercase scheme", "HTTP://app.example.test/cb", "loopback"},
		{"http private address", "http://10.0.0.1/cb", "loopback"},
		{"http loopback-looking host", "http://127.0.0.1.nip.io/cb", "loopback"},
		{"http localhost subdomain", "http://localhost.example.test/cb", "loopback"},
		{"relative", "/cb", "absolute"},
		{"javascript scheme", "javascript:alert(1)", "absolute"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Issuer = "http://127.0.0.1:18443"
			cfg.Clients = []Client{{ID: "c", AuthMethod: AuthNone, RedirectURIs: []string{tc.uri}}}
			err := cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate rejected %q: %v", tc.uri, err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate accepted %q, want an error about %s", tc.uri, tc.wantErr)
			case tc.wantErr != "" && (!strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "redirect_uris")):
				t.Fatalf("Validate(%q) = %v, want it to name redirect_uris and %q", tc.uri, err, tc.wantErr)
			}
		})
	}
}

func TestB14_RepeatedEmptyAndUnknownParams(t *testing.T) {
	t.Run("repeated", func(t *testing.T) {
		for _, name := range []string{"response_type", "scope", "code_challenge", "code_challenge_method", "state"} {
			for _, same := range []bool{false, true} {
				label := name + " different values"
				if same {
					label = name + " same value"
				}
				t.Run(label, func(t *testing.T) {
					h := newHarness(t)
					q := authParams(azChallenge())
					second := "other"
					if same {
						second = q.Get(name)
					}
					q.Add(name, second)
					state := "st-123"
					if name == "state" {
						state = "" // which one? neither is echoed
					}
					q2 := azWantAuthzError(t, h, h.authorize(q.Encode()), "invalid_request", state)
					if !strings.Contains(q2.Get("error_description"), name) {
						t.Errorf("error_description %q does not name %s", q2.Get("error_description"), name)
					}
				})
			}
		}
	})

	// Empty must behave exactly like absent.
	t.Run("empty is absent", func(t *testing.T) {
		for _, name := range []string{"response_type", "scope", "code_challenge", "code_challenge_method", "redirect_uri", "client_id"} {
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				absent := authParams(azChallenge())
				absent.Del(name)
				empty := authParams(azChallenge())
				empty.Set(name, "")
				ra, re := h.authorize(absent.Encode()), h.authorize(empty.Encode())
				ba, be := azBody(t, ra), azBody(t, re)
				if ra.StatusCode != re.StatusCode {
					t.Fatalf("absent %s: %d, empty %s: %d, want the same", name, ra.StatusCode, name, re.StatusCode)
				}
				la, le := ra.Header.Get("Location"), re.Header.Get("Location")
				if la != le {
					t.Fatalf("absent %s redirects to %q, empty to %q, want the same", name, la, le)
				}
				if la == "" && azPageMessage(ba) != azPageMessage(be) {
					t.Fatalf("absent %s: %q, empty: %q, want the same page", name, azPageMessage(ba), azPageMessage(be))
				}
				if ra.StatusCode == http.StatusOK {
					t.Fatalf("a request without %s was accepted", name)
				}
			})
		}
		t.Run("state", func(t *testing.T) {
			h := newHarness(t)
			q := azWith(authParams(azChallenge()), "state", "")
			cb := redirectParams(t, h.approve(h.login(q, DemoUsername, DemoPassword), "assets:read"), http.StatusSeeOther)
			if _, ok := cb["state"]; ok || cb.Get("code") == "" {
				t.Fatalf("callback %v, want a code and no state", cb)
			}
		})
		t.Run("empty duplicate does not count as repeated", func(t *testing.T) {
			h := newHarness(t)
			q := authParams(azChallenge())
			q["scope"] = []string{"", "assets:read"}
			azWantLoginPage(t, h.authorize(q.Encode()))
		})
	})

	t.Run("unknown parameters ignored", func(t *testing.T) {
		h := newHarness(t)
		verifier, challenge := pkce()
		q := authParams(challenge)
		q.Set("access_type", "offline") // x/oauth2 AccessTypeOffline
		q.Set("prompt", "consent")
		q.Set("nonce", "n-1")
		q["x-unknown"] = []string{"a", "b"} // even repeated
		cb := redirectParams(t, h.approve(h.login(q, DemoUsername, DemoPassword), "assets:read", "assets:pay"), http.StatusSeeOther)
		if cb.Get("error") != "" || cb.Get("code") == "" {
			t.Fatalf("callback %v, want a code", cb)
		}
		var tr tokenResponse
		decode(t, h.token(cb.Get("code"), verifier), http.StatusOK, &tr)
		if tr.Scope != "assets:read assets:pay" {
			t.Fatalf("scope = %q", tr.Scope)
		}
	})
}

func TestB15_ResponseTypeMissingOrUnsupported(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"missing", "", "invalid_request"},
		{"token", "token", "unsupported_response_type"},
		{"id_token", "id_token", "unsupported_response_type"},
		{"code id_token", "code id_token", "unsupported_response_type"},
		{"code token", "code token", "unsupported_response_type"},
		{"upper case", "CODE", "unsupported_response_type"},
		{"none", "none", "unsupported_response_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := authParams(azChallenge())
			q.Del("response_type")
			if tc.value != "" {
				q.Set("response_type", tc.value)
			}
			azWantAuthzError(t, h, h.authorize(q.Encode()), tc.want, "st-123")
		})
	}
}

func TestB16_ClientWithoutCodeGrantIsUnauthorized(t *testing.T) {
	const refreshOnly = "refresh-only"
	h := newHarness(t, func(c *Config) {
		c.Clients = append(c.Clients, Client{ID: refreshOnly, Name: "Refresh only", AuthMethod: AuthNone,
			RedirectURIs: []string{testRedirect}, GrantTypes: []string{GrantRefreshToken}})
	})
	cases := []struct {
		client string
		denied bool
	}{
		{refreshOnly, true},
		{codeOnlyID, false},      // explicitly allowed
		{DefaultClientID, false}, // default grant types
	}
	for _, tc := range cases {
		t.Run(tc.client, func(t *testing.T) {
			q := azWith(authParams(azChallenge()), "client_id", tc.client)
			resp := azBrowserGet(t, azBrowser(), h.issuer+"/authorize?"+q.Encode())
			if tc.denied {
				azWantAuthzError(t, h, resp, "unauthorized_client", "st-123")
			} else {
				azWantLoginPage(t, resp)
			}
		})
	}
}

func TestB17_ScopeValidation(t *testing.T) {
	cases := []struct {
		name  string
		scope *string
		ok    bool
	}{
		{"unknown", azPtr("assets:write"), false},
		{"comma-separated", azPtr("assets:read,assets:pay"), false},
		{"case differs", azPtr("Assets:Read"), false},
		{"one known one unknown", azPtr("assets:read assets:admin"), false},
		{"openid", azPtr("openid"), false},
		{"tab-separated", azPtr("assets:read\tassets:pay"), false},
		{"plus-joined", azPtr("assets:read+assets:pay"), false},
		{"missing (documented: invalid_scope, no default)", nil, false},
		{"read", azPtr("assets:read"), true},
		{"pay", azPtr("assets:pay"), true},
		{"both, any order", azPtr("assets:pay assets:read"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := authParams(azChallenge())
			q.Del("scope")
			if tc.scope != nil {
				q.Set("scope", *tc.scope)
			}
			resp := h.authorize(q.Encode())
			if tc.ok {
				azWantLoginPage(t, resp)
				return
			}
			azWantAuthzError(t, h, resp, "invalid_scope", "st-123")
		})
	}
}

func TestB18_PKCEChallengeRequired(t *testing.T) {
	for _, client := range []string{DefaultClientID, confBasicID, confPostID} {
		for _, method := range []string{"S256", ""} {
			t.Run(client+" method="+method, func(t *testing.T) {
				h := newHarness(t)
				q := azWith(authParams(""), "client_id", client)
				q.Del("code_challenge")
				q.Del("code_challenge_method")
				if method != "" {
					q.Set("code_challenge_method", method)
				}
				cb := azWantAuthzError(t, h, h.authorize(q.Encode()), "invalid_request", "st-123")
				if d := cb.Get("error_description"); !strings.Contains(d, "code challenge required") {
					t.Fatalf("error_description = %q, want it to say code challenge required", d)
				}
			})
		}
	}
}

func TestB19_PKCEMethodAndChallengeFormat(t *testing.T) {
	good := azChallenge()
	cases := []struct {
		name, challenge string
		method          *string
		wantDesc        string // "" means accepted
	}{
		{"S256 valid", good, azPtr("S256"), ""},
		{"method missing defaults to plain", good, nil, "transform algorithm not supported"},
		{"method plain", good, azPtr("plain"), "transform algorithm not supported"},
		{"method lower-case s256", good, azPtr("s256"), "transform algorithm not supported"},
		{"method unknown", good, azPtr("S512"), "transform algorithm not supported"},
		{"padded with =", good + "=", azPtr("S256"), "43"},
		{"42 characters", good[:42], azPtr("S256"), "43"},
		{"44 characters", good + "A", azPtr("S256"), "43"},
		{"128 characters (plain-sized)", strings.Repeat("a", 128), azPtr("S256"), "43"},
		{"standard base64 '+'", "+" + good[1:], azPtr("S256"), "43"},
		{"standard base64 '/'", "/" + good[1:], azPtr("S256"), "43"},
		{"padded 44 with = in place", good[:42] + "=", azPtr("S256"), "43"},
		{"space inside", good[:20] + " " + good[21:], azPtr("S256"), "43"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := authParams(tc.challenge)
			q.Del("code_challenge_method")
			if tc.method != nil {
				q.Set("code_challenge_method", *tc.method)
			}
			resp := h.authorize(q.Encode())
			if tc.wantDesc == "" {
				azWantLoginPage(t, resp)
				return
			}
			cb := azWantAuthzError(t, h, resp, "invalid_request", "st-123")
			if d := cb.Get("error_description"); !strings.Contains(d, tc.wantDesc) {
				t.Fatalf("error_description = %q, want it to mention %q", d, tc.wantDesc)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// C. Authorization response
// ---------------------------------------------------------------------------

func TestC20_SuccessRedirectCarriesCodeStateIss(t *testing.T) {
	cases := []struct {
		name, client, redirect string
		state                  *string
		wantKeys               []string
	}{
		{"with state", DefaultClientID, testRedirect, azPtr("st-123"), []string{"code", "iss", "state"}},
		{"state with reserved characters", DefaultClientID, testRedirect, azPtr(`a b+c/é&=%?#"<x>`), []string{"code", "iss", "state"}},
		{"without state", DefaultClientID, testRedirect, nil, []string{"code", "iss"}},
		{"registered URI with query keeps it", confPostID, "https://app.example.test/cb?tenant=7", azPtr("st-7"), []string{"code", "iss", "state", "tenant"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := azWith(authParams(azChallenge()), "client_id", tc.client)
			q.Set("redirect_uri", tc.redirect)
			q.Del("state")
			if tc.state != nil {
				q.Set("state", *tc.state)
			}
			resp := h.approve(h.login(q, DemoUsername, DemoPassword), "assets:read")
			raw := resp.Header.Get("Location")
			loc := azLocation(t, resp, http.StatusSeeOther)
			base, _, _ := strings.Cut(tc.redirect, "?")
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != base {
				t.Fatalf("redirected to %q, want %q", raw, tc.redirect)
			}
			if strings.Contains(raw, "#") || loc.Fragment != "" {
				t.Fatalf("redirect %q has a fragment", raw)
			}
			if !strings.HasPrefix(raw, tc.redirect+"?") && !strings.HasPrefix(raw, tc.redirect+"&") {
				t.Fatalf("redirect %q does not start with the registered URI %q", raw, tc.redirect)
			}
			got := loc.Query()
			keys := slices.Sorted(maps.Keys(got))
			if !slices.Equal(keys, tc.wantKeys) {
				t.Fatalf("callback parameters %v, want exactly %v (%s)", keys, tc.wantKeys, raw)
			}
			for k, v := range got {
				if len(v) != 1 {
					t.Errorf("parameter %s sent %d times", k, len(v))
				}
			}
			if got.Get("code") == "" || got.Get("iss") != h.issuer {
				t.Fatalf("code=%q iss=%q, want a code and iss %q", got.Get("code"), got.Get("iss"), h.issuer)
			}
			if tc.state != nil && got.Get("state") != *tc.state {
				t.Fatalf("state = %q, want exactly %q", got.Get("state"), *tc.state)
			}
			if tc.client == confPostID && got.Get("tenant") != "7" {
				t.Fatalf("tenant = %q, want the registered 7", got.Get("tenant"))
			}
		})
	}
}

func TestC21_ErrorRedirectCarriesErrorStateIss(t *testing.T) {
	state := `s<t>"a&t=e`
	cases := []struct {
		name, code string
		mutate     func(q url.Values)
	}{
		{"unsupported response_type with quotes, backslash, non-ASCII, control", "unsupported_response_type",
			func(q url.Values) { q.Set("response_type", "tok\"en\\é\x01\n") }},
		{"unknown scope with quotes and non-ASCII", "invalid_scope",
			func(q url.Values) { q.Set("scope", `"ünknown\"`) }},
		{"missing scope", "invalid_scope", func(q url.Values) { q.Del("scope") }},
		{"missing code_challenge", "invalid_request", func(q url.Values) { q.Del("code_challenge") }},
		{"plain PKCE", "invalid_request", func(q url.Values) { q.Set("code_challenge_method", "pla\"in€") }},
		{"malformed challenge", "invalid_request", func(q url.Values) { q.Set("code_challenge", "x") }},
		{"repeated scope", "invalid_request", func(q url.Values) { q.Add("scope", "assets:read") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := azWith(authParams(azChallenge()), "state", state)
			tc.mutate(q)
			cb := azWantAuthzError(t, h, h.authorize(q.Encode()), tc.code, state)
			if cb.Get("error_description") == "" {
				t.Errorf("no error_description; the mock documents every error")
			}
		})
	}
	t.Run("deny after consent", func(t *testing.T) {
		h := newHarness(t)
		consent := h.login(azWith(authParams(azChallenge()), "state", state), DemoUsername, DemoPassword)
		azWantAuthzErrorStatus(t, h, azDeny(t, h, consent), http.StatusSeeOther, "access_denied", state)
	})
	t.Run("describe keeps only the legal characters", func(t *testing.T) {
		var all strings.Builder
		for r := rune(0); r < 0x300; r++ {
			all.WriteRune(r)
		}
		if d := describe(all.String()); !azLegalDescription(d) {
			t.Fatalf("describe left illegal characters: %q", d)
		}
	})
}

func TestC22_DenyGivesAccessDenied(t *testing.T) {
	cases := []struct {
		name string
		form func(t *testing.T, h *harness) url.Values
	}{
		{"deny on the consent page", func(t *testing.T, h *harness) url.Values {
			return h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
		}},
		{"cancel on the login page", func(t *testing.T, h *harness) url.Values {
			_, fields := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
			return fields
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			fields := tc.form(t, h)
			if fields.Get("request_id") == "" {
				t.Fatal("no form on the page")
			}
			azWantAuthzErrorStatus(t, h, azDeny(t, h, fields), http.StatusSeeOther, "access_denied", "st-123")
			if n := azCodeCount(h); n != 0 {
				t.Fatalf("%d codes issued after a denial", n)
			}
			// The denied request is answered; approving it now does nothing.
			resp := h.approve(fields, "assets:read")
			azWantErrorPage(t, resp)
			if n := azCodeCount(h); n != 0 {
				t.Fatalf("%d codes issued for a denied request", n)
			}
		})
	}
}

func TestC23_RequireStateFlag(t *testing.T) {
	cases := []struct {
		name     string
		flag     bool
		state    *string
		rejected bool
	}{
		{"off, no state", false, nil, false},
		{"off, state", false, azPtr("st-123"), false},
		{"on, no state", true, nil, true},
		{"on, empty state", true, azPtr(""), true},
		{"on, state", true, azPtr("st-123"), false},
	}
	if DefaultConfig().RequireState {
		t.Fatal("require_state is on by default, want off")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.RequireState = tc.flag })
			q := authParams(azChallenge())
			q.Del("state")
			if tc.state != nil {
				q.Set("state", *tc.state)
			}
			resp := h.authorize(q.Encode())
			if !tc.rejected {
				azWantLoginPage(t, resp)
				return
			}
			cb := azWantAuthzError(t, h, resp, "invalid_request", "")
			if !strings.Contains(cb.Get("error_description"), "state") {
				t.Fatalf("error_description %q does not mention state", cb.Get("error_description"))
			}
		})
	}
}

func TestC24_FormPostAnswers303(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness) *http.Response
	}{
		{"approve", func(t *testing.T, h *harness) *http.Response {
			return h.approve(h.login(authParams(azChallenge()), DemoUsername, DemoPassword), "assets:read")
		}},
		{"deny on consent", func(t *testing.T, h *harness) *http.Response {
			return azDeny(t, h, h.login(authParams(azChallenge()), DemoUsername, DemoPassword))
		}},
		{"cancel on login", func(t *testing.T, h *harness) *http.Response {
			_, fields := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
			return azDeny(t, h, fields)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := tc.run(t, h)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("form POST answered %d, want 303 See Other (never 307/308, which re-POST the password)", resp.StatusCode)
			}
			if !strings.HasPrefix(resp.Header.Get("Location"), testRedirect+"?") {
				t.Fatalf("Location = %q", resp.Header.Get("Location"))
			}
		})
	}
	t.Run("login POST renders consent, no redirect", func(t *testing.T) {
		h := newHarness(t)
		_, fields := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
		fields.Set("action", "login")
		fields.Set("username", DemoUsername)
		fields.Set("password", DemoPassword)
		resp := h.postForm("/authorize", fields)
		body := azBody(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(body, `value="approve"`) {
			t.Fatalf("login POST = %d (Location %q), want 200 consent page", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestC25_IssEqualsIssuerByteForByte(t *testing.T) {
	t.Run("loopback issuer", func(t *testing.T) {
		h := newHarness(t)
		metaIss := azMetadata(t, h)["issuer"]
		resp := h.approve(h.login(authParams(azChallenge()), DemoUsername, DemoPassword), "assets:read")
		raw := resp.Header.Get("Location")
		ok := redirectParams(t, resp, http.StatusSeeOther).Get("iss")
		q := azWith(authParams(azChallenge()), "scope", "nope")
		bad := redirectParams(t, h.authorize(q.Encode()), http.StatusFound).Get("iss")
		for name, got := range map[string]string{"success": ok, "error": bad} {
			if got != h.issuer || got != metaIss {
				t.Errorf("%s iss = %q, want byte-identical %q (metadata %q)", name, got, h.issuer, metaIss)
			}
		}
		if !strings.Contains(raw, "iss="+url.QueryEscape(h.issuer)) {
			t.Errorf("Location %q does not carry the issuer as one encoded value", raw)
		}
	})
	t.Run("issuer with path", func(t *testing.T) {
		issuer := "http://127.0.0.1:18443/tenant1"
		hd := azPathProvider(t, issuer)
		q := azWith(authParams(azChallenge()), "response_type", "token")
		rec := azServe(hd, http.MethodGet, "/authorize?"+q.Encode())
		if rec.Code != http.StatusFound {
			t.Fatalf("status %d, want 302", rec.Code)
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if got := loc.Query().Get("iss"); got != issuer {
			t.Fatalf("iss = %q, want %q", got, issuer)
		}
	})
}

// ---------------------------------------------------------------------------
// D. Login and consent page
// ---------------------------------------------------------------------------

func TestD26_ConsentFormCSRFProtected(t *testing.T) {
	type forge struct {
		name string
		// send posts the form; it may alter fields or use another browser.
		send func(t *testing.T, h *harness, fields url.Values) *http.Response
	}
	forgeries := []forge{
		{"wrong csrf_token", func(t *testing.T, h *harness, f url.Values) *http.Response {
			f.Set("csrf_token", azChallenge())
			return h.postForm("/authorize", f)
		}},
		{"missing csrf_token", func(t *testing.T, h *harness, f url.Values) *http.Response {
			f.Del("csrf_token")
			return h.postForm("/authorize", f)
		}},
		{"empty csrf_token", func(t *testing.T, h *harness, f url.Values) *http.Response {
			f.Set("csrf_token", "")
			return h.postForm("/authorize", f)
		}},
		{"csrf_token of another request of the same browser", func(t *testing.T, h *harness, f url.Values) *http.Response {
			_, other := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
			if other.Get("csrf_token") == "" || other.Get("csrf_token") == f.Get("csrf_token") {
				t.Fatal("second request got no distinct csrf_token")
			}
			f.Set("csrf_token", other.Get("csrf_token"))
			return h.postForm("/authorize", f)
		}},
		{"another browser without a session", func(t *testing.T, h *harness, f url.Values) *http.Response {
			return azPostForm(t, azBrowser(), h.issuer+"/authorize", f)
		}},
		{"another browser with its own session", func(t *testing.T, h *harness, f url.Values) *http.Response {
			other := azBrowser()
			azBody(t, azBrowserGet(t, other, h.issuer+"/authorize?"+authParams(azChallenge()).Encode()))
			return azPostForm(t, other, h.issuer+"/authorize", f)
		}},
	}
	for _, step := range []string{"login", "approve"} {
		for _, fg := range forgeries {
			t.Run(step+"/"+fg.name, func(t *testing.T) {
				h := newHarness(t)
				var fields url.Values
				if step == "login" {
					_, fields = formFields(t, h.authorize(authParams(azChallenge()).Encode()))
					fields.Set("action", "login")
					fields.Set("username", DemoUsername)
					fields.Set("password", DemoPassword)
				} else {
					fields = h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
					fields.Set("action", "approve")
					fields["scope"] = []string{"assets:read", "assets:pay"}
				}
				genuine := azClone(fields)

				resp := fg.send(t, h, azClone(fields))
				body := azBody(t, resp)
				if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
					t.Fatalf("forged POST = %d (Location %q), want 403 and no redirect:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
				}
				if strings.Contains(body, `value="approve"`) {
					t.Fatal("forged login reached the consent page")
				}
				if n := azCodeCount(h); n != 0 {
					t.Fatalf("%d codes issued by a forged POST", n)
				}

				// The genuine browser's own form still works: the check is
				// about who sent it, not a side effect of the request state.
				resp = h.postForm("/authorize", genuine)
				if step == "login" {
					azWantPageStatus(t, resp, http.StatusOK)
				} else {
					if q := redirectParams(t, resp, http.StatusSeeOther); q.Get("code") == "" {
						t.Fatalf("genuine approve gave %v", q)
					}
				}
			})
		}
	}
}

func TestD27_PagesForbidFraming(t *testing.T) {
	for _, pc := range azPageCases() {
		t.Run(pc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := pc.get(t, h)
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type = %q, not a page", ct)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY", got)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !regexp.MustCompile(`(^|;)\s*frame-ancestors 'none'\s*(;|$)`).MatchString(csp) {
				t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", csp)
			}
		})
	}
}

func TestD28_NoReferrerOnPagesAndRedirects(t *testing.T) {
	cases := azPageCases()
	cases = append(cases,
		azPageCase{"success redirect", func(t *testing.T, h *harness) *http.Response {
			return h.approve(h.login(authParams(azChallenge()), DemoUsername, DemoPassword), "assets:read")
		}},
		azPageCase{"error redirect", func(t *testing.T, h *harness) *http.Response {
			return h.authorize(azWith(authParams(azChallenge()), "response_type", "token").Encode())
		}},
		azPageCase{"deny redirect", func(t *testing.T, h *harness) *http.Response {
			return azDeny(t, h, h.login(authParams(azChallenge()), DemoUsername, DemoPassword))
		}},
	)
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := pc.get(t, h)
			resp.Body.Close()
			if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Fatalf("Referrer-Policy = %q (status %d), want no-referrer", got, resp.StatusCode)
			}
		})
	}
}

func TestD29_PartialConsentNarrowsScope(t *testing.T) {
	t.Run("page shows client and each requested scope", func(t *testing.T) {
		for _, tc := range []struct {
			requested string
			want      []string
		}{
			{"assets:read assets:pay", []string{"assets:read", "assets:pay"}},
			{"assets:read", []string{"assets:read"}},
		} {
			for _, signedIn := range []bool{false, true} {
				t.Run(tc.requested+"/signed in "+strconv.FormatBool(signedIn), func(t *testing.T) {
					h := newHarness(t)
					q := azWith(authParams(azChallenge()), "scope", tc.requested)
					var body string
					if signedIn {
						// A browser already signed in goes straight to consent.
						h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
						body = azWantPageStatus(t, h.authorize(q.Encode()), http.StatusOK)
						if !strings.Contains(body, `value="approve"`) {
							t.Fatalf("signed-in browser did not get the consent page:\n%s", body)
						}
					} else {
						body, _ = azConsentPage(t, h, q)
					}
					if !strings.Contains(body, "Payap &lt;b&gt;(test)&lt;/b&gt;") || !strings.Contains(body, "<code>payap</code>") {
						t.Errorf("consent page does not name the client:\n%s", body)
					}
					for _, s := range []string{"assets:read", "assets:pay"} {
						box := `name="scope" value="` + s + `" checked`
						if got, want := strings.Contains(body, box), slices.Contains(tc.want, s); got != want {
							t.Errorf("checkbox for %s shown=%v, want %v", s, got, want)
						}
						if strings.Contains(body, `value="`+s+`"`) != slices.Contains(tc.want, s) {
							t.Errorf("scope %s shown although not requested (or hidden although requested)", s)
						}
					}
				})
			}
		}
	})

	cases := []struct {
		name    string
		granted []string
		want    string
	}{
		{"untick assets:pay", []string{"assets:read"}, "assets:read"},
		{"untick assets:read", []string{"assets:pay"}, "assets:pay"},
		{"grant all", []string{"assets:pay", "assets:read"}, "assets:read assets:pay"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			verifier, challenge := pkce()
			cb := redirectParams(t, h.approve(h.login(authParams(challenge), DemoUsername, DemoPassword), tc.granted...), http.StatusSeeOther)
			var tr tokenResponse
			decode(t, h.token(cb.Get("code"), verifier), http.StatusOK, &tr)
			if tr.Scope != tc.want {
				t.Fatalf("token response scope = %q, want %q", tr.Scope, tc.want)
			}
			info, err := h.store.Access(hashOf(tr.AccessToken), h.clock.Now())
			if err != nil || info.Scope.String() != tc.want {
				t.Fatalf("access token scope = %q (%v), want %q", info.Scope, err, tc.want)
			}
		})
	}
	t.Run("untick everything re-renders, no code", func(t *testing.T) {
		h := newHarness(t)
		resp := h.approve(h.login(authParams(azChallenge()), DemoUsername, DemoPassword))
		body := azWantPageStatus(t, resp, http.StatusBadRequest)
		if !strings.Contains(body, `value="approve"`) || azCodeCount(h) != 0 {
			t.Fatalf("want the consent page again and no code:\n%s", body)
		}
	})
}

func TestD30_WrongCredentialsRerenderEscaped(t *testing.T) {
	cases := []struct{ name, user, pass string }{
		{"wrong password", DemoUsername, "nope"},
		{"unknown user", "nobody", DemoPassword},
		{"empty password", DemoUsername, ""},
		{"password of another case", DemoUsername, strings.ToUpper(DemoPassword)},
		{"markup in username", `"><script>alert('u')</script><b x="`, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			q := azWith(authParams(azChallenge()), "state", `<i>st</i>"'`)
			page1, fields := formFields(t, h.authorize(q.Encode()))
			for _, raw := range []string{"<b>(test)</b>", "<i>st</i>"} {
				if strings.Contains(page1, raw) {
					t.Fatalf("login page reflects %q unescaped", raw)
				}
			}
			form := azClone(fields)
			form.Set("action", "login")
			form.Set("username", tc.user)
			form.Set("password", tc.pass)
			resp := h.postForm("/authorize", form)
			if resp.StatusCode >= 300 && resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
				t.Fatalf("wrong credentials answered %d (Location %q), want the page again", resp.StatusCode, resp.Header.Get("Location"))
			}
			body, again := formFields(t, resp)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
				t.Fatalf("status %d, want 401 with the login form and an error:\n%s", resp.StatusCode, body)
			}
			if again.Get("request_id") != fields.Get("request_id") || !strings.Contains(body, `name="password"`) {
				t.Fatal("the re-rendered page is not the same login form")
			}
			if regexp.MustCompile(`name="password"[^>]*value=`).MatchString(body) {
				t.Error("the password field is pre-filled")
			}
			// Reflected values are escaped, and the username survives the round trip.
			for _, raw := range []string{"<b>(test)</b>", "<script>", "<i>st</i>"} {
				if strings.Contains(body, raw) {
					t.Fatalf("page reflects %q unescaped:\n%s", raw, body)
				}
			}
			if !strings.Contains(body, "Payap &lt;b&gt;(test)&lt;/b&gt;") {
				t.Errorf("client name not shown escaped")
			}
			m := regexp.MustCompile(`name="username" value="([^"]*)"`).FindStringSubmatch(body)
			if m == nil || html.UnescapeString(m[1]) != tc.user {
				t.Fatalf("username field = %v, want %q escaped", m, tc.user)
			}
			// The same request can still be completed with the right password.
			form.Set("username", DemoUsername)
			form.Set("password", DemoPassword)
			body = azWantPageStatus(t, h.postForm("/authorize", form), http.StatusOK)
			if !strings.Contains(body, `value="approve"`) {
				t.Fatal("correct password after a failure did not reach consent")
			}
		})
	}
	t.Run("error page escapes client_id", func(t *testing.T) {
		h := newHarness(t)
		body := azWantErrorPage(t, h.authorize(azWith(authParams(azChallenge()), "client_id", `<script>x</script>`).Encode()))
		if strings.Contains(body, "<script>x") || !strings.Contains(body, "&lt;script&gt;x") {
			t.Fatalf("client_id not escaped on the error page:\n%s", body)
		}
	})
}

func TestD31_RequestCarriedServerSideTamperRejected(t *testing.T) {
	t.Run("scope not requested", func(t *testing.T) {
		for _, tampered := range [][]string{
			{"assets:pay"},
			{"assets:read", "assets:pay"},
			{"assets:read assets:pay"},
			{"assets:admin"},
		} {
			t.Run(strings.Join(tampered, ","), func(t *testing.T) {
				h := newHarness(t)
				verifier, challenge := pkce()
				consent := h.login(azWith(authParams(challenge), "scope", "assets:read"), DemoUsername, DemoPassword)
				azWantErrorPage(t, h.approve(consent, tampered...))
				if n := azCodeCount(h); n != 0 {
					t.Fatalf("%d codes issued for a tampered scope", n)
				}
				// The genuine answer still works and carries only what was requested.
				cb := redirectParams(t, h.approve(consent, "assets:read"), http.StatusSeeOther)
				var tr tokenResponse
				decode(t, h.token(cb.Get("code"), verifier), http.StatusOK, &tr)
				if tr.Scope != "assets:read" {
					t.Fatalf("scope = %q, want assets:read", tr.Scope)
				}
			})
		}
	})

	t.Run("hidden fields cannot change redirect_uri, client, state or challenge", func(t *testing.T) {
		h := newHarness(t)
		verifier, challenge := pkce()
		_, evilChallenge := pkce()
		consent := h.login(authParams(challenge), DemoUsername, DemoPassword)
		form := url.Values{
			"request_id": {consent.Get("request_id")}, "csrf_token": {consent.Get("csrf_token")},
			"action": {"approve"}, "scope": {"assets:read"},
			"redirect_uri": {"https://evil.example/cb"}, "client_id": {confBasicID}, "state": {"evil"},
			"code_challenge": {evilChallenge}, "code_challenge_method": {"plain"}, "response_type": {"token"},
		}
		resp := h.postForm("/authorize", form)
		cb := redirectParams(t, resp, http.StatusSeeOther) // fails unless sent to testRedirect
		if cb.Get("state") != "st-123" || cb.Get("code") == "" || cb.Get("access_token") != "" {
			t.Fatalf("callback %v, want the original state and a code", cb)
		}
		// Bound to the original client and challenge: the original verifier works.
		var tr tokenResponse
		decode(t, h.token(cb.Get("code"), verifier), http.StatusOK, &tr)
		if tr.Scope != "assets:read" {
			t.Fatalf("scope = %q", tr.Scope)
		}
	})

	t.Run("request_id", func(t *testing.T) {
		cases := []struct {
			name    string
			prepare func(t *testing.T, h *harness, consent url.Values) url.Values
			ok      bool
		}{
			{"fresh", func(t *testing.T, h *harness, c url.Values) url.Values { return c }, true},
			{"just before expiry", func(t *testing.T, h *harness, c url.Values) url.Values {
				azAdvance(t, h, pendingTTL-time.Second)
				return c
			}, true},
			{"expired", func(t *testing.T, h *harness, c url.Values) url.Values {
				azAdvance(t, h, pendingTTL)
				return c
			}, false},
			{"replayed after approval", func(t *testing.T, h *harness, c url.Values) url.Values {
				redirectParams(t, h.approve(c, "assets:read"), http.StatusSeeOther)
				return c
			}, false},
			{"replayed after denial", func(t *testing.T, h *harness, c url.Values) url.Values {
				redirectParams(t, azDeny(t, h, c), http.StatusSeeOther)
				return c
			}, false},
			{"unknown", func(t *testing.T, h *harness, c url.Values) url.Values {
				c = azClone(c)
				c.Set("request_id", "authz_"+azChallenge())
				return c
			}, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t)
				consent := h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
				form := tc.prepare(t, h, consent)
				before := azCodeCount(h)
				resp := h.approve(form, "assets:read")
				if tc.ok {
					if cb := redirectParams(t, resp, http.StatusSeeOther); cb.Get("code") == "" {
						t.Fatalf("callback %v, want a code", cb)
					}
					return
				}
				azWantErrorPage(t, resp)
				if n := azCodeCount(h); n != before {
					t.Fatalf("codes went from %d to %d", before, n)
				}
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Helpers (prefixed az to stay clear of the other conformance files)
// ---------------------------------------------------------------------------

// azBrowser is a fresh browser: its own cookie jar, no redirect following.
func azBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func azBrowserGet(t testing.TB, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func azPostForm(t testing.TB, c *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// azPost posts a form without following redirects and without credentials.
func azPost(t testing.TB, u string, form url.Values) *http.Response {
	t.Helper()
	return azPostForm(t, azBrowser(), u, form)
}

func azBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func azPtr(s string) *string { return &s }

// azChallenge is a fresh valid S256 challenge.
func azChallenge() string {
	_, c := pkce()
	return c
}

// azWith returns q with name set to value, or deleted when value is "".
func azWith(q url.Values, name, value string) url.Values {
	if value == "" {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	return q
}

func azClone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func azAdvance(t testing.TB, h *harness, d time.Duration) {
	t.Helper()
	if err := h.clock.Advance(d); err != nil {
		t.Fatal(err)
	}
}

// azCodeCount is how many authorization codes the store holds.
func azCodeCount(h *harness) int {
	h.store.mu.RLock()
	defer h.store.mu.RUnlock()
	return len(h.store.codes)
}

func azDeny(t testing.TB, h *harness, fields url.Values) *http.Response {
	t.Helper()
	return h.postForm("/authorize", url.Values{"request_id": {fields.Get("request_id")}, "csrf_token": {fields.Get("csrf_token")}, "action": {"deny"}})
}

// azConsentPage signs in and returns the consent page and its fields.
func azConsentPage(t testing.TB, h *harness, q url.Values) (string, url.Values) {
	t.Helper()
	_, fields := formFields(t, h.authorize(q.Encode()))
	fields.Set("action", "login")
	fields.Set("username", DemoUsername)
	fields.Set("password", DemoPassword)
	resp := h.postForm("/authorize", fields)
	body, consent := formFields(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="approve"`) {
		t.Fatalf("login: status %d, want the consent page:\n%s", resp.StatusCode, body)
	}
	return body, consent
}

// azLocation checks the status and parses the Location header.
func azLocation(t testing.TB, resp *http.Response, status int) *url.URL {
	t.Helper()
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d", resp.StatusCode, status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// azWantAuthzError checks a 302 error redirect to the test redirect URI.
func azWantAuthzError(t testing.TB, h *harness, resp *http.Response, code, state string) url.Values {
	t.Helper()
	return azWantAuthzErrorStatus(t, h, resp, http.StatusFound, code, state)
}

// azWantAuthzErrorStatus checks an error redirect: error code, state exactly
// as sent (absent when state is ""), iss, no code, and a legal description.
func azWantAuthzErrorStatus(t testing.TB, h *harness, resp *http.Response, status int, code, state string) url.Values {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want a %d redirect; body:\n%s", resp.StatusCode, status, azBody(t, resp))
	}
	q := redirectParams(t, resp, status)
	if q.Get("error") != code {
		t.Fatalf("error = %q (%s), want %q", q.Get("error"), q.Get("error_description"), code)
	}
	if state == "" {
		if _, ok := q["state"]; ok {
			t.Errorf("state = %q, want none", q.Get("state"))
		}
	} else if q.Get("state") != state {
		t.Errorf("state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != h.issuer {
		t.Errorf("iss = %q, want %q", q.Get("iss"), h.issuer)
	}
	if _, ok := q["code"]; ok {
		t.Error("an error redirect carries a code")
	}
	if d := q.Get("error_description"); !azLegalDescription(d) {
		t.Errorf("error_description %q has characters outside %%x20-21 / %%x23-5B / %%x5D-7E", d)
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy = %q on the error redirect", resp.Header.Get("Referrer-Policy"))
	}
	return q
}

// azLegalDescription: RFC 6749 error_description characters only.
func azLegalDescription(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == 0x20 || c == 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e) {
			return false
		}
	}
	return true
}

// azWantErrorPage checks an HTML error page: 4xx, no redirect.
func azWantErrorPage(t testing.TB, resp *http.Response) string {
	t.Helper()
	body := azBody(t, resp)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("status %d (Location %q), want a 4xx error page:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Fatalf("error page carries Location %q", loc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type = %q, want an HTML page", ct)
	}
	if strings.Contains(body, `name="request_id"`) {
		t.Fatalf("got a form, want an error page:\n%s", body)
	}
	return body
}

// azWantPageStatus checks an HTML page with the status and no redirect.
func azWantPageStatus(t testing.TB, resp *http.Response, status int) string {
	t.Helper()
	body := azBody(t, resp)
	if resp.StatusCode != status || resp.Header.Get("Location") != "" {
		t.Fatalf("status %d (Location %q), want %d page:\n%s", resp.StatusCode, resp.Header.Get("Location"), status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type = %q, want an HTML page", ct)
	}
	return body
}

// azWantLoginPage checks the request was accepted: 200 with the login form.
func azWantLoginPage(t testing.TB, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d (Location %q), want the 200 login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	body, fields := formFields(t, resp)
	if fields.Get("request_id") == "" || !strings.Contains(body, `name="password"`) {
		t.Fatalf("want the login form:\n%s", body)
	}
}

var azMessageRE = regexp.MustCompile(`(?s)<h1>.*?</p>`)

// azPageMessage is the heading and message of an error page.
func azPageMessage(body string) string { return azMessageRE.FindString(body) }

// azMetadata fetches and checks the metadata document of h.
func azMetadata(t testing.TB, h *harness) map[string]any {
	t.Helper()
	resp := h.get(azMetadataPath)
	return azMetadataFrom(t, resp.StatusCode, resp.Header, azBody(t, resp))
}

func azMetadataFrom(t testing.TB, status int, hdr http.Header, body string) map[string]any {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("metadata status %d, want 200; body %s", status, body)
	}
	mt, _, err := mime.ParseMediaType(hdr.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		t.Fatalf("metadata Content-Type = %q, want application/json", hdr.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("metadata is not a JSON object: %v\n%s", err, body)
	}
	return doc
}

func azStrings(t testing.TB, doc map[string]any, key string) []string {
	t.Helper()
	raw, ok := doc[key].([]any)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON array of strings", key, doc[key])
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s holds %#v, want strings", key, v)
		}
		out = append(out, s)
	}
	return out
}

// azWantStrings checks a metadata array is exactly want, in any order.
func azWantStrings(t testing.TB, doc map[string]any, key string, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(azStrings(t, doc, key)))
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want exactly %q", key, got, want)
	}
}

// azPathProvider builds a provider whose issuer has a path, served in-process.
func azPathProvider(t testing.TB, issuer string) http.Handler {
	t.Helper()
	cfg := testConfig()
	cfg.Issuer = issuer
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st := NewMemStore()
	if err := Seed(st, 42); err != nil {
		t.Fatal(err)
	}
	return New(cfg, Deps{Store: st, Clock: clock.NewFrozen(start)})
}

func azServe(hd http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	hd.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

type azPageCase struct {
	name string
	get  func(t *testing.T, h *harness) *http.Response
}

// azPageCases are the provider's HTML pages a browser can be shown.
func azPageCases() []azPageCase {
	return []azPageCase{
		{"login page", func(t *testing.T, h *harness) *http.Response {
			return h.authorize(authParams(azChallenge()).Encode())
		}},
		{"consent page", func(t *testing.T, h *harness) *http.Response {
			_, fields := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
			fields.Set("action", "login")
			fields.Set("username", DemoUsername)
			fields.Set("password", DemoPassword)
			return h.postForm("/authorize", fields)
		}},
		{"consent page of a signed-in browser", func(t *testing.T, h *harness) *http.Response {
			h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
			return h.authorize(authParams(azChallenge()).Encode())
		}},
		{"wrong password page", func(t *testing.T, h *harness) *http.Response {
			_, fields := formFields(t, h.authorize(authParams(azChallenge()).Encode()))
			fields.Set("action", "login")
			fields.Set("username", DemoUsername)
			fields.Set("password", "nope")
			return h.postForm("/authorize", fields)
		}},
		{"error page (unknown client)", func(t *testing.T, h *harness) *http.Response {
			return h.authorize(azWith(authParams(azChallenge()), "client_id", "nobody").Encode())
		}},
		{"error page (CSRF)", func(t *testing.T, h *harness) *http.Response {
			c := h.login(authParams(azChallenge()), DemoUsername, DemoPassword)
			c.Set("csrf_token", "forged")
			return h.approve(c, "assets:read")
		}},
	}
}
