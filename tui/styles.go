package tui

import "github.com/charmbracelet/lipgloss"

// Styles are every style the TUI draws with. Colours are adaptive; with
// NO_COLOR (or the Ascii profile in tests) lipgloss drops them and the
// layout stays the same.
type Styles struct {
	App        lipgloss.Style
	Title      lipgloss.Style
	Tab        lipgloss.Style
	ActiveTab  lipgloss.Style
	Header     lipgloss.Style
	Muted      lipgloss.Style
	Selected   lipgloss.Style
	OK         lipgloss.Style
	Warn       lipgloss.Style
	Error      lipgloss.Style
	Fault      lipgloss.Style
	StatusBar  lipgloss.Style
	Box        lipgloss.Style
	Key        lipgloss.Style
	Code       lipgloss.Style
	ServiceCol map[string]lipgloss.Style
}

// DefaultStyles are the TUI's styles.
func DefaultStyles() *Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"}
	muted := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	return &Styles{
		App:       lipgloss.NewStyle(),
		Title:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Tab:       lipgloss.NewStyle().Padding(0, 1).Foreground(muted),
		ActiveTab: lipgloss.NewStyle().Padding(0, 1).Bold(true).Underline(true).Foreground(accent),
		Header:    lipgloss.NewStyle().Bold(true),
		Muted:     lipgloss.NewStyle().Foreground(muted),
		Selected:  lipgloss.NewStyle().Reverse(true),
		OK:        lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#3FB950"}),
		Warn:      lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#D29922"}),
		Error:     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#F85149"}),
		Fault:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#FF7B72"}),
		StatusBar: lipgloss.NewStyle().Foreground(muted),
		Box:       lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1),
		Key:       lipgloss.NewStyle().Bold(true),
		Code:      lipgloss.NewStyle().Foreground(accent),
		ServiceCol: map[string]lipgloss.Style{
			"provider":  lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#0969DA", Dark: "#58A6FF"}),
			"payap":     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#8250DF", Dark: "#BC8CFF"}),
			"centrapay": lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#3FB950"}),
		},
	}
}
