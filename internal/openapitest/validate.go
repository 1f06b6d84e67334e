package openapitest

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"time"
)

// Validate checks a JSON value (as encoding/json decodes into an any)
// against a schema of the document and returns one message per problem,
// each starting with at.
//
// It understands $ref, allOf, oneOf, nullable, enum, type, required,
// properties, additionalProperties, items, minItems, pattern, minLength,
// maxLength, format date-time and uri, minimum and maximum. It is stricter
// than OpenAPI: an object schema that lists properties and says nothing of
// additionalProperties takes no others, so that every field a service
// sends, and every field an example shows, is documented.
func Validate(doc Obj, schema any, v any, at string) []string {
	s := Deref(doc, schema)
	if s == nil {
		return []string{at + ": unresolvable schema"}
	}
	var errs []string
	for i, sub := range Slice(s["allOf"]) {
		errs = append(errs, Validate(doc, sub, v, fmt.Sprintf("%s(allOf %d)", at, i))...)
	}
	if one, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, sub := range one {
			if len(Validate(doc, sub, v, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Sprintf("%s: %v matches %d of the oneOf schemas, want exactly 1", at, v, n))
		}
	}
	if v == nil {
		if s["nullable"] == true || s["type"] == nil {
			return errs
		}
		return append(errs, at+": null, but the schema is not nullable")
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	switch s["type"] {
	case "object":
		m, ok := v.(Obj)
		if !ok {
			return append(errs, fmt.Sprintf("%s: want an object, got %T", at, v))
		}
		for _, r := range Strings(s["required"]) {
			if _, ok := m[r]; !ok {
				errs = append(errs, at+": required property "+r+" is missing")
			}
		}
		props, _ := s["properties"].(Obj)
		for _, k := range Keys(m) {
			if ps, ok := props[k]; ok {
				errs = append(errs, Validate(doc, ps, m[k], at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, at+": undocumented property "+k)
				}
			case Obj:
				errs = append(errs, Validate(doc, ap, m[k], at+"."+k)...)
			case nil:
				if props != nil {
					errs = append(errs, at+": undocumented property "+k)
				}
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return append(errs, fmt.Sprintf("%s: want an array, got %T", at, v))
		}
		if n, ok := s["minItems"].(float64); ok && float64(len(a)) < n {
			errs = append(errs, fmt.Sprintf("%s: %d items, fewer than %v", at, len(a), n))
		}
		for i, e := range a {
			errs = append(errs, Validate(doc, s["items"], e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(errs, fmt.Sprintf("%s: want a string, got %T", at, v))
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", at, str, p))
		}
		if n, ok := s["minLength"].(float64); ok && float64(len([]rune(str))) < n {
			errs = append(errs, fmt.Sprintf("%s: %q is shorter than %v", at, str, n))
		}
		if n, ok := s["maxLength"].(float64); ok && float64(len([]rune(str))) > n {
			errs = append(errs, fmt.Sprintf("%s: %q is longer than %v", at, str, n))
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, str))
			}
		case "uri":
			if u, err := url.Parse(str); err != nil || !u.IsAbs() || u.Host == "" {
				errs = append(errs, fmt.Sprintf("%s: %q is not an absolute URI", at, str))
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, fmt.Sprintf("%s: want a boolean, got %T", at, v))
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return append(errs, fmt.Sprintf("%s: want an integer, got %v", at, v))
		}
		errs = append(errs, numberRange(s, f, at)...)
	case "number":
		f, ok := v.(float64)
		if !ok {
			return append(errs, fmt.Sprintf("%s: want a number, got %T", at, v))
		}
		errs = append(errs, numberRange(s, f, at)...)
	}
	return errs
}

// numberRange checks minimum and maximum.
func numberRange(s Obj, f float64, at string) []string {
	if n, ok := s["minimum"].(float64); ok && f < n {
		return []string{fmt.Sprintf("%s: %v is below the minimum %v", at, f, n)}
	}
	if n, ok := s["maximum"].(float64); ok && f > n {
		return []string{fmt.Sprintf("%s: %v is above the maximum %v", at, f, n)}
	}
	return nil
}
