// Package frontend is a client of the sandbox's public HTTP APIs, acting as
// the front ends a user would build: a wallet app on the mock Payap's app
// API (sign in, connect, wallet, pay), a browser at the provider's login and
// consent pages, and a merchant's point of sale on the mock Centrapay API
// (payment requests, refund, void). The scenario runner and the TUI drive
// the sandbox through it, so what they do and show is what a front end
// would do and see.
package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/browser"
)

// URLs are the base URLs of the three services.
type URLs struct {
	Provider, Payap, Centrapay string
}

// Client calls the sandbox's services. It is safe for concurrent use.
type Client struct {
	urls      URLs
	http      *http.Client
	transport http.RoundTripper
}

// New returns a client of the services at urls. hc may be nil: a client with
// a 30 s timeout that does not follow redirects.
func New(urls URLs, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{urls: urls, http: &noRedirect, transport: hc.Transport}
}

// URLs returns the base URLs the client calls.
func (c *Client) URLs() URLs { return c.urls }

// Error is an answer outside 2xx. Code is the service's machine code: the
// mock Payap's error.code, the mock Centrapay's message (its business code,
// such as REQUEST_EXPIRED) or an OAuth error.
type Error struct {
	Method, URL string
	Status      int
	Code        string
	Message     string
	Body        []byte
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %d", e.Method, e.URL, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" && e.Message != e.Code {
		msg += ": " + e.Message
	}
	return msg
}

// StatusOf is the HTTP status of err's answer, or 0 when err is not an
// answer (nil, or the request failed).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// CodeOf is the machine code of err's answer, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// do sends a JSON request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, target string, header http.Header, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answerError(method, target, resp.StatusCode, data)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, target, err)
	}
	return nil
}

// answerError reads the error shapes of the three services.
func answerError(method, target string, status int, body []byte) *Error {
	e := &Error{Method: method, URL: target, Status: status, Body: body}
	var shapes struct {
		Error      json.RawMessage `json:"error"`
		Message    string          `json:"message"`
		StatusCode int             `json:"statusCode"`
		Desc       string          `json:"error_description"`
	}
	if json.Unmarshal(body, &shapes) != nil {
		e.Message = strings.TrimSpace(string(body))
		return e
	}
	var payap struct{ Code, Message string }
	var oauth string
	switch {
	case json.Unmarshal(shapes.Error, &payap) == nil && payap.Code != "":
		e.Code, e.Message = payap.Code, payap.Message
	case shapes.StatusCode != 0: // Centrapay: the business code is the message
		e.Code = shapes.Message
		if json.Unmarshal(shapes.Error, &oauth) == nil {
			e.Message = oauth
		}
	case json.Unmarshal(shapes.Error, &oauth) == nil:
		e.Code, e.Message = oauth, shapes.Desc
	}
	return e
}

// Session is a signed-in Payap app user.
type Session struct {
	Email string
	Token string
}

func (s Session) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + s.Token}}
}

// SignIn signs in to the Payap app API.
func (c *Client) SignIn(ctx context.Context, email, password string) (Session, error) {
	var out struct{ Token string }
	err := c.do(ctx, http.MethodPost, c.urls.Payap+"/api/sessions", nil,
		map[string]string{"email": email, "password": password}, &out)
	return Session{Email: email, Token: out.Token}, err
}

// Problem is the mock Payap's reason something is unavailable.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Connection is a link between a Payap user and a provider account.
type Connection struct {
	ID        string   `json:"id"`
	AssetType string   `json:"assetType"`
	Status    string   `json:"status"`
	Scope     string   `json:"scope"`
	CanPay    bool     `json:"canPay"`
	AuthURL   string   `json:"authorizationUrl"`
	Problem   *Problem `json:"problem"`
}

// AssetType is a provider registered with the mock Payap.
type AssetType struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	ProviderURL string `json:"providerUrl"`
}

// list is the mock Payap's list envelope.
type list[T any] struct {
	Items []T `json:"items"`
}

// AssetTypes lists the asset types a user can connect.
func (c *Client) AssetTypes(ctx context.Context, s Session) ([]AssetType, error) {
	var out list[AssetType]
	err := c.do(ctx, http.MethodGet, c.urls.Payap+"/api/asset-types", s.header(), nil, &out)
	return out.Items, err
}

// StartConnect creates a connection and returns it with the provider's
// authorization URL, which a browser opens. An empty assetType takes the
// first one the mock Payap lists.
func (c *Client) StartConnect(ctx context.Context, s Session, assetType string) (Connection, error) {
	if assetType == "" {
		types, err := c.AssetTypes(ctx, s)
		if err != nil {
			return Connection{}, err
		}
		if len(types) == 0 {
			return Connection{}, errors.New("the mock Payap lists no asset type to connect")
		}
		assetType = types[0].Name
	}
	var out Connection
	err := c.do(ctx, http.MethodPost, c.urls.Payap+"/api/connections", s.header(),
		map[string]string{"assetType": assetType}, &out)
	return out, err
}

