package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/sandbox"
)

// TestFaultsThroughTheSandbox sets a fault on the running provider: it
// answers the first GET /assets/{assetId} with invalid_token, and the
// journal records which fault fired on which request.
func TestFaultsThroughTheSandbox(t *testing.T) {
	sb := MustStart(t)
	tok := MustTokens(t, sb)
	if err := sb.Faults.Set([]faults.Rule{{
		Name: "expired-token", Service: sandbox.ServiceProvider,
		Match: faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}"},
		When:  faults.Trigger{Nth: []int{1}},
		Do:    faults.Action{OAuthError: "invalid_token"},
	}}); err != nil {
		t.Fatal(err)
	}
	cursor := sb.Journal.LastID()
	c := newClient(t)
	for _, want := range []int{http.StatusUnauthorized, http.StatusOK} {
		resp := bearerGet(t, c, provider(t, sb).BaseURL+"/assets/12345", tok.AccessToken)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET /assets/12345: %d, want %d", resp.StatusCode, want)
		}
	}
	var got []string
	for _, e := range sb.Journal.Since(cursor, 0) {
		got = append(got, fmt.Sprintf("%s %s %s %d %q", e.Service, e.Method, e.Path, e.Status, e.Fault))
	}
	want := []string{
		`provider GET /assets/12345 401 "expired-token"`,
		`provider GET /assets/12345 200 ""`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("journal:\n%q\nwant:\n%q", got, want)
	}
	if s := sb.Faults.Rules(); len(s) != 1 || s[0].Matched != 2 || s[0].Fired != 1 {
		t.Fatalf("hit counts %+v, want matched 2, fired 1", s)
	}
}

// TestShutdownEndsHangingRequests: a request held by a hang fault does not
// keep Shutdown waiting.
func TestShutdownEndsHangingRequests(t *testing.T) {
	sb := MustStart(t)
	if err := sb.Faults.Set([]faults.Rule{{Name: "hang", Service: sandbox.ServiceProvider, Do: faults.Action{Hang: true}}}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := newClient(t).Get(provider(t, sb).BaseURL + "/.well-known/oauth-authorization-server")
		if err == nil {
			resp.Body.Close()
			err = errors.New("answered " + resp.Status)
		}
		errc <- err
	}()
	// Wait until the request is held: the rule has counted it.
	for deadline := time.Now().Add(10 * time.Second); sb.Faults.Rules()[0].Matched == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the fault")
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sb.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-errc; !errors.Is(err, io.EOF) {
		t.Fatalf("the held client got %v, want EOF", err)
	}
}

// fiftyFaults are 50 fault rules that GET /assets/12345 on the provider
// does not match: 30 on the provider's other endpoints, 15 on the other
// services, and 5 on GET /assets/{assetId} whose header or query condition
// fails.
func fiftyFaults() []faults.Rule {
	var rules []faults.Rule
	add := func(service string, m faults.Match) {
		rules = append(rules, faults.Rule{Name: fmt.Sprintf("f%02d", len(rules)+1), Service: service, Match: m,
			When: faults.Trigger{Probability: 0.5}, Do: faults.Action{Status: http.StatusServiceUnavailable}})
	}
	for i := range 20 {
		add(sandbox.ServiceProvider, faults.Match{Method: http.MethodPost,
			Path: []string{"/token", "/pay", "/refund", "/cancel", "/revoke"}[i%5]})
	}
	for _, p := range []string{"/assets", "/get", "/authorize", "/.well-known/oauth-authorization-server", "/login",
		"/consent", "/assets/{assetId}/history", "/users/{userId}/assets", "/asset/{assetId}", "/get/{transactionId}"} {
		add(sandbox.ServiceProvider, faults.Match{Method: http.MethodGet, Path: p})
	}
	for _, p := range []string{"/api/wallet", "/api/wallet/{id}", "/api/connections", "/api/payments", "/api/sessions",
		"/callback", "/api/asset-types", "/api/connections/{id}/reconnect", "/.well-known/jwks.json", "/api/payments/{id}"} {
		add(sandbox.ServicePayap, faults.Match{Path: p})
	}
	for _, p := range []string{"/api/payment-requests", "/api/payment-requests/{id}", "/api/payment-requests/{id}/pay",
		"/api/payment-requests/{id}/refund", "/api/payment-requests/{id}/void"} {
		add(sandbox.ServiceCentrapay, faults.Match{Path: p})
	}
	for i := range 5 {
		m := faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}"}
		if i%2 == 0 {
			m.Header = map[string]string{"X-Scenario": fmt.Sprint("fail-", i)}
		} else {
			m.Query = map[string]string{"fail": fmt.Sprint(i)}
		}
		add(sandbox.ServiceProvider, m)
	}
	return rules
}

// BenchmarkFaultRulesOnGetAsset is the cost of 50 fault rules that do not
// match GET /assets/{assetId} on the whole provider stack (journal, fault
// engine, router, bearer check, store), in-process, against no rules.
func BenchmarkFaultRulesOnGetAsset(b *testing.B) {
	sb := MustStart(b)
	token := MustTokens(b, sb).AccessToken
	resp := bearerGet(b, newClient(b), provider(b, sb).BaseURL+assetPath, token)
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stack := sb.Handler(sandbox.ServiceProvider)
	rules := fiftyFaults()
	if len(rules) != 50 {
		b.Fatalf("%d rules", len(rules))
	}
	for _, bc := range []struct {
		name  string
		rules []faults.Rule
	}{{"none", nil}, {"50-nonmatching", rules}} {
		b.Run(bc.name, func(b *testing.B) {
			if err := sb.Faults.Set(bc.rules); err != nil {
				b.Fatal(err)
			}
			benchInProcess(b, stack, token, want)
			for _, s := range sb.Faults.Rules() {
				if s.Matched != 0 {
					b.Fatalf("rule %s matched %d calls", s.ID, s.Matched)
				}
			}
		})
	}
}
