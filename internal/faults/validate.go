package faults

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ValidationError lists everything wrong with one rule, each problem with
// the field it is about, so that a loader can point at the line.
type ValidationError struct {
	// Index is the rule's position in the list given to Engine.Set, from 0,
	// or -1 for a rule checked on its own.
	Index    int
	Name     string
	Problems []Problem
}

// Problem is one thing wrong with a rule.
type Problem struct {
	// Field is the path of the field at fault, as the scenario format spells
	// it: "name", "service", "match.path", "match.header.X-Id", "when.nth[1]",
	// "do.status", or "do" for the action as a whole.
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("fault")
		if e.Index >= 0 {
			fmt.Fprintf(&b, " %d", e.Index+1)
		}
		if e.Name != "" {
			fmt.Fprintf(&b, " %q", e.Name)
		}
		b.WriteString(": ")
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// oauthStatus gives each OAuth error code the status it is answered with.
var oauthStatus = map[string]int{
	// RFC 6749 §5.2, token endpoint.
	"invalid_request":        http.StatusBadRequest,
	"invalid_client":         http.StatusUnauthorized,
	"invalid_grant":          http.StatusBadRequest,
	"unauthorized_client":    http.StatusBadRequest,
	"unsupported_grant_type": http.StatusBadRequest,
	"invalid_scope":          http.StatusBadRequest,
	// RFC 6749 §4.1.2.1: the codes stand for these statuses where a redirect
	// cannot carry one.
	"access_denied":             http.StatusBadRequest,
	"unsupported_response_type": http.StatusBadRequest,
	"server_error":              http.StatusInternalServerError,
	"temporarily_unavailable":   http.StatusServiceUnavailable,
	// RFC 7009 §2.2.1, revocation.
	"unsupported_token_type": http.StatusBadRequest,
	// RFC 6750 §3.1, resource requests.
	"invalid_token":      http.StatusUnauthorized,
	"insufficient_scope": http.StatusForbidden,
}

// OAuthErrorCodes lists the codes Action.OAuthError accepts, sorted.
func OAuthErrorCodes() []string {
	out := make([]string, 0, len(oauthStatus))
	for code := range oauthStatus {
		out = append(out, code)
	}
	slices.Sort(out)
	return out
}

// Validate checks a rule and reports every problem at once as a
// *ValidationError, or returns nil.
func (r Rule) Validate() error {
	if v := r.validate(-1); v != nil {
		return v
	}
	return nil
}

// validate returns nil or the rule's problems.
func (r Rule) validate(index int) *ValidationError {
	v := &ValidationError{Index: index, Name: r.Name}
	add := func(field, format string, a ...any) {
		v.Problems = append(v.Problems, Problem{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	if hasControl(r.Name) {
		add("name", "%q has control characters; name the fault with printable text", r.Name)
	}
	if r.Service != "" && !isToken(r.Service) {
		add("service", "%q is not a service name; use the name the sandbox gives it (provider, payap, centrapay) or leave it empty for every service", r.Service)
	}
	r.Match.validate(add)
	r.When.validate(add)
	r.Do.validate(add)
	if len(v.Problems) == 0 {
		return nil
	}
	return v
}

type addFunc func(field, format string, a ...any)

func (m Match) validate(add addFunc) {
	switch {
	case m.Method == "":
	case !isToken(m.Method):
		add("match.method", "%q is not an HTTP method", m.Method)
	case strings.ToUpper(m.Method) != m.Method:
		add("match.method", "%q: methods are case-sensitive; write %s", m.Method, strings.ToUpper(m.Method))
	}
	if m.Path != "" {
		if _, err := compilePath(m.Path); err != nil {
			add("match.path", "%v", err)
		}
	}
	for _, name := range sortedKeys(m.Header) {
		if !isToken(name) {
			add("match.header", "%q is not a header name", name)
		}
		if hasControl(m.Header[name]) {
			add("match.header."+name, "the value has control characters, which no header can carry")
		}
	}
	for _, name := range sortedKeys(m.Query) {
		if name == "" {
			add("match.query", "a query parameter needs a name")
		}
	}
	for _, name := range sortedKeys(m.Body) {
		if name == "" {
			add("match.body", "a body field needs a name")
		}
	}
}

func (t Trigger) validate(add addFunc) {
	for i, n := range t.Nth {
		if n < 1 {
			add(fmt.Sprintf("when.nth[%d]", i), "%d: calls are counted from 1, so the first matching call is nth 1", n)
		}
	}
	if t.Every < 0 {
		add("when.every", "%d: give 1 or more (every: 3 fires on calls 3, 6, 9 ...)", t.Every)
	}
	if t.After < 0 {
		add("when.after", "%d: give 0 or more matching calls to let through first", t.After)
	}
	if t.Times < 0 {
		add("when.times", "%d: give 1 or more; to stop a fault from firing, deactivate it", t.Times)
	}
	if math.IsNaN(t.Probability) || t.Probability < 0 || t.Probability > 1 {
		add("when.probability", "%v is out of range: give a chance above 0 and at most 1 (0.3 fires on about 30%% of matching calls)", t.Probability)
	}
	if !t.From.IsZero() && !t.To.IsZero() && !t.To.After(t.From) {
		add("when.to", "%s is not after when.from %s: the window would be empty", t.To.Format(time.RFC3339), t.From.Format(time.RFC3339))
	}
	// Conditions that can never hold together.
	if len(t.Nth) > 0 && t.After > 0 && slices.Max(t.Nth) <= t.After {
		add("when.nth", "%v are all within the first %d calls that when.after lets through: the fault could never fire", t.Nth, t.After)
	}
	if len(t.Nth) > 0 && t.Every > 1 && !slices.ContainsFunc(t.Nth, func(n int) bool { return n%t.Every == 0 }) {
		add("when.nth", "none of %v is a multiple of when.every %d: the fault could never fire", t.Nth, t.Every)
	}
}

func (a Action) validate(add addFunc) {
	if a.Delay < 0 {
		add("do.delay", "%s: a delay cannot be negative", a.Delay)
	}
	if a.DelayMax < 0 {
		add("do.delayMax", "%s: a delay cannot be negative", a.DelayMax)
	}
	if a.DelayMax > 0 && a.DelayMax < a.Delay {
		add("do.delayMax", "%s is shorter than do.delay %s: a delay range runs from delay up to delayMax", a.DelayMax, a.Delay)
	}
	if a.Truncate < 0 {
		add("do.truncate", "%d: give how many bytes of the body to send, 1 or more", a.Truncate)
	}
	if a.RetryAfter < 0 {
		add("do.retryAfter", "%d: give the seconds the client should wait, 1 or more", a.RetryAfter)
	}

	var families []string
	if a.Status != 0 {
		families = append(families, "status")
	}
	if a.Drop {
		families = append(families, "drop")
	}
	if a.Hang {
		families = append(families, "hang")
	}
	if a.Truncate != 0 {
		families = append(families, "truncate")
	}
	if a.Malformed {
		families = append(families, "malformed")
	}
	if a.RetryAfter != 0 {
		families = append(families, "retryAfter")
	}
	if a.OAuthError != "" {
		families = append(families, "oauthError")
	}
	if a.Hook != "" {
		families = append(families, "hook")
	}
	if a.Hook == "" && len(a.Params) > 0 {
		add("do.params", "params go with a hook")
	}
	switch {
	case len(families) > 1:
		add("do", "%s are separate actions: choose one (delay may go with any)", strings.Join(families, " and "))
	case len(families) == 0 && a.Delay == 0 && a.DelayMax == 0:
		switch {
		case len(a.Body) > 0 || len(a.Headers) > 0:
			add("do", "body and headers need status (or retryAfter) to answer with")
		default:
			add("do", "nothing to do: give delay, status, drop, hang, truncate, malformed, retryAfter, oauthError or hook")
		}
		return
	}

	family := ""
	if len(families) == 1 {
		family = families[0]
	}
	answers := family == "status" || family == "retryAfter"
	if !answers && (len(a.Body) > 0 || len(a.Headers) > 0) {
		what := "a delay alone lets the service answer"
		if family != "" {
			what = family + " does not take them"
		}
		add("do", "body and headers go with status or retryAfter; %s", what)
	}
	if a.Status != 0 {
		switch {
		case a.Status < 200 || a.Status > 599:
			add("do.status", "%d: give a final HTTP status from 200 to 599", a.Status)
		case len(a.Body) > 0 && (a.Status == http.StatusNoContent || a.Status == http.StatusNotModified):
			add("do.body", "status %d cannot carry a body", a.Status)
		}
	}
	if answers {
		for _, name := range sortedKeys(a.Headers) {
			switch {
			case !isToken(name):
				add("do.headers", "%q is not a header name", name)
			case hasControl(a.Headers[name]):
				add("do.headers."+name, "the value has control characters, which no header can carry")
			case family == "retryAfter" && http.CanonicalHeaderKey(name) == "Retry-After":
				add("do.headers."+name, "retryAfter sets Retry-After itself")
			}
		}
	}
	if a.OAuthError != "" {
		if _, ok := oauthStatus[a.OAuthError]; !ok {
			add("do.oauthError", "%q is not an OAuth error code this engine knows; use one of %s", a.OAuthError, strings.Join(OAuthErrorCodes(), ", "))
		}
	}
}

// isToken reports whether s is a non-empty RFC 9110 token, as method and
// header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// hasControl reports whether s has an ASCII control character (tab aside).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

// sortedKeys returns m's keys in order, so problems come out in a stable order.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
