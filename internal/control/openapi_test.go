package control

// These tests keep openapi.json honest, as mockpayap's do: the document
// parses and is served as is, lists exactly the routes routes() registers,
// names every error code the package answers, describes the Go wire types
// field for field, and its examples and request schemas agree with the
// handlers. Every answer of the handler tests is also checked against it
// (h5Serve).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
	oa "github.com/payap/payap-sandbox/internal/openapitest"
)

func TestH5OpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := h5Doc(t)
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi = %v, want 3.0.3", doc["openapi"])
	}
	if oa.At(doc, "info", "title") == nil || oa.At(doc, "info", "version") == nil {
		t.Error("info needs a title and a version")
	}
	desc, _ := oa.At(doc, "info", "description").(string)
	for _, want := range []string{"remote_not_allowed", "127.0.0.1", `{"error": {"code"`, "next", "64 KiB", "1 MiB", "64 MiB"} {
		if !strings.Contains(desc, want) {
			t.Errorf("info.description does not mention %q", want)
		}
	}

	for _, p := range oa.BrokenRefs(doc) {
		t.Error(p)
	}

	ids := map[string]string{}
	for _, o := range oa.Ops(doc) {
		name := o.Name()
		if !strings.HasPrefix(o.Path, Prefix) {
			t.Errorf("%s: every path is under %s", name, Prefix)
		}
		if id := o.ID(); id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %s is also %s's", name, id, prev)
		} else {
			ids[id] = name
		}
		for _, k := range []string{"summary", "description"} {
			if s, _ := o.Op[k].(string); s == "" {
				t.Errorf("%s: no %s", name, k)
			}
		}
		responses := oa.Map(o.Op["responses"])
		for code, r := range responses {
			if oa.Deref(doc, r)["description"] == nil {
				t.Errorf("%s %s: a response needs a description", name, code)
			}
		}
		if responses["403"] == nil {
			t.Errorf("%s: every operation can answer 403 remote_not_allowed; document it", name)
		}

		declared := map[string]bool{}
		for _, p := range append(oa.Slice(o.Item["parameters"]), oa.Slice(o.Op["parameters"])...) {
			p := oa.Deref(doc, p)
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v must be required", name, p["name"])
				}
			}
		}
		inTemplate := map[string]bool{}
		for _, m := range oa.PathParam.FindAllStringSubmatch(o.Path, -1) {
			inTemplate[m[1]] = true
		}
		if !reflect.DeepEqual(declared, inTemplate) {
			t.Errorf("%s: path parameters declared %v, template has %v", name, declared, inTemplate)
		}

		// JSON request bodies are closed objects, but for the opaque snapshot.
		if rb := oa.Deref(doc, o.Op["requestBody"]); rb != nil {
			s := oa.Deref(doc, oa.At(rb, "content", "application/json", "schema"))
			if s == nil {
				t.Errorf("%s: requestBody has no application/json schema", name)
			} else if o.Path != "/__sandbox/state" && (s["additionalProperties"] != false || s["type"] != "object") {
				t.Errorf("%s: the request schema must be an object with additionalProperties: false", name)
			}
		}
	}

	onDisk, err := os.ReadFile("openapi.json")
	if err != nil || !bytes.Equal(onDisk, openAPIDoc) {
		t.Errorf("the embedded document differs from openapi.json on disk (err %v)", err)
	}
}

func TestH5OpenAPIExamplesMatchSchemas(t *testing.T) {
	doc := h5Doc(t)
	problems, n := oa.CheckExamples(doc)
	for _, p := range problems {
		t.Error(p)
	}
	if n < 40 {
		t.Errorf("checked only %d examples; the walk is broken or the document lost its examples", n)
	}
}

