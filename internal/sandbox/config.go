package sandbox

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// Config is the whole sandbox configuration: one struct, filled by viper
// from flags, PAYAP_SANDBOX_* environment variables and an optional file.
// Every key has a default in DefaultConfig.
type Config struct {
	// Host is the address every service binds to.
	Host string `mapstructure:"host" yaml:"host" json:"host"`
	// Seed drives the fake data; the same seed gives the same data. 0 is random.
	Seed int64 `mapstructure:"seed" yaml:"seed" json:"seed"`
	// Headless runs without the terminal UI even on a terminal.
	Headless bool `mapstructure:"headless" yaml:"headless" json:"headless"`
	// ShutdownTimeout bounds how long in-flight requests get to finish.
	ShutdownTimeout time.Duration   `mapstructure:"shutdown_timeout" yaml:"shutdown_timeout" json:"shutdownTimeout"`
	Log             LogConfig       `mapstructure:"log" yaml:"log" json:"log"`
	Clock           ClockConfig     `mapstructure:"clock" yaml:"clock" json:"clock"`
	Journal         journal.Config  `mapstructure:"journal" yaml:"journal" json:"journal"`
	Provider        ProviderConfig  `mapstructure:"provider" yaml:"provider" json:"provider"`
	Payap           PayapConfig     `mapstructure:"payap" yaml:"payap" json:"payap"`
	Centrapay       CentrapayConfig `mapstructure:"centrapay" yaml:"centrapay" json:"centrapay"`
	// State is a snapshot file: restored at start when it exists (it then
	// is the start state a reset goes back to) and written on shutdown.
	State string `mapstructure:"state" yaml:"state" json:"state"`
	// Scenario is a scenario file loaded and activated at start, and
	// reloaded whenever it changes.
	Scenario string        `mapstructure:"scenario" yaml:"scenario" json:"scenario"`
	Control  ControlConfig `mapstructure:"control" yaml:"control" json:"control"`
}

// ControlConfig is the control API every service serves under /__sandbox/.
type ControlConfig struct {
	// AllowRemote answers requests from addresses other than loopback; by
	// default they get 403.
	AllowRemote bool `mapstructure:"allow_remote" yaml:"allow_remote" json:"allowRemote"`
}

// LogConfig chooses how logs look.
type LogConfig struct {
	Level  string `mapstructure:"level" yaml:"level" json:"level"`    // debug, info, warn, error
	Format string `mapstructure:"format" yaml:"format" json:"format"` // text or json
	// File receives the logs while the terminal UI owns the terminal;
	// empty means payap-sandbox.log in the user's state directory
	// ($XDG_STATE_HOME/payap-sandbox, else the temporary directory).
	File string `mapstructure:"file" yaml:"file" json:"file"`
}

// ClockConfig sets where the sandbox clock starts.
type ClockConfig struct {
	// Start is an RFC 3339 time the clock starts at; empty means now.
	Start string `mapstructure:"start" yaml:"start" json:"start"`
}

// ServiceConfig is where one service listens and how it is reached.
type ServiceConfig struct {
	// Port to listen on; 0 picks a free one.
	Port int `mapstructure:"port" yaml:"port" json:"port"`
	// BaseURL is the public URL the service is reached at, when a proxy sits
	// in front of it. Empty means http://HOST:PORT. It becomes the issuer,
	// the redirect URIs and the JWT audiences, byte for byte.
	BaseURL string `mapstructure:"base_url" yaml:"base_url" json:"baseURL"`
}

// ProviderConfig is the mock provider's listener plus its own settings.
type ProviderConfig struct {
	ServiceConfig       `mapstructure:",squash" yaml:",inline"`
	mockprovider.Config `mapstructure:",squash" yaml:",inline"`
}

// PayapConfig is the mock Payap's listener plus its own settings.
type PayapConfig struct {
	ServiceConfig    `mapstructure:",squash" yaml:",inline"`
	mockpayap.Config `mapstructure:",squash" yaml:",inline"`
}

