package control

import (
	"fmt"
	"strings"
)

// pathPattern is a journal path filter, written like a fault's match.path:
// a segment "{name}" matches any one non-empty segment, a final "/**"
// matches anything below the prefix ("/api/**" matches "/api/" and
// "/api/a/b" but not "/api"), everything else matches exactly.
type pathPattern struct {
	segs []patternSeg
	rest bool // a final /**
}

type patternSeg struct {
	lit   string
	param bool
}

// compilePathPattern parses a path filter, with an error that says how to
// write it when it is not one.
func compilePathPattern(raw string) (pathPattern, error) {
	if !strings.HasPrefix(raw, "/") {
		return pathPattern{}, fmt.Errorf("path %q must start with /", raw)
	}
	var p pathPattern
	body := raw[1:]
	if body == "**" || strings.HasSuffix(body, "/**") {
		p.rest = true
		body = strings.TrimSuffix(strings.TrimSuffix(body, "**"), "/")
		if body == "" {
			return p, nil
		}
	}
	for _, s := range strings.Split(body, "/") {
		switch {
		case len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && !strings.ContainsAny(s[1:len(s)-1], "{}*"):
			p.segs = append(p.segs, patternSeg{param: true})
		case strings.ContainsAny(s, "{}"):
			return pathPattern{}, fmt.Errorf("path %q: a placeholder is a whole segment, like /assets/{assetId}", raw)
		case strings.Contains(s, "*"):
			return pathPattern{}, fmt.Errorf("path %q: * is allowed only as a final /** (anything below); use {name} for one segment", raw)
		default:
			p.segs = append(p.segs, patternSeg{lit: s})
		}
	}
	return p, nil
}

// match reports whether path fits the pattern.
func (p pathPattern) match(path string) bool {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	segs := strings.Split(rest, "/")
	if p.rest && len(segs) <= len(p.segs) || !p.rest && len(segs) != len(p.segs) {
		return false
	}
	for i, want := range p.segs {
		if want.param && segs[i] == "" || !want.param && segs[i] != want.lit {
			return false
		}
	}
	return true
}
