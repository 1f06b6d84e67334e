// Package scenarios reads Payap Sandbox scenario files: YAML that seeds
// data (fixtures), injects faults into the three services and replays a
// scripted flow (steps) with expectations.
//
// The format is versioned; this package reads version 1. Decoding is
// strict: an unknown or misspelt field, a value of the wrong type or a rule
// broken (probability 1.5, nth 0, a step naming a user that does not exist)
// is an error naming the file, line, column and field path, and every
// problem of a file is reported at once. The published JSON Schema
// (schema.json, also in Schema) describes the same model for editors.
//
// Field names are the YAML keys; the struct tags say which are required
// (scenario:"required") and which have a default (default:"…"). After Load
// or Parse every default is filled in, so a runner or fault engine never
// has to repeat them.
package scenarios

import (
	"fmt"
	"strconv"
	"time"
)

// Version is the scenario format version this package reads and writes.
const Version = 1

// SupportedVersions are the format versions Load and Parse accept.
var SupportedVersions = []int{Version}

// Scenario is one scenario file.
type Scenario struct {
	// Version of the format; 1 is the only one so far.
	Version int `yaml:"version" scenario:"required"`
	// Name identifies the scenario: lower-case letters, digits and hyphens.
	Name        string `yaml:"name" scenario:"required"`
	Description string `yaml:"description"`
	// Seed drives the generated fake data; nil keeps the sandbox's own seed.
	Seed *int64 `yaml:"seed"`
	// Clock is where the sandbox clock starts (RFC 3339); nil keeps the
	// sandbox's own start.
	Clock *time.Time `yaml:"clock"`
	// Fixtures are exact data added on top of the seeded data.
	Fixtures Fixtures `yaml:"fixtures"`
	// Faults are injected into the services while the scenario is active.
	Faults []Fault `yaml:"faults"`
	// Steps are a replayable flow with expectations, run in order.
	Steps []Step `yaml:"steps"`

	// File is where the scenario was read from (Load's path or Parse's name).
	File string `yaml:"-"`
}

// Fixtures are users, assets, clients, merchants, wallets and API keys a
// scenario adds to the seeded data. They may not reuse a seeded name (the
// provider's "demo" user, its assets 12345, 56789 and 99999, the Payap user
// demo@payap.test, the merchant "default", the wallet "payap", the seeded
// API keys).
type Fixtures struct {
	Provider  ProviderFixtures  `yaml:"provider"`
	Payap     PayapFixtures     `yaml:"payap"`
	Centrapay CentrapayFixtures `yaml:"centrapay"`
}

// ProviderFixtures are added to the mock provider.
type ProviderFixtures struct {
	Users []ProviderUser `yaml:"users"`
	// Clients are extra OAuth clients, beside the mock Payap's client "payap".
	Clients []OAuthClient `yaml:"clients"`
}

// ProviderUser is a login at the mock provider and the assets it holds.
type ProviderUser struct {
	// Username is the login name; steps refer to the user by it.
	Username string `yaml:"username" scenario:"required"`
	Password string `yaml:"password" scenario:"required"`
	// Name is shown on the consent page; empty means the username.
	Name   string  `yaml:"name"`
	Assets []Asset `yaml:"assets"`
}

// Asset is a points balance (or any other asset) a provider user holds.
type Asset struct {
	// ID is the provider's asset id, unique across all users; steps refer to
	// the asset by it.
	ID          string `yaml:"id" scenario:"required"`
	Description string `yaml:"description" scenario:"required"`
	// Balance in minor units, written as a string of digits ("5000").
	Balance Amount `yaml:"balance" scenario:"required"`
	// Currency is the one ISO 4217 currency the asset pays in.
	Currency string `yaml:"currency" default:"NZD"`
	// PendingPolls makes payments answer pending and succeed on the
	// PendingPolls-th GET /get; 0 answers at once.
	PendingPolls int `yaml:"pendingPolls"`
	// PartialRefunds allows refunds of less than what is left of a payment.
	PartialRefunds bool `yaml:"partialRefunds" default:"true"`
}

// OAuthClient is an extra OAuth client registered at the mock provider.
type OAuthClient struct {
	ID   string `yaml:"id" scenario:"required"`
	Name string `yaml:"name"`
	// Secret is required for client_secret_basic and client_secret_post and
	// forbidden for a public client (authMethod none).
	Secret string `yaml:"secret"`
	// AuthMethod is none (public, PKCE only), client_secret_basic or
	// client_secret_post.
	AuthMethod   string   `yaml:"authMethod" default:"none"`
	RedirectURIs []string `yaml:"redirectUris" scenario:"required"`
	// GrantTypes: authorization_code and/or refresh_token; empty means both.
	GrantTypes []string `yaml:"grantTypes"`
}

