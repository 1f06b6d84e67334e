package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/payap/payap-sandbox/internal/journal"
)

// trafficServices is what s cycles through; "" is every service.
var trafficServices = []string{"", "provider", "payap", "centrapay"}

// formatLatency is how the traffic pane writes a latency.
func formatLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
}

// traffic is the live journal: one line per exchange, filterable, with a
// detail view of one exchange.
type traffic struct {
	common
	latency  func(time.Duration) string
	capacity int
	entries  []journal.Entry // oldest first, at most capacity
	shown    []int           // indices into entries that pass the filters
	cursor   int             // index into shown
	offset   int             // first shown row on screen
	follow   bool            // autoscroll to the newest
	filter   textinput.Model
	query    string
	service  int // index into trafficServices
	detail   bool
	view     viewport.Model

	filterKey, serviceKey, followKey, applyKey key.Binding
}

func newTraffic(c common, be backend, latency func(time.Duration) string) *traffic {
	capacity := journal.DefaultConfig().Capacity
	if be != nil {
		capacity = be.Journal().Config().Capacity
	}
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "service:provider status:500 or any text"
	return &traffic{
		common: c, latency: latency, capacity: capacity, follow: true, filter: ti,
		view:       viewport.New(0, 0),
		filterKey:  c.keys.Filter,
		serviceKey: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "service filter")),
		followKey:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "autoscroll")),
		applyKey:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
	}
}

func (t *traffic) Title() string { return "Traffic" }
func (t *traffic) Typing() bool  { return t.filter.Focused() }
func (t *traffic) Init() tea.Cmd { return nil }

func (t *traffic) SetSize(w, h int) {
	t.common.SetSize(w, h)
	t.view.Width, t.view.Height = w, max(h-1, 1)
	t.filter.Width = max(w-4, 1)
	t.clamp()
}

// rows is how many exchanges fit under the header and the filter line.
func (t *traffic) rows() int { return max(t.height-2, 1) }

func (t *traffic) Update(msg tea.Msg) (pane, tea.Cmd) {
	switch msg := msg.(type) {
	case journalMsg:
		t.add(msg.entries)
		return t, nil
	case tea.KeyMsg:
		return t.handleKey(msg)
	}
	return t, nil
}

// add appends entries, drops the oldest beyond capacity and keeps the
// filtered list current without re-scanning everything.
func (t *traffic) add(es []journal.Entry) {
	for _, e := range es {
		if isProbe(e) {
			continue
		}
		t.entries = append(t.entries, e)
		if t.match(e) {
			t.shown = append(t.shown, len(t.entries)-1)
		}
	}
	if drop := len(t.entries) - t.capacity; drop > 0 {
		t.entries = slices.Delete(t.entries, 0, drop)
		n := 0
		for _, i := range t.shown {
			if i >= drop {
				t.shown[n] = i - drop
				n++
			}
		}
		removed := len(t.shown) - n
		t.shown = t.shown[:n]
		t.cursor -= removed
		t.offset -= removed
	}
	t.clamp()
}

// refilter rebuilds the filtered list after a filter change.
func (t *traffic) refilter() {
	t.shown = t.shown[:0]
	for i, e := range t.entries {
		if t.match(e) {
			t.shown = append(t.shown, i)
		}
	}
	t.follow = true
	t.clamp()
}

