package faults_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
)

func TestTriggers(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		when  faults.Trigger
		calls int
		want  []int
	}{
		{"none: always", faults.Trigger{}, 4, []int{1, 2, 3, 4}},
		{"nth", faults.Trigger{Nth: []int{1, 2}}, 5, []int{1, 2}},
		{"nth out of order", faults.Trigger{Nth: []int{5, 2}}, 6, []int{2, 5}},
		{"every", faults.Trigger{Every: 3}, 10, []int{3, 6, 9}},
		{"every 1", faults.Trigger{Every: 1}, 3, []int{1, 2, 3}},
		{"after", faults.Trigger{After: 3}, 6, []int{4, 5, 6}},
		{"times", faults.Trigger{Times: 2}, 5, []int{1, 2}},
		{"after and times", faults.Trigger{After: 2, Times: 2}, 7, []int{3, 4}},
		{"every and times", faults.Trigger{Every: 2, Times: 2}, 10, []int{2, 4}},
		{"nth and every", faults.Trigger{Nth: []int{2, 3, 4}, Every: 2}, 6, []int{2, 4}},
		{"nth and after", faults.Trigger{Nth: []int{1, 4}, After: 2}, 5, []int{4}},
		{"probability 1", faults.Trigger{Probability: 1}, 3, []int{1, 2, 3}},
		{"window from", faults.Trigger{From: start.Add(3 * time.Minute)}, 5, []int{4, 5}},
		{"window to", faults.Trigger{To: start.Add(2 * time.Minute)}, 5, []int{1, 2}},
		{"window from and to", faults.Trigger{From: start.Add(time.Minute), To: start.Add(3 * time.Minute)}, 5, []int{2, 3}},
		{"window and times", faults.Trigger{From: start.Add(time.Minute), Times: 1}, 5, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The sandbox clock moves a minute between calls: call n is at
			// start + (n-1) minutes.
			clk := clock.NewFrozen(start)
			e := faults.New(7, clk)
			MustSet(t, e, faults.Rule{Name: "rule", Service: "provider", When: tc.when, Do: unavailable})
			got := firedOn(t, e, tc.calls, func(call int) {
				if call > 1 {
					_ = clk.Advance(time.Minute)
				}
			})
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fired on calls %v, want %v", got, tc.want)
			}
			if c := counts(e)["rule"]; c != [2]uint64{uint64(tc.calls), uint64(len(tc.want))} {
				t.Fatalf("matched %d fired %d, want %d and %d", c[0], c[1], tc.calls, len(tc.want))
			}
		})
	}
}

// TestProbabilityRepeatsWithTheSameSeed is the determinism the scenarios
// promise: a probabilistic fault fires on exactly the same calls in two runs
// with the same seed, and on other calls with another seed.
func TestProbabilityRepeatsWithTheSameSeed(t *testing.T) {
	rule := faults.Rule{Name: "flaky-assets", Service: "provider",
		Match: faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}"},
		When:  faults.Trigger{Probability: 0.3}, Do: unavailable}
	run := func(seed int64) []int {
		e := faults.New(seed, nil)
		MustSet(t, e, rule)
		return firedOn(t, e, 200, nil)
	}
	first, second, other := run(42), run(42), run(43)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("seed 42 fired on\n%v\nthen on\n%v", first, second)
	}
	if reflect.DeepEqual(first, other) {
		t.Fatalf("seeds 42 and 43 fired on the same calls %v", first)
	}
	// 200 draws at 0.3: about 60 firings; far outside 30..90 is a broken draw.
	for seed, got := range map[int64][]int{42: first, 43: other} {
		if len(got) < 30 || len(got) > 90 {
			t.Errorf("seed %d fired %d times in 200 at p=0.3", seed, len(got))
		}
	}
	t.Logf("seed 42 fired %d times: %v", len(first), first)
}

func TestSetResetsCountsAndTheRandomSource(t *testing.T) {
	rules := []faults.Rule{{Name: "p", Service: "provider", When: faults.Trigger{Probability: 0.5}, Do: unavailable}}
	e := faults.New(9, nil)
	MustSet(t, e, rules...)
	first := firedOn(t, e, 50, nil)
	MustSet(t, e, rules...)
	if c := counts(e)["p"]; c != [2]uint64{0, 0} {
		t.Fatalf("counts after Set = %v, want zero", c)
	}
	if again := firedOn(t, e, 50, nil); !reflect.DeepEqual(first, again) {
		t.Fatalf("after Set the rule fired on %v, before on %v", again, first)
	}
}

