package mockprovider

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is an account holder at the provider.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Asset is something a user holds at the provider: a points balance, say.
// Balance is in minor units and never a float.
type Asset struct {
	ID          string `json:"id"`
	UserID      string `json:"userId"`
	Description string `json:"description"`
	// Currency is the one ISO 4217 currency the asset pays in; a payment or
	// refund in any other is failed with ASSET_REDEMPTION_DENIED (C22).
	Currency string `json:"currency"`
	Balance  int64  `json:"balance"`
	// PendingPolls makes /pay answer pending: the amount is held at once and
	// the payment turns successful on the PendingPolls-th GET /get for it.
	// Zero answers successful or failed at once.
	PendingPolls int `json:"pendingPolls"`
	// PartialRefunds allows refunds of less than what is left of a payment.
	// Seed and DefaultAssetSettings set it; the zero Asset forbids them.
	PartialRefunds bool `json:"partialRefunds"`
}

// AssetSettings are the payment knobs of one asset, changed at run time
// with MemStore.SetAssetSettings.
type AssetSettings struct {
	PendingPolls   int  `json:"pendingPolls"`
	PartialRefunds bool `json:"partialRefunds"`
}

// DefaultAssetSettings are what seeded assets start with: payments answer at
// once and partial refunds are allowed.
func DefaultAssetSettings() AssetSettings { return AssetSettings{PartialRefunds: true} }

// MaxPendingPolls bounds AssetSettings.PendingPolls.
const MaxPendingPolls = 1000

// Validate reports a setting out of range.
func (s AssetSettings) Validate() error {
	if s.PendingPolls < 0 || s.PendingPolls > MaxPendingPolls {
		return fmt.Errorf("pendingPolls must be between 0 (answer at once) and %d, got %d", MaxPendingPolls, s.PendingPolls)
	}
	return nil
}

// Settings returns the asset's payment knobs.
func (a Asset) Settings() AssetSettings {
	return AssetSettings{PendingPolls: a.PendingPolls, PartialRefunds: a.PartialRefunds}
}

// assetJSON is the wire form of an Asset, exactly the documented Asset model:
// four required strings, the balance in the smallest unit.
type assetJSON struct {
	ID          string `json:"id"`
	UserID      string `json:"userId"`
	Balance     string `json:"balance"`
	Description string `json:"description"`
}

func (a Asset) wire() assetJSON {
	return assetJSON{ID: a.ID, UserID: a.UserID, Balance: strconv.FormatInt(a.Balance, 10), Description: a.Description}
}

// Client is a registered OAuth client.
type Client struct {
	ID   string `mapstructure:"id" yaml:"id" json:"id"`
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	// Secret is empty for a public client.
	Secret string `mapstructure:"secret" yaml:"secret" json:"-"`
	// AuthMethod is the token endpoint authentication method: none (public,
	// PKCE only), client_secret_basic or client_secret_post.
	AuthMethod   string   `mapstructure:"auth_method" yaml:"auth_method" json:"authMethod"`
	RedirectURIs []string `mapstructure:"redirect_uris" yaml:"redirect_uris" json:"redirectUris"`
	// GrantTypes the client may use; empty means authorization_code and refresh_token.
	GrantTypes []string `mapstructure:"grant_types" yaml:"grant_types" json:"grantTypes"`
}

// Token endpoint authentication methods (RFC 8414 / RFC 7591 names).
const (
	AuthNone       = "none"
	AuthSecretBase = "client_secret_basic"
	AuthSecretPost = "client_secret_post"
)

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

func (c Client) allows(grant string) bool {
	if len(c.GrantTypes) == 0 {
		return grant == GrantAuthorizationCode || grant == GrantRefreshToken
	}
	for _, g := range c.GrantTypes {
		if g == grant {
			return true
		}
	}
	return false
}

func (c Client) public() bool { return c.AuthMethod == AuthNone }

// Scopes is a set of the provider's scopes. The provider knows exactly two.
type Scopes uint8

// The scopes the provider supports.
const (
	ScopeRead Scopes = 1 << iota // assets:read
	ScopePay                     // assets:pay
)

var scopeNames = [...]struct {
	s    Scopes
	name string
}{{ScopeRead, "assets:read"}, {ScopePay, "assets:pay"}}

// ParseScopes parses a space-separated scope list (RFC 6749 §3.3). unknown is
// the first token that names no scope.
func ParseScopes(s string) (scopes Scopes, unknown string, ok bool) {
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		found := false
		for _, n := range scopeNames {
			if tok == n.name {
				scopes |= n.s
				found = true
			}
		}
		if !found {
			return 0, tok, false
		}
	}
	return scopes, "", true
}

