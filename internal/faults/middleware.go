package faults

import (
	"net/http"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/journal"
)

// Middleware applies the engine's rules to the requests of the named
// service. Put it inside the journal middleware, so that a faulted exchange
// is journalled with the name of its fault (journal.SetFault). With no
// active rule it costs an atomic load; with rules, it looks only at those
// for the service and the request's method that can match the first segment
// and the length of its path.
func (e *Engine) Middleware(service string) func(http.Handler) http.Handler {
	slot := e.slot(service)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := e.table.Load()
			if t == nil || slot >= len(t.slots) {
				next.ServeHTTP(w, r)
				return
			}
			set := t.slots[slot][bucket(r.Method)]
			if set == nil {
				next.ServeHTTP(w, r)
				return
			}
			nsegs := strings.Count(r.URL.Path, "/")
			rules := set.candidates(r.URL.Path, nsegs)
			if len(rules) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			fired, delay := e.decide(r, rules, nsegs)
			if fired == nil {
				next.ServeHTTP(w, r)
				return
			}
			e.apply(w, r, next, fired, delay)
		})
	}
}

// decide counts the request on every rule that matches it and returns the
// first one whose trigger holds, with the delay it drew, or nil.
func (e *Engine) decide(r *http.Request, rules []*rule, nsegs int) (fired *rule, delay time.Duration) {
	q := request{r: r, nsegs: nsegs}
	for _, ru := range rules {
		if !ru.m.match(&q) {
			continue
		}
		if fired != nil {
			ru.count()
			continue
		}
		if d, ok := ru.hit(e.clock); ok {
			fired, delay = ru, d
		}
	}
	return fired, delay
}

// apply makes the fired rule act on the request.
func (e *Engine) apply(w http.ResponseWriter, r *http.Request, next http.Handler, fired *rule, delay time.Duration) {
	journal.SetFault(w, fired.id)
	if delay > 0 && e.sleep(r.Context(), delay) != nil {
		return // the client gave up while it waited
	}
	a := &fired.spec.Do
	switch {
	case a.Status != 0:
		writeAnswer(w, a.Status, a.Headers, a.Body)
	case a.Drop:
		drop(w)
	case a.Hang:
		e.hang(w, r)
	case a.Truncate > 0:
		truncate(w, r, next, a.Truncate)
	case a.Malformed:
		malformed(w, r, next)
	case a.RetryAfter > 0:
		retryAfter(w, a.RetryAfter, a.Headers, a.Body)
	case a.OAuthError != "":
		oauthError(w, a.OAuthError)
	case a.Hook != "":
		if h := e.hook(a.Hook); h != nil {
			h(w, r, next, a.Params)
			return
		}
		next.ServeHTTP(w, r)
	default: // a delay alone
		next.ServeHTTP(w, r)
	}
}
