package sandbox_test

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/payap/payap-sandbox/scenarios"
)

// TestExampleScenariosPassInProcess runs every shipped example against a
// sandbox in this process; the cmd tests run them through the binary's run
// command.
func TestExampleScenariosPassInProcess(t *testing.T) {
	files, _ := fs.Glob(scenarios.Examples, "examples/*.yaml")
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, _ := fs.ReadFile(scenarios.Examples, f)
			sb := MustStart(t)
			info, err := sb.LoadScenario(f, data, false)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := sb.RunScenario(context.Background(), info.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep.WriteText(&out, true)
			if !rep.Passed && !strings.Contains(f, "fail") {
				t.Fatalf("scenario missed:\n%s", out.String())
			}
			t.Log(out.String())
		})
	}
}
