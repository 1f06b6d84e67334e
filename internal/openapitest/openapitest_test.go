package openapitest

import (
	"reflect"
	"strings"
	"testing"
)

const testDoc = `{
  "openapi": "3.0.3",
  "security": [{"key": []}],
  "paths": {
    "/things/{id}": {
      "get": {"operationId": "getThing"},
      "delete": {"operationId": "deleteThing", "security": [{}, {"key": []}]}
    },
    "/open": {"post": {"operationId": "open", "security": []}}
  },
  "components": {"schemas": {
    "Thing": {
      "type": "object",
      "required": ["id"],
      "properties": {
        "id": {"type": "string", "minLength": 2, "maxLength": 4},
        "note": {"type": "string", "nullable": true},
        "kind": {"$ref": "#/components/schemas/Kind"},
        "count": {"type": "integer", "minimum": 0, "maximum": 9},
        "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "at": {"type": "string", "format": "date-time"},
        "link": {"type": "string", "format": "uri"}
      }
    },
    "Kind": {"type": "string", "enum": ["a", "b"]},
    "Alias": {"$ref": "#/components/schemas/Thing"},
    "Open": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true},
    "Bag": {"type": "object", "additionalProperties": {"type": "integer"}},
    "Shape": {"oneOf": [
      {"type": "object", "required": ["r"], "properties": {"r": {"type": "number"}}},
      {"type": "object", "required": ["w"], "properties": {"w": {"type": "number"}}}
    ]},
    "Both": {"allOf": [{"$ref": "#/components/schemas/Open"}, {"type": "object", "required": ["a"]}]},
    "a/b~c": {"type": "boolean"}
  }}
}`

func testLoad(t *testing.T) Obj { return Load(t, []byte(testDoc)) }

func TestPointer(t *testing.T) {
	doc := testLoad(t)
	for _, c := range []struct {
		ref  string
		want any
		ok   bool
	}{
		{"#/components/schemas/Kind/type", "string", true},
		{"#/components/schemas/a~1b~0c/type", "boolean", true},
		{"#/paths/~1open/post/operationId", "open", true},
		{"#/components/schemas/Nope", nil, false},
		{"#/components/schemas/Kind/type/deeper", nil, false},
		{"components/schemas/Kind", nil, false}, // not local
		{"other.json#/x", nil, false},
	} {
		got, ok := Pointer(doc, c.ref)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Pointer(%q) = %v, %v; want %v, %v", c.ref, got, ok, c.want, c.ok)
		}
	}
}

func TestDerefAndRefOf(t *testing.T) {
	doc := testLoad(t)
	if s := Deref(doc, At(doc, "components", "schemas", "Alias")); s["type"] != "object" || At(s, "properties", "id", "type") != "string" {
		t.Errorf("Deref(Alias) = %v, want the Thing schema", s)
	}
	if s := Deref(doc, Obj{"$ref": "#/components/schemas/Nope"}); s != nil {
		t.Errorf("Deref of a dangling $ref = %v, want nil", s)
	}
	loop := Obj{"components": Obj{"schemas": Obj{"L": Obj{"$ref": "#/components/schemas/L"}}}}
	if s := Deref(loop, Obj{"$ref": "#/components/schemas/L"}); s["$ref"] == nil {
		t.Errorf("Deref of a $ref loop = %v; want it to stop, still a $ref", s)
	}
	if r := RefOf(Obj{"allOf": []any{Obj{"$ref": "#/x"}}, "description": "d"}); r != "#/x" {
		t.Errorf("RefOf(single allOf) = %q", r)
	}
	if r := RefOf(Obj{"allOf": []any{Obj{"$ref": "#/x"}, Obj{"$ref": "#/y"}}}); r != "" {
		t.Errorf("RefOf(two allOf) = %q, want empty", r)
	}
}

