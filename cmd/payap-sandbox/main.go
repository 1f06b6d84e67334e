// Command payap-sandbox runs the Payap Sandbox: a mock third-party provider,
// a mock Payap backend and a mock Centrapay API, in memory, on a laptop.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/spf13/pflag"

	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/scenarios"
	"github.com/payap/payap-sandbox/tui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain().Exec(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exec runs the program with args and returns its exit code: 0 when all
// went well (or help was asked for), 1 when Run fails (for validate: a file
// is invalid), 2 for a usage error. Errors go to m.Stderr.
func (m *Main) Exec(ctx context.Context, args []string) int {
	if err := m.ParseFlags(ctx, args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(m.Stderr, "payap-sandbox:", err)
		return 2
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(m.Stderr, "payap-sandbox:", err)
		return 1
	}
	return 0
}

// Main is the program, separated from main() so that tests can run it with
// every port on :0.
type Main struct {
	Config sandbox.Config
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string

	command string
	// files are validate's and run's scenario files.
	files []string
	// junit and verbose are run's flags.
	junit   string
	verbose bool
	// Sandbox is set once Run has started the services.
	Sandbox *sandbox.Sandbox
	ready   chan struct{}
	// isTerminal reports whether w is a terminal: the TUI then runs on
	// Stdout instead of headless logs.
	isTerminal func(w io.Writer) bool
	logPath    string
}

// isTerminal reports whether w is a file that is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// openLogFile opens the TUI's log file for appending: path, or
// payap-sandbox.log in $XDG_STATE_HOME/payap-sandbox (else the temporary
// directory).
func openLogFile(path string) (*os.File, string, error) {
	if path == "" {
		dir := os.Getenv("XDG_STATE_HOME")
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".local", "state")
			} else {
				dir = os.TempDir()
			}
		}
		dir = filepath.Join(dir, "payap-sandbox")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", fmt.Errorf("make the log directory (set log.file to choose another): %w", err)
		}
		path = filepath.Join(dir, "payap-sandbox.log")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("open the log file (set log.file or PAYAP_SANDBOX_LOG_FILE to choose another): %w", err)
	}
	return f, path, nil
}

// NewMain returns a Main that talks to the process's stdout and environment.
func NewMain() *Main {
	return &Main{
		Config:     sandbox.DefaultConfig(),
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		ready:      make(chan struct{}),
		isTerminal: isTerminal,
	}
}

const usage = `Payap Sandbox: the Payap third-party ecosystem, in memory, on your laptop.

Usage:
  payap-sandbox [serve] [flags]
  payap-sandbox validate FILE...
  payap-sandbox run [--junit FILE] [-v] FILE...

Commands:
  serve      run the services (the default): the terminal UI on a terminal,
             headless logs on stdout otherwise or with --headless
  validate   check scenario files and list every problem; exit 0 when all
             are valid, 1 when any is not
  run        replay scenario files, each in a fresh sandbox, and report
             every step; exit 0 when all pass, 1 when any expectation missed
  help       show this help

Every setting can also come from the environment (PAYAP_SANDBOX_PROVIDER_PORT=0,
PAYAP_SANDBOX_PROVIDER_ACCESS_TOKEN_TTL=60s, ...) or a config file (--config).

Flags:
`

// ParseFlags reads the command line, the environment and the config file
// into m.Config, and validates it.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	fs := newFlagSet(sandbox.DefaultConfig())
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, usage)
		fs.SetOutput(m.Stderr)
		fs.PrintDefaults()
	}
	m.command = "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "serve":
			m.command, args = args[0], args[1:]
		case "validate":
			return m.parseValidate(args[1:])
		case "run":
			return m.parseRun(args[1:])
		case "help":
			fs.Usage()
			return pflag.ErrHelp
		default:
			return fmt.Errorf("unknown command %q; run payap-sandbox help", args[0])
		}
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fs.Usage()
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(fs, m.Getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	m.Config = cfg
	return nil
}

// Run starts the sandbox and serves until ctx is cancelled (SIGINT or
// SIGTERM in main), then shuts down gracefully. For validate it checks
// the files instead.
func (m *Main) Run(ctx context.Context) error {
	switch m.command {
	case "validate":
		return m.validate()
	case "run":
		return m.run(ctx)
	}
	useTUI := !m.Config.Headless && m.isTerminal(m.Stdout)
	logOut := m.Stdout
	if useTUI {
		f, path, err := openLogFile(m.Config.Log.File)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut, m.logPath = f, path
	}
	log := m.logger(logOut)
	sb, err := sandbox.New(m.Config, log)
	if err != nil {
		return err
	}
	// A scenario file is checked before anything starts.
	var sc *scenarios.Scenario
	if m.Config.Scenario != "" {
		if sc, err = scenarios.Load(m.Config.Scenario); err != nil {
			return fmt.Errorf("scenario %s:\n%w", m.Config.Scenario, err)
		}
	}
	if err := sb.Start(); err != nil {
		return err
	}
	if err := m.prepare(sb, sc, log); err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		_ = sb.Shutdown(sctx)
		return err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if sc == nil {
			return
		}
		if err := sb.WatchScenarioFile(watchCtx, m.Config.Scenario, 150*time.Millisecond); err != nil {
			log.Warn("scenario file is not watched; changes will not be reloaded", "err", err)
		}
	}()
	m.Sandbox = sb
	close(m.ready)
	if useTUI {
		// The TUI owns the terminal until the user quits or a signal
		// cancels ctx; the services stop when it ends or when one fails.
		tctx, stopTUI := context.WithCancel(ctx)
		go func() {
			select {
			case <-sb.Done():
				stopTUI()
			case <-tctx.Done():
			}
		}()
		err := tui.Run(tctx, tui.Deps{Sandbox: sb, Frontend: sb.Frontend(), LogPath: m.logPath}, tui.Options{AltScreen: true, Output: m.Stdout})
		stopTUI()
		if err != nil {
			log.Error("terminal UI", "err", err)
		}
	} else {
		sb.WriteBanner(m.Stdout)
		select {
		case <-ctx.Done():
		case <-sb.Done():
		}
	}
	stopWatch()
	<-watched
	log.Info("shutting down", "timeout", m.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	err = sb.Shutdown(sctx)
	if m.Config.State != "" {
		if serr := sb.SaveStateFile(m.Config.State); serr != nil {
			err = errors.Join(err, fmt.Errorf("write the state to %s: %w", m.Config.State, serr))
		} else {
			log.Info("state saved", "file", m.Config.State)
		}
	}
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// prepare restores --state and activates --scenario on a started sandbox.
func (m *Main) prepare(sb *sandbox.Sandbox, sc *scenarios.Scenario, log *slog.Logger) error {
	if m.Config.State != "" {
		restored, err := sb.UseStateFile(m.Config.State)
		switch {
		case err != nil:
			return fmt.Errorf("restore the state: %w", err)
		case restored:
			log.Info("state restored", "file", m.Config.State, "clock", sb.Clock.Now().Format(time.RFC3339))
		default:
			log.Info("no state file yet; it is written on shutdown", "file", m.Config.State)
		}
	}
	if sc != nil {
		if _, err := sb.AddScenario(sc, true); err != nil {
			return fmt.Errorf("scenario %s: %w", m.Config.Scenario, err)
		}
		log.Info("scenario active", "scenario", sc.Name, "file", m.Config.Scenario)
	}
	return nil
}

// Ready is closed once Run has started every service.
func (m *Main) Ready() <-chan struct{} { return m.ready }

func (m *Main) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(m.Config.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if m.Config.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
