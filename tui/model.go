package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/payap/payap-sandbox/internal/journal"
)

// journalBatch bounds how many journal entries one message carries, so that
// a burst of traffic is drained in slices and Update stays short.
const journalBatch = 500

// barLines is how many lines the root draws around the pane: the tab bar,
// the status bar and the help bar.
const barLines = 3

// errMsg is a failed command's error, shown in the status bar.
type errMsg struct{ err error }

// noticeMsg is a command's success, shown in the status bar.
type noticeMsg string

// clockOnce tags a clock read that does not re-arm the tick loop.
const clockOnce = -1

// clockMsg carries the sandbox clock; tag keeps one tick loop alive.
type clockMsg struct {
	tag int
	now time.Time
}

// journalMsg carries the journal entries appended since the last one,
// oldest first. Every pane gets it.
type journalMsg struct{ entries []journal.Entry }

// activeMsg tells every pane which one the user just switched to.
type activeMsg struct{ title string }

// modelOptions are test hooks; the zero value is what Run uses.
type modelOptions struct {
	// backend replaces the sandbox the panes read.
	backend backend
	// latency formats latencies in the traffic pane (tests make it constant).
	latency func(time.Duration) string
}

// model is the root: the tab bar, the active pane, the status bar and the
// help bar. It owns the context every command watches, cancelled on quit.
type model struct {
	common
	deps     Deps
	be       backend
	ctx      context.Context
	cancel   context.CancelFunc
	panes    []pane
	active   int
	help     help.Model
	showHelp bool
	status   string
	isErr    bool
	now      time.Time
	clockTag int
	lastID   uint64
}

func newModel(deps Deps, opts modelOptions) *model {
	be := opts.backend
	if be == nil && deps.Sandbox != nil {
		be = sandboxBackend{deps.Sandbox}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := common{styles: DefaultStyles(), keys: DefaultKeyMap()}
	m := &model{common: c, deps: deps, be: be, ctx: ctx, cancel: cancel, help: help.New()}
	m.help.Styles.ShortKey = c.styles.Key
	m.help.Styles.FullKey = c.styles.Key
	latency := opts.latency
	if latency == nil {
		latency = formatLatency
	}
	m.panes = []pane{
		newOverview(c, be, ctx),
		newWalkthrough(c, deps),
		newTraffic(c, be, latency),
		newScenarios(c, deps),
		newState(c, be, ctx),
	}
	// Panes that run requests of their own end them with the program.
	for _, p := range m.panes {
		if p, ok := p.(interface{ setContext(context.Context) }); ok {
			p.setContext(ctx)
		}
	}
	return m
}

func (m *model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tickClock(0), m.drainJournal()}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	return tea.Batch(cmds...)
}

// tickClock reads the sandbox clock after d, tagged with the current tag.
func (m *model) tickClock(d time.Duration) tea.Cmd {
	if m.be == nil {
		return nil
	}
	tag, be := m.clockTag, m.be
	return tick(m.ctx, d, func() tea.Msg { return clockMsg{tag: tag, now: be.Now()} })
}

// tick returns fn's message after d, or nothing once ctx ends. Unlike
// tea.Tick it does not outlive the program by up to d.
func tick(ctx context.Context, d time.Duration, fn func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return fn()
		case <-ctx.Done():
			return nil
		}
	}
}

