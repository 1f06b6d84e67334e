package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"go.uber.org/goleak"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/scenarios"
)

// h4bFakeScenarios is a scenarioBackend in memory that records what the
// pane asked of it.
type h4bFakeScenarios struct {
	list   []scenarioInfo
	rules  []faults.RuleStatus
	loaded []string
	steps  []scenarios.StepResult
}

func (f *h4bFakeScenarios) Scenarios() []scenarioInfo { return append([]scenarioInfo(nil), f.list...) }

func (f *h4bFakeScenarios) LoadScenarioFile(path string, activate bool) (scenarioInfo, error) {
	f.loaded = append(f.loaded, path)
	info := scenarioInfo{Name: "loaded", File: path, Active: activate}
	f.list = append(f.list, info)
	return info, nil
}

func (f *h4bFakeScenarios) setActive(name string, on bool) error {
	for i := range f.list {
		if f.list[i].Name == name {
			f.list[i].Active = on
		}
	}
	return nil
}

func (f *h4bFakeScenarios) ActivateScenario(name string) error   { return f.setActive(name, true) }
func (f *h4bFakeScenarios) DeactivateScenario(name string) error { return f.setActive(name, false) }
func (f *h4bFakeScenarios) FaultRules() []faults.RuleStatus {
	return append([]faults.RuleStatus(nil), f.rules...)
}

func (f *h4bFakeScenarios) SetFaultActive(id string, on bool) error {
	for i := range f.rules {
		if f.rules[i].ID == id {
			f.rules[i].Active = on
		}
	}
	return nil
}

func (f *h4bFakeScenarios) RunScenario(ctx context.Context, name string, progress func(scenarios.StepResult)) (scenarios.Report, error) {
	rep := scenarios.Report{Scenario: name, Passed: true}
	for _, s := range f.steps {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		progress(s)
		rep.Steps = append(rep.Steps, s)
		rep.Passed = rep.Passed && s.Passed
	}
	return rep, nil
}

func h4bFake() *h4bFakeScenarios {
	return &h4bFakeScenarios{
		list: []scenarioInfo{
			{Name: "flaky-token-endpoint", File: "examples/flaky-token-endpoint.yaml", Active: true, Faults: []string{"token-503"}, Steps: 2},
			{Name: "broken", File: "mine/broken.yaml", Error: "mine/broken.yaml:4:3: faults[0].when.nth: must be 1 or more"},
		},
		rules: []faults.RuleStatus{
			{ID: "token-503", Rule: faults.Rule{Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"}}, Active: true, Matched: 3, Fired: 2},
		},
		steps: []scenarios.StepResult{
			{Index: 1, Kind: "connect", Title: "connect demo", Passed: true},
			{Index: 2, Kind: "pay", Title: "pay 1200 with 12345", Misses: []string{"status: want failed, got successful"}},
		},
	}
}

// h4bPump runs cmd and feeds what it answers back to p until nothing is
// left, skipping ticks.
func h4bPump(t *testing.T, p pane, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 200 {
			t.Fatal("commands did not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(50 * time.Millisecond):
			continue // a tick: not needed here
		}
		switch m := msg.(type) {
		case tea.BatchMsg:
			queue = append(queue, m...)
			continue
		case nil:
			continue
		}
		_, next := p.Update(msg)
		queue = append(queue, next)
	}
}

func TestH4bScenariosKeys(t *testing.T) {
	h4bAscii(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name  string
		keys  []string
		check func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios)
	}{
		{"l opens the path input and types into it", []string{"l", "a", "/", "q"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if !s.Typing() || s.path.Value() != "a/q" {
				t.Errorf("Typing() = %t, path %q; want true, \"a/q\"", s.Typing(), s.path.Value())
			}
		}},
		{"esc cancels the load", []string{"l", "x", "esc"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if s.Typing() || len(f.loaded) != 0 {
				t.Errorf("Typing() = %t, loaded %v; want false and nothing", s.Typing(), f.loaded)
			}
		}},
		{"enter loads the file", []string{"l", "x", ".", "y", "a", "m", "l", "enter"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if len(f.loaded) != 1 || f.loaded[0] != "x.yaml" || !strings.Contains(s.View(), "loaded loaded from x.yaml") {
				t.Errorf("loaded %v, view:\n%s", f.loaded, s.View())
			}
		}},
		{"an empty path says what to type", []string{"l", "enter"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if !strings.Contains(s.errText, "type the path") {
				t.Errorf("errText = %q", s.errText)
			}
		}},
		{"space toggles the selected fault", []string{"right", "space"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if f.rules[0].Active || !strings.Contains(s.View(), "[ ] token-503") {
				t.Errorf("rule still active; view:\n%s", s.View())
			}
		}},
		{"a deactivates the active scenario", []string{"a"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if f.list[0].Active {
				t.Error("scenario still active")
			}
		}},
		{"R runs the steps and shows pass and fail", []string{"R"}, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			v := s.View()
			for _, want := range []string{"✓ 1 connect", "✗ 2 pay", "miss: status: want failed, got successful", "failed (1 of 2 steps)"} {
				if !strings.Contains(v, want) {
					t.Errorf("view lacks %q:\n%s", want, v)
				}
			}
		}},
		{"reload errors are shown with their position", nil, func(t *testing.T, s *scenariosPane, f *h4bFakeScenarios) {
			if !strings.Contains(s.View(), "mine/broken.yaml:4:3:") {
				t.Errorf("view:\n%s", s.View())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := h4bFake()
			s := newScenariosPane(h4bCommon(), f)
			s.SetSize(100, 28)
			h4bPump(t, s, s.refresh())
			for _, k := range tc.keys {
				_, cmd := s.Update(keyMsg(k))
				h4bPump(t, s, cmd)
			}
			tc.check(t, s, f)
		})
	}
}

// TestH4bScenariosGolden loads an example scenario into a real sandbox,
// runs its steps from the pane and compares the screen at 80×24.
func TestH4bScenariosGolden(t *testing.T) {
	h4bAscii(t)
	deps := h4bSandbox(t)
	if _, err := deps.Sandbox.LoadScenarioFile("../scenarios/examples/pending-pay.yaml", true); err != nil {
		t.Fatalf("LoadScenarioFile: %v", err)
	}
	p := newScenarios(h4bCommon(), deps)
	tm := teatest.NewTestModel(t, newH4bRoot(p, deps), teatest.WithInitialTermSize(80, 24))
	h4bWait(t, tm, "pending-pay", "pay-pending")
	h4bKeys(tm, "R")
	h4bWait(t, tm, "Run pending-pay: passed")
	golden.RequireEqual(t, []byte(h4bFinalView(t, tm)))
}
