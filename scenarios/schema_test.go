package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema is checked with github.com/santhosh-tekuri/jsonschema/v6, in
// tests only.
var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

func mustSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if compileErr = c.AddResource(SchemaID, doc); compileErr != nil {
			return
		}
		compiled, compileErr = c.Compile(SchemaID)
	})
	if compileErr != nil {
		tb.Fatalf("schema.json: %v", compileErr)
	}
	return compiled
}

// validateWithSchema checks a YAML file against schema.json, converting it
// to JSON as an editor does (dates stay strings). A file that is not even
// YAML is an error.
func validateWithSchema(tb testing.TB, name string, data []byte) error {
	tb.Helper()
	sch := mustSchema(tb)
	d := newDecoder(name)
	root := d.document(data)
	if root == nil {
		if err := d.err(); err != nil {
			return err
		}
		return fmt.Errorf("no document")
	}
	v, ok := d.anyValue(root, "")
	if !ok {
		return d.err()
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func TestSchemaCompiles(t *testing.T) {
	sch := mustSchema(t)
	var doc map[string]any
	if err := json.Unmarshal(Schema, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["$id"] != SchemaID {
		t.Errorf("$schema %v $id %v", doc["$schema"], doc["$id"])
	}
	if sch == nil {
		t.Fatal("no schema")
	}
}

// TestSchemaMatchesModel walks the Go model by its yaml tags and the schema
// side by side: the same properties at every level, the same required
// fields, the same defaults, compatible types, and additionalProperties
// false on every object with properties.
func TestSchemaMatchesModel(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Schema, &doc); err != nil {
		t.Fatal(err)
	}
	w := schemaWalker{t: t, defs: doc["$defs"].(map[string]any), seen: map[string]bool{}}
	w.walk(reflect.TypeFor[Scenario](), doc, "scenario")
	if w.structs < 30 {
		t.Errorf("walked only %d structs", w.structs)
	}
	// Every definition is used.
	for name := range w.defs {
		if !w.used[name] {
			t.Errorf("$defs/%s is not reached from the model", name)
		}
	}
}

type schemaWalker struct {
	t       *testing.T
	defs    map[string]any
	used    map[string]bool
	seen    map[string]bool
	structs int
}

// resolve follows $ref, keeping the referring node's own keywords.
func (w *schemaWalker) resolve(node map[string]any) map[string]any {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	name := strings.TrimPrefix(ref, "#/$defs/")
	if w.used == nil {
		w.used = map[string]bool{}
	}
	w.used[name] = true
	def, ok := w.defs[name].(map[string]any)
	if !ok {
		w.t.Errorf("unresolved $ref %s", ref)
		return node
	}
	out := map[string]any{}
	for k, v := range w.resolve(def) {
		out[k] = v
	}
	for k, v := range node {
		if k != "$ref" {
			out[k] = v
		}
	}
	// anyOf branches are resolved too, so their definitions count as used.
	if branches, ok := out["anyOf"].([]any); ok {
		for _, b := range branches {
			w.resolve(b.(map[string]any))
		}
	}
	return out
}

func types(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func (w *schemaWalker) walk(t reflect.Type, raw map[string]any, path string) {
	node := w.resolve(raw)
	if _, ok := node["description"]; !ok && path != "scenario" && !strings.HasSuffix(path, "[]") && !strings.HasSuffix(path, "{}") {
		w.t.Errorf("%s: the schema has no description", path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wantType := func(want ...string) {
		got := types(node)
		if branches, ok := node["anyOf"].([]any); ok && got == nil {
			for _, b := range branches {
				got = append(got, types(w.resolve(b.(map[string]any)))...)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				w.t.Errorf("%s: schema type %v, want %v for Go %s", path, got, want, t)
				return
			}
		}
		if got == nil && node["const"] == nil {
			w.t.Errorf("%s: schema has no type, want %v for Go %s", path, want, t)
		}
	}
	switch {
	case reflect.PointerTo(t).Implements(unmarshalType) || t == durationType || t == timeType:
		wantType("string")
		return
	case t.Kind() == reflect.Interface:
		return // any JSON value; the validator may narrow it
	case t.Kind() == reflect.String:
		wantType("string")
		return
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		wantType("integer")
		return
	case t.Kind() == reflect.Float64:
		wantType("number")
		return
	case t.Kind() == reflect.Bool:
		wantType("boolean")
		return
	case t.Kind() == reflect.Slice:
		wantType("array")
		items, ok := node["items"].(map[string]any)
		if !ok {
			w.t.Errorf("%s: array without items", path)
			return
		}
		w.walk(t.Elem(), items, path+"[]")
		return
	case t.Kind() == reflect.Map:
		wantType("object")
		if _, has := node["properties"]; has {
			w.t.Errorf("%s: a map has properties in the schema", path)
		}
		ap, ok := node["additionalProperties"].(map[string]any)
		if !ok {
			w.t.Errorf("%s: map without an additionalProperties schema", path)
			return
		}
		w.walk(t.Elem(), ap, path+"{}")
		return
	}
	if t.Kind() != reflect.Struct {
		w.t.Fatalf("%s: unexpected Go kind %s", path, t.Kind())
	}
	w.structs++
	if !slices.Contains(types(node), "object") {
		w.t.Errorf("%s: schema type %v, want object", path, types(node))
	}
	if node["additionalProperties"] != false {
		w.t.Errorf("%s: additionalProperties is not false", path)
	}
	props, _ := node["properties"].(map[string]any)
	fs := fieldsOf(t)
	var goNames, schemaNames, goRequired, schemaRequired []string
	for _, f := range fs {
		goNames = append(goNames, f.name)
		if f.required {
			goRequired = append(goRequired, f.name)
		}
	}
	for name := range props {
		schemaNames = append(schemaNames, name)
	}
	for _, r := range asStrings(node["required"]) {
		schemaRequired = append(schemaRequired, r)
	}
	sort.Strings(goNames)
	sort.Strings(schemaNames)
	sort.Strings(goRequired)
	sort.Strings(schemaRequired)
	for _, n := range goNames {
		if !slices.Contains(schemaNames, n) {
			w.t.Errorf("%s: Go field %q is missing from the schema", path, n)
		}
	}
	for _, n := range schemaNames {
		if !slices.Contains(goNames, n) {
			w.t.Errorf("%s: schema property %q has no Go field", path, n)
		}
	}
	if !slices.Equal(goRequired, schemaRequired) {
		w.t.Errorf("%s: required %v in Go, %v in the schema", path, goRequired, schemaRequired)
	}
	if t.Implements(oneOfIface) && (node["minProperties"] != 1.0 || node["maxProperties"] != 1.0) {
		w.t.Errorf("%s: a one-of struct needs minProperties and maxProperties 1", path)
	}
	for _, f := range fs {
		p, ok := props[f.name].(map[string]any)
		if !ok {
			continue
		}
		if f.hasDef {
			def, has := w.resolve(p)["default"]
			if !has || fmt.Sprint(def) != f.def {
				w.t.Errorf("%s.%s: default %q in Go, %v in the schema", path, f.name, f.def, def)
			}
		}
		w.walk(t.Field(f.index).Type, p, path+"."+f.name)
	}
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.(string)
	}
	return out
}

// TestSchemaObjectsAreClosed: anywhere in the schema, an object with
// properties allows no others.
func TestSchemaObjectsAreClosed(t *testing.T) {
	var doc any
	if err := json.Unmarshal(Schema, &doc); err != nil {
		t.Fatal(err)
	}
	var visit func(v any, where string)
	visit = func(v any, where string) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["properties"]; ok && x["additionalProperties"] != false {
				t.Errorf("%s: properties without additionalProperties: false", where)
			}
			for k, c := range x {
				visit(c, where+"/"+k)
			}
		case []any:
			for i, c := range x {
				visit(c, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	visit(doc, "#")
}

// TestSchemaEnumsMatchTheValidator: the enumerations the loader checks are
// the ones editors offer.
func TestSchemaEnumsMatchTheValidator(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Schema, &doc); err != nil {
		t.Fatal(err)
	}
	w := schemaWalker{t: t, defs: doc["$defs"].(map[string]any)}
	get := func(path ...string) []string {
		node := w.resolve(doc)
		for _, p := range path {
			switch p {
			case "[]":
				node = w.resolve(node["items"].(map[string]any))
			default:
				node = w.resolve(node["properties"].(map[string]any)[p].(map[string]any))
			}
		}
		return asStrings(node["enum"])
	}
	for _, tc := range []struct {
		name   string
		schema []string
		goList []string
	}{
		{"services", get("faults", "[]", "service"), Services},
		{"methods", get("faults", "[]", "match", "method"), Methods},
		{"oauthError", get("faults", "[]", "do", "oauthError"), OAuthErrors},
		{"payResult.status", get("faults", "[]", "do", "payResult", "status"), PayResultStatuses},
		{"payResult.then", get("faults", "[]", "do", "payResult", "then"), PayResultThens},
		{"scopes", get("steps", "[]", "connect", "grant", "[]"), Scopes},
		{"connect outcome", get("steps", "[]", "connect", "expect", "outcome"), ConnectOutcomes},
		{"pay status", get("steps", "[]", "pay", "expect", "status"), PaymentStatuses},
		{"refund status", get("steps", "[]", "refund", "expect", "status"), RefundStatuses},
		{"void status", get("steps", "[]", "void", "expect", "status"), RequestStatuses},
		{"cancel status", get("steps", "[]", "cancel", "expect", "status"), RequestStatuses},
		{"request status", get("steps", "[]", "expect", "paymentRequest", "status"), RequestStatuses},
		{"journal service", get("steps", "[]", "expect", "journal", "service"), Services},
		{"auth methods", get("fixtures", "provider", "clients", "[]", "authMethod"), AuthMethods},
		{"grant types", get("fixtures", "provider", "clients", "[]", "grantTypes", "[]"), GrantTypes},
		{"roles", get("fixtures", "centrapay", "apiKeys", "[]", "role"), APIKeyRoles},
	} {
		if !slices.Equal(tc.schema, tc.goList) {
			t.Errorf("%s: schema %v, Go %v", tc.name, tc.schema, tc.goList)
		}
	}
}