// TestH5OpenAPIPathsAndMethodsMatchRouter checks that the document lists
// exactly the (path, method) pairs routes() registers: the paths by walking
// the router, the methods from each path's 405 Allow header.
func TestH5OpenAPIPathsAndMethodsMatchRouter(t *testing.T) {
	doc := h5Doc(t)
	documented := map[string]map[string]bool{}
	for _, o := range oa.Ops(doc) {
		if documented[o.Path] == nil {
			documented[o.Path] = map[string]bool{}
		}
		documented[o.Path][o.Method] = true
		if o.Method == http.MethodGet {
			documented[o.Path][http.MethodHead] = true // served by GET, not an operation
		}
	}
	router := (&control{b: h5NewBackend()}).routes()
	routed := map[string]map[string]bool{}
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, httptest.NewRequest("H5PROBE", oa.Concrete(tmpl), nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
			return fmt.Errorf("%s: an unknown method got %d, Allow %q; want 405 with Allow", tmpl, rec.Code, rec.Header().Get("Allow"))
		}
		routed[tmpl] = map[string]bool{}
		for _, m := range strings.Split(rec.Header().Get("Allow"), ", ") {
			routed[tmpl][m] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routed) < 17 {
		t.Fatalf("walked only %d routes: %v", len(routed), routed)
	}
	for path, methods := range routed {
		if d := oa.Diff(methods, documented[path]); d != "" {
			t.Errorf("%s: routed methods vs documented: %s", path, d)
		}
	}
	for path := range documented {
		if routed[path] == nil {
			t.Errorf("%s is documented but not routed", path)
		}
	}
}

var (
	h5ReNewErrorCall = regexp.MustCompile(`\bnewError\(`)
	h5ReNewError     = regexp.MustCompile(`^newError\(\s*http\.Status\w+,\s*"([a-z0-9_]+)"`)
	h5ReCatalogue    = regexp.MustCompile("(?m)^- `([a-z0-9_]+)` \\((\\d{3})\\)")
	h5ReStatusCall   = regexp.MustCompile(`^newError\(\s*http\.(Status\w+)`)
)

// h5SourceCodes greps the production source for the error codes newError
// is called with, and their statuses. A call whose code is not a literal
// fails the test, so no code escapes the grep.
func h5SourceCodes(t *testing.T) map[string]int {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{
		"StatusBadRequest": 400, "StatusForbidden": 403, "StatusNotFound": 404, "StatusMethodNotAllowed": 405, "StatusConflict": 409,
		"StatusRequestEntityTooLarge": 413, "StatusUnsupportedMediaType": 415, "StatusUnprocessableEntity": 422, "StatusInternalServerError": 500,
	}
	codes := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, loc := range h5ReNewErrorCall.FindAllStringIndex(src, -1) {
			if strings.HasSuffix(src[:loc[0]], "func ") {
				continue // the definition
			}
			m := h5ReNewError.FindStringSubmatch(src[loc[0]:])
			s := h5ReStatusCall.FindStringSubmatch(src[loc[0]:])
			if m == nil || s == nil || statuses[s[1]] == 0 {
				t.Errorf("%s:%d: a newError call whose status or code is not a literal the test knows", f, strings.Count(src[:loc[0]], "\n")+1)
				continue
			}
			if prev, ok := codes[m[1]]; ok && prev != statuses[s[1]] {
				t.Errorf("%s: code %s is answered with %d and %d; give each status its own code", f, m[1], prev, statuses[s[1]])
			}
			codes[m[1]] = statuses[s[1]]
		}
	}
	return codes
}

// TestH5OpenAPIDocumentsEveryErrorCode checks that the ErrorBody catalogue
// lists exactly the codes the source answers, each with its status, that
// every operation answering a status documents it, and that examples use
// real codes.
func TestH5OpenAPIDocumentsEveryErrorCode(t *testing.T) {
	doc := h5Doc(t)
	codes := h5SourceCodes(t)
	for _, must := range []string{"remote_not_allowed", "route_not_found", "method_not_allowed", "invalid_scenario", "invalid_snapshot", "internal_error"} {
		if codes[must] == 0 {
			t.Fatalf("the grep found no %s among %v; it is broken", must, oa.Keys(codes))
		}
	}
	desc, _ := oa.At(doc, "components", "schemas", "ErrorBody", "properties", "code", "description").(string)
	catalogue := map[string]string{}
	for _, m := range h5ReCatalogue.FindAllStringSubmatch(desc, -1) {
		catalogue[m[1]] = m[2]
	}
	for _, code := range oa.Keys(codes) {
		if got, want := catalogue[code], fmt.Sprint(codes[code]); got != want {
			t.Errorf("error code %s (%s) is listed in ErrorBody.code as %q", code, want, got)
		}
	}
	for _, code := range oa.Keys(catalogue) {
		if codes[code] == 0 {
			t.Errorf("ErrorBody.code lists %s, which the code never answers", code)
		}
	}

	// Examples use real codes with their statuses.
	for _, o := range oa.Ops(doc) {
		for status, r := range oa.Map(o.Op["responses"]) {
			for k, ex := range oa.Map(oa.At(oa.Deref(doc, r), "content", "application/json", "examples")) {
				code, _ := oa.At(oa.Map(ex)["value"], "error", "code").(string)
				if code != "" && fmt.Sprint(codes[code]) != status {
					t.Errorf("%s %s example %s answers %s, which the code answers with %d", o.Name(), status, k, code, codes[code])
				}
			}
		}
	}
}

