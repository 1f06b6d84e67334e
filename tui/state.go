package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// stateRefreshEvery is the least time between two reloads caused by
// traffic.
const stateRefreshEvery = 250 * time.Millisecond

// stateSection is one sub-section of the state pane.
type stateSection struct {
	key   string // the letter that jumps to it
	title string
}

var stateSections = []stateSection{
	{"u", "Users & assets"},
	{"g", "Grants & tokens"},
	{"p", "Payment requests"},
	{"t", "Transactions"},
	{"w", "Wallets"},
	{"c", "Clock"},
}

// Indices into stateSections that have actions.
const (
	secUsers  = 0
	secGrants = 1
	secClock  = 5
)

// stateMsg is a fresh read of the state.
type stateMsg struct{ data stateData }

// stateDoneMsg is a finished state action; the pane reloads.
type stateDoneMsg struct{ notice string }

// stateRefreshMsg ends the throttle window after traffic.
type stateRefreshMsg struct{}

// stateRow is one line of a section; id is what actions apply to (an asset
// id, a username), empty for lines that cannot be selected.
type stateRow struct {
	text, id string
}

// state browses and edits the mocks' state.
type state struct {
	common
	be      backend
	ctx     context.Context
	data    stateData
	loaded  bool
	section int
	cursor  []int
	offset  int
	active  bool
	pending bool
	editing string // asset id whose balance is being edited
	input   textinput.Model

	prev, next, top, edit, expire, revoke, min1, hour1, day1, apply key.Binding
}

func newState(c common, be backend, ctx context.Context) *state {
	ti := textinput.New()
	ti.Prompt = "new balance (minor units): "
	ti.CharLimit = 18
	return &state{
		common: c, be: be, ctx: ctx, input: ti, cursor: make([]int, len(stateSections)),
		prev:   key.NewBinding(key.WithKeys("["), key.WithHelp("[/]", "section")),
		next:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next section")),
		top:    key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "top")),
		edit:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit balance")),
		expire: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "expire user's tokens")),
		revoke: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "revoke user's grants")),
		min1:   key.NewBinding(key.WithKeys("+"), key.WithHelp("+", "clock +1 min")),
		hour1:  key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "clock +1 h")),
		day1:   key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "clock +1 day")),
		apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
	}
}

func (s *state) Title() string { return "State" }
func (s *state) Typing() bool  { return s.editing != "" }
func (s *state) Init() tea.Cmd { return s.load() }

func (s *state) load() tea.Cmd {
	if s.be == nil {
		return nil
	}
	be := s.be
	return func() tea.Msg { return stateMsg{be.State()} }
}

// do runs an action in a command and reports what it did.
func (s *state) do(f func() (string, error)) tea.Cmd {
	return func() tea.Msg {
		notice, err := f()
		if err != nil {
			return errMsg{err}
		}
		return stateDoneMsg{notice}
	}
}

func (s *state) Update(msg tea.Msg) (pane, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		s.data, s.loaded = msg.data, true
		s.clamp()
	case stateDoneMsg:
		notice := msg.notice
		return s, tea.Batch(func() tea.Msg { return noticeMsg(notice) }, s.load())
	case activeMsg:
		s.active = msg.title == s.Title()
		if s.active {
			return s, s.load()
		}
	case journalMsg:
		if s.active && !s.pending {
			s.pending = true
			return s, tick(s.ctx, stateRefreshEvery, func() tea.Msg { return stateRefreshMsg{} })
		}
	case stateRefreshMsg:
		s.pending = false
		return s, s.load()
	case tea.KeyMsg:
		return s.handleKey(msg)
	}
	return s, nil
}

