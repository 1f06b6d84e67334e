package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every global binding. Panes keep their own bindings for what
// only they do, and use these for the shared conventions.
type KeyMap struct {
	Quit       key.Binding
	Help       key.Binding
	NextTab    key.Binding
	PrevTab    key.Binding
	Tab1, Tab2 key.Binding
	Tab3, Tab4 key.Binding
	Tab5       key.Binding
	Filter     key.Binding
	Back       key.Binding
	Up, Down   key.Binding
	PageUp     key.Binding
	PageDown   key.Binding
	Top        key.Binding
	Bottom     key.Binding
	Enter      key.Binding
}

// DefaultKeyMap is the key map the ecosystem expects: ? help, / filter,
// esc back, tab and 1–5 between screens, q or ctrl+c to quit.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		NextTab:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next screen")),
		PrevTab:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous screen")),
		Tab1:     key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "overview")),
		Tab2:     key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "walkthrough")),
		Tab3:     key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "traffic")),
		Tab4:     key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "scenarios")),
		Tab5:     key.NewBinding(key.WithKeys("5"), key.WithHelp("5", "state")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "f", " "), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select")),
	}
}
