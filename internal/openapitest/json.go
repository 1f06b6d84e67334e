package openapitest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
)

// Obj is a JSON object as encoding/json decodes it into an any.
type Obj = map[string]any

// Load parses an OpenAPI document, failing the test if it is not JSON.
func Load(t testing.TB, data []byte) Obj {
	t.Helper()
	var doc Obj
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// Map is v as an object, or nil.
func Map(v any) Obj { m, _ := v.(Obj); return m }

// Slice is v as an array, or nil.
func Slice(v any) []any { a, _ := v.([]any); return a }

// At walks a path of object keys; a missing key gives nil.
func At(v any, keys ...string) any {
	for _, k := range keys {
		v = Map(v)[k]
	}
	return v
}

// Strings formats each element of the array v.
func Strings(v any) []string {
	var out []string
	for _, s := range Slice(v) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// Clone is a shallow copy of m.
func Clone(m Obj) Obj {
	out := Obj{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Keys are the keys of m, sorted.
func Keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Diff says what want has that got lacks, and the reverse; "" when the two
// sets are equal.
func Diff(got, want map[string]bool) string {
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Sprintf("missing %v, extra %v", missing, extra)
}
