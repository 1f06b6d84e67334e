package mockcentrapay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook event types: the only three Centrapay sends (§4.8).
const (
	WebhookEventPaid            = "payment-request:paid"
	WebhookEventRefundInitiated = "payment-request:refund-initiated"
	WebhookEventRefundCompleted = "payment-request:refund-completed"
)

// webhookEventTypes lists the event types in the documented order.
var webhookEventTypes = []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}

// Notification delivery states, as GET /api/webhook-notifications shows them.
const (
	webhookPending   = "pending"
	webhookDelivered = "delivered"
	webhookFailed    = "failed"
)

// webhookMaxURL caps a subscription URL.
const webhookMaxURL = 2048

// webhookState is the webhooks area's state; see MemStore.
type webhookState struct {
	subs  map[string]*webhookSubscription   // by account id
	notes map[string][]*webhookNotification // by account id, oldest first
	// busy marks accounts whose notifications a delivery goroutine holds, so
	// that one subscriber receives one delivery at a time.
	busy map[string]bool
}

func newWebhookState() webhookState {
	return webhookState{
		subs:  map[string]*webhookSubscription{},
		notes: map[string][]*webhookNotification{},
		busy:  map[string]bool{},
	}
}

// webhookSubscription is an account's webhook endpoint and the event types
// it receives.
//
// Sandbox extension: the real service sets subscriptions up through support
// (§4.8), so the shape {url, eventTypes, createdAt, updatedAt} is the mock's
// own. One subscription per account.
type webhookSubscription struct {
	URL        string    `json:"url"`
	EventTypes []string  `json:"eventTypes"`
	CreatedAt  Timestamp `json:"createdAt"`
	UpdatedAt  Timestamp `json:"updatedAt"`
}

// webhookNotification is one notification and its delivery record. Its body
// is marshalled once, when it is created, so every attempt sends the same
// bytes under the same id (at-least-once delivery: receivers dedupe on id).
type webhookNotification struct {
	id        string
	accountID string
	eventType string
	createdAt time.Time
	body      []byte

	state         string
	attempts      int
	lastStatus    int
	lastError     string
	lastURL       string
	nextAttemptAt time.Time // while pending
	deliveredAt   time.Time
	inFlight      bool // a delivery goroutine holds it
}

// webhookNotificationBody is the documented Notification (§4.8) as POSTed to
// the subscriber.
type webhookNotificationBody struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Data      any       `json:"data"`
	AccountID string    `json:"accountId"`
	Test      bool      `json:"test"`
	CreatedAt Timestamp `json:"createdAt"`
}

// webhookNotificationView is one item of GET /api/webhook-notifications
// (sandbox extension): the delivery record plus, in body, the notification
// exactly as sent. lastStatus is absent when the last attempt got no HTTP
// answer (timeout, connection error) or none was made; nextAttemptAt only
// while pending; url is the endpoint of the last attempt.
type webhookNotificationView struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	State         string          `json:"state"`
	Attempts      int             `json:"attempts"`
	LastStatus    int             `json:"lastStatus,omitempty"`
	LastError     string          `json:"lastError,omitempty"`
	URL           string          `json:"url,omitempty"`
	NextAttemptAt *Timestamp      `json:"nextAttemptAt,omitempty"`
	DeliveredAt   *Timestamp      `json:"deliveredAt,omitempty"`
	CreatedAt     Timestamp       `json:"createdAt"`
	Body          json.RawMessage `json:"body"`
}

func (n *webhookNotification) view() webhookNotificationView {
	v := webhookNotificationView{
		ID:        n.id,
		Type:      n.eventType,
		State:     n.state,
		Attempts:  n.attempts,
		URL:       n.lastURL,
		CreatedAt: ts(n.createdAt),
		Body:      json.RawMessage(n.body),
	}
	v.LastStatus, v.LastError = n.lastStatus, n.lastError
	if n.state == webhookPending {
		t := ts(n.nextAttemptAt)
		v.NextAttemptAt = &t
	}
	if !n.deliveredAt.IsZero() {
		t := ts(n.deliveredAt)
		v.DeliveredAt = &t
	}
	return v
}

// SetWebhookSubscription sets accountID's webhook subscription, as PUT
// /api/webhook-subscriptions does, for seeding from code. url must be an
// absolute https URL, or http on a loopback host; eventTypes a non-empty
// subset of the three documented types.
func (s *MemStore) SetWebhookSubscription(accountID, url string, eventTypes []string, now time.Time) error {
	types, e := checkWebhookSubscription(url, eventTypes)
	if e != nil {
		return errors.New("mockcentrapay: webhook subscription: " + e.Message)
	}
	if _, ok := s.account(accountID); !ok {
		return fmt.Errorf("mockcentrapay: webhook subscription: no account %q", accountID)
	}
	s.putWebhookSubscription(accountID, url, types, now)
	return nil
}

func (s *MemStore) putWebhookSubscription(accountID, url string, eventTypes []string, now time.Time) webhookSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.webhooks.subs[accountID]
	if !ok {
		sub = &webhookSubscription{CreatedAt: ts(now)}
		s.webhooks.subs[accountID] = sub
	}
	sub.URL, sub.EventTypes, sub.UpdatedAt = url, slices.Clone(eventTypes), ts(now)
	return sub.clone()
}

func (s *MemStore) webhookSubscription(accountID string) (webhookSubscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.webhooks.subs[accountID]
	if !ok {
		return webhookSubscription{}, false
	}
	return sub.clone(), true
}

