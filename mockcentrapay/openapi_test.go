package mockcentrapay

// These tests keep openapi.json honest: the document must parse, list
// exactly the routes routes() registers, describe the Go wire types field
// for field, name every error code the package can answer, say which
// operations need an API key, and describe what the handlers really send.
// Helpers carry an oa prefix; the shared ones (document walking, the
// schema validator, json-tag reflection) live in internal/openapitest,
// imported as oa.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
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
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/clock"
	oa "github.com/payap/payap-sandbox/internal/openapitest"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// oaStart is the frozen sandbox time every environment starts at.
var oaStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// oaThirdParty is the asset type registered through Payap, as the sandbox
// registers the mock Payap's.
const oaThirdParty = "payap-example"

type oaEnv struct {
	h      http.Handler // New(cfg, deps), the production handler
	router *mux.Router  // the same handler: routes() returns the router
	store  *MemStore
	clock  *clock.Clock
	hooks  *Webhooks
}

// oaFailingTransaction is a provider payment the walk's wallet operator
// refuses to refund (PARTIAL_REFUNDS_NOT_ALLOWED).
const oaFailingTransaction = "prov-tx-whole-only"

// oaNewEnv builds a seeded mock Centrapay on a frozen clock, with a real
// keyring as its JWKS and a webhook engine that is never run (notifications
// are only recorded), and a wallet operator that refunds everything but
// oaFailingTransaction.
func oaNewEnv(t *testing.T, change func(*Config)) oaEnv {
	t.Helper()
	operator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			PaymentTransactionID string `json:"paymentTransactionId"`
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		w.Header().Set("Content-Type", "application/json")
		if b.PaymentTransactionID == oaFailingTransaction {
			_, _ = io.WriteString(w, `{"status":"failed","failureReason":"PARTIAL_REFUNDS_NOT_ALLOWED"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"successful"}`)
	}))
	t.Cleanup(operator.Close)
	cfg := DefaultConfig()
	cfg.ThirdPartyAssetTypes = []string{oaThirdParty}
	cfg.PublicURL = "http://127.0.0.1:8403"
	cfg.WalletOperatorURL = operator.URL
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	store := NewMemStore(42)
	if err := Seed(store, cfg); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(oaStart)
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	hooks := NewWebhooks(store, clk, payapjwt.NewSigner(keys, clk), nil, cfg.WebhookRetries, nil)
	h := New(cfg, Deps{Store: store, Clock: clk, JWKS: keys, Webhooks: hooks, Signer: payapjwt.NewSigner(keys, clk), HTTPClient: operator.Client()})
	router, ok := h.(*mux.Router)
	if !ok {
		t.Fatal("New no longer returns the *mux.Router of routes(); adapt oaNewEnv")
	}
	return oaEnv{h: h, router: router, store: store, clock: clk, hooks: hooks}
}

// ------------------------------------------------------------ shape

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi = %q, want 3.0.x", v)
	}
	if oa.At(doc, "info", "title") != "Payap Sandbox — mock Centrapay API" || oa.At(doc, "info", "version") != "1.0.0" {
		t.Errorf("info title/version = %v / %v", oa.At(doc, "info", "title"), oa.At(doc, "info", "version"))
	}
	desc, _ := oa.At(doc, "info", "description").(string)
	for _, want := range []string{
		"X-Api-Key", RoleAccountOwner, RoleMerchantTerminal,
		MerchantOwnerKey, MerchantTerminalKey, PayapOwnerKey, PatronOwnerKey,
		SandboxMerchantAccountID, PayapAccountID, PatronAccountID, SandboxMerchantID, SandboxMerchantConfigID, PayapWalletID,
		PatronAssetID, PatronInactiveAssetID, PatronVoucherAssetID, PatronCodeBarcode,
		msgMissingAuth, msgInvalidAuth, `"statusCode": 403, "error": "Forbidden"`, "RATE_LIMIT_EXCEEDED", "Retry-After",
		"201", "nextPageKey", "pageKey", "2026-01-01T09:00:00.000Z", `"amount": "1200"`,
		"## Contradictions in the public docs and how the mock resolves them",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("info.description does not mention %q", want)
		}
	}
	if servers := oa.Slice(doc["servers"]); len(servers) != 1 || oa.At(servers[0], "url") != "http://127.0.0.1:8403" {
		t.Errorf("servers = %v", doc["servers"])
	}
	if s := oa.At(doc, "components", "securitySchemes", "ApiKey"); oa.At(s, "type") != "apiKey" || oa.At(s, "in") != "header" || oa.At(s, "name") != "X-Api-Key" {
		t.Errorf("securitySchemes.ApiKey = %v, want apiKey in header X-Api-Key", s)
	}
	if sec := oa.Slice(doc["security"]); len(sec) != 1 || oa.At(sec[0], "ApiKey") == nil {
		t.Errorf("top-level security = %v, want [{ApiKey: []}]", doc["security"])
	}

	// Every $ref resolves.
	for _, p := range oa.BrokenRefs(doc) {
		t.Error(p)
	}

	ids := map[string]string{}
	for _, o := range oa.Ops(doc) {
		name := o.Name()
		id := o.ID()
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
			r := oa.Deref(doc, r)
			if r["description"] == nil {
				t.Errorf("%s %s: a response needs a description", name, code)
			}
			if code == "201" || code == "204" || code == "404" {
				t.Errorf("%s documents %s: this API answers 200 for every success and 404 only for unknown routes", name, code)
			}
			if c, _ := strconv.Atoi(code); c >= 400 && oa.At(r, "content", "application/json", "schema", "$ref") != "#/components/schemas/Error" {
				t.Errorf("%s %s: an error response must use the Error schema", name, code)
			}
		}
		if _, ok := responses["200"]; !ok {
			t.Errorf("%s: no 200 response", name)
		}
		if public := oa.Public(doc, o.Op); !public {
			if responses["401"] == nil || responses["429"] == nil {
				t.Errorf("%s needs an API key but documents no 401 or no 429", name)
			}
			if roles := oa.Strings(o.Op["x-api-key-roles"]); len(roles) == 0 {
				t.Errorf("%s needs an API key but lists no x-api-key-roles", name)
			}
		} else if responses["401"] != nil || o.Op["x-api-key-roles"] != nil {
			t.Errorf("%s is public but documents a 401 or key roles", name)
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

		// Request bodies are objects with required fields, and open: the
		// handlers ignore unknown fields, so additionalProperties:false
		// would be a lie.
		if rb := oa.Deref(doc, o.Op["requestBody"]); rb != nil {
			for ct, media := range oa.Map(rb["content"]) {
				s := oa.Deref(doc, oa.At(media, "schema"))
				if s["type"] != "object" || s["required"] == nil {
					t.Errorf("%s: the %s request schema must be an object with required fields", name, ct)
				}
				if s["additionalProperties"] == false {
					t.Errorf("%s: the request schema sets additionalProperties:false, but the handler ignores unknown fields", name)
				}
			}
		}
	}
	if len(ids) < 30 {
		t.Errorf("only %d operations documented", len(ids))
	}

	// The handler serves exactly this file.
	env := oaNewEnv(t, nil)
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openAPIDoc) || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("GET /openapi.json: %d %q, %d bytes; want 200 application/json and the embedded document", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	onDisk, err := os.ReadFile("openapi.json")
	if err != nil || !bytes.Equal(onDisk, openAPIDoc) {
		t.Errorf("the embedded document differs from openapi.json on disk (err %v)", err)
	}
}