// h5GoSchemas pairs component schemas with the Go types they document.
var h5GoSchemas = map[string]reflect.Type{
	"ErrorBody":    reflect.TypeFor[apiError](),
	"Detail":       reflect.TypeFor[detail](),
	"Health":       reflect.TypeFor[healthResponse](),
	"Service":      reflect.TypeFor[Service](),
	"Ready":        reflect.TypeFor[readyResponse](),
	"Scenario":     reflect.TypeFor[Scenario](),
	"ScenarioList": reflect.TypeFor[list[Scenario]](),
	"Fault":        reflect.TypeFor[fault](),
	"FaultList":    reflect.TypeFor[list[fault]](),
	"FaultRule":    reflect.TypeFor[faultRule](),
	"FaultMatch":   reflect.TypeFor[faults.Match](),
	"FaultTrigger": reflect.TypeFor[faults.Trigger](),
	"FaultAction":  reflect.TypeFor[faultAction](),
	"Clock":        reflect.TypeFor[clockResponse](),
	"JournalEntry": reflect.TypeFor[journal.Entry](),
	"JournalPage":  reflect.TypeFor[journalPage](),
	"Balance":      reflect.TypeFor[balanceResponse](),
	"RevokeResult": reflect.TypeFor[revokeResponse](),
	"ExpireResult": reflect.TypeFor[expireResponse](),
	// Request bodies: names only, their required fields are checked by
	// TestH5OpenAPIRequestBodiesMatchHandlers.
	"ScenarioUpload": reflect.TypeFor[loadScenarioRequest](),
	"FaultPatch":     reflect.TypeFor[patchFaultRequest](),
	"ClockAdvance":   reflect.TypeFor[advanceRequest](),
	"ClockSet":       reflect.TypeFor[setClockRequest](),
	"BalanceSet":     reflect.TypeFor[balanceRequest](),
}

// h5JSONType is the JSON type encoding/json writes for a Go type, or ""
// when the test does not check it.
func h5JSONType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "string"
	case t == reflect.TypeFor[json.RawMessage]():
		return ""
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice:
		return "array"
	case t.Kind() == reflect.Map:
		return "object"
	}
	return ""
}

// TestH5OpenAPISchemasMatchGoTypes checks that the component schemas name
// exactly the JSON fields of the Go wire types, with their JSON types, and
// that answers mark as required exactly the fields always sent.
func TestH5OpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := h5Doc(t)
	schemas := oa.Map(oa.At(doc, "components", "schemas"))
	for name, typ := range h5GoSchemas {
		s := oa.Map(schemas[name])
		if s == nil {
			t.Errorf("components.schemas.%s is missing (it documents %s)", name, typ)
			continue
		}
		props := oa.Map(s["properties"])
		var goNames, goRequired []string
		for _, f := range oa.JSONFields(typ) {
			goNames = append(goNames, f.Name)
			if !f.Omit {
				goRequired = append(goRequired, f.Name)
			}
			p := oa.Deref(doc, props[f.Name])
			if want := h5JSONType(f.Type); p != nil && want != "" && p["type"] != want {
				t.Errorf("%s.%s: type %v, but Go %s is a JSON %s", name, f.Name, p["type"], f.Type, want)
			}
			if f.Type == reflect.TypeFor[time.Time]() && p != nil && p["format"] != "date-time" {
				t.Errorf("%s.%s: a time.Time is a string with format date-time", name, f.Name)
			}
		}
		docNames := oa.Keys(props)
		sort.Strings(goNames)
		if !slices.Equal(goNames, docNames) {
			t.Errorf("%s: properties %v, but Go %s marshals %v", name, docNames, typ, goNames)
		}
		if s["additionalProperties"] == false {
			continue // a request body
		}
		docRequired := oa.Strings(s["required"])
		sort.Strings(docRequired)
		sort.Strings(goRequired)
		if !slices.Equal(goRequired, docRequired) {
			t.Errorf("%s: required %v, but Go %s always sends %v", name, docRequired, typ, goRequired)
		}
	}
}

