package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
	oa "github.com/payap/payap-sandbox/internal/openapitest"
	"github.com/payap/payap-sandbox/scenarios"
)

var h5Start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// h5Backend is a fake Backend: plain maps behind one mutex, a real journal,
// the real scenario parser, and fail to make any call fail as the real
// sandbox might.
type h5Backend struct {
	mu        sync.Mutex
	ready     bool
	now       time.Time
	scenarios []Scenario
	rules     []faults.RuleStatus
	balances  map[string]int64
	tokens    map[string]int // username → live access tokens
	state     []byte
	resets    int
	fail      error // returned by every fallible call when set
	journal   *journal.Journal
}

var _ Backend = (*h5Backend)(nil)

func h5NewBackend() *h5Backend {
	return &h5Backend{
		ready: true,
		now:   h5Start,
		scenarios: []Scenario{{
			Name: "flaky-token-endpoint", File: "flaky-token-endpoint.yaml", Description: "the provider's token endpoint fails twice",
			Faults: []string{"fault-1"}, LoadedAt: h5Start,
		}},
		rules: []faults.RuleStatus{{
			ID:     "fault-1",
			Active: true, Matched: 3, Fired: 2,
			Rule: faults.Rule{Name: "fault-1", Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"},
				When: faults.Trigger{Nth: []int{1, 2}},
				Do:   faults.Action{Status: 503, Delay: 1500 * time.Millisecond, Body: []byte(`{"error":"temporarily_unavailable"}`)}},
		}},
		balances: map[string]int64{"12345": 5000},
		tokens:   map[string]int{"demo": 2},
		state:    []byte(`{"version":1,"stores":{}}`),
		journal:  journal.New(journal.Config{Capacity: 50}),
	}
}

func (b *h5Backend) Services() []Service {
	return []Service{{Name: "provider", BaseURL: "http://127.0.0.1:8401"}, {Name: "payap", BaseURL: "http://127.0.0.1:8402"}, {Name: "centrapay", BaseURL: "http://127.0.0.1:8403"}}
}

func (b *h5Backend) Ready() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.ready }

func (b *h5Backend) Reset() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.resets++
	b.journal.Reset()
	return nil
}

func (b *h5Backend) Scenarios() []Scenario {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Scenario(nil), b.scenarios...)
}

func (b *h5Backend) LoadScenario(name string, src []byte, activate bool) (Scenario, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return Scenario{}, b.fail
	}
	s, err := scenarios.Parse(name, src)
	if err != nil {
		return Scenario{}, err
	}
	if s.Name == "clashing" {
		return Scenario{}, fmt.Errorf("%w: fixture user alice already exists", ErrInvalid)
	}
	out := Scenario{Name: s.Name, File: name, Description: s.Description, Steps: len(s.Steps), LoadedAt: b.now, Active: activate}
	for i := range s.Faults {
		out.Faults = append(out.Faults, fmt.Sprintf("%s-%d", s.Name, i+1))
	}
	for i, old := range b.scenarios {
		if old.Name == s.Name {
			b.scenarios[i] = out
			return out, nil
		}
	}
	b.scenarios = append(b.scenarios, out)
	return out, nil
}

func (b *h5Backend) setActive(name string, active bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	for i := range b.scenarios {
		if b.scenarios[i].Name == name {
			b.scenarios[i].Active = active
			return nil
		}
	}
	return fmt.Errorf("scenario %q: %w", name, ErrNotFound)
}

func (b *h5Backend) ActivateScenario(name string) error   { return b.setActive(name, true) }
func (b *h5Backend) DeactivateScenario(name string) error { return b.setActive(name, false) }

func (b *h5Backend) Faults() []faults.RuleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]faults.RuleStatus(nil), b.rules...)
}

func (b *h5Backend) SetFaultActive(id string, active bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	for i := range b.rules {
		if b.rules[i].ID == id {
			b.rules[i].Active = active
			return nil
		}
	}
	return fmt.Errorf("fault %q: %w", id, faults.ErrNotFound)
}

func (b *h5Backend) Now() time.Time { b.mu.Lock(); defer b.mu.Unlock(); return b.now }

func (b *h5Backend) AdvanceClock(d time.Duration) (time.Time, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return time.Time{}, b.fail
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("%w: negative duration", ErrInvalid)
	}
	b.now = b.now.Add(d)
	return b.now, nil
}

func (b *h5Backend) SetClock(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.now = t
	return nil
}

func (b *h5Backend) Journal() *journal.Journal { return b.journal }

func (b *h5Backend) ExportState() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return nil, b.fail
	}
	return append([]byte(nil), b.state...), nil
}

func (b *h5Backend) ImportState(snapshot []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(snapshot, &v); err != nil || v.Version != 1 {
		return &StateError{Problems: []string{"version must be 1", "stores are missing"}}
	}
	b.state = append([]byte(nil), snapshot...)
	return nil
}