// Consent is what the user does on the provider's pages.
type Consent struct {
	Username, Password string
	// Grant are the scopes left ticked; empty leaves every scope asked.
	Grant []string
	// Deny presses Deny.
	Deny bool
}

// ConnectResult is how a Connect ended.
type ConnectResult struct {
	Connection Connection
	// Outcome is "connected" or "failed".
	Outcome string
	// Error is the OAuth error the provider redirected with (access_denied)
	// or the mock Payap's error code for a failed callback.
	Error string
	// Description says more about Error.
	Description string
}

// Connect runs the whole Connect flow: start the connection, sign in and
// decide at the provider's pages as a browser would, follow the redirect to
// the mock Payap's callback, and read the connection back. A flow that ends
// in an OAuth error is a result with Outcome "failed", not a Go error.
func (c *Client) Connect(ctx context.Context, s Session, assetType string, d Consent) (ConnectResult, error) {
	conn, err := c.StartConnect(ctx, s, assetType)
	if err != nil {
		return ConnectResult{}, err
	}
	return c.CompleteConnect(ctx, s, conn, d)
}

// CompleteConnect is Connect after StartConnect: the browser's part and the
// callback. Each call is a fresh browser, signed in to nothing, so the
// provider asks d's user to sign in.
func (c *Client) CompleteConnect(ctx context.Context, s Session, conn Connection, d Consent) (ConnectResult, error) {
	loc, err := browser.New(c.transport).Authorize(ctx, conn.AuthURL, browser.Decision{
		Username: d.Username, Password: d.Password, Grant: d.Grant, Deny: d.Deny,
	})
	if err != nil {
		return ConnectResult{}, fmt.Errorf("at the provider's pages: %w", err)
	}
	res := ConnectResult{Connection: conn, Outcome: "failed"}
	outcome, code, desc, err := c.callback(ctx, loc)
	if err != nil {
		return res, err
	}
	res.Error, res.Description = code, desc
	if got, err := c.Connection(ctx, s, conn.ID); err == nil {
		res.Connection = got
	} else if StatusOf(err) != http.StatusNotFound {
		return res, err
	}
	if outcome == "connected" && res.Connection.Status == "connected" {
		res.Outcome = "connected"
	}
	return res, nil
}

// callback follows the provider's redirect to the mock Payap's callback and
// reads the outcome: from its JSON answer, or from the query of its 303 to
// the front end's return URL when one is configured.
func (c *Client) callback(ctx context.Context, loc *url.URL) (outcome, code, desc string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return "", "", "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", "", fmt.Errorf("following the redirect to %s: %w", loc.Redacted(), err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		back, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return "", "", "", fmt.Errorf("the callback redirected to an unreadable Location: %w", err)
		}
		q := back.Query()
		return q.Get("outcome"), q.Get("error"), q.Get("message"), nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := answerError(http.MethodGet, loc.Redacted(), resp.StatusCode, data)
		code := e.Code
		if code == "" {
			code = loc.Query().Get("error")
		}
		return "failed", code, e.Message, nil
	}
	var cb struct {
		Outcome string `json:"outcome"`
	}
	_ = json.Unmarshal(data, &cb)
	return cb.Outcome, "", "", nil
}

// Reconnect puts a connection that needs it (reconnect_required) back
// through consent: the answer carries a fresh authorization URL for
// CompleteConnect.
func (c *Client) Reconnect(ctx context.Context, s Session, id string) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodPost, c.urls.Payap+"/api/connections/"+url.PathEscape(id)+"/reconnect", s.header(), nil, &out)
	return out, err
}

// Connection reads one connection.
func (c *Client) Connection(ctx context.Context, s Session, id string) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodGet, c.urls.Payap+"/api/connections/"+url.PathEscape(id), s.header(), nil, &out)
	return out, err
}

// Connections lists the user's connections.
func (c *Client) Connections(ctx context.Context, s Session) ([]Connection, error) {
	var out list[Connection]
	err := c.do(ctx, http.MethodGet, c.urls.Payap+"/api/connections", s.header(), nil, &out)
	return out.Items, err
}

// WalletItem is one wallet entry with its live balance.
type WalletItem struct {
	ID           string   `json:"id"`
	ConnectionID string   `json:"connectionId"`
	AssetType    string   `json:"assetType"`
	AssetID      string   `json:"assetId"`
	Description  string   `json:"description"`
	Balance      *string  `json:"balance"`
	Status       string   `json:"status"`
	CanPay       bool     `json:"canPay"`
	Problem      *Problem `json:"problem"`
}

