package mockpayap

// These tests keep openapi.json honest: the document must parse, list
// exactly the routes routes() registers, describe the Go wire types field
// for field, name every error code the package can answer, and describe
// what the handlers really send. Helpers carry an oa prefix; the shared
// ones (document walking, the schema validator, json-tag reflection) live
// in internal/openapitest, imported as oa.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"

	oa "github.com/payap/payap-sandbox/internal/openapitest"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

var oaNow = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

type oaClock struct{ t time.Time }

func (c oaClock) Now() time.Time { return c.t }

// oaNoNetwork refuses every outbound request, so probes never leave the
// process.
type oaNoNetwork struct{}

func (oaNoNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("oa test: no network")
}

type oaEnv struct {
	h      http.Handler // New(cfg, deps): the production handler, CORS included
	router *mux.Router  // the router routes() builds, to walk
	store  *MemStore
}

// oaNewEnv builds the mock Payap with a minimal config: a seeded store with
// the default asset type, a fixed clock, a real keyring and no network.
func oaNewEnv(t *testing.T, change func(*Config, *Deps)) oaEnv {
	t.Helper()
	store := NewMemStore()
	if err := Seed(store, 1); err != nil {
		t.Fatal(err)
	}
	if err := RegisterAssetType(store, DefaultConfig().Provider, "http://provider.oa.test"); err != nil {
		t.Fatal(err)
	}
	clk := oaClock{oaNow}
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.PublicURL = "http://127.0.0.1:8402"
	deps := Deps{Store: store, Clock: clk, JWKS: keys, HTTPClient: &http.Client{Transport: oaNoNetwork{}}}
	if change != nil {
		change(&cfg, &deps)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	router, ok := newPayap(cfg, deps).routes().(*mux.Router)
	if !ok {
		t.Fatal("routes() no longer returns a *mux.Router; adapt oaNewEnv")
	}
	return oaEnv{h: New(cfg, deps), router: router, store: store}
}

// ------------------------------------------------------------ (a) shape

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q, want 3.x", v)
	}
	if oa.At(doc, "info", "title") != "Payap Sandbox — mock Payap app API" || oa.At(doc, "info", "version") != "1.0.0" {
		t.Errorf("info title/version = %v / %v", oa.At(doc, "info", "title"), oa.At(doc, "info", "version"))
	}
	desc, _ := oa.At(doc, "info", "description").(string)
	for _, want := range []string{DemoEmail, DemoPassword, "Connect", "Fetch", "Bearer", `{"error": {"code"`, "http://localhost:*", "origin_not_allowed"} {
		if !strings.Contains(desc, want) {
			t.Errorf("info.description does not mention %q", want)
		}
	}
	if servers, _ := doc["servers"].([]any); len(servers) != 1 || oa.At(servers[0], "url") != "http://127.0.0.1:8402" {
		t.Errorf("servers = %v", doc["servers"])
	}
	if s := oa.At(doc, "components", "securitySchemes", "session"); oa.At(s, "type") != "http" || oa.At(s, "scheme") != "bearer" {
		t.Errorf("securitySchemes.session = %v, want http bearer", s)
	}

	// Every $ref resolves.
	for _, p := range oa.BrokenRefs(doc) {
		t.Error(p)
	}

	ids := map[string]string{}
	for _, o := range oa.Ops(doc) {
		name := o.Method + " " + o.Path
		id, _ := o.Op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %s is also %s's", name, id, prev)
		}
		ids[id] = name
		for _, k := range []string{"summary", "description"} {
			if s, _ := o.Op[k].(string); s == "" {
				t.Errorf("%s: no %s", name, k)
			}
		}
		responses := oa.Map(o.Op["responses"])
		if len(responses) == 0 {
			t.Errorf("%s: no responses", name)
		}
		for code, r := range responses {
			if oa.Deref(doc, r)["description"] == nil {
				t.Errorf("%s %s: a response needs a description", name, code)
			}
		}
		if !oa.Public(doc, o.Op) && responses["401"] == nil {
			t.Errorf("%s needs a session but documents no 401", name)
		}

		// Path parameters: exactly the template's.
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

		// Request bodies of the app API are closed JSON objects; Centrapay's
		// calls are read tolerantly, as between services.
		if rb := oa.Deref(doc, o.Op["requestBody"]); rb != nil && !strings.HasPrefix(o.Path, "/centrapay/") {
			s := oa.Deref(doc, oa.At(rb, "content", "application/json", "schema"))
			if s == nil {
				t.Errorf("%s: requestBody has no application/json schema", name)
			} else if s["additionalProperties"] != false || s["required"] == nil || s["type"] != "object" {
				t.Errorf("%s: the request schema must be an object with required fields and additionalProperties: false", name)
			}
		}
	}

	// The handler serves exactly this file.
	env := oaNewEnv(t, nil)
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openAPIDoc) {
		t.Errorf("GET /openapi.json: %d, %d bytes; want 200 and the embedded document", rec.Code, rec.Body.Len())
	}
	onDisk, err := os.ReadFile("openapi.json")
	if err != nil || !bytes.Equal(onDisk, openAPIDoc) {
		t.Errorf("the embedded document differs from openapi.json on disk (err %v)", err)
	}
}

