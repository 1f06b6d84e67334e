package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const reloadV1 = `version: 1
name: reload
faults:
  - name: assets-503
    service: provider
    match: {method: GET, path: "/assets/{assetId}"}
    do: {status: 503}
`

// TestScenarioHotReload: a changed file is validated and re-applied (a
// faults-only change keeps the state); a broken file keeps the last good
// version and says why; the watcher picks changes up by itself.
func TestScenarioHotReload(t *testing.T) {
	sb := MustStart(t)
	path := filepath.Join(t.TempDir(), "reload.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadV1)
	if _, err := sb.LoadScenarioFile(path, true); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetBalance("12345", 777); err != nil {
		t.Fatal(err)
	}
	ruleIDs := func() string {
		var ids []string
		for _, r := range sb.Faults.Rules() {
			ids = append(ids, r.ID)
		}
		return strings.Join(ids, ",")
	}

	t.Run("faults-only change keeps the state", func(t *testing.T) {
		write(strings.Replace(reloadV1, "assets-503", "assets-502", 1))
		if err := sb.ReloadScenarioFile(path); err != nil {
			t.Fatal(err)
		}
		if got := ruleIDs(); got != "assets-502" {
			t.Fatalf("rules after reload = %q, want assets-502", got)
		}
		if a, _ := sb.ProviderStore.Asset("12345"); a.Balance != 777 {
			t.Fatalf("balance %d after a faults-only reload, want the 777 set before", a.Balance)
		}
	})
	t.Run("broken file keeps the last good version", func(t *testing.T) {
		write(strings.Replace(reloadV1, "do: {status: 503}", "do: {status: 503, probability: 1.5}", 1))
		if err := sb.ReloadScenarioFile(path); err == nil {
			t.Fatal("a broken file reloaded without error")
		}
		if got := ruleIDs(); got != "assets-502" {
			t.Fatalf("rules after a broken reload = %q, want the last good assets-502", got)
		}
		info := sb.Scenarios()[0]
		if !info.Active || !strings.Contains(info.Error, "reload.yaml:7") {
			t.Fatalf("scenario after a broken reload = %+v, want active with the error's position", info)
		}
	})
	t.Run("fixture change is a fresh start", func(t *testing.T) {
		write(reloadV1 + "seed: 7\n")
		if err := sb.ReloadScenarioFile(path); err != nil {
			t.Fatal(err)
		}
		if a, _ := sb.ProviderStore.Asset("12345"); a.Balance != 5000 {
			t.Fatalf("balance %d after a reload with a new seed, want the start state's 5000", a.Balance)
		}
		if info := sb.Scenarios()[0]; info.Error != "" || !info.Active {
			t.Fatalf("scenario after a good reload = %+v", info)
		}
	})
	t.Run("the watcher reloads a saved file", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sb.WatchScenarioFile(ctx, path, 20*time.Millisecond) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("watcher: %v", err)
			}
		}()
		deadline := time.Now().Add(10 * time.Second)
		for ruleIDs() != "assets-watched" {
			if time.Now().After(deadline) {
				t.Fatalf("the watcher did not reload the file: rules %q", ruleIDs())
			}
			// Saved again until the watcher, started concurrently, sees it.
			write(strings.Replace(reloadV1, "assets-503", "assets-watched", 1) + "seed: 7\n")
			time.Sleep(50 * time.Millisecond)
		}
	})
}