// match applies the service filter and the query: space-separated terms
// that must all match; a term may be field:value (service, method, path,
// status, fault), otherwise it is a substring of any of them.
func (t *traffic) match(e journal.Entry) bool {
	if svc := trafficServices[t.service]; svc != "" && e.Service != svc {
		return false
	}
	status := strconv.Itoa(e.Status)
	for _, term := range strings.Fields(strings.ToLower(t.query)) {
		field, val, ok := strings.Cut(term, ":")
		fields := map[string]string{
			"service": e.Service, "method": strings.ToLower(e.Method), "path": strings.ToLower(e.Path),
			"status": status, "fault": strings.ToLower(e.Fault),
		}
		if f, known := fields[field]; ok && known {
			if !strings.Contains(f, val) {
				return false
			}
			continue
		}
		hit := false
		for _, f := range fields {
			if strings.Contains(f, term) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// clamp keeps the cursor and the window inside the list; with autoscroll
// on, the cursor follows the newest exchange.
func (t *traffic) clamp() {
	if t.follow {
		t.cursor = len(t.shown) - 1
	}
	t.cursor = max(min(t.cursor, len(t.shown)-1), 0)
	rows := t.rows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+rows {
		t.offset = t.cursor - rows + 1
	}
	t.offset = max(min(t.offset, len(t.shown)-rows), 0)
}

func (t *traffic) handleKey(msg tea.KeyMsg) (pane, tea.Cmd) {
	k := t.keys
	if t.filter.Focused() {
		switch msg.String() {
		case "enter":
			t.filter.Blur()
		case "esc":
			t.filter.Blur()
			t.filter.SetValue("")
		default:
			var cmd tea.Cmd
			t.filter, cmd = t.filter.Update(msg)
			t.query = t.filter.Value()
			t.refilter()
			return t, cmd
		}
		t.query = t.filter.Value()
		t.refilter()
		return t, nil
	}
	if t.detail {
		if key.Matches(msg, k.Back) {
			t.detail = false
			return t, nil
		}
		var cmd tea.Cmd
		t.view, cmd = t.view.Update(msg)
		return t, cmd
	}
	switch {
	case key.Matches(msg, t.filterKey):
		t.filter.Focus()
		return t, textinput.Blink
	case key.Matches(msg, k.Back):
		if t.query != "" || t.service != 0 {
			t.query, t.service = "", 0
			t.filter.SetValue("")
			t.refilter()
		}
	case key.Matches(msg, t.serviceKey):
		t.service = (t.service + 1) % len(trafficServices)
		t.refilter()
	case key.Matches(msg, t.followKey):
		t.follow = !t.follow
		t.clamp()
	case key.Matches(msg, t.applyKey):
		if len(t.shown) > 0 {
			t.detail = true
			t.view.SetContent(t.detailText(t.entries[t.shown[t.cursor]]))
			t.view.GotoTop()
		}
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.PageUp):
		t.move(-t.rows())
	case key.Matches(msg, k.PageDown):
		t.move(t.rows())
	case key.Matches(msg, k.Top):
		t.move(-len(t.shown))
	case key.Matches(msg, k.Bottom):
		t.follow = true
		t.clamp()
	}
	return t, nil
}

// move scrolls by n rows; moving up stops autoscroll, reaching the bottom
// does not restart it (a stays the switch).
func (t *traffic) move(n int) {
	if n < 0 {
		t.follow = false
	}
	t.cursor += n
	t.clamp()
}

func (t *traffic) View() string {
	if t.detail {
		return t.styles.Header.Render("Exchange details") + t.styles.Muted.Render("  (esc back, ↑/↓ scroll)") + "\n" + t.view.View()
	}
	var b strings.Builder
	b.WriteString(t.statusLine() + "\n")
	b.WriteString(t.styles.Header.Render(fmt.Sprintf("  %-8s %-9s %-6s %-32s %4s %7s  %s", "time", "service", "method", "path", "code", "latency", "fault")) + "\n")
	end := min(t.offset+t.rows(), len(t.shown))
	for r := t.offset; r < end; r++ {
		line := "  " + t.row(t.entries[t.shown[r]])
		if r == t.cursor {
			line = t.styles.Selected.Render(ansi.Truncate("> "+ansi.Strip(line)[2:], max(t.width, 1), ""))
		}
		b.WriteString(line + "\n")
	}
	if len(t.shown) == 0 {
		b.WriteString(t.styles.Muted.Render("no exchanges yet (or none match the filter)"))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (t *traffic) statusLine() string {
	if t.filter.Focused() {
		return t.filter.View()
	}
	svc := trafficServices[t.service]
	if svc == "" {
		svc = "all"
	}
	follow := "on"
	if !t.follow {
		follow = "off"
	}
	q := t.query
	if q == "" {
		q = "none"
	}
	return t.styles.Muted.Render(fmt.Sprintf("%d of %d exchanges · service %s · filter %s · autoscroll %s", len(t.shown), len(t.entries), svc, q, follow))
}

func (t *traffic) row(e journal.Entry) string {
	s := t.styles
	status := strconv.Itoa(e.Status)
	switch {
	case e.Status >= 500:
		status = s.Error.Render(status)
	case e.Status >= 400:
		status = s.Warn.Render(status)
	default:
		status = s.OK.Render(status)
	}
	path := e.Path
	if ansi.StringWidth(path) > 32 {
		path = ansi.Truncate(path, 31, "…")
	}
	fault := ""
	if e.Fault != "" {
		fault = s.Fault.Render(e.Fault)
	}
	return fmt.Sprintf("%-8s %s %-6s %-32s %4s %7s  %s", e.Time.Format("15:04:05"),
		serviceStyle(s, e.Service).Render(fmt.Sprintf("%-9s", e.Service)), e.Method, path, status, t.latency(e.Latency), fault)
}

// detailText is one exchange in full: headers sorted, JSON bodies
// indented. The journal masked the secrets already.
func (t *traffic) detailText(e journal.Entry) string {
	var b strings.Builder
	target := e.Path
	if e.Query != "" {
		target += "?" + e.Query
	}
	fmt.Fprintf(&b, "%s %s %s → %d in %s", e.Service, e.Method, target, e.Status, t.latency(e.Latency))
	if e.Fault != "" {
		fmt.Fprintf(&b, "   fault: %s", e.Fault)
	}
	b.WriteString("\n\n" + t.styles.Header.Render("Request") + "\n")
	writeHeaders(&b, e.RequestHeaders)
	b.WriteString(prettyBody(e.RequestBody))
	b.WriteString("\n" + t.styles.Header.Render("Response") + "\n")
	writeHeaders(&b, e.ResponseHeaders)
	b.WriteString(prettyBody(e.ResponseBody))
	if e.BodyTruncated {
		b.WriteString("\n" + t.styles.Muted.Render("(bodies truncated to the journal's max_body_bytes)"))
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

func prettyBody(body string) string {
	if body == "" {
		return "(no body)\n"
	}
	var out bytes.Buffer
	if json.Indent(&out, []byte(body), "", "  ") == nil {
		return "\n" + out.String() + "\n"
	}
	return "\n" + body + "\n"
}

func (t *traffic) ShortHelp() []key.Binding {
	if t.filter.Focused() {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
		}
	}
	if t.detail {
		return []key.Binding{t.keys.Up, t.keys.Down, t.keys.Back}
	}
	return []key.Binding{t.filterKey, t.serviceKey, t.applyKey, t.followKey}
}

func (t *traffic) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{
		{t.filterKey, t.serviceKey, t.followKey, t.applyKey, k.Back},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
	}
}
