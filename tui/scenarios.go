package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/scenarios"
)

// scKeys are the Scenarios pane's own bindings.
type scKeys struct {
	Focus, Toggle, Load, Activate, Run, Confirm key.Binding
}

func newSCKeys() scKeys {
	return scKeys{
		Focus:    key.NewBinding(key.WithKeys("left", "right", "h", "l"), key.WithHelp("←/→", "scenarios/faults")),
		Toggle:   key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "toggle fault")),
		Load:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "load file")),
		Activate: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "activate/deactivate")),
		Run:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "run steps")),
		Confirm:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "load")),
	}
}

// Messages of the Scenarios pane.
type (
	scRefreshMsg struct {
		list  []scenarioInfo
		rules []faults.RuleStatus
	}
	scTickMsg   struct{ tag int }
	scLoadedMsg struct {
		info scenarioInfo
		err  error
	}
	scDoneMsg struct {
		what string // a notice on success
		err  error
	}
	scStepMsg struct {
		run  int
		step scenarios.StepResult
	}
	scRunDoneMsg struct {
		run    int
		report scenarios.Report
		err    error
	}
)

// scenariosPane lists the loaded scenarios and their faults, toggles
// faults live, loads files and runs a scenario's steps.
type scenariosPane struct {
	common
	be   scenarioBackend
	keys scKeys
	ctx  context.Context

	list   []scenarioInfo
	rules  []faults.RuleStatus
	sel    int // selected scenario
	fsel   int // selected fault of the selected scenario
	faults bool

	loading bool
	path    wtInput

	refreshing bool
	tickTag    int

	// run is the tag of the current run; running is set while it goes.
	run     int
	running bool
	runName string
	steps   []scenarios.StepResult
	report  *scenarios.Report
	notice  string
	errText string
}

// newScenarios builds the Scenarios pane over deps' sandbox.
func newScenarios(c common, deps Deps) pane {
	var be scenarioBackend
	if deps.Sandbox != nil {
		be = sandboxScenarios{deps.Sandbox}
	}
	return newScenariosPane(c, be)
}

func newScenariosPane(c common, be scenarioBackend) *scenariosPane {
	return &scenariosPane{
		common: c, be: be, keys: newSCKeys(), ctx: context.Background(),
		path: wtInput{placeholder: "scenarios/examples/pending-pay.yaml", limit: 512, free: true},
	}
}

// setContext gives the pane the program's context: a scenario run ends
// when ctx does.
func (s *scenariosPane) setContext(ctx context.Context) { s.ctx = ctx }

func (s *scenariosPane) Title() string { return "Scenarios" }

// Typing is true while the file path is being typed.
func (s *scenariosPane) Typing() bool { return s.loading }

func (s *scenariosPane) ShortHelp() []key.Binding {
	if s.loading {
		return []key.Binding{s.keys.Confirm, s.common.keys.Back}
	}
	return []key.Binding{s.common.keys.Up, s.keys.Focus, s.toggleBinding(), s.keys.Activate, s.keys.Load, s.runBinding()}
}

func (s *scenariosPane) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{s.common.keys.Up, s.common.keys.Down, s.keys.Focus},
		{s.toggleBinding(), s.keys.Activate, s.keys.Load, s.runBinding(), s.common.keys.Back},
	}
}

func (s *scenariosPane) toggleBinding() key.Binding {
	b := s.keys.Toggle
	b.SetEnabled(len(s.visibleRules()) > 0)
	return b
}

func (s *scenariosPane) runBinding() key.Binding {
	b := s.keys.Run
	b.SetEnabled(!s.running && s.selected() != nil && s.selected().Steps > 0)
	return b
}

// Init reads the scenarios and starts the one-second refresh.
func (s *scenariosPane) Init() tea.Cmd {
	if s.be == nil {
		return nil
	}
	s.refreshing = true
	return tea.Batch(s.refresh(), s.tick())
}

func (s *scenariosPane) refresh() tea.Cmd {
	be := s.be
	return func() tea.Msg { return scRefreshMsg{list: be.Scenarios(), rules: be.FaultRules()} }
}

func (s *scenariosPane) tick() tea.Cmd {
	s.tickTag++
	tag := s.tickTag
	return tick(s.ctx, time.Second, func() tea.Msg { return scTickMsg{tag: tag} })
}

