package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// MustParse parses a scenario that must be valid.
func MustParse(tb testing.TB, src string) *Scenario {
	tb.Helper()
	s, err := Parse("test.yaml", []byte(src))
	if err != nil {
		tb.Fatalf("Parse:\n%v", err)
	}
	return s
}

// mustFail parses a scenario that must be invalid and returns its problems.
func mustFail(tb testing.TB, src string) *Error {
	tb.Helper()
	s, err := Parse("test.yaml", []byte(src))
	if err == nil {
		tb.Fatalf("Parse = %+v, want an error", s)
	}
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("Parse error %T %v, want *Error", err, err)
	}
	if s != nil {
		tb.Errorf("Parse returned a scenario with its error")
	}
	return e
}

// TestInvalidFiles: each broken file in testdata/invalid gives exactly
// the problems in its golden file (refresh with -update), and the schema
// rejects the files whose problems it can see.
func TestInvalidFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		// schema says whether the JSON Schema rejects the file too; it
		// cannot see rules between fields, references or YAML syntax.
		schema bool
	}{
		{"checkout", true},
		{"syntax-error", false},
		{"flow-braces", false},
		{"unsupported-version", true},
		{"missing-required", true},
		{"wrong-types", true},
		{"impossible-triggers", true},
		{"bad-actions", true},
		{"bad-match", true},
		{"bad-fixtures", true},
		{"unknown-references", true},
		{"structure", true},
		{"empty", false},
		{"not-a-mapping", true},
		{"two-documents", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tc.name+".yaml")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(tc.name+".yaml", data)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", s)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *Error", err)
			}
			got := err.Error() + "\n"
			golden := filepath.Join("testdata", "invalid", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
			for i, p := range e.Problems {
				if p.Pos.File != tc.name+".yaml" || p.Pos.Line < 1 || p.Pos.Column < 1 {
					t.Errorf("problem %d has position %+v", i, p.Pos)
				}
				if i > 0 && comparePos(e.Problems[i-1].Pos, p.Pos) > 0 {
					t.Errorf("problems are not sorted: %v before %v", e.Problems[i-1].Pos, p.Pos)
				}
			}
			if tc.schema {
				if err := validateWithSchema(t, tc.name+".yaml", data); err == nil {
					t.Errorf("the schema accepts %s, which the loader rejects", path)
				}
			}
		})
	}
}

func comparePos(a, b Pos) int {
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Column - b.Column
}

// TestInvalidFilesAreAllTested: no broken file sits in testdata/invalid
// without a case and a golden file.
func TestInvalidFilesAreAllTested(t *testing.T) {
	src, err := os.ReadFile("load_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no files in testdata/invalid")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !strings.Contains(string(src), `{"`+name+`", `) {
			t.Errorf("%s has no case in TestInvalidFiles", f)
		}
	}
}

// TestExamples: every shipped example loads cleanly, validates against
// the schema, points editors at the schema, and is embedded.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if want := strings.TrimSuffix(filepath.Base(f), ".yaml"); s.Name != want {
				t.Errorf("name %q, want the file's name %q", s.Name, want)
			}
			if s.File != f {
				t.Errorf("File = %q, want %q", s.File, f)
			}
			data, _ := os.ReadFile(f)
			if first, _, _ := strings.Cut(string(data), "\n"); first != "# yaml-language-server: $schema=../schema.json" {
				t.Errorf("first line %q does not point editors at the schema", first)
			}
			if err := validateWithSchema(t, f, data); err != nil {
				t.Errorf("schema: %v", err)
			}
			embedded, err := fs.ReadFile(Examples, "examples/"+filepath.Base(f))
			if err != nil || string(embedded) != string(data) {
				t.Errorf("examples/%s is not embedded as is (%v)", filepath.Base(f), err)
			}
		})
	}
}

// TestParseFillsDefaults: what the model documents as defaults is there
// after Parse.
const defaultsScenario = `
version: 1
name: defaults
fixtures:
  provider:
    users:
      - username: alice
        password: pw
        assets: [{id: a1, description: Points, balance: "10"}]
    clients:
      - {id: partner, redirectUris: ["https://partner.example/cb"]}
  centrapay:
    merchants: [{id: cafe, name: Cafe}]
    apiKeys: [{key: k1, role: merchant-terminal}]
faults:
  - service: provider
    match: {path: /pay}
    do: {payResult: {status: pending}}
steps:
  - connect: {user: alice}
  - connect: {user: alice, deny: true}
  - fetch:
  - paymentRequest: {amount: "100"}
  - pay: {asset: a1}
`

