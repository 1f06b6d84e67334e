package mockprovider

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// tokenParams are the token endpoint's parameters; each may appear once.
var tokenParams = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "scope"}

// handleToken is the token endpoint (RFC 6749 §3.2, §4.1.3, §6). Every
// answer, success or error, is JSON with Cache-Control: no-store (F49).
func (p *provider) handleToken(w http.ResponseWriter, r *http.Request) {
	params, client, oerr := p.readClientRequest(w, r, tokenParams)
	if oerr != nil {
		p.writeOAuthError(w, oerr)
		return
	}
	grant, _ := params.get("grant_type")
	switch grant {
	case "":
		oerr = errInvalidRequest("grant_type is required: authorization_code or refresh_token")
	case GrantAuthorizationCode, GrantRefreshToken:
		if !client.allows(grant) {
			oerr = &oauthError{Code: "unauthorized_client", Description: "client " + client.ID + " may not use the " + grant + " grant", Status: http.StatusBadRequest}
			break
		}
		var resp tokenResponse
		if grant == GrantAuthorizationCode {
			resp, oerr = p.exchangeCode(client, params)
		} else {
			resp, oerr = p.refresh(client, params)
		}
		if oerr == nil {
			noStore(w)
			httpx.WriteJSON(w, http.StatusOK, resp)
			return
		}
	default:
		oerr = &oauthError{Code: "unsupported_grant_type", Description: "grant_type " + grant + " is not supported; use authorization_code or refresh_token", Status: http.StatusBadRequest}
	}
	p.writeOAuthError(w, oerr)
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
func (p *provider) exchangeCode(client Client, params singleParams) (tokenResponse, *oauthError) {
	code, _ := params.get("code")
	if code == "" {
		return tokenResponse{}, errInvalidRequest("code is required")
	}
	now := p.now()
	h := hashOf(code)
	c, err := p.store.Code(h, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return tokenResponse{}, errInvalidGrant("the authorization code is unknown")
	case errors.Is(err, ErrCodeReused):
		// Replay: redeeming again revokes what the first redemption issued (E34).
		p.store.ReplayCode(h, now)
		p.log.Warn("authorization code replayed; its grant is revoked", "client", client.ID)
		return tokenResponse{}, errInvalidGrant("the authorization code was already used; every token issued from it is now revoked")
	case errors.Is(err, ErrCodeBurned):
		return tokenResponse{}, errInvalidGrant("the authorization code was used up by an earlier failed exchange; start a new authorization")
	case errors.Is(err, ErrExpired):
		return tokenResponse{}, errInvalidGrant("the authorization code has expired (codes live %s)", p.cfg.CodeTTL)
	}
	if c.ClientID != client.ID {
		// Another client's code: refused, and not burned, so that a stranger
		// cannot spoil a code it should not have.
		return tokenResponse{}, errInvalidGrant("the authorization code was issued to another client")
	}
	// From here on the right, authenticated client failed: the code is used
	// up (E38), so a retry cannot succeed with a corrected request.
	burn := func(e *oauthError) (tokenResponse, *oauthError) {
		p.store.BurnCode(h)
		return tokenResponse{}, e
	}
	redirectURI, _ := params.get("redirect_uri")
	if c.RedirectURI != "" && redirectURI != c.RedirectURI {
		if redirectURI == "" {
			return burn(errInvalidGrant("redirect_uri is required: the authorization request sent one, so repeat it exactly"))
		}
		return burn(errInvalidGrant("redirect_uri does not match the one in the authorization request"))
	}
	if c.RedirectURI == "" && redirectURI != "" && !p.redirectRegistered(client, redirectURI) {
		return burn(errInvalidGrant("redirect_uri is not registered for this client"))
	}
	verifier, _ := params.get("code_verifier")
	switch {
	case verifier == "":
		return burn(errInvalidRequest("code_verifier is required: this code was issued with a PKCE challenge"))
	case !validVerifier(verifier):
		return burn(errInvalidRequest("code_verifier must be 43-128 characters from [A-Za-z0-9-._~]"))
	case !s256Matches(verifier, c.Challenge):
		return burn(errInvalidGrant("code_verifier does not match the code_challenge: BASE64URL(SHA256(code_verifier)) differs"))
	}
	access, refresh := randomToken("at_"), randomToken("rt_")
	if !client.allows(GrantRefreshToken) {
		refresh = "" // no refresh token a client could never use
	}
	g, err := p.store.RedeemCode(h, now, p.issue(access, refresh, now))
	switch {
	case errors.Is(err, ErrCodeBurned):
		return tokenResponse{}, errInvalidGrant("the authorization code was used up by an earlier failed exchange; start a new authorization")
	case errors.Is(err, ErrCodeReused):
		return tokenResponse{}, errInvalidGrant("the authorization code was already used; every token issued from it is now revoked")
	case errors.Is(err, ErrExpired):
		return tokenResponse{}, errInvalidGrant("the authorization code has expired")
	case err != nil:
		return tokenResponse{}, errInvalidGrant("the authorization code is unknown")
	}
	p.log.Info("tokens issued", "client", client.ID, "grant", g.ID, "scope", g.Scope.String())
	return p.tokenResponse(access, refresh, g.Scope), nil
}

// refresh rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14).
func (p *provider) refresh(client Client, params singleParams) (tokenResponse, *oauthError) {
	rt, _ := params.get("refresh_token")
	if rt == "" {
		return tokenResponse{}, errInvalidRequest("refresh_token is required")
	}
	var want Scopes
	if raw, _ := params.get("scope"); raw != "" {
		s, unknown, ok := ParseScopes(raw)
		if !ok {
			return tokenResponse{}, errInvalidScope("unknown scope %q; scopes are space-separated, from: assets:read assets:pay", unknown)
		}
		want = s
	}
	now := p.now()
	access, refresh := randomToken("at_"), randomToken("rt_")
	g, scope, err := p.store.Refresh(hashOf(rt), client.ID, want, now, p.cfg.RefreshReuseGrace, p.issue(access, refresh, now))
	switch {
	case err == nil:
		p.log.Info("refresh token rotated", "client", client.ID, "grant", g.ID, "scope", scope.String())
		return p.tokenResponse(access, refresh, scope), nil
	case errors.Is(err, ErrScopeTooWide):
		return tokenResponse{}, errInvalidScope("scope %q was not granted; ask for a subset of the original grant, or omit scope", want.String())
	case errors.Is(err, ErrTokenReused):
		p.log.Warn("rotated refresh token reused; the whole token family is revoked", "client", client.ID)
		return tokenResponse{}, errInvalidGrant("the refresh token was already rotated; its whole token family is now revoked (reuse detection)")
	case errors.Is(err, ErrWrongClient):
		return tokenResponse{}, errInvalidGrant("the refresh token was issued to another client")
	case errors.Is(err, ErrRevoked):
		return tokenResponse{}, errInvalidGrant("the refresh token has been revoked")
	case errors.Is(err, ErrExpired):
		return tokenResponse{}, errInvalidGrant("the refresh token has expired")
	default:
		return tokenResponse{}, errInvalidGrant("the refresh token is unknown")
	}
}

func (p *provider) issue(access, refresh string, now time.Time) Issue {
	iss := Issue{
		Access:         hashOf(access),
		AccessExpires:  now.Add(p.cfg.AccessTokenTTL),
		RefreshExpires: now.Add(p.cfg.RefreshTokenTTL),
	}
	if refresh != "" {
		iss.Refresh = hashOf(refresh)
	}
	return iss
}

func (p *provider) tokenResponse(access, refresh string, scope Scopes) tokenResponse {
	return tokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refresh,
		Scope:        scope.String(),
	}
}

