package mockprovider

import (
	"errors"
	"net/http"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// handleListAssets is GET /assets: a bare JSON array of the token's user's
// assets, exactly the documented Asset model.
func (p *provider) handleListAssets(w http.ResponseWriter, r *http.Request) {
	info, ok := p.authenticateBearer(w, r, ScopeRead)
	if !ok {
		return
	}
	assets := p.store.Assets(info.UserID)
	out := make([]assetJSON, len(assets))
	for i, a := range assets {
		out[i] = a.wire()
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
}

// handleGetAsset is GET /assets/{assetId}: the live balance of one asset.
// Another user's asset is answered exactly like an unknown one (404), so a
// token cannot probe which ids exist.
func (p *provider) handleGetAsset(w http.ResponseWriter, r *http.Request, id string) {
	info, ok := p.authenticateBearer(w, r, ScopeRead)
	if !ok {
		return
	}
	a, found := p.store.Asset(id)
	if !found || a.UserID != info.UserID {
		writeNotFound(w, "asset "+id+" not found for this user; list the user's assets with GET /assets")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, a.wire())
}

// authenticateBearer is the resource server's RFC 6750 check. It answers the
// request itself and returns false when the caller must stop.
func (p *provider) authenticateBearer(w http.ResponseWriter, r *http.Request, need Scopes) (TokenInfo, bool) {
	inQuery := r.URL.Query().Get("access_token") != ""
	headers := r.Header.Values("Authorization")
	if len(headers) > 1 {
		writeBearerError(w, http.StatusBadRequest, "invalid_request", "send one Authorization header", 0)
		return TokenInfo{}, false
	}
	var header string
	if len(headers) == 1 {
		header = headers[0]
	}
	scheme, token, _ := strings.Cut(header, " ")
	if header == "" || !strings.EqualFold(scheme, "bearer") {
		// Tokens in the query are not accepted: with no header this is a
		// request without credentials (J6, J2).
		writeBearerError(w, http.StatusUnauthorized, "", "send the access token as Authorization: Bearer <access_token>", 0)
		return TokenInfo{}, false
	}
	if inQuery {
		writeBearerError(w, http.StatusBadRequest, "invalid_request", "send the access token once, in the Authorization header only, not also in the query", 0)
		return TokenInfo{}, false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		writeBearerError(w, http.StatusBadRequest, "invalid_request", "malformed Authorization header: expected Bearer <access_token>", 0)
		return TokenInfo{}, false
	}
	info, err := p.store.Access(hashOf(token), p.now())
	switch {
	case errors.Is(err, ErrExpired):
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the access token has expired; refresh it", 0)
		return TokenInfo{}, false
	case errors.Is(err, ErrRevoked):
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the access token has been revoked", 0)
		return TokenInfo{}, false
	case err != nil:
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid", 0)
		return TokenInfo{}, false
	}
	if !info.Scope.Has(need) {
		writeBearerError(w, http.StatusForbidden, "insufficient_scope", "the access token lacks the "+need.String()+" scope", need)
		return TokenInfo{}, false
	}
	return info, true
}
