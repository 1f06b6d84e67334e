package faults

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// matcher is a Match compiled once, at Set time.
type matcher struct {
	method string
	// checkMethod is set for an uncommon method: the common ones are sorted
	// into buckets (see bucket) and need no check.
	checkMethod bool
	path        *pathTemplate // nil: any path; shared by rules with the same path
	header      []kv          // canonical names
	query       []kv
	body        []kv
}

type kv struct{ key, value string }

// compileMatch compiles m, taking its path template from paths when another
// rule has the same one, so that a request matches it only once.
func compileMatch(m Match, paths map[string]*pathTemplate) (matcher, error) {
	c := matcher{method: m.Method, checkMethod: m.Method != "" && bucket(m.Method) == bucketOther}
	if m.Path != "" {
		t := paths[m.Path]
		if t == nil {
			var err error
			if t, err = compilePath(m.Path); err != nil {
				return matcher{}, err
			}
			paths[m.Path] = t
		}
		c.path = t
	}
	for _, k := range sortedKeys(m.Header) {
		c.header = append(c.header, kv{http.CanonicalHeaderKey(k), m.Header[k]})
	}
	for _, k := range sortedKeys(m.Query) {
		c.query = append(c.query, kv{k, m.Query[k]})
	}
	for _, k := range sortedKeys(m.Body) {
		c.body = append(c.body, kv{k, m.Body[k]})
	}
	return c, nil
}

// firstLiteral returns the literal first segment every path the matcher
// takes starts with, if there is one.
func (m *matcher) firstLiteral() (string, bool) {
	if m.path == nil || len(m.path.segs) == 0 || m.path.segs[0].param {
		return "", false
	}
	return m.path.segs[0].lit, true
}

// canMatchSegs reports whether the matcher can take a path of n segments.
func (m *matcher) canMatchSegs(n int) bool {
	switch {
	case m.path == nil:
		return true
	case m.path.rest:
		return n > len(m.path.segs)
	default:
		return n == len(m.path.segs)
	}
}

// request is what the matchers of one request share: the path is matched
// once per template, headers are looked up and the query and the JSON body
// fields parsed at most once, and only when a rule asks.
type request struct {
	r     *http.Request
	nsegs int // slashes in the path: its segment count

	lastPath   *pathTemplate
	lastPathOK bool

	headerKeys [4]string
	headerVals [4][]string
	headers    int

	query     url.Values
	queryDone bool

	body     map[string]json.RawMessage
	bodyDone bool
}

// match reports whether the request fits. The caller has looked only at
// rules in the request's method bucket.
func (m *matcher) match(q *request) bool {
	r := q.r
	if m.checkMethod && m.method != r.Method {
		return false
	}
	if m.path != nil {
		if m.path != q.lastPath {
			q.lastPath, q.lastPathOK = m.path, m.path.matchSegments(r.URL.Path, q.nsegs)
		}
		if !q.lastPathOK {
			return false
		}
	}
	for _, h := range m.header {
		if !contains(q.header(h.key), h.value) {
			return false
		}
	}
	if len(m.query) > 0 {
		if r.URL.RawQuery == "" {
			return false
		}
		if !q.queryDone {
			q.query, q.queryDone = r.URL.Query(), true
		}
		for _, p := range m.query {
			if !contains(q.query[p.key], p.value) {
				return false
			}
		}
	}
	if len(m.body) > 0 {
		if !q.bodyDone {
			q.body, q.bodyDone = readJSONFields(r), true
		}
		if q.body == nil {
			return false
		}
		for _, f := range m.body {
			raw, ok := q.body[f.key]
			if !ok || fieldString(raw) != f.value {
				return false
			}
		}
	}
	return true
}

// header returns the values of a header by its canonical name.
func (q *request) header(key string) []string {
	for i := range q.headers {
		if q.headerKeys[i] == key {
			return q.headerVals[i]
		}
	}
	v := q.r.Header[key]
	if q.headers < len(q.headerKeys) {
		q.headerKeys[q.headers], q.headerVals[q.headers] = key, v
		q.headers++
	}
	return v
}

func contains(values []string, want string) bool {
	for _, v := range values {
		if v == want {
			return true
		}
	}
	return false
}

// readJSONFields reads up to MaxBodyBytes of a JSON request body and returns
// its top-level fields, or nil when the body is not a JSON object of that
// size. Whatever it read is put back in front of the rest of the body, so the
// handler reads the same bytes, and the same error, it would have.
func readJSONFields(r *http.Request) map[string]json.RawMessage {
	if r.Body == nil || r.Body == http.NoBody || !isJSON(r.Header.Get("Content-Type")) {
		return nil
	}
	orig := r.Body
	buf, err := io.ReadAll(io.LimitReader(orig, MaxBodyBytes+1))
	rest := io.Reader(orig)
	if err != nil {
		rest = errReader{err}
	}
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(buf), rest), Closer: orig}
	if err != nil || len(buf) > MaxBodyBytes {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(buf, &fields) != nil {
		return nil
	}
	return fields
}

// replayBody is a request body read in part already: what was read, then the
// rest, closed as the original.
type replayBody struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// fieldString is a JSON value in the string form Match.Body compares: a
// string's text, anything else as compact JSON.
func fieldString(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
