package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads and validates one scenario file. A problem with its content
// is an *Error listing every problem; a file that cannot be read is the
// os error.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates a scenario; name is the file name used in
// positions. Any problem makes it return a nil Scenario and an *Error
// listing every problem found, sorted by position.
func Parse(name string, data []byte) (*Scenario, error) {
	d := newDecoder(name)
	root := d.document(data)
	if root == nil {
		return nil, d.err()
	}
	if !d.version(root) {
		return nil, d.err()
	}
	s := &Scenario{}
	d.decode(root, "", "", reflect.ValueOf(s).Elem())
	s.File = name
	validate(d, s)
	if err := d.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// maxNodes bounds how many YAML nodes a file may expand to through
// aliases, so a "billion laughs" file is an error, not an outage.
const maxNodes = 100_000

// decoder walks a yaml.Node tree into the model by reflection, guided by
// the yaml tags, and remembers where every value was so that validation
// can point at it too.
type decoder struct {
	file     string
	problems []Problem
	// pos is where each decoded path's value is; parent links each path to
	// the enclosing one, for problems about something that is missing.
	pos    map[string]Pos
	parent map[string]string
	// bad are paths that failed to decode or are missing: validation stays
	// quiet about them and about what encloses them, so one mistake is
	// reported once.
	bad   map[string]bool
	nodes int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]Pos{}, parent: map[string]string{}, bad: map[string]bool{}}
}

func (d *decoder) at(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Column: n.Column} }

func (d *decoder) addf(p Pos, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Pos: p, Path: path, Message: fmt.Sprintf(format, args...)})
}

// fail reports a value that could not be decoded.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.addf(d.at(n), path, format, args...)
}

// err is nil without problems, or an *Error with them sorted by position.
func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	ps := slices.Clone(d.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	ps = slices.Compact(ps)
	return &Error{File: d.file, Problems: ps}
}

// yamlLine finds the line in yaml.v3's syntax errors ("yaml: line 3: …"),
// which carry no column.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data as exactly one YAML document whose root is a
// mapping, and returns that mapping.
func (d *decoder) document(data []byte) *yaml.Node {
	syntax := func(err error) {
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		if l := syntaxLine(data, err.Error()); l > 0 {
			line = l
		}
		if strings.Contains(msg, "did not find expected ',' or '}'") {
			msg += ` (in a {…} mapping, quote values with braces: path: "/assets/{assetId}")`
		}
		// yaml.v3 reports no column for syntax errors.
		d.addf(Pos{File: d.file, Line: line, Column: 1}, "", "invalid YAML: %s", msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.addf(Pos{File: d.file, Line: 1, Column: 1}, "", "the file is empty: a scenario needs at least version: 1 and a name")
		} else {
			syntax(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case err == nil && (len(next.Content) == 0 || isNull(next.Content[0]) && next.Content[0].Value == ""):
		// A trailing "---" with nothing after it.
	case err == nil:
		d.addf(d.at(&next), "", "a scenario file holds one YAML document; this is a second one (after ---)")
	case !errors.Is(err, io.EOF):
		syntax(err)
	}
	if len(doc.Content) == 0 {
		d.addf(Pos{File: d.file, Line: 1, Column: 1}, "", "the file is empty: a scenario needs at least version: 1 and a name")
		return nil
	}
	root := d.resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		d.addf(d.at(root), "", "a scenario is a mapping (version: 1, name: …), found %s", describe(root))
		return nil
	}
	if len(d.problems) > 0 {
		return nil
	}
	return root
}

// version checks the version key first: under another version the rest
// of the file means something else, so its problems would be noise.
func (d *decoder) version(root *yaml.Node) bool {
	supported := joinInts(SupportedVersions)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "version" {
			v := d.resolve(root.Content[i+1])
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil {
				d.fail(v, "version", "%s is not a format version (supported: %s)", describe(v), supported)
				return false
			}
			if !slices.Contains(SupportedVersions, n) {
				d.fail(v, "version", "version %d is not supported (supported: %s)", n, supported)
				return false
			}
			return true
		}
	}
	return true // reported as a missing required field
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// decodeNode parses the next document, turning a panic in the YAML parser
// into an error: a bad file must never take the sandbox down.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntaxLine finds the line of a syntax error: yaml.v3 reports the line
// where the enclosing construct starts (sometimes the one before), so this
// looks for the shortest run of leading lines that fails the same way.
// 0 means not found.
func syntaxLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 2000 {
		return 0
	}
	var prefix []byte
	for i, l := range lines {
		prefix = append(prefix, l...)
		dec := yaml.NewDecoder(bytes.NewReader(prefix))
		for {
			var n yaml.Node
			err := decodeNode(dec, &n)
			if err == nil {
				continue
			}
			if err.Error() == msg || stripLine(err.Error()) == stripLine(msg) {
				return i + 1
			}
			break
		}
	}
	return 0
}