// PayapFixtures are added to the mock Payap.
type PayapFixtures struct {
	Users []PayapUser `yaml:"users"`
}

// PayapUser is a wallet app login at the mock Payap.
type PayapUser struct {
	// Email is the login; steps refer to the user by it (payapUser).
	Email    string `yaml:"email" scenario:"required"`
	Password string `yaml:"password" scenario:"required"`
	Name     string `yaml:"name"`
}

// CentrapayFixtures are added to the mock Centrapay.
type CentrapayFixtures struct {
	Merchants []Merchant `yaml:"merchants"`
	Wallets   []Wallet   `yaml:"wallets"`
	APIKeys   []APIKey   `yaml:"apiKeys"`
	// Webhooks are webhook subscriptions, at most one per account.
	Webhooks []WebhookSubscription `yaml:"webhooks"`
}

// WebhookSubscription subscribes a merchant's or a wallet's account to the
// mock Centrapay's webhooks.
type WebhookSubscription struct {
	// Merchant whose account subscribes; empty (and no Wallet) means
	// "default", the seeded Sandbox Merchant. Fixture merchants share its
	// account.
	Merchant string `yaml:"merchant"`
	// Wallet whose account subscribes, instead of a merchant ("payap" is
	// the seeded Payap wallet).
	Wallet string `yaml:"wallet"`
	// URL receives the deliveries; empty means the sandbox's own sink,
	// /__sandbox/webhook-sink/NAME on the mock Centrapay, NAME being the
	// merchant's or wallet's id. Deliveries are journalled as the mock
	// Centrapay's outbound exchanges either way.
	URL string `yaml:"url"`
	// EventTypes are payment-request:paid, payment-request:refund-initiated
	// and payment-request:refund-completed; empty means all three.
	EventTypes []string `yaml:"eventTypes"`
}

// WebhookEventTypes are the event types a subscription can name.
var WebhookEventTypes = []string{"payment-request:paid", "payment-request:refund-initiated", "payment-request:refund-completed"}

// Merchant is a merchant with one merchant config, owned by the seeded
// Sandbox Merchant account.
type Merchant struct {
	// ID is how steps and API keys refer to the merchant (paymentRequest's
	// merchant); "default" is the seeded Sandbox Merchant.
	ID   string `yaml:"id" scenario:"required"`
	Name string `yaml:"name" scenario:"required"`
	// ExternalMerchantID is the merchantId the provider sees in a
	// Transaction Attempt; empty means the ID.
	ExternalMerchantID string `yaml:"externalMerchantId"`
	// AssetTypes are the payment options its config accepts; empty means
	// what the seeded merchant accepts (centrapay.nzd.test and every Payap
	// asset type).
	AssetTypes []string `yaml:"assetTypes"`
}

// Wallet is a Centrapay wallet (a consumer app, like the seeded "payap"),
// owned by an account of its own.
type Wallet struct {
	ID   string `yaml:"id" scenario:"required"`
	Name string `yaml:"name" scenario:"required"`
	// AssetTypes the wallet supports; empty means every Payap asset type.
	AssetTypes []string `yaml:"assetTypes"`
}

// APIKey is a Centrapay API key for a merchant's or a wallet's account.
type APIKey struct {
	// Key is the secret sent as X-Api-Key.
	Key string `yaml:"key" scenario:"required"`
	// Role is account-owner or merchant-terminal.
	Role string `yaml:"role" scenario:"required"`
	// Merchant whose account the key belongs to; empty (and no Wallet)
	// means "default", the seeded Sandbox Merchant.
	Merchant string `yaml:"merchant"`
	// Wallet whose account the key belongs to, instead of a merchant.
	Wallet string `yaml:"wallet"`
}

// The services a fault can be injected into.
const (
	ServiceProvider  = "provider"
	ServicePayap     = "payap"
	ServiceCentrapay = "centrapay"
)

// Services are the known service names, in banner order.
var Services = []string{ServiceProvider, ServicePayap, ServiceCentrapay}

