package mockprovider

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is the mock provider's part of the sandbox configuration.
type Config struct {
	// Issuer is the provider's public base URL, set by the sandbox from the
	// service's base URL. It is the RFC 8414 issuer, byte for byte the `iss`
	// of every authorization response, and the audience Payap JWTs carry.
	Issuer string `mapstructure:"-" yaml:"-" json:"issuer"`

	AccessTokenTTL  time.Duration `mapstructure:"access_token_ttl" yaml:"access_token_ttl" json:"accessTokenTTL"`
	RefreshTokenTTL time.Duration `mapstructure:"refresh_token_ttl" yaml:"refresh_token_ttl" json:"refreshTokenTTL"`
	CodeTTL         time.Duration `mapstructure:"code_ttl" yaml:"code_ttl" json:"codeTTL"`

	// RequireState refuses authorization requests without state (B23).
	RequireState bool `mapstructure:"require_state" yaml:"require_state" json:"requireState"`
	// RequireRedirectURI requires redirect_uri even when a client has one
	// registered URI, as OAuth 2.1 does (B12).
	RequireRedirectURI bool `mapstructure:"require_redirect_uri" yaml:"require_redirect_uri" json:"requireRedirectURI"`
	// LoopbackAnyPort lets a loopback redirect URI match on any port, for
	// native apps (RFC 8252 §7.3, B11).
	LoopbackAnyPort bool `mapstructure:"loopback_any_port" yaml:"loopback_any_port" json:"loopbackAnyPort"`
	// RefreshReuseGrace lets a just-rotated refresh token be used again for
	// this long without tripping reuse detection (H59). Zero turns it off.
	RefreshReuseGrace time.Duration `mapstructure:"refresh_reuse_grace" yaml:"refresh_reuse_grace" json:"refreshReuseGrace"`

	// PayapJWKSURL is where Payap publishes the ES256 keys that sign its
	// refund, cancel and get calls; the sandbox points it at the mock Payap's
	// /.well-known/jwks.json. Empty refuses those calls with 401.
	PayapJWKSURL string `mapstructure:"payap_jwks_url" yaml:"payap_jwks_url" json:"payapJwksUrl"`
	// RefundWindow is how long after a payment succeeds it may be refunded:
	// refundBefore = success time + RefundWindow.
	RefundWindow time.Duration `mapstructure:"refund_window" yaml:"refund_window" json:"refundWindow"`
	// JWTLeeway is the clock skew allowed on a Payap JWT's iat and exp. Zero
	// means the verifier's default, 30 s.
	JWTLeeway time.Duration `mapstructure:"jwt_leeway" yaml:"jwt_leeway" json:"jwtLeeway"`

	// Clients are the registered OAuth clients. Empty means the default
	// public client "payap" whose redirect URI is the mock Payap's callback.
	Clients []Client `mapstructure:"clients" yaml:"clients" json:"clients"`
}

// DefaultConfig returns the provider defaults: access tokens live an hour
// like the guide's example, refresh tokens 30 days, codes 5 minutes.
func DefaultConfig() Config {
	return Config{
		AccessTokenTTL:     time.Hour,
		RefreshTokenTTL:    30 * 24 * time.Hour,
		CodeTTL:            5 * time.Minute,
		RequireRedirectURI: true,
		RefundWindow:       DefaultRefundWindow,
	}
}

// DefaultRefundWindow is how long a payment stays refundable by default.
const DefaultRefundWindow = 30 * 24 * time.Hour

// MaxJWTLeeway bounds Config.JWTLeeway: more would accept tokens long expired.
const MaxJWTLeeway = 5 * time.Minute

// DefaultClientID is the client id Payap uses at the mock provider.
const DefaultClientID = "payap"

// DefaultClient is the public PKCE client the mock Payap uses; callback is
// the mock Payap's /callback URL.
func DefaultClient(callback string) Client {
	return Client{
		ID:           DefaultClientID,
		Name:         "Payap (sandbox)",
		AuthMethod:   AuthNone,
		RedirectURIs: []string{callback},
	}
}

// MaxCodeTTL is RFC 6749 §4.1.2's recommended maximum code lifetime.
const MaxCodeTTL = 10 * time.Minute

