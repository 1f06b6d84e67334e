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

// Payment statuses: the provider's Transaction Attempt statuses.
const (
	PaymentPending    = "pending"
	PaymentSuccessful = "successful"
	PaymentFailed     = "failed"
)

// Where a successful payment stands at Centrapay (centrapayStatus).
const (
	// CentrapayRecorded: Centrapay accepted the payment; the payment
	// request is paid.
	CentrapayRecorded = "recorded"
	// CentrapayRecording: Centrapay could not be reached yet, or answered
	// PAYMENT_UNCONFIRMED; the next GET of the payment records it again
	// (idempotent on the transactionId).
	CentrapayRecording = "recording"
	// CentrapayUnsettled: Centrapay refused to record the payment (for
	// example REQUEST_EXPIRED, when the request expired while the provider
	// was confirming it). The provider has taken the money; centrapayError
	// holds Centrapay's answer.
	CentrapayUnsettled = "unsettled"
)

// Payment is one payment of a Centrapay payment request with a wallet
// entry: the Transaction Attempt Payap sent to the entry's provider, where
// it stands there, and where it stands at Centrapay.
type Payment struct {
	ID               string `json:"id"`
	UserID           string `json:"-"`
	PaymentRequestID string `json:"paymentRequestId"`
	WalletEntryID    string `json:"walletEntryId"`
	// AssetType is the Payap asset type; CentrapayAssetType is the id
	// recorded on Centrapay: the name and the payment request's liveness.
	AssetType          string `json:"assetType"`
	CentrapayAssetType string `json:"centrapayAssetType"`
	Amount             string `json:"amount"` // minor units
	Currency           string `json:"currency"`
	MerchantName       string `json:"merchantName"`
	MerchantID         string `json:"merchantId"`
	TransactionID      string `json:"transactionId"`
	Status             string `json:"status"`
	// FailureReason is in Centrapay's pay vocabulary (INSUFFICIENT_ASSET_VALUE,
	// ASSET_REDEMPTION_DENIED, PAYMENT_DECLINED, PAYMENT_UNCONFIRMED,
	// REQUEST_EXPIRED, REQUEST_CANCELLED); ProviderFailureReason is what
	// the provider said, when it said it.
	FailureReason         string          `json:"failureReason,omitempty"`
	ProviderFailureReason string          `json:"providerFailureReason,omitempty"`
	Problem               *Problem        `json:"problem,omitempty"`
	CentrapayStatus       string          `json:"centrapayStatus,omitempty"`
	CentrapayError        *CentrapayError `json:"centrapayError,omitempty"`
	CreatedAt             time.Time       `json:"createdAt"`
	UpdatedAt             time.Time       `json:"updatedAt"`
	Refunds               []Refund        `json:"refunds"`

	seq int // creation order
}

// CentrapayError is Centrapay's error answer, as it sent it.
type CentrapayError struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Reason     string `json:"reason,omitempty"`
}

// Refund statuses: refunds are synchronous, never pending.
const (
	RefundSuccessful = "successful"
	RefundFailed     = "failed"
)

// Refund is a refund Centrapay asked for and the provider answered.
type Refund struct {
	// ID is Centrapay's refundId, sent to the provider as the refund's
	// transactionId.
	ID            string    `json:"id"`
	Amount        string    `json:"amount"`
	Currency      string    `json:"currency"`
	Status        string    `json:"status"`
	FailureReason string    `json:"failureReason,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
}

// clone copies a payment with its own refunds slice.
func (p Payment) clone() Payment {
	p.Refunds = append(make([]Refund, 0, len(p.Refunds)), p.Refunds...)
	if p.Problem != nil {
		pr := *p.Problem
		p.Problem = &pr
	}
	if p.CentrapayError != nil {
		ce := *p.CentrapayError
		p.CentrapayError = &ce
	}
	return p
}