// TestOpenAPIContradictionsSection checks that the contradictions section
// has a row for every one of C1 … C30.
func TestOpenAPIContradictionsSection(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	desc, _ := oa.At(doc, "info", "description").(string)
	const heading = "## Contradictions in the public docs and how the mock resolves them"
	_, section, ok := strings.Cut(desc, heading)
	if !ok {
		t.Fatalf("info.description has no %q section", heading)
	}
	for i := 1; i <= 30; i++ {
		c := fmt.Sprintf("C%d", i)
		row := regexp.MustCompile(`(?m)^\| ` + c + ` \| [^|\n]+ \| [^|\n]*[A-Za-z][^\n]* \|$`)
		if !row.MatchString(section) {
			t.Errorf("the contradictions section has no table row for %s with a resolution", c)
		}
		if !regexp.MustCompile(`\b` + c + `\b`).MatchString(section) {
			t.Errorf("the contradictions section does not mention %s", c)
		}
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
	if n < 100 {
		t.Errorf("checked only %d examples; the walk is broken or the document lost its examples", n)
	}
}

// ------------------------------------------------------------ routes

// oaIsRouteMiss reports whether an answer is the router's 404 Not Found.
func oaIsRouteMiss(rec *httptest.ResponseRecorder) bool {
	return rec.Code == http.StatusNotFound && strings.Contains(rec.Body.String(), `"message":"Not Found"`)
}

// TestOpenAPIPathsAndMethodsMatchRouter checks that the document lists
// exactly the (path, method) pairs routes() registers: the paths by walking
// the router, the methods from the Allow header of the 404 a path answers
// to a method it does not serve; that every documented operation is routed
// through New(); and that every other method is the documented 404.
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
		// httpx.Dispatch answers a method it does not serve through
		// methodNotAllowed (a 404 Not Found, as documented) with Allow: the
		// path's methods, plus HEAD wherever GET is.
		rec := httptest.NewRecorder()
		env.router.ServeHTTP(rec, httptest.NewRequest("OAPROBE", oa.Concrete(tmpl), nil))
		if !oaIsRouteMiss(rec) || rec.Header().Get("Allow") == "" {
			return fmt.Errorf("%s: a probe with an unknown method got %d %s, Allow %q; want 404 Not Found with Allow", tmpl, rec.Code, rec.Body.String(), rec.Header().Get("Allow"))
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
	if len(routed) < 25 {
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

	// Every documented operation is reached through New() with a seeded
	// store and a valid key; every other method is the route miss with
	// Allow.
	all := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}
	for path, methods := range documented {
		for _, m := range all {
			req := httptest.NewRequest(m, oa.Concrete(path), nil)
			req.Header.Set("X-Api-Key", MerchantOwnerKey)
			rec := httptest.NewRecorder()
			env.h.ServeHTTP(rec, req)
			switch {
			case methods[m]:
				if oaIsRouteMiss(rec) {
					t.Errorf("%s %s: %d %s; the documented operation is not routed", m, path, rec.Code, rec.Body.String())
				}
			case m == http.MethodHead && methods[http.MethodGet]:
				if oaIsRouteMiss(rec) {
					t.Errorf("HEAD %s: %d; HEAD should be served by GET", path, rec.Code)
				}
			default:
				if !oaIsRouteMiss(rec) || rec.Header().Get("Allow") == "" {
					t.Errorf("%s %s: %d %s, want the 404 Not Found of an undocumented method, with Allow", m, path, rec.Code, rec.Body.String())
				}
			}
		}
	}

	// A path the document does not have is the route miss, without Allow;
	// so are the Wallet Asset and legacy cancel paths (C5, C11).
	for _, p := range []string{"/api/oa-nowhere", "/api/wallets/payap/transactions", "/api/wallet-assets", "/payments/api/requests.cancel"} {
		req := httptest.NewRequest(http.MethodGet, p, nil)
		req.Header.Set("X-Api-Key", MerchantOwnerKey)
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		var body apiError
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != http.StatusNotFound || body != (apiError{StatusCode: 404, Error: "Not Found", Message: "Not Found"}) || rec.Header().Get("Allow") != "" {
			t.Errorf("GET %s: %d %s (Allow %q), want the documented 404 Not Found", p, rec.Code, rec.Body.String(), rec.Header().Get("Allow"))
		}
	}
}

// oaRoutesExtensions reads routes.go and returns the "METHOD path" pairs it
// marks as sandbox extensions: a "sandbox extension" comment on the line of
// an on(...) call (single-line calls), on the line of one method of a
// multi-line call, or on a comment line right above the call.
func oaRoutesExtensions(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	marked := func(line int) bool {
		return line >= 1 && line <= len(lines) && strings.Contains(lines[line-1], "sandbox extension")
	}
	commentLine := func(line int) bool {
		return line >= 1 && line <= len(lines) && strings.HasPrefix(strings.TrimSpace(lines[line-1]), "//")
	}
	out := map[string]bool{}
	var calls int
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "on" || len(call.Args) != 2 {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		comp, ok2 := call.Args[1].(*ast.CompositeLit)
		if !ok || !ok2 {
			t.Errorf("routes.go:%d: an on(...) call this test cannot read", fset.Position(call.Pos()).Line)
			return true
		}
		calls++
		path, _ := strconv.Unquote(lit.Value)
		start, end := fset.Position(call.Pos()).Line, fset.Position(call.End()).Line
		whole := (start == end && marked(start)) || (commentLine(start-1) && marked(start-1))
		for _, e := range comp.Elts {
			kv := e.(*ast.KeyValueExpr)
			sel := kv.Key.(*ast.SelectorExpr)
			method := strings.ToUpper(strings.TrimPrefix(sel.Sel.Name, "Method"))
			line := fset.Position(kv.Pos()).Line
			if whole || (start != end && marked(line)) {
				out[method+" "+path] = true
			}
		}
		return true
	})
	if calls < 25 {
		t.Fatalf("read only %d on(...) calls in routes.go", calls)
	}
	return out
}

// TestOpenAPISandboxExtensionsMatchRoutes checks that exactly the operations
// routes.go marks "sandbox extension", plus this document itself, carry
// x-sandbox-extension: true.
func TestOpenAPISandboxExtensionsMatchRoutes(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	want := oaRoutesExtensions(t)
	want["GET /openapi.json"] = true // the sandbox's own description, not a Centrapay endpoint
	got := map[string]bool{}
	for _, o := range oa.Ops(doc) {
		switch v := o.Op["x-sandbox-extension"]; v {
		case true:
			got[o.Name()] = true
			if d, _ := o.Op["description"].(string); !strings.Contains(strings.ToLower(d), "sandbox") {
				t.Errorf("%s is a sandbox extension but its description does not say so", o.Name())
			}
		case nil:
		default:
			t.Errorf("%s: x-sandbox-extension = %v; set it to true or leave it out", o.Name(), v)
		}
	}
	if d := oa.Diff(got, want); d != "" {
		t.Errorf("x-sandbox-extension differs from what routes.go marks: %s", d)
	}
}

// TestOpenAPISecurityMatchesHandlers checks that exactly the operations the
// document says need X-Api-Key answer the documented 401 without one (and
// with an unknown one), and that the operations documented as account-owner
// only refuse a merchant-terminal key.
func TestOpenAPISecurityMatchesHandlers(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)
	send := func(o oa.Op, key string) (*httptest.ResponseRecorder, apiError) {
		req := httptest.NewRequest(o.Method, oa.Concrete(o.Path), nil)
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		var body apiError
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return rec, body
	}
	var public int
	for _, o := range oa.Ops(doc) {
		rec, body := send(o, "")
		missing := apiError{StatusCode: 401, Error: "Unauthorized", Message: msgMissingAuth}
		if oa.Public(doc, o.Op) {
			public++
			if rec.Code == http.StatusUnauthorized {
				t.Errorf("%s is documented public, but without a key it answered %d %s", o.Name(), rec.Code, rec.Body.String())
			}
			continue
		}
		if rec.Code != http.StatusUnauthorized || body != missing {
			t.Errorf("%s needs X-Api-Key, but without one it answered %d %s; want 401 %+v", o.Name(), rec.Code, rec.Body.String(), missing)
		}
		if rec, body := send(o, "oa-no-such-key"); rec.Code != http.StatusUnauthorized || body.Message != msgInvalidAuth {
			t.Errorf("%s with an unknown key: %d %s; want 401 %s", o.Name(), rec.Code, rec.Body.String(), msgInvalidAuth)
		}

		// Roles: a terminal key gets the role 403 exactly where the
		// document says only account-owner keys are taken.
		roles := oa.Strings(o.Op["x-api-key-roles"])
		ownerOnly := slices.Equal(roles, []string{RoleAccountOwner})
		if !ownerOnly && !slices.Equal(roles, []string{RoleAccountOwner, RoleMerchantTerminal}) {
			t.Errorf("%s: x-api-key-roles %v is neither [account-owner] nor [account-owner merchant-terminal]", o.Name(), roles)
		}
		termRec, termBody := send(o, MerchantTerminalKey)
		ownerRec, ownerBody := send(o, MerchantOwnerKey)
		roleRefusal := termRec.Code == http.StatusForbidden && termBody == apiError{StatusCode: 403, Error: "Forbidden", Message: "Forbidden"} &&
			(ownerRec.Code != termRec.Code || ownerBody != termBody)
		if ownerOnly != roleRefusal {
			t.Errorf("%s: documented roles %v, but a merchant-terminal key got %d %s and an account-owner key %d %s",
				o.Name(), roles, termRec.Code, termRec.Body.String(), ownerRec.Code, ownerRec.Body.String())
		}
	}
	if public != 5 {
		t.Errorf("%d public operations documented, want 5 (openapi, JWKS, two summaries, media content)", public)
	}
}

