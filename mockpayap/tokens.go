package mockpayap

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// errReconnect means the grant is gone and the user must consent again.
var errReconnect = errors.New("the connection needs reconnecting")

// connLocks gives each connection its own mutex, so that only one refresh
// per connection is ever in flight (§2 item 7): a rotating provider would
// otherwise see the same refresh token twice and revoke the grant.
type connLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

func (l *connLocks) get(id string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*sync.Mutex{}
	}
	m, ok := l.m[id]
	if !ok {
		m = &sync.Mutex{}
		l.m[id] = m
	}
	return m
}

func (l *connLocks) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, id)
}

// accessToken returns a usable access token for a connection, refreshing it
// when it is within RefreshSkew of expiring, or when stale is the token the
// provider just refused (a 401). The rotated refresh token is stored before
// the new access token is returned (§2 item 8).
func (p *payap) accessToken(ctx context.Context, connID, stale string) (string, error) {
	lock := p.locks.get(connID)
	lock.Lock()
	defer lock.Unlock()

	c, ok := p.store.Connection(connID)
	if !ok {
		return "", errNotFound("connection", connID)
	}
	if c.Status != StatusConnected || c.tokens.Refresh == "" && c.tokens.Access == "" {
		return "", errReconnect
	}
	now := p.clock.Now()
	if stale == "" && c.tokens.Access != "" && now.Before(c.tokens.Expiry.Add(-p.cfg.RefreshSkew)) {
		return c.tokens.Access, nil
	}
	if stale != "" && c.tokens.Access != stale {
		return c.tokens.Access, nil // another request refreshed meanwhile
	}
	if c.tokens.Refresh == "" {
		p.markReconnect(connID, "token_expired", "the access token expired and the provider issued no refresh token; connect again")
		return "", errReconnect
	}
	at, ok := p.store.AssetType(c.AssetType)
	if !ok {
		return "", newError(http.StatusConflict, "asset_type_not_found", "the connection's asset type "+c.AssetType+" is no longer registered")
	}
	m, err := p.disco.get(ctx, at.ProviderURL)
	if err != nil {
		return "", providerUnavailable(at, err)
	}
	tok, err := p.oauthConfig(at, m).TokenSource(p.oauthContext(ctx), &oauth2.Token{RefreshToken: c.tokens.Refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			// The grant is gone: stop retrying and ask the user to reconnect (§2 item 9).
			p.markReconnect(connID, "invalid_grant", "the provider refused the refresh token ("+describeRetrieve(re)+"); the user must connect again")
			return "", errReconnect
		}
		if errors.As(err, &re) && re.ErrorCode == "invalid_client" {
			return "", newError(http.StatusBadGateway, "provider_rejected_client",
				"the provider refused Payap's client credentials ("+describeRetrieve(re)+"); check payap.provider.client_id and client_secret").with("assetType", at.Name)
		}
		return "", providerUnavailable(at, err)
	}
	t := tokens{Access: tok.AccessToken, Refresh: c.tokens.Refresh, Expiry: p.expiry(tok, now)}
	if tok.RefreshToken != "" {
		t.Refresh = tok.RefreshToken // rotated: keep the new one before anything uses the access token
	}
	scope, _ := tok.Extra("scope").(string)
	if err := p.store.SetTokens(connID, t, scope); err != nil {
		return "", errNotFound("connection", connID)
	}
	p.log.Info("access token refreshed", "connection", connID, "assetType", at.Name)
	return t.Access, nil
}

// expiry is when a token expires on the sandbox clock; x/oauth2 computes
// its own Expiry on the wall clock, so expires_in is read instead.
func (p *payap) expiry(tok *oauth2.Token, now time.Time) time.Time {
	if tok.ExpiresIn > 0 {
		return now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return now.Add(time.Hour)
}

func (p *payap) markReconnect(connID, code, message string) {
	_ = p.store.NeedsReconnect(connID, Problem{Code: code, Message: message})
	p.log.Warn("connection needs reconnecting", "connection", connID, "reason", code)
}

// callProvider GETs a provider resource for a connection: a 401 refreshes
// once and retries once, and a second 401 means the grant is gone (§2 item 10).
func (p *payap) callProvider(ctx context.Context, c Connection, target string) (providerResponse, error) {
	return p.callProviderWith(ctx, c, http.MethodGet, target, nil)
}

// callProviderWith is callProvider for any method: body, when not nil, is
// sent as JSON, the same bytes on the retry (POST /pay).
func (p *payap) callProviderWith(ctx context.Context, c Connection, method, target string, body []byte) (providerResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	access, err := p.accessToken(ctx, c.ID, "")
	if err != nil {
		return providerResponse{}, err
	}
	resp, err := p.resource(ctx, method, target, "Bearer "+access, body)
	if err != nil {
		return providerResponse{}, err
	}
	if resp.status != http.StatusUnauthorized {
		return resp, nil
	}
	if access, err = p.accessToken(ctx, c.ID, access); err != nil {
		return providerResponse{}, err
	}
	if resp, err = p.resource(ctx, method, target, "Bearer "+access, body); err != nil {
		return providerResponse{}, err
	}
	if resp.status == http.StatusUnauthorized {
		p.markReconnect(c.ID, "invalid_token", "the provider refused a freshly refreshed access token; the user must connect again")
		return providerResponse{}, errReconnect
	}
	return resp, nil
}

func describeRetrieve(re *oauth2.RetrieveError) string {
	s := re.ErrorCode
	if re.ErrorDescription != "" {
		s += ": " + re.ErrorDescription
	}
	if s == "" {
		s = "HTTP " + http.StatusText(re.Response.StatusCode)
	}
	return strings.TrimSpace(s)
}

func providerUnavailable(at AssetType, err error) *apiError {
	return newError(http.StatusBadGateway, "provider_unavailable",
		"the provider of "+at.Name+" at "+at.ProviderURL+" could not be reached or answered badly: "+err.Error()).with("assetType", at.Name)
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}