// Fault is one fault rule: requests to Service that Match, on the calls
// When selects, get Do instead of (or on top of) the service's answer.
type Fault struct {
	// Name labels the fault in the journal and the hit counts. Load fills
	// an empty name with the fault's position, "faults[2]".
	Name    string `yaml:"name"`
	Service string `yaml:"service" scenario:"required"`
	Match   Match  `yaml:"match" scenario:"required"`
	// When picks which matching calls fire; empty means every one.
	When When   `yaml:"when"`
	Do   Action `yaml:"do" scenario:"required"`
}

// Match selects requests. Every field given must match.
type Match struct {
	// Method is upper case (GET, POST…); empty matches any.
	Method string `yaml:"method"`
	// Path is a path template: literal segments and whole-segment
	// parameters, such as /assets/{assetId} or /token; a final /** matches
	// anything below (/api/**).
	Path string `yaml:"path" scenario:"required"`
	// Header values the request must carry (names are case-insensitive).
	Header map[string]string `yaml:"header"`
	// Query parameters the request must carry, with these values.
	Query map[string]string `yaml:"query"`
	// Body fields (top level of a JSON or form body) and their values.
	Body map[string]any `yaml:"body"`
}

// When picks which of the matching calls a fault fires on. Calls are
// counted per fault from 1. The conditions combine: a call fires when
// every condition given holds. The zero When fires on every call.
type When struct {
	// Nth fires on exactly these calls (1-based); not with Every or After.
	Nth []int `yaml:"nth"`
	// Every fires on every Every-th call (2: calls 2, 4, 6…).
	Every int `yaml:"every"`
	// After fires only after this many calls (2: from call 3 on).
	After int `yaml:"after"`
	// Times fires at most this many times; 0 means no limit.
	Times int `yaml:"times"`
	// Probability fires with this chance (0 < p <= 1), drawn from the
	// scenario's seed so a run repeats exactly; 0 means always.
	Probability float64 `yaml:"probability"`
	// Window fires only while the sandbox clock is inside it.
	Window *Window `yaml:"window"`
}

// Window is a span of sandbox time, From inclusive and To exclusive;
// either end may be open.
type Window struct {
	From *ClockPoint `yaml:"from"`
	To   *ClockPoint `yaml:"to"`
}

// Action is what a fault does. A fault has exactly one action family:
// a response (Status with optional Body and Headers), Drop, Hang, Truncate,
// Malformed, RateLimit, OAuthError, PayResult, ExpireGrant, RevokeGrant or
// WebhookFailure. Delay may stand alone or come with a response.
type Action struct {
	// Delay holds the request this long (or a random time in the range)
	// before it is answered.
	Delay *Delay `yaml:"delay"`
	// Status answers with this HTTP status (200 to 599) instead of the
	// service.
	Status int `yaml:"status"`
	// Body of that answer: a string is sent as is, anything else as JSON.
	// Needs Status.
	Body any `yaml:"body"`
	// Headers of that answer. Needs Status.
	Headers map[string]string `yaml:"headers"`
	// Drop closes the connection without an answer.
	Drop bool `yaml:"drop"`
	// Hang never answers: the request waits until the client gives up.
	Hang bool `yaml:"hang"`
	// Truncate sends only this many bytes (1 or more) of the service's
	// answer body, then closes the connection.
	Truncate int `yaml:"truncate"`
	// Malformed mangles the service's answer body so it no longer parses.
	Malformed bool `yaml:"malformed"`
	// RateLimit answers 429 Too Many Requests with Retry-After.
	RateLimit *RateLimit `yaml:"rateLimit"`
	// OAuthError answers an OAuth error of this code (RFC 6749 §5.2,
	// RFC 6750 §3.1) with its usual status; provider only.
	OAuthError string `yaml:"oauthError"`
	// PayResult overrides the result of a provider POST /pay.
	PayResult *PayResult `yaml:"payResult"`
	// ExpireGrant expires the user's access tokens at the provider, then
	// lets the request through.
	ExpireGrant *GrantRef `yaml:"expireGrant"`
	// RevokeGrant revokes the user's grant at the provider (its refresh
	// tokens stop working), then lets the request through.
	RevokeGrant *GrantRef `yaml:"revokeGrant"`
	// WebhookFailure makes Centrapay's webhook deliveries fail; centrapay
	// only, and Match.Path is the path of the webhook URL being delivered to.
	WebhookFailure *WebhookFailure `yaml:"webhookFailure"`
}

