// Package tui is Payap Sandbox's terminal UI: an overview of the running
// services, a guided Connect → Fetch → Spend → Refund walkthrough with a
// live sequence diagram, the traffic journal, scenarios and faults, and the
// state of the three mocks. It drives the sandbox through the same surfaces
// a user has: the services' HTTP APIs (internal/frontend) and the
// internal/sandbox Go API. Update never blocks; all I/O runs in commands.
package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// pane is one screen of the TUI. The root model owns the panes, forwards
// window sizes and messages to them, and builds the help bar from the
// active pane's bindings.
type pane interface {
	// Init starts the pane's own commands (first loads, tickers).
	Init() tea.Cmd
	// Update handles a message; panes get every message, key presses only
	// while active.
	Update(msg tea.Msg) (pane, tea.Cmd)
	View() string
	// SetSize gives the pane the space below the tab bar and above the
	// help bar.
	SetSize(width, height int)
	// Title is the pane's name in the tab bar.
	Title() string
	// Typing is true while a text input has focus: q then types a q, and
	// number keys do not switch panes.
	Typing() bool
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// common is what every pane shares: its size, the styles and the key map.
type common struct {
	width, height int
	styles        *Styles
	keys          *KeyMap
}

func (c *common) SetSize(width, height int) { c.width, c.height = width, height }