func TestParseFillsDefaults(t *testing.T) {
	s := MustParse(t, defaultsScenario)
	if err := validateWithSchema(t, "test.yaml", []byte(defaultsScenario)); err != nil {
		t.Errorf("the schema rejects what the loader accepts: %v", err)
	}
	a := s.Fixtures.Provider.Users[0].Assets[0]
	if a.Currency != "NZD" || !a.PartialRefunds || a.PendingPolls != 0 || a.Balance != 10 {
		t.Errorf("asset defaults: %+v", a)
	}
	if c := s.Fixtures.Provider.Clients[0]; c.AuthMethod != "none" {
		t.Errorf("client authMethod %q, want none", c.AuthMethod)
	}
	if m := s.Fixtures.Centrapay.Merchants[0]; m.ExternalMerchantID != "cafe" {
		t.Errorf("merchant externalMerchantId %q, want its id", m.ExternalMerchantID)
	}
	if k := s.Fixtures.Centrapay.APIKeys[0]; k.Merchant != DefaultMerchant || k.Wallet != "" {
		t.Errorf("API key owner %+v, want the default merchant", k)
	}
	f := s.Faults[0]
	if f.Name != "faults[0]" || f.Do.PayResult.ResolveAfterPolls != 1 || f.Do.PayResult.Then != "successful" {
		t.Errorf("fault defaults: name %q, payResult %+v", f.Name, *f.Do.PayResult)
	}
	if f.When.Probability != 0 || f.When.Times != 0 || f.When.Window != nil {
		t.Errorf("when defaults: %+v", f.When)
	}
	c := s.Steps[0].Connect
	if !slices.Equal(c.Grant, []string{ScopeRead, ScopePay}) || c.PayapUser != DemoPayapUser {
		t.Errorf("connect defaults: %+v", c)
	}
	if d := s.Steps[1].Connect; len(d.Grant) != 0 || !d.Deny {
		t.Errorf("a denied connect got scopes: %+v", d)
	}
	if st := s.Steps[2]; st.Kind() != "fetch" || st.Fetch.PayapUser != DemoPayapUser {
		t.Errorf("a bare fetch: %+v", st)
	}
	if r := s.Steps[3].PaymentRequest; r.Merchant != DefaultMerchant || r.Currency != "NZD" || r.Amount != 100 {
		t.Errorf("paymentRequest defaults: %+v", r)
	}
	if p := s.Steps[4].Pay; p.PayapUser != DemoPayapUser || p.Request != "" {
		t.Errorf("pay defaults: %+v", p)
	}
}

// TestParseModel: every kind of value lands in the model as documented.
const everythingScenario = `
version: 1
name: everything
description: all the shapes
seed: 7
clock: 2026-01-01T09:00:00+13:00
faults:
  - &probe
    service: provider
    match: {method: GET, path: "/assets/{assetId}"}
    do: {hang: true}
  - <<: *probe
    name: slow-assets
    when: {every: 2, after: 1, times: 3, probability: 0.5, window: {from: 30s, to: "2026-01-02T00:00:00Z"}}
    do: {delay: 100ms-2s, status: 503, body: {error: busy, retry: [1, 2.5, true, null]}, headers: {Retry-After: "1"}}
  - service: provider
    match: {path: /token, header: {X-Trace: "1"}, query: {grant_type: refresh_token}, body: {amount: 5, ok: true, note: null}}
    when: {nth: [1, 3]}
    do: {oauthError: invalid_grant}
  - service: provider
    match: {path: /pay}
    do: {payResult: {status: pending, resolveAfterPolls: 3, then: failed, failureReason: PAYMENT_DECLINED}}
  - service: centrapay
    match: {path: /hooks}
    do: {webhookFailure: {status: 503}}
  - {service: payap, match: {path: /api/wallet}, do: {truncate: 10}}
  - {service: payap, match: {path: /api/wallet}, do: {rateLimit: {retryAfter: 30}}}
  - {service: payap, match: {path: /api/wallet}, do: {expireGrant: {user: demo}}}
  - {service: payap, match: {path: /api/wallet}, do: {body: "plain text", status: 500}}
  - {service: payap, match: {path: "/api/**"}, do: {drop: true}}
steps:
  - paymentRequest: {amount: "1200", as: a, expirySeconds: 60}
  - advanceClock: 1h30m
  - refund: {request: a, amount: "5", expect: {status: failed, failureReason: REFUND_AMOUNT_EXCEEDED, httpStatus: 200}}
  - void: {expect: {status: cancelled}}
  - cancel: {request: a}
  - setBalance: {asset: "99999", balance: "0"}
  - revokeGrant: {user: demo}
  - fetch: {expect: {assets: 0, balances: {"12345": "5000"}}}
  - expect: {journal: {service: provider, method: GET, path: "/assets/{assetId}", status: 503, fault: slow-assets, count: 0}}
`

