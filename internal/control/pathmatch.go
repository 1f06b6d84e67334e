package control

import "github.com/payap/payap-sandbox/internal/faults"

// pathPattern is a journal path filter, written like a fault's match.path
// and matched by the fault engine's own templates: a segment "{name}"
// matches any one non-empty segment, a final "/**" anything below the
// prefix, everything else exactly.
type pathPattern func(path string) bool

// compilePathPattern parses a path filter, with an error that says how to
// write it when it is not one.
func compilePathPattern(raw string) (pathPattern, error) {
	m, err := faults.PathMatcher(raw)
	return pathPattern(m), err
}

// match reports whether path fits the pattern.
func (p pathPattern) match(path string) bool { return p(path) }