func stripLine(msg string) string {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return m[2]
	}
	return msg
}

// resolve follows aliases.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// budget counts a visited node and reports, once, a file that expands
// to more than maxNodes.
func (d *decoder) budget(n *yaml.Node, path string) bool {
	d.nodes++
	if d.nodes == maxNodes+1 {
		d.fail(n, path, "the file expands to more than %d values through aliases; write it out instead", maxNodes)
	}
	return d.nodes <= maxNodes
}

// nodeUnmarshaler is a model type that reads itself from one node; its
// error message is reported at the node with the field's path.
type nodeUnmarshaler interface {
	unmarshalNode(n *yaml.Node) error
}

// oneOfType marks a struct decoded as a mapping with exactly one key.
type oneOfType interface{ oneOf() }

var (
	durationType  = reflect.TypeFor[time.Duration]()
	timeType      = reflect.TypeFor[time.Time]()
	unmarshalType = reflect.TypeFor[nodeUnmarshaler]()
	oneOfIface    = reflect.TypeFor[oneOfType]()
)

// decode reads n into v. path is v's field path; parent is the enclosing
// path.
func (d *decoder) decode(n *yaml.Node, path, parent string, v reflect.Value) {
	if !d.budget(n, path) {
		return
	}
	n = d.resolve(n)
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = d.at(n)
	}
	if path != "" {
		d.parent[path] = parent
	}
	t := v.Type()
	if reflect.PointerTo(t).Implements(unmarshalType) {
		if err := v.Addr().Interface().(nodeUnmarshaler).unmarshalNode(n); err != nil {
			d.fail(n, path, "%s", err.Error())
		}
		return
	}
	switch t {
	case durationType:
		if dur, ok := d.duration(n, path); ok {
			v.SetInt(int64(dur))
		}
		return
	case timeType:
		if tm, err := parseTime(n); err != nil {
			d.fail(n, path, "%s", err.Error())
		} else {
			v.Set(reflect.ValueOf(tm))
		}
		return
	}
	if isNull(n) && t.Kind() != reflect.Interface {
		d.fail(n, path, "has no value: expected %s", want(t))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		d.decode(n, path, parent, p.Elem())
		v.Set(p)
	case reflect.Struct:
		if t.Implements(oneOfIface) {
			d.oneOf(n, path, v)
		} else {
			d.structure(n, path, v)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, found %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, fmt.Sprintf("%s[%d]", path, i), path, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, found %s", describe(n))
			return
		}
		m := reflect.MakeMap(t)
		for _, kv := range d.pairs(n, path) {
			e := reflect.New(t.Elem()).Elem()
			d.decode(kv.val, keyPath(path, kv.key.Value), path, e)
			m.SetMapIndex(reflect.ValueOf(kv.key.Value), e)
		}
		v.Set(m)
	case reflect.Interface:
		if x, ok := d.anyValue(n, path); ok && x != nil {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			d.notA(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.notA(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.notA(n, path, "an integer")
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.notA(n, path, "a number")
			return
		}
		v.SetFloat(f)
	default:
		panic("scenarios: no decoder for " + t.String())
	}
}

// notA reports a value of the wrong type, saying how to fix the usual
// mistake: a number or date where a string belongs needs quotes.
func (d *decoder) notA(n *yaml.Node, path, what string) {
	if what == "a string" && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		d.fail(n, path, "%s is not a string; quote it: %q", n.Value, n.Value)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		d.fail(n, path, "%s is not %s", quoteScalar(n), what)
		return
	}
	d.fail(n, path, "expected %s, found %s", what, describe(n))
}

func want(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "a mapping"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t == durationType:
		return "a duration"
	case t == timeType:
		return "an RFC 3339 time"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a value"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return quoteScalar(n)
	}
	return "an unexpected YAML node"
}