// String is the canonical space-separated form, read before pay.
func (s Scopes) String() string {
	var parts []string
	for _, n := range scopeNames {
		if s&n.s != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, " ")
}

// Has reports whether every scope in want is in s.
func (s Scopes) Has(want Scopes) bool { return s&want == want }

// allScopes is every scope the provider knows.
const allScopes = ScopeRead | ScopePay

// MarshalText writes the canonical space-separated form, so that a Scopes
// reads as "assets:read assets:pay" in JSON.
func (s Scopes) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a space-separated scope list and refuses any scope
// the provider does not know.
func (s *Scopes) UnmarshalText(b []byte) error {
	v, unknown, ok := ParseScopes(string(b))
	if !ok {
		return fmt.Errorf("unknown scope %q; the provider knows assets:read and assets:pay", unknown)
	}
	*s = v
	return nil
}

// Grant is one user's consent to one client: the family that every token
// issued from one authorization code belongs to.
type Grant struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"clientId"`
	UserID    string    `json:"userId"`
	Scope     Scopes    `json:"scope"`
	CreatedAt time.Time `json:"createdAt"`
	// RevokedAt is set once the grant and all its tokens are dead.
	RevokedAt    time.Time `json:"revokedAt,omitzero"`
	RevokeReason string    `json:"revokeReason,omitempty"`
	// AccessExpiresAt is the latest expiry of the grant's access tokens that
	// were not revoked one by one; zero when there is none. Only the copies
	// Grants returns fill it in.
	AccessExpiresAt time.Time `json:"accessExpiresAt,omitzero"`
}

// Revoked reports whether the grant has been revoked.
func (g Grant) Revoked() bool { return !g.RevokedAt.IsZero() }

// TokenInfo is what the resource server learns from a valid access token.
type TokenInfo struct {
	GrantID  string
	ClientID string
	UserID   string
	Scope    Scopes
	Expires  time.Time
}

// tokenResponse is the RFC 6749 §5.1 success body. scope is always sent;
// refresh_token is left out only for a client without the refresh grant.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// metadata is the RFC 8414 authorization server metadata document.
type metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                            []string `json:"scopes_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ServiceDocumentation                       string   `json:"service_documentation,omitempty"`
}

// Transaction Attempt statuses, types and failure reasons (centrapay-api.md
// §2.7–2.8; the refund reasons beyond PARTIAL_REFUNDS_NOT_ALLOWED are the
// mock's own, C27).
const (
	StatusPending    = "pending"
	StatusSuccessful = "successful"
	StatusFailed     = "failed"

	TypePayment = "payment"
	TypeRefund  = "refund"

	ReasonInsufficientValue    = "INSUFFICIENT_ASSET_VALUE"
	ReasonRedemptionDenied     = "ASSET_REDEMPTION_DENIED"
	ReasonPartialRefunds       = "PARTIAL_REFUNDS_NOT_ALLOWED"
	ReasonRefundAmountExceeded = "REFUND_AMOUNT_EXCEEDED"
	ReasonRefundWindowExceeded = "REFUND_WINDOW_EXCEEDED"
	ReasonRefundNotAllowed     = "REFUND_NOT_ALLOWED"
	ReasonCancelledByMerchant  = "CANCELLED_BY_MERCHANT"
	ReasonRequestExpired       = "PAYMENT_REQUEST_EXPIRED"
)

// Attempt is the wire form of a Transaction Attempt (§2.7), in the field
// order every answer uses. A refund carries the payment's authorization and
// merchant fields when the payment is known, and paymentTransactionId.
type Attempt struct {
	Currency             string          `json:"currency"`
	Amount               string          `json:"amount"`
	Authorization        string          `json:"authorization,omitempty"`
	MerchantName         string          `json:"merchantName,omitempty"`
	MerchantID           string          `json:"merchantId,omitempty"`
	MerchantCategoryCode string          `json:"merchantCategoryCode,omitempty"`
	MerchantLocation     json.RawMessage `json:"merchantLocation,omitempty"`
	PaymentRequestID     string          `json:"paymentRequestId,omitempty"`
	TransactionID        string          `json:"transactionId"`
	PaymentTransactionID string          `json:"paymentTransactionId,omitempty"`
	Status               string          `json:"status"`
	Type                 string          `json:"type"`
	FailureReason        string          `json:"failureReason,omitempty"`
	// Refundable is sent, true, only on a successful payment.
	Refundable *bool `json:"refundable,omitempty"`
	// RefundBefore is an ISO 8601 UTC timestamp with milliseconds.
	RefundBefore string `json:"refundBefore,omitempty"`
}

// timestampLayout is the Centrapay Timestamp: ISO 8601 UTC, milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

func timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }
