package tui

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/payap/payap-sandbox/internal/frontend"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockpayap"
)

// h4bSandbox starts a sandbox on 127.0.0.1:0 ports with its clock set to a
// fixed start, and a front-end client pointed at it. Both end with the test.
func h4bSandbox(tb testing.TB) Deps {
	tb.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Provider.Port, cfg.Payap.Port, cfg.Centrapay.Port = 0, 0, 0
	cfg.Clock.Start = "2026-01-01T09:00:00Z"
	sb, err := sandbox.New(cfg, nil)
	if err != nil {
		tb.Fatalf("sandbox.New: %v", err)
	}
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
	urls := frontend.URLs{}
	for _, s := range sb.Services() {
		switch s.Name {
		case sandbox.ServiceProvider:
			urls.Provider = s.BaseURL
		case sandbox.ServicePayap:
			urls.Payap = s.BaseURL
		case sandbox.ServiceCentrapay:
			urls.Centrapay = s.BaseURL
		}
	}
	return Deps{Sandbox: sb, Frontend: frontend.New(urls, nil)}
}

// h4bAscii pins the colour profile so that views and goldens carry no
// colour codes.
func h4bAscii(tb testing.TB) {
	tb.Helper()
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.Ascii)
	tb.Cleanup(func() { lipgloss.SetColorProfile(prev) })
}

// h4bRoot hosts one pane the way the root model does: it sizes it,
// forwards every message, drains the journal into journalMsgs with a
// re-armed command, and quits on ctrl+c, cancelling its context.
type h4bRoot struct {
	p      pane
	deps   Deps
	ctx    context.Context
	cancel context.CancelFunc
	lastID uint64
}

func newH4bRoot(p pane, deps Deps) *h4bRoot {
	ctx, cancel := context.WithCancel(context.Background())
	if s, ok := p.(interface{ setContext(context.Context) }); ok {
		s.setContext(ctx)
	}
	return &h4bRoot{p: p, deps: deps, ctx: ctx, cancel: cancel}
}

func (r *h4bRoot) Init() tea.Cmd { return tea.Batch(r.p.Init(), r.drain()) }