func (sub *webhookSubscription) clone() webhookSubscription {
	c := *sub
	c.EventTypes = slices.Clone(sub.EventTypes)
	return c
}

// webhookNotifications lists an account's notifications, newest first.
func (s *MemStore) webhookNotifications(accountID string) []webhookNotificationView {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.webhooks.notes[accountID]
	out := make([]webhookNotificationView, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].view())
	}
	return out
}

// checkWebhookSubscription validates a subscription and returns its event
// types without duplicates, in the order given.
func checkWebhookSubscription(rawURL string, eventTypes []string) ([]string, *apiError) {
	if e := checkWebhookURLField(rawURL); e != nil {
		return nil, e
	}
	return checkWebhookEventTypes(eventTypes)
}

func checkWebhookURLField(rawURL string) *apiError {
	if rawURL == "" {
		return errBadRequest("url is required")
	}
	if msg := checkWebhookURL(rawURL); msg != "" {
		return errBadRequest(msg)
	}
	return nil
}

// checkWebhookEventTypes: nil is missing, empty is refused, duplicates are
// dropped.
func checkWebhookEventTypes(eventTypes []string) ([]string, *apiError) {
	if eventTypes == nil {
		return nil, errBadRequest("eventTypes is required")
	}
	if len(eventTypes) == 0 {
		return nil, errBadRequest("eventTypes must list at least one event type: " + strings.Join(webhookEventTypes, ", "))
	}
	out := make([]string, 0, len(eventTypes))
	for i, t := range eventTypes {
		if !slices.Contains(webhookEventTypes, t) {
			return nil, errBadRequest(fmt.Sprintf("eventTypes[%d] %q is not a webhook event type; use %s", i, t, strings.Join(webhookEventTypes, ", ")))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkWebhookURL returns what is wrong with a subscription URL, or "".
// Deliveries go over HTTPS (§4.8); plain http is allowed only to a loopback
// host (localhost, *.localhost, 127.0.0.0/8, ::1) so that a receiver on the
// developer's machine can be used.
func checkWebhookURL(raw string) string {
	const want = "url must be an absolute https URL such as https://example.com/webhooks (http only for a loopback host: localhost, 127.0.0.1 or [::1])"
	if len(raw) > webhookMaxURL {
		return fmt.Sprintf("url must be at most %d characters", webhookMaxURL)
	}
	if strings.TrimSpace(raw) != raw {
		return want
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Hostname() == "" {
		return want
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return ""
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return ""
		}
	}
	return want
}

func isLoopbackHost(host string) bool {
	h := strings.ToLower(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// webhookAudience is the aud of a delivery's JWT: the receiver's base URL,
// scheme://host[:port] exactly as the subscription URL writes the host, with
// no path. C14: the docs call aud the endpoint URL but tell receivers to
// compare it with their base URL; the base URL is what a receiver checks.
func webhookAudience(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host, nil
}

// whMaxBody caps a request body.
const whMaxBody = 1 << 20

// whReadObject reads a JSON object body into its fields. Unknown fields are
// kept and ignored by the caller, as the real API ignores them.
func whReadObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, whMaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errBadRequest("the body is larger than 1 MiB")
		}
		return nil, errBadRequest("the body could not be read")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, errBadRequest("the body is empty; send a JSON object")
	}
	if !json.Valid(b) {
		return nil, errBadRequest("the body is not valid JSON")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return nil, errBadRequest("the body must be a JSON object")
	}
	return fields, nil
}

// whPresent reports whether a field was sent with a non-null value.
func whPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

func (c *centrapay) handleGetWebhookSubscription(w http.ResponseWriter, r *http.Request, p principal) {
	sub, ok := c.store.webhookSubscription(p.Account.ID)
	if !ok {
		// No subscription reads like any other missing resource (§4.1).
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, sub)
}

// handlePutWebhookSubscription creates or replaces the caller's
// subscription (account-owner keys only). Errors are 400 naming the field;
// url is checked before eventTypes, and nothing is written on an error.
func (c *centrapay) handlePutWebhookSubscription(w http.ResponseWriter, r *http.Request, p principal) {
	rawURL, types, e := whReadSubscription(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, c.store.putWebhookSubscription(p.Account.ID, rawURL, types, c.clock.Now()))
}

func whReadSubscription(w http.ResponseWriter, r *http.Request) (string, []string, *apiError) {
	fields, e := whReadObject(w, r)
	if e != nil {
		return "", nil, e
	}
	var rawURL string
	if raw := fields["url"]; whPresent(raw) {
		if err := json.Unmarshal(raw, &rawURL); err != nil {
			return "", nil, errBadRequest("url must be a string")
		}
	}
	if e := checkWebhookURLField(rawURL); e != nil {
		return "", nil, e
	}
	var eventTypes []string
	if raw := fields["eventTypes"]; whPresent(raw) {
		if err := json.Unmarshal(raw, &eventTypes); err != nil {
			return "", nil, errBadRequest("eventTypes must be an array of strings")
		}
		if eventTypes == nil {
			eventTypes = []string{}
		}
	}
	types, e := checkWebhookEventTypes(eventTypes)
	return rawURL, types, e
}

// handleListWebhookNotifications lists the caller's account's notifications,
// newest first, in one page (at most webhookMaxPerAccount are kept).
func (c *centrapay) handleListWebhookNotifications(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, Page[webhookNotificationView]{Items: c.store.webhookNotifications(p.Account.ID)})
}