// ------------------------------------------------------------ Go types

// oaGoSchemas pairs response component schemas with the Go types they
// document.
var oaGoSchemas = map[string]reflect.Type{
	"Wallet":                    reflect.TypeFor[Wallet](),
	"WalletPage":                reflect.TypeFor[Page[Wallet]](),
	"AssetTypeRef":              reflect.TypeFor[WalletAssetType](),
	"AssetType":                 reflect.TypeFor[AssetTypeInfo](),
	"AssetTypePage":             reflect.TypeFor[Page[AssetTypeInfo]](),
	"Merchant":                  reflect.TypeFor[Merchant](),
	"Location":                  reflect.TypeFor[Location](),
	"MerchantConfig":            reflect.TypeFor[MerchantConfig](),
	"PaymentOptionConfig":       reflect.TypeFor[PaymentOptionConfig](),
	"Connection":                reflect.TypeFor[Connection](),
	"ConnectionSummary":         reflect.TypeFor[connectionSummary](),
	"PaymentRequest":            reflect.TypeFor[PaymentRequest](),
	"PaymentRequestSummary":     reflect.TypeFor[paymentRequestSummary](),
	"PaymentOption":             reflect.TypeFor[PaymentOption](),
	"AcceptedCollection":        reflect.TypeFor[AcceptedCollection](),
	"LineItem":                  reflect.TypeFor[LineItem](),
	"Classification":            reflect.TypeFor[Classification](),
	"MerchantCondition":         reflect.TypeFor[MerchantCondition](),
	"PaidBy":                    reflect.TypeFor[PaidBy](),
	"AssetTotal":                reflect.TypeFor[AssetTotal](),
	"Monetary":                  reflect.TypeFor[Monetary](),
	"PaymentActivity":           reflect.TypeFor[PaymentActivity](),
	"PaymentActivityPage":       reflect.TypeFor[Page[PaymentActivity]](),
	"RefundStrategy":            reflect.TypeFor[RefundStrategy](),
	"RefundPart":                reflect.TypeFor[RefundPart](),
	"WebhookSubscription":       reflect.TypeFor[webhookSubscription](),
	"Notification":              reflect.TypeFor[webhookNotificationBody](),
	"WebhookNotificationRecord": reflect.TypeFor[webhookNotificationView](),
	"WebhookNotificationPage":   reflect.TypeFor[Page[webhookNotificationView]](),
	"Error":                     reflect.TypeFor[apiError](),
}

// oaGoRequests pairs request component schemas with the Go types their
// handlers decode: the properties must be exactly the decoder's fields.
var oaGoRequests = map[string]reflect.Type{
	"WalletCreate":             reflect.TypeFor[createWalletBody](),
	"AssetTypeRefInput":        reflect.TypeFor[walletAssetTypeBody](),
	"MerchantCreate":           reflect.TypeFor[createMerchantRequest](),
	"MerchantConfigCreate":     reflect.TypeFor[merchantConfigRequest](),
	"PaymentOptionConfigInput": reflect.TypeFor[paymentOptionRequest](),
	"PaymentRequestCreate":     reflect.TypeFor[createPaymentRequestBody](),
	"LineItemInput":            reflect.TypeFor[lineItemRequest](),
	"PayRequest":               reflect.TypeFor[payBody](),
	"RefundRequest":            reflect.TypeFor[refundBody](),
}

// oaTypeMismatch compares one Go field with its property schema.
func oaTypeMismatch(doc oa.Obj, names map[reflect.Type]string, f oa.GoField, p oa.Obj) string {
	ft := f.Type
	nullable := p["nullable"] == true
	if ft.Kind() == reflect.Pointer {
		if !f.Omit && !nullable {
			return "a pointer without omitempty is sent as null: mark the property nullable"
		}
		ft = ft.Elem()
	} else if nullable && ft.Kind() != reflect.Slice && ft.Kind() != reflect.Map && ft.Kind() != reflect.Interface {
		return "nullable, but the Go field is never null"
	}
	ref := func(t reflect.Type, got string) string {
		n, ok := names[t]
		if !ok {
			return "no component schema is paired with Go type " + t.String() + " in oaGoSchemas"
		}
		if got != "#/components/schemas/"+n {
			return fmt.Sprintf("$ref %q, want #/components/schemas/%s", got, n)
		}
		return ""
	}
	return oaTypeCheck(doc, ft, oa.Deref(doc, p), p, ref)
}

// oaTypeCheck checks that schema s (resolved from p) describes Go type ft.
func oaTypeCheck(doc oa.Obj, ft reflect.Type, s, p oa.Obj, ref func(reflect.Type, string) string) string {
	want := func(typ string) string {
		if s["type"] != typ {
			return fmt.Sprintf("type %v, but Go %s is written as a JSON %s", s["type"], ft, typ)
		}
		return ""
	}
	switch ft {
	case reflect.TypeFor[Amount]():
		if s["type"] != "string" || s["pattern"] == nil {
			return "an Amount is written as a string of digits: use the Amount schema"
		}
		return ""
	case reflect.TypeFor[Timestamp]():
		if s["type"] != "string" || s["format"] != "date-time" {
			return "a Timestamp is a string with format date-time"
		}
		return ""
	case reflect.TypeFor[FlexNum]():
		return want("number")
	case reflect.TypeFor[json.RawMessage](), reflect.TypeFor[time.Time]():
		return ""
	}
	switch ft.Kind() {
	case reflect.Interface:
		return ""
	case reflect.String:
		return want("string")
	case reflect.Bool:
		return want("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return want("integer")
	case reflect.Float32, reflect.Float64:
		return want("number")
	case reflect.Map:
		return want("object")
	case reflect.Slice:
		if m := want("array"); m != "" {
			return m
		}
		items := oa.Map(s["items"])
		et := ft.Elem()
		if et.Kind() == reflect.Struct && et != reflect.TypeFor[Timestamp]() {
			return ref(et, oa.RefOf(items))
		}
		return oaTypeCheck(doc, et, oa.Deref(doc, items), items, ref)
	case reflect.Struct:
		return ref(ft, oa.RefOf(p))
	}
	return ""
}

// TestOpenAPISchemasMatchGoTypes checks that the response schemas name
// exactly the JSON fields of the Go wire types, mark as required exactly
// those always sent, and agree on their JSON types.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	schemas := oa.Map(oa.At(doc, "components", "schemas"))
	names := map[reflect.Type]string{}
	for n, typ := range oaGoSchemas {
		names[typ] = n
	}
	for _, must := range []string{"Wallet", "Merchant", "MerchantConfig", "Connection", "PaymentRequest", "PaymentActivity", "Notification"} {
		if oaGoSchemas[must] == nil {
			t.Fatalf("oaGoSchemas lost %s", must)
		}
	}
	for name, typ := range oaGoSchemas {
		s := oa.Map(schemas[name])
		if s == nil {
			t.Errorf("components.schemas.%s is missing (it documents %s)", name, typ)
			continue
		}
		props := oa.Map(s["properties"])
		var goNames, goRequired []string
		fields := oa.JSONFields(typ)
		for _, f := range fields {
			goNames = append(goNames, f.Name)
			if !f.Omit {
				goRequired = append(goRequired, f.Name)
			}
		}
		docNames, docRequired := oa.Keys(props), oa.Strings(s["required"])
		sort.Strings(goNames)
		sort.Strings(goRequired)
		sort.Strings(docRequired)
		if !slices.Equal(goNames, docNames) {
			t.Errorf("%s: properties %v, but Go %s marshals %v", name, docNames, typ, goNames)
		}
		if !slices.Equal(goRequired, docRequired) {
			t.Errorf("%s: required %v, but Go %s always sends %v", name, docRequired, typ, goRequired)
		}
		for _, f := range fields {
			if p := oa.Map(props[f.Name]); p != nil {
				if msg := oaTypeMismatch(doc, names, f, p); msg != "" {
					t.Errorf("%s.%s: %s", name, f.Name, msg)
				}
			}
		}
	}
	// The Notification's data is the Payment Activity, and a record's body
	// the Notification (both any / raw JSON in Go).
	if oa.RefOf(oa.Map(oa.At(schemas, "Notification", "properties", "data"))) != "#/components/schemas/PaymentActivity" {
		t.Error("Notification.data must be a PaymentActivity")
	}
	if oa.RefOf(oa.Map(oa.At(schemas, "WebhookNotificationRecord", "properties", "body"))) != "#/components/schemas/Notification" {
		t.Error("WebhookNotificationRecord.body must be a Notification")
	}
}

