package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/mockprovider"
)

// callback is the registered redirect URI. The browser stops at redirects,
// so nothing ever connects to it.
const callback = "http://127.0.0.1:9/callback"

// MustProvider starts a mock provider on a loopback port the way the
// sandbox builds it: seeded store, sandbox clock, issuer = its own URL.
func MustProvider(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := mockprovider.DefaultConfig()
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	cfg.Clients = []mockprovider.Client{mockprovider.DefaultClient(callback)}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	store := mockprovider.NewMemStore()
	if err := mockprovider.Seed(store, 42); err != nil {
		tb.Fatal(err)
	}
	srv.Config.Handler = mockprovider.New(cfg, mockprovider.Deps{
		Store: store,
		Clock: clock.NewFrozen(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)),
	})
	srv.Start()
	tb.Cleanup(srv.Close)
	return cfg.Issuer
}

// authURL is a valid authorization request for the default client.
func authURL(issuer, challenge string, scope string) string {
	return issuer + "/authorize?" + url.Values{
		"response_type":         {"code"},
		"client_id":             {mockprovider.DefaultClientID},
		"redirect_uri":          {callback},
		"scope":                 {scope},
		"state":                 {"st-42"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}.Encode()
}

// exchange redeems a code and returns the granted scope.
func exchange(t *testing.T, issuer, code, verifier string) string {
	t.Helper()
	resp, err := http.PostForm(issuer+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {mockprovider.DefaultClientID},
		"redirect_uri": {callback}, "code_verifier": {verifier},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token response %s (%v)", b, err)
	}
	return tr.Scope
}

func TestAuthorize(t *testing.T) {
	issuer := MustProvider(t)
	demo := browser.Decision{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword}
	for _, tc := range []struct {
		name     string
		scope    string // requested
		decision browser.Decision
		// wantScope is the granted scope after exchange; wantError the
		// error redirected instead of a code.
		wantScope, wantError string
	}{
		{
			name:      "approve all",
			scope:     "assets:read assets:pay",
			decision:  demo,
			wantScope: "assets:read assets:pay",
		},
		{
			name:      "approve only assets:read",
			scope:     "assets:read assets:pay",
			decision:  browser.Decision{Username: demo.Username, Password: demo.Password, Grant: []string{"assets:read"}},
			wantScope: "assets:read",
		},
		{
			name:      "approve all of a narrower request",
			scope:     "assets:pay",
			decision:  demo,
			wantScope: "assets:pay",
		},
		{
			name:      "deny on the consent page",
			scope:     "assets:read assets:pay",
			decision:  browser.Decision{Username: demo.Username, Password: demo.Password, Deny: true},
			wantError: "access_denied",
		},
		{
			name:      "deny on the login page",
			scope:     "assets:read",
			decision:  browser.Decision{Deny: true},
			wantError: "access_denied",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			loc, err := browser.New(nil).Authorize(context.Background(), authURL(issuer, oauth2.S256ChallengeFromVerifier(verifier), tc.scope), tc.decision)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			q := loc.Query()
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callback {
				t.Fatalf("redirected to %s, want %s", loc, callback)
			}
			if q.Get("state") != "st-42" || q.Get("iss") != issuer {
				t.Fatalf("redirect %s: state %q iss %q", loc, q.Get("state"), q.Get("iss"))
			}
			if tc.wantError != "" {
				if q.Get("error") != tc.wantError || q.Get("code") != "" {
					t.Fatalf("redirect %s, want error=%s and no code", loc, tc.wantError)
				}
				return
			}
			if q.Get("error") != "" || q.Get("code") == "" {
				t.Fatalf("redirect %s, want a code", loc)
			}
			if got := exchange(t, issuer, q.Get("code"), verifier); got != tc.wantScope {
				t.Fatalf("granted scope %q, want %q", got, tc.wantScope)
			}
		})
	}
}

