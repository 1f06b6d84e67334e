package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned, wrapped, for a rule name the engine does not hold.
var ErrNotFound = errors.New("no such fault")

// Engine holds the fault rules and applies them through Middleware. It is
// safe for concurrent use: rules can be set, added, removed and toggled while
// requests flow.
//
// Rules are tried in order. Every active rule that matches a request counts
// the call; the first of them whose trigger holds fires, and it alone acts on
// the request. So "nth: [1, 2] → 503" followed by "after: 2, times: 1 →
// invalid_grant" on the same endpoint answers 503, 503, invalid_grant, and
// then lets calls through.
type Engine struct {
	seed  int64
	clock interface{ Now() time.Time }
	// sleep waits out a delay; it returns an error when the client gave up.
	// Tests replace it to see the delays without waiting for them.
	sleep func(ctx context.Context, d time.Duration) error

	closeOnce sync.Once
	closed    chan struct{}

	mu       sync.Mutex // guards rules and services, and serialises publishing
	rules    []*rule
	services []string // service name by slot, as Middleware registered them
	hooks    map[string]HookFunc
	// table is what requests read: the active rules by service slot and
	// method, or nil when no rule is active.
	table atomic.Pointer[table]
}

// rule is a Rule as the engine holds it: validated, compiled, with its
// counters and its own seeded random source.
type rule struct {
	m      matcher // first: what every request reads
	id     string
	active bool // guarded by Engine.mu
	spec   Rule // a deep copy, never changed

	mu      sync.Mutex // guards the counters and rng
	matched uint64
	fired   uint64
	rng     *rand.Rand
}

// New returns an engine with no rules. seed drives the probability and delay
// range draws; clock (the sandbox clock) is what trigger windows read, the
// wall clock when nil.
func New(seed int64, clock interface{ Now() time.Time }) *Engine {
	if clock == nil {
		clock = wallClock{}
	}
	e := &Engine{seed: seed, clock: clock, closed: make(chan struct{}), hooks: map[string]HookFunc{}}
	e.sleep = e.wait
	return e
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Set validates rules and, when all are valid, replaces every rule with them
// at once, all active, with hit counts at zero and random sources reseeded:
// the same rules and the same traffic fire on exactly the same calls. On
// error nothing changes; the error joins one *ValidationError per bad rule.
func (e *Engine) Set(rules []Rule) error {
	// Given names first, so that generated ones never take them.
	taken := map[string]int{}
	dups := map[int]int{} // index → the earlier index with the same name
	for i, r := range rules {
		if r.Name == "" {
			continue
		}
		if j, dup := taken[r.Name]; dup {
			dups[i] = j
			continue
		}
		taken[r.Name] = i
	}
	built := make([]*rule, 0, len(rules))
	paths := map[string]*pathTemplate{}
	e.mu.Lock()
	seed := e.seed
	e.mu.Unlock()
	var errs []error
	for i, r := range rules {
		v := e.checkHook(r, r.validate(i), i)
		if j, dup := dups[i]; dup {
			if v == nil {
				v = &ValidationError{Index: i, Name: r.Name}
			}
			v.Problems = append([]Problem{duplicate(r.Name, j)}, v.Problems...)
		}
		if v != nil {
			errs = append(errs, v)
			continue
		}
		id := r.Name
		if id == "" {
			id = freshName(taken, i+1)
			taken[id] = i
		}
		built = append(built, compile(seed, id, r, paths))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules = built
	e.publish()
	return nil
}

func duplicate(name string, earlier int) Problem {
	return Problem{Field: "name", Message: fmt.Sprintf("%q already names fault %d; give each fault its own name", name, earlier+1)}
}

// Add validates rule and appends it, active, after the others. It returns
// the rule's name, generated when the rule has none.
func (e *Engine) Add(r Rule) (id string, err error) {
	if v := e.checkHook(r, r.validate(-1), -1); v != nil {
		return "", v
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	taken := make(map[string]int, len(e.rules))
	for i, x := range e.rules {
		taken[x.id] = i
	}
	id = r.Name
	if id == "" {
		id = freshName(taken, len(e.rules)+1)
	} else if j, dup := taken[id]; dup {
		return "", &ValidationError{Index: -1, Name: id, Problems: []Problem{duplicate(id, j)}}
	}
	paths := map[string]*pathTemplate{}
	for _, x := range e.rules {
		if x.m.path != nil {
			paths[x.m.path.raw] = x.m.path
		}
	}
	e.rules = append(slices.Clip(e.rules), compile(e.seed, id, r, paths))
	e.publish()
	return id, nil
}

// SetSeed changes the seed the rules set or added from now on draw from:
// a scenario with its own seed faults the same calls on every run.
func (e *Engine) SetSeed(seed int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seed = seed
}

// Handle registers a domain action that rules name in Action.Hook. Register
// hooks before setting the rules that use them: a rule naming an unknown
// hook is invalid.
func (e *Engine) Handle(name string, h HookFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hooks[name] = h
}

// Hooks lists the registered hook names, sorted.
func (e *Engine) Hooks() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.hooks))
}

