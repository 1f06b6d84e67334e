package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/scenarios"
)

const runUsage = `Usage:
  payap-sandbox run [--junit FILE] [-v] FILE...

Replays scenario files headless. Each scenario gets a fresh sandbox on free
ports (its seed, clock, fixtures and faults), then its steps run in order
through the services' HTTP APIs, as a front end's would. Prints a report per
scenario: every step, and for a step that missed what was sent, what came
back, what was expected and what missed. Exits 0 when every expectation
held, 1 when any missed or a file is invalid, 2 for a usage error.

Flags:
`

// parseRun reads run's arguments. The sandbox settings come from the
// environment and the config file, as for serve; the ports are always
// chosen free.
func (m *Main) parseRun(args []string) error {
	fs := pflag.NewFlagSet("payap-sandbox run", pflag.ContinueOnError)
	fs.SortFlags = false
	junit := fs.String("junit", "", "also write a JUnit XML report to FILE, for CI systems")
	verbose := fs.BoolP("verbose", "v", false, "show what every step sent and got, not only the steps that missed")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(m.Stderr, runUsage)
			fs.SetOutput(m.Stderr)
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("run: %w (usage: payap-sandbox run [--junit FILE] [-v] FILE...)", err)
	}
	if fs.NArg() == 0 {
		return errors.New("run needs at least one scenario file (usage: payap-sandbox run [--junit FILE] [-v] FILE...)")
	}
	cfg, err := loadConfig(newFlagSet(sandbox.DefaultConfig()), m.Getenv)
	if err != nil {
		return err
	}
	m.Config = cfg
	m.command, m.files, m.junit, m.verbose = "run", fs.Args(), *junit, *verbose
	return nil
}

// errMissed is run's failure: the reports are already printed.
type errMissed struct{ failed, total int }

func (e errMissed) Error() string {
	return fmt.Sprintf("%d of %d scenarios failed", e.failed, e.total)
}

// run replays every file and prints a report for each.
func (m *Main) run(ctx context.Context) error {
	var reports []scenarios.Report
	var broken []scenarios.SuiteError
	failed := 0
	for _, f := range m.files {
		rep, err := m.runFile(ctx, f)
		if err != nil {
			failed++
			name := strings.TrimSuffix(f, ".yaml")
			var problems *scenarios.Error
			var pathErr *fs.PathError
			switch {
			case errors.As(err, &problems):
				fmt.Fprintf(m.Stdout, "scenario %s is invalid:\n%s\nFAIL %s: not run\n", f, problems.Error(), f)
			case errors.As(err, &pathErr):
				fmt.Fprintf(m.Stdout, "%s: cannot read the file: %v\nFAIL %s: not run\n", f, pathErr.Err, f)
			default:
				fmt.Fprintf(m.Stdout, "%s: %v\nFAIL %s: not run\n", f, err, f)
			}
			broken = append(broken, scenarios.SuiteError{Scenario: name, File: f, Err: err})
			if ctx.Err() != nil {
				break
			}
			continue
		}
		rep.WriteText(m.Stdout, m.verbose)
		reports = append(reports, rep)
		if !rep.Passed {
			failed++
		}
	}
	if m.junit != "" {
		if err := writeJUnit(m.junit, reports, broken); err != nil {
			return fmt.Errorf("write the JUnit report: %w", err)
		}
	}
	if failed > 0 {
		return errMissed{failed, len(m.files)}
	}
	fmt.Fprintf(m.Stdout, "all %d scenarios passed\n", len(m.files))
	return nil
}

// runFile runs one scenario in a fresh sandbox of its own.
func (m *Main) runFile(ctx context.Context, file string) (scenarios.Report, error) {
	sc, err := scenarios.Load(file)
	if err != nil {
		return scenarios.Report{}, err
	}
	cfg := m.Config
	cfg.Provider.Port, cfg.Payap.Port, cfg.Centrapay.Port = 0, 0, 0
	cfg.Provider.BaseURL, cfg.Payap.BaseURL, cfg.Centrapay.BaseURL = "", "", ""
	cfg.State, cfg.Scenario = "", ""
	if sc.Seed != nil {
		cfg.Seed = *sc.Seed
	}
	if sc.Clock != nil {
		cfg.Clock.Start = sc.Clock.UTC().Format(time.RFC3339)
	}
	// The sandbox logs only what goes wrong, to stderr; the report is the
	// output.
	log := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sb, err := sandbox.New(cfg, log)
	if err != nil {
		return scenarios.Report{}, err
	}
	if err := sb.Start(); err != nil {
		return scenarios.Report{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = sb.Shutdown(sctx)
	}()
	if _, err := sb.AddScenario(sc, false); err != nil {
		return scenarios.Report{}, err
	}
	return sb.RunScenario(ctx, sc.Name, nil)
}

func writeJUnit(path string, reports []scenarios.Report, broken []scenarios.SuiteError) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := scenarios.WriteJUnit(f, reports, broken); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