func TestOpsAndPublic(t *testing.T) {
	doc := testLoad(t)
	var names []string
	public := map[string]bool{}
	for _, o := range Ops(doc) {
		names = append(names, o.Name()+"="+o.ID())
		public[o.Name()] = Public(doc, o.Op)
	}
	want := []string{"DELETE /things/{id}=deleteThing", "GET /things/{id}=getThing", "POST /open=open"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("Ops = %v, want %v", names, want)
	}
	wantPublic := map[string]bool{"DELETE /things/{id}": true, "GET /things/{id}": false, "POST /open": true}
	if !reflect.DeepEqual(public, wantPublic) {
		t.Errorf("Public = %v, want %v", public, wantPublic)
	}
	if got := Concrete("/a/{b}/c/{d}"); got != "/a/x/c/x" {
		t.Errorf("Concrete = %q", got)
	}
}

func TestValidate(t *testing.T) {
	doc := testLoad(t)
	ref := func(name string) any { return Obj{"$ref": "#/components/schemas/" + name} }
	for _, c := range []struct {
		name   string
		schema any
		v      any
		want   []string // substrings, one per expected error; none: valid
	}{
		{"valid via $ref", ref("Alias"), Obj{"id": "ab", "kind": "a", "count": 3.0, "tags": []any{"x"}, "at": "2026-01-01T09:00:00Z", "link": "https://x.test/p"}, nil},
		{"unresolvable", ref("Nope"), "x", []string{"unresolvable schema"}},
		{"required", ref("Thing"), Obj{}, []string{"required property id is missing"}},
		{"nullable", ref("Thing"), Obj{"id": "ab", "note": nil}, nil},
		{"not nullable", ref("Thing"), Obj{"id": nil}, []string{"null, but the schema is not nullable"}},
		{"no type takes null", Obj{}, nil, nil},
		{"enum via $ref", ref("Thing"), Obj{"id": "ab", "kind": "c"}, []string{"c is not one of [a b]"}},
		{"undocumented property", ref("Thing"), Obj{"id": "ab", "extra": 1.0}, []string{"undocumented property extra"}},
		{"additionalProperties true", ref("Open"), Obj{"a": "x", "b": 1.0}, nil},
		{"additionalProperties false", Obj{"type": "object", "additionalProperties": false}, Obj{"b": 1.0}, []string{"undocumented property b"}},
		{"additionalProperties schema", ref("Bag"), Obj{"n": 1.0, "m": "x"}, []string{"$.m: want an integer"}},
		{"no properties: open", Obj{"type": "object"}, Obj{"b": 1.0}, nil},
		{"type mismatch", ref("Thing"), []any{}, []string{"want an object"}},
		{"integer", ref("Thing"), Obj{"id": "ab", "count": 1.5}, []string{"want an integer"}},
		{"range", ref("Thing"), Obj{"id": "ab", "count": 10.0}, []string{"above the maximum 9"}},
		{"minimum", ref("Thing"), Obj{"id": "ab", "count": -1.0}, []string{"below the minimum 0"}},
		{"lengths", ref("Thing"), Obj{"id": "a"}, []string{"shorter than 2"}},
		{"maxLength", ref("Thing"), Obj{"id": "abcde"}, []string{"longer than 4"}},
		{"minItems", ref("Thing"), Obj{"id": "ab", "tags": []any{}}, []string{"fewer than 1"}},
		{"items", ref("Thing"), Obj{"id": "ab", "tags": []any{"x", 2.0}}, []string{"$.tags[1]: want a string"}},
		{"date-time", ref("Thing"), Obj{"id": "ab", "at": "yesterday"}, []string{"not a date-time"}},
		{"uri", ref("Thing"), Obj{"id": "ab", "link": "/relative"}, []string{"not an absolute URI"}},
		{"pattern", Obj{"type": "string", "pattern": "^[0-9]+$"}, "12a", []string{"does not match"}},
		{"oneOf exactly one", ref("Shape"), Obj{"r": 1.0}, nil},
		{"oneOf none", ref("Shape"), Obj{"x": 1.0}, []string{"matches 0 of the oneOf schemas"}},
		{"oneOf closed branches", ref("Shape"), Obj{"r": 1.0, "w": 2.0}, []string{"matches 0 of the oneOf schemas"}}, // each branch refuses the other key
		{"allOf", ref("Both"), Obj{}, []string{"(allOf 1): required property a is missing"}},
		{"boolean", Obj{"type": "boolean"}, "true", []string{"want a boolean"}},
		{"number", Obj{"type": "number"}, "1", []string{"want a number"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Validate(doc, c.schema, c.v, "$")
			if len(got) != len(c.want) {
				t.Fatalf("Validate = %q, want %d errors like %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) || !strings.HasPrefix(got[i], "$") {
					t.Errorf("error %d = %q, want it to start with $ and contain %q", i, got[i], w)
				}
			}
		})
	}

	// Two branches that both match an open object.
	two := Obj{"oneOf": []any{Obj{"type": "object"}, Obj{"type": "object"}}}
	if got := Validate(doc, two, Obj{}, "$"); len(got) != 1 || !strings.Contains(got[0], "matches 2 of the oneOf schemas") {
		t.Errorf("oneOf with two matches: %q", got)
	}
}