func (s *state) handleKey(msg tea.KeyMsg) (pane, tea.Cmd) {
	if s.editing != "" {
		switch msg.String() {
		case "esc":
			s.editing = ""
			s.input.Blur()
			return s, nil
		case "enter":
			return s, s.applyBalance()
		}
		if msg.Type == tea.KeyRunes {
			for _, r := range msg.Runes {
				if r < '0' || r > '9' {
					return s, nil // digits only
				}
			}
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return s, cmd
	}
	// Section letters come first: g is grants here, not top (home is).
	for i, sec := range stateSections {
		if msg.String() == sec.key {
			s.setSection(i)
			return s, nil
		}
	}
	k := s.keys
	switch {
	case key.Matches(msg, s.prev):
		s.setSection((s.section + len(stateSections) - 1) % len(stateSections))
	case key.Matches(msg, s.next):
		s.setSection((s.section + 1) % len(stateSections))
	case key.Matches(msg, k.Up):
		s.cursor[s.section]--
		s.clamp()
	case key.Matches(msg, k.Down):
		s.cursor[s.section]++
		s.clamp()
	case key.Matches(msg, s.top):
		s.cursor[s.section] = 0
		s.clamp()
	case key.Matches(msg, k.Bottom):
		s.cursor[s.section] = 1 << 30
		s.clamp()
	case s.section == secUsers && key.Matches(msg, s.edit):
		if id := s.selected(); id != "" {
			s.editing = id
			s.input.SetValue("")
			s.input.Focus()
			return s, textinput.Blink
		}
	case s.section == secGrants && key.Matches(msg, s.expire):
		if user := s.selected(); user != "" {
			be := s.be
			return s, s.do(func() (string, error) {
				n, err := be.ExpireTokens(user)
				return fmt.Sprintf("expired %d access token(s) of %s", n, user), err
			})
		}
	case s.section == secGrants && key.Matches(msg, s.revoke):
		if user := s.selected(); user != "" {
			be := s.be
			return s, s.do(func() (string, error) {
				n, err := be.RevokeGrants(user)
				return fmt.Sprintf("revoked %d grant(s) of %s", n, user), err
			})
		}
	case s.section == secClock && key.Matches(msg, s.min1):
		return s, s.advance(time.Minute)
	case s.section == secClock && key.Matches(msg, s.hour1):
		return s, s.advance(time.Hour)
	case s.section == secClock && key.Matches(msg, s.day1):
		return s, s.advance(24 * time.Hour)
	}
	return s, nil
}

func (s *state) setSection(i int) {
	s.section, s.offset = i, 0
	s.clamp()
}

func (s *state) applyBalance() tea.Cmd {
	v := s.input.Value()
	id := s.editing
	bal, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return func() tea.Msg {
			return errMsg{fmt.Errorf("balance %q must be a whole number of minor units, e.g. 5000 for 50.00", v)}
		}
	}
	s.editing = ""
	s.input.Blur()
	be := s.be
	return s.do(func() (string, error) {
		if err := be.SetBalance(id, bal); err != nil {
			return "", fmt.Errorf("set the balance of %s: %w", id, err)
		}
		return fmt.Sprintf("balance of %s set to %d", id, bal), nil
	})
}

func (s *state) advance(d time.Duration) tea.Cmd {
	be := s.be
	return s.do(func() (string, error) {
		now, err := be.AdvanceClock(d)
		return "clock advanced to " + now.Format(time.RFC3339), err
	})
}

// selected is the id of the selected row, or "".
func (s *state) selected() string {
	rows := s.rows()
	c := s.cursor[s.section]
	if c < 0 || c >= len(rows) {
		return ""
	}
	return rows[c].id
}

// clamp keeps the cursor on a selectable row inside the section.
func (s *state) clamp() {
	rows := s.rows()
	c := max(min(s.cursor[s.section], len(rows)-1), 0)
	// Skip unselectable lines, down first, then up.
	for c < len(rows)-1 && rows[c].id == "" {
		c++
	}
	for c > 0 && rows[c].id == "" {
		c--
	}
	s.cursor[s.section] = c
	room := s.listHeight()
	if c < s.offset {
		s.offset = c
	}
	if c >= s.offset+room {
		s.offset = c - room + 1
	}
	s.offset = max(min(s.offset, len(rows)-room), 0)
}

// listHeight is how many rows fit under the section bar and the column
// header, above the edit line.
func (s *state) listHeight() int { return max(s.height-4, 1) }

