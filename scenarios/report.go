package scenarios

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for a person: a line per step, and for a step
// that missed, what was sent, what came back, what was expected, what
// missed and the exchanges it caused. verbose shows that for every step.
func (r Report) WriteText(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "scenario %s (%s)\n", r.Scenario, r.File)
	for _, s := range r.Steps {
		mark := "ok  "
		if !s.Passed {
			mark = "MISS"
		}
		fmt.Fprintf(w, "  %s %2d %-14s %s (%s)\n", mark, s.Index, s.Kind, s.Title, s.Duration.Round(time.Millisecond))
		if s.Passed && !verbose {
			continue
		}
		field := func(name, value string) {
			if value != "" {
				fmt.Fprintf(w, "         %-9s %s\n", name+":", value)
			}
		}
		field("sent", s.Sent)
		field("got", s.Got)
		field("expected", strings.Join(s.Expected, "; "))
		field("error", s.Err)
		for _, m := range s.Misses {
			field("missed", m)
		}
		if len(s.Exchanges) > 0 {
			fmt.Fprintf(w, "         exchanges:\n")
			for _, e := range s.Exchanges {
				fmt.Fprintf(w, "           %s\n", e)
			}
		}
	}
	if r.Passed {
		fmt.Fprintf(w, "PASS %s: %d steps (%s)\n", r.Scenario, len(r.Steps), r.Duration.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "FAIL %s: %d of %d steps missed (%s)\n", r.Scenario, r.Failed(), len(r.Steps), r.Duration.Round(time.Millisecond))
	}
}

// JUnit XML, as CI systems read it: a suite per scenario, a case per step.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	File     string      `xml:"file,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`
	Error    *junitFail  `xml:"error,omitempty"`
}

type junitCase struct {
	Name      string     `xml:"name,attr"`
	ClassName string     `xml:"classname,attr"`
	Time      string     `xml:"time,attr"`
	Failure   *junitFail `xml:"failure,omitempty"`
	Error     *junitFail `xml:"error,omitempty"`
	SystemOut string     `xml:"system-out,omitempty"`
}

type junitFail struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// SuiteError is a scenario that could not run at all (an invalid file, a
// sandbox that did not start), for WriteJUnit.
type SuiteError struct {
	Scenario, File string
	Err            error
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes reports (and scenarios that could not run) as JUnit XML.
func WriteJUnit(w io.Writer, reports []Report, broken []SuiteError) error {
	all := junitSuites{}
	var total time.Duration
	for _, r := range reports {
		suite := junitSuite{Name: r.Scenario, File: r.File, Tests: len(r.Steps), Time: seconds(r.Duration)}
		total += r.Duration
		for _, s := range r.Steps {
			c := junitCase{
				Name:      fmt.Sprintf("%02d %s: %s", s.Index, s.Kind, s.Title),
				ClassName: "scenario." + r.Scenario,
				Time:      seconds(s.Duration),
				SystemOut: strings.Join(append([]string{"sent: " + s.Sent, "got: " + s.Got}, s.Exchanges...), "\n"),
			}
			switch {
			case s.Err != "":
				suite.Errors++
				c.Error = &junitFail{Message: s.Err, Type: "step error", Text: s.Err}
			case len(s.Misses) > 0:
				suite.Failures++
				c.Failure = &junitFail{
					Message: strings.Join(s.Misses, "; "),
					Type:    "expectation missed",
					Text:    "expected: " + strings.Join(s.Expected, "; ") + "\nmissed: " + strings.Join(s.Misses, "\nmissed: "),
				}
			}
			suite.Cases = append(suite.Cases, c)
		}
		all.Tests += suite.Tests
		all.Failures += suite.Failures
		all.Errors += suite.Errors
		all.Suites = append(all.Suites, suite)
	}
	for _, b := range broken {
		all.Errors++
		all.Tests++
		all.Suites = append(all.Suites, junitSuite{
			Name: b.Scenario, File: b.File, Tests: 1, Errors: 1, Time: "0.000",
			Cases: []junitCase{{Name: "load and start", ClassName: "scenario." + b.Scenario, Time: "0.000",
				Error: &junitFail{Message: firstLine(b.Err.Error()), Type: "scenario error", Text: b.Err.Error()}}},
		})
	}
	all.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
