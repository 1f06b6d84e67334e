package tui

import (
	"context"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/scenarios"
)

// scenarioInfo is a loaded scenario as the Scenarios pane shows it. It has
// the fields of sandbox.ScenarioInfo, so one converts to the other.
type scenarioInfo struct {
	Name, File, Description string
	Active                  bool
	// Faults are the IDs of the scenario's fault rules in the engine.
	Faults   []string
	Steps    int
	LoadedAt time.Time
	// Error is the last reload's error, with its file:line:column.
	Error string
}

// scenarioBackend is what the Scenarios pane reads and changes. Every
// method may take a lock or read a file, so the pane calls them from
// commands only.
type scenarioBackend interface {
	Scenarios() []scenarioInfo
	LoadScenarioFile(path string, activate bool) (scenarioInfo, error)
	ActivateScenario(name string) error
	DeactivateScenario(name string) error
	FaultRules() []faults.RuleStatus
	SetFaultActive(id string, on bool) error
	// RunScenario replays the scenario's steps, calling progress after
	// each, until they end or ctx does.
	RunScenario(ctx context.Context, name string, progress func(scenarios.StepResult)) (scenarios.Report, error)
}

// sandboxScenarios is the scenarioBackend of a running *sandbox.Sandbox.
type sandboxScenarios struct{ sb *sandbox.Sandbox }

var _ scenarioBackend = sandboxScenarios{}

func (b sandboxScenarios) Scenarios() []scenarioInfo {
	list := b.sb.Scenarios()
	out := make([]scenarioInfo, len(list))
	for i, info := range list {
		out[i] = scenarioInfo(info)
	}
	return out
}

func (b sandboxScenarios) LoadScenarioFile(path string, activate bool) (scenarioInfo, error) {
	info, err := b.sb.LoadScenarioFile(path, activate)
	return scenarioInfo(info), err
}

func (b sandboxScenarios) ActivateScenario(name string) error   { return b.sb.ActivateScenario(name) }
func (b sandboxScenarios) DeactivateScenario(name string) error { return b.sb.DeactivateScenario(name) }

func (b sandboxScenarios) FaultRules() []faults.RuleStatus { return b.sb.Faults.Rules() }

func (b sandboxScenarios) SetFaultActive(id string, on bool) error {
	return b.sb.Faults.SetActive(id, on)
}

func (b sandboxScenarios) RunScenario(ctx context.Context, name string, progress func(scenarios.StepResult)) (scenarios.Report, error) {
	return b.sb.RunScenario(ctx, name, progress)
}
