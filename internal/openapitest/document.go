package openapitest

import (
	"regexp"
	"sort"
	"strings"
)

// HTTPMethods are the methods an OpenAPI path item may hold, as written
// there.
var HTTPMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Pointer resolves a local JSON pointer such as #/components/schemas/User.
func Pointer(doc Obj, ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var v any = doc
	for _, k := range strings.Split(rest, "/") {
		k = strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~")
		m, ok := v.(Obj)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Deref follows $ref until it reaches an object without one (at most ten
// hops); nil if a reference does not resolve to an object.
func Deref(doc Obj, v any) Obj {
	m := Map(v)
	for i := 0; i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, _ := Pointer(doc, ref)
		m = Map(target)
	}
	return m
}

// RefOf is the $ref of a property: its own, or that of a single-element
// allOf (the way a $ref gets a description of its own in OpenAPI 3.0).
func RefOf(p Obj) string {
	if r, ok := p["$ref"].(string); ok {
		return r
	}
	if all := Slice(p["allOf"]); len(all) == 1 {
		r, _ := Map(all[0])["$ref"].(string)
		return r
	}
	return ""
}

// Op is one operation of the document.
type Op struct {
	Path, Method string // Method in upper case
	Op, Item     Obj    // the operation and its path item
}

// Name is "METHOD path".
func (o Op) Name() string { return o.Method + " " + o.Path }

// ID is the operationId, or "".
func (o Op) ID() string { s, _ := o.Op["operationId"].(string); return s }

// Ops lists the document's operations sorted by Name.
func Ops(doc Obj) []Op {
	var ops []Op
	for path, item := range Map(doc["paths"]) {
		for _, m := range HTTPMethods {
			if op, ok := Map(item)[m].(Obj); ok {
				ops = append(ops, Op{Path: path, Method: strings.ToUpper(m), Op: op, Item: Map(item)})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name() < ops[j].Name() })
	return ops
}

// Public reports whether an operation needs no credentials: its security
// (or the document's) is empty or lists {} as an alternative.
func Public(doc Obj, op Obj) bool {
	sec, ok := op["security"]
	if !ok {
		sec = doc["security"]
	}
	reqs, _ := sec.([]any)
	for _, r := range reqs {
		if len(Map(r)) == 0 {
			return true // {} makes it optional
		}
	}
	return len(reqs) == 0
}

// PathParam matches a path template's parameter; group 1 is its name.
var PathParam = regexp.MustCompile(`\{([^}/]+)\}`)

// Concrete fills every path parameter of a template with x.
func Concrete(template string) string { return PathParam.ReplaceAllString(template, "x") }