func (s *scenariosPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	if s.be == nil {
		return s, nil
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	case journalMsg:
		// Hit counts move with traffic; one refresh at a time.
		if !s.refreshing {
			s.refreshing = true
			return s, s.refresh()
		}
	case scTickMsg:
		if msg.tag != s.tickTag {
			break
		}
		cmds := []tea.Cmd{s.tick()}
		if !s.refreshing {
			s.refreshing = true
			cmds = append(cmds, s.refresh())
		}
		return s, tea.Batch(cmds...)
	case scRefreshMsg:
		s.refreshing = false
		s.list, s.rules = msg.list, msg.rules
		s.sel = clampIndex(s.sel, len(s.list))
		s.fsel = clampIndex(s.fsel, len(s.visibleRules()))
	case scLoadedMsg:
		if msg.err != nil {
			s.errText = "load: " + msg.err.Error()
		} else {
			s.errText, s.notice = "", fmt.Sprintf("loaded %s from %s", msg.info.Name, msg.info.File)
		}
		s.refreshing = true
		return s, s.refresh()
	case scDoneMsg:
		if msg.err != nil {
			s.errText = msg.err.Error()
		} else {
			s.errText, s.notice = "", msg.what
		}
		s.refreshing = true
		return s, s.refresh()
	case scDrained:
		p, cmd := s.Update(msg.msg)
		return p, tea.Batch(cmd, msg.next)
	case scStepMsg:
		if msg.run == s.run {
			s.steps = append(s.steps, msg.step)
		}
	case scRunDoneMsg:
		if msg.run != s.run {
			break
		}
		s.running = false
		if msg.err != nil {
			s.errText = "run " + s.runName + ": " + msg.err.Error()
		} else {
			r := msg.report
			s.report = &r
			s.steps = r.Steps
		}
		s.refreshing = true
		return s, s.refresh()
	}
	return s, nil
}

func clampIndex(i, n int) int {
	if i >= n {
		i = n - 1
	}
	return max(i, 0)
}

func (s *scenariosPane) selected() *scenarioInfo {
	if s.sel < len(s.list) {
		return &s.list[s.sel]
	}
	return nil
}

// visibleRules are the fault rules of the selected scenario, or every rule
// when no scenario is loaded.
func (s *scenariosPane) visibleRules() []faults.RuleStatus {
	sc := s.selected()
	if sc == nil {
		return s.rules
	}
	var out []faults.RuleStatus
	for _, r := range s.rules {
		if slices.Contains(sc.Faults, r.ID) {
			out = append(out, r)
		}
	}
	return out
}