// TestOpenAPIRequestSchemasMatchGoTypes checks that each request schema
// lists exactly the fields its handler's decoder reads.
func TestOpenAPIRequestSchemasMatchGoTypes(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	schemas := oa.Map(oa.At(doc, "components", "schemas"))
	for name, typ := range oaGoRequests {
		s := oa.Map(schemas[name])
		if s == nil {
			t.Errorf("components.schemas.%s is missing (it documents %s)", name, typ)
			continue
		}
		var goNames []string
		for _, f := range oa.JSONFields(typ) {
			goNames = append(goNames, f.Name)
		}
		sort.Strings(goNames)
		if docNames := oa.Keys(oa.Map(s["properties"])); !slices.Equal(goNames, docNames) {
			t.Errorf("%s: properties %v, but the handler's %s reads %v", name, docNames, typ, goNames)
		}
		if s["additionalProperties"] == false {
			t.Errorf("%s: additionalProperties:false, but the handler ignores unknown fields", name)
		}
	}
}

// TestOpenAPIEnumsMatchCode checks the enums against the package's
// constants.
func TestOpenAPIEnumsMatchCode(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	schemas := oa.Map(oa.At(doc, "components", "schemas"))
	for _, e := range []struct {
		schema, prop string
		want         []string
	}{
		{"PaymentRequest", "status", []string{PRStatusNew, PRStatusPaid, PRStatusCancelled, PRStatusExpired}},
		{"PaymentRequest", "connectionStatus", []string{ConnectionCreated, ConnectionAuthorized}},
		{"Connection", "status", []string{ConnectionCreated, ConnectionAuthorized}},
		{"ConnectionSummary", "status", []string{ConnectionCreated, ConnectionAuthorized}},
		{"PaymentActivity", "type", []string{ActivityRequest, ActivityPreAuthRequest, ActivityPayment, ActivityRefund, ActivityCancellation, ActivityExpiry}},
		{"PaymentActivity", "mode", []string{ModePartialPayment, ModeMultiAssetPayment}},
		{"PayRequest", "mode", []string{ModePartialPayment, ModeMultiAssetPayment}},
		{"Merchant", "type", []string{MerchantTypePhysical, MerchantTypeECommerce}},
		{"MerchantCreate", "type", []string{MerchantTypePhysical, MerchantTypeECommerce}},
		{"Merchant", "onboardingStatus", []string{OnboardingApplied, OnboardingProvisioning, OnboardingActive, OnboardingDeactivated, OnboardingOnHold}},
		{"Notification", "type", webhookEventTypes},
		{"WebhookNotificationRecord", "type", webhookEventTypes},
		{"WebhookNotificationRecord", "state", []string{webhookPending, webhookDelivered, webhookFailed}},
		{"Wallet", "status", []string{walletStatusActive}},
		{"MediaUploadForm", "purpose", []string{mediaPurposeLogo, mediaPurposeOnboarding}},
	} {
		got := oa.Strings(oa.At(schemas, e.schema, "properties", e.prop, "enum"))
		slices.Sort(got)
		want := slices.Sorted(slices.Values(e.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s.%s enum = %v, the code uses %v", e.schema, e.prop, got, want)
		}
	}
	for _, e := range []struct {
		schema, prop string
		want         []string
	}{
		{"WebhookSubscription", "eventTypes", webhookEventTypes},
		{"WebhookSubscriptionPut", "eventTypes", webhookEventTypes},
	} {
		got := oa.Strings(oa.At(schemas, e.schema, "properties", e.prop, "items", "enum"))
		if !slices.Equal(got, e.want) {
			t.Errorf("%s.%s items enum = %v, the code uses %v", e.schema, e.prop, got, e.want)
		}
	}
}

// ------------------------------------------------------------ error codes

var (
	oaReBusinessCall = regexp.MustCompile(`\berrBusiness\(`)
	oaReBusiness     = regexp.MustCompile(`^errBusiness\(\s*http\.Status\w+,\s*"([^"]+)"`)
	oaReAPIErrorCall = regexp.MustCompile(`\bnewAPIError\(`)
	oaReAPIError     = regexp.MustCompile(`^newAPIError\(\s*http\.Status\w+,\s*"([^"]+)"`)
	oaReCode         = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	oaReCatalogue    = regexp.MustCompile("(?m)^- `([A-Z][A-Z0-9_]+)`")
)

// oaSourceMessages greps the package's production source for the messages
// errBusiness(...) and newAPIError(...) calls answer. A call whose message
// is not a literal fails the test (errors.go's own wrappers aside), so no
// code escapes the grep.
func oaSourceMessages(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, c := range []struct{ call, lit *regexp.Regexp }{{oaReBusinessCall, oaReBusiness}, {oaReAPIErrorCall, oaReAPIError}} {
			for _, loc := range c.call.FindAllStringIndex(src, -1) {
				if strings.HasSuffix(src[:loc[0]], "func ") {
					continue // the definition
				}
				m := c.lit.FindStringSubmatch(src[loc[0]:])
				switch {
				case m != nil:
					out[m[1]] = true
				case f == "errors.go":
					// errBadRequest, errBusiness and errUnauthorized pass
					// their callers' messages on.
				default:
					line := strings.Count(src[:loc[0]], "\n") + 1
					t.Errorf("%s:%d: an error call whose message is not a string literal; the document cannot be checked against it", f, line)
				}
			}
		}
	}
	out[msgMissingAuth], out[msgInvalidAuth] = true, true
	return out
}

// TestOpenAPIDocumentsEveryErrorCode checks that every error message the
// source answers through errBusiness or newAPIError is mentioned in the
// document; that the business codes are exactly the Error catalogue and the
// union of the responses' x-error-codes; and that examples use real codes.
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	messages := oaSourceMessages(t)
	codes := map[string]bool{}
	for m := range messages {
		if oaReCode.MatchString(m) {
			codes[m] = true
		}
	}
	t.Logf("business codes in the source: %v", oa.Keys(codes))
	for _, must := range []string{"RATE_LIMIT_EXCEEDED", "FILE_TOO_LARGE", "WALLET_ALREADY_EXISTS", "REQUEST_EXPIRED", "VOID_WINDOW_EXCEEDED", "Forbidden", "Not Found"} {
		if !messages[must] {
			t.Fatalf("the grep found no %s among %v; it is broken", must, oa.Keys(messages))
		}
	}
	raw := string(openAPIDoc)
	for _, m := range oa.Keys(messages) {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(m) + `\b`).MatchString(raw) {
			t.Errorf("error message %q is answered by the code but not mentioned in the document", m)
		}
	}

	desc, _ := oa.At(doc, "components", "schemas", "Error", "properties", "message", "description").(string)
	catalogue := map[string]bool{}
	for _, m := range oaReCatalogue.FindAllStringSubmatch(desc, -1) {
		catalogue[m[1]] = true
	}
	if d := oa.Diff(catalogue, codes); d != "" {
		t.Errorf("the Error.message catalogue differs from the codes the source answers: %s", d)
	}

	// x-error-codes: every code is in some response, and no response names
	// a code the source lacks; each is named in its response's description.
	listed := map[string]bool{}
	var walk func(v any, at string, inExample bool)
	walk = func(v any, at string, inExample bool) {
		switch v := v.(type) {
		case oa.Obj:
			if xs, ok := v["x-error-codes"]; ok {
				d, _ := v["description"].(string)
				for _, c := range oa.Strings(xs) {
					listed[c] = true
					if !codes[c] {
						t.Errorf("%s: x-error-codes lists %s, which the code never answers", at, c)
					}
					if !strings.Contains(d, "`"+c+"`") {
						t.Errorf("%s: x-error-codes lists %s, but the description does not say when", at, c)
					}
				}
			}
			if inExample {
				if msg, ok := v["message"].(string); ok && v["statusCode"] != nil && !messages[msg] && oaReCode.MatchString(msg) {
					t.Errorf("%s: an example answers %s, which the code never does", at, msg)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k, inExample || k == "example" || k == "examples")
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i), inExample)
			}
		}
	}
	walk(doc, "#", false)
	if d := oa.Diff(listed, codes); d != "" {
		t.Errorf("the responses' x-error-codes differ from the codes the source answers: %s", d)
	}
}