func (b *h5Backend) SetBalance(assetID string, balance int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	if _, ok := b.balances[assetID]; !ok {
		return fmt.Errorf("asset %q: %w", assetID, ErrNotFound)
	}
	if balance > 1_000_000_000_000 {
		return fmt.Errorf("%w: the provider keeps balances below 10^12", ErrInvalid)
	}
	b.balances[assetID] = balance
	return nil
}

func (b *h5Backend) userCall(username string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return 0, b.fail
	}
	n, ok := b.tokens[username]
	if !ok {
		return 0, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	b.tokens[username] = 0
	return n, nil
}

func (b *h5Backend) RevokeGrants(username string) (int, error) { return b.userCall(username) }
func (b *h5Backend) ExpireTokens(username string) (int, error) { return b.userCall(username) }

// h5Record appends n entries to the journal, cycling through services,
// paths and statuses, and returns the last id.
func h5Record(b *h5Backend, n int) uint64 {
	var last uint64
	for i := range n {
		e := journal.Entry{Time: h5Start, Service: []string{"provider", "payap", "centrapay"}[i%3], Method: "GET",
			Path: "/assets/" + strconv.Itoa(12345+i), Status: []int{200, 404, 503}[i%3], Latency: time.Millisecond,
			RequestHeaders: http.Header{"Accept": {"application/json"}}}
		if i%3 == 2 {
			e.Method, e.Path, e.Fault = "POST", "/token", "fault-1"
		}
		last = b.journal.Append(e)
	}
	return last
}

// h5Doc is the embedded document, parsed once per test.
func h5Doc(t *testing.T) oa.Obj {
	t.Helper()
	return oa.Load(t, openAPIDoc)
}

// h5Request is one call to the handler.
type h5Request struct {
	method, path, contentType, body string
	remote                          string // RemoteAddr; 127.0.0.1:50000 when empty
}

// h5Serve runs one request through New with cfg and checks the answer
// against the document: the status is documented for the operation (or,
// for a path or method the API does not serve, the answer is an Error),
// the content type is documented, the JSON body matches its schema, and
// the documented headers are sent. It returns the recorder and the decoded
// JSON body.
func h5Serve(t *testing.T, doc oa.Obj, h http.Handler, req h5Request) (*httptest.ResponseRecorder, any) {
	t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.path, body)
	r.RemoteAddr = req.remote
	if r.RemoteAddr == "" {
		r.RemoteAddr = "127.0.0.1:50000"
	}
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, h5CheckAnswer(t, doc, req.method, r.URL.Path, rec.Code, rec.Header(), rec.Body.Bytes())
}

// h5CheckAnswer checks one answer against the document; see h5Serve.
func h5CheckAnswer(t *testing.T, doc oa.Obj, method, path string, status int, header http.Header, raw []byte) any {
	t.Helper()
	name := fmt.Sprintf("%s %s → %d", method, path, status)
	ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	var decoded any
	if ct == "application/json" {
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Errorf("%s: invalid JSON: %v", name, err)
		}
	}
	template, op := h5Operation(doc, method, path)
	if op == nil {
		if ct != "application/json" {
			t.Errorf("%s: an undocumented route answered %q, not a JSON error", name, ct)
		}
		for _, e := range oa.Validate(doc, map[string]any{"$ref": "#/components/schemas/Error"}, decoded, name) {
			t.Error(e)
		}
		return decoded
	}
	resp := oa.Deref(doc, oa.Map(op["responses"])[strconv.Itoa(status)])
	if resp == nil {
		t.Errorf("%s: status %d is not documented for %s %s: %s", name, status, method, template, raw)
		return decoded
	}
	content := oa.Map(resp["content"])
	switch {
	case content == nil && len(raw) > 0 && method != http.MethodHead:
		t.Errorf("%s: documents no body but one came: %s", name, raw)
	case content != nil && content[ct] == nil:
		t.Errorf("%s: Content-Type %q is not documented", name, ct)
	case content != nil && ct == "application/json":
		for _, e := range oa.Validate(doc, oa.At(content, ct, "schema"), decoded, name) {
			t.Error(e)
		}
	}
	for h, spec := range oa.Map(resp["headers"]) {
		got := header.Get(h)
		if got == "" {
			t.Errorf("%s: documents header %s, not sent", name, h)
			continue
		}
		if enum := oa.Strings(oa.At(oa.Deref(doc, spec), "schema", "enum")); enum != nil && !slices.Contains(enum, got) {
			t.Errorf("%s: header %s = %q, documented %v", name, h, got, enum)
		}
	}
	return decoded
}

// h5Operation finds the documented operation serving method on path.
func h5Operation(doc oa.Obj, method, path string) (string, oa.Obj) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for _, o := range oa.Ops(doc) {
		if o.Method != method {
			continue
		}
		p, err := compilePathPattern(o.Path)
		if err == nil && p.match(path) {
			return o.Path, o.Op
		}
	}
	return "", nil
}

// h5Code is the error code of a decoded answer, or "".
func h5Code(body any) string {
	c, _ := oa.At(body, "error", "code").(string)
	return c
}

// h5Fail is the error the fake backend returns for an internal failure.
var h5Fail = errors.New("disk on fire at /var/secret/path")