// TestOpenAPIExamplesMatchSchemas validates every example in the document
// against the schema beside it.
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	problems, n := oa.CheckExamples(doc)
	for _, p := range problems {
		t.Error(p)
	}
	if n < 50 {
		t.Errorf("checked only %d examples; the walk is broken or the document lost its examples", n)
	}
}

// ------------------------------------------------------------ (b) routes

// oaClient calls the handler and checks each answer against the document:
// the status is documented for the operation, the content type is one it
// lists, a JSON body matches the schema, and the documented headers are
// sent.
type oaClient struct {
	t     *testing.T
	doc   oa.Obj
	h     http.Handler
	token string
}

type oaResult struct {
	rec  *httptest.ResponseRecorder
	body any
}

func (r oaResult) code() string {
	if r.rec.Code == http.StatusNoContent || r.rec.Code == http.StatusSeeOther {
		return ""
	}
	c, _ := oa.At(r.body, "error", "code").(string)
	return c
}

func (c *oaClient) call(method, template, path, contentType, body string, want int) oaResult {
	t := c.t
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := oaResult{rec: rec}
	name := fmt.Sprintf("%s %s (%s)", method, path, template)
	if want != 0 && rec.Code != want {
		t.Fatalf("%s: status %d, want %d: %s", name, rec.Code, want, rec.Body.String())
	}
	ct, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if ct == "application/json" {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Errorf("%s: answered invalid JSON: %v", name, err)
		}
	}
	op := oa.Map(oa.At(c.doc, "paths", template, strings.ToLower(method)))
	if op == nil {
		t.Errorf("%s: the operation is not documented", name)
		return res
	}
	responses := oa.Map(op["responses"])
	r := oa.Deref(c.doc, responses[strconv.Itoa(rec.Code)])
	if r == nil {
		r = oa.Deref(c.doc, responses["default"])
	}
	if r == nil {
		t.Errorf("%s: status %d is not documented: %s", name, rec.Code, rec.Body.String())
		return res
	}
	content := oa.Map(r["content"])
	switch {
	case content == nil && rec.Body.Len() > 0 && method != http.MethodHead:
		t.Errorf("%s: %d documents no body but one came: %s", name, rec.Code, rec.Body.String())
	case content != nil && content[ct] == nil:
		t.Errorf("%s: %d answered Content-Type %q, not documented", name, rec.Code, ct)
	case content != nil && ct == "application/json":
		for _, e := range oa.Validate(c.doc, oa.At(content, ct, "schema"), res.body, fmt.Sprintf("%s %d", name, rec.Code)) {
			t.Error(e)
		}
	}
	for h, spec := range oa.Map(r["headers"]) {
		got := rec.Header().Get(h)
		if got == "" {
			t.Errorf("%s: %d documents header %s, not sent", name, rec.Code, h)
			continue
		}
		if enum, ok := oa.At(oa.Deref(c.doc, spec), "schema", "enum").([]any); ok && !slices.Contains(enum, any(got)) {
			t.Errorf("%s: header %s = %q, documented %v", name, h, got, enum)
		}
	}
	return res
}

// TestOpenAPIPathsAndMethodsMatchRouter checks that the document lists
// exactly the (path, method) pairs routes() registers: the paths by walking
// the router, the methods from each path's 405 Allow header; that every
// documented operation is routed; and that every other method is 405.
func TestOpenAPIPathsAndMethodsMatchRouter(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)

	documented := map[string]map[string]bool{}
	for _, o := range oa.Ops(doc) {
		if documented[o.Path] == nil {
			documented[o.Path] = map[string]bool{}
		}
		documented[o.Path][o.Method] = true
	}

	routed := map[string]map[string]bool{}
	err := env.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		// httpx.Dispatch answers a method it does not serve with 405 and
		// Allow: the path's methods, plus HEAD wherever GET is.
		rec := httptest.NewRecorder()
		env.router.ServeHTTP(rec, httptest.NewRequest("OAPROBE", oa.Concrete(tmpl), nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
			return fmt.Errorf("%s: a probe with an unknown method got %d, Allow %q; want 405 with Allow", tmpl, rec.Code, rec.Header().Get("Allow"))
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
	if len(routed) < 13 {
		t.Fatalf("walked only %d routes: %v", len(routed), routed)
	}

	for path, methods := range routed {
		want := map[string]bool{}
		for m := range documented[path] {
			want[m] = true
			if m == http.MethodGet {
				want[http.MethodHead] = true // served by GET, not listed as an operation
			}
		}
		if !reflect.DeepEqual(methods, want) {
			t.Errorf("%s: routes.go serves %v, the document (plus HEAD for GET) lists %v", path, oa.Keys(methods), oa.Keys(want))
		}
	}
	for path := range documented {
		if routed[path] == nil {
			t.Errorf("%s is documented but not routed", path)
		}
	}

	// Every documented operation is routed, through the full handler, and
	// answers a documented status; the others are 405 method_not_allowed.
	c := &oaClient{t: t, doc: doc, h: env.h}
	all := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}
	for path, methods := range documented {
		for _, m := range all {
			switch {
			case methods[m]:
				r := c.call(m, path, oa.Concrete(path), "", "", 0)
				if r.rec.Code == http.StatusMethodNotAllowed || r.code() == "route_not_found" {
					t.Errorf("%s %s: %d %s; the documented operation is not routed", m, path, r.rec.Code, r.code())
				}
			case m == http.MethodHead && methods[http.MethodGet]:
				rec := httptest.NewRecorder()
				env.h.ServeHTTP(rec, httptest.NewRequest(m, oa.Concrete(path), nil))
				if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusNotFound {
					t.Errorf("HEAD %s: %d; HEAD should be served by GET", path, rec.Code)
				}
			default:
				rec := httptest.NewRecorder()
				env.h.ServeHTTP(rec, httptest.NewRequest(m, oa.Concrete(path), nil))
				if rec.Code != http.StatusMethodNotAllowed {
					t.Errorf("%s %s: %d, want 405 for an undocumented method", m, path, rec.Code)
					continue
				}
				if m != http.MethodHead && !strings.Contains(rec.Body.String(), `"method_not_allowed"`) {
					t.Errorf("%s %s: 405 body %s, want code method_not_allowed", m, path, rec.Body.String())
				}
			}
		}
	}

	// A path the document does not have is route_not_found.
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/oa-nowhere", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"route_not_found"`) {
		t.Errorf("GET /api/oa-nowhere: %d %s, want 404 route_not_found", rec.Code, rec.Body.String())
	}
}