// drainJournal waits for entries after the last one seen, or for the root
// context to end, and returns at most journalBatch of them. Update re-arms
// it after each batch.
func (m *model) drainJournal() tea.Cmd {
	if m.be == nil {
		return nil
	}
	j, after, ctx := m.be.Journal(), m.lastID, m.ctx
	return func() tea.Msg {
		for {
			changed := j.Changed()
			if es := j.Since(after, journalBatch); len(es) > 0 {
				return journalMsg{entries: es}
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		for _, p := range m.panes {
			p.SetSize(msg.Width, max(msg.Height-barLines, 1))
		}
		return m, nil
	case tea.KeyMsg:
		return m.handleKey(msg)
	case clockMsg:
		if msg.tag == clockOnce {
			m.now = msg.now
			return m, m.broadcast(msg)
		}
		if msg.tag != m.clockTag {
			return m, nil
		}
		m.now = msg.now
		return m, tea.Batch(m.broadcast(msg), m.tickClock(time.Second))
	case journalMsg:
		if n := len(msg.entries); n > 0 {
			m.lastID = msg.entries[n-1].ID
		}
		return m, tea.Batch(m.broadcast(msg), m.drainJournal())
	case errMsg:
		m.status, m.isErr = msg.err.Error(), true
		return m, m.broadcast(msg)
	case noticeMsg:
		// An action may have moved the clock: read it now, once, rather
		// than at the next tick.
		m.status, m.isErr = string(msg), false
		if m.be == nil {
			return m, nil
		}
		be := m.be
		return m, func() tea.Msg { return clockMsg{tag: clockOnce, now: be.Now()} }
	}
	return m, m.broadcast(msg)
}

// broadcast gives msg to every pane.
func (m *model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.panes))
	for i, p := range m.panes {
		var cmd tea.Cmd
		m.panes[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	p := m.panes[m.active]
	if p.Typing() {
		return m.forward(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
		return m, nil
	case m.showHelp && key.Matches(msg, k.Back):
		m.showHelp = false
		return m, nil
	case key.Matches(msg, k.NextTab):
		return m.switchTo((m.active + 1) % len(m.panes))
	case key.Matches(msg, k.PrevTab):
		return m.switchTo((m.active + len(m.panes) - 1) % len(m.panes))
	case key.Matches(msg, k.Tab1):
		return m.switchTo(0)
	case key.Matches(msg, k.Tab2):
		return m.switchTo(1)
	case key.Matches(msg, k.Tab3):
		return m.switchTo(2)
	case key.Matches(msg, k.Tab4):
		return m.switchTo(3)
	case key.Matches(msg, k.Tab5):
		return m.switchTo(4)
	}
	if m.showHelp {
		return m, nil
	}
	return m.forward(msg)
}

// forward gives a key press to the active pane only.
func (m *model) forward(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m.panes[m.active], cmd = m.panes[m.active].Update(msg)
	return m, cmd
}

func (m *model) switchTo(i int) (tea.Model, tea.Cmd) {
	m.active, m.showHelp = i, false
	return m, m.broadcast(activeMsg{title: m.panes[i].Title()})
}

func (m *model) quit() (tea.Model, tea.Cmd) {
	m.cancel()
	return m, tea.Quit
}

func (m *model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	body := ""
	if m.showHelp {
		body = m.fullHelpView()
	} else {
		body = m.panes[m.active].View()
	}
	var b strings.Builder
	b.WriteString(fit(m.tabBar(), m.width, 1))
	b.WriteByte('\n')
	b.WriteString(fit(body, m.width, max(m.height-barLines, 1)))
	b.WriteByte('\n')
	b.WriteString(fit(m.statusBar(), m.width, 1))
	b.WriteByte('\n')
	b.WriteString(fit(m.help.ShortHelpView(m.shortHelp()), m.width, 1))
	return b.String()
}

func (m *model) tabBar() string {
	tabs := make([]string, len(m.panes))
	for i, p := range m.panes {
		label := string(rune('1'+i)) + " " + p.Title()
		if i == m.active {
			tabs[i] = m.styles.ActiveTab.Render(label)
		} else {
			tabs[i] = m.styles.Tab.Render(label)
		}
	}
	return m.styles.Title.Render("Payap Sandbox") + " " + lipgloss.JoinHorizontal(lipgloss.Top, tabs...)
}

func (m *model) statusBar() string {
	right := ""
	if !m.now.IsZero() {
		right = "clock " + m.now.Format("2006-01-02 15:04:05Z07:00")
	}
	if m.deps.LogPath != "" {
		right += " · log " + m.deps.LogPath
	}
	left := m.status
	if left == "" {
		left = "ready"
	}
	room := m.width - ansi.StringWidth(right) - 1
	if room < 10 {
		return m.styles.StatusBar.Render(right)
	}
	left = ansi.Truncate(left, room, "…")
	if m.isErr {
		left = m.styles.Error.Render(left)
	}
	gap := strings.Repeat(" ", max(m.width-ansi.StringWidth(left)-ansi.StringWidth(right), 1))
	return left + gap + m.styles.StatusBar.Render(right)
}

// globalHelp is the root's own bindings.
func (m *model) globalHelp() []key.Binding {
	k := m.keys
	return []key.Binding{k.NextTab, k.PrevTab, k.Tab1, k.Tab2, k.Tab3, k.Tab4, k.Tab5}
}

func (m *model) shortHelp() []key.Binding {
	return append(m.panes[m.active].ShortHelp(), m.keys.Help, m.keys.Quit)
}

func (m *model) fullHelpView() string {
	groups := append(m.panes[m.active].FullHelp(), m.globalHelp(), []key.Binding{m.keys.Help, m.keys.Back, m.keys.Quit})
	h := m.help
	h.ShowAll = true
	var b strings.Builder
	b.WriteString(m.styles.Header.Render("Keys — " + m.panes[m.active].Title()))
	b.WriteString("\n\n")
	b.WriteString(h.FullHelpView(groups))
	b.WriteString("\n\n")
	logPath := m.deps.LogPath
	if logPath == "" {
		logPath = "(not logging to a file)"
	}
	b.WriteString("Log file: " + logPath + "\n")
	b.WriteString(m.styles.Muted.Render("ctrl+c always quits; q is ignored while typing. Press ? or esc to close."))
	return b.String()
}

// fit cuts s to at most width columns per line and exactly height lines.
func fit(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "")
		}
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
