package openapitest

import (
	"reflect"
	"strings"
)

// GoField is one JSON field of a Go wire type.
type GoField struct {
	Name string
	Omit bool // omitempty or omitzero: the property may be absent
	Type reflect.Type
}

// JSONFields lists the fields encoding/json writes for a struct type,
// embedded structs' fields promoted (the shallower field wins).
func JSONFields(t reflect.Type) []GoField {
	var out []GoField
	seen := map[string]bool{}
	level := []reflect.Type{t}
	for len(level) > 0 {
		var next []reflect.Type
		for _, st := range level {
			for i := range st.NumField() {
				f := st.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if f.Anonymous && name == "" {
					ft := f.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if ft.Kind() == reflect.Struct {
						next = append(next, ft)
						continue
					}
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				if seen[name] {
					continue
				}
				seen[name] = true
				o := "," + opts + ","
				out = append(out, GoField{Name: name, Omit: strings.Contains(o, ",omitempty,") || strings.Contains(o, ",omitzero,"), Type: f.Type})
			}
		}
		level = next
	}
	return out
}
