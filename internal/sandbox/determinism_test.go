package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/payap/payap-sandbox/internal/sandbox"
)

// h7Calls is how many GET /assets/{assetId} each run sends.
const h7Calls = 60

// h7FlakyAssets is a scenario whose provider answers GET /assets/{assetId}
// with 503 three times in ten, drawn from the scenario's seed.
func h7FlakyAssets(seed int64) []byte {
	return fmt.Appendf(nil, `version: 1
name: flaky-assets
description: the provider's asset endpoint fails at random, 3 times in 10
seed: %d
faults:
  - name: assets-503
    service: provider
    match: {method: GET, path: "/assets/{assetId}"}
    when: {probability: 0.3}
    do: {status: 503, body: {error: temporarily_unavailable}}
`, seed)
}

// h7FaultedCalls activates the flaky-assets scenario with seed on sb, gets a
// token, sends h7Calls GET /assets/12345 over loopback and returns the call
// numbers (from 1) the journal shows the fault on, in order. It checks each
// answer against the journal and the rule's hit counts against both.
func h7FaultedCalls(t *testing.T, sb *sandbox.Sandbox, seed int64) []int {
	t.Helper()
	if _, err := sb.LoadScenario("flaky-assets.yaml", h7FlakyAssets(seed), true); err != nil {
		t.Fatalf("LoadScenario: %v", err)
	}
	// Activation resets the stores, so the token comes after it.
	token := MustTokens(t, sb).AccessToken
	c := newClient(t)
	cursor := sb.Journal.LastID()
	statuses := make([]int, 0, h7Calls)
	for range h7Calls {
		resp := bearerGet(t, c, provider(t, sb).BaseURL+assetPath, token)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}

	var faulted []int
	n := 0
	for _, e := range sb.Journal.Since(cursor, 0) {
		if e.Service != sandbox.ServiceProvider || e.Method != http.MethodGet || e.Path != assetPath {
			continue
		}
		n++
		if n > h7Calls {
			t.Fatalf("the journal holds more than %d GET %s", h7Calls, assetPath)
		}
		wantStatus := http.StatusOK
		switch e.Fault {
		case "":
		case "assets-503":
			faulted = append(faulted, n)
			wantStatus = http.StatusServiceUnavailable
		default:
			t.Fatalf("call %d: fault %q, want assets-503 or none", n, e.Fault)
		}
		if e.Status != wantStatus || statuses[n-1] != wantStatus {
			t.Fatalf("call %d (fault %q): journal %d, client %d, want %d", n, e.Fault, e.Status, statuses[n-1], wantStatus)
		}
	}
	if n != h7Calls {
		t.Fatalf("the journal holds %d GET %s, want %d", n, assetPath, h7Calls)
	}

	rules := sb.Faults.Rules()
	if len(rules) != 1 || rules[0].ID != "assets-503" || !rules[0].Active {
		t.Fatalf("fault rules %+v, want assets-503 alone, active", rules)
	}
	if r := rules[0]; r.Matched != h7Calls || r.Fired != uint64(len(faulted)) {
		t.Fatalf("assets-503 matched %d and fired %d; the journal shows %d calls, %d faulted", r.Matched, r.Fired, h7Calls, len(faulted))
	}
	return faulted
}

// TestH7ProbabilisticFaultRepeats: a fault that fires with probability 0.3
// fires on exactly the same calls in two fresh sandboxes with the same
// scenario seed, and again when the scenario is activated anew, and on
// other calls with another seed.
func TestH7ProbabilisticFaultRepeats(t *testing.T) {
	first := h7FaultedCalls(t, MustStart(t), 42)
	if len(first) == 0 || len(first) == h7Calls {
		t.Fatalf("seed 42 faulted %d of %d calls; the check needs some but not all", len(first), h7Calls)
	}
	t.Logf("seed 42 faults calls %v", first)

	again := MustStart(t)
	for _, tc := range []struct {
		name string
		sb   *sandbox.Sandbox
		seed int64
		same bool
	}{
		{"same seed, another fresh sandbox", again, 42, true},
		{"same seed, scenario activated anew", again, 42, true},
		{"another seed", MustStart(t), 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h7FaultedCalls(t, tc.sb, tc.seed)
			if same := slices.Equal(got, first); same != tc.same {
				t.Fatalf("seed %d faulted calls %v; seed 42 faulted %v; want them equal: %t", tc.seed, got, first, tc.same)
			}
			if len(got) == 0 || len(got) == h7Calls {
				t.Fatalf("seed %d faulted %d of %d calls, want some but not all", tc.seed, len(got), h7Calls)
			}
		})
	}
}