// A rule's draws depend on the seed and its name, not on the rules around it.
func TestProbabilityDoesNotDependOnOtherRules(t *testing.T) {
	p := faults.Rule{Name: "p", Service: "provider", When: faults.Trigger{Probability: 0.4}, Do: unavailable}
	alone := faults.New(5, nil)
	MustSet(t, alone, p)
	crowded := faults.New(5, nil)
	MustSet(t, crowded,
		faults.Rule{Name: "other-service", Service: "payap", When: faults.Trigger{Probability: 0.5}, Do: unavailable},
		faults.Rule{Name: "other-path", Service: "provider", Match: faults.Match{Path: "/token"}, When: faults.Trigger{Probability: 0.5}, Do: unavailable},
		p)
	payap := crowded.Middleware("payap")(assetHandler())
	a := firedOn(t, alone, 100, nil)
	c := firedOn(t, crowded, 100, func(int) {
		serve(payap, httptest.NewRequest(http.MethodGet, "/api/wallet", nil))
	})
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("alone the rule fired on %v, among others on %v", a, c)
	}
}

func TestFirstFiringRuleActsAndEveryMatchCounts(t *testing.T) {
	e := faults.New(1, nil)
	MustSet(t, e,
		faults.Rule{Name: "unavailable-twice", Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"},
			When: faults.Trigger{Nth: []int{1, 2}}, Do: unavailable},
		faults.Rule{Name: "then-invalid-grant", Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"},
			When: faults.Trigger{After: 2, Times: 1}, Do: faults.Action{OAuthError: "invalid_grant"}},
		faults.Rule{Name: "other-path", Service: "provider", Match: faults.Match{Path: "/assets/**"}, Do: faults.Action{Drop: true}},
	)
	h := e.Middleware("provider")(assetHandler())
	var got []int
	for range 5 {
		got = append(got, serve(h, httptest.NewRequest(http.MethodPost, "/token", nil)).Code)
	}
	if want := []int{503, 503, 400, 200, 200}; !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	want := map[string][2]uint64{"unavailable-twice": {5, 2}, "then-invalid-grant": {5, 1}, "other-path": {0, 0}}
	if c := counts(e); !reflect.DeepEqual(c, want) {
		t.Fatalf("counts %v, want %v", c, want)
	}
}