// TestH5OpenAPIRequestBodiesMatchHandlers checks each JSON request schema
// against its handler: the examples are accepted, each required property is
// required, anything undocumented is unknown_field, and a body that is not
// JSON is refused.
func TestH5OpenAPIRequestBodiesMatchHandlers(t *testing.T) {
	doc := h5Doc(t)
	bodyCodes := map[string]bool{"missing_field": true, "unknown_field": true, "invalid_field": true, "invalid_json": true, "unsupported_media_type": true}
	var checked int
	for _, o := range oa.Ops(doc) {
		rb := oa.Deref(doc, o.Op["requestBody"])
		media := oa.Map(oa.At(rb, "content", "application/json"))
		if media == nil {
			continue
		}
		checked++
		name := o.Name()
		schema := oa.Deref(doc, media["schema"])
		path := oa.Concrete(o.Path)
		if o.Path == "/__sandbox/provider/assets/{assetId}/balance" {
			path = "/__sandbox/provider/assets/12345/balance"
		}
		if o.Path == "/__sandbox/faults/{id}" {
			path = "/__sandbox/faults/fault-1"
		}
		send := func(ct, body string) (*httptest.ResponseRecorder, any) {
			h := New(Config{}, Deps{Backend: h5NewBackend()})
			return h5Serve(t, doc, h, h5Request{method: o.Method, path: path, contentType: ct, body: body})
		}
		examples := []any{schema["example"]}
		for _, ex := range oa.Map(media["examples"]) {
			examples = append(examples, oa.Map(ex)["value"])
		}
		for _, ex := range examples {
			if ex == nil {
				continue
			}
			b, _ := json.Marshal(ex)
			if rec, body := send("application/json", string(b)); rec.Code >= 400 {
				t.Errorf("%s: the documented example %s is refused: %d %s", name, b, rec.Code, h5Code(body))
			}
		}
		if o.Path == "/__sandbox/state" {
			continue // the snapshot is opaque to this API
		}
		example := oa.Map(schema["example"])
		if example == nil {
			t.Errorf("%s: the request schema has no example", name)
			continue
		}
		for _, p := range oa.Strings(schema["required"]) {
			without := oa.Clone(example)
			delete(without, p)
			b, _ := json.Marshal(without)
			if rec, body := send("application/json", string(b)); rec.Code != http.StatusBadRequest || h5Code(body) != "missing_field" {
				t.Errorf("%s without required %s: %d %s, want 400 missing_field", name, p, rec.Code, rec.Body.String())
			}
		}
		extra := oa.Clone(example)
		extra["h5Undocumented"] = true
		b, _ := json.Marshal(extra)
		if rec, body := send("application/json", string(b)); h5Code(body) != "unknown_field" {
			t.Errorf("%s with an undocumented field: %d %s, want unknown_field", name, rec.Code, rec.Body.String())
		}
		if _, body := send("text/plain", "{}"); h5Code(body) != "unsupported_media_type" {
			t.Errorf("%s as text/plain: %v, want unsupported_media_type", name, body)
		}
		if _, body := send("application/json", "{"); !bodyCodes[h5Code(body)] {
			t.Errorf("%s with broken JSON: %v, want invalid_json", name, body)
		}
	}
	if checked != 6 {
		t.Errorf("checked %d JSON request bodies, want 6", checked)
	}
}