// Wallet reads the user's wallet; balances are fetched live from the
// provider.
func (c *Client) Wallet(ctx context.Context, s Session) ([]WalletItem, error) {
	var out list[WalletItem]
	err := c.do(ctx, http.MethodGet, c.urls.Payap+"/api/wallet", s.header(), nil, &out)
	return out.Items, err
}

// Money is an amount in minor units with its currency, as Centrapay writes
// it.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// PaymentRequest is a Centrapay payment request, as the merchant reads it.
type PaymentRequest struct {
	ID                 string `json:"id"`
	ShortCode          string `json:"shortCode"`
	Value              Money  `json:"value"`
	MerchantID         string `json:"merchantId"`
	MerchantName       string `json:"merchantName"`
	ConfigID           string `json:"configId"`
	Status             string `json:"status"`
	ExpiresAt          string `json:"expiresAt"`
	RemainingAmount    string `json:"remainingAmount"`
	CancellationReason string `json:"cancellationReason"`
}

// PaymentRequestOptions are what a merchant asks for.
type PaymentRequestOptions struct {
	ConfigID string
	Amount   int64
	Currency string
	// ExpirySeconds: 0 takes Centrapay's default.
	ExpirySeconds int
}

// CreatePaymentRequest has a merchant (apiKey) create a payment request.
func (c *Client) CreatePaymentRequest(ctx context.Context, apiKey string, o PaymentRequestOptions) (PaymentRequest, error) {
	body := map[string]any{
		"configId": o.ConfigID,
		"value":    Money{Amount: strconv.FormatInt(o.Amount, 10), Currency: o.Currency},
	}
	if o.ExpirySeconds > 0 {
		body["expirySeconds"] = o.ExpirySeconds
	}
	var out PaymentRequest
	err := c.do(ctx, http.MethodPost, c.urls.Centrapay+"/api/payment-requests", keyHeader(apiKey), body, &out)
	return out, err
}

// PaymentRequest reads a payment request.
func (c *Client) PaymentRequest(ctx context.Context, apiKey, id string) (PaymentRequest, error) {
	var out PaymentRequest
	err := c.do(ctx, http.MethodGet, c.urls.Centrapay+"/api/payment-requests/"+url.PathEscape(id), keyHeader(apiKey), nil, &out)
	return out, err
}

// Activity is what Centrapay answers a refund or void with.
type Activity struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value Money  `json:"value"`
}

// Refund has the merchant refund amount of a paid payment request.
// externalRef makes the refund idempotent; empty generates one.
func (c *Client) Refund(ctx context.Context, apiKey, id string, amount int64, currency, externalRef string) (Activity, error) {
	if externalRef == "" {
		externalRef = fmt.Sprintf("refund-%d", time.Now().UnixNano())
	}
	var out Activity
	err := c.do(ctx, http.MethodPost, c.urls.Centrapay+"/api/payment-requests/"+url.PathEscape(id)+"/refund", keyHeader(apiKey),
		map[string]any{"value": Money{Amount: strconv.FormatInt(amount, 10), Currency: currency}, "externalRef": externalRef}, &out)
	return out, err
}

// Void has the merchant void a payment request: a paid one is refunded in
// full, an unpaid one is cancelled.
func (c *Client) Void(ctx context.Context, apiKey, id string) (Activity, error) {
	var out Activity
	err := c.do(ctx, http.MethodPost, c.urls.Centrapay+"/api/payment-requests/"+url.PathEscape(id)+"/void", keyHeader(apiKey), nil, &out)
	return out, err
}

func keyHeader(apiKey string) http.Header { return http.Header{"X-Api-Key": {apiKey}} }

// Payment is a payment made through the mock Payap.
type Payment struct {
	ID                    string `json:"id"`
	PaymentRequestID      string `json:"paymentRequestId"`
	WalletEntryID         string `json:"walletEntryId"`
	Amount                string `json:"amount"`
	Currency              string `json:"currency"`
	MerchantName          string `json:"merchantName"`
	TransactionID         string `json:"transactionId"`
	Status                string `json:"status"`
	FailureReason         string `json:"failureReason"`
	ProviderFailureReason string `json:"providerFailureReason"`
}

// Pay pays a payment request with a wallet entry, through the mock Payap.
func (c *Client) Pay(ctx context.Context, s Session, paymentRequestID, walletEntryID string) (Payment, error) {
	var out Payment
	err := c.do(ctx, http.MethodPost, c.urls.Payap+"/api/payments", s.header(),
		map[string]string{"paymentRequestId": paymentRequestID, "walletEntryId": walletEntryID}, &out)
	return out, err
}

// Payment reads a payment again; a pending one is polled at the provider.
func (c *Client) Payment(ctx context.Context, s Session, id string) (Payment, error) {
	var out Payment
	err := c.do(ctx, http.MethodGet, c.urls.Payap+"/api/payments/"+url.PathEscape(id), s.header(), nil, &out)
	return out, err
}