func quoteScalar(n *yaml.Node) string {
	if n.Tag == "!!str" {
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// keyPath appends a mapping key to a path: .name for plain names,
// ["X.Y"] for anything else.
func keyPath(path, key string) string {
	if plainKey.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

type keyValue struct{ key, val *yaml.Node }

// pairs lists a mapping's entries, expanding merge keys (<<) and reporting
// duplicate and non-scalar keys.
func (d *decoder) pairs(n *yaml.Node, path string) []keyValue {
	var out, merged []keyValue
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a plain name, found %s", describe(k))
			continue
		}
		if k.Tag == "!!merge" {
			src := d.resolve(val)
			var maps []*yaml.Node
			switch src.Kind {
			case yaml.SequenceNode:
				for _, c := range src.Content {
					maps = append(maps, d.resolve(c))
				}
			default:
				maps = []*yaml.Node{src}
			}
			for _, m := range maps {
				if m.Kind != yaml.MappingNode {
					d.fail(m, path, "<< merges mappings only, found %s", describe(m))
					continue
				}
				merged = append(merged, d.pairs(m, path)...)
			}
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, keyPath(path, k.Value), "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, keyValue{k, val})
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key.Value]; !ok {
			seen[kv.key.Value] = kv.key
			out = append(out, kv)
		}
	}
	return out
}

// field is one struct field as the decoder sees it.
type field struct {
	name     string
	index    int
	required bool
	def      string
	hasDef   bool
}

var fieldCache sync.Map // reflect.Type → []field

// fieldsOf lists a struct's YAML fields in declaration order.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		def, hasDef := sf.Tag.Lookup("default")
		fs = append(fs, field{name: name, index: i, required: sf.Tag.Get("scenario") == "required", def: def, hasDef: hasDef})
	}
	fieldCache.Store(t, fs)
	return fs
}

func names(fs []field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// structure reads a mapping into a struct: unknown keys are errors,
// missing required keys are errors, defaults fill the rest.
func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	fs := fieldsOf(v.Type())
	for _, f := range fs {
		if f.hasDef {
			setDefault(v.Field(f.index), f.def)
		}
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping with %s, found %s", strings.Join(names(fs), ", "), describe(n))
		return
	}
	seen := map[string]bool{}
	for _, kv := range d.pairs(n, path) {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == kv.key.Value })
		if i < 0 {
			d.unknown(kv.key, path, names(fs))
			continue
		}
		seen[kv.key.Value] = true
		d.decode(kv.val, keyPath(path, kv.key.Value), path, v.Field(fs[i].index))
	}
	for _, f := range fs {
		if f.required && !seen[f.name] {
			child := keyPath(path, f.name)
			d.bad[child] = true
			d.parent[child] = path
			d.addf(d.at(n), path, "missing required field %q", f.name)
		}
	}
}

// unknown reports a key the struct does not have, with the nearest known
// one when it looks like a typo.
func (d *decoder) unknown(k *yaml.Node, path string, known []string) {
	d.bad[keyPath(path, k.Value)] = true
	d.addf(d.at(k), path, "unknown field %q %s", k.Value, choices(k.Value, known))
}

// oneOf reads a mapping with exactly one key naming which field is set.
func (d *decoder) oneOf(n *yaml.Node, path string, v reflect.Value) {
	fs := fieldsOf(v.Type())
	known := strings.Join(names(fs), ", ")
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && slices.Contains(names(fs), n.Value) {
		d.fail(n, path, "a step is a mapping with one key; write %q", n.Value+": {}")
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a step (a mapping with one of %s), found %s", known, describe(n))
		return
	}
	kvs := d.pairs(n, path)
	switch {
	case len(kvs) == 0:
		d.fail(n, path, "empty step: use one of %s", known)
		return
	case len(kvs) > 1:
		keys := make([]string, len(kvs))
		for i, kv := range kvs {
			keys[i] = kv.key.Value
		}
		d.fail(n, path, "a step has exactly one key, found %d: %s (make them separate steps, or indent the later ones)", len(kvs), strings.Join(keys, ", "))
		return
	}
	kv := kvs[0]
	i := slices.IndexFunc(fs, func(f field) bool { return f.name == kv.key.Value })
	if i < 0 {
		d.fail(kv.key, path, "unknown step %q (known: %s)", kv.key.Value, known)
		return
	}
	val := d.resolve(kv.val)
	if isNull(val) && v.Field(fs[i].index).Kind() == reflect.Pointer && v.Field(fs[i].index).Type().Elem().Kind() == reflect.Struct {
		// "- fetch:" with nothing after it is "- fetch: {}".
		val = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: val.Line, Column: val.Column}
	}
	d.decode(val, keyPath(path, kv.key.Value), path, v.Field(fs[i].index))
}

func setDefault(v reflect.Value, def string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(def)
	case reflect.Bool:
		v.SetBool(def == "true")
	case reflect.Int, reflect.Int64:
		i, _ := strconv.ParseInt(def, 10, 64)
		v.SetInt(i)
	default:
		panic("scenarios: no default for " + v.Type().String())
	}
}