func (r *h4bRoot) drain() tea.Cmd {
	if r.deps.Sandbox == nil {
		return nil
	}
	j, after, ctx := r.deps.Sandbox.Journal, r.lastID, r.ctx
	return func() tea.Msg {
		for {
			changed := j.Changed()
			if es := j.Since(after, 500); len(es) > 0 {
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

func (r *h4bRoot) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.p.SetSize(msg.Width, msg.Height)
		return r, nil
	case tea.KeyMsg:
		if msg.String() == "ctrl+c" {
			r.cancel()
			return r, tea.Quit
		}
	case journalMsg:
		if n := len(msg.entries); n > 0 {
			r.lastID = msg.entries[n-1].ID
		}
		var cmd tea.Cmd
		r.p, cmd = r.p.Update(msg)
		return r, tea.Batch(cmd, r.drain())
	}
	var cmd tea.Cmd
	r.p, cmd = r.p.Update(msg)
	return r, cmd
}

func (r *h4bRoot) View() string { return r.p.View() }

// h4bCommon is the common part of a pane as the root builds it.
func h4bCommon() common { return common{styles: DefaultStyles(), keys: DefaultKeyMap()} }

// h4bWait waits until the program has drawn every one of texts.
func h4bWait(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	var seen []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen = append(seen, b...)
		for _, s := range texts {
			if !bytes.Contains(seen, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func h4bKeys(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
		case "up":
			tm.Send(tea.KeyMsg{Type: tea.KeyUp})
		case "down":
			tm.Send(tea.KeyMsg{Type: tea.KeyDown})
		case "right":
			tm.Send(tea.KeyMsg{Type: tea.KeyRight})
		case "space":
			tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		default:
			tm.Type(k)
		}
	}
}

// keyMsg is a key press as Bubble Tea reports it.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// h4bNormalise keeps what changes between runs out of a golden: latencies,
// generated ids, short codes and ports.
func h4bNormalise(s string) string {
	for _, r := range []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`[ \d]{4}ms`), "  ##ms"},
		{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	} {
		s = r.re.ReplaceAllString(s, r.with)
	}
	for _, re := range h4bIDPatterns {
		s = re.ReplaceAllStringFunc(s, func(m string) string { return strings.Repeat("x", len(m)) })
	}
	// Trailing spaces depend on how lipgloss pads; drop them. Concurrent
	// reads (Payap fetches every asset at once) finish in any order, so
	// runs of GETs between the same two participants are sorted.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	getRun := regexp.MustCompile(`^(\S+)\s+──GET `)
	for i := 0; i < len(lines); {
		m := getRun.FindStringSubmatch(lines[i])
		j := i + 1
		for m != nil && j < len(lines) {
			n := getRun.FindStringSubmatch(lines[j])
			if n == nil || n[1] != m[1] {
				break
			}
			j++
		}
		slices.Sort(lines[i:j])
		i = j
	}
	return strings.Join(lines, "\n")
}

// h4bIDPatterns match generated identifiers: transaction ids are random.
var h4bIDPatterns = []*regexp.Regexp{regexp.MustCompile(`ptx_[A-Za-z0-9_-]+`)}

// h4bSteps drives the walkthrough by key presses through step `to`
// (stepConnect..stepRefund), waiting on each result: demo with both scopes
// and a simulated login, the wallet, a 1200 NZD payment request, a payment
// with asset 12345 and a partial refund of 500.
func h4bSteps(t *testing.T, tm *teatest.TestModel, to int) {
	t.Helper()
	h4bWait(t, tm, "Step 1: Sign in & Connect")
	h4bKeys(tm, "enter")
	h4bWait(t, tm, "Connected: connection", `granted scope "assets:read assets:pay"`)
	if to == stepConnect {
		return
	}
	h4bKeys(tm, "n")
	h4bWait(t, tm, "Step 2: Fetch")
	h4bKeys(tm, "enter")
	h4bWait(t, tm, "wallet entries:", "12345 Everyday Points (5000, can pay)")
	if to == stepFetch {
		return
	}
	h4bKeys(tm, "n")
	h4bWait(t, tm, "Step 3: Payment request")
	h4bKeys(tm, "down", "enter", "1200", "enter")
	h4bWait(t, tm, "1200 NZD, status new")
	if to == stepRequest {
		return
	}
	h4bKeys(tm, "n")
	h4bWait(t, tm, "Step 4: Pay", "12345 Everyday Points")
	h4bKeys(tm, "enter")
	h4bWait(t, tm, ": successful, 1200 NZD")
	if to == stepPay {
		return
	}
	h4bKeys(tm, "n")
	h4bWait(t, tm, "Step 5: Refund or Void")
	h4bKeys(tm, "right", "down", "enter", "500", "enter")
	h4bWait(t, tm, "Payment request now paid")
}

// h4bFinalView quits the program and returns its last view, normalised.
func h4bFinalView(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	return h4bNormalise(fm.View())
}

func h4bStart(t *testing.T, deps Deps, w, h int) *teatest.TestModel {
	t.Helper()
	p := newWalkthrough(h4bCommon(), deps)
	return teatest.NewTestModel(t, newH4bRoot(p, deps), teatest.WithInitialTermSize(w, h))
}

func TestH4bWalkthroughGolden(t *testing.T) {
	h4bAscii(t)
	tests := []struct {
		name string
		to   int
		w, h int
	}{
		{"connect", stepConnect, 100, 30},
		{"fetch", stepFetch, 100, 30},
		{"payment_request", stepRequest, 100, 30},
		{"pay", stepPay, 100, 30},
		{"refund", stepRefund, 100, 30},
		{"pay_80x24", stepPay, 80, 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			deps := h4bSandbox(t)
			tm := h4bStart(t, deps, tc.w, tc.h)
			h4bSteps(t, tm, tc.to)
			golden.RequireEqual(t, []byte(h4bFinalView(t, tm)))
		})
	}
}

// TestH4bWalkthroughDrive drives the whole walkthrough by key presses and
// checks the stores afterwards.
func TestH4bWalkthroughDrive(t *testing.T) {
	h4bAscii(t)
	deps := h4bSandbox(t)
	sb := deps.Sandbox
	tm := h4bStart(t, deps, 100, 30)
	h4bSteps(t, tm, stepRefund)
	view := h4bFinalView(t, tm)
	for _, want := range []string{"Centrapay activity", "Merchant POS", "──POST /refund──▶ Provider"} {
		if !strings.Contains(view, want) {
			t.Errorf("final view lacks %q:\n%s", want, view)
		}
	}

	a, ok := sb.ProviderStore.Asset("12345")
	if !ok {
		t.Fatal("asset 12345 is gone")
	}
	if a.Balance != 5000-1200+500 {
		t.Errorf("balance of 12345 = %d, want 4300", a.Balance)
	}
	demo, ok := sb.PayapStore.UserByEmail(mockpayap.DemoEmail)
	if !ok {
		t.Fatal("no Payap demo user")
	}
	pays := sb.PayapStore.Payments(demo.ID)
	if len(pays) != 1 {
		t.Fatalf("Payap payments = %d, want 1", len(pays))
	}
	p := pays[0]
	if p.Status != "successful" || p.Amount != "1200" || len(p.Refunds) != 1 {
		t.Errorf("Payap payment = %s %s with %d refunds, want successful 1200 with 1 refund", p.Status, p.Amount, len(p.Refunds))
	}
	pr, err := deps.Frontend.PaymentRequest(context.Background(), "cp-sandbox-merchant-terminal", p.PaymentRequestID)
	if err != nil {
		t.Fatalf("read the payment request: %v", err)
	}
	if pr.Status != "paid" {
		t.Errorf("payment request status = %s, want paid", pr.Status)
	}
}

