package faults

import (
	"fmt"
	"strings"
)

// pathTemplate is a Match.Path compiled once, at Set time.
type pathTemplate struct {
	raw string
	// exact is set when the template has no placeholder and no "/**": the
	// path must equal raw.
	exact bool
	// prefix is the literal text before the first placeholder or "/**", a
	// cheap first test; it ends with a slash and covers the first skip
	// segments.
	prefix string
	skip   int
	segs   []pathSeg
	// rest is set for a trailing "/**": anything below the segments.
	rest bool
}

type pathSeg struct {
	lit   string
	param bool // "{name}": any one non-empty segment
}

// compilePath parses a Match.Path template, with an error that says how to
// write it when it is not one.
func compilePath(raw string) (*pathTemplate, error) {
	if !strings.HasPrefix(raw, "/") {
		return nil, fmt.Errorf("%q must start with /", raw)
	}
	if strings.ContainsAny(raw, "?#") {
		return nil, fmt.Errorf("%q has a query or fragment; match the path only and put query parameters under match.query", raw)
	}
	t := &pathTemplate{raw: raw}
	body := raw[1:]
	if body == "**" || strings.HasSuffix(body, "/**") {
		t.rest = true
		body = strings.TrimSuffix(strings.TrimSuffix(body, "**"), "/")
	}
	if body != "" || !t.rest {
		for _, s := range strings.Split(body, "/") {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && len(s) > 2:
				name := s[1 : len(s)-1]
				if !isParamName(name) {
					return nil, fmt.Errorf("%q: placeholder %s may hold only letters, digits and _", raw, s)
				}
				t.segs = append(t.segs, pathSeg{param: true})
			case strings.ContainsAny(s, "{}"):
				return nil, fmt.Errorf("%q: a placeholder is a whole segment, like /assets/{assetId}", raw)
			case strings.Contains(s, "*"):
				return nil, fmt.Errorf("%q: * is allowed only as a final /** (anything below); use {name} for one segment", raw)
			default:
				t.segs = append(t.segs, pathSeg{lit: s})
			}
		}
	}
	t.exact = !t.rest
	for _, s := range t.segs {
		if s.param {
			t.exact = false
		}
	}
	t.prefix = raw
	if i := strings.IndexByte(raw, '{'); i >= 0 {
		t.prefix = raw[:i]
	} else if t.rest {
		t.prefix = strings.TrimSuffix(raw, "**")
	}
	t.skip = strings.Count(t.prefix, "/") - 1
	return t, nil
}

func isParamName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// match reports whether path fits the template. It does not allocate.
func (t *pathTemplate) match(path string) bool {
	return t.matchSegments(path, strings.Count(path, "/"))
}

// matchSegments is match for a path with nsegs segments (slashes), which
// rules out most templates at once.
func (t *pathTemplate) matchSegments(path string, nsegs int) bool {
	if t.rest {
		if nsegs <= len(t.segs) {
			return false
		}
	} else if nsegs != len(t.segs) {
		return false
	}
	if t.exact {
		return path == t.raw
	}
	if !strings.HasPrefix(path, t.prefix) {
		return false
	}
	p := path[len(t.prefix)-1:] // from the slash that ends the prefix
	for _, s := range t.segs[t.skip:] {
		if p == "" || p[0] != '/' {
			return false
		}
		p = p[1:]
		end := strings.IndexByte(p, '/')
		if end < 0 {
			end = len(p)
		}
		seg := p[:end]
		if s.param {
			if seg == "" {
				return false
			}
		} else if seg != s.lit {
			return false
		}
		p = p[end:]
	}
	if t.rest {
		return p != "" && p[0] == '/'
	}
	return p == ""
}