// CentrapayConfig is the mock Centrapay's listener plus its own settings.
type CentrapayConfig struct {
	ServiceConfig        `mapstructure:",squash" yaml:",inline"`
	mockcentrapay.Config `mapstructure:",squash" yaml:",inline"`
}

// Default ports: memorable and out of the way of common dev servers.
const (
	DefaultProviderPort  = 8401
	DefaultPayapPort     = 8402
	DefaultCentrapayPort = 8403
	DefaultSeed          = 42
)

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Host:            "127.0.0.1",
		Seed:            DefaultSeed,
		ShutdownTimeout: 10 * time.Second,
		Log:             LogConfig{Level: "info", Format: "text"},
		Journal:         journal.DefaultConfig(),
		Provider:        ProviderConfig{ServiceConfig: ServiceConfig{Port: DefaultProviderPort}, Config: mockprovider.DefaultConfig()},
		Payap:           PayapConfig{ServiceConfig: ServiceConfig{Port: DefaultPayapPort}, Config: mockpayap.DefaultConfig()},
		Centrapay:       CentrapayConfig{ServiceConfig: ServiceConfig{Port: DefaultCentrapayPort}, Config: mockcentrapay.DefaultConfig()},
	}
}

// Validate reports every problem at once, each naming the key to change.
// It checks what can be checked before the listeners are bound; the
// provider's own settings are checked again once its issuer is known.
func (c *Config) Validate() error {
	var errs []error
	if net.ParseIP(c.Host) == nil && c.Host != "localhost" {
		errs = append(errs, fmt.Errorf("host %q must be an IP address such as 127.0.0.1", c.Host))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout must be positive, e.g. 10s (got %s)", c.ShutdownTimeout))
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q must be debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q must be text or json", c.Log.Format))
	}
	if c.Clock.Start != "" {
		if _, err := time.Parse(time.RFC3339, c.Clock.Start); err != nil {
			errs = append(errs, fmt.Errorf("clock.start %q must be an RFC 3339 time such as 2026-01-01T09:00:00Z", c.Clock.Start))
		}
	}
	if c.Journal.Capacity < 1 || c.Journal.Capacity > 1_000_000 {
		errs = append(errs, fmt.Errorf("journal.capacity must be between 1 and 1000000 (got %d)", c.Journal.Capacity))
	}
	if c.Journal.MaxBodyBytes < 1 || c.Journal.MaxBodyBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("journal.max_body_bytes must be between 1 and 1048576 (got %d)", c.Journal.MaxBodyBytes))
	}
	for _, s := range []struct {
		key string
		svc *ServiceConfig
	}{{"provider", &c.Provider.ServiceConfig}, {"payap", &c.Payap.ServiceConfig}, {"centrapay", &c.Centrapay.ServiceConfig}} {
		if s.svc.Port < 0 || s.svc.Port > 65535 {
			errs = append(errs, fmt.Errorf("%s.port must be between 0 and 65535 (got %d)", s.key, s.svc.Port))
		}
		if s.svc.BaseURL != "" {
			canon, err := canonicalBaseURL(s.svc.BaseURL)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.base_url: %w", s.key, err))
			} else {
				s.svc.BaseURL = canon
			}
		}
	}
	p := c.Provider.Config
	p.Issuer = "http://127.0.0.1" // checked for real once bound
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Payap.Provider.BaseURL != "" {
		if canon, err := canonicalBaseURL(c.Payap.Provider.BaseURL); err == nil {
			c.Payap.Provider.BaseURL = canon
		}
	}
	if err := c.Payap.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Centrapay.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// canonicalBaseURL returns the one form a base URL is used in everywhere:
// absolute http(s), no query or fragment, no trailing slash.
func canonicalBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q must be an absolute http(s) URL such as https://provider.example.test", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not have a query, fragment or user info", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}