func (s *scenariosPane) handleKey(msg tea.KeyMsg) tea.Cmd {
	if s.loading {
		switch {
		case key.Matches(msg, s.common.keys.Back):
			s.loading, s.path.focused = false, false
		case key.Matches(msg, s.keys.Confirm):
			p := strings.TrimSpace(s.path.value)
			if p == "" {
				s.errText = "type the path of a scenario YAML file, e.g. scenarios/examples/pending-pay.yaml"
				return nil
			}
			s.loading, s.path.focused = false, false
			be := s.be
			return func() tea.Msg {
				info, err := be.LoadScenarioFile(p, false)
				return scLoadedMsg{info: info, err: err}
			}
		default:
			s.path.update(msg)
		}
		return nil
	}
	switch {
	case key.Matches(msg, s.keys.Load):
		s.loading, s.path.focused, s.errText = true, true, ""
	case key.Matches(msg, s.keys.Focus):
		s.faults = !s.faults && len(s.visibleRules()) > 0
	case key.Matches(msg, s.common.keys.Up):
		if s.faults {
			s.fsel = max(s.fsel-1, 0)
		} else if s.sel > 0 {
			s.sel--
			s.fsel = 0
		}
	case key.Matches(msg, s.common.keys.Down):
		if s.faults {
			s.fsel = clampIndex(s.fsel+1, len(s.visibleRules()))
		} else if s.sel < len(s.list)-1 {
			s.sel++
			s.fsel = 0
		}
	case key.Matches(msg, s.keys.Toggle):
		rules := s.visibleRules()
		if s.fsel < len(rules) {
			r, be := rules[s.fsel], s.be
			return func() tea.Msg {
				err := be.SetFaultActive(r.ID, !r.Active)
				return scDoneMsg{what: fmt.Sprintf("fault %s %s", r.ID, onOff(!r.Active)), err: err}
			}
		}
	case key.Matches(msg, s.keys.Activate):
		if sc := s.selected(); sc != nil {
			name, active, be := sc.Name, sc.Active, s.be
			return func() tea.Msg {
				if active {
					return scDoneMsg{what: "deactivated " + name, err: be.DeactivateScenario(name)}
				}
				return scDoneMsg{what: "activated " + name, err: be.ActivateScenario(name)}
			}
		}
	case key.Matches(msg, s.keys.Run):
		return s.startRun()
	case key.Matches(msg, s.common.keys.Back):
		s.errText, s.notice, s.faults = "", "", false
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// startRun runs the selected scenario's steps in a goroutine that the
// returned command starts; each step comes back through a channel drained
// by a re-armed command. The goroutine ends with the run or the context.
func (s *scenariosPane) startRun() tea.Cmd {
	sc := s.selected()
	if sc == nil || s.running {
		return nil
	}
	if sc.Steps == 0 {
		s.errText = sc.Name + " has no steps to run"
		return nil
	}
	s.run++
	s.running, s.runName, s.steps, s.report, s.errText = true, sc.Name, nil, nil, ""
	run, name, be, ctx := s.run, sc.Name, s.be, s.ctx
	ch := make(chan tea.Msg, 16)
	start := func() tea.Msg {
		go func() {
			defer close(ch)
			send := func(m tea.Msg) {
				select {
				case ch <- m:
				case <-ctx.Done():
				}
			}
			rep, err := be.RunScenario(ctx, name, func(r scenarios.StepResult) { send(scStepMsg{run: run, step: r}) })
			send(scRunDoneMsg{run: run, report: rep, err: err})
		}()
		return nil
	}
	return tea.Batch(start, scDrain(ch))
}

// scDrain waits for the run's next message; it re-arms itself until the
// channel closes.
func scDrain(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return scDrained{msg: m, next: scDrain(ch)}
	}
}

// scDrained is one message from a run and the command that waits for the
// next.
type scDrained struct {
	msg  tea.Msg
	next tea.Cmd
}

// View draws the scenario list, the selected scenario's faults and the
// last run's steps.
func (s *scenariosPane) View() string {
	width := max(s.width, 40)
	st := s.styles
	var b []string
	if s.be == nil {
		return st.Muted.Render("no sandbox")
	}
	b = append(b, st.Header.Render(fmt.Sprintf("Scenarios (%d loaded)", len(s.list))))
	if len(s.list) == 0 {
		b = append(b, st.Muted.Render("  none loaded: press l to load a scenario file"))
	}
	for i, sc := range s.list {
		mark := "○"
		if sc.Active {
			mark = "●"
		}
		cur := "  "
		if i == s.sel && !s.faults {
			cur = "> "
		}
		line := fmt.Sprintf("%s%s %-18s %-8s %d faults %d steps  %s", cur, mark, sc.Name, activeWord(sc.Active), len(sc.Faults), sc.Steps, filepath.ToSlash(sc.File))
		line = wtTruncate(line, width)
		if i == s.sel {
			line = st.Selected.Render(line)
		}
		b = append(b, line)
		if sc.Error != "" {
			for _, l := range wtWrap("    reload error: "+sc.Error, width) {
				b = append(b, st.Error.Render(l))
			}
		}
	}
	if s.loading {
		b = append(b, "", "Load file: "+s.path.View(st.Muted), st.Muted.Render("enter loads, esc cancels"))
	}
	rules := s.visibleRules()
	title := "Faults"
	if sc := s.selected(); sc != nil {
		title = "Faults of " + sc.Name
		if sc.Description != "" {
			b = append(b, st.Muted.Render(wtTruncate("  "+sc.Description, width)))
		}
	}
	b = append(b, "", st.Header.Render(title))
	if len(rules) == 0 {
		b = append(b, st.Muted.Render("  no faults"))
	}
	for i, r := range rules {
		cur := "  "
		if s.faults && i == s.fsel {
			cur = "> "
		}
		box := "[ ]"
		if r.Active {
			box = "[x]"
		}
		svc := r.Rule.Service
		if svc == "" {
			svc = "any"
		}
		line := fmt.Sprintf("%s%s %-18s %-9s %-5s %-18s matched %d fired %d", cur, box, r.ID, svc, orAny(r.Rule.Match.Method), orAny(r.Rule.Match.Path), r.Matched, r.Fired)
		line = wtTruncate(line, width)
		if s.faults && i == s.fsel {
			line = st.Selected.Render(line)
		}
		b = append(b, line)
	}
	if s.runName != "" {
		status := "running…"
		switch {
		case s.running:
		case s.report != nil && s.report.Passed:
			status = st.OK.Render("passed")
		case s.report != nil:
			status = st.Error.Render(fmt.Sprintf("failed (%d of %d steps)", s.report.Failed(), len(s.report.Steps)))
		default:
			status = "stopped"
		}
		b = append(b, "", st.Header.Render("Run "+s.runName+": ")+status)
		for _, r := range s.steps {
			mark := st.OK.Render("✓")
			if !r.Passed {
				mark = st.Error.Render("✗")
			}
			b = append(b, mark+" "+wtTruncate(fmt.Sprintf("%d %-14s %s", r.Index, r.Kind, r.Title), width-2))
			for _, m := range r.Misses {
				b = append(b, st.Error.Render(wtTruncate("      miss: "+m, width)))
			}
			if r.Err != "" {
				b = append(b, st.Error.Render(wtTruncate("      error: "+r.Err, width)))
			}
		}
	}
	if s.errText != "" {
		for _, l := range wtWrap("error: "+s.errText, width) {
			b = append(b, st.Error.Render(l))
		}
	} else if s.notice != "" {
		b = append(b, st.Muted.Render(wtTruncate(s.notice, width)))
	}
	if h := s.height; h > 0 && len(b) > h {
		b = b[:h]
	}
	return strings.Join(b, "\n")
}

func activeWord(on bool) string {
	if on {
		return "active"
	}
	return "inactive"
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}
