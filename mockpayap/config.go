package mockpayap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the mock Payap's part of the sandbox configuration.
type Config struct {
	// PublicURL is the mock Payap's public base URL, set by the sandbox. Its
	// /callback is the OAuth redirect URI.
	PublicURL string `mapstructure:"-" yaml:"-" json:"publicURL"`

	// ReturnURL is where the browser is sent after the OAuth callback, with
	// the outcome in the query. Empty means the callback answers JSON.
	ReturnURL string `mapstructure:"return_url" yaml:"return_url" json:"returnURL"`
	// CORSOrigins are the origins front ends may call the app API from. A
	// "*" in the port matches any port: the default allows any localhost dev
	// server.
	CORSOrigins []string `mapstructure:"cors_origins" yaml:"cors_origins" json:"corsOrigins"`
	// SessionTTL is how long an app sign-in lasts.
	SessionTTL time.Duration `mapstructure:"session_ttl" yaml:"session_ttl" json:"sessionTTL"`
	// RefreshSkew refreshes an access token this long before it expires.
	RefreshSkew time.Duration `mapstructure:"refresh_skew" yaml:"refresh_skew" json:"refreshSkew"`
	// ProviderTimeout bounds every call to a provider, and to Centrapay.
	ProviderTimeout time.Duration `mapstructure:"provider_timeout" yaml:"provider_timeout" json:"providerTimeout"`

	// CentrapayURL is the Centrapay API's base URL (without /api). Empty
	// means the sandbox's own mock Centrapay, which the sandbox fills in.
	CentrapayURL string `mapstructure:"centrapay_url" yaml:"centrapay_url" json:"centrapayURL"`
	// CentrapayAPIKey is Payap's X-Api-Key at Centrapay: it reads payment
	// requests and records provider payments on them.
	CentrapayAPIKey string `mapstructure:"centrapay_api_key" yaml:"centrapay_api_key" json:"-"`
	// CentrapayJWKSURL is where Centrapay's public keys are, to check the
	// JWT on POST /centrapay/refunds. Empty means
	// {CentrapayURL}/api/.well-known/jwks.json.
	CentrapayJWKSURL string `mapstructure:"centrapay_jwks_url" yaml:"centrapay_jwks_url" json:"centrapayJWKSURL"`
	// PayPolls is how many times the pay call polls the provider's GET /get
	// while the payment is pending before it answers; later GETs of the
	// payment poll once each.
	PayPolls int `mapstructure:"pay_polls" yaml:"pay_polls" json:"payPolls"`
	// PayRetries is how many times POST /pay (and a refund, and recording on
	// Centrapay) is retried with the same transactionId on a 5xx or a
	// timeout.
	PayRetries int `mapstructure:"pay_retries" yaml:"pay_retries" json:"payRetries"`

	// Provider is the asset type registered at start-up and the provider
	// behind it.
	Provider ProviderConfig `mapstructure:"provider" yaml:"provider" json:"provider"`
}

// ProviderConfig registers one provider's asset type with the mock Payap.
type ProviderConfig struct {
	// Name and Description are the asset type registration of the Payap
	// guide: a unique payment-method identifier and a short label.
	Name        string `mapstructure:"name" yaml:"name" json:"name"`
	Description string `mapstructure:"description" yaml:"description" json:"description"`
	// BaseURL is the provider's issuer; its RFC 8414 metadata is discovered
	// from it. Empty means the sandbox's own mock provider.
	BaseURL string `mapstructure:"base_url" yaml:"base_url" json:"baseURL"`
	// ClientID and ClientSecret are Payap's credentials at the provider; an
	// empty secret means a public client (PKCE only).
	ClientID     string `mapstructure:"client_id" yaml:"client_id" json:"clientId"`
	ClientSecret string `mapstructure:"client_secret" yaml:"client_secret" json:"-"`
	// AuthMethod is how Payap authenticates at the token endpoint: none,
	// client_secret_basic or client_secret_post. Empty picks none without a
	// secret and client_secret_basic with one.
	AuthMethod string `mapstructure:"auth_method" yaml:"auth_method" json:"authMethod"`
}

// Client authentication methods at the provider's token endpoint.
const (
	AuthNone        = "none"
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
)

// DefaultConfig returns the mock Payap defaults.
func DefaultConfig() Config {
	return Config{
		CORSOrigins:     []string{"http://localhost:*", "http://127.0.0.1:*"},
		SessionTTL:      12 * time.Hour,
		RefreshSkew:     10 * time.Second,
		ProviderTimeout: 10 * time.Second,
		CentrapayAPIKey: "cp-sandbox-payap-owner",
		PayPolls:        5,
		PayRetries:      2,
		Provider: ProviderConfig{
			Name:        "payap-example",
			Description: "Payap Points",
			ClientID:    "payap",
		},
	}
}

