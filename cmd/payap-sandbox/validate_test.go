package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exampleFile is a shipped scenario example, valid by construction.
var exampleFile = filepath.Join("..", "..", "scenarios", "examples", "happy-path.yaml")

const brokenScenario = `version: 1
name: broken
faults:
  - service: provider
    match: {path: /token}
    when: {probability: 1.5}
    do: {stauts: 503}
`

// TestExecValidate runs validate in-process through Exec and checks the
// exit code and what goes to stdout and stderr.
func TestExecValidate(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", brokenScenario)
	missing := filepath.Join(dir, "missing.yaml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr []string
	}{
		{"valid file", []string{"validate", exampleFile}, 0, []string{exampleFile + ": ok\n"}, nil},
		{"valid files", []string{"validate", exampleFile, "--", exampleFile}, 0, []string{exampleFile + ": ok\n" + exampleFile + ": ok\n"}, nil},
		{"invalid file", []string{"validate", exampleFile, broken}, 1,
			[]string{
				exampleFile + ": ok\n",
				broken + `:6:25: faults[0].when.probability: 1.5 is not a probability (0 < p <= 1)` + "\n",
				broken + `:7:10: faults[0].do: unknown field "stauts" (did you mean "status"?)` + "\n",
			},
			[]string{"payap-sandbox: 1 of 2 scenario files are invalid"}},
		{"unreadable file", []string{"validate", missing}, 1,
			[]string{missing + ": cannot read the file: no such file or directory\n"},
			[]string{"payap-sandbox: 1 of 1 scenario files are invalid"}},
		{"a directory", []string{"validate", dir}, 1, []string{dir + ": cannot read the file: is a directory\n"}, nil},
		{"no files", []string{"validate"}, 2, nil, []string{"payap-sandbox: validate needs at least one scenario file"}},
		{"unknown flag", []string{"validate", "--strict", exampleFile}, 2, nil, []string{"unknown flag --strict"}},
		{"help", []string{"validate", "--help"}, 0, nil, []string{"payap-sandbox validate FILE...", "Exits 0 when every file is valid, 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, stdout, stderr := newTestMain(env{})
			code := m.Exec(context.Background(), tc.args)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout does not show %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not show %q:\n%s", w, stderr)
				}
			}
			if tc.code == 0 && tc.stdout != nil && stderr.String() != "" {
				t.Errorf("stderr is not empty: %s", stderr)
			}
			if m.Sandbox != nil {
				t.Error("validate started the sandbox")
			}
		})
	}
}

// TestParseFlagsValidate: validate takes files, not flags, and needs no
// configuration, so a broken environment does not stop it.
func TestParseFlagsValidate(t *testing.T) {
	m, _, _ := newTestMain(env{"PAYAP_SANDBOX_PROVIDER_PORT": "abc"})
	if err := m.ParseFlags(context.Background(), []string{"validate", "a.yaml", "--", "-b.yaml"}); err != nil {
		t.Fatal(err)
	}
	if m.command != "validate" || strings.Join(m.files, " ") != "a.yaml -b.yaml" {
		t.Fatalf("command %q files %q", m.command, m.files)
	}
}

// TestExecServeStillParses: Exec keeps serve's usage errors at exit code 2.
func TestExecServeStillParses(t *testing.T) {
	m, _, stderr := newTestMain(env{})
	if code := m.Exec(context.Background(), []string{"serve", "--log-level", "loud"}); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "log.level") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestBinaryValidate(t *testing.T) {
	mustBinary(t)
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", brokenScenario)
	example, err := filepath.Abs(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"valid", []string{"validate", example}, 0, example + ": ok", ""},
		{"invalid", []string{"validate", example, broken}, 1, broken + ":7:10: faults[0].do: unknown field \"stauts\"", "1 of 2 scenario files are invalid"},
		{"unreadable", []string{"validate", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml: cannot read the file", "1 of 1"},
		{"no files", []string{"validate"}, 2, "", "validate needs at least one scenario file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command(t, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout does not show %q:\n%s", tc.stdout, stdout.String())
			}
			if tc.stderr == "" && stderr.Len() != 0 {
				t.Errorf("stderr is not empty: %s", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr does not show %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}