// TestH4bWalkthroughKeys checks the key handling that needs no sandbox:
// the typing guard, esc, steps, toggles and choices.
func TestH4bWalkthroughKeys(t *testing.T) {
	h4bAscii(t)
	type check func(t *testing.T, w *walkthrough)
	typing := func(want bool) check {
		return func(t *testing.T, w *walkthrough) {
			t.Helper()
			if w.Typing() != want {
				t.Errorf("Typing() = %t, want %t", w.Typing(), want)
			}
		}
	}
	step := func(want int) check {
		return func(t *testing.T, w *walkthrough) {
			t.Helper()
			if w.step != want {
				t.Errorf("step = %d, want %d", w.step, want)
			}
		}
	}
	amount := func(s, want string) check {
		return func(t *testing.T, w *walkthrough) {
			t.Helper()
			if got := w.forms[stepRequest][1].input.Value(); got != want {
				t.Errorf("%s: amount = %q, want %q", s, got, want)
			}
		}
	}
	errHas := func(want string) check {
		return func(t *testing.T, w *walkthrough) {
			t.Helper()
			if !strings.Contains(w.err, want) {
				t.Errorf("err = %q, want it to contain %q", w.err, want)
			}
		}
	}
	tests := []struct {
		name   string
		keys   []string
		checks []check
	}{
		{"starts on connect, not typing", nil, []check{step(stepConnect), typing(false)}},
		{"n and p move between steps", []string{"n", "n", "p"}, []check{step(stepFetch)}},
		{"n stops at the last step", []string{"n", "n", "n", "n", "n", "n"}, []check{step(stepRefund)}},
		{"enter on the amount edits it", []string{"n", "n", "down", "enter"}, []check{typing(true)}},
		{"digits go in while typing, n and q too would not move", []string{"n", "n", "down", "enter", "1", "2", "n"}, []check{typing(true), step(stepRequest), amount("typed", "12"), errHas("digits only")}},
		{"esc leaves the field and keeps the value", []string{"n", "n", "down", "enter", "7", "esc"}, []check{typing(false), amount("after esc", "7"), step(stepRequest)}},
		{"backspace deletes", []string{"n", "n", "down", "enter", "4", "2", "backspace", "esc"}, []check{amount("after backspace", "4")}},
		{"an empty amount is refused with how to fix it", []string{"n", "n", "down", "enter", "enter"}, []check{typing(false), errHas("enter the amount in cents")}},
		{"no scope and no deny is refused", []string{"down", "down", "space", "down", "space", "enter"}, []check{errHas("tick at least one scope")}},
		{"fetch before connect says what to do", []string{"n", "enter"}, []check{errHas("sign in and connect first")}},
		{"r restarts", []string{"n", "n", "down", "enter", "5", "esc", "r"}, []check{step(stepConnect), amount("after restart", "")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWalkthrough(h4bCommon(), Deps{Sandbox: &sandbox.Sandbox{}, Frontend: frontend.New(frontend.URLs{}, nil)}).(*walkthrough)
			w.SetSize(100, 28)
			for _, k := range tc.keys {
				w.Update(keyMsg(k))
			}
			for _, c := range tc.checks {
				c(t, w)
			}
			_ = w.View()
		})
	}
}

// TestH4bParticipants checks who the diagram says called whom.
func TestH4bParticipants(t *testing.T) {
	tests := []struct {
		name, service, method, path string
		payapReads                  bool
		from, to                    string
	}{
		{"browser at authorize", "provider", "GET", "/authorize", false, "Browser", "Provider"},
		{"payap at token", "provider", "POST", "/token", false, "Payap", "Provider"},
		{"app at payap", "payap", "POST", "/api/payments", false, "App", "Payap"},
		{"browser at callback", "payap", "GET", "/callback", false, "Browser", "Payap"},
		{"centrapay at refunds", "payap", "POST", "/centrapay/refunds", false, "Centrapay", "Payap"},
		{"pos creates", "centrapay", "POST", "/api/payment-requests", false, "Merchant POS", "Centrapay"},
		{"pos refunds", "centrapay", "POST", "/api/payment-requests/abc/refund", false, "Merchant POS", "Centrapay"},
		{"payap pays", "centrapay", "POST", "/api/payment-requests/abc/pay", false, "Payap", "Centrapay"},
		{"payap reads while paying", "centrapay", "GET", "/api/payment-requests/abc", true, "Payap", "Centrapay"},
		{"pos reads afterwards", "centrapay", "GET", "/api/payment-requests/abc", false, "Merchant POS", "Centrapay"},
		{"payap fetches centrapay keys", "centrapay", "GET", "/api/.well-known/jwks.json", false, "Payap", "Centrapay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := journal.Entry{Service: tc.service, Method: tc.method, Path: tc.path}
			from, to := wtParticipants(e, tc.payapReads)
			if from != tc.from || to != tc.to {
				t.Errorf("participants = %s → %s, want %s → %s", from, to, tc.from, tc.to)
			}
		})
	}
}
