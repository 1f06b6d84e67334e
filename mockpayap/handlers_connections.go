package mockpayap

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// pendingTTL is how long a user has to consent at the provider.
const pendingTTL = 10 * time.Minute

// handleCreateConnection starts Connect: a pending connection and the
// provider's authorization URL, with a fresh state and PKCE verifier kept
// server-side (§2 items 1, 2).
func (p *payap) handleCreateConnection(w http.ResponseWriter, r *http.Request, u User) {
	var req struct {
		AssetType string `json:"assetType"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := required("assetType", req.AssetType); e != nil {
		writeError(w, e)
		return
	}
	at, ok := p.store.AssetType(req.AssetType)
	if !ok {
		writeError(w, newError(http.StatusBadRequest, "unknown_asset_type", "no asset type "+req.AssetType+" is registered; GET /api/asset-types lists them").with("field", "assetType"))
		return
	}
	pa, authURL, apiErr := p.authorization(r.Context(), at)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	c := p.store.NewConnection(Connection{
		UserID:    u.ID,
		AssetType: at.Name,
		Status:    StatusPending,
		AuthURL:   authURL,
		CreatedAt: p.clock.Now(),
		pending:   &pa,
	})
	httpx.WriteJSON(w, http.StatusCreated, c)
}

// handleReconnect sends an existing connection through consent again, for a
// connection that needs reconnecting or to grant a scope it lacks.
func (p *payap) handleReconnect(w http.ResponseWriter, r *http.Request, u User) {
	c, ok := p.ownConnection(r, u)
	if !ok {
		writeError(w, errNotFound("connection", pathVar(r, "id")))
		return
	}
	at, ok := p.store.AssetType(c.AssetType)
	if !ok {
		writeError(w, newError(http.StatusConflict, "asset_type_not_found", "the connection's asset type "+c.AssetType+" is no longer registered"))
		return
	}
	pa, authURL, apiErr := p.authorization(r.Context(), at)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if err := p.store.StartReauthorization(c.ID, pa, authURL); err != nil {
		writeError(w, errNotFound("connection", c.ID))
		return
	}
	c, _ = p.store.Connection(c.ID)
	httpx.WriteJSON(w, http.StatusOK, c)
}

// authorization builds an authorization URL with a fresh state and verifier.
func (p *payap) authorization(ctx context.Context, at AssetType) (pendingAuth, string, *apiError) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	m, err := p.disco.get(ctx, at.ProviderURL)
	if err != nil {
		return pendingAuth{}, "", providerUnavailable(at, err)
	}
	state := randomValue("")
	verifier := oauth2.GenerateVerifier()
	authURL := p.oauthConfig(at, m).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	return pendingAuth{stateHash: hashOf(state), verifier: verifier, expiresAt: p.clock.Now().Add(pendingTTL)}, authURL, nil
}

func (p *payap) handleListConnections(w http.ResponseWriter, r *http.Request, u User) {
	cs := p.store.Connections(u.ID, p.clock.Now())
	if cs == nil {
		cs = []Connection{}
	}
	httpx.WriteJSON(w, http.StatusOK, list[Connection]{Items: cs})
}

func (p *payap) handleGetConnection(w http.ResponseWriter, r *http.Request, u User) {
	c, ok := p.ownConnection(r, u)
	if !ok {
		writeError(w, errNotFound("connection", pathVar(r, "id")))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// ownConnection finds a live connection of the signed-in user; another
// user's connection is not found.
func (p *payap) ownConnection(r *http.Request, u User) (Connection, bool) {
	id := pathVar(r, "id")
	for _, c := range p.store.Connections(u.ID, p.clock.Now()) {
		if c.ID == id {
			return c, true
		}
	}
	return Connection{}, false
}

// handleDeleteConnection disconnects: the refresh token is revoked at the
// provider (which kills the grant's access tokens), and the local tokens and
// wallet entries are dropped whatever the provider answers (§2 item 12).
func (p *payap) handleDeleteConnection(w http.ResponseWriter, r *http.Request, u User) {
	c, ok := p.ownConnection(r, u)
	if !ok {
		writeError(w, errNotFound("connection", pathVar(r, "id")))
		return
	}
	lock := p.locks.get(c.ID)
	lock.Lock()
	t, err := p.store.DeleteConnection(c.ID)
	lock.Unlock()
	p.locks.forget(c.ID)
	if err != nil {
		writeError(w, errNotFound("connection", c.ID))
		return
	}
	out := struct {
		ID               string   `json:"id"`
		Deleted          bool     `json:"deleted"`
		Revoked          bool     `json:"revoked"`
		RevocationFailed *Problem `json:"revocationProblem,omitempty"`
	}{ID: c.ID, Deleted: true}
	if t.Refresh != "" {
		if err := p.revokeAt(r.Context(), c.AssetType, t.Refresh); err != nil {
			out.RevocationFailed = &Problem{Code: "revocation_failed", Message: err.Error()}
			p.log.Warn("revocation failed; local tokens dropped anyway", "connection", c.ID, "err", err)
		} else {
			out.Revoked = true
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (p *payap) revokeAt(ctx context.Context, assetType, refresh string) error {
	at, ok := p.store.AssetType(assetType)
	if !ok {
		return errors.New("asset type " + assetType + " is no longer registered")
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	m, err := p.disco.get(ctx, at.ProviderURL)
	if err != nil {
		return err
	}
	return p.revoke(ctx, at, m, refresh)
}

// handleCallback is the OAuth redirect URI. The state is checked before
// anything else, including an error parameter, and used once (§2 item 1);
// iss is checked when the provider advertises it (item 3); the code is
// exchanged with the stored verifier; the granted scope is stored; GET
// /assets fills the wallet. Any failure leaves no half-made connection.
func (p *payap) handleCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		// A link prefetcher or scanner must not use up the state and the code.
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.callbackOutcome(w, r, "", newError(http.StatusBadRequest, "invalid_callback", "the callback query could not be parsed"))
		return
	}
	state := q.Get("state")
	if state == "" {
		p.callbackOutcome(w, r, "", newError(http.StatusBadRequest, "invalid_state",
			"the callback has no state, so it cannot be matched to a connection; start with POST /api/connections"))
		return
	}
	c, err := p.store.TakeState(hashOf(state), p.clock.Now())
	switch {
	case errors.Is(err, ErrStateExpired):
		p.callbackOutcome(w, r, "", newError(http.StatusBadRequest, "state_expired",
			"the authorization took longer than "+pendingTTL.String()+"; start the connection again"))
		return
	case err != nil:
		p.callbackOutcome(w, r, "", newError(http.StatusBadRequest, "invalid_state",
			"this callback matches no connection in progress (unknown or already used state). If you are exchanging the code by hand, the mock Payap did not use it"))
		return
	}
	apiErr := p.completeConnection(r.Context(), c, q)
	if apiErr != nil {
		p.store.Abandon(c.ID)
		p.callbackOutcome(w, r, c.ID, apiErr)
		return
	}
	p.callbackOutcome(w, r, c.ID, nil)
}

// completeConnection checks the provider's answer, exchanges the code and
// fills the wallet.
func (p *payap) completeConnection(ctx context.Context, c Connection, q url.Values) *apiError {
	at, ok := p.store.AssetType(c.AssetType)
	if !ok {
		return newError(http.StatusConflict, "asset_type_not_found", "the asset type "+c.AssetType+" is no longer registered")
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ProviderTimeout)
	defer cancel()
	m, err := p.disco.get(ctx, at.ProviderURL)
	if err != nil {
		return providerUnavailable(at, err)
	}
	iss, hasIss := q["iss"]
	if (m.IssParameterSupported || hasIss) && (len(iss) != 1 || iss[0] != m.Issuer) {
		return newError(http.StatusBadRequest, "issuer_mismatch",
			"the callback's iss does not equal the provider's issuer "+m.Issuer+" (RFC 9207): a possible mix-up attack, or a provider that forgot iss")
	}
	if code := q.Get("error"); code != "" {
		return callbackError(code, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return newError(http.StatusBadRequest, "missing_code", "the provider redirected back without a code or an error")
	}
	conf := p.oauthConfig(at, m)
	tok, err := conf.Exchange(p.oauthContext(ctx), code, oauth2.VerifierOption(c.pending.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return newError(http.StatusBadGateway, "token_exchange_failed", "the provider refused the code exchange: "+describeRetrieve(re)).
				with("providerError", re.ErrorCode)
		}
		return providerUnavailable(at, err)
	}
	now := p.clock.Now()
	scope, _ := tok.Extra("scope").(string)
	if scope == "" {
		scope = strings.Join(payapScopes, " ") // RFC 6749 §5.1: absent means as requested
	}
	t := tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: p.expiry(tok, now)}
	assets, apiErr := p.fetchAssets(ctx, at, t.Access)
	if apiErr != nil {
		if t.Refresh != "" {
			_ = p.revoke(ctx, at, m, t.Refresh) // leave no live grant behind
		}
		return apiErr
	}
	if _, err := p.store.Complete(c.ID, scope, t, assets, now); err != nil {
		return errNotFound("connection", c.ID)
	}
	if old := c.tokens.Refresh; old != "" && old != t.Refresh {
		// A reconnect replaced a live grant: revoke the one nobody holds now.
		if err := p.revoke(ctx, at, m, old); err != nil {
			p.log.Warn("could not revoke the grant a reconnect replaced", "connection", c.ID, "err", err)
		}
	}
	p.log.Info("connected", "connection", c.ID, "assetType", at.Name, "scope", scope, "assets", len(assets))
	return nil
}

// callbackError turns the provider's error redirect into the app's error:
// a refusal by the user, or a configuration bug shown loudly (§2 item 5).
func callbackError(code, description string) *apiError {
	msg := code
	if description != "" {
		msg += ": " + description
	}
	switch code {
	case "access_denied":
		return newError(http.StatusForbidden, "access_denied", "the user declined to connect").with("providerError", code)
	case "invalid_scope", "invalid_request", "unauthorized_client", "unsupported_response_type":
		return newError(http.StatusBadGateway, "provider_configuration_error",
			"the provider refused the authorization request ("+msg+"); this is a configuration bug between Payap and the provider").with("providerError", code)
	default:
		return newError(http.StatusBadGateway, "provider_error", "the provider answered the authorization with an error: "+msg).with("providerError", code)
	}
}

// callbackOutcome ends the browser's trip: a 303 to the front end's return
// URL with the outcome in the query (a clean URL, so the code does not stay
// in the history), or JSON when no return URL is configured.
func (p *payap) callbackOutcome(w http.ResponseWriter, r *http.Request, connID string, apiErr *apiError) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	if p.cfg.ReturnURL != "" {
		q := url.Values{}
		if connID != "" {
			q.Set("connectionId", connID)
		}
		if apiErr == nil {
			q.Set("outcome", "connected")
		} else {
			q.Set("outcome", "failed")
			q.Set("error", apiErr.Code)
			q.Set("message", apiErr.Message)
		}
		sep := "?"
		if strings.Contains(p.cfg.ReturnURL, "?") {
			sep = "&"
		}
		http.Redirect(w, r, p.cfg.ReturnURL+sep+q.Encode(), http.StatusSeeOther)
		return
	}
	if apiErr != nil {
		if connID != "" {
			apiErr = apiErr.with("connectionId", connID)
		}
		writeError(w, apiErr)
		return
	}
	c, ok := p.store.Connection(connID)
	if !ok {
		writeError(w, errNotFound("connection", connID))
		return
	}
	entries := []WalletEntry{}
	for _, e := range p.store.Entries(c.UserID) {
		if e.ConnectionID == connID {
			entries = append(entries, e)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"outcome": "connected", "connection": c, "walletEntries": entries})
}