func TestParseModel(t *testing.T) {
	s := MustParse(t, everythingScenario)
	if err := validateWithSchema(t, "test.yaml", []byte(everythingScenario)); err != nil {
		t.Errorf("the schema rejects what the loader accepts: %v", err)
	}
	if s.Name != "everything" || s.Description != "all the shapes" || *s.Seed != 7 {
		t.Errorf("header: %+v", s)
	}
	if want := time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC); !s.Clock.Equal(want) {
		t.Errorf("clock %v, want %v", s.Clock, want)
	}
	if !s.Faults[0].Do.Hang || s.Faults[0].Name != "faults[0]" {
		t.Errorf("anchored fault: %+v", s.Faults[0])
	}
	s.Faults = s.Faults[1:]
	f := s.Faults[0]
	if f.Service != "provider" || f.Match.Method != "GET" || f.Match.Path != "/assets/{assetId}" {
		t.Errorf("merged match: %+v", f)
	}
	w := f.When
	if w.Every != 2 || w.After != 1 || w.Times != 3 || w.Probability != 0.5 {
		t.Errorf("when: %+v", w)
	}
	if w.Window.From.Absolute || w.Window.From.Offset != 30*time.Second || !w.Window.To.Absolute ||
		!w.Window.To.Time.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("window: %+v %+v", *w.Window.From, *w.Window.To)
	}
	if got := w.Window.From.At(*s.Clock); !got.Equal(s.Clock.Add(30 * time.Second)) {
		t.Errorf("From.At = %v", got)
	}
	if *f.Do.Delay != (Delay{100 * time.Millisecond, 2 * time.Second}) || f.Do.Delay.String() != "100ms-2s" {
		t.Errorf("delay: %+v", f.Do.Delay)
	}
	wantBody := map[string]any{"error": "busy", "retry": []any{int64(1), 2.5, true, nil}}
	if !reflect.DeepEqual(f.Do.Body, wantBody) || f.Do.Headers["Retry-After"] != "1" {
		t.Errorf("response: body %#v headers %v", f.Do.Body, f.Do.Headers)
	}
	if fams := f.Do.Families(); !slices.Equal(fams, []string{FamilyDelay, FamilyResponse}) {
		t.Errorf("families %v", fams)
	}
	m := s.Faults[1].Match
	if m.Header["X-Trace"] != "1" || m.Query["grant_type"] != "refresh_token" ||
		!reflect.DeepEqual(m.Body, map[string]any{"amount": int64(5), "ok": true, "note": nil}) {
		t.Errorf("match: %+v", m)
	}
	if !slices.Equal(s.Faults[1].When.Nth, []int{1, 3}) || s.Faults[1].Do.OAuthError != "invalid_grant" {
		t.Errorf("fault 1: %+v", s.Faults[1])
	}
	if r := *s.Faults[2].Do.PayResult; r != (PayResult{Status: "pending", ResolveAfterPolls: 3, Then: "failed", FailureReason: "PAYMENT_DECLINED"}) {
		t.Errorf("payResult %+v", r)
	}
	if s.Faults[3].Do.WebhookFailure.Status != 503 || s.Faults[4].Do.Truncate != 10 || s.Faults[5].Do.RateLimit.RetryAfter != 30 ||
		s.Faults[6].Do.ExpireGrant.User != "demo" || s.Faults[7].Do.Body != "plain text" {
		t.Errorf("faults 3-7: %+v", s.Faults[3:])
	}
	kinds := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		kinds[i] = st.Kind()
	}
	if want := []string{"paymentRequest", "advanceClock", "refund", "void", "cancel", "setBalance", "revokeGrant", "fetch", "expect"}; !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if *s.Steps[1].AdvanceClock != 90*time.Minute {
		t.Errorf("advanceClock %v", *s.Steps[1].AdvanceClock)
	}
	if e := s.Steps[2].Refund.Expect; *e != (Outcome{Status: "failed", FailureReason: "REFUND_AMOUNT_EXCEEDED", HTTPStatus: 200}) {
		t.Errorf("refund expect %+v", e)
	}
	if fe := s.Steps[7].Fetch.Expect; *fe.Assets != 0 || fe.Balances["12345"] != 5000 {
		t.Errorf("fetch expect %+v", fe)
	}
	if j := s.Steps[8].Expect.Journal; j.Fault != "slow-assets" || *j.Count != 0 || j.Status != 503 {
		t.Errorf("journal expect %+v", j)
	}
}

