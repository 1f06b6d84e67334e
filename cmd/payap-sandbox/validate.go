package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/pflag"

	"github.com/payap/payap-sandbox/scenarios"
)

const validateUsage = `Usage:
  payap-sandbox validate FILE...

Checks each scenario file: the YAML, every field against the format
(version 1) and the references between steps, fixtures and faults. Prints
each file's problems as FILE:LINE:COLUMN: FIELD: PROBLEM, or "FILE: ok".
Exits 0 when every file is valid, 1 when any is invalid or unreadable, 2
for a usage error.
`

// parseValidate reads validate's arguments: one or more scenario files,
// "--" before a file name that starts with "-".
func (m *Main) parseValidate(args []string) error {
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case a == "-h" || a == "--help":
			fmt.Fprint(m.Stderr, validateUsage)
			return pflag.ErrHelp
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("validate: unknown flag %s (usage: payap-sandbox validate FILE...)", a)
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		return errors.New("validate needs at least one scenario file (usage: payap-sandbox validate FILE...)")
	}
	m.command, m.files = "validate", files
	return nil
}

// errInvalid is validate's failure: the problems are already printed.
type errInvalid struct{ invalid, total int }

func (e errInvalid) Error() string {
	return fmt.Sprintf("%d of %d scenario files are invalid", e.invalid, e.total)
}

// validate loads every file and prints its problems, or "FILE: ok", to
// stdout.
func (m *Main) validate() error {
	invalid := 0
	for _, f := range m.files {
		_, err := scenarios.Load(f)
		var problems *scenarios.Error
		var pathErr *fs.PathError
		switch {
		case err == nil:
			fmt.Fprintf(m.Stdout, "%s: ok\n", f)
			continue
		case errors.As(err, &problems):
			fmt.Fprintln(m.Stdout, problems.Error())
		case errors.As(err, &pathErr):
			fmt.Fprintf(m.Stdout, "%s: cannot read the file: %v\n", f, pathErr.Err)
		default:
			fmt.Fprintf(m.Stdout, "%s: cannot read the file: %v\n", f, err)
		}
		invalid++
	}
	if invalid > 0 {
		return errInvalid{invalid, len(m.files)}
	}
	return nil
}
