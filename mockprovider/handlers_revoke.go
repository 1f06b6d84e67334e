package mockprovider

import (
	"errors"
	"net/http"
)

// revokeParams are the revocation endpoint's parameters; each may appear once.
var revokeParams = []string{"token", "token_type_hint", "client_id", "client_secret"}

// handleRevoke is RFC 7009 token revocation, with the token endpoint's
// client authentication (I60). Unknown, expired, revoked or garbage tokens
// answer 200 (I61); another client's token is refused with 400
// unauthorized_client [mock choice] and not revoked.
func (p *provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	params, client, oerr := p.readClientRequest(w, r, revokeParams)
	if oerr != nil {
		p.writeOAuthError(w, oerr)
		return
	}
	token, _ := params.get("token")
	if token == "" {
		p.writeOAuthError(w, errInvalidRequest("token is required"))
		return
	}
	// token_type_hint only orders a search; both kinds are searched whatever
	// it says, so it is not even read.
	if err := p.store.Revoke(hashOf(token), client.ID, p.now()); errors.Is(err, ErrWrongClient) {
		p.writeOAuthError(w, &oauthError{Code: "unauthorized_client", Description: "the token was issued to another client; it was not revoked", Status: http.StatusBadRequest})
		return
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
}