// anyValue reads a node as JSON would hold it: maps with string keys,
// lists, strings, numbers, booleans and null. Dates stay strings.
func (d *decoder) anyValue(n *yaml.Node, path string) (any, bool) {
	if !d.budget(n, path) {
		return nil, false
	}
	n = d.resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, kv := range d.pairs(n, path) {
			x, ok := d.anyValue(kv.val, keyPath(path, kv.key.Value))
			if !ok {
				return nil, false
			}
			m[kv.key.Value] = x
		}
		return m, true
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			x, ok := d.anyValue(c, fmt.Sprintf("%s[%d]", path, i))
			if !ok {
				return nil, false
			}
			l[i] = x
		}
		return l, true
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i, true
			}
			var f float64
			if n.Decode(&f) == nil {
				return f, true
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, true
			}
			d.fail(n, path, "%s is not a number JSON can carry", n.Value)
			return nil, false
		default: // !!str, !!timestamp, !!binary and custom tags: the text
			return n.Value, true
		}
	}
	d.fail(n, path, "%s cannot be expressed in JSON", describe(n))
	return nil, false
}

// duration reads a Go duration with a unit ("1500ms", "90s", "2h"),
// never negative.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	dur, err := parseDuration(n)
	if err != nil {
		d.fail(n, path, "%s", err.Error())
		return 0, false
	}
	return dur, true
}

var durationPattern = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)

func parseDuration(n *yaml.Node) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return 0, fmt.Errorf("expected a duration such as 1500ms, 90s or 2h, found %s", describe(n))
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		return 0, fmt.Errorf("%s has no unit: write %sms, %ss or similar", n.Value, n.Value, n.Value)
	}
	return parseDurationText(n.Value)
}

func parseDurationText(s string) (time.Duration, error) {
	if !durationPattern.MatchString(s) {
		return 0, fmt.Errorf("%q is not a duration: use a number and a unit, such as 1500ms, 90s or 2h", s)
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: %v", s, err)
	}
	return dur, nil
}

func parseTime(n *yaml.Node) (time.Time, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!timestamp") {
		return time.Time{}, fmt.Errorf("expected an RFC 3339 time such as 2026-01-01T09:00:00Z, found %s", describe(n))
	}
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-01T09:00:00Z", n.Value)
	}
	return t, nil
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func (a *Amount) unmarshalNode(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int") {
		return fmt.Errorf("%s is a number; write amounts as strings of digits: %q", n.Value, n.Value)
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("expected an amount as a string of digits such as \"1200\", found %s", describe(n))
	}
	if !digits.MatchString(n.Value) {
		return fmt.Errorf("%q is not an amount: use a string of digits in minor units, such as \"1200\"", n.Value)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is too large an amount", n.Value)
	}
	*a = Amount(i)
	return nil
}

func (dl *Delay) unmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
			return fmt.Errorf("%s has no unit: write %sms, or a range such as 100ms-2s", n.Value, n.Value)
		}
		return fmt.Errorf("expected a duration such as 1500ms or a range such as 100ms-2s, found %s", describe(n))
	}
	lo, hi, isRange := strings.Cut(n.Value, "-")
	minD, err := parseDurationText(lo)
	if err != nil {
		return fmt.Errorf("%q is not a delay: use a duration such as 1500ms or a range such as 100ms-2s", n.Value)
	}
	maxD := minD
	if isRange {
		if maxD, err = parseDurationText(hi); err != nil {
			return fmt.Errorf("%q is not a delay: use a duration such as 1500ms or a range such as 100ms-2s", n.Value)
		}
		if maxD < minD {
			return fmt.Errorf("delay range %q runs backwards: write the shorter duration first", n.Value)
		}
	}
	*dl = Delay{Min: minD, Max: maxD}
	return nil
}

func (p *ClockPoint) unmarshalNode(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!timestamp") {
		if dur, err := parseDurationText(n.Value); err == nil {
			*p = ClockPoint{Offset: dur}
			return nil
		}
		if t, err := time.Parse(time.RFC3339Nano, n.Value); err == nil {
			*p = ClockPoint{Time: t, Absolute: true}
			return nil
		}
	}
	return fmt.Errorf("%s is neither a duration from the clock's start (30s, 2h) nor an RFC 3339 time (2026-01-01T09:00:00Z)", describe(n))
}

// choices says which names would do: the one s is likely a typo of, or
// all of them.
func choices(s string, known []string) string {
	if c := closest(s, known); c != "" {
		return fmt.Sprintf("(did you mean %q?)", c)
	}
	return "(known: " + strings.Join(known, ", ") + ")"
}

// closest returns the known name s is likely a typo of: within edit
// distance 1 for short names, 2 for longer ones.
func closest(s string, known []string) string {
	best, bestD := "", 2
	if len(s) > 4 {
		bestD = 3
	}
	for _, k := range known {
		if dist := editDistance(strings.ToLower(s), strings.ToLower(k)); dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance, so a swapped pair of letters ("stauts") counts as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