// TestOpenAPISecurityMatchesHandlers checks that exactly the operations the
// document says need a session answer 401 unauthenticated without one.
func TestOpenAPISecurityMatchesHandlers(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)
	for _, o := range oa.Ops(doc) {
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, httptest.NewRequest(o.Method, oa.Concrete(o.Path), nil))
		unauth := rec.Code == http.StatusUnauthorized && strings.Contains(rec.Body.String(), `"unauthenticated"`)
		if public := oa.Public(doc, o.Op); public == unauth {
			t.Errorf("%s %s: documented public=%v, but without a session it answered %d %s", o.Method, o.Path, public, rec.Code, rec.Body.String())
		}
		if unauth && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", o.Method, o.Path)
		}
	}
}

// ------------------------------------------------------------ (c) Go types

// oaGoSchemas pairs component schemas with the Go types they document.
var oaGoSchemas = map[string]reflect.Type{
	"User":               reflect.TypeFor[User](),
	"Session":            reflect.TypeFor[sessionResponse](),
	"AssetType":          reflect.TypeFor[AssetType](),
	"AssetTypeList":      reflect.TypeFor[list[AssetType]](),
	"Connection":         reflect.TypeFor[Connection](),
	"ConnectionList":     reflect.TypeFor[list[Connection]](),
	"WalletEntry":        reflect.TypeFor[walletItem](), // the wire shape, with the live balance
	"WalletEntryList":    reflect.TypeFor[list[walletItem]](),
	"WalletEntrySummary": reflect.TypeFor[WalletEntry](), // as the callback lists it
	"Problem":            reflect.TypeFor[Problem](),
	"ErrorBody":          reflect.TypeFor[apiError](),

	"Payment":               reflect.TypeFor[Payment](),
	"PaymentList":           reflect.TypeFor[list[Payment]](),
	"Refund":                reflect.TypeFor[Refund](),
	"CentrapayError":        reflect.TypeFor[CentrapayError](),
	"JWTProbeResult":        reflect.TypeFor[probeResult](),
	"JWTProbeSent":          reflect.TypeFor[probeRequest](),
	"JWTProbeReply":         reflect.TypeFor[probeReply](),
	"CentrapayRefundResult": reflect.TypeFor[refundAnswer](),
}

// oaTypeMismatch compares one Go field with its property schema.
func oaTypeMismatch(names map[reflect.Type]string, f oa.GoField, p oa.Obj) string {
	ft := f.Type
	nullable := p["nullable"] == true
	switch {
	case ft.Kind() == reflect.Pointer:
		if !f.Omit && !nullable {
			return "a pointer without omitempty is sent as null: mark the property nullable"
		}
		ft = ft.Elem()
	case nullable && ft.Kind() != reflect.Slice && ft.Kind() != reflect.Map:
		return "nullable, but the Go field is never null"
	}
	want := func(typ string) string {
		if p["type"] != typ {
			return fmt.Sprintf("type %v, but Go %s is a JSON %s", p["type"], f.Type, typ)
		}
		return ""
	}
	ref := func(t reflect.Type, got any) string {
		n, ok := names[t]
		if !ok {
			return "no component schema is paired with Go type " + t.String() + " in oaGoSchemas"
		}
		if got != "#/components/schemas/"+n {
			return fmt.Sprintf("$ref %v, want #/components/schemas/%s", got, n)
		}
		return ""
	}
	switch {
	case ft == reflect.TypeFor[time.Time]():
		if p["type"] != "string" || p["format"] != "date-time" {
			return "a time.Time is a string with format date-time"
		}
	case ft.Kind() == reflect.String:
		return want("string")
	case ft.Kind() == reflect.Bool:
		return want("boolean")
	case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Uint64:
		return want("integer")
	case ft.Kind() == reflect.Float32 || ft.Kind() == reflect.Float64:
		return want("number")
	case ft.Kind() == reflect.Map:
		return want("object")
	case ft.Kind() == reflect.Slice:
		if m := want("array"); m != "" {
			return m
		}
		if ft.Elem().Kind() == reflect.Struct {
			return ref(ft.Elem(), oa.At(p, "items", "$ref"))
		}
	case ft.Kind() == reflect.Struct:
		return ref(ft, p["$ref"])
	}
	return ""
}

