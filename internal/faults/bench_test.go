package faults_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payap/payap-sandbox/internal/faults"
)

// fiftyNonMatching are 50 rules that GET /assets/12345 on the provider does
// not match, spread as a scenario file spreads them: 30 on the provider's
// other endpoints (18 on its POST endpoints, 10 on its other GET pages, 2 on
// any method under another prefix), 15 on the other two services, and 5 on
// GET /assets/{assetId} itself whose header, query or body condition fails,
// so that their path template is matched on every request.
func fiftyNonMatching() []faults.Rule {
	var rules []faults.Rule
	add := func(service string, m faults.Match) {
		rules = append(rules, faults.Rule{Name: fmt.Sprintf("r%02d", len(rules)+1), Service: service, Match: m,
			When: faults.Trigger{Probability: 0.5}, Do: faults.Action{Status: 503}})
	}
	postPaths := []string{"/token", "/pay", "/refund", "/cancel", "/revoke", "/authorize"}
	for i := range 18 {
		add("provider", faults.Match{Method: http.MethodPost, Path: postPaths[i%len(postPaths)],
			Body: map[string]string{"assetId": fmt.Sprint(i)}})
	}
	for _, p := range []string{"/assets", "/get", "/authorize", "/.well-known/oauth-authorization-server", "/login",
		"/consent", "/assets/{assetId}/history", "/users/{userId}/assets", "/asset/{assetId}", "/get/{transactionId}"} {
		add("provider", faults.Match{Method: http.MethodGet, Path: p})
	}
	add("provider", faults.Match{Path: "/admin/**"})
	add("provider", faults.Match{Path: "/debug/**"})
	for i, p := range []string{"/api/wallet", "/api/wallet/{id}", "/api/connections", "/api/payments", "/api/sessions",
		"/callback", "/api/asset-types", "/api/connections/{id}/reconnect", "/.well-known/jwks.json", "/api/payments/{id}"} {
		add("payap", faults.Match{Method: []string{http.MethodGet, http.MethodPost}[i%2], Path: p})
	}
	for _, p := range []string{"/api/payment-requests", "/api/payment-requests/{id}", "/api/payment-requests/{id}/pay",
		"/api/payment-requests/{id}/refund", "/api/payment-requests/{id}/void"} {
		add("centrapay", faults.Match{Path: p})
	}
	same := faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}"}
	for _, cond := range []faults.Match{
		{Header: map[string]string{"X-Scenario": "slow-assets"}},
		{Header: map[string]string{"Authorization": "Bearer expired"}},
		{Query: map[string]string{"fail": "1"}},
		{Query: map[string]string{"expand": "history"}},
		{Body: map[string]string{"assetId": "99999"}},
	} {
		m := same
		m.Header, m.Query, m.Body = cond.Header, cond.Query, cond.Body
		add("provider", m)
	}
	return rules
}

// fiftyOnTheEndpoint are 50 rules on GET /assets/{assetId} itself, each
// waiting for a different X-Scenario header: the worst case, where every
// rule's path matches and only its header condition fails.
func fiftyOnTheEndpoint() []faults.Rule {
	var rules []faults.Rule
	for i := range 50 {
		rules = append(rules, faults.Rule{Name: fmt.Sprintf("r%02d", i+1), Service: "provider",
			Match: faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}", Header: map[string]string{"X-Scenario": fmt.Sprintf("fail-%d", i)}},
			Do:    faults.Action{Status: 503}})
	}
	return rules
}

// BenchmarkFaultRules measures what the fault middleware costs GET
// /assets/{assetId} in-process: with no rules, and with 50 rules that do not
// match it; "50-on-the-endpoint" is the worst case, and "bare" is the
// handler without the middleware.
func BenchmarkFaultRules(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /assets/{assetId}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = fmt.Fprintf(w, `{"id":%q,"description":"Everyday Points","balance":"5000","currency":"NZD","status":"available"}`, r.PathValue("assetId"))
	})
	rules := fiftyNonMatching()
	if len(rules) != 50 {
		b.Fatalf("%d rules", len(rules))
	}
	for _, bc := range []struct {
		name  string
		rules []faults.Rule
		bare  bool
	}{
		{name: "bare", bare: true},
		{name: "none"},
		{name: "50-nonmatching", rules: rules},
		{name: "50-on-the-endpoint", rules: fiftyOnTheEndpoint()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := faults.New(1, nil)
			MustSet(b, e, bc.rules...)
			h := http.Handler(mux)
			if !bc.bare {
				h = e.Middleware("provider")(mux)
			}
			req := httptest.NewRequest(http.MethodGet, "/assets/12345", nil)
			req.Header.Set("Authorization", "Bearer at_ZmFrZUFjY2Vzc1Rva2VuRm9yVGVzdGluZw9xyz")
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
			for _, s := range e.Rules() {
				if s.Matched != 0 {
					b.Fatalf("rule %s matched %d calls", s.ID, s.Matched)
				}
			}
		})
	}
}

// BenchmarkFaultMatching is the engine's own cost on the same request, with a
// handler that does nothing: what BenchmarkFaultRules adds to a real handler.
func BenchmarkFaultMatching(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rules []faults.Rule
	}{
		{name: "none"},
		{name: "50-nonmatching", rules: fiftyNonMatching()},
		{name: "50-on-the-endpoint", rules: fiftyOnTheEndpoint()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := faults.New(1, nil)
			MustSet(b, e, bc.rules...)
			h := e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			req := httptest.NewRequest(http.MethodGet, "/assets/12345", nil)
			req.Header.Set("Authorization", "Bearer at_ZmFrZUFjY2Vzc1Rva2VuRm9yVGVzdGluZw9xyz")
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(discard{}, req)
			}
		})
	}
}