// Validate reports every problem at once. PublicURL and Provider.BaseURL are
// checked only when set: the sandbox fills them in once it has bound ports.
func (c Config) Validate() error {
	var errs []error
	if c.PublicURL != "" {
		if err := checkBaseURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("payap base URL: %w", err))
		}
	}
	if c.ReturnURL != "" {
		if u, err := url.Parse(c.ReturnURL); err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("payap.return_url %q must be an absolute http(s) URL", c.ReturnURL))
		}
	}
	for _, o := range c.CORSOrigins {
		if o == "*" {
			continue
		}
		if u, err := url.Parse(strings.Replace(o, ":*", ":1", 1)); err != nil || u.Host == "" || u.Path != "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("payap.cors_origins: %q must be an origin such as http://localhost:5173, http://localhost:* or *", o))
		}
	}
	if c.SessionTTL <= 0 {
		errs = append(errs, fmt.Errorf("payap.session_ttl must be positive (got %s)", c.SessionTTL))
	}
	if c.RefreshSkew < 0 {
		errs = append(errs, fmt.Errorf("payap.refresh_skew must not be negative (got %s)", c.RefreshSkew))
	}
	if c.ProviderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("payap.provider_timeout must be positive (got %s)", c.ProviderTimeout))
	}
	for _, u := range []struct{ key, v string }{{"payap.centrapay_url", c.CentrapayURL}, {"payap.centrapay_jwks_url", c.CentrapayJWKSURL}} {
		if u.v == "" {
			continue
		}
		if err := checkBaseURL(u.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u.key, err))
		}
	}
	if strings.TrimSpace(c.CentrapayAPIKey) == "" {
		errs = append(errs, errors.New("payap.centrapay_api_key is required: Payap's X-Api-Key at Centrapay (the sandbox seeds cp-sandbox-payap-owner)"))
	}
	if c.PayPolls < 0 || c.PayPolls > 100 {
		errs = append(errs, fmt.Errorf("payap.pay_polls must be between 0 and 100 (got %d)", c.PayPolls))
	}
	if c.PayRetries < 0 || c.PayRetries > 10 {
		errs = append(errs, fmt.Errorf("payap.pay_retries must be between 0 and 10 (got %d)", c.PayRetries))
	}
	if err := c.Provider.validate("payap.provider"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// centrapayJWKS is where Centrapay's JWKS is fetched from.
func (c Config) centrapayJWKS() string {
	if c.CentrapayJWKSURL != "" || c.CentrapayURL == "" {
		return c.CentrapayJWKSURL
	}
	return c.CentrapayURL + "/api/.well-known/jwks.json"
}

func (p ProviderConfig) validate(key string) error {
	var errs []error
	if err := validAssetTypeName(p.Name); err != nil {
		errs = append(errs, fmt.Errorf("%s.name: %w", key, err))
	}
	if p.Description == "" {
		errs = append(errs, fmt.Errorf("%s.description is required: the short label shown to users", key))
	}
	if p.BaseURL != "" {
		if err := checkBaseURL(p.BaseURL); err != nil {
			errs = append(errs, fmt.Errorf("%s.base_url: %w", key, err))
		}
	}
	if p.ClientID == "" {
		errs = append(errs, fmt.Errorf("%s.client_id is required", key))
	}
	switch p.authMethod() {
	case AuthNone:
		if p.ClientSecret != "" {
			errs = append(errs, fmt.Errorf("%s: auth_method none takes no client_secret", key))
		}
	case AuthSecretBasic, AuthSecretPost:
		if p.ClientSecret == "" {
			errs = append(errs, fmt.Errorf("%s: auth_method %s needs a client_secret", key, p.AuthMethod))
		}
	default:
		errs = append(errs, fmt.Errorf("%s.auth_method %q must be none, client_secret_basic or client_secret_post", key, p.AuthMethod))
	}
	return errors.Join(errs...)
}

func (p ProviderConfig) authMethod() string {
	switch {
	case p.AuthMethod != "":
		return p.AuthMethod
	case p.ClientSecret != "":
		return AuthSecretBasic
	}
	return AuthNone
}

// validAssetTypeName: the guide's unique payment-method identifier, e.g.
// payap-example: lower-case letters, digits, '-' and '.'.
func validAssetTypeName(name string) error {
	if name == "" {
		return errors.New("is required, e.g. payap-example")
	}
	if len(name) > 64 {
		return errors.New("is longer than 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%q may hold only lower-case letters, digits, '-' and '.'", name)
		}
	}
	return nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q must be an absolute http(s) URL", raw)
	}
	if strings.HasSuffix(raw, "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must have no trailing slash, query or fragment", raw)
	}
	return nil
}