// Validate reports every problem with the configuration at once, each with
// the key to fix.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("provider issuer %q must be an absolute http(s) URL", c.Issuer))
	} else if strings.HasSuffix(c.Issuer, "/") || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("provider issuer %q must have no trailing slash, query or fragment: it is compared byte for byte", c.Issuer))
	}
	if c.AccessTokenTTL <= 0 {
		errs = append(errs, fmt.Errorf("provider.access_token_ttl must be positive, e.g. 3600s (got %s)", c.AccessTokenTTL))
	}
	if c.RefreshTokenTTL <= 0 {
		errs = append(errs, fmt.Errorf("provider.refresh_token_ttl must be positive, e.g. 720h (got %s)", c.RefreshTokenTTL))
	}
	if c.CodeTTL <= 0 || c.CodeTTL > MaxCodeTTL {
		errs = append(errs, fmt.Errorf("provider.code_ttl must be between 1s and %s (RFC 6749 §4.1.2), got %s", MaxCodeTTL, c.CodeTTL))
	}
	if c.RefreshReuseGrace < 0 {
		errs = append(errs, fmt.Errorf("provider.refresh_reuse_grace must not be negative (got %s)", c.RefreshReuseGrace))
	}
	if c.PayapJWKSURL != "" {
		if u, err := url.Parse(c.PayapJWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("provider.payap_jwks_url %q must be an absolute http(s) URL such as http://127.0.0.1:8402/.well-known/jwks.json", c.PayapJWKSURL))
		}
	}
	if c.RefundWindow <= 0 {
		errs = append(errs, fmt.Errorf("provider.refund_window must be positive, e.g. 720h (got %s)", c.RefundWindow))
	}
	if c.JWTLeeway < 0 || c.JWTLeeway > MaxJWTLeeway {
		errs = append(errs, fmt.Errorf("provider.jwt_leeway must be between 0 (the default, 30s) and %s, got %s", MaxJWTLeeway, c.JWTLeeway))
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		where := fmt.Sprintf("provider.clients[%d]", i)
		if cl.ID != "" && seen[cl.ID] {
			errs = append(errs, fmt.Errorf("%s.id %q is registered twice", where, cl.ID))
		}
		seen[cl.ID] = true
		errs = append(errs, cl.problems(where)...)
	}
	return errors.Join(errs...)
}

// problems reports everything wrong with one client registration, each
// naming where (a config key or a store path) and how to fix it.
func (cl Client) problems(where string) []error {
	var errs []error
	if cl.ID == "" {
		errs = append(errs, fmt.Errorf("%s.id is required", where))
	}
	switch cl.AuthMethod {
	case AuthNone:
		if cl.Secret != "" {
			errs = append(errs, fmt.Errorf("%s is public (auth_method none) but has a secret: remove the secret or set auth_method to client_secret_basic", where))
		}
	case AuthSecretBase, AuthSecretPost:
		if cl.Secret == "" {
			errs = append(errs, fmt.Errorf("%s uses %s and needs a secret", where, cl.AuthMethod))
		}
	default:
		errs = append(errs, fmt.Errorf("%s.auth_method %q must be one of none, client_secret_basic, client_secret_post", where, cl.AuthMethod))
	}
	for _, g := range cl.GrantTypes {
		if g != GrantAuthorizationCode && g != GrantRefreshToken {
			errs = append(errs, fmt.Errorf("%s.grant_types: %q is not supported (authorization_code, refresh_token)", where, g))
		}
	}
	if len(cl.RedirectURIs) == 0 {
		errs = append(errs, fmt.Errorf("%s.redirect_uris needs at least one URI", where))
	}
	for _, ru := range cl.RedirectURIs {
		if err := checkRedirectURI(ru); err != nil {
			errs = append(errs, fmt.Errorf("%s.redirect_uris: %w", where, err))
		}
	}
	return errs
}

// checkRedirectURI applies RFC 6749 §3.1.2 and RFC 9700 §2.6 to a registered
// redirect URI: absolute, no fragment, and http only on loopback (C13).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q has a fragment; redirect URIs must not (RFC 6749 §3.1.2)", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("%q uses http on a host that is not loopback; use https (RFC 9700 §2.6)", raw)
		}
	default:
		return fmt.Errorf("%q must use http (loopback only) or https", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