// The action families, in the order Families lists them. "response" is
// status, body and headers together.
const (
	FamilyDelay          = "delay"
	FamilyResponse       = "response"
	FamilyDrop           = "drop"
	FamilyHang           = "hang"
	FamilyTruncate       = "truncate"
	FamilyMalformed      = "malformed"
	FamilyRateLimit      = "rateLimit"
	FamilyOAuthError     = "oauthError"
	FamilyPayResult      = "payResult"
	FamilyExpireGrant    = "expireGrant"
	FamilyRevokeGrant    = "revokeGrant"
	FamilyWebhookFailure = "webhookFailure"
)

// Families lists the action families a loaded Action uses: at most two,
// and two only as delay plus response.
func (a Action) Families() []string {
	var fs []string
	add := func(on bool, f string) {
		if on {
			fs = append(fs, f)
		}
	}
	add(a.Delay != nil, FamilyDelay)
	add(a.Status != 0 || a.Body != nil || a.Headers != nil, FamilyResponse)
	add(a.Drop, FamilyDrop)
	add(a.Hang, FamilyHang)
	add(a.Truncate != 0, FamilyTruncate)
	add(a.Malformed, FamilyMalformed)
	add(a.RateLimit != nil, FamilyRateLimit)
	add(a.OAuthError != "", FamilyOAuthError)
	add(a.PayResult != nil, FamilyPayResult)
	add(a.ExpireGrant != nil, FamilyExpireGrant)
	add(a.RevokeGrant != nil, FamilyRevokeGrant)
	add(a.WebhookFailure != nil, FamilyWebhookFailure)
	return fs
}

// RateLimit answers 429 with a Retry-After header.
type RateLimit struct {
	// RetryAfter is the Retry-After value in seconds, 1 or more.
	RetryAfter int `yaml:"retryAfter" scenario:"required"`
}

// OAuthErrors are the codes OAuthError accepts: RFC 6749 §5.2 and
// §4.1.2.1, RFC 7009 §2.2.1 and RFC 6750 §3.1.
var OAuthErrors = []string{
	"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "access_denied",
	"unsupported_response_type", "server_error", "temporarily_unavailable",
	"unsupported_token_type", "invalid_token", "insufficient_scope",
}

// PayResult overrides what the provider's POST /pay answers.
type PayResult struct {
	// Status is failed (at once) or pending (then resolved by polling).
	Status string `yaml:"status" scenario:"required"`
	// FailureReason of a failed result, or of a pending one that ends
	// failed, such as INSUFFICIENT_ASSET_VALUE; required then.
	FailureReason string `yaml:"failureReason"`
	// ResolveAfterPolls: a pending payment resolves on this GET /get.
	// Load sets it to 1 for pending when empty.
	ResolveAfterPolls int `yaml:"resolveAfterPolls"`
	// Then is how a pending payment resolves: successful or failed. Load
	// sets it to successful for pending when empty.
	Then string `yaml:"then"`
}

// GrantRef names a provider user whose grant a fault expires or revokes.
type GrantRef struct {
	User string `yaml:"user" scenario:"required"`
}

// WebhookFailure is the status the webhook endpoint seems to answer.
type WebhookFailure struct {
	Status int `yaml:"status" scenario:"required"`
}

// Step is one step of a flow: exactly one of its fields is set. Kind names
// which.
type Step struct {
	// Connect runs Connect: sign in to Payap, consent at the provider.
	Connect *ConnectStep `yaml:"connect"`
	// Fetch reads the Payap wallet (balances live from the provider).
	Fetch *FetchStep `yaml:"fetch"`
	// PaymentRequest has a merchant create a Centrapay payment request.
	PaymentRequest *PaymentRequestStep `yaml:"paymentRequest"`
	// Pay pays a payment request through Payap with a provider asset.
	Pay *PayStep `yaml:"pay"`
	// Refund has the merchant refund (part of) a paid payment request.
	Refund *RefundStep `yaml:"refund"`
	// Void has the merchant void a paid payment request: every payment is
	// refunded and the request is cancelled.
	Void *VoidStep `yaml:"void"`
	// Cancel has the merchant cancel a payment request before it is paid.
	Cancel *CancelStep `yaml:"cancel"`
	// AdvanceClock moves the sandbox clock forward.
	AdvanceClock *time.Duration `yaml:"advanceClock"`
	// SetBalance sets a provider asset's balance directly.
	SetBalance *SetBalanceStep `yaml:"setBalance"`
	// RevokeGrant revokes a provider user's grant, as the user would.
	RevokeGrant *RevokeGrantStep `yaml:"revokeGrant"`
	// Expect checks the state of the sandbox.
	Expect *ExpectStep `yaml:"expect"`
}