// readClientRequest reads the form of a token or revocation request, refuses
// repeated parameters, and authenticates the client.
func (p *provider) readClientRequest(w http.ResponseWriter, r *http.Request, names []string) (singleParams, Client, *oauthError) {
	form, oerr := readForm(w, r)
	if oerr != nil {
		return singleParams{}, Client{}, oerr
	}
	if name := repeated(form, names...); name != "" {
		return singleParams{}, Client{}, errInvalidRequest("%s must not be repeated", name)
	}
	client, oerr := p.authenticateClient(r, form)
	return singleParams{form}, client, oerr
}

// authenticateClient applies RFC 6749 §2.3 to a token or revocation request:
// exactly one method, the one the client is registered for; credentials never
// in the query; Basic credentials form-decoded after base64 (F43–F48).
func (p *provider) authenticateClient(r *http.Request, form url.Values) (Client, *oauthError) {
	if rawQuerySecret(r.URL.RawQuery) {
		return Client{}, errInvalidRequest("client credentials must not be sent in the URL query; send them in the Authorization header or the form body")
	}
	params := singleParams{form}
	bodyID, _ := params.get("client_id")
	bodySecret, _ := params.get("client_secret")

	if header := r.Header.Get("Authorization"); header != "" {
		scheme, cred, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "basic") {
			return Client{}, errInvalidClient("the token endpoint takes HTTP Basic client authentication, not %s", scheme)
		}
		if bodySecret != "" {
			return Client{}, errInvalidRequest("use one client authentication method: the Authorization header and client_secret in the body were both sent")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return Client{}, errInvalidClient("the Basic credentials are not valid base64")
		}
		encID, encSecret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Client{}, errInvalidClient("the Basic credentials must be client_id:client_secret")
		}
		id, err1 := url.QueryUnescape(encID)
		secret, err2 := url.QueryUnescape(encSecret)
		if err1 != nil || err2 != nil {
			return Client{}, errInvalidClient("the Basic credentials must be form-urlencoded before base64 (RFC 6749 §2.3.1)")
		}
		if bodyID != "" && bodyID != id {
			return Client{}, errInvalidRequest("client_id in the body differs from the one in the Authorization header")
		}
		c, ok := p.client(id)
		switch {
		case !ok:
			return Client{}, errInvalidClient("unknown client %q", id)
		case c.public():
			return Client{}, errInvalidClient("client %s is public (token_endpoint_auth_method none): send client_id in the form body and no Authorization header", id)
		case c.AuthMethod != AuthSecretBase:
			return Client{}, errInvalidClient("client %s is registered for %s, not client_secret_basic", id, c.AuthMethod)
		case subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1:
			return Client{}, errInvalidClient("client authentication failed: wrong client secret")
		}
		return c, nil
	}

	if bodyID == "" {
		return Client{}, errInvalidClient("client_id is required in the form body (or authenticate with HTTP Basic)")
	}
	c, ok := p.client(bodyID)
	switch {
	case !ok:
		return Client{}, errInvalidClient("unknown client %q", bodyID)
	case bodySecret != "":
		if c.AuthMethod != AuthSecretPost {
			return Client{}, errInvalidClient("client %s is registered for %s, not client_secret_post", bodyID, c.AuthMethod)
		}
		if subtle.ConstantTimeCompare([]byte(bodySecret), []byte(c.Secret)) != 1 {
			return Client{}, errInvalidClient("client authentication failed: wrong client secret")
		}
	case !c.public():
		return Client{}, errInvalidClient("client %s is confidential: authenticate with %s", bodyID, c.AuthMethod)
	}
	return c, nil
}

// validVerifier checks RFC 7636 §4.1: 43–128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			return false
		}
	}
	return true
}

// s256Matches compares BASE64URL(SHA256(verifier)) with the challenge in
// constant time.
func s256Matches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// rawQuerySecret reports a non-empty client_secret in a raw query string,
// even one that is not validly percent-encoded (a raw secret holding '%'),
// which URL.Query drops without a word (F44).
func rawQuerySecret(raw string) bool {
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(k); err == nil && k == "client_secret" && v != "" {
			return true
		}
	}
	return false
}