// TestOpenAPISchemasMatchGoTypes checks that the component schemas name
// exactly the JSON fields of the Go wire types, mark as required exactly
// those always sent, and agree on their JSON types and enums.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	schemas := oa.Map(oa.At(doc, "components", "schemas"))
	names := map[reflect.Type]string{}
	for n, typ := range oaGoSchemas {
		names[typ] = n
	}
	for name, typ := range oaGoSchemas {
		s := oa.Map(schemas[name])
		if s == nil {
			t.Errorf("components.schemas.%s is missing (it documents %s)", name, typ)
			continue
		}
		props := oa.Map(s["properties"])
		var goNames, goRequired, docNames []string
		fields := oa.JSONFields(typ)
		for _, f := range fields {
			goNames = append(goNames, f.Name)
			if !f.Omit {
				goRequired = append(goRequired, f.Name)
			}
		}
		for p := range props {
			docNames = append(docNames, p)
		}
		docRequired := oa.Strings(s["required"])
		for _, l := range [][]string{goNames, goRequired, docNames, docRequired} {
			sort.Strings(l)
		}
		if !slices.Equal(goNames, docNames) {
			t.Errorf("%s: properties %v, but Go %s marshals %v", name, docNames, typ, goNames)
		}
		if !slices.Equal(goRequired, docRequired) {
			t.Errorf("%s: required %v, but Go %s always sends %v", name, docRequired, typ, goRequired)
		}
		for _, f := range fields {
			if p := oa.Map(props[f.Name]); p != nil {
				if msg := oaTypeMismatch(names, f, p); msg != "" {
					t.Errorf("%s.%s: %s", name, f.Name, msg)
				}
			}
		}
	}

	methods := []string{AuthNone, AuthSecretBasic, AuthSecretPost}
	for _, e := range []struct {
		schema, prop string
		want         []string
	}{
		{"Connection", "status", []string{StatusPending, StatusConnected, StatusReconnectRequired}},
		{"WalletEntry", "status", []string{EntryAvailable, StatusReconnectRequired, EntryUnavailable}},
		{"AssetType", "authMethod", methods},
		{"AssetTypeRegistration", "authMethod", methods},
		{"Payment", "status", []string{PaymentPending, PaymentSuccessful, PaymentFailed}},
		{"Payment", "centrapayStatus", []string{CentrapayRecorded, CentrapayRecording, CentrapayUnsettled}},
		{"Refund", "status", []string{RefundSuccessful, RefundFailed}},
		{"CentrapayRefundResult", "status", []string{RefundSuccessful, RefundFailed}},
		{"JWTProbeRequest", "fault", slices.Sorted(maps.Keys(probeFaults))},
	} {
		got := oa.Strings(oa.At(schemas, e.schema, "properties", e.prop, "enum"))
		slices.Sort(got)
		want := slices.Sorted(slices.Values(e.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s.%s enum = %v, the code uses %v", e.schema, e.prop, got, want)
		}
	}
}

// ------------------------------------------------------------ (d) codes

var (
	oaReNewErrorCall = regexp.MustCompile(`\bnewError\(`)
	oaReNewError     = regexp.MustCompile(`^newError\(\s*http\.Status\w+,\s*(?:"([a-z0-9_]+)"|what\+"_not_found")`)
	oaReNotFoundCall = regexp.MustCompile(`\berrNotFound\(`)
	oaReNotFound     = regexp.MustCompile(`^errNotFound\(\s*"([a-z0-9_]+)"`)
	oaReProblem      = regexp.MustCompile(`Problem\{\s*Code:\s*"([a-z0-9_]+)"`)
	oaReReconnCall   = regexp.MustCompile(`\bmarkReconnect\(`)
	oaReReconn       = regexp.MustCompile(`^markReconnect\(\s*[\w.]+\s*,\s*"([a-z0-9_]+)"`)
	oaReCatalogue    = regexp.MustCompile("(?m)^- `([a-z0-9_]+)`")
)

