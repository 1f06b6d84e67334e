package mockcentrapay

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the mock Centrapay's part of the sandbox configuration.
type Config struct {
	// PublicURL is the mock's public base URL, set by the sandbox.
	PublicURL string `mapstructure:"-" yaml:"-" json:"publicURL"`
	// AppURL stands for https://app.centrapay.com in pay and connect URLs.
	AppURL string `mapstructure:"app_url" yaml:"app_url" json:"appURL"`
	// RateLimit is requests per minute per API key; 0 turns it off (the
	// real service allows 200 per minute per account).
	RateLimit int `mapstructure:"rate_limit" yaml:"rate_limit" json:"rateLimit"`
	// DefaultExpiry is a payment request's lifetime when expirySeconds is not sent.
	DefaultExpiry time.Duration `mapstructure:"default_expiry" yaml:"default_expiry" json:"defaultExpiry"`
	// VoidWindow is how long after creation a payment request can be voided.
	VoidWindow time.Duration `mapstructure:"void_window" yaml:"void_window" json:"voidWindow"`
	// RefundWindow is how long after payment a refund may start.
	RefundWindow time.Duration `mapstructure:"refund_window" yaml:"refund_window" json:"refundWindow"`
	// ThirdPartyAssetTypes are asset types registered through Payap (the
	// sandbox adds the mock Payap's); each gets .main and .test ids.
	ThirdPartyAssetTypes []string `mapstructure:"third_party_asset_types" yaml:"third_party_asset_types" json:"thirdPartyAssetTypes"`
	// WebhookRetries are the delays between webhook delivery attempts, on
	// the sandbox clock; after the last one a notification is given up.
	WebhookRetries []time.Duration `mapstructure:"webhook_retries" yaml:"webhook_retries" json:"webhookRetries"`
	// WalletOperatorURL is the base URL of the wallet operator (the Payap
	// backend) that refunds payments of ThirdPartyAssetTypes recorded with
	// a transactionId: Centrapay POSTs {WalletOperatorURL}/centrapay/refunds.
	// Empty: the sandbox sets the mock Payap's base URL; without one such
	// refunds are 403 REFUND_DECLINED.
	WalletOperatorURL string `mapstructure:"wallet_operator_url" yaml:"wallet_operator_url" json:"walletOperatorURL"`
}

// DefaultConfig returns the mock Centrapay defaults.
func DefaultConfig() Config {
	return Config{
		AppURL:        "https://app.centrapay.com",
		DefaultExpiry: 120 * time.Second,
		VoidWindow:    24 * time.Hour,
		RefundWindow:  90 * 24 * time.Hour,
		WebhookRetries: []time.Duration{
			10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
		},
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.AppURL == "" {
		errs = append(errs, errors.New("centrapay.app_url is required"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("centrapay.rate_limit must be 0 (off) or positive (got %d)", c.RateLimit))
	}
	if c.DefaultExpiry <= 0 {
		errs = append(errs, fmt.Errorf("centrapay.default_expiry must be positive (got %s)", c.DefaultExpiry))
	}
	if c.VoidWindow <= 0 || c.RefundWindow <= 0 {
		errs = append(errs, errors.New("centrapay.void_window and centrapay.refund_window must be positive"))
	}
	for _, d := range c.WebhookRetries {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("centrapay.webhook_retries: %s is not a positive delay", d))
		}
	}
	if c.WalletOperatorURL != "" {
		if err := checkWalletOperatorURL(c.WalletOperatorURL); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range c.ThirdPartyAssetTypes {
		if name == "" {
			errs = append(errs, errors.New("centrapay.third_party_asset_types: an empty name"))
		}
	}
	return errors.Join(errs...)
}

// checkWalletOperatorURL accepts an absolute http or https URL with a host
// and no query or fragment (a path is kept: /centrapay/refunds is added).
func checkWalletOperatorURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		(strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") {
		return fmt.Errorf("centrapay.wallet_operator_url %q must be an absolute http or https base URL such as http://127.0.0.1:8402", raw)
	}
	return nil
}