func TestAuthorizePageErrors(t *testing.T) {
	issuer := MustProvider(t)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	for _, tc := range []struct {
		name     string
		url      string
		decision browser.Decision
		status   int
		text     string
	}{
		{
			name:     "wrong password",
			url:      authURL(issuer, challenge, "assets:read"),
			decision: browser.Decision{Username: mockprovider.DemoUsername, Password: "wrong"},
			status:   http.StatusUnauthorized,
			text:     "Wrong username or password.",
		},
		{
			name:     "unknown user",
			url:      authURL(issuer, challenge, "assets:read"),
			decision: browser.Decision{Username: "nobody", Password: "x"},
			status:   http.StatusUnauthorized,
			text:     "Wrong username or password.",
		},
		{
			name:     "unknown client: an error page, never a redirect",
			url:      strings.Replace(authURL(issuer, challenge, "assets:read"), "client_id=payap", "client_id=stranger", 1),
			decision: browser.Decision{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword},
			status:   http.StatusBadRequest,
			text:     `Unknown client_id "stranger"`,
		},
		{
			name:     "granting a scope that was not requested",
			url:      authURL(issuer, challenge, "assets:read"),
			decision: browser.Decision{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword, Grant: []string{"assets:pay"}},
			status:   http.StatusBadRequest,
			text:     `"assets:pay" was not requested`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := browser.New(nil).Authorize(context.Background(), tc.url, tc.decision)
			var pe *browser.PageError
			if !errors.As(err, &pe) {
				t.Fatalf("Authorize = %v, %v; want a *PageError", loc, err)
			}
			if !browser.IsPageError(err) {
				t.Error("IsPageError is false for a *PageError")
			}
			if pe.Status != tc.status || !strings.Contains(pe.Text, tc.text) {
				t.Fatalf("PageError{%d, %q}, want %d and %q", pe.Status, pe.Text, tc.status, tc.text)
			}
			if !strings.Contains(pe.Error(), tc.text) {
				t.Fatalf("Error() = %q", pe.Error())
			}
		})
	}
}

// TestAuthorizeKeepsTheSession: the browser keeps its cookie, so a second
// authorization skips the login page and goes straight to consent.
func TestAuthorizeKeepsTheSession(t *testing.T) {
	issuer := MustProvider(t)
	b := browser.New(nil)
	for i, d := range []browser.Decision{
		{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword},
		{}, // signed in already: no credentials needed
	} {
		verifier := oauth2.GenerateVerifier()
		loc, err := b.Authorize(context.Background(), authURL(issuer, oauth2.S256ChallengeFromVerifier(verifier), "assets:read"), d)
		if err != nil {
			t.Fatalf("authorization %d: %v", i+1, err)
		}
		if code := loc.Query().Get("code"); code == "" {
			t.Fatalf("authorization %d redirected to %s", i+1, loc)
		} else if got := exchange(t, issuer, code, verifier); got != "assets:read" {
			t.Fatalf("authorization %d granted %q", i+1, got)
		}
	}
	// A fresh browser has no session and must sign in.
	_, err := browser.New(nil).Authorize(context.Background(), authURL(issuer, oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()), "assets:read"), browser.Decision{})
	if !browser.IsPageError(err) {
		t.Fatalf("a new browser without credentials: %v, want a *PageError", err)
	}
}

func TestAuthorizeRedirectedErrorIsNotAGoError(t *testing.T) {
	issuer := MustProvider(t)
	// A valid client and redirect URI but no PKCE: the provider redirects
	// the error to the client at once.
	u := issuer + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {mockprovider.DefaultClientID},
		"redirect_uri": {callback}, "scope": {"assets:read"}, "state": {"s"},
	}.Encode()
	loc, err := browser.New(nil).Authorize(context.Background(), u, browser.Decision{})
	if err != nil {
		t.Fatalf("Authorize = %v, want the error redirect", err)
	}
	if loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s" {
		t.Fatalf("redirected to %s, want error=invalid_request", loc)
	}
}

func TestAuthorizeHonoursContext(t *testing.T) {
	issuer := MustProvider(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := browser.New(nil).Authorize(ctx, authURL(issuer, oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()), "assets:read"), browser.Decision{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Authorize with a cancelled context = %v, want context.Canceled", err)
	}
}
