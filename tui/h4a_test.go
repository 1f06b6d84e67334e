package tui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/sandbox"
)

// h4aStart is where the test sandbox's frozen clock stands.
var h4aStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// h4aSandbox starts a sandbox on 127.0.0.1:0 ports with a frozen clock and
// stops it when the test ends.
func h4aSandbox(tb testing.TB) *sandbox.Sandbox {
	tb.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Provider.Port, cfg.Payap.Port, cfg.Centrapay.Port = 0, 0, 0
	cfg.Clock.Start = h4aStart.Format(time.RFC3339)
	sb, err := sandbox.New(cfg, nil)
	if err != nil {
		tb.Fatalf("sandbox.New: %v", err)
	}
	// Freeze the clock the handlers and the journal read, so that the
	// goldens do not move.
	sb.Clock = clock.NewFrozen(h4aStart)
	if err := sb.Start(); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sb.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	return sb
}

// h4aModel is the root model over sb with constant latencies.
func h4aModel(tb testing.TB, sb *sandbox.Sandbox) *model {
	tb.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	m := newModel(Deps{Sandbox: sb, LogPath: "/tmp/payap-sandbox.log"}, modelOptions{
		latency: func(time.Duration) string { return "1ms" },
	})
	tb.Cleanup(m.cancel)
	return m
}