// ------------------------------------------------------------ request bodies

// oaKeyFor is the API key a request-body probe of an operation uses: one
// with the role and account the operation needs.
func oaKeyFor(opID string) string {
	switch opID {
	case "createWallet", "authorizeConnection":
		return PayapOwnerKey
	case "payPaymentRequest":
		return PatronOwnerKey
	}
	return MerchantOwnerKey
}

// TestOpenAPIRequestBodiesMatchHandlers checks each JSON request schema
// against its handler: the example is accepted; a missing required property
// is a 400 naming it; a missing optional one is never "is required"; a
// number for a string property is a 400 (the property is one the decoder
// knows); and an unknown field or another Content-Type is tolerated.
func TestOpenAPIRequestBodiesMatchHandlers(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)
	// Real resources for the path parameters.
	call := func(method, path, key string, body any) (*httptest.ResponseRecorder, apiError) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		var e apiError
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		return rec, e
	}
	idOf := func(rec *httptest.ResponseRecorder) string {
		var v struct{ ID string }
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.ID == "" {
			t.Fatalf("setup: %d %s", rec.Code, rec.Body.String())
		}
		return v.ID
	}
	conn := idOf(oaFirst(call(http.MethodPost, "/api/connections", MerchantTerminalKey, oa.Obj{"merchantId": SandboxMerchantID})))
	pr := idOf(oaFirst(call(http.MethodPost, "/api/payment-requests", MerchantTerminalKey, oa.Obj{"configId": SandboxMerchantConfigID, "value": oa.Obj{"amount": "1200", "currency": "NZD"}})))
	params := map[string]string{"merchantId": SandboxMerchantID, "configId": SandboxMerchantConfigID, "connectionId": conn, "paymentRequestId": pr, "walletId": PayapWalletID}

	var checked int
	for _, o := range oa.Ops(doc) {
		rb := oa.Deref(doc, o.Op["requestBody"])
		schemaRef := oa.At(rb, "content", "application/json", "schema")
		if schemaRef == nil {
			continue
		}
		checked++
		name := o.Name()
		schema := oa.Deref(doc, schemaRef)
		example := oa.Map(schema["example"])
		if example == nil {
			t.Errorf("%s: the request schema has no example", name)
			continue
		}
		path := oa.PathParam.ReplaceAllStringFunc(o.Path, func(p string) string { return params[strings.Trim(p, "{}")] })
		key := oaKeyFor(o.ID())
		send := func(body oa.Obj) (*httptest.ResponseRecorder, apiError) { return call(o.Method, path, key, body) }

		if rec, _ := send(example); rec.Code == http.StatusBadRequest || rec.Code == http.StatusUnauthorized {
			t.Errorf("%s: the documented example is refused: %d %s", name, rec.Code, rec.Body.String())
		}
		for k, ex := range oa.Map(oa.At(rb, "content", "application/json", "examples")) {
			if rec, _ := send(oa.Map(oa.Map(ex)["value"])); rec.Code == http.StatusBadRequest {
				t.Errorf("%s: the documented example %s is refused: %s", name, k, rec.Body.String())
			}
		}
		required := map[string]bool{}
		for _, p := range oa.Strings(schema["required"]) {
			required[p] = true
			if _, ok := example[p]; !ok {
				t.Errorf("%s: the example lacks required %s", name, p)
			}
		}
		for prop, ps := range oa.Map(schema["properties"]) {
			without := oa.Clone(example)
			delete(without, prop)
			rec, e := send(without)
			isRequired := rec.Code == http.StatusBadRequest && strings.HasPrefix(e.Message, prop+" is required")
			if required[prop] && !isRequired {
				t.Errorf("%s without required %s: %d %s, want 400 %q", name, prop, rec.Code, rec.Body.String(), prop+" is required")
			}
			if !required[prop] && isRequired {
				t.Errorf("%s without optional %s: %s; document it as required", name, prop, rec.Body.String())
			}
			if s := oa.Deref(doc, ps); s["type"] == "string" && s["deprecated"] != true {
				wrong := oa.Clone(example)
				wrong[prop] = 12345
				if rec, e := send(wrong); rec.Code != http.StatusBadRequest || !strings.Contains(e.Message, prop) {
					t.Errorf("%s with a number for string %s: %d %s, want a 400 naming it (is the field known to the handler?)", name, prop, rec.Code, rec.Body.String())
				}
			}
		}
		extra := oa.Clone(example)
		extra["oaUndocumented"] = oa.Obj{"any": true}
		if rec, _ := send(extra); rec.Code == http.StatusBadRequest {
			t.Errorf("%s with an unknown field: %s; the handlers tolerate unknown fields", name, rec.Body.String())
		}
		b, _ := json.Marshal(example)
		req := httptest.NewRequest(o.Method, path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("X-Api-Key", key)
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		if rec.Code == http.StatusBadRequest || rec.Code == http.StatusUnsupportedMediaType {
			t.Errorf("%s as text/plain: %d %s; the Content-Type is not checked", name, rec.Code, rec.Body.String())
		}
	}
	if checked != 10 {
		t.Errorf("checked %d JSON request bodies, want 10", checked)
	}
}

func oaFirst[A, B any](a A, _ B) A { return a }

// ------------------------------------------------------------ live answers

// oaClient calls the handler and checks each answer against the document:
// the status is documented for the operation, the content type is one it
// lists, a JSON body matches the schema, the documented headers are sent,
// and an error's business code is one the response lists in x-error-codes.
// It records what it saw, so the walk can check its own coverage.
type oaClient struct {
	t     *testing.T
	doc   oa.Obj
	h     http.Handler
	seen  map[string]map[string]bool // operation → statuses answered
	codes map[string]bool            // business codes answered
}

type oaResult struct {
	rec  *httptest.ResponseRecorder
	body any
}

func (r oaResult) str(keys ...string) string { return fmt.Sprint(oa.At(r.body, keys...)) }

