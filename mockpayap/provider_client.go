package mockpayap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// The scopes Payap asks every provider for.
var payapScopes = []string{"assets:read", "assets:pay"}

// metadata is the part of a provider's RFC 8414 document Payap uses.
type metadata struct {
	Issuer                   string   `json:"issuer"`
	AuthorizationEndpoint    string   `json:"authorization_endpoint"`
	TokenEndpoint            string   `json:"token_endpoint"`
	RevocationEndpoint       string   `json:"revocation_endpoint"`
	CodeChallengeMethods     []string `json:"code_challenge_methods_supported"`
	IssParameterSupported    bool     `json:"authorization_response_iss_parameter_supported"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// discovery caches each provider's metadata. A failed discovery is not
// cached, so a provider that starts late is found on the next try.
type discovery struct {
	client *http.Client
	mu     sync.Mutex
	meta   map[string]*metadata // by issuer
}

// wellKnownURL builds the RFC 8414 §3.1 URL: the well-known segment goes
// between the host and the issuer's path.
func wellKnownURL(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", err
	}
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// get returns the provider's metadata, fetching it when not cached, and
// checks it the way RFC 8414 §3.3 and the Payap guide require: the issuer
// byte-identical to the configured one, and S256 PKCE.
func (d *discovery) get(ctx context.Context, issuer string) (*metadata, error) {
	d.mu.Lock()
	m := d.meta[issuer]
	d.mu.Unlock()
	if m != nil {
		return m, nil
	}
	target, err := wellKnownURL(issuer)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d; RFC 8414 metadata must answer 200", target, resp.StatusCode)
	}
	m = &metadata{}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, fmt.Errorf("%s is not JSON metadata: %v", target, err)
	}
	switch {
	case m.Issuer != issuer:
		return nil, fmt.Errorf("metadata issuer %q differs from the configured %q; they must be identical (RFC 8414 §3.3)", m.Issuer, issuer)
	case m.AuthorizationEndpoint == "" || m.TokenEndpoint == "":
		return nil, fmt.Errorf("metadata at %s lacks authorization_endpoint or token_endpoint", target)
	case !slices.Contains(m.CodeChallengeMethods, "S256"):
		return nil, fmt.Errorf("metadata at %s does not list S256 in code_challenge_methods_supported; Payap requires PKCE S256", target)
	}
	d.mu.Lock()
	if d.meta == nil {
		d.meta = map[string]*metadata{}
	}
	d.meta[issuer] = m
	d.mu.Unlock()
	return m, nil
}

// oauthConfig is the x/oauth2 client for one provider, with the client
// authentication set explicitly so x/oauth2 never auto-detects (§2 item 13).
func (p *payap) oauthConfig(at AssetType, m *metadata) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if at.AuthMethod == AuthSecretBasic {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     at.ClientID,
		ClientSecret: at.ClientSecret,
		RedirectURL:  p.cfg.PublicURL + "/callback",
		Scopes:       payapScopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   m.AuthorizationEndpoint,
			TokenURL:  m.TokenEndpoint,
			AuthStyle: style,
		},
	}
}

// oauthContext carries Payap's HTTP client into x/oauth2, the way that
// library takes one.
func (p *payap) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.http)
}

// providerResponse is one answer of a provider's resource server.
type providerResponse struct {
	status    int
	challenge string // WWW-Authenticate
	header    http.Header
	body      []byte
}

// getResource calls a provider resource with an access token.
func (p *payap) getResource(ctx context.Context, target, access string) (providerResponse, error) {
	return p.resource(ctx, http.MethodGet, target, "Bearer "+access, nil)
}

// resource sends one request to a provider with an Authorization header
// (a Bearer access token, or a bare Payap JWT) and, when body is not nil,
// exactly those bytes as JSON.
func (p *payap) resource(ctx context.Context, method, target, authorization string, body []byte) (providerResponse, error) {
	return p.send(ctx, method, target, body, "Authorization", authorization)
}

// send is the one outbound JSON request of the mock Payap (to providers and
// to Centrapay): headers are name/value pairs; a non-nil body is sent as
// those exact bytes with Content-Type: application/json; the answer is read
// up to 4 MiB.
func (p *payap) send(ctx context.Context, method, target string, body []byte, headers ...string) (providerResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return providerResponse{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return providerResponse{}, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return providerResponse{}, err
	}
	return providerResponse{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), header: resp.Header, body: respBody}, nil
}

// revoke revokes a refresh token at the provider (RFC 7009) with the token
// endpoint's client authentication; a 503 is tried once more (§2 item 12).
// x/oauth2 has no revocation API, hence this small request.
func (p *payap) revoke(ctx context.Context, at AssetType, m *metadata, refresh string) error {
	if m.RevocationEndpoint == "" {
		return errors.New("the provider's metadata names no revocation_endpoint")
	}
	form := url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		switch at.AuthMethod {
		case AuthSecretPost:
			f.Set("client_id", at.ClientID)
			f.Set("client_secret", at.ClientSecret)
		case AuthNone:
			f.Set("client_id", at.ClientID)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.RevocationEndpoint, strings.NewReader(f.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if at.AuthMethod == AuthSecretBasic {
			req.SetBasicAuth(url.QueryEscape(at.ClientID), url.QueryEscape(at.ClientSecret))
		}
		resp, err := p.http.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable:
			lastErr = fmt.Errorf("revocation answered 503: %s", strings.TrimSpace(string(body)))
			continue
		default:
			return fmt.Errorf("revocation answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
	}
	return lastErr
}
