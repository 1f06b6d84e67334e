package faults_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
)

// assetJSON is what the stand-in service answers, like the provider's
// GET /assets/{assetId}.
var assetJSON = []byte(`{"id":"12345","description":"Everyday Points","balance":"5000","currency":"NZD","status":"available"}`)

// assetHandler is the stand-in service.
func assetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(assetJSON)
	})
}

// MustSet sets rules or fails the test.
func MustSet(tb testing.TB, e *faults.Engine, rules ...faults.Rule) {
	tb.Helper()
	if err := e.Set(rules); err != nil {
		tb.Fatalf("Set: %v", err)
	}
}

// serve runs one request through h in-process.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// firedOn sends calls GET /assets/12345 requests to the provider through e
// and returns the numbers (from 1) of the calls that got the 503 the rules
// under test answer with. before, when not nil, runs before each call.
func firedOn(tb testing.TB, e *faults.Engine, calls int, before func(call int)) []int {
	tb.Helper()
	h := e.Middleware("provider")(assetHandler())
	fired := []int{}
	for i := 1; i <= calls; i++ {
		if before != nil {
			before(i)
		}
		rec := serve(h, httptest.NewRequest(http.MethodGet, "/assets/12345", nil))
		switch rec.Code {
		case http.StatusServiceUnavailable:
			fired = append(fired, i)
		case http.StatusOK:
		default:
			tb.Fatalf("call %d: status %d", i, rec.Code)
		}
	}
	return fired
}

// unavailable is the action the trigger tests watch for.
var unavailable = faults.Action{Status: http.StatusServiceUnavailable}

// sleeps records the delays an engine asks for instead of waiting.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
	err error // returned by each sleep: the client gave up
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	return s.err
}

func (s *sleeps) delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.got...)
}

// counts returns each rule's matched and fired counts by ID.
func counts(e *faults.Engine) map[string][2]uint64 {
	out := map[string][2]uint64{}
	for _, s := range e.Rules() {
		out[s.ID] = [2]uint64{s.Matched, s.Fired}
	}
	return out
}
