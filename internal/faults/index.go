package faults

import (
	"slices"
	"strings"
)

// Method buckets: each service's rules are sorted by the method they match,
// so a request looks only at the rules that can match its method.
const (
	bucketGET = iota
	bucketPOST
	bucketPUT
	bucketPATCH
	bucketDELETE
	bucketHEAD
	bucketOPTIONS
	bucketOther
	numBuckets
)

func bucket(method string) int {
	switch method {
	case "GET":
		return bucketGET
	case "POST":
		return bucketPOST
	case "PUT":
		return bucketPUT
	case "PATCH":
		return bucketPATCH
	case "DELETE":
		return bucketDELETE
	case "HEAD":
		return bucketHEAD
	case "OPTIONS":
		return bucketOPTIONS
	}
	return bucketOther
}

// table is an immutable view of the active rules: for each service slot
// and method bucket, the rules that may match, in rule order, or nil.
type table struct {
	slots [][numBuckets]*ruleSet
}

// publish rebuilds the table from e.rules and e.services. Call it with e.mu
// held.
func (e *Engine) publish() {
	if !slices.ContainsFunc(e.rules, func(r *rule) bool { return r.active }) {
		e.table.Store(nil)
		return
	}
	t := &table{slots: make([][numBuckets]*ruleSet, len(e.services))}
	for s, service := range e.services {
		for b := range numBuckets {
			var rules []*rule
			for _, r := range e.rules {
				if r.active && (r.spec.Service == "" || r.spec.Service == service) &&
					(r.m.method == "" || bucket(r.m.method) == b) {
					rules = append(rules, r)
				}
			}
			if len(rules) > 0 {
				t.slots[s][b] = newRuleSet(rules)
			}
		}
	}
	e.table.Store(t)
}

// ruleSet holds the rules of one service and method bucket, indexed by the
// first segment and the segment count of the paths they can match, so that
// a request looks only at the rules that can match its path.
type ruleSet struct {
	// generic are the rules whose path does not start with a literal
	// segment (no path, "/{x}...", "/**"): any first segment may do.
	generic *bySegs
	// byFirst maps a literal first segment ("assets" for
	// "/assets/{assetId}") to the rules that start with it merged with the
	// generic ones, in rule order.
	byFirst firstIndex
}

func newRuleSet(rules []*rule) *ruleSet {
	s := &ruleSet{}
	var generic []*rule
	var firsts []string
	for _, r := range rules {
		if first, ok := r.m.firstLiteral(); ok {
			if !slices.Contains(firsts, first) {
				firsts = append(firsts, first)
			}
		} else {
			generic = append(generic, r)
		}
	}
	s.generic = newBySegs(generic)
	lists := make([]*bySegs, len(firsts))
	for i, first := range firsts {
		var merged []*rule
		for _, r := range rules {
			if f, ok := r.m.firstLiteral(); !ok || f == first {
				merged = append(merged, r)
			}
		}
		lists[i] = newBySegs(merged)
	}
	s.byFirst = newFirstIndex(firsts, lists)
	return s
}

// candidates returns the rules that may match a path of nsegs segments.
func (s *ruleSet) candidates(path string, nsegs int) []*rule {
	if s.byFirst.mask != 0 && path != "" && path[0] == '/' {
		first := path[1:]
		if i := strings.IndexByte(first, '/'); i >= 0 {
			first = first[:i]
		}
		if rules := s.byFirst.get(first); rules != nil {
			return rules.get(nsegs)
		}
	}
	return s.generic.get(nsegs)
}

// firstIndex is a small open-addressing hash table from first segments to
// rule lists: cheaper than a map for the handful of short keys it holds.
type firstIndex struct {
	mask  uint32 // len(slots)-1; 0 when empty
	slots []firstSlot
}

type firstSlot struct {
	key   string
	rules *bySegs // nil: an empty slot
}

func newFirstIndex(keys []string, lists []*bySegs) firstIndex {
	if len(keys) == 0 {
		return firstIndex{}
	}
	size := 4
	for size < 2*len(keys) {
		size *= 2
	}
	x := firstIndex{mask: uint32(size - 1), slots: make([]firstSlot, size)}
	for i, k := range keys {
		j := fnv32(k) & x.mask
		for x.slots[j].rules != nil {
			j = (j + 1) & x.mask
		}
		x.slots[j] = firstSlot{key: k, rules: lists[i]}
	}
	return x
}

// get returns the rules for a first segment, or nil. The table is never
// more than half full, so the probe ends at an empty slot.
func (x *firstIndex) get(key string) *bySegs {
	for j := fnv32(key) & x.mask; ; j = (j + 1) & x.mask {
		s := &x.slots[j]
		if s.rules == nil || s.key == key {
			return s.rules
		}
	}
}

// fnv32 is FNV-1a.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// maxIndexedSegs is the longest path, in segments, that bySegs sorts rules
// for; longer paths look at every rule of their first segment.
const maxIndexedSegs = 8

// bySegs sorts rules by the segment counts of the paths they can match.
type bySegs struct {
	n    [maxIndexedSegs + 1][]*rule
	more []*rule
}

func newBySegs(rules []*rule) *bySegs {
	s := &bySegs{more: rules}
	for n := range s.n {
		for _, r := range rules {
			if r.m.canMatchSegs(n) {
				s.n[n] = append(s.n[n], r)
			}
		}
	}
	return s
}

func (s *bySegs) get(nsegs int) []*rule {
	if nsegs < len(s.n) {
		return s.n[nsegs]
	}
	return s.more
}
