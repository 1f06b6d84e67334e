package tui

import (
	"context"
	"errors"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/payap/payap-sandbox/internal/frontend"
	"github.com/payap/payap-sandbox/internal/sandbox"
)

// Deps are what the TUI drives: the running sandbox, a front-end client of
// its HTTP APIs, and the path of the log file shown in the help view.
type Deps struct {
	Sandbox  *sandbox.Sandbox
	Frontend *frontend.Client
	LogPath  string
}

// Options choose how the program uses the terminal.
type Options struct {
	// Mouse turns on mouse reporting (cell motion); it is off by default so
	// that the terminal's own selection and copy keep working.
	Mouse bool
	// Input is read for key presses; nil means the terminal (stdin).
	Input io.Reader
	// Output is where the TUI is drawn; nil means os.Stdout.
	Output io.Writer
	// AltScreen draws on the terminal's alternate screen.
	AltScreen bool
}

// New returns the root model over deps. deps.Sandbox must be started. Run
// uses it; tests drive it directly or with teatest.
func New(deps Deps) tea.Model { return newModel(deps, modelOptions{}) }

// Run runs the TUI until the user quits or ctx is cancelled. It returns nil
// on a normal quit or cancellation, and the program's error otherwise.
// Nothing but the TUI is written to opts.Output; logs belong in the file at
// deps.LogPath.
func Run(ctx context.Context, deps Deps, opts Options) error {
	if deps.Sandbox == nil {
		return errors.New("tui: Deps.Sandbox is nil: start a sandbox and pass it in")
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
		if !term.IsTerminal(os.Stdout.Fd()) {
			return errors.New("tui: stdout is not a terminal: run headless (--headless) or pass Options.Output")
		}
	}
	m := newModel(deps, modelOptions{})
	defer m.cancel()
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(out)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Mouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	if opts.AltScreen {
		popts = append(popts, tea.WithAltScreen())
	}
	_, err := tea.NewProgram(m, popts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
