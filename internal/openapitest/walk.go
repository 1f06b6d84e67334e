package openapitest

import "fmt"

// BrokenRefs lists every $ref in doc that does not resolve, each with
// where it stands ("#/paths/~1x/get/...: $ref #/components/... does not
// resolve").
func BrokenRefs(doc Obj) []string {
	var out []string
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case Obj:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := Pointer(doc, ref); !ok {
					out = append(out, fmt.Sprintf("%s: $ref %s does not resolve", at, ref))
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	return out
}

// CheckExamples validates every example in doc against the schema beside
// it: the example (or examples) of a media type, parameter or header against
// its schema, and a schema's own example against the schema. It returns the
// problems and how many examples it checked, so a caller can tell a broken
// walk from a document without examples.
func CheckExamples(doc Obj) (problems []string, checked int) {
	check := func(schema, v any, at string) {
		checked++
		problems = append(problems, Validate(doc, schema, v, at)...)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case Obj:
			if schema, ok := v["schema"]; ok { // a media type, parameter or header
				if ex, ok := v["example"]; ok {
					check(schema, ex, at+"/example")
				}
				for k, ex := range Map(v["examples"]) {
					if val, ok := Map(ex)["value"]; ok {
						check(schema, val, at+"/examples/"+k)
					}
				}
			} else if ex, ok := v["example"]; ok && (v["type"] != nil || v["$ref"] != nil || v["oneOf"] != nil) { // a schema
				check(v, ex, at+"/example")
			}
			for k, e := range v {
				if k == "example" || k == "examples" || k == "enum" || k == "default" {
					continue
				}
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	return problems, checked
}
