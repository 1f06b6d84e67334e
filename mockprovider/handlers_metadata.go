package mockprovider

import "net/http"

func (p *provider) metadata() metadata {
	iss := p.cfg.Issuer
	return metadata{
		Issuer:                                     iss,
		AuthorizationEndpoint:                      iss + "/authorize",
		TokenEndpoint:                              iss + "/token",
		RevocationEndpoint:                         iss + "/revoke",
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{GrantAuthorizationCode, GrantRefreshToken},
		CodeChallengeMethodsSupported:              []string{"S256"},
		TokenEndpointAuthMethodsSupported:          []string{AuthNone, AuthSecretBase, AuthSecretPost},
		RevocationEndpointAuthMethodsSupported:     []string{AuthNone, AuthSecretBase, AuthSecretPost},
		ScopesSupported:                            []string{"assets:read", "assets:pay"},
		AuthorizationResponseIssParameterSupported: true,
		ServiceDocumentation:                       iss + "/",
	}
}

// handleMetadata serves the RFC 8414 document, encoded once at start-up.
func (p *provider) handleMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(p.meta)
}
