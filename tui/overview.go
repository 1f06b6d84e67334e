package tui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/sandbox"
)

// healthPath is what the overview probes on each service; healthAgent marks
// its probes so that the request counts and the traffic pane skip them.
const (
	healthPath     = "/__sandbox/health"
	healthAgent    = "payap-sandbox-tui/health"
	healthInterval = 5 * time.Second
)

// isProbe reports whether e is one of the overview's own health probes.
func isProbe(e journal.Entry) bool {
	return e.Path == healthPath && e.RequestHeaders.Get("User-Agent") == healthAgent
}

// overviewDataMsg is the overview's slow-changing data.
type overviewDataMsg struct {
	services  []sandbox.Service
	creds     []sandbox.Credential
	scenarios []string
}

// healthMsg is one round of health probes, by service name.
type healthMsg struct {
	tag    int
	health map[string]string
}

// healthTickMsg starts the next round of probes.
type healthTickMsg struct{ tag int }

// overview shows the services, their health and traffic, the active
// scenario, the clock and the credentials a user needs.
type overview struct {
	common
	be        backend
	ctx       context.Context
	client    *http.Client
	services  []sandbox.Service
	health    map[string]string
	counts    map[string]int
	scenarios []string
	creds     []sandbox.Credential
	now       time.Time
	cursor    int
	tag       int
}

func newOverview(c common, be backend, ctx context.Context) *overview {
	return &overview{
		common: c, be: be, ctx: ctx,
		// No keep-alive: an idle connection's goroutines would outlive the
		// program.
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		health: map[string]string{},
		counts: map[string]int{},
	}
}

func (o *overview) Title() string { return "Overview" }
func (o *overview) Typing() bool  { return false }

func (o *overview) Init() tea.Cmd { return tea.Batch(o.load(), o.probe()) }

// load reads the services, credentials and active scenarios.
func (o *overview) load() tea.Cmd {
	if o.be == nil {
		return nil
	}
	be := o.be
	return func() tea.Msg {
		return overviewDataMsg{services: be.Services(), creds: be.Credentials(), scenarios: be.ActiveScenarios()}
	}
}

// probe GETs every service's health endpoint. Any HTTP answer below 500
// means the service is up.
func (o *overview) probe() tea.Cmd {
	if o.be == nil {
		return nil
	}
	be, ctx, client, tag := o.be, o.ctx, o.client, o.tag
	return func() tea.Msg {
		out := map[string]string{}
		for _, s := range be.Services() {
			out[s.Name] = probeOne(ctx, client, s.BaseURL+healthPath)
		}
		return healthMsg{tag: tag, health: out}
	}
}

func probeOne(ctx context.Context, client *http.Client, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "down: " + err.Error()
	}
	req.Header.Set("User-Agent", healthAgent)
	resp, err := client.Do(req)
	if err != nil {
		return "down"
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Sprintf("failing (%d)", resp.StatusCode)
	}
	return "up"
}

func (o *overview) Update(msg tea.Msg) (pane, tea.Cmd) {
	switch msg := msg.(type) {
	case overviewDataMsg:
		o.services, o.creds, o.scenarios = msg.services, msg.creds, msg.scenarios
		o.cursor = min(o.cursor, max(len(o.creds)-1, 0))
	case healthMsg:
		if msg.tag != o.tag {
			return o, nil
		}
		o.health = msg.health
		tag := o.tag
		return o, tick(o.ctx, healthInterval, func() tea.Msg { return healthTickMsg{tag} })
	case healthTickMsg:
		if msg.tag != o.tag {
			return o, nil
		}
		return o, tea.Batch(o.probe(), o.load())
	case journalMsg:
		for _, e := range msg.entries {
			if !isProbe(e) {
				o.counts[e.Service]++
			}
		}
	case clockMsg:
		o.now = msg.now
	case activeMsg:
		if msg.title == o.Title() {
			return o, o.load()
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, o.keys.Up):
			o.cursor = max(o.cursor-1, 0)
		case key.Matches(msg, o.keys.Down):
			o.cursor = min(o.cursor+1, max(len(o.creds)-1, 0))
		case key.Matches(msg, o.keys.Top):
			o.cursor = 0
		case key.Matches(msg, o.keys.Bottom):
			o.cursor = max(len(o.creds)-1, 0)
		}
	}
	return o, nil
}

func (o *overview) View() string {
	s := o.styles
	var b strings.Builder
	b.WriteString(s.Header.Render("Services") + "\n")
	for _, svc := range o.services {
		h, ok := o.health[svc.Name]
		switch {
		case !ok:
			h = s.Muted.Render("checking")
		case h == "up":
			h = s.OK.Render(h)
		default:
			h = s.Error.Render(h)
		}
		name := serviceStyle(s, svc.Name).Render(fmt.Sprintf("%-10s", svc.Name))
		fmt.Fprintf(&b, "  %s %-28s %-10s %6d requests\n", name, svc.BaseURL, h, o.counts[svc.Name])
	}
	scen := "none"
	if len(o.scenarios) > 0 {
		scen = strings.Join(o.scenarios, ", ")
	}
	fmt.Fprintf(&b, "\n%s %s    %s %s\n\n", s.Header.Render("Scenario"), scen, s.Header.Render("Clock"), o.now.Format(time.RFC3339))
	b.WriteString(s.Header.Render("Credentials") + s.Muted.Render("  (↑/↓ select; the value is shown in the box to copy with the mouse)") + "\n")

	// The list gets what is left after the box (3 lines) and the header
	// lines above (services + 5).
	room := max(o.height-len(o.services)-5-4, 1)
	start := max(0, min(o.cursor-room/2, len(o.creds)-room))
	for i := start; i < len(o.creds) && i < start+room; i++ {
		c := o.creds[i]
		line := fmt.Sprintf("  %-22s %s", c.What, c.Value)
		if i == o.cursor {
			line = s.Selected.Render(ansi.Truncate("> "+line[2:], max(o.width-1, 1), "…"))
		}
		b.WriteString(line + "\n")
	}
	if len(o.creds) > 0 {
		v := o.creds[o.cursor].Value
		// Show the bare secret (before any " (…)" note) alone on its line
		// in a box, so a terminal selection copies exactly it.
		if i := strings.Index(v, " ("); i > 0 {
			v = v[:i]
		}
		box := s.Box.Width(max(o.width-4, 10))
		b.WriteString(box.Render(ansi.Truncate(v, max(o.width-6, 8), "…")))
	}
	return b.String()
}

// serviceStyle is a service's colour in lists.
func serviceStyle(s *Styles, name string) lipgloss.Style {
	if st, ok := s.ServiceCol[name]; ok {
		return st
	}
	return lipgloss.NewStyle()
}

func (o *overview) ShortHelp() []key.Binding {
	return []key.Binding{o.keys.Up, o.keys.Down, o.keys.NextTab}
}

func (o *overview) FullHelp() [][]key.Binding {
	return [][]key.Binding{{o.keys.Up, o.keys.Down, o.keys.Top, o.keys.Bottom}}
}