func (c *oaClient) call(method, template, path, key, contentType string, body []byte, want int) oaResult {
	t := c.t
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
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
	opName := method + " " + template
	if c.seen[opName] == nil {
		c.seen[opName] = map[string]bool{}
	}
	status := strconv.Itoa(rec.Code)
	c.seen[opName][status] = true
	r := oa.Deref(c.doc, oa.Map(op["responses"])[status])
	if r == nil {
		t.Errorf("%s: status %d is not documented: %s", name, rec.Code, rec.Body.String())
		return res
	}
	content := oa.Map(r["content"])
	switch {
	case content == nil && rec.Body.Len() > 0:
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
	if rec.Code >= 400 {
		msg, _ := oa.At(res.body, "message").(string)
		if oaReCode.MatchString(msg) {
			c.codes[msg] = true
			if !slices.Contains(oa.Strings(r["x-error-codes"]), msg) {
				t.Errorf("%s: answered %d %s, which the response's x-error-codes %v do not list", name, rec.Code, msg, r["x-error-codes"])
			}
		}
	}
	return res
}

// do sends body as JSON (nil: no body).
func (c *oaClient) do(method, template, path, key string, body any, want int) oaResult {
	c.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	return c.call(method, template, path, key, "application/json", b, want)
}

// oaMultipart is a media upload body.
func oaMultipart(t *testing.T, purpose string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if purpose != "" {
		if err := w.WriteField("purpose", purpose); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", "upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

func oaPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestOpenAPIResponsesMatchSchemas walks the whole API, success and error
// paths, checks every answer against the document, and then checks that
// the walk saw every documented status (401 and 429 aside, which have their
// own checks) and every business code of the Error catalogue: so each code
// is answered by an operation whose responses list it.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	doc := oa.Load(t, openAPIDoc)
	env := oaNewEnv(t, nil)
	c := &oaClient{t: t, doc: doc, h: env.h, seen: map[string]map[string]bool{}, codes: map[string]bool{}}
	const (
		owner    = MerchantOwnerKey
		terminal = MerchantTerminalKey
		payap    = PayapOwnerKey
		patron   = PatronOwnerKey
		nzdTest  = "centrapay.nzd.test"
		tpTest   = oaThirdParty + ".test"
		ok       = http.StatusOK
		bad      = http.StatusBadRequest
		no       = http.StatusForbidden
	)
	money := func(amount string) oa.Obj { return oa.Obj{"amount": amount, "currency": "NZD"} }
	id := func(r oaResult) string { return r.str("id") }

	// Meta.
	c.do("GET", "/openapi.json", "/openapi.json", "", nil, ok)
	c.do("GET", "/api/.well-known/jwks.json", "/api/.well-known/jwks.json", "", nil, ok)
	c.do("GET", "/api/asset-types", "/api/asset-types", terminal, nil, ok)

	// Webhook subscription (so that notifications are recorded).
	const subs = "/api/webhook-subscriptions"
	events := []string{WebhookEventPaid, WebhookEventRefundInitiated, WebhookEventRefundCompleted}
	c.do("GET", subs, subs, owner, nil, no)
	c.do("PUT", subs, subs, terminal, oa.Obj{"url": "https://merchant.example.com/hooks", "eventTypes": events}, no)
	c.do("PUT", subs, subs, owner, oa.Obj{"url": "http://merchant.example.com/hooks", "eventTypes": events}, bad)
	c.do("PUT", subs, subs, owner, oa.Obj{"url": "https://merchant.example.com/hooks", "eventTypes": events}, ok)
	c.do("GET", subs, subs, terminal, nil, ok)

	// Media.
	const mediaT, locT, contentT = "/api/media-uploads", "/api/media-uploads/{mediaUploadId}/location", "/api/media-uploads/{mediaUploadId}/content"
	upload := func(purpose string, file []byte, want int) oaResult {
		b, ct := oaMultipart(t, purpose, file)
		return c.call("POST", mediaT, mediaT, payap, ct, b, want)
	}
	logo := id(upload(mediaPurposeLogo, oaPNG(t), ok))
	csvUp := id(upload(mediaPurposeOnboarding, []byte("name,amount\nflat white,600\n"), ok))
	upload("", oaPNG(t), bad)
	upload(mediaPurposeLogo, []byte("GIF89a\x01\x00\x01\x00"), no)
	upload(mediaPurposeLogo, bytes.Repeat([]byte{0x89}, mediaLogoMaxBytes+1), no)
	loc := c.do("GET", locT, "/api/media-uploads/"+logo+"/location", payap, nil, ok).str("url")
	c.do("GET", locT, "/api/media-uploads/"+logo+"/location", owner, nil, no)
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	c.do("GET", contentT, u.RequestURI(), "", nil, ok)
	c.do("GET", contentT, strings.Replace(u.RequestURI(), "signature=", "signature=x", 1), "", nil, no)

	// Wallets.
	const walletsT, walletT, supportedT = "/api/wallets", "/api/wallets/{walletId}", "/api/merchants/{merchantId}/supported-wallets"
	wallet := func(id string, kv ...any) oa.Obj {
		b := oa.Obj{"id": id, "name": "OA Wallet", "accountId": PayapAccountID, "assetTypes": []any{oa.Obj{"id": oaThirdParty}}}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	c.do("POST", walletsT, walletsT, payap, wallet("oa-wallet", "logoMediaUploadId", logo, "connectionId", "https://oa.example.com/join",
		"assetTypes", []any{oa.Obj{"id": oaThirdParty}, oa.Obj{"id": "centrapay.token", "collectionIds": []string{"98h1d312"}}}), ok)
	c.do("POST", walletsT, walletsT, payap, wallet("oa-wallet"), no)
	c.do("POST", walletsT, walletsT, payap, oa.Obj{}, bad)
	c.do("POST", walletsT, walletsT, terminal, wallet("oa-2"), no)
	c.do("POST", walletsT, walletsT, payap, wallet("oa-2", "accountId", PatronAccountID), no)
	c.do("POST", walletsT, walletsT, payap, wallet("oa-2", "assetTypes", []any{oa.Obj{"id": "oa.nope"}}), no)
	c.do("POST", walletsT, walletsT, payap, wallet("oa-2", "assetTypes", []any{oa.Obj{"id": "quartz.nzd", "collectionId": "c_1"}}), no)
	c.do("POST", walletsT, walletsT, payap, wallet("oa-2", "logoMediaUploadId", csvUp), no)
	c.do("GET", walletsT, walletsT, payap, nil, ok)
	c.do("GET", walletT, "/api/wallets/"+PayapWalletID, terminal, nil, ok)
	c.do("GET", walletT, "/api/wallets/oa-nope", terminal, nil, no)
	c.do("GET", supportedT, "/api/merchants/"+SandboxMerchantID+"/supported-wallets", payap, nil, ok)
	c.do("GET", supportedT, "/api/merchants/oa-nope/supported-wallets", payap, nil, no)

	// Merchants.
	const merchantsT, merchantT = "/api/merchants", "/api/merchants/{merchantId}"
	merchant := func(account string, kv ...any) oa.Obj {
		b := oa.Obj{"accountId": account, "name": "OA Cafe", "country": "NZ", "test": true}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	m2 := id(c.do("POST", merchantsT, merchantsT, owner, merchant(SandboxMerchantAccountID, "type", "physical", "categoryCode", "5814",
		"location", oa.Obj{"street": "1 Oa Street", "city": "Auckland", "country": "NZ", "lat": "-36.85", "lng": 174.76}), ok))
	mPayap := id(c.do("POST", merchantsT, merchantsT, payap, merchant(PayapAccountID), ok))
	c.do("POST", merchantsT, merchantsT, owner, merchant(SandboxMerchantAccountID, "test", nil), bad)
	c.do("POST", merchantsT, merchantsT, owner, merchant(SandboxMerchantAccountID, "country", "AU"), no)
	c.do("POST", merchantsT, merchantsT, owner, merchant(SandboxMerchantAccountID, "settlementConfig", oa.Obj{"bankAccountId": "ba_1"}), no)
	c.do("POST", merchantsT, merchantsT, terminal, merchant(SandboxMerchantAccountID), no)
	c.do("GET", merchantT, "/api/merchants/"+m2, terminal, nil, ok)
	c.do("GET", merchantT, "/api/merchants/"+SandboxMerchantID, payap, nil, no)

	// Merchant configs.
	const configsT, configT, mcT = "/api/merchants/{merchantId}/configs", "/api/merchants/{merchantId}/configs/{configId}", "/api/merchant-configs/{configId}"
	options := func(opts ...oa.Obj) oa.Obj { return oa.Obj{"paymentOptions": opts} }
	tpOption := oa.Obj{"type": tpTest, "externalMerchantId": "oa-cafe-1", "walletId": PayapWalletID}
	cfg2 := id(c.do("POST", configsT, "/api/merchants/"+m2+"/configs", owner, options(oa.Obj{"type": nzdTest}, tpOption), ok))
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", owner, oa.Obj{}, bad)
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", owner, options(oa.Obj{"type": "centrapay.nzd"}), no)
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", owner, options(oa.Obj{"type": "centrapay.nzd.main"}), no)
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", owner, options(oa.Obj{"type": "centrapay.token.test", "collectionIds": "98h1d312"}), no)
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", terminal, options(oa.Obj{"type": nzdTest}), no)
	c.do("POST", configsT, "/api/merchants/"+m2+"/configs", payap, options(oa.Obj{"type": nzdTest}), no)
	c.do("GET", configsT, "/api/merchants/"+m2+"/configs", terminal, nil, ok)
	c.do("GET", configsT, "/api/merchants/"+m2+"/configs", payap, nil, no)
	c.do("GET", mcT, "/api/merchant-configs/"+cfg2, terminal, nil, ok)
	c.do("GET", mcT, "/api/merchant-configs/5ee168e8597be5002af7b454", terminal, nil, bad)
	c.do("GET", mcT, "/api/merchant-configs/"+cfg2, payap, nil, no)
	c.do("PUT", configT, "/api/merchants/"+m2+"/configs/5ee168e8597be5002af7b454", owner, options(oa.Obj{"type": nzdTest}), bad)
	c.do("PUT", configT, "/api/merchants/"+m2+"/configs/"+SandboxMerchantConfigID, owner, options(oa.Obj{"type": nzdTest}), no)
	oneOff := id(c.do("POST", configsT, "/api/merchants/"+SandboxMerchantID+"/configs", owner,
		options(oa.Obj{"type": "quartz-one-off.nzd.test", "externalMerchantId": "oa-q-1"}), ok))

	// Connections.
	const connT, authT, connSumT, latestT = "/api/connections", "/api/connections/{connectionId}/authorize", "/api/connections/{connectionId}/summary", "/api/connections/{connectionId}/latest-payment-request"
	cn := id(c.do("POST", connT, connT, terminal, oa.Obj{"merchantId": SandboxMerchantID}, ok))
	cnOther := id(c.do("POST", connT, connT, terminal, oa.Obj{"merchantId": m2}, ok))
	cnPayap := id(c.do("POST", connT, connT, payap, oa.Obj{"merchantId": mPayap}, ok))
	c.do("POST", connT, connT, terminal, oa.Obj{}, bad)
	c.do("POST", connT, connT, payap, oa.Obj{"merchantId": m2}, no)
	c.do("GET", connSumT, "/api/connections/"+cn+"/summary", "", nil, ok)
	c.do("GET", connSumT, "/api/connections/oa-nope/summary", "", nil, no)
	c.do("GET", latestT, "/api/connections/"+cn+"/latest-payment-request", payap, nil, no)
	c.do("POST", authT, "/api/connections/"+cn+"/authorize", terminal, oa.Obj{"walletId": PayapWalletID}, no)
	c.do("POST", authT, "/api/connections/"+cn+"/authorize", payap, oa.Obj{}, bad)
	c.do("POST", authT, "/api/connections/oa-nope/authorize", payap, oa.Obj{"walletId": PayapWalletID}, no)
	c.do("POST", authT, "/api/connections/"+cn+"/authorize", payap, oa.Obj{"walletId": PayapWalletID}, ok)
	c.do("POST", authT, "/api/connections/"+cn+"/authorize", payap, oa.Obj{"walletId": PayapWalletID}, ok)
	c.do("POST", authT, "/api/connections/"+cn+"/authorize", payap, oa.Obj{"walletId": "oa-wallet"}, no)
	c.do("GET", connSumT, "/api/connections/"+cn+"/summary", "", nil, ok)

	// Payment requests.
	const prsT, prT, prSumT, shortT = "/api/payment-requests", "/api/payment-requests/{paymentRequestId}", "/api/payment-requests/{paymentRequestId}/summary", "/api/payment-requests/short-code/{shortCode}"
	const payT, refundT, voidT, actsT, mActsT = prT + "/pay", prT + "/refund", prT + "/void", prT + "/activities", "/api/payment-activities"
	create := func(amount string, kv ...any) oa.Obj {
		b := oa.Obj{"configId": SandboxMerchantConfigID, "value": money(amount)}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	newPR := func(amount string, kv ...any) string {
		return id(c.do("POST", prsT, prsT, terminal, create(amount, kv...), ok))
	}
	pr1r := c.do("POST", prsT, prsT, terminal, create("1200", "connectionId", cn, "lineItems", []any{oa.Obj{"name": "Flat white", "qty": "2", "price": "1200", "tax": "15.00"}}), ok)
	pr1 := id(pr1r)
	c.do("GET", latestT, "/api/connections/"+cn+"/latest-payment-request", payap, nil, ok)
	c.do("POST", prsT, prsT, terminal, oa.Obj{"configId": SandboxMerchantConfigID}, bad)
	c.do("POST", prsT, prsT, terminal, create("1000", "configId", "5ee168e8597be5002af7b454"), bad)
	c.do("POST", prsT, prsT, terminal, create("1000", "lineItems", []any{oa.Obj{"name": "A", "qty": 1, "price": "900"}}), bad)
	c.do("POST", prsT, prsT, terminal, create("1000", "barcode", "9990001234567891"), bad)
	c.do("POST", prsT, prsT, terminal, create("1000", "configId", "mc_OaNope"), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "redirectPaidUrl", "https://oa.example.com/paid"), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "barcode", "123", "barcodeType", "centrapay"), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "collectionId", "c_OaNope"), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "connectionId", "oa-nope"), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "connectionId", cnPayap), no)
	c.do("POST", prsT, prsT, terminal, create("1000", "connectionId", cnOther), no)
	c.do("POST", prsT, prsT, terminal, oa.Obj{"configId": SandboxMerchantConfigID, "value": oa.Obj{"amount": "1000", "currency": "USD"}}, no)
	code := pr1r.str("shortCode")
	c.do("GET", shortT, "/api/payment-requests/short-code/"+code, payap, nil, ok)
	wrong := code[:len(code)-1] + map[bool]string{true: "0", false: "1"}[code[len(code)-1] != '0']
	c.do("GET", shortT, "/api/payment-requests/short-code/"+wrong, payap, nil, bad)
	c.do("GET", shortT, "/api/payment-requests/short-code/CP-ZZZ-ZZ"+string(luhnCheck("ZZZZZ")), payap, nil, no)
	c.do("GET", prT, "/api/payment-requests/"+pr1, payap, nil, ok)
	c.do("GET", prT, "/api/payment-requests/oa-nope", payap, nil, no)
	c.do("GET", prSumT, "/api/payment-requests/"+pr1+"/summary", "", nil, ok)

	// Pay.
	pay := func(pr, key string, body oa.Obj, want int) oaResult {
		return c.do("POST", payT, "/api/payment-requests/"+pr+"/pay", key, body, want)
	}
	held := func(k string) oa.Obj {
		return oa.Obj{"assetType": nzdTest, "assetId": PatronAssetID, "idempotencyKey": k}
	}
	third := func(k, authorization string) oa.Obj {
		return oa.Obj{"assetType": tpTest, "authorization": authorization, "idempotencyKey": k}
	}
	pay(pr1, patron, held("k1"), ok)
	pay(pr1, patron, held("k1"), ok) // replay
	pay(pr1, patron, oa.Obj{"assetType": nzdTest, "assetId": PatronVoucherAssetID, "idempotencyKey": "k1"}, no)
	pay(pr1, patron, held("k2"), no)
	c.do("GET", prSumT, "/api/payment-requests/"+pr1+"/summary", "", nil, no)
	pay(pr1, patron, oa.Obj{}, bad)
	pay("oa-nope", patron, held("k1"), no)
	pr2 := newPR("1000")
	pay(pr2, patron, oa.Obj{"assetType": "centrapay.nzd.main", "assetId": PatronAssetID, "idempotencyKey": "k"}, no)
	for _, a := range []string{AuthorizationDecline, AuthorizationUnconfirmed, AuthorizationInsufficient, AuthorizationDenied, AuthorizationInactive} {
		pay(pr2, payap, third("k-"+a, a), no)
	}
	pay(pr2, patron, oa.Obj{"assetType": nzdTest, "assetId": PatronInactiveAssetID, "idempotencyKey": "k"}, no)
	pay(newPR("90000"), patron, held("k"), no) // QUOTA_EXCEEDED
	pr3 := id(c.do("POST", prsT, prsT, terminal, create("1000", "configId", cfg2), ok))
	c.do("PUT", configT, "/api/merchants/"+m2+"/configs/"+cfg2, owner, options(oa.Obj{"type": nzdTest}), ok)
	pay(pr3, payap, third("k", "12345"), no) // INVALID_MERCHANT_CONFIG
	c.do("POST", voidT, "/api/payment-requests/"+pr2+"/void", terminal, nil, ok)
	pay(pr2, patron, held("k"), no) // REQUEST_CANCELLED
	partial := newPR("3000", "partialAllowed", true, "basketAmount", "3000")
	pay(partial, payap, oa.Obj{"assetType": tpTest, "authorization": "12345", "mode": ModePartialPayment, "amount": "1000", "idempotencyKey": "p1"}, ok)

	// Refund and void.
	refund := func(pr, key string, amount, ref string, want int, kv ...any) oaResult {
		b := oa.Obj{"value": money(amount), "externalRef": ref}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return c.do("POST", refundT, "/api/payment-requests/"+pr+"/refund", key, b, want)
	}
	void := func(pr, key string, want int) oaResult {
		return c.do("POST", voidT, "/api/payment-requests/"+pr+"/void", key, nil, want)
	}
	refund(pr1, terminal, "500", "r1", ok, "invoiceRef", "INV-1")
	refund(pr1, terminal, "600", "r1", no)
	refund(pr1, terminal, "500", "r1", ok) // replay
	refund(pr1, terminal, "900", "r2", no)
	c.do("POST", refundT, "/api/payment-requests/"+pr1+"/refund", terminal, oa.Obj{"value": money("1")}, bad)
	refund(pr1, terminal, "500", "r2", bad, "lineItems", []any{oa.Obj{"name": "A", "qty": "1", "price": "400"}})
	refund(pr1, payap, "1", "r2", no)
	refund(pr1, terminal, "700", "r2", ok)
	refund(pr1, terminal, "1", "r3", no) // ALREADY_REFUNDED
	void(pr1, terminal, no)              // ALREADY_REFUNDED
	refund(newPR("1000"), terminal, "1", "r", no)
	cash := id(c.do("POST", configsT, "/api/merchants/"+SandboxMerchantID+"/configs", owner, options(oa.Obj{"type": "external.test"}), ok))
	external := id(c.do("POST", prsT, prsT, terminal, create("1000", "configId", cash), ok))
	pay(external, terminal, oa.Obj{"assetType": "external.test", "transactionId": "till-1-0042", "idempotencyKey": "x"}, ok)
	refund(external, terminal, "1", "r", no)
	void(external, terminal, no)
	viaPayap := newPR("1000")
	pay(viaPayap, payap, oa.Obj{"assetType": tpTest, "transactionId": "prov-tx-oa", "idempotencyKey": "prov-tx-oa"}, ok)
	refund(viaPayap, terminal, "400", "r", ok)
	void(viaPayap, terminal, ok)
	wholeOnly := newPR("1000")
	pay(wholeOnly, payap, oa.Obj{"assetType": tpTest, "transactionId": oaFailingTransaction, "idempotencyKey": "w"}, ok)
	refund(wholeOnly, terminal, "400", "r", no)
	void(wholeOnly, terminal, no)
	voucher := newPR("1000")
	pay(voucher, patron, oa.Obj{"assetType": nzdTest, "assetId": PatronVoucherAssetID, "idempotencyKey": "v"}, ok)
	refund(voucher, terminal, "100", "r", no)
	void(voucher, terminal, no)
	q := id(c.do("POST", prsT, prsT, terminal, create("1000", "configId", oneOff), ok))
	pay(q, payap, oa.Obj{"assetType": "quartz-one-off.nzd.test", "authorization": "12345", "idempotencyKey": "q"}, ok)
	refund(q, terminal, "100", "r", no)
	declined := newPR("1000")
	pay(declined, payap, third("d", AuthorizationDeclineRefunds), ok)
	refund(declined, terminal, "100", "r", no)
	void(declined, terminal, no)
	preAuth := newPR("1000", "preAuth", true)
	refund(preAuth, terminal, "100", "r", no) // PRE_AUTH_PENDING
	pay(preAuth, patron, held("conf-1"), ok)
	refund(preAuth, terminal, "100", "r", bad)
	refund(preAuth, terminal, "100", "r", no, "confirmationIdempotencyKey", "oa-nope")
	refund(preAuth, terminal, "100", "r", ok, "confirmationIdempotencyKey", "conf-1")
	void(preAuth, terminal, no) // PRE_AUTH_ALREADY_CONFIRMED
	repeat := newPR("1000")
	pay(repeat, patron, held("rr"), ok)
	refund(repeat, terminal, "100", repeat, ok)
	void(repeat, terminal, no) // REPEAT_REFERENCE
	voided := newPR("1000")
	pay(voided, patron, held("vv"), ok)
	void(voided, payap, no)
	void(voided, terminal, ok)
	void(voided, terminal, ok) // replay

	// Activities.
	c.do("GET", actsT, "/api/payment-requests/"+pr1+"/activities", payap, nil, ok)
	c.do("GET", actsT, "/api/payment-requests/oa-nope/activities", payap, nil, no)
	page := c.do("GET", mActsT, mActsT+"?merchantId="+SandboxMerchantID+"&paginationLimit=3", terminal, nil, ok)
	next := page.str("nextPageKey")
	if next == "" || next == "<nil>" {
		t.Fatalf("the first page has no nextPageKey: %s", page.rec.Body.String())
	}
	c.do("GET", mActsT, mActsT+"?merchantId="+SandboxMerchantID+"&pageKey="+url.QueryEscape(next), terminal, nil, ok)
	c.do("GET", mActsT, mActsT, terminal, nil, bad)
	c.do("GET", mActsT, mActsT+"?merchantId="+SandboxMerchantID+"&paginationLimit=0", terminal, nil, bad)
	c.do("GET", mActsT, mActsT+"?merchantId="+SandboxMerchantID, payap, nil, no)
	if r := c.do("GET", "/api/webhook-notifications", "/api/webhook-notifications", owner, nil, ok); len(oa.Slice(oa.At(r.body, "items"))) == 0 {
		t.Error("no webhook notification was recorded to check against the schema")
	}

	// Time: expiry, the void window and the refund window.
	expiring := newPR("1000", "expirySeconds", 60)
	longLived := newPR("1000", "expirySeconds", "31536000")
	paidLong := newPR("1000")
	pay(paidLong, patron, held("late"), ok)
	if err := env.clock.Advance(25 * time.Hour); err != nil {
		t.Fatal(err)
	}
	pay(expiring, patron, held("e"), no)
	void(expiring, terminal, no)
	void(longLived, terminal, no)
	if r := c.do("GET", prT, "/api/payment-requests/"+expiring, terminal, nil, ok); r.str("status") != PRStatusExpired {
		t.Errorf("an expired request reads %s", r.str("status"))
	}
	if err := env.clock.Advance(91 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	refund(paidLong, terminal, "100", "late", no)

	// Rate limiting.
	limited := oaNewEnv(t, func(cfg *Config) { cfg.RateLimit = 1 })
	c.h = limited.h
	c.do("GET", "/api/asset-types", "/api/asset-types", terminal, nil, ok)
	c.do("GET", "/api/asset-types", "/api/asset-types", terminal, nil, http.StatusTooManyRequests)

	// Coverage: every documented status but 401/429 was answered, and every
	// business code of the catalogue.
	for _, o := range oa.Ops(doc) {
		for status := range oa.Map(o.Op["responses"]) {
			if status == "401" || status == "429" {
				continue
			}
			if !c.seen[o.Name()][status] {
				t.Errorf("%s: the walk never saw the documented %s", o.Name(), status)
			}
		}
	}
	desc, _ := oa.At(doc, "components", "schemas", "Error", "properties", "message", "description").(string)
	for _, m := range oaReCatalogue.FindAllStringSubmatch(desc, -1) {
		if !c.codes[m[1]] {
			t.Errorf("the walk never saw %s answered", m[1])
		}
	}
}
