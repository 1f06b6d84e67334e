package main

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// h6ExamplesDir holds the shipped scenario examples; every one must pass.
var h6ExamplesDir = filepath.Join("..", "..", "scenarios", "examples")

// h6FailingFile is a valid scenario that misses two expectations on
// purpose.
var h6FailingFile = filepath.Join("..", "..", "scenarios", "testdata", "failing", "deliberately-failing.yaml")

// h6JUnit is the part of a JUnit XML report the tests read.
type h6JUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// h6ReadJUnit parses the JUnit report at path.
func h6ReadJUnit(t *testing.T, path string) h6JUnit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the JUnit report: %v", err)
	}
	var j h6JUnit
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("the JUnit report is not XML: %v\n%s", err, data)
	}
	return j
}

// h6Run runs `payap-sandbox run` in-process with args and returns the exit
// code, stdout and stderr.
func h6Run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	m, stdout, stderr := newTestMain(env{})
	code := m.Exec(context.Background(), append([]string{"run"}, args...))
	return code, stdout.String(), stderr.String()
}

// h6Contains reports every want that out lacks.
func h6Contains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not show %q:\n%s", what, w, out)
		}
	}
}

// TestH6RunExamples replays every shipped example through the run command,
// each in a sandbox of its own on free ports, and checks that all of its
// expectations hold, in the text report and in the JUnit report.
func TestH6RunExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(h6ExamplesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s (%v)", h6ExamplesDir, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			junit := filepath.Join(t.TempDir(), "junit.xml")
			code, stdout, stderr := h6Run(t, "--junit", junit, file)
			if code != 0 {
				t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			h6Contains(t, "stdout", stdout, "PASS "+name+":", "all 1 scenarios passed")
			if strings.Contains(stdout, "MISS") {
				t.Errorf("stdout shows a missed step:\n%s", stdout)
			}
			j := h6ReadJUnit(t, junit)
			if j.Failures != 0 || j.Errors != 0 || len(j.Suites) != 1 || j.Tests == 0 {
				t.Errorf("JUnit: %d tests, %d failures, %d errors, %d suites; want some tests, no failures or errors, one suite",
					j.Tests, j.Failures, j.Errors, len(j.Suites))
			}
			if len(j.Suites) == 1 && j.Suites[0].Name != name {
				t.Errorf("JUnit suite is named %q, want %q", j.Suites[0].Name, name)
			}
		})
	}
}

// TestH6RunDeliberatelyFailing runs a scenario that misses two
// expectations and checks that run exits 1 and that both reports name
// each miss: the step, what was expected and what was found.
func TestH6RunDeliberatelyFailing(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := h6Run(t, "--junit", junit, h6FailingFile)
	if code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	const (
		payMiss     = "status is failed, expected successful (ASSET_REDEMPTION_DENIED)"
		balanceMiss = "asset 12345 balance is 5000, expected 3800"
	)
	for _, tc := range []struct {
		name  string
		wants []string
	}{
		{"the pay step", []string{
			"expected: status successful\n",
			"missed:   " + payMiss + "\n",
			"got:      201, status failed, failureReason ASSET_REDEMPTION_DENIED\n",
			"provider  POST   /pay → 200",
		}},
		{"the balance check", []string{
			"expected: asset 12345 balance 3800\n",
			"missed:   " + balanceMiss + "\n",
		}},
		{"the verdict", []string{"FAIL deliberately-failing: 2 of 5 steps missed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h6Contains(t, "stdout", stdout, tc.wants...)
		})
	}
	for _, re := range []string{`(?m)^\s+MISS\s+3 pay\s`, `(?m)^\s+MISS\s+4 expect\s`, `(?m)^\s+ok\s+5 expect\s`} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("stdout does not match %s:\n%s", re, stdout)
		}
	}
	if strings.Contains(stdout, "PASS") {
		t.Errorf("stdout shows PASS:\n%s", stdout)
	}
	h6Contains(t, "stderr", stderr, "1 of 1 scenarios failed")

	j := h6ReadJUnit(t, junit)
	if j.Failures != 2 || j.Errors != 0 || j.Tests != 5 {
		t.Errorf("JUnit: %d tests, %d failures, %d errors; want 5 tests, 2 failures, 0 errors", j.Tests, j.Failures, j.Errors)
	}
	var failures []string
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures = append(failures, c.Failure.Message)
				if !strings.Contains(c.Failure.Text, "missed: "+c.Failure.Message) {
					t.Errorf("JUnit failure of %q does not say what missed:\n%s", c.Name, c.Failure.Text)
				}
			}
		}
	}
	if want := []string{payMiss, balanceMiss}; strings.Join(failures, "\n") != strings.Join(want, "\n") {
		t.Errorf("JUnit failures %q, want %q", failures, want)
	}
}

// TestH6RunUsage checks run's exit codes and messages for usage errors,
// invalid scenario files and files that cannot be read.
func TestH6RunUsage(t *testing.T) {
	invalid := filepath.Join("..", "..", "scenarios", "testdata", "invalid", "bad-match.yaml")
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	happy := filepath.Join(h6ExamplesDir, "happy-path.yaml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr []string
		// junit is how many suites of the JUnit report are errors; -1 for
		// no report.
		junit int
	}{
		{"no files", nil, 2, nil,
			[]string{"payap-sandbox: run needs at least one scenario file (usage: payap-sandbox run [--junit FILE] [-v] FILE...)"}, -1},
		{"unknown flag", []string{"--fast", happy}, 2, nil, []string{"unknown flag: --fast", "usage: payap-sandbox run"}, -1},
		{"help", []string{"--help"}, 0, nil, []string{"payap-sandbox run [--junit FILE] [-v] FILE...", "Exits 0 when every"}, -1},
		{"invalid file", []string{invalid}, 1,
			[]string{
				"scenario " + invalid + " is invalid:\n",
				invalid + `:4:14: faults[0].service: "providr" is not a service (did you mean "provider"?)` + "\n",
				invalid + `:15:18: faults[3].do.status: 100 is not a final HTTP status (200 to 599)` + "\n",
				"FAIL " + invalid + ": not run\n",
			},
			[]string{"payap-sandbox: 1 of 1 scenarios failed"}, 1},
		{"missing file", []string{missing}, 1,
			[]string{missing + ": cannot read the file: no such file or directory\n", "FAIL " + missing + ": not run\n"},
			[]string{"payap-sandbox: 1 of 1 scenarios failed"}, 1},
		{"a good file and a missing one", []string{happy, missing}, 1,
			[]string{"PASS happy-path:", "FAIL " + missing + ": not run\n"},
			[]string{"payap-sandbox: 1 of 2 scenarios failed"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			junit := filepath.Join(t.TempDir(), "junit.xml")
			if tc.junit >= 0 {
				args = append([]string{"--junit", junit}, args...)
			}
			code, stdout, stderr := h6Run(t, args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			h6Contains(t, "stdout", stdout, tc.stdout...)
			h6Contains(t, "stderr", stderr, tc.stderr...)
			if tc.junit < 0 {
				if _, err := os.Stat(junit); err == nil {
					t.Error("a JUnit report was written")
				}
				return
			}
			if j := h6ReadJUnit(t, junit); j.Errors != tc.junit || j.Failures != 0 {
				t.Errorf("JUnit: %d errors, %d failures; want %d errors, 0 failures", j.Errors, j.Failures, tc.junit)
			}
		})
	}
}