// oaSourceCodes greps the package's production source for the error codes
// it can answer (newError, errNotFound) and the problem codes it can report
// (Problem{Code: …}, markReconnect). A call whose code is not a literal
// fails the test, so no code escapes the grep.
func oaSourceCodes(t *testing.T) (errorCodes, problemCodes map[string]bool) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	errorCodes, problemCodes = map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, c := range []struct {
			call, lit *regexp.Regexp
			into      map[string]bool
			suffix    string
		}{
			{oaReNewErrorCall, oaReNewError, errorCodes, ""},
			{oaReNotFoundCall, oaReNotFound, errorCodes, "_not_found"},
			{oaReReconnCall, oaReReconn, problemCodes, ""},
		} {
			for _, loc := range c.call.FindAllStringIndex(src, -1) {
				if strings.HasSuffix(src[:loc[0]], "func ") || strings.HasSuffix(src[:loc[0]], ") ") {
					continue // the definition
				}
				m := c.lit.FindStringSubmatch(src[loc[0]:])
				switch {
				case m == nil:
					line := strings.Count(src[:loc[0]], "\n") + 1
					t.Errorf("%s:%d: a %s call whose code is not a string literal; the document cannot be checked against it", f, line, strings.TrimSuffix(c.call.String()[2:], `\(`))
				case m[1] != "":
					c.into[m[1]+c.suffix] = true
				}
			}
		}
		for _, m := range oaReProblem.FindAllStringSubmatch(src, -1) {
			problemCodes[m[1]] = true
		}
	}
	return errorCodes, problemCodes
}

// TestOpenAPIDocumentsEveryErrorCode checks that every error code in the
// source is in the ErrorBody catalogue and every problem code in the
// Problem catalogue, that the catalogues name no code the source lacks,
// and that no example uses an unknown code.
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	errorCodes, problemCodes := oaSourceCodes(t)
	t.Logf("error codes in the source: %v", oa.Keys(errorCodes))
	t.Logf("problem codes in the source: %v", oa.Keys(problemCodes))
	for _, must := range []string{"unauthenticated", "route_not_found", "method_not_allowed", "connection_not_found", "wallet_entry_not_found", "origin_not_allowed"} {
		if !errorCodes[must] {
			t.Fatalf("the grep found no %s among %v; it is broken", must, oa.Keys(errorCodes))
		}
	}
	if !problemCodes["invalid_grant"] || !problemCodes["asset_not_found"] {
		t.Fatalf("the grep found problem codes %v; it is broken", oa.Keys(problemCodes))
	}

	catalogue := func(schema string) map[string]bool {
		desc, _ := oa.At(doc, "components", "schemas", schema, "properties", "code", "description").(string)
		out := map[string]bool{}
		for _, m := range oaReCatalogue.FindAllStringSubmatch(desc, -1) {
			out[m[1]] = true
		}
		return out
	}
	errCat, probCat := catalogue("ErrorBody"), catalogue("Problem")
	raw := string(openAPIDoc)
	for _, code := range oa.Keys(errorCodes) {
		if !errCat[code] {
			t.Errorf("error code %s is answered by the code but missing from ErrorBody.code's list", code)
		}
		if !regexp.MustCompile(`\b` + code + `\b`).MatchString(raw) {
			t.Errorf("error code %s is not mentioned in the document", code)
		}
	}
	for _, code := range oa.Keys(problemCodes) {
		if !probCat[code] {
			t.Errorf("problem code %s is reported by the code but missing from Problem.code's list", code)
		}
	}
	for _, code := range oa.Keys(errCat) {
		if !errorCodes[code] {
			t.Errorf("ErrorBody.code lists %s, which the code never answers", code)
		}
	}
	for _, code := range oa.Keys(probCat) {
		if !problemCodes[code] && !errorCodes[code] {
			t.Errorf("Problem.code lists %s, which the code never reports", code)
		}
	}

	// Examples use real codes.
	var walk func(v any, key string, inExample bool)
	walk = func(v any, key string, inExample bool) {
		switch v := v.(type) {
		case oa.Obj:
			if inExample {
				if code, ok := oa.At(v, "error", "code").(string); ok && !errorCodes[code] {
					t.Errorf("an example answers error code %s, which the code never does", code)
				}
				if code, ok := v["code"].(string); ok && (key == "problem" || key == "revocationProblem") && !probCat[code] {
					t.Errorf("an example's %s has code %s, not in Problem.code's list", key, code)
				}
			}
			for k, e := range v {
				walk(e, k, inExample || k == "example" || k == "examples")
			}
		case []any:
			for _, e := range v {
				walk(e, key, inExample)
			}
		}
	}
	walk(doc, "", false)
}

// ------------------------------------------------------------ request bodies

func oaSignIn(t *testing.T, c *oaClient) string {
	t.Helper()
	r := c.call(http.MethodPost, "/api/sessions", "/api/sessions", "application/json",
		`{"email":"`+DemoEmail+`","password":"`+DemoPassword+`"}`, http.StatusCreated)
	token, _ := oa.At(r.body, "token").(string)
	if token == "" {
		t.Fatalf("sign-in gave no token: %s", r.rec.Body.String())
	}
	return token
}

