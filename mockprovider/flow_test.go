package mockprovider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// TestFlowWithXOAuth2 drives golang.org/x/oauth2, a real client, through the
// whole flow over loopback: authorize, login and consent forms, callback,
// exchange, GET /assets, refresh (the old refresh token is then rejected and
// its family revoked), and revocation (then 401).
func TestFlowWithXOAuth2(t *testing.T) {
	h := newHarness(t)
	conf := &oauth2.Config{
		ClientID:    DefaultClientID,
		RedirectURL: testRedirect,
		Scopes:      []string{"assets:read", "assets:pay"},
		Endpoint: oauth2.Endpoint{
			AuthURL:   h.issuer + "/authorize",
			TokenURL:  h.issuer + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-xyz", oauth2.S256ChallengeOption(verifier), oauth2.AccessTypeOffline)

	// The browser: the login page, then the consent page, then the callback.
	resp, err := h.browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	_, fields := formFields(t, resp)
	fields.Set("action", "login")
	fields.Set("username", DemoUsername)
	fields.Set("password", DemoPassword)
	_, consent := formFields(t, h.postForm("/authorize", fields))
	cb := redirectParams(t, h.approve(consent, "assets:read", "assets:pay"), http.StatusSeeOther)
	if cb.Get("state") != "state-xyz" || cb.Get("iss") != h.issuer {
		t.Fatalf("callback state=%q iss=%q, want state-xyz and %q", cb.Get("state"), cb.Get("iss"), h.issuer)
	}

	ctx := context.Background()
	tok, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.Extra("scope") != "assets:read assets:pay" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token response scope=%v refresh=%q type=%q", tok.Extra("scope"), tok.RefreshToken, tok.TokenType)
	}

	assets := getAssets(t, conf.Client(ctx, tok), h.issuer)
	if len(assets) != 3 || assets[0].ID != "12345" || assets[0].UserID != DemoUserID || assets[0].Balance != "5000" || assets[2].ID != PendingAssetID {
		t.Fatalf("GET /assets = %+v, want the demo user's three assets", assets)
	}

	// Refresh: force it by presenting an expired copy of the token.
	old := *tok
	old.Expiry = h.clock.Now().AddDate(-1, 0, 0)
	newTok, err := conf.TokenSource(ctx, &old).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if newTok.RefreshToken == old.RefreshToken || newTok.AccessToken == old.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if got := getAssets(t, conf.Client(ctx, newTok), h.issuer); len(got) != len(demoAssets) {
		t.Fatalf("GET /assets with the refreshed token = %+v", got)
	}

	// The old refresh token is rejected, and the whole family with it.
	_, err = conf.TokenSource(ctx, &old).Token()
	var re *oauth2.RetrieveError
	if !errorsAs(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing the rotated refresh token: err = %v, want invalid_grant", err)
	}
	resp = h.bearerGet("/assets", newTok.AccessToken)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after reuse detection the family's access token still answers %d, want 401", resp.StatusCode)
	}

	// A fresh grant, revoked by the client: then 401 invalid_token.
	tr := h.tokens()
	resp = h.post("/revoke", url.Values{"token": {tr.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {DefaultClientID}}, "", "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d, want 200", resp.StatusCode)
	}
	resp = h.bearerGet("/assets", tr.AccessToken)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("after revocation GET /assets = %d (%q), want 401 with a challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func getAssets(t *testing.T, c *http.Client, issuer string) []assetJSON {
	t.Helper()
	resp, err := c.Get(issuer + "/assets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /assets: %d", resp.StatusCode)
	}
	var out []assetJSON
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