func TestJSONFields(t *testing.T) {
	type Inner struct {
		A string `json:"a"`
		B int    `json:"b,omitempty"`
	}
	type outer struct {
		Inner
		B       string  `json:"b"` // shadows Inner.B
		C       *string `json:"c,omitzero"`
		D       bool
		Skip    int `json:"-"`
		private int
	}
	_ = outer{}.private
	var got []string
	for _, f := range JSONFields(reflect.TypeFor[outer]()) {
		got = append(got, f.Name+":"+f.Type.String()+":"+map[bool]string{true: "omit", false: "always"}[f.Omit])
	}
	want := []string{"b:string:always", "c:*string:omit", "D:bool:always", "a:string:always"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSONFields = %v, want %v", got, want)
	}
}

func TestAccessors(t *testing.T) {
	v := Obj{"a": Obj{"b": []any{"x", 1.0}}}
	if got := Strings(At(v, "a", "b")); !reflect.DeepEqual(got, []string{"x", "1"}) {
		t.Errorf("Strings(At) = %v", got)
	}
	if At(v, "a", "nope", "deeper") != nil || Map("x") != nil || Slice(Obj{}) != nil {
		t.Error("missing keys and wrong types must give nil")
	}
	c := Clone(v)
	c["z"] = 1
	if _, ok := v["z"]; ok {
		t.Error("Clone shares the map")
	}
	if got := Keys(map[string]int{"b": 1, "a": 2}); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Keys = %v", got)
	}
	if d := Diff(map[string]bool{"a": true, "x": true}, map[string]bool{"a": true, "b": true}); d != "missing [b], extra [x]" {
		t.Errorf("Diff = %q", d)
	}
	if d := Diff(map[string]bool{"a": true}, map[string]bool{"a": true}); d != "" {
		t.Errorf("Diff of equal sets = %q", d)
	}
}

func TestBrokenRefsAndCheckExamples(t *testing.T) {
	doc := Load(t, []byte(`{
  "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Thing"},
    "examples": {"good": {"value": {"id": "ab"}}, "bad": {"value": {"id": 7}}}
  }}}}}}},
  "components": {"schemas": {
    "Thing": {"type": "object", "properties": {"id": {"type": "string"}}, "example": {"id": "cd"}},
    "Lost": {"$ref": "#/components/schemas/Nowhere"}
  }}
}`))
	if got := BrokenRefs(doc); len(got) != 1 || !strings.Contains(got[0], "#/components/schemas/Lost: $ref #/components/schemas/Nowhere does not resolve") {
		t.Errorf("BrokenRefs = %q, want the one $ref to Nowhere", got)
	}
	problems, checked := CheckExamples(doc)
	if checked != 3 {
		t.Errorf("checked %d examples, want 3 (two media type examples and the schema's own)", checked)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "examples/bad") {
		t.Errorf("problems = %q, want one about examples/bad", problems)
	}
}
