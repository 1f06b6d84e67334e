package mockpayap

import "time"

// User is a Payap app user.
type User struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Password string `json:"-"`
	Name     string `json:"name"`
}

// AssetType is a provider's registration with Payap: the guide's name and
// description, plus what the mock needs to reach the provider.
type AssetType struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	ProviderURL  string `json:"providerBaseUrl"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"-"`
	AuthMethod   string `json:"authMethod"`
}

// Connection statuses.
const (
	StatusPending           = "pending"            // waiting for the user at the provider
	StatusConnected         = "connected"          // tokens held, assets in the wallet
	StatusReconnectRequired = "reconnect_required" // the grant is gone: the user must consent again
)

// Connection is one user's OAuth link to one provider.
type Connection struct {
	ID          string    `json:"id"`
	UserID      string    `json:"userId"`
	AssetType   string    `json:"assetType"`
	Status      string    `json:"status"`
	Scope       string    `json:"scope,omitempty"` // the scope the provider granted
	CanPay      bool      `json:"canPay"`
	AuthURL     string    `json:"authorizationUrl,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	ConnectedAt time.Time `json:"connectedAt,omitzero"`
	// Problem says why a connection needs reconnecting.
	Problem *Problem `json:"problem,omitempty"`

	// Server-side only: never serialised.
	pending *pendingAuth
	tokens  tokens
}

// pendingAuth is the state of an authorization in progress, kept
// server-side: the state value (by hash), the PKCE verifier and when it
// lapses. reconnect marks a re-consent of an existing connection.
type pendingAuth struct {
	stateHash [32]byte
	verifier  string
	expiresAt time.Time
}

// tokens are a connection's OAuth tokens. Only the server holds them.
type tokens struct {
	Access  string
	Refresh string
	Expiry  time.Time // on the sandbox clock
}

// WalletEntry is one provider asset in a user's wallet.
type WalletEntry struct {
	ID           string `json:"id"`
	UserID       string `json:"-"`
	ConnectionID string `json:"connectionId"`
	AssetType    string `json:"assetType"`
	AssetID      string `json:"assetId"`
	Description  string `json:"description"`
}

// walletItem is a wallet entry as the app sees it: with the live balance,
// or the reason there is none.
type walletItem struct {
	WalletEntry
	Balance *string  `json:"balance"` // minor units, fetched live; null when unavailable
	Status  string   `json:"status"`  // available, reconnect_required, unavailable
	CanPay  bool     `json:"canPay"`
	Problem *Problem `json:"problem,omitempty"`
}

// Wallet entry statuses.
const (
	EntryAvailable   = "available"
	EntryUnavailable = "unavailable"
)

// Problem is a machine code and a sentence for a person.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// list is the app API's list envelope.
type list[T any] struct {
	Items []T `json:"items"`
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}
