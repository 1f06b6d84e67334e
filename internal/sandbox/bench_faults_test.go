package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/sandbox"
)

// h7FiftyProviderRules are 50 active provider rules that GET /assets/12345
// with a bearer token does not match, each of a kind a scenario writes:
//
//   - 15 on the provider's other POST endpoints, some with body matches;
//   - 10 on its other GET paths, including longer and shorter ones under
//     /assets, and /assets/** that needs a header the request lacks;
//   - 5 on /assets/{assetId} with another method;
//   - 12 on GET /assets/{assetId} that need a header the request lacks;
//   - 4 on GET /assets/{assetId} that need a query parameter;
//   - 4 on /assets/{assetId}, any method, that need a JSON body field.
//
// /assets/** and the last 20 are candidates for the request: the engine
// checks each in full.
func h7FiftyProviderRules() []faults.Rule {
	var rules []faults.Rule
	add := func(m faults.Match, w faults.Trigger, d faults.Action) {
		rules = append(rules, faults.Rule{Name: fmt.Sprintf("h7-%02d", len(rules)+1), Service: sandbox.ServiceProvider, Match: m, When: w, Do: d})
	}
	unavailable := faults.Action{Status: http.StatusServiceUnavailable, Body: []byte(`{"error":"temporarily_unavailable"}`)}
	for i, p := range []string{"/token", "/pay", "/refund", "/cancel", "/revoke", "/token", "/pay", "/refund", "/cancel", "/revoke",
		"/login", "/consent", "/pay", "/refund", "/token"} {
		m := faults.Match{Method: http.MethodPost, Path: p}
		if i >= 10 {
			m.Body = map[string]string{"assetId": "12345"}
		}
		add(m, faults.Trigger{Nth: []int{1, 2}}, unavailable)
	}
	for _, p := range []string{"/assets", "/get", "/authorize", "/.well-known/oauth-authorization-server", "/login",
		"/consent", "/assets/{assetId}/history", "/assets/{assetId}/transactions/{txId}", "/get/{transactionId}", "/assets/**"} {
		if p == "/assets/**" {
			// Matches GET /assets/12345 by path, but only with this header.
			add(faults.Match{Method: http.MethodGet, Path: p, Header: map[string]string{"X-Sandbox-Fault": "all-assets"}},
				faults.Trigger{}, faults.Action{Drop: true})
			continue
		}
		add(faults.Match{Method: http.MethodGet, Path: p}, faults.Trigger{Probability: 0.5}, unavailable)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodPost, http.MethodHead} {
		add(faults.Match{Method: method, Path: "/assets/{assetId}"}, faults.Trigger{Every: 3}, faults.Action{RetryAfter: 2})
	}
	for i := range 12 {
		add(faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}", Header: map[string]string{"X-Scenario": fmt.Sprint("fail-", i)}},
			faults.Trigger{Times: 1}, faults.Action{OAuthError: "invalid_token"})
	}
	for i := range 4 {
		add(faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}", Query: map[string]string{"fail": fmt.Sprint(i)}},
			faults.Trigger{}, unavailable)
	}
	for i := range 4 {
		add(faults.Match{Path: "/assets/{assetId}", Body: map[string]string{"amount": fmt.Sprint(100 * (i + 1))}},
			faults.Trigger{}, faults.Action{Malformed: true})
	}
	return rules
}

// BenchmarkH7FaultRules is the cost of 50 active, non-matching provider
// fault rules on GET /assets/{assetId} through the whole stack (journal,
// fault engine, router, bearer check, store), in-process and over a
// loopback keep-alive connection, against no rules, in the same run.
func BenchmarkH7FaultRules(b *testing.B) {
	sb := MustStart(b)
	token := MustTokens(b, sb).AccessToken
	base := provider(b, sb).BaseURL
	resp := bearerGet(b, newClient(b), base+assetPath, token)
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", assetPath, resp.StatusCode, want)
	}
	stack := sb.Handler(sandbox.ServiceProvider)
	// Fill the journal's ring first, so that no sub-benchmark pays for
	// growing it.
	warm := httptest.NewRequest(http.MethodGet, assetPath, nil)
	warm.Header.Set("Authorization", "Bearer "+token)
	for range 2 * sb.Config().Journal.Capacity {
		stack.ServeHTTP(httptest.NewRecorder(), warm)
	}
	fifty := h7FiftyProviderRules()
	if len(fifty) != 50 {
		b.Fatalf("%d rules, want 50", len(fifty))
	}
	for _, transport := range []struct {
		name  string
		bench func(b *testing.B)
	}{
		{"inprocess", func(b *testing.B) { benchInProcess(b, stack, token, want) }},
		{"loopback", func(b *testing.B) { benchLoopback(b, base, token, want) }},
	} {
		for _, bc := range []struct {
			name  string
			rules []faults.Rule
		}{{"rules=0", nil}, {"rules=50", fifty}} {
			b.Run(transport.name+"/"+bc.name, func(b *testing.B) {
				if err := sb.Faults.Set(bc.rules); err != nil {
					b.Fatal(err)
				}
				if got := len(sb.Faults.Rules()); got != len(bc.rules) {
					b.Fatalf("%d rules set, want %d", got, len(bc.rules))
				}
				transport.bench(b)
				for _, s := range sb.Faults.Rules() {
					if !s.Active || s.Matched != 0 {
						b.Fatalf("rule %s: active %t, matched %d calls; want active and none", s.ID, s.Active, s.Matched)
					}
				}
			})
		}
	}
}