// rows renders the current section.
func (s *state) rows() []stateRow {
	d := s.data
	var out []stateRow
	add := func(id, format string, a ...any) { out = append(out, stateRow{fmt.Sprintf(format, a...), id}) }
	switch s.section {
	case secUsers:
		for _, u := range d.Users {
			add("", "%s (%s)", u.Username, u.Name)
			for _, a := range d.Assets[u.ID] {
				add(a.ID, "  %-12s %-28s %12s %s", a.ID, a.Description, minor(a.Balance), a.Currency)
			}
		}
	case secGrants:
		names := map[string]string{}
		for _, u := range d.Users {
			names[u.ID] = u.Username
		}
		for _, g := range d.Grants {
			status := "active"
			switch {
			case g.Revoked():
				status = "revoked"
			case g.AccessExpiresAt.IsZero() || !g.AccessExpiresAt.After(d.Now):
				status = "token expired"
			}
			exp := "-"
			if !g.AccessExpiresAt.IsZero() {
				exp = g.AccessExpiresAt.Format("01-02 15:04:05")
			}
			add(names[g.UserID], "%-10s %-18s %-26s %-14s %s", names[g.UserID], g.ClientID, g.Scope, status, exp)
		}
	case 2:
		for _, pr := range d.PaymentRequests {
			add(pr.ID, "%-24s %-20s %10s %s  %-10s %s", pr.ID, pr.MerchantName, minor(int64(pr.Value.Amount)), pr.Value.Currency, pr.Status, pr.ShortCode)
		}
	case 3:
		for _, tx := range d.Transactions {
			a := tx.Attempt
			add(a.TransactionID, "%-8s %-26s %-10s %10s %s  %-10s %s", a.Type, a.TransactionID, tx.AssetID, minor(tx.Amount), a.Currency, a.Status, a.FailureReason)
		}
	case 4:
		for _, u := range d.PayapUsers {
			add("", "%s (%s)", u.Email, u.Name)
			for _, c := range d.Connections[u.ID] {
				add(c.ID, "  connection %s %s %s scope %q", c.ID, c.AssetType, c.Status, c.Scope)
				for _, e := range d.Entries[u.ID] {
					if e.ConnectionID == c.ID {
						add(e.ID, "    entry %s → asset %s %s", e.ID, e.AssetID, e.Description)
					}
				}
			}
		}
	case secClock:
		add("", "Now: %s", d.Now.Format(time.RFC3339))
		add("", "")
		add("", "+ advances 1 minute, H 1 hour, D 1 day. Tokens, codes and payment")
		add("", "requests expire by this clock.")
	}
	return out
}

// header is the column header of the current section.
func (s *state) header() string {
	switch s.section {
	case secUsers:
		return fmt.Sprintf("  %-14s %-28s %12s", "  asset", "description", "balance")
	case secGrants:
		return fmt.Sprintf("  %-10s %-18s %-26s %-14s %s", "user", "client", "scope", "status", "access expires")
	case 2:
		return fmt.Sprintf("  %-24s %-20s %10s      %-10s %s", "id", "merchant", "amount", "status", "short code")
	case 3:
		return fmt.Sprintf("  %-8s %-26s %-10s %10s      %-10s %s", "type", "transaction", "asset", "amount", "status", "reason")
	case 4:
		return "  Payap users → connections → wallet entries"
	}
	return ""
}

// minor writes minor units as a decimal with two places.
func minor(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func (s *state) View() string {
	st := s.styles
	var tabs []string
	for i, sec := range stateSections {
		label := sec.key + " " + sec.title
		if i == s.section {
			tabs = append(tabs, st.ActiveTab.Render(label))
		} else {
			tabs = append(tabs, st.Tab.Render(label))
		}
	}
	var b strings.Builder
	b.WriteString(strings.Join(tabs, "") + "\n")
	b.WriteString(st.Header.Render(s.header()) + "\n")
	if !s.loaded {
		b.WriteString(st.Muted.Render("loading…"))
		return b.String()
	}
	rows := s.rows()
	if len(rows) == 0 {
		b.WriteString(st.Muted.Render("nothing yet"))
	}
	end := min(s.offset+s.listHeight(), len(rows))
	for i := s.offset; i < end; i++ {
		line := "  " + rows[i].text
		if i == s.cursor[s.section] && rows[i].id != "" && s.section != secClock {
			line = st.Selected.Render(ansi.Truncate("> "+rows[i].text, max(s.width, 1), ""))
		}
		b.WriteString(line + "\n")
	}
	if s.editing != "" {
		b.WriteString(s.input.View())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *state) ShortHelp() []key.Binding {
	if s.editing != "" {
		return []key.Binding{s.apply, s.keys.Back}
	}
	out := []key.Binding{s.prev, s.keys.Up, s.keys.Down}
	switch s.section {
	case secUsers:
		out = append(out, s.edit)
	case secGrants:
		out = append(out, s.expire, s.revoke)
	case secClock:
		out = append(out, s.min1, s.hour1, s.day1)
	}
	return out
}

func (s *state) FullHelp() [][]key.Binding {
	k := s.keys
	sections := key.NewBinding(key.WithKeys("u", "g", "p", "t", "w", "c"), key.WithHelp("u/g/p/t/w/c", "jump to section"))
	return [][]key.Binding{
		{s.prev, s.next, sections, k.Up, k.Down, s.top, k.Bottom},
		{s.edit, s.apply, k.Back, s.expire, s.revoke},
		{s.min1, s.hour1, s.day1},
	}
}