func TestServiceAndMethodScoping(t *testing.T) {
	e := faults.New(1, nil)
	provider := e.Middleware("provider")(assetHandler())
	MustSet(t, e,
		faults.Rule{Name: "provider-posts", Service: "provider", Match: faults.Match{Method: "POST"}, Do: faults.Action{Status: 500}},
		faults.Rule{Name: "everywhere", Match: faults.Match{Method: "PROPFIND"}, Do: faults.Action{Status: 501}},
	)
	// A service registered after Set sees the rules too.
	payap := e.Middleware("payap")(assetHandler())
	for _, tc := range []struct {
		name   string
		h      http.Handler
		method string
		want   int
	}{
		{"provider POST", provider, http.MethodPost, 500},
		{"provider GET", provider, http.MethodGet, 200},
		{"payap POST", payap, http.MethodPost, 200},
		{"any service, uncommon method", payap, "PROPFIND", 501},
		{"another uncommon method", provider, "MKCOL", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := serve(tc.h, httptest.NewRequest(tc.method, "/x", nil)).Code; got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAddRemoveAndSetActive(t *testing.T) {
	e := faults.New(1, nil)
	h := e.Middleware("provider")(assetHandler())
	status := func() int { return serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil)).Code }

	id, err := e.Add(faults.Rule{Service: "provider", Do: unavailable})
	if err != nil || id != "fault-1" {
		t.Fatalf("Add = %q, %v; want fault-1", id, err)
	}
	if _, err := e.Add(faults.Rule{Name: "fault-1", Do: unavailable}); err == nil || !strings.Contains(err.Error(), "already names fault 1") {
		t.Fatalf("Add with a taken name: %v", err)
	}
	if _, err := e.Add(faults.Rule{When: faults.Trigger{Every: -1}}); err == nil {
		t.Fatal("Add accepted an invalid rule")
	}
	named, err := e.Add(faults.Rule{Name: "teapot", Service: "provider", Do: faults.Action{Status: http.StatusTeapot}})
	if err != nil || named != "teapot" {
		t.Fatalf("Add = %q, %v", named, err)
	}
	if got := status(); got != 503 {
		t.Fatalf("first rule active: %d, want 503", got)
	}
	if err := e.SetActive(id, false); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != http.StatusTeapot {
		t.Fatalf("first rule inactive: %d, want 418", got)
	}
	if err := e.SetActive("teapot", false); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != 200 {
		t.Fatalf("both inactive: %d, want 200", got)
	}
	if err := e.SetActive(id, true); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != 503 {
		t.Fatalf("first rule back: %d, want 503", got)
	}
	rules := e.Rules()
	if len(rules) != 2 || rules[0].ID != id || !rules[0].Active || rules[1].ID != "teapot" || rules[1].Active {
		t.Fatalf("Rules = %+v", rules)
	}
	// teapot counted the first call, which fault-1 answered, and the second,
	// which it answered itself; inactive, it counted nothing.
	if want := map[string][2]uint64{id: {2, 2}, "teapot": {2, 1}}; !reflect.DeepEqual(counts(e), want) {
		t.Fatalf("counts %v, want %v", counts(e), want)
	}
	if err := e.Remove(id); err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(id); !errors.Is(err, faults.ErrNotFound) {
		t.Fatalf("second Remove = %v, want ErrNotFound", err)
	}
	if err := e.SetActive("nope", true); !errors.Is(err, faults.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("SetActive(nope) = %v", err)
	}
	if got := status(); got != 200 {
		t.Fatalf("after Remove: %d, want 200", got)
	}
	// Generated names skip the names in use.
	MustSet(t, e, faults.Rule{Name: "fault-2", Do: unavailable}, faults.Rule{Do: unavailable}, faults.Rule{Do: unavailable})
	var ids []string
	for _, s := range e.Rules() {
		ids = append(ids, s.ID)
	}
	if want := []string{"fault-2", "fault-3", "fault-4"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
}

func TestRulesReturnsCopies(t *testing.T) {
	e := faults.New(1, nil)
	in := faults.Rule{Name: "r", Match: faults.Match{Header: map[string]string{"X-A": "1"}}, When: faults.Trigger{Nth: []int{1}},
		Do: faults.Action{Status: 500, Body: []byte("x"), Headers: map[string]string{"X-B": "2"}}}
	MustSet(t, e, in)
	in.Match.Header["X-A"] = "changed"
	in.When.Nth[0] = 9
	out := e.Rules()[0].Rule
	out.Do.Body[0] = 'y'
	out.Do.Headers["X-B"] = "changed"
	again := e.Rules()[0].Rule
	if again.Match.Header["X-A"] != "1" || again.When.Nth[0] != 1 || string(again.Do.Body) != "x" || again.Do.Headers["X-B"] != "2" {
		t.Fatalf("the engine's rule changed with its caller's copies: %+v", again)
	}
}

func TestNoRulesPassesStraightThrough(t *testing.T) {
	e := faults.New(1, nil)
	h := e.Middleware("provider")(assetHandler())
	for _, rules := range [][]faults.Rule{nil, {{Name: "off", Do: unavailable}}} {
		MustSet(t, e, rules...)
		if len(rules) > 0 {
			if err := e.SetActive("off", false); err != nil {
				t.Fatal(err)
			}
		}
		rec := serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil))
		if rec.Code != 200 || rec.Body.String() != string(assetJSON) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	noop := e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	allocs := testing.AllocsPerRun(100, func() {
		noop.ServeHTTP(discard{}, plainGet)
	})
	if allocs != 0 {
		t.Fatalf("with no active rule the middleware allocates %v times", allocs)
	}
}

var plainGet = httptest.NewRequest(http.MethodGet, "/assets/1", nil)

type discard struct{}

func (discard) Header() http.Header         { return nil }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		do     faults.Action
		status int
		check  func(t *testing.T, got []time.Duration)
	}{
		{
			name: "fixed delay, then the service answers", do: faults.Action{Delay: 1500 * time.Millisecond}, status: 200,
			check: func(t *testing.T, got []time.Duration) {
				for _, d := range got {
					if d != 1500*time.Millisecond {
						t.Fatalf("slept %v, want 1.5s", d)
					}
				}
			},
		},
		{
			name: "delay before an answer", do: faults.Action{Delay: time.Second, Status: 504}, status: 504,
			check: func(t *testing.T, got []time.Duration) {
				for _, d := range got {
					if d != time.Second {
						t.Fatalf("slept %v, want 1s", d)
					}
				}
			},
		},
		{
			name: "range", do: faults.Action{Delay: 100 * time.Millisecond, DelayMax: 300 * time.Millisecond}, status: 200,
			check: func(t *testing.T, got []time.Duration) {
				for _, d := range got {
					if d < 100*time.Millisecond || d > 300*time.Millisecond {
						t.Fatalf("slept %v, want 100ms..300ms", d)
					}
				}
				if len(slices.Compact(slices.Sorted(slices.Values(got)))) < len(got)/2 {
					t.Fatalf("a range gave few distinct delays: %v", got)
				}
			},
		},
		{
			name: "range as wide as nothing", do: faults.Action{Delay: time.Second, DelayMax: time.Second}, status: 200,
			check: func(t *testing.T, got []time.Duration) {
				for _, d := range got {
					if d != time.Second {
						t.Fatalf("slept %v, want 1s", d)
					}
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func() []time.Duration {
				s := &sleeps{}
				e := faults.New(3, nil)
				faults.SetSleep(e, s.sleep)
				MustSet(t, e, faults.Rule{Name: "slow", When: faults.Trigger{After: 1}, Do: tc.do})
				h := e.Middleware("provider")(assetHandler())
				for i := 1; i <= 21; i++ {
					rec := serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil))
					want := tc.status
					if i == 1 {
						want = 200
					}
					if rec.Code != want {
						t.Fatalf("call %d: status %d, want %d", i, rec.Code, want)
					}
				}
				return s.delays()
			}
			got := run()
			if len(got) != 20 {
				t.Fatalf("slept %d times, want 20 (the first call is let through)", len(got))
			}
			tc.check(t, got)
			if again := run(); !reflect.DeepEqual(got, again) {
				t.Fatalf("the same seed gave delays %v, then %v", got, again)
			}
		})
	}
}