// StepKinds are the step keys, in the order the model lists them.
var StepKinds = []string{
	"connect", "fetch", "paymentRequest", "pay", "refund", "void", "cancel",
	"advanceClock", "setBalance", "revokeGrant", "expect",
}

// Kind is the step's key (connect, fetch, …), or "" for the zero Step.
func (s Step) Kind() string {
	switch {
	case s.Connect != nil:
		return "connect"
	case s.Fetch != nil:
		return "fetch"
	case s.PaymentRequest != nil:
		return "paymentRequest"
	case s.Pay != nil:
		return "pay"
	case s.Refund != nil:
		return "refund"
	case s.Void != nil:
		return "void"
	case s.Cancel != nil:
		return "cancel"
	case s.AdvanceClock != nil:
		return "advanceClock"
	case s.SetBalance != nil:
		return "setBalance"
	case s.RevokeGrant != nil:
		return "revokeGrant"
	case s.Expect != nil:
		return "expect"
	}
	return ""
}

// oneOf marks Step for the decoder: a mapping with exactly one key.
func (Step) oneOf() {}

// The OAuth scopes a user can grant.
const (
	ScopeRead = "assets:read"
	ScopePay  = "assets:pay"
)

// DemoPayapUser is the seeded Payap login steps act as by default.
const DemoPayapUser = "demo@payap.test"

// DefaultMerchant is the seeded Sandbox Merchant's name in scenarios.
const DefaultMerchant = "default"

// ConnectStep connects a provider user's assets to a Payap user's wallet.
type ConnectStep struct {
	// User is the provider username who signs in and consents.
	User string `yaml:"user" scenario:"required"`
	// PayapUser is the Payap login (e-mail) whose wallet gets the assets.
	PayapUser string `yaml:"payapUser" default:"demo@payap.test"`
	// Grant are the scopes the user leaves ticked; Load sets both
	// (assets:read, assets:pay) when empty and Deny is false.
	Grant []string `yaml:"grant"`
	// Deny presses Deny on the consent page instead.
	Deny   bool           `yaml:"deny"`
	Expect *ConnectExpect `yaml:"expect"`
}

// ConnectExpect is what Connect must end with.
type ConnectExpect struct {
	// Outcome is connected or failed.
	Outcome string `yaml:"outcome"`
	// Error is the OAuth error of a failed Connect, such as access_denied.
	Error string `yaml:"error"`
	// CanPay is whether the connection may pay (assets:pay was granted).
	CanPay *bool `yaml:"canPay"`
}

// FetchStep reads the Payap user's wallet.
type FetchStep struct {
	PayapUser string       `yaml:"payapUser" default:"demo@payap.test"`
	Expect    *FetchExpect `yaml:"expect"`
}

// FetchExpect is what the wallet must hold.
type FetchExpect struct {
	// Assets is how many wallet entries there are.
	Assets *int `yaml:"assets"`
	// Balances maps provider asset ids to their expected balances.
	Balances map[string]Amount `yaml:"balances"`
}

// PaymentRequestStep has a merchant create a payment request.
type PaymentRequestStep struct {
	// Merchant is a fixture merchant's id or "default".
	Merchant string `yaml:"merchant" default:"default"`
	// Amount in minor units, as a string of digits.
	Amount   Amount `yaml:"amount" scenario:"required"`
	Currency string `yaml:"currency" default:"NZD"`
	// ExpirySeconds is how long the request stays payable; 0 means
	// Centrapay's default.
	ExpirySeconds int `yaml:"expirySeconds"`
	// As names the request so later steps can refer to it; steps that name
	// no request use the latest one.
	As string `yaml:"as"`
}

// PayStep pays a payment request with a connected provider asset.
type PayStep struct {
	// Asset is the provider asset id to pay with.
	Asset string `yaml:"asset" scenario:"required"`
	// Request is a payment request's as-name; empty means the latest.
	Request   string   `yaml:"request"`
	PayapUser string   `yaml:"payapUser" default:"demo@payap.test"`
	Expect    *Outcome `yaml:"expect"`
}

// RefundStep has the merchant refund a payment request.
type RefundStep struct {
	Request string   `yaml:"request"`
	Amount  Amount   `yaml:"amount" scenario:"required"`
	Expect  *Outcome `yaml:"expect"`
}

// VoidStep has the merchant void a paid payment request.
type VoidStep struct {
	Request string   `yaml:"request"`
	Expect  *Outcome `yaml:"expect"`
}