// TestOpenAPIRequestBodiesMatchHandlers checks each request schema against
// its handler's decoder: the example is accepted, each documented property
// is known to the decoder with the documented type, exactly the documented
// required properties are required, and anything else is unknown_field.
func TestOpenAPIRequestBodiesMatchHandlers(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)
	c := &oaClient{t: t, doc: doc, h: env.h}
	c.token = oaSignIn(t, c)
	bodyCodes := map[string]bool{"missing_field": true, "unknown_field": true, "invalid_field": true, "invalid_json": true}
	var checked int
	for _, o := range oa.Ops(doc) {
		rb := oa.Deref(doc, o.Op["requestBody"])
		if rb == nil || strings.HasPrefix(o.Path, "/centrapay/") {
			continue // Centrapay's calls need its JWT first; see centrapay_refunds_test.go
		}
		checked++
		name := o.Method + " " + o.Path
		schema := oa.Deref(doc, oa.At(rb, "content", "application/json", "schema"))
		example := oa.Map(schema["example"])
		if example == nil {
			t.Errorf("%s: the request schema has no example", name)
			continue
		}
		send := func(body oa.Obj) oaResult {
			b, _ := json.Marshal(body)
			return c.call(o.Method, o.Path, oa.Concrete(o.Path), "application/json", string(b), 0)
		}
		if r := send(example); bodyCodes[r.code()] {
			t.Errorf("%s: the documented example is refused: %s", name, r.rec.Body.String())
		}
		required := map[string]bool{}
		for _, p := range oa.Strings(schema["required"]) {
			required[p] = true
		}
		for prop, ps := range oa.Map(schema["properties"]) {
			without := oa.Clone(example)
			delete(without, prop)
			r := send(without)
			if required[prop] {
				if r.rec.Code != http.StatusBadRequest || r.code() != "missing_field" || oa.At(r.body, "error", "details", "field") != prop {
					t.Errorf("%s without required %s: %d %s, want 400 missing_field with details.field", name, prop, r.rec.Code, r.rec.Body.String())
				}
				blank := oa.Clone(example)
				blank[prop] = "  "
				if r := send(blank); r.code() != "missing_field" {
					t.Errorf("%s with a blank %s: %s, want missing_field", name, prop, r.rec.Body.String())
				}
			} else if r.code() == "missing_field" {
				t.Errorf("%s without optional %s: %s; document it as required", name, prop, r.rec.Body.String())
			}
			if oa.Deref(doc, ps)["type"] == "string" {
				wrong := oa.Clone(example)
				wrong[prop] = 12345
				if r := send(wrong); r.rec.Code != http.StatusBadRequest || r.code() != "invalid_field" {
					t.Errorf("%s with a number for string %s: %d %s, want 400 invalid_field (is the field known to the handler?)", name, prop, r.rec.Code, r.rec.Body.String())
				}
			}
		}
		extra := oa.Clone(example)
		extra["oaUndocumented"] = true
		if r := send(extra); r.rec.Code != http.StatusBadRequest || r.code() != "unknown_field" {
			t.Errorf("%s with an undocumented field: %d %s, want 400 unknown_field", name, r.rec.Code, r.rec.Body.String())
		}
		if r := c.call(o.Method, o.Path, oa.Concrete(o.Path), "text/plain", "{}", 0); r.code() != "unsupported_media_type" {
			t.Errorf("%s as text/plain: %s, want unsupported_media_type", name, r.rec.Body.String())
		}
		if r := c.call(o.Method, o.Path, oa.Concrete(o.Path), "application/json", "{", 0); r.code() != "invalid_json" {
			t.Errorf("%s with broken JSON: %s, want invalid_json", name, r.rec.Body.String())
		}
		big := `{"` + strings.Repeat("a", maxBodyBytes) + `":1}`
		if r := c.call(o.Method, o.Path, oa.Concrete(o.Path), "application/json", big, 0); r.code() != "body_too_large" {
			t.Errorf("%s with a body over the cap: %s, want body_too_large", name, r.rec.Body.String())
		}
	}
	if checked != 5 {
		t.Errorf("checked %d request bodies, want 5 (sign-in, asset type, connection, payment, JWT probe)", checked)
	}
}

// ------------------------------------------------------------ live answers

// oaProvider is a small OAuth provider for the live walk: it discovers,
// exchanges any code, lists two assets (one of which it then cannot find),
// and, once revoked is set, refuses every token.
type oaProvider struct {
	srv     *httptest.Server
	revoked atomic.Bool
}

func oaStartProvider(t *testing.T, extra ...func(*http.ServeMux)) *oaProvider {
	t.Helper()
	fp := &oaProvider{}
	m := http.NewServeMux()
	for _, f := range extra {
		f(m)
	}
	fp.srv = httptest.NewServer(m)
	t.Cleanup(fp.srv.Close)
	iss := fp.srv.URL
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	asset := func(id, balance, desc string) oa.Obj {
		return oa.Obj{"id": id, "userId": "54321", "balance": balance, "description": desc}
	}
	m.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, oa.Obj{
			"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
			"revocation_endpoint": iss + "/revoke", "code_challenge_methods_supported": []string{"S256"},
			"authorization_response_iss_parameter_supported": true,
		})
	})
	m.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if fp.revoked.Load() {
			write(w, http.StatusBadRequest, oa.Obj{"error": "invalid_grant", "error_description": "the refresh token was revoked"})
			return
		}
		write(w, http.StatusOK, oa.Obj{"access_token": "oa-access", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "oa-refresh", "scope": "assets:read assets:pay"})
	})
	m.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	m.HandleFunc("GET /assets", func(w http.ResponseWriter, r *http.Request) {
		if fp.revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		write(w, http.StatusOK, []oa.Obj{asset("12345", "5000", "Everyday Points"), asset("56789", "25000", "Bonus Points")})
	})
	m.HandleFunc("GET /assets/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case fp.revoked.Load():
			w.WriteHeader(http.StatusUnauthorized)
		case r.PathValue("id") == "12345":
			write(w, http.StatusOK, asset("12345", "5000", "Everyday Points"))
		default:
			write(w, http.StatusNotFound, oa.Obj{"message": "no such asset"})
		}
	})
	return fp
}