// h4aTraffic makes a few exchanges, one with each service, in a fixed order.
func h4aTraffic(tb testing.TB, sb *sandbox.Sandbox) {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, c := range []struct{ service, path string }{
		{sandbox.ServiceProvider, "/.well-known/oauth-authorization-server"},
		{sandbox.ServiceProvider, "/assets/12345"},
		{sandbox.ServicePayap, "/.well-known/jwks.json"},
		{sandbox.ServiceCentrapay, "/api/payment-requests/nope"},
	} {
		svc, _ := sb.Service(c.service)
		resp, err := client.Get(svc.BaseURL + c.path)
		if err != nil {
			tb.Fatalf("GET %s: %v", c.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

var (
	h4aPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	h4aDate = regexp.MustCompile(`(?m)^Date: .*$`)
)

// h4aNormalise hides what differs between runs: ports and Date headers.
func h4aNormalise(s string) string {
	s = h4aPort.ReplaceAllString(s, "127.0.0.1:PORT")
	return h4aDate.ReplaceAllString(s, "Date: DATE")
}

// h4aStep is keys to type, then text the screen must show before the
// next step.
type h4aStep struct {
	keys []string
	want []string
}

// h4aSettle runs m in teatest at w×h, plays the steps, quits and returns
// the final model.
func h4aSettle(t *testing.T, m *model, w, h int, steps ...h4aStep) *model {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	for _, st := range steps {
		for _, k := range st.keys {
			tm.Send(keyMsg(k))
		}
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, s := range st.want {
				if !bytes.Contains(b, []byte(s)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*model)
}

func h4aKeys(ks ...string) []tea.KeyMsg {
	out := make([]tea.KeyMsg, len(ks))
	for i, k := range ks {
		out[i] = keyMsg(k)
	}
	return out
}

// h4aCheckFits fails when a line of view is wider than w or there are not
// exactly h lines.
func h4aCheckFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i, n, w, l)
		}
	}
}

func TestH4aGolden(t *testing.T) {
	step := func(want string, keys ...string) h4aStep { return h4aStep{keys: keys, want: []string{want}} }
	up := step("up", "1")
	traffic := step("4 of 4 exchanges", "3")
	state := step("Everyday Points", "5")
	for _, tc := range []struct {
		name    string
		w, h    int
		traffic bool
		steps   []h4aStep
	}{
		{"overview", 100, 30, false, []h4aStep{up, step("> provider login", "down", "down")}},
		{"overview_80x24", 80, 24, false, []h4aStep{up}},
		{"traffic", 100, 30, true, []h4aStep{up, traffic}},
		{"traffic_80x24", 80, 24, true, []h4aStep{up, traffic}},
		{"traffic_filtered", 100, 30, true, []h4aStep{up, traffic, step("2 of 4 exchanges", "/", "s", "t", "a", "t", "u", "s", ":", "4", "enter")}},
		{"traffic_service", 100, 30, true, []h4aStep{up, traffic, step("service payap", "s", "s")}},
		{"traffic_detail", 100, 30, true, []h4aStep{up, traffic, step("Exchange details", "up", "up", "up", "enter")}},
		{"traffic_detail_80x24", 80, 24, true, []h4aStep{up, traffic, step("Exchange details", "up", "up", "enter")}},
		{"state_users", 100, 30, false, []h4aStep{up, state}},
		{"state_users_80x24", 80, 24, false, []h4aStep{up, state}},
		{"state_grants", 100, 30, false, []h4aStep{up, state, step("access expires", "g")}},
		{"state_payment_requests", 100, 30, false, []h4aStep{up, state, step("short code", "p")}},
		{"state_transactions", 100, 30, false, []h4aStep{up, state, step("reason", "t")}},
		{"state_wallets", 100, 30, false, []h4aStep{up, state, step("Payap users", "w")}},
		{"state_clock", 100, 30, false, []h4aStep{up, state, step("advances 1 minute", "c")}},
		{"state_clock_advanced", 100, 30, false, []h4aStep{up, state, step("advances 1 minute", "c"), step("clock 2026-01-01 09:01:00Z", "+"), step("clock 2026-01-01 10:01:00Z", "H"), step("clock 2026-01-02 10:01:00Z", "D")}},
		{"help", 100, 30, false, []h4aStep{up, step("Log file", "3", "?")}},
		{"help_80x24", 80, 24, false, []h4aStep{up, step("Log file", "3", "?")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := h4aSandbox(t)
			if tc.traffic {
				h4aTraffic(t, sb)
			}
			m := h4aSettle(t, h4aModel(t, sb), tc.w, tc.h, tc.steps...)
			view := m.View()
			h4aCheckFits(t, view, tc.w, tc.h)
			golden.RequireEqual(t, []byte(h4aNormalise(view)))
		})
	}
}

// h4aEntries are journal entries for model tests that need no sandbox.
func h4aEntries() []journal.Entry {
	return []journal.Entry{
		{ID: 1, Time: h4aStart, Service: "provider", Method: "POST", Path: "/token", Status: 200},
		{ID: 2, Time: h4aStart, Service: "provider", Method: "GET", Path: "/assets/12345", Status: 401},
		{ID: 3, Time: h4aStart, Service: "payap", Method: "POST", Path: "/api/payments", Status: 201},
		{ID: 4, Time: h4aStart, Service: "centrapay", Method: "GET", Path: "/api/payment-requests/x", Status: 404, Fault: "slow-centrapay"},
		{ID: 5, Time: h4aStart, Service: "provider", Method: "POST", Path: "/pay", Status: 503, Fault: "flaky-pay"},
	}
}

func TestH4aTrafficFilter(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	for _, tc := range []struct {
		name     string
		query    string
		services int // presses of s
		want     []uint64
	}{
		{"none", "", 0, []uint64{1, 2, 3, 4, 5}},
		{"substring path", "assets", 0, []uint64{2}},
		{"status prefix", "status:40", 0, []uint64{2, 4}},
		{"service prefix", "service:provider", 0, []uint64{1, 2, 5}},
		{"method and status", "method:post status:5", 0, []uint64{5}},
		{"fault substring", "flaky", 0, []uint64{5}},
		{"fault prefix", "fault:slow", 0, []uint64{4}},
		{"service cycle provider", "", 1, []uint64{1, 2, 5}},
		{"service cycle payap", "", 2, []uint64{3}},
		{"service cycle and query", "get", 3, []uint64{4}},
		{"cycle wraps to all", "", 4, []uint64{1, 2, 3, 4, 5}},
		{"no match", "zzz", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := common{styles: DefaultStyles(), keys: DefaultKeyMap()}
			tr := newTraffic(c, nil, formatLatency)
			tr.SetSize(100, 20)
			tr.Update(journalMsg{h4aEntries()})
			for range tc.services {
				tr.Update(keyMsg("s"))
			}
			if tc.query != "" {
				tr.Update(keyMsg("/"))
				if !tr.Typing() {
					t.Fatal("/ did not focus the filter")
				}
				for _, r := range tc.query {
					tr.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
				}
				tr.Update(keyMsg("enter"))
			}
			var got []uint64
			for _, i := range tr.shown {
				got = append(got, tr.entries[i].ID)
			}
			if !equalIDs(got, tc.want) {
				t.Errorf("shown %v, want %v", got, tc.want)
			}
			if tr.Typing() {
				t.Error("still typing after enter")
			}
		})
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestH4aTrafficBounded(t *testing.T) {
	c := common{styles: DefaultStyles(), keys: DefaultKeyMap()}
	tr := newTraffic(c, nil, formatLatency)
	tr.capacity = 3
	tr.SetSize(80, 10)
	tr.Update(journalMsg{h4aEntries()})
	if len(tr.entries) != 3 || tr.entries[0].ID != 3 {
		t.Fatalf("kept %d entries starting at %d, want the newest 3", len(tr.entries), tr.entries[0].ID)
	}
	if tr.cursor != 2 {
		t.Errorf("autoscroll cursor at %d, want 2", tr.cursor)
	}
	tr.Update(keyMsg("up"))
	if tr.follow {
		t.Error("scrolling up left autoscroll on")
	}
	tr.Update(keyMsg("a"))
	if !tr.follow || tr.cursor != 2 {
		t.Errorf("a: follow %v cursor %d, want on at 2", tr.follow, tr.cursor)
	}
}

func TestH4aResize(t *testing.T) {
	sb := h4aSandbox(t)
	m := h4aModel(t, sb)
	m.Update(journalMsg{h4aEntries()})
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"start 100x30", 100, 30},
		{"small 80x24", 80, 24},
		{"tiny 40x10", 40, 10},
		{"back to 100x30", 100, 30},
		{"wide 160x50", 160, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.Update(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			for _, tab := range []string{"1", "3", "5", "?"} {
				m.Update(keyMsg(tab))
				h4aCheckFits(t, m.View(), tc.w, tc.h)
				if tab == "?" {
					m.Update(keyMsg("?"))
				}
			}
			tr := m.panes[2].(*traffic)
			if len(tr.entries) != 5 || len(tr.shown) != 5 {
				t.Errorf("traffic holds %d entries, %d shown, want 5 and 5", len(tr.entries), len(tr.shown))
			}
		})
	}
}

func TestH4aQuitKeys(t *testing.T) {
	sb := h4aSandbox(t)
	for _, tc := range []struct {
		name     string
		keys     []string
		quits    bool
		typing   bool
		pane     int
		filterIs string
	}{
		{"q quits", []string{"q"}, true, false, 0, ""},
		{"q while filtering types", []string{"3", "/", "q"}, false, true, 2, "q"},
		{"numbers while filtering type", []string{"3", "/", "1", "5"}, false, true, 2, "15"},
		{"ctrl+c while filtering quits", []string{"3", "/", "ctrl+c"}, true, true, 2, ""},
		{"q while editing a balance types nothing", []string{"5", "u", "e", "q"}, false, true, 4, ""},
		{"esc leaves the filter, then q quits", []string{"3", "/", "x", "esc", "q"}, true, false, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := h4aModel(t, sb)
			m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
			if tc.pane == 4 {
				m.panes[4].Update(stateMsg{sandboxBackend{sb}.State()})
			}
			for _, k := range tc.keys {
				m.Update(keyMsg(k))
			}
			if quit := m.ctx.Err() != nil; quit != tc.quits {
				t.Errorf("quit %v, want %v", quit, tc.quits)
			}
			if m.active != tc.pane {
				t.Errorf("active pane %d, want %d", m.active, tc.pane)
			}
			if !tc.quits && m.panes[m.active].Typing() != tc.typing {
				t.Errorf("typing %v, want %v", m.panes[m.active].Typing(), tc.typing)
			}
			if tc.pane == 2 && tc.filterIs != "" {
				if got := m.panes[2].(*traffic).filter.Value(); got != tc.filterIs {
					t.Errorf("filter %q, want %q", got, tc.filterIs)
				}
			}
		})
	}
}

// slowBackend is the sandbox with one more service that never answers, so
// a health probe stays in flight.
type slowBackend struct {
	sandboxBackend
	url string
}

func (b slowBackend) Services() []sandbox.Service {
	return append(b.sandboxBackend.Services(), sandbox.Service{Name: "slow", BaseURL: b.url})
}

func TestH4aQuitWhileInFlight(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	sb := h4aSandbox(t)
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done() // answers only when the caller gives up
	}))
	t.Cleanup(slow.Close)
	ignore := goleak.IgnoreCurrent()
	defer func() {
		// Other panes' one-second tea.Tick commands may still be sleeping
		// when Run returns: wait for goroutines to end (up to 10 s) before
		// calling what is left a leak.
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if goleak.Find(ignore) == nil {
				break
			}
		}
		goleak.VerifyNone(t, ignore)
	}()

	m := newModel(Deps{Sandbox: sb}, modelOptions{backend: slowBackend{sandboxBackend{sb}, slow.URL}})
	p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(io.Discard))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the health probe never reached the slow service")
	}
	p.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not quit")
	}
}