// TestParseCollectsEveryProblem: one file with many mistakes reports all
// of them, each with a position and a path, sorted.
func TestParseCollectsEveryProblem(t *testing.T) {
	e := mustFail(t, `version: 1
name: many
faults:
  - service: provider
    match: {path: /token}
    when: {probability: 1.5, nth: [0]}
    do: {stauts: 503}
steps:
  - payy: {}
  - pay: {asset: nope}
`)
	got := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		got[i] = p.String()
	}
	wantLines := []string{
		`test.yaml:6:25: faults[0].when.probability: 1.5 is not a probability (0 < p <= 1)`,
		`test.yaml:6:36: faults[0].when.nth[0]: 0 is not a call number: calls count from 1`,
		`test.yaml:7:10: faults[0].do: unknown field "stauts" (did you mean "status"?)`,
		`test.yaml:9:5: steps[0]: unknown step "payy" (known: connect, fetch, paymentRequest, pay, refund, void, cancel, advanceClock, setBalance, revokeGrant, expect)`,
		`test.yaml:10:10: steps[1].pay: no payment request yet: add a paymentRequest step before this one`,
		`test.yaml:10:18: steps[1].pay.asset: unknown asset "nope" (known: 12345, 56789, 99999)`,
	}
	if !slices.Equal(got, wantLines) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	if e.File != "test.yaml" || e.Error() != strings.Join(wantLines, "\n") {
		t.Errorf("Error() = %q", e.Error())
	}
	if p := e.Problems[0]; p.Path != "faults[0].when.probability" || p.Pos != (Pos{"test.yaml", 6, 25}) {
		t.Errorf("first problem %+v", p)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want string // one problem, as printed
	}{
		{"not a step key in a step", "version: 1\nname: x\nsteps:\n  - pay: {asset: \"12345\"}\n    expect: {balance: {asset: \"12345\", equals: \"1\"}}\n",
			"test.yaml:4:5: steps[0]: a step has exactly one key, found 2: pay, expect (make them separate steps, or indent the later ones)"},
		{"null value", "version: 1\nname: x\ndescription:\n",
			"test.yaml:3:13: description: has no value: expected a string"},
		{"null list", "version: 1\nname: x\nfaults:\n",
			"test.yaml:3:8: faults: has no value: expected a list"},
		{"delay without unit", "version: 1\nname: x\nfaults: [{service: payap, match: {path: /x}, do: {delay: 1500}}]\n",
			"test.yaml:3:58: faults[0].do.delay: 1500 has no unit: write 1500ms, or a range such as 100ms-2s"},
		{"negative duration", "version: 1\nname: x\nsteps: [{advanceClock: -2h}]\n",
			`test.yaml:3:24: steps[0].advanceClock: "-2h" is not a duration: use a number and a unit, such as 1500ms, 90s or 2h`},
		{"version as string", "version: \"1\"\nname: x\n",
			`test.yaml:1:10: version: the string "1" is not a format version (supported: 1)`},
		{"clock as date only", "version: 1\nname: x\nclock: 2026-01-01\n",
			`test.yaml:3:8: clock: "2026-01-01" is not an RFC 3339 time such as 2026-01-01T09:00:00Z`},
		{"typo of an enum", "version: 1\nname: x\nfaults: [{service: provder, match: {path: /x}, do: {drop: true}}]\n",
			`test.yaml:3:20: faults[0].service: "provder" is not a service (did you mean "provider"?)`},
		{"probability 0", "version: 1\nname: x\nfaults: [{service: payap, match: {path: /x}, when: {probability: 0}, do: {hang: true}}]\n",
			`test.yaml:3:66: faults[0].when.probability: 0 is not a probability (0 < p <= 1)`},
		{"two documents", "version: 1\nname: x\n---\nname: y\n",
			`test.yaml:3:1: a scenario file holds one YAML document; this is a second one (after ---)`},
		{"unknown anchor", "version: 1\nname: x\ndescription: *nope\n",
			`test.yaml:3:1: invalid YAML: unknown anchor 'nope' referenced`},
		{"merge of a scalar", "version: 1\nname: x\nfixtures: {<<: 1}\n",
			`test.yaml:3:16: fixtures: << merges mappings only, found 1`},
		{"huge amount", "version: 1\nname: x\nsteps: [{setBalance: {asset: \"12345\", balance: \"99999999999999999999\"}}]\n",
			`test.yaml:3:48: steps[0].setBalance.balance: "99999999999999999999" is too large an amount`},
		{"request named later in expect", "version: 1\nname: x\nsteps:\n  - expect: {paymentRequest: {name: r, status: paid}}\n  - paymentRequest: {amount: \"1\", as: r}\n",
			`test.yaml:4:37: steps[0].expect.paymentRequest.name: payment request "r" is created only later, by steps[1]`},
		{"window of one kind backwards", "version: 1\nname: x\nfaults: [{service: payap, match: {path: /x}, when: {window: {from: \"2026-01-02T00:00:00Z\", to: \"2026-01-01T00:00:00Z\"}}, do: {hang: true}}]\n",
			`test.yaml:3:96: faults[0].when.window.to: 2026-01-01T00:00:00Z is not after from (2026-01-02T00:00:00Z): the window is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustFail(t, tc.src)
			if got := e.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestParseAliasBomb: a file that expands exponentially through aliases
// is an error, quickly.
func TestParseAliasBomb(t *testing.T) {
	src := "version: 1\nname: bomb\nfaults:\n  - service: payap\n    match: {path: /x}\n    do:\n      status: 200\n      body:\n        a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		src += fmt.Sprintf("        a%d: &a%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 9), prev)
	}
	start := time.Now()
	e := mustFail(t, src)
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if !strings.Contains(e.Error(), "more than 100000 values") {
		t.Errorf("problems:\n%v", e)
	}
}

// TestParseDocumentMarkers: document start and end markers around the one
// document are fine.
func TestParseDocumentMarkers(t *testing.T) {
	for _, src := range []string{
		"---\nversion: 1\nname: x\n",
		"version: 1\nname: x\n...\n",
		"version: 1\nname: x\n---\n",
		"# comment\n---\nversion: 1\nname: x\n---\n# trailing comment\n",
	} {
		MustParse(t, src)
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	var e *Error
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &e) {
		t.Fatalf("Load = %v, want a not-exist error that is not an *Error", err)
	}
}

func TestStepKinds(t *testing.T) {
	ft := reflect.TypeFor[Step]()
	var tags []string
	for i := range ft.NumField() {
		tags = append(tags, ft.Field(i).Tag.Get("yaml"))
		st := Step{}
		f := reflect.ValueOf(&st).Elem().Field(i)
		f.Set(reflect.New(f.Type().Elem()))
		if st.Kind() != tags[i] {
			t.Errorf("Kind() = %q for field %s, want %q", st.Kind(), ft.Field(i).Name, tags[i])
		}
	}
	if !slices.Equal(tags, StepKinds) {
		t.Errorf("StepKinds %v, want the Step fields %v", StepKinds, tags)
	}
	if (Step{}).Kind() != "" {
		t.Error("the zero Step has a kind")
	}
}

// TestSeededNamesMatchTheServices: what the validator treats as seeded is
// what the services actually seed.
func TestSeededNamesMatchTheServices(t *testing.T) {
	ps := mockprovider.NewMemStore()
	if err := mockprovider.Seed(ps, 42); err != nil {
		t.Fatal(err)
	}
	for _, u := range SeededProviderUsers {
		user, ok := ps.UserByUsername(u)
		if !ok {
			t.Errorf("provider user %q is not seeded", u)
			continue
		}
		var ids []string
		for _, a := range ps.Assets(user.ID) {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, SeededAssets) {
			t.Errorf("%s's assets are %v, SeededAssets %v", u, ids, SeededAssets)
		}
	}
	pp := mockpayap.NewMemStore()
	if err := mockpayap.Seed(pp, 42); err != nil {
		t.Fatal(err)
	}
	for _, u := range SeededPayapUsers {
		if _, ok := pp.UserByEmail(u); !ok {
			t.Errorf("Payap user %q is not seeded", u)
		}
	}
	cs := mockcentrapay.NewMemStore(42)
	if err := mockcentrapay.Seed(cs, mockcentrapay.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range cs.APIKeys() {
		keys = append(keys, k.Secret)
	}
	slices.Sort(keys)
	if want := slices.Sorted(slices.Values(SeededAPIKeys)); !slices.Equal(keys, want) {
		t.Errorf("Centrapay keys %v, SeededAPIKeys %v", keys, want)
	}
	if !slices.Equal(SeededWallets, []string{mockcentrapay.PayapWalletID}) {
		t.Errorf("SeededWallets %v, want %q", SeededWallets, mockcentrapay.PayapWalletID)
	}
	if !slices.Equal(SeededOAuthClients, []string{mockprovider.DefaultClientID}) {
		t.Errorf("SeededOAuthClients %v, want %q", SeededOAuthClients, mockprovider.DefaultClientID)
	}
}