// oaState is the state an authorization URL carries.
func oaState(t *testing.T, conn any) string {
	t.Helper()
	u, err := url.Parse(fmt.Sprint(oa.At(conn, "authorizationUrl")))
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("no state in the authorization URL of %v", conn)
	}
	return u.Query().Get("state")
}

// TestOpenAPIResponsesMatchSchemas walks the whole API against a small
// provider and checks every answer, success and error, against the
// document.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	fp := oaStartProvider(t)
	env := oaNewEnv(t, func(_ *Config, d *Deps) { d.HTTPClient = fp.srv.Client() })
	if err := RegisterAssetType(env.store, ProviderConfig{Name: "oa-points", Description: "OA Points", ClientID: "payap"}, fp.srv.URL); err != nil {
		t.Fatal(err)
	}
	c := &oaClient{t: t, doc: doc, h: env.h}
	iss := url.QueryEscape(fp.srv.URL)
	const ctJSON = "application/json"

	c.call("GET", "/", "/", "", "", http.StatusOK)
	c.call("GET", "/openapi.json", "/openapi.json", "", "", http.StatusOK)
	if r := c.call("GET", "/.well-known/jwks.json", "/.well-known/jwks.json", "", "", http.StatusOK); len(oa.Slice(oa.At(r.body, "keys"))) == 0 {
		t.Errorf("the JWKS has no key to check against the schema: %s", r.rec.Body.String())
	}

	// Session.
	c.call("GET", "/api/session", "/api/session", "", "", http.StatusUnauthorized)
	c.call("POST", "/api/sessions", "/api/sessions", ctJSON, `{"email":"demo@payap.test","password":"nope"}`, http.StatusUnauthorized)
	c.call("POST", "/api/sessions", "/api/sessions", ctJSON, `{}`, http.StatusBadRequest)
	c.call("POST", "/api/sessions", "/api/sessions", "", `{}`, http.StatusUnsupportedMediaType)
	c.call("POST", "/api/sessions", "/api/sessions", ctJSON, `{"email":"`+strings.Repeat("a", maxBodyBytes)+`"}`, http.StatusRequestEntityTooLarge)
	c.token = oaSignIn(t, c)
	c.call("GET", "/api/session", "/api/session", "", "", http.StatusOK)

	// Asset types.
	c.call("GET", "/api/asset-types", "/api/asset-types", "", "", http.StatusOK)
	c.call("GET", "/api/asset-types/{name}", "/api/asset-types/oa-points", "", "", http.StatusOK)
	c.call("GET", "/api/asset-types/{name}", "/api/asset-types/oa-nope", "", "", http.StatusNotFound)
	reg := func(name, base string) string {
		return `{"name":"` + name + `","description":"OA Again","providerBaseUrl":"` + base + `","clientId":"payap","clientSecret":"s3cret","authMethod":"client_secret_post"}`
	}
	c.call("POST", "/api/asset-types", "/api/asset-types", ctJSON, reg("oa-again", fp.srv.URL), http.StatusCreated)
	c.call("POST", "/api/asset-types", "/api/asset-types", ctJSON, reg("oa-again", fp.srv.URL), http.StatusConflict)
	c.call("POST", "/api/asset-types", "/api/asset-types", ctJSON, reg("oa-elsewhere", fp.srv.URL+"/elsewhere"), http.StatusBadGateway)
	c.call("POST", "/api/asset-types", "/api/asset-types", ctJSON, reg("OA Bad", fp.srv.URL), http.StatusBadRequest)

	// Connect A, fetch, reconnect and decline, disconnect.
	c.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"oa-nope"}`, http.StatusBadRequest)
	c.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"payap-example"}`, http.StatusBadGateway) // its provider is unreachable
	a := c.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"oa-points"}`, http.StatusCreated).body
	aID := fmt.Sprint(oa.At(a, "id"))
	c.call("GET", "/api/connections", "/api/connections", "", "", http.StatusOK)
	c.call("GET", "/api/connections/{id}", "/api/connections/"+aID, "", "", http.StatusOK)
	c.call("GET", "/callback", "/callback", "", "", http.StatusBadRequest)
	c.call("GET", "/callback", "/callback?state=oa-unknown", "", "", http.StatusBadRequest)
	state := oaState(t, a)
	done := c.call("GET", "/callback", "/callback?code=oa-code&state="+state+"&iss="+iss, "", "", http.StatusOK).body
	if n := len(oa.Slice(oa.At(done, "walletEntries"))); n != 2 {
		t.Fatalf("the callback lists %d wallet entries, want 2: %v", n, done)
	}
	c.call("GET", "/callback", "/callback?code=oa-code&state="+state+"&iss="+iss, "", "", http.StatusBadRequest) // used
	c.call("GET", "/api/connections/{id}", "/api/connections/"+aID, "", "", http.StatusOK)
	wallet := c.call("GET", "/api/wallet", "/api/wallet", "", "", http.StatusOK).body
	var statuses []string
	for _, e := range oa.Slice(oa.At(wallet, "items")) {
		statuses = append(statuses, fmt.Sprint(oa.At(e, "status")))
	}
	if !slices.Equal(statuses, []string{EntryAvailable, EntryUnavailable}) {
		t.Errorf("wallet statuses %v, want available then unavailable", statuses)
	}
	entryID := fmt.Sprint(oa.At(oa.Slice(oa.At(wallet, "items"))[0], "id"))
	c.call("GET", "/api/wallet/{id}", "/api/wallet/"+entryID, "", "", http.StatusOK)
	c.call("GET", "/api/wallet/{id}", "/api/wallet/oa-nope", "", "", http.StatusNotFound)
	again := c.call("POST", "/api/connections/{id}/reconnect", "/api/connections/"+aID+"/reconnect", "", "", http.StatusOK).body
	c.call("GET", "/callback", "/callback?error=access_denied&state="+oaState(t, again)+"&iss="+iss, "", "", http.StatusForbidden)
	c.call("POST", "/api/connections/{id}/reconnect", "/api/connections/oa-nope/reconnect", "", "", http.StatusNotFound)
	if r := c.call("DELETE", "/api/connections/{id}", "/api/connections/"+aID, "", "", http.StatusOK); oa.At(r.body, "revoked") != true {
		t.Errorf("disconnecting a connected connection: %s, want revoked", r.rec.Body.String())
	}
	c.call("DELETE", "/api/connections/{id}", "/api/connections/"+aID, "", "", http.StatusNotFound)
	c.call("GET", "/api/wallet", "/api/wallet", "", "", http.StatusOK)

	// Connect B, lose the grant, reconnect, disconnect.
	b := c.call("POST", "/api/connections", "/api/connections", ctJSON, `{"assetType":"oa-points"}`, http.StatusCreated).body
	bID := fmt.Sprint(oa.At(b, "id"))
	c.call("GET", "/callback", "/callback?code=oa-code&state="+oaState(t, b)+"&iss="+iss, "", "", http.StatusOK)
	fp.revoked.Store(true)
	wallet = c.call("GET", "/api/wallet", "/api/wallet", "", "", http.StatusOK).body
	for _, e := range oa.Slice(oa.At(wallet, "items")) {
		if oa.At(e, "status") != StatusReconnectRequired || oa.At(e, "balance") != nil {
			t.Errorf("after the grant is gone: entry %v, want reconnect_required with a null balance", e)
		}
	}
	if r := c.call("GET", "/api/connections/{id}", "/api/connections/"+bID, "", "", http.StatusOK); oa.At(r.body, "status") != StatusReconnectRequired {
		t.Errorf("connection after the grant is gone: %s", r.rec.Body.String())
	}
	c.call("POST", "/api/connections/{id}/reconnect", "/api/connections/"+bID+"/reconnect", "", "", http.StatusOK)
	c.call("GET", "/api/connections", "/api/connections", "", "", http.StatusOK)
	c.call("DELETE", "/api/connections/{id}", "/api/connections/"+bID, "", "", http.StatusOK)

	// Sign out.
	c.call("DELETE", "/api/session", "/api/session", "", "", http.StatusNoContent)
	c.call("GET", "/api/session", "/api/session", "", "", http.StatusUnauthorized)
	c.call("DELETE", "/api/session", "/api/session", "", "", http.StatusUnauthorized)

	// With a return URL every callback outcome is a 303 to it.
	ret := oaNewEnv(t, func(cfg *Config, _ *Deps) { cfg.ReturnURL = "http://localhost:5173/wallet?tab=assets" })
	rc := &oaClient{t: t, doc: doc, h: ret.h}
	loc := rc.call("GET", "/callback", "/callback?state=oa-unknown", "", "", http.StatusSeeOther).rec.Header().Get("Location")
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(loc, "http://localhost:5173/wallet?") {
		t.Fatalf("Location %q, want the return URL", loc)
	}
	q := u.Query()
	if q.Get("tab") != "assets" || q.Get("outcome") != "failed" || q.Get("error") != "invalid_state" || q.Get("message") == "" {
		t.Errorf("Location query %v, want tab kept, outcome=failed, error=invalid_state and a message", q)
	}
	locDoc, _ := oa.At(doc, "paths", "/callback", "get", "responses", "303", "headers", "Location", "description").(string)
	for k := range q {
		if k != "tab" && !strings.Contains(locDoc, "`"+k+"`") {
			t.Errorf("the 303 Location carries %s, not documented", k)
		}
	}
}