// checkHook adds a problem to v (creating it) when r names a hook that is not
// registered.
func (e *Engine) checkHook(r Rule, v *ValidationError, index int) *ValidationError {
	if r.Do.Hook == "" {
		return v
	}
	e.mu.Lock()
	_, ok := e.hooks[r.Do.Hook]
	names := slices.Sorted(maps.Keys(e.hooks))
	e.mu.Unlock()
	if ok {
		return v
	}
	if v == nil {
		v = &ValidationError{Index: index, Name: r.Name}
	}
	known := "none is registered"
	if len(names) > 0 {
		known = "use one of " + strings.Join(names, ", ")
	}
	v.Problems = append(v.Problems, Problem{Field: "do.hook", Message: fmt.Sprintf("%q is not a registered action; %s", r.Do.Hook, known)})
	return v
}

func (e *Engine) hook(name string) HookFunc {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hooks[name]
}

// Remove drops the named rule.
func (e *Engine) Remove(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.index(id)
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	e.rules = slices.Delete(slices.Clone(e.rules), i, i+1)
	e.publish()
	return nil
}

// SetActive switches the named rule on or off. An inactive rule neither
// counts nor fires; its counts are kept for when it comes back.
func (e *Engine) SetActive(id string, active bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.index(id)
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if e.rules[i].active != active {
		e.rules[i].active = active
		e.publish()
	}
	return nil
}

// Rules returns every rule, in order, with its state and hit counts.
func (e *Engine) Rules() []RuleStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleStatus, len(e.rules))
	for i, r := range e.rules {
		r.mu.Lock()
		out[i] = RuleStatus{ID: r.id, Rule: cloneRule(r.spec), Active: r.active, Matched: r.matched, Fired: r.fired}
		r.mu.Unlock()
	}
	return out
}

// Close ends every hanging request (their connections are closed) and makes
// delays end at once, so that a server can shut down. Rules keep applying.
func (e *Engine) Close() {
	e.closeOnce.Do(func() { close(e.closed) })
}

// wait sleeps for d, less when the engine closes; it returns ctx's error when
// the client gives up first.
func (e *Engine) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-e.closed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) index(id string) int {
	return slices.IndexFunc(e.rules, func(r *rule) bool { return r.id == id })
}

// compile builds a validated rule. Its random source is seeded by the
// engine's seed and the rule's name, so a rule's draws do not depend on the
// other rules or on where it stands among them.
func compile(seed int64, id string, r Rule, paths map[string]*pathTemplate) *rule {
	m, err := compileMatch(r.Match, paths)
	if err != nil {
		panic("faults: a validated rule did not compile: " + err.Error())
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return &rule{
		id:     id,
		spec:   cloneRule(r),
		m:      m,
		active: true,
		rng:    rand.New(rand.NewPCG(uint64(seed), h.Sum64())),
	}
}

// freshName returns "fault-N", from N = n up, that no rule is named yet.
func freshName(taken map[string]int, n int) string {
	for ; ; n++ {
		id := "fault-" + strconv.Itoa(n)
		if _, ok := taken[id]; !ok {
			return id
		}
	}
}

func cloneRule(r Rule) Rule {
	r.Match.Header = maps.Clone(r.Match.Header)
	r.Match.Query = maps.Clone(r.Match.Query)
	r.Match.Body = maps.Clone(r.Match.Body)
	r.When.Nth = slices.Clone(r.When.Nth)
	r.Do.Body = bytes.Clone(r.Do.Body)
	r.Do.Headers = maps.Clone(r.Do.Headers)
	r.Do.Params = maps.Clone(r.Do.Params)
	return r
}

// slot registers a service and returns its slot in the table.
func (e *Engine) slot(service string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i := slices.Index(e.services, service); i >= 0 {
		return i
	}
	e.services = append(e.services, service)
	e.publish()
	return len(e.services) - 1
}

// hit counts a matching call and decides whether the rule fires on it, and
// with what delay.
func (r *rule) hit(clock interface{ Now() time.Time }) (delay time.Duration, fire bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.matched++
	n := r.matched
	t := &r.spec.When
	switch {
	case len(t.Nth) > 0 && !slices.Contains(t.Nth, int(n)):
		return 0, false
	case t.Every > 0 && n%uint64(t.Every) != 0:
		return 0, false
	case n <= uint64(t.After):
		return 0, false
	case t.Times > 0 && r.fired >= uint64(t.Times):
		return 0, false
	}
	if !t.From.IsZero() || !t.To.IsZero() {
		now := clock.Now()
		if (!t.From.IsZero() && now.Before(t.From)) || (!t.To.IsZero() && !now.Before(t.To)) {
			return 0, false
		}
	}
	if t.Probability > 0 && r.rng.Float64() >= t.Probability {
		return 0, false
	}
	r.fired++
	a := &r.spec.Do
	delay = a.Delay
	if a.DelayMax > a.Delay {
		delay += time.Duration(r.rng.Int64N(int64(a.DelayMax-a.Delay) + 1))
	}
	return delay, true
}

// count counts a matching call that another rule fired on.
func (r *rule) count() {
	r.mu.Lock()
	r.matched++
	r.mu.Unlock()
}