// CancelStep has the merchant cancel an unpaid payment request.
type CancelStep struct {
	Request string   `yaml:"request"`
	Expect  *Outcome `yaml:"expect"`
}

// Outcome is what a pay, refund, void or cancel must end with.
type Outcome struct {
	// Status: for pay successful, failed or pending; for refund successful
	// or failed; for void and cancel the payment request's status after it
	// (new, paid, cancelled, expired).
	Status string `yaml:"status"`
	// FailureReason of a failed payment or refund, or the error code of an
	// error answer, such as INSUFFICIENT_ASSET_VALUE or REQUEST_EXPIRED.
	FailureReason string `yaml:"failureReason"`
	// HTTPStatus of the answer.
	HTTPStatus int `yaml:"httpStatus"`
}

// SetBalanceStep sets a provider asset's balance.
type SetBalanceStep struct {
	Asset   string `yaml:"asset" scenario:"required"`
	Balance Amount `yaml:"balance" scenario:"required"`
}

// RevokeGrantStep revokes a provider user's grant.
type RevokeGrantStep struct {
	User string `yaml:"user" scenario:"required"`
}

// ExpectStep checks the sandbox's state; at least one check is given.
type ExpectStep struct {
	PaymentRequest *PaymentRequestExpect `yaml:"paymentRequest"`
	Balance        *BalanceExpect        `yaml:"balance"`
	Journal        *JournalExpect        `yaml:"journal"`
}

// PaymentRequestExpect checks a payment request's status at Centrapay.
type PaymentRequestExpect struct {
	// Name is the request's as-name; empty means the latest.
	Name string `yaml:"name"`
	// Status is new, paid, cancelled or expired.
	Status string `yaml:"status" scenario:"required"`
}

// BalanceExpect checks a provider asset's balance.
type BalanceExpect struct {
	Asset  string `yaml:"asset" scenario:"required"`
	Equals Amount `yaml:"equals" scenario:"required"`
}

// JournalExpect counts journal entries. Every field given must match.
type JournalExpect struct {
	Service string `yaml:"service" scenario:"required"`
	Method  string `yaml:"method"`
	// Path is a path template, as in a fault's match.
	Path   string `yaml:"path"`
	Status int    `yaml:"status"`
	// Fault is the name of the fault that fired on the entry.
	Fault string `yaml:"fault"`
	// Count is the exact number of matching entries; nil means at least one.
	Count *int `yaml:"count"`
}

// Amount is money or points in minor units. In YAML it is a string of
// digits ("1200"), never a number, so no value is ever a float.
type Amount int64

// String is the amount as the string of digits it is written as.
func (a Amount) String() string { return strconv.FormatInt(int64(a), 10) }

// Delay is a fixed delay (Min == Max) or a range to draw from.
type Delay struct {
	Min, Max time.Duration
}

// String is the delay as written: "1500ms" or "100ms-2s".
func (d Delay) String() string {
	if d.Min == d.Max {
		return d.Min.String()
	}
	return d.Min.String() + "-" + d.Max.String()
}

// ClockPoint is a point on the sandbox clock: an Offset from the clock's
// start when the scenario is applied (Scenario.Clock when it is set), or
// an absolute Time when Absolute is set. In YAML it is a duration ("30s")
// or an RFC 3339 time.
type ClockPoint struct {
	Offset   time.Duration
	Time     time.Time
	Absolute bool
}

// At resolves the point against the clock's start.
func (p ClockPoint) At(start time.Time) time.Time {
	if p.Absolute {
		return p.Time
	}
	return start.Add(p.Offset)
}

// String is the point as written.
func (p ClockPoint) String() string {
	if p.Absolute {
		return p.Time.Format(time.RFC3339Nano)
	}
	return p.Offset.String()
}

// Pos is a place in a scenario file. Line and Column start at 1.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Problem is one thing wrong with a scenario file.
type Problem struct {
	Pos Pos
	// Path is the field's path, such as faults[1].when.probability or
	// steps[3]; empty for the file as a whole.
	Path    string
	Message string
}

// String is "file:line:column: path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Pos.String() + ": " + p.Message
	}
	return p.Pos.String() + ": " + p.Path + ": " + p.Message
}

// Error lists every problem of one scenario file, sorted by position.
type Error struct {
	File     string
	Problems []Problem
}

// Error is one problem a line.
func (e *Error) Error() string {
	var b []byte
	for i, p := range e.Problems {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, p.String()...)
	}
	return string(b)
}
