// Package faults is the sandbox's fault engine: HTTP middleware that, on the
// requests a rule matches and when its trigger holds, delays, answers in the
// service's place, drops or holds the connection, or spoils the answer the
// service gave. Triggers count calls and draw from a seeded source, so the
// same rules and the same traffic fault exactly the same calls on every run.
//
// The engine is generic: it knows HTTP, not the mocks. The scenario loader
// translates its YAML into Rules; the control API and the TUI toggle them.
package faults

import (
	"net/http"
	"time"
)

// Rule is one fault: on which calls (Service, Match), when (When) and what
// happens (Do). Check it with Validate; Engine.Set and Engine.Add do.
type Rule struct {
	// Name identifies the rule in the journal, in hit counts and to Remove
	// and SetActive. Empty gets a generated name ("fault-3"); names are
	// unique within an engine.
	Name string `json:"name,omitempty"`
	// Service is the service whose requests the rule sees, as the sandbox
	// names it (provider, payap, centrapay); empty means every service.
	Service string  `json:"service,omitempty"`
	Match   Match   `json:"match"`
	When    Trigger `json:"when"`
	Do      Action  `json:"do"`
}

// Match selects requests. Every field that is set must hold; the zero Match
// takes every request of the rule's service.
type Match struct {
	// Method is the HTTP method, exactly (GET, POST, ...); empty is any.
	Method string `json:"method,omitempty"`
	// Path is a template for the URL path. A segment "{name}" matches any one
	// non-empty segment ("/assets/{assetId}" matches "/assets/12345"); a
	// final "/**" matches anything below the prefix ("/api/**" matches
	// "/api/" and "/api/a/b" but not "/api"); everything else matches
	// exactly. Empty is any path.
	Path string `json:"path,omitempty"`
	// Header requires each named header to have the given value exactly
	// (any one of its values, when it is repeated). Names are
	// case-insensitive.
	Header map[string]string `json:"header,omitempty"`
	// Query requires each named query parameter to have the given value
	// exactly (any one of its values).
	Query map[string]string `json:"query,omitempty"`
	// Body requires each named top-level field of a JSON request body to
	// have the given value in string form: a string's text, a number or
	// literal as written (1200, 12.5, true, null), an object or array as
	// compact JSON. Only JSON bodies (application/json or +json) of at most
	// MaxBodyBytes match; the handler still gets the whole body.
	Body map[string]string `json:"body,omitempty"`
}

// MaxBodyBytes is how much of a request body the engine reads to match Body
// fields. A longer body never matches a Body condition.
const MaxBodyBytes = 64 << 10

// Trigger chooses which matching calls the rule fires on. Calls are counted
// per rule, from 1, among the requests the rule matches. Every condition that
// is set must hold; the zero Trigger fires on every matching call.
type Trigger struct {
	// Nth fires on these matching calls only (1 is the first).
	Nth []int `json:"nth,omitempty"`
	// Every fires on every Every-th matching call (3 fires on calls 3, 6, 9 ...).
	Every int `json:"every,omitempty"`
	// After fires only on the matching calls after the first After.
	After int `json:"after,omitempty"`
	// Times fires at most this many times.
	Times int `json:"times,omitempty"`
	// Probability fires on a matching call with this chance, 0 < p <= 1,
	// drawn from a source seeded by the engine's seed and the rule's name,
	// so a run repeats exactly. It is drawn last, only when every other
	// condition holds. 0 means always.
	Probability float64 `json:"probability,omitempty"`
	// From and To are a window on the sandbox clock: the rule fires at From
	// or later and before To. A zero bound is open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Action is what a firing rule does. Delay (or a DelayMax range) may go with
// any other action or stand alone, then the service answers late. Besides
// Delay, exactly one of these families may be set:
//
//   - Status, with optional Body and Headers: answer in the service's place;
//   - Drop: close the connection without an answer;
//   - Hang: hold the request until the client gives up;
//   - Truncate: let the service answer, send only the first Truncate bytes
//     of its body, then close the connection;
//   - Malformed: let the service answer, with its JSON body cut and spoiled;
//   - RetryAfter, with optional Body and Headers: answer 429 with Retry-After;
//   - OAuthError: answer an RFC 6749 error;
//   - Hook, with optional Params: run a registered domain action.
type Action struct {
	// Delay holds the request this long before acting (or before the service
	// answers). Delays are real time, not the sandbox clock.
	Delay time.Duration `json:"delay,omitempty"`
	// DelayMax, when greater than Delay, makes the delay uniform in
	// [Delay, DelayMax], drawn from the rule's seeded source.
	DelayMax time.Duration `json:"delayMax,omitempty"`
	// Status answers with this status (200-599) instead of the service.
	Status int `json:"status,omitempty"`
	// Body is the answer's body, with Status or RetryAfter. Without a
	// Content-Type in Headers it is sent as application/json when it is
	// valid JSON, otherwise as text/plain.
	Body []byte `json:"body,omitempty"`
	// Headers are set on the answer, with Status or RetryAfter.
	Headers map[string]string `json:"headers,omitempty"`
	// Drop closes the connection without answering; the client sees the
	// connection end (EOF or reset).
	Drop bool `json:"drop,omitempty"`
	// Hang holds the request until the client gives up (its context ends) or
	// the engine is closed, then closes the connection without answering.
	Hang bool `json:"hang,omitempty"`
	// Truncate lets the service answer but sends only the first Truncate
	// bytes of the body, with the full Content-Length, then closes the
	// connection: the client reads an unexpected EOF. A body no longer than
	// Truncate goes out whole.
	Truncate int `json:"truncate,omitempty"`
	// Malformed lets the service answer, keeping its status and headers, but
	// cuts its body in half and appends text that no JSON can contain.
	Malformed bool `json:"malformed,omitempty"`
	// RetryAfter answers 429 Too Many Requests with Retry-After: RetryAfter
	// (seconds), with Body and Headers when given (the service's own error
	// shape), otherwise a small JSON error.
	RetryAfter int `json:"retryAfter,omitempty"`
	// OAuthError answers an RFC 6749 §5.2 error with this code: 400
	// {"error": code, "error_description": "injected by the sandbox"},
	// Cache-Control: no-store. invalid_client is 401 with a Basic challenge;
	// the RFC 6750 codes invalid_token (401) and insufficient_scope (403)
	// carry a Bearer challenge; temporarily_unavailable is 503 and
	// server_error 500.
	OAuthError string `json:"oauthError,omitempty"`
	// Hook names a domain action registered with Engine.Handle, such as the
	// sandbox's expireGrant or payResult: it runs in place of the service
	// and may call the service itself. Params are handed to it as given.
	Hook   string            `json:"hook,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// HookFunc is a domain action. It answers the request, or hands it (perhaps
// changed) to next, the service.
type HookFunc func(w http.ResponseWriter, r *http.Request, next http.Handler, params map[string]string)

// RuleStatus is a rule as the engine holds it, with its hit counts.
type RuleStatus struct {
	// ID is the rule's name, given or generated.
	ID     string `json:"id"`
	Rule   Rule   `json:"rule"`
	Active bool   `json:"active"`
	// Matched counts the calls the rule matched while active.
	Matched uint64 `json:"matched"`
	// Fired counts the calls it fired on.
	Fired uint64 `json:"fired"`
}