func TestDelayEndsWhenTheClientGivesUp(t *testing.T) {
	s := &sleeps{err: errors.New("client gone")}
	e := faults.New(1, nil)
	faults.SetSleep(e, s.sleep)
	MustSet(t, e, faults.Rule{Do: faults.Action{Delay: time.Minute, Status: 500}})
	called := false
	h := e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	if called || rec.Body.Len() != 0 || len(rec.Result().Header) != 0 {
		t.Fatalf("after the client left: handler called %v, response %d %v %q", called, rec.Code, rec.Result().Header, rec.Body)
	}
}

func TestJournalRecordsTheFault(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 8})
	e := faults.New(1, nil)
	MustSet(t, e,
		faults.Rule{Name: "token-down", Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"}, When: faults.Trigger{Nth: []int{1}}, Do: unavailable},
		faults.Rule{Name: "spoilt-assets", Service: "provider", Match: faults.Match{Path: "/assets/{assetId}"}, Do: faults.Action{Malformed: true}},
	)
	h := j.Middleware("provider", time.Now, nil)(e.Middleware("provider")(assetHandler()))
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/token", nil),
		httptest.NewRequest(http.MethodPost, "/token", nil),
		httptest.NewRequest(http.MethodGet, "/assets/12345", nil),
	} {
		serve(h, req)
	}
	var got []string
	for _, en := range j.Since(0, 0) {
		got = append(got, fmt.Sprintf("%s %s %d %q", en.Method, en.Path, en.Status, en.Fault))
	}
	want := []string{`POST /token 503 "token-down"`, `POST /token 200 ""`, `GET /assets/12345 200 "spoilt-assets"`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConcurrentTraffic runs requests from many goroutines while rules are
// toggled, added and removed; -race checks the engine, and a rule that fires
// at most N times fires exactly N times.
func TestConcurrentTraffic(t *testing.T) {
	e := faults.New(11, nil)
	MustSet(t, e,
		faults.Rule{Name: "limited", Service: "provider", Match: faults.Match{Method: "GET", Path: "/assets/{assetId}"},
			When: faults.Trigger{Times: 25}, Do: unavailable},
		faults.Rule{Name: "flaky", Service: "provider", Match: faults.Match{Method: "POST"},
			When: faults.Trigger{Probability: 0.5}, Do: faults.Action{Status: 500}},
	)
	h := e.Middleware("provider")(assetHandler())
	const workers, each = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	unavailableCount := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				method := http.MethodGet
				if (w+i)%2 == 1 {
					method = http.MethodPost
				}
				rec := serve(h, httptest.NewRequest(method, "/assets/12345", nil))
				if rec.Code == http.StatusServiceUnavailable {
					mu.Lock()
					unavailableCount++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			_ = e.SetActive("flaky", i%2 == 0)
			id, _ := e.Add(faults.Rule{Service: "payap", Do: unavailable})
			_ = e.Remove(id)
			_ = e.Rules()
		}
	}()
	wg.Wait()
	if unavailableCount != 25 {
		t.Fatalf("a rule limited to 25 firings answered %d times", unavailableCount)
	}
	if c := counts(e)["limited"]; c[1] != 25 || c[0] != workers*each/2 {
		t.Fatalf("limited: matched %d fired %d, want %d and 25", c[0], c[1], workers*each/2)
	}
}
