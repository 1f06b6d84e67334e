package control

import (
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
)

// list is the shape of every list answer.
type list[T any] struct {
	Items []T `json:"items"`
}

type healthResponse struct {
	Status string `json:"status"`
}

type readyResponse struct {
	Ready    bool      `json:"ready"`
	Services []Service `json:"services"`
}

type clockResponse struct {
	Now time.Time `json:"now"`
}

// loadScenarioRequest is the JSON form of a scenario upload.
type loadScenarioRequest struct {
	Name     string  `json:"name"`
	YAML     *string `json:"yaml"`
	Activate bool    `json:"activate"`
}

type patchFaultRequest struct {
	Active *bool `json:"active"`
}

type advanceRequest struct {
	By      *string `json:"by"`
	Seconds *int64  `json:"seconds"`
}

type setClockRequest struct {
	Now *string `json:"now"`
}

type journalPage struct {
	Entries []journal.Entry `json:"entries"`
	// Next is the cursor to pass as since to poll for newer entries.
	Next uint64 `json:"next"`
}

type balanceResponse struct {
	AssetID string `json:"assetId"`
	Balance string `json:"balance"`
}

type revokeResponse struct {
	Username string `json:"username"`
	Revoked  int    `json:"revoked"`
}

type expireResponse struct {
	Username string `json:"username"`
	Expired  int    `json:"expired"`
}

// fault is a fault rule as the control API shows it: faults.RuleStatus
// with the action's durations as Go duration strings and its body as text.
type fault struct {
	ID      string    `json:"id"`
	Active  bool      `json:"active"`
	Matched uint64    `json:"matched"`
	Fired   uint64    `json:"fired"`
	Rule    faultRule `json:"rule"`
}

type faultRule struct {
	Name    string         `json:"name,omitempty"`
	Service string         `json:"service,omitempty"`
	Match   faults.Match   `json:"match"`
	When    faults.Trigger `json:"when"`
	Do      faultAction    `json:"do"`
}

type faultAction struct {
	Delay      string            `json:"delay,omitempty"`
	DelayMax   string            `json:"delayMax,omitempty"`
	Status     int               `json:"status,omitempty"`
	Body       string            `json:"body,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Drop       bool              `json:"drop,omitempty"`
	Hang       bool              `json:"hang,omitempty"`
	Truncate   int               `json:"truncate,omitempty"`
	Malformed  bool              `json:"malformed,omitempty"`
	RetryAfter int               `json:"retryAfter,omitempty"`
	OAuthError string            `json:"oauthError,omitempty"`
}

func faultFrom(s faults.RuleStatus) fault {
	d := s.Rule.Do
	a := faultAction{
		Status: d.Status, Body: string(d.Body), Headers: d.Headers, Drop: d.Drop, Hang: d.Hang,
		Truncate: d.Truncate, Malformed: d.Malformed, RetryAfter: d.RetryAfter, OAuthError: d.OAuthError,
	}
	if d.Delay != 0 {
		a.Delay = d.Delay.String()
	}
	if d.DelayMax != 0 {
		a.DelayMax = d.DelayMax.String()
	}
	return fault{
		ID: s.ID, Active: s.Active, Matched: s.Matched, Fired: s.Fired,
		Rule: faultRule{Name: s.Rule.Name, Service: s.Rule.Service, Match: s.Rule.Match, When: s.Rule.When, Do: a},
	}
}

// scenarioOut fills a nil Faults with an empty list, so it is [] on the
// wire, never null.
func scenarioOut(s Scenario) Scenario {
	if s.Faults == nil {
		s.Faults = []string{}
	}
	return s
}
