package control

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	oa "github.com/payap/payap-sandbox/internal/openapitest"
)

// h5Case is one named request against a fresh fake backend whose journal
// holds entries 1 to 9 (see h5Record).
type h5Case struct {
	name   string
	cfg    Config
	setup  func(b *h5Backend)
	req    h5Request
	status int
	code   string // the error code, when status is an error
	check  func(t *testing.T, b *h5Backend, rec *httptest.ResponseRecorder, body any)
}

func h5Run(t *testing.T, cases []h5Case) {
	t.Helper()
	doc := h5Doc(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := h5NewBackend()
			h5Record(b, 9)
			if tc.setup != nil {
				tc.setup(b)
			}
			h := New(tc.cfg, Deps{Backend: b})
			rec, body := h5Serve(t, doc, h, tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body.String())
			}
			if got := h5Code(body); got != tc.code {
				t.Errorf("error code %q, want %q: %s", got, tc.code, rec.Body.String())
			}
			if tc.code != "" {
				if msg, _ := oa.At(body, "error", "message").(string); msg == "" {
					t.Errorf("an error without a message: %s", rec.Body.String())
				}
				if strings.Contains(rec.Body.String(), "disk on fire") {
					t.Errorf("the answer leaks the backend's error: %s", rec.Body.String())
				}
			}
			if tc.check != nil {
				tc.check(t, b, rec, body)
			}
		})
	}
}

func get(path string) h5Request  { return h5Request{method: http.MethodGet, path: path} }
func post(path string) h5Request { return h5Request{method: http.MethodPost, path: path} }
func jsonReq(method, path, body string) h5Request {
	return h5Request{method: method, path: path, contentType: "application/json", body: body}
}

// wantField checks the value at a path of the decoded body.
func wantField(keys []string, want any) func(*testing.T, *h5Backend, *httptest.ResponseRecorder, any) {
	return func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
		t.Helper()
		if got := oa.At(body, keys...); got != want {
			t.Errorf("%s = %v (%T), want %v (%T)", strings.Join(keys, "."), got, got, want, want)
		}
	}
}

func failing(b *h5Backend) { b.fail = h5Fail }

func TestH5Meta(t *testing.T) {
	h5Run(t, []h5Case{
		{name: "health", req: get("/__sandbox/health"), status: 200, check: wantField([]string{"status"}, "ok")},
		{name: "health HEAD", req: h5Request{method: http.MethodHead, path: "/__sandbox/health"}, status: 200},
		{name: "health when not ready", setup: func(b *h5Backend) { b.ready = false }, req: get("/__sandbox/health"), status: 200},
		{name: "ready", req: get("/__sandbox/ready"), status: 200, check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if oa.At(body, "ready") != true || len(oa.Slice(oa.At(body, "services"))) != 3 {
				t.Errorf("ready answered %v", body)
			}
		}},
		{name: "not ready", setup: func(b *h5Backend) { b.ready = false }, req: get("/__sandbox/ready"), status: 503, check: wantField([]string{"ready"}, false)},
		{name: "openapi", req: get("/__sandbox/openapi.json"), status: 200, check: func(t *testing.T, _ *h5Backend, rec *httptest.ResponseRecorder, _ any) {
			if rec.Body.String() != string(openAPIDoc) {
				t.Error("GET /__sandbox/openapi.json does not serve the embedded document")
			}
		}},
		{name: "remote caller refused", req: h5Request{method: http.MethodGet, path: "/__sandbox/health", remote: "192.0.2.7:4000"}, status: 403, code: "remote_not_allowed"},
		{name: "remote caller refused on a write", setup: func(b *h5Backend) {}, req: h5Request{method: http.MethodPost, path: "/__sandbox/reset", remote: "10.0.0.2:4000"}, status: 403, code: "remote_not_allowed",
			check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, _ any) {
				if b.resets != 0 {
					t.Error("a refused reset still reset")
				}
			}},
		{name: "remote caller without a port refused", req: h5Request{method: http.MethodGet, path: "/__sandbox/health", remote: "garbage"}, status: 403, code: "remote_not_allowed"},
		{name: "IPv6 loopback served", req: h5Request{method: http.MethodGet, path: "/__sandbox/health", remote: "[::1]:4000"}, status: 200},
		{name: "IPv4-mapped loopback served", req: h5Request{method: http.MethodGet, path: "/__sandbox/health", remote: "[::ffff:127.0.0.1]:4000"}, status: 200},
		{name: "remote caller served with AllowRemote", cfg: Config{AllowRemote: true}, req: h5Request{method: http.MethodGet, path: "/__sandbox/health", remote: "192.0.2.7:4000"}, status: 200},
		{name: "unknown route", req: get("/__sandbox/nope"), status: 404, code: "route_not_found"},
		{name: "outside the prefix", req: get("/assets"), status: 404, code: "route_not_found"},
		{name: "wrong method", req: h5Request{method: http.MethodDelete, path: "/__sandbox/clock"}, status: 405, code: "method_not_allowed",
			check: func(t *testing.T, _ *h5Backend, rec *httptest.ResponseRecorder, _ any) {
				if got := rec.Header().Get("Allow"); got != "GET, HEAD, PUT" {
					t.Errorf("Allow = %q, want GET, HEAD, PUT", got)
				}
			}},
		{name: "GET on reset", req: get("/__sandbox/reset"), status: 405, code: "method_not_allowed"},
		{name: "reset", req: post("/__sandbox/reset"), status: 204, check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, _ any) {
			if b.resets != 1 || b.journal.Len() != 0 {
				t.Errorf("resets %d, journal holds %d; want one reset and an empty journal", b.resets, b.journal.Len())
			}
		}},
		{name: "reset failing", setup: failing, req: post("/__sandbox/reset"), status: 500, code: "internal_error"},
	})
}

const h5YAML = "version: 1\nname: uploaded\ndescription: from a test\nfaults:\n  - service: provider\n    match: {method: POST, path: /token}\n    do: {status: 503}\n"

// h5BadYAML has an unknown field on line 4 and a bad status on line 7.
const h5BadYAML = "version: 1\nname: broken\nfaults:\n  - sevrice: provider\n    match: {method: POST, path: /token}\n    do:\n      status: 99\n"

func TestH5Scenarios(t *testing.T) {
	yaml := func(query, body string) h5Request {
		return h5Request{method: http.MethodPost, path: "/__sandbox/scenarios" + query, contentType: "application/yaml", body: body}
	}
	h5Run(t, []h5Case{
		{name: "list", req: get("/__sandbox/scenarios"), status: 200, check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
			items := oa.Slice(oa.At(body, "items"))
			if len(items) != 1 || oa.At(items[0], "name") != "flaky-token-endpoint" {
				t.Errorf("items = %v", items)
			}
		}},
		{name: "list empty", setup: func(b *h5Backend) { b.scenarios = nil }, req: get("/__sandbox/scenarios"), status: 200, check: func(t *testing.T, _ *h5Backend, rec *httptest.ResponseRecorder, _ any) {
			if strings.TrimSpace(rec.Body.String()) != `{"items":[]}` {
				t.Errorf("body %s, want an empty list", rec.Body.String())
			}
		}},
		{name: "get", req: get("/__sandbox/scenarios/flaky-token-endpoint"), status: 200, check: wantField([]string{"file"}, "flaky-token-endpoint.yaml")},
		{name: "get unknown", req: get("/__sandbox/scenarios/nope"), status: 404, code: "scenario_not_found"},
		{name: "load YAML", req: yaml("", h5YAML), status: 201, check: func(t *testing.T, b *h5Backend, rec *httptest.ResponseRecorder, body any) {
			if rec.Header().Get("Location") != "/__sandbox/scenarios/uploaded" || oa.At(body, "file") != "upload.yaml" || oa.At(body, "active") != false {
				t.Errorf("Location %q, body %v", rec.Header().Get("Location"), body)
			}
			if len(b.scenarios) != 2 {
				t.Errorf("%d scenarios loaded, want 2", len(b.scenarios))
			}
		}},
		{name: "load YAML as text/yaml with name and activate", req: h5Request{method: http.MethodPost, path: "/__sandbox/scenarios?name=mine.yaml&activate=true", contentType: "text/yaml; charset=utf-8", body: h5YAML}, status: 201,
			check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
				if oa.At(body, "file") != "mine.yaml" || oa.At(body, "active") != true {
					t.Errorf("body %v, want file mine.yaml, active", body)
				}
			}},
		{name: "load YAML replacing", setup: func(b *h5Backend) { b.scenarios = append(b.scenarios, Scenario{Name: "uploaded"}) }, req: yaml("", h5YAML), status: 200},
		{name: "load JSON", req: jsonReq("POST", "/__sandbox/scenarios", `{"name":"j.yaml","yaml":`+strconv.Quote(h5YAML)+`,"activate":true}`), status: 201,
			check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
				if oa.At(body, "file") != "j.yaml" || oa.At(body, "active") != true || len(oa.Slice(oa.At(body, "faults"))) != 1 {
					t.Errorf("body %v", body)
				}
			}},
		{name: "invalid YAML", req: yaml("?name=broken.yaml", h5BadYAML), status: 422, code: "invalid_scenario", check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, body any) {
			details := oa.Slice(oa.At(body, "error", "details"))
			if len(details) < 2 {
				t.Fatalf("details %v, want one per problem", details)
			}
			lines := map[float64]bool{}
			for _, d := range details {
				if oa.At(d, "line") == nil || oa.At(d, "column") == nil || oa.At(d, "message") == "" {
					t.Errorf("detail %v lacks a line, column or message", d)
				}
				l, _ := oa.At(d, "line").(float64)
				lines[l] = true
			}
			if !lines[4] || !lines[7] {
				t.Errorf("problem lines %v, want 4 (unknown field) and 7 (status)", lines)
			}
			if len(b.scenarios) != 1 {
				t.Error("an invalid file was loaded")
			}
		}},
		{name: "not YAML at all", req: yaml("", "{{{"), status: 422, code: "invalid_scenario"},
		{name: "valid but not applicable", req: yaml("", "version: 1\nname: clashing\n"), status: 409, code: "scenario_not_applicable"},
		{name: "bad activate", req: yaml("?activate=maybe", h5YAML), status: 400, code: "invalid_parameter"},
		{name: "unknown query parameter", req: yaml("?activte=true", h5YAML), status: 400, code: "unknown_parameter"},
		{name: "name with a directory", req: yaml("?name=../etc/passwd", h5YAML), status: 400, code: "invalid_parameter"},
		{name: "JSON with a query", req: jsonReq("POST", "/__sandbox/scenarios?activate=true", `{"yaml":"version: 1"}`), status: 400, code: "unknown_parameter"},
		{name: "JSON without yaml", req: jsonReq("POST", "/__sandbox/scenarios", `{"name":"x.yaml"}`), status: 400, code: "missing_field"},
		{name: "JSON with an unknown field", req: jsonReq("POST", "/__sandbox/scenarios", `{"yaml":"version: 1","activte":true}`), status: 400, code: "unknown_field"},
		{name: "malformed JSON", req: jsonReq("POST", "/__sandbox/scenarios", `{"yaml":`), status: 400, code: "invalid_json"},
		{name: "JSON of the wrong type", req: jsonReq("POST", "/__sandbox/scenarios", `{"yaml":"version: 1","activate":"yes"}`), status: 400, code: "invalid_field"},
		{name: "wrong content type", req: h5Request{method: http.MethodPost, path: "/__sandbox/scenarios", contentType: "text/plain", body: h5YAML}, status: 415, code: "unsupported_media_type"},
		{name: "no content type", req: h5Request{method: http.MethodPost, path: "/__sandbox/scenarios", body: h5YAML}, status: 415, code: "unsupported_media_type"},
		{name: "too large", req: yaml("", "# "+strings.Repeat("x", maxScenarioBytes)), status: 413, code: "body_too_large"},
		{name: "load failing", setup: failing, req: yaml("", h5YAML), status: 500, code: "internal_error"},
		{name: "activate", req: post("/__sandbox/scenarios/flaky-token-endpoint/activate"), status: 200, check: wantField([]string{"active"}, true)},
		{name: "activate unknown", req: post("/__sandbox/scenarios/nope/activate"), status: 404, code: "scenario_not_found"},
		{name: "activate failing", setup: failing, req: post("/__sandbox/scenarios/flaky-token-endpoint/activate"), status: 500, code: "internal_error"},
		{name: "deactivate", setup: func(b *h5Backend) { b.scenarios[0].Active = true }, req: post("/__sandbox/scenarios/flaky-token-endpoint/deactivate"), status: 200, check: wantField([]string{"active"}, false)},
		{name: "deactivate unknown", req: post("/__sandbox/scenarios/nope/deactivate"), status: 404, code: "scenario_not_found"},
		{name: "GET on activate", req: get("/__sandbox/scenarios/flaky-token-endpoint/activate"), status: 405, code: "method_not_allowed"},
	})
}

func TestH5Faults(t *testing.T) {
	patch := func(id, body string) h5Request { return jsonReq(http.MethodPatch, "/__sandbox/faults/"+id, body) }
	h5Run(t, []h5Case{
		{name: "list", req: get("/__sandbox/faults"), status: 200, check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
			f := oa.Slice(oa.At(body, "items"))[0]
			for keys, want := range map[string]any{"id": "fault-1", "active": true, "matched": 3.0, "fired": 2.0, "rule.do.delay": "1.5s",
				"rule.do.body": `{"error":"temporarily_unavailable"}`, "rule.match.path": "/token"} {
				if got := oa.At(f, strings.Split(keys, ".")...); got != want {
					t.Errorf("%s = %v, want %v", keys, got, want)
				}
			}
		}},
		{name: "get", req: get("/__sandbox/faults/fault-1"), status: 200, check: wantField([]string{"id"}, "fault-1")},
		{name: "get unknown", req: get("/__sandbox/faults/fault-9"), status: 404, code: "fault_not_found"},
		{name: "switch off", req: patch("fault-1", `{"active":false}`), status: 200, check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if oa.At(body, "active") != false || b.rules[0].Active {
				t.Errorf("body %v, backend active %v; want switched off", body, b.rules[0].Active)
			}
		}},
		{name: "switch on with merge-patch", req: h5Request{method: http.MethodPatch, path: "/__sandbox/faults/fault-1", contentType: "application/merge-patch+json", body: `{"active":true}`}, status: 200},
		{name: "unknown id", req: patch("fault-9", `{"active":false}`), status: 404, code: "fault_not_found"},
		{name: "missing active", req: patch("fault-1", `{}`), status: 400, code: "missing_field"},
		{name: "unknown field", req: patch("fault-1", `{"active":false,"enabled":false}`), status: 400, code: "unknown_field"},
		{name: "malformed JSON", req: patch("fault-1", `{"active":`), status: 400, code: "invalid_json"},
		{name: "two objects", req: patch("fault-1", `{"active":false}{}`), status: 400, code: "invalid_json"},
		{name: "not an object", req: patch("fault-1", `[true]`), status: 400, code: "invalid_json"},
		{name: "wrong type", req: patch("fault-1", `{"active":"no"}`), status: 400, code: "invalid_field"},
		{name: "empty body", req: patch("fault-1", ``), status: 400, code: "invalid_json"},
		{name: "not JSON", req: h5Request{method: http.MethodPatch, path: "/__sandbox/faults/fault-1", contentType: "text/plain", body: "off"}, status: 415, code: "unsupported_media_type"},
		{name: "too large", req: patch("fault-1", `{"active":false,"x":"`+strings.Repeat("x", maxJSONBytes)+`"}`), status: 413, code: "body_too_large"},
		{name: "backend failing", setup: failing, req: patch("fault-1", `{"active":false}`), status: 500, code: "internal_error"},
		{name: "DELETE", req: h5Request{method: http.MethodDelete, path: "/__sandbox/faults/fault-1"}, status: 405, code: "method_not_allowed"},
	})
}

func TestH5Clock(t *testing.T) {
	advance := func(body string) h5Request { return jsonReq(http.MethodPost, "/__sandbox/clock/advance", body) }
	set := func(body string) h5Request { return jsonReq(http.MethodPut, "/__sandbox/clock", body) }
	at := func(want string) func(*testing.T, *h5Backend, *httptest.ResponseRecorder, any) {
		return func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if oa.At(body, "now") != want || b.now.Format(time.RFC3339Nano) != want {
				t.Errorf("now %v, backend %v; want %s", oa.At(body, "now"), b.now, want)
			}
		}
	}
	h5Run(t, []h5Case{
		{name: "get", req: get("/__sandbox/clock"), status: 200, check: wantField([]string{"now"}, "2026-01-01T09:00:00Z")},
		{name: "advance by", req: advance(`{"by":"90m"}`), status: 200, check: at("2026-01-01T10:30:00Z")},
		{name: "advance by seconds", req: advance(`{"seconds":5400}`), status: 200, check: at("2026-01-01T10:30:00Z")},
		{name: "advance by a fraction", req: advance(`{"by":"1.5ms"}`), status: 200, check: at("2026-01-01T09:00:00.0015Z")},
		{name: "advance by a negative duration", req: advance(`{"by":"-5m"}`), status: 400, code: "invalid_duration", check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, _ any) {
			if !b.now.Equal(h5Start) {
				t.Errorf("the clock moved to %v", b.now)
			}
		}},
		{name: "advance by zero", req: advance(`{"by":"0s"}`), status: 400, code: "invalid_duration"},
		{name: "advance by negative seconds", req: advance(`{"seconds":-1}`), status: 400, code: "invalid_duration"},
		{name: "advance by too many seconds", req: advance(`{"seconds":9223372036854775807}`), status: 400, code: "invalid_duration"},
		{name: "advance by fractional seconds", req: advance(`{"seconds":1.5}`), status: 400, code: "invalid_field"},
		{name: "advance by a bad duration", req: advance(`{"by":"ninety minutes"}`), status: 400, code: "invalid_duration"},
		{name: "advance by a bare number", req: advance(`{"by":"90"}`), status: 400, code: "invalid_duration"},
		{name: "advance by both", req: advance(`{"by":"1h","seconds":5}`), status: 400, code: "conflicting_fields"},
		{name: "advance by nothing", req: advance(`{}`), status: 400, code: "missing_field"},
		{name: "advance with an unknown field", req: advance(`{"minutes":90}`), status: 400, code: "unknown_field"},
		{name: "advance with malformed JSON", req: advance(`{"by":"90m"`), status: 400, code: "invalid_json"},
		{name: "advance as a form", req: h5Request{method: http.MethodPost, path: "/__sandbox/clock/advance", contentType: "application/x-www-form-urlencoded", body: "by=90m"}, status: 415, code: "unsupported_media_type"},
		{name: "advance failing", setup: failing, req: advance(`{"by":"1h"}`), status: 500, code: "internal_error"},
		{name: "set", req: set(`{"now":"2026-03-01T12:00:00+13:00"}`), status: 200, check: wantField([]string{"now"}, "2026-03-01T12:00:00+13:00")},
		{name: "set backwards", req: set(`{"now":"2025-01-01T00:00:00Z"}`), status: 200, check: at("2025-01-01T00:00:00Z")},
		{name: "set a bad time", req: set(`{"now":"tomorrow"}`), status: 400, code: "invalid_time"},
		{name: "set without a zone", req: set(`{"now":"2026-01-01T09:00:00"}`), status: 400, code: "invalid_time"},
		{name: "set nothing", req: set(`{}`), status: 400, code: "missing_field"},
		{name: "set a number", req: set(`{"now":1767258000}`), status: 400, code: "invalid_field"},
		{name: "PATCH clock", req: jsonReq(http.MethodPatch, "/__sandbox/clock", `{}`), status: 405, code: "method_not_allowed"},
	})
}

// h5IDs lists the ids of a decoded journal page.
func h5IDs(body any) []float64 {
	var ids []float64
	for _, e := range oa.Slice(oa.At(body, "entries")) {
		id, _ := oa.At(e, "id").(float64)
		ids = append(ids, id)
	}
	return ids
}

func wantPage(ids []float64, next float64) func(*testing.T, *h5Backend, *httptest.ResponseRecorder, any) {
	return func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
		t.Helper()
		got := h5IDs(body)
		if len(got) != len(ids) {
			t.Fatalf("ids %v, want %v", got, ids)
		}
		for i := range ids {
			if got[i] != ids[i] {
				t.Fatalf("ids %v, want %v", got, ids)
			}
		}
		if oa.At(body, "next") != next {
			t.Errorf("next = %v, want %v", oa.At(body, "next"), next)
		}
	}
}

func TestH5Journal(t *testing.T) {
	// The journal holds 1..9: ids 1, 4, 7 provider GET 200; 2, 5, 8 payap
	// GET 404; 3, 6, 9 centrapay POST /token 503 fault-1.
	h5Run(t, []h5Case{
		{name: "all", req: get("/__sandbox/journal"), status: 200, check: wantPage([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 9)},
		{name: "since", req: get("/__sandbox/journal?since=7"), status: 200, check: wantPage([]float64{8, 9}, 9)},
		{name: "nothing new", req: get("/__sandbox/journal?since=9"), status: 200, check: wantPage(nil, 9)},
		{name: "since ahead", req: get("/__sandbox/journal?since=500"), status: 200, check: wantPage(nil, 500)},
		{name: "limit", req: get("/__sandbox/journal?since=2&limit=2"), status: 200, check: wantPage([]float64{3, 4}, 4)},
		{name: "empty journal", setup: func(b *h5Backend) { b.journal.Reset() }, req: get("/__sandbox/journal"), status: 200, check: func(t *testing.T, _ *h5Backend, rec *httptest.ResponseRecorder, _ any) {
			if !strings.Contains(rec.Body.String(), `"entries":[]`) {
				t.Errorf("body %s, want entries []", rec.Body.String())
			}
		}},
		{name: "service", req: get("/__sandbox/journal?service=payap"), status: 200, check: wantPage([]float64{2, 5, 8}, 9)},
		{name: "service with limit", req: get("/__sandbox/journal?service=payap&limit=2"), status: 200, check: wantPage([]float64{2, 5}, 5)},
		{name: "method, any case", req: get("/__sandbox/journal?method=post"), status: 200, check: wantPage([]float64{3, 6, 9}, 9)},
		{name: "status", req: get("/__sandbox/journal?status=404"), status: 200, check: wantPage([]float64{2, 5, 8}, 9)},
		{name: "status class", req: get("/__sandbox/journal?status=5xx"), status: 200, check: wantPage([]float64{3, 6, 9}, 9)},
		{name: "status class upper case", req: get("/__sandbox/journal?status=2XX&since=3"), status: 200, check: wantPage([]float64{4, 7}, 9)},
		{name: "path template", req: get("/__sandbox/journal?path=/assets/{assetId}"), status: 200, check: wantPage([]float64{1, 2, 4, 5, 7, 8}, 9)},
		{name: "path exact", req: get("/__sandbox/journal?path=/assets/12345"), status: 200, check: wantPage([]float64{1}, 9)},
		{name: "path below", req: get("/__sandbox/journal?path=/assets/**&service=provider"), status: 200, check: wantPage([]float64{1, 4, 7}, 9)},
		{name: "fault", req: get("/__sandbox/journal?fault=fault-1&limit=1"), status: 200, check: wantPage([]float64{3}, 3)},
		{name: "any fault", req: get("/__sandbox/journal?fault=*"), status: 200, check: wantPage([]float64{3, 6, 9}, 9)},
		{name: "no match", req: get("/__sandbox/journal?service=nope"), status: 200, check: wantPage(nil, 9)},
		{name: "bad since", req: get("/__sandbox/journal?since=abc"), status: 400, code: "invalid_parameter", check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if d := oa.Slice(oa.At(body, "error", "details")); len(d) != 1 || oa.At(d[0], "path") != "since" {
				t.Errorf("details %v, want one naming since", d)
			}
		}},
		{name: "negative since", req: get("/__sandbox/journal?since=-1"), status: 400, code: "invalid_parameter"},
		{name: "zero limit", req: get("/__sandbox/journal?limit=0"), status: 400, code: "invalid_parameter"},
		{name: "limit over the maximum", req: get("/__sandbox/journal?limit=1001"), status: 400, code: "invalid_parameter"},
		{name: "bad status", req: get("/__sandbox/journal?status=99x"), status: 400, code: "invalid_parameter"},
		{name: "status out of range", req: get("/__sandbox/journal?status=600"), status: 400, code: "invalid_parameter"},
		{name: "relative path", req: get("/__sandbox/journal?path=assets"), status: 400, code: "invalid_parameter"},
		{name: "path with a glob", req: get("/__sandbox/journal?path=/assets/*"), status: 400, code: "invalid_parameter"},
		{name: "unknown parameter", req: get("/__sandbox/journal?after=3"), status: 400, code: "unknown_parameter"},
		{name: "repeated parameter", req: get("/__sandbox/journal?since=1&since=2"), status: 400, code: "invalid_parameter"},
		{name: "bad query encoding", req: get("/__sandbox/journal?since=%zz"), status: 400, code: "invalid_parameter"},
		{name: "entry", req: get("/__sandbox/journal/3"), status: 200, check: func(t *testing.T, _ *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if oa.At(body, "id") != 3.0 || oa.At(body, "fault") != "fault-1" || oa.At(body, "latencyNs") != 1e6 {
				t.Errorf("entry %v", body)
			}
		}},
		{name: "entry gone", req: get("/__sandbox/journal/10"), status: 404, code: "journal_entry_not_found"},
		{name: "entry zero", req: get("/__sandbox/journal/0"), status: 400, code: "invalid_parameter"},
		{name: "entry not a number", req: get("/__sandbox/journal/abc"), status: 400, code: "invalid_parameter"},
		{name: "POST journal", req: post("/__sandbox/journal"), status: 405, code: "method_not_allowed"},
	})
}

func TestH5State(t *testing.T) {
	put := func(body string) h5Request { return jsonReq(http.MethodPut, "/__sandbox/state", body) }
	h5Run(t, []h5Case{
		{name: "export", req: get("/__sandbox/state"), status: 200, check: func(t *testing.T, _ *h5Backend, rec *httptest.ResponseRecorder, _ any) {
			if rec.Header().Get("Content-Disposition") != `attachment; filename="payap-sandbox-state.json"` || rec.Body.String() != `{"version":1,"stores":{}}` {
				t.Errorf("Content-Disposition %q, body %s", rec.Header().Get("Content-Disposition"), rec.Body.String())
			}
		}},
		{name: "export failing", setup: failing, req: get("/__sandbox/state"), status: 500, code: "internal_error"},
		{name: "import", req: put(`{"version":1,"stores":{"a":1}}`), status: 204, check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, _ any) {
			if string(b.state) != `{"version":1,"stores":{"a":1}}` {
				t.Errorf("state %s", b.state)
			}
		}},
		{name: "import invalid", req: put(`{"version":9}`), status: 422, code: "invalid_snapshot", check: func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, body any) {
			if n := len(oa.Slice(oa.At(body, "error", "details"))); n != 2 {
				t.Errorf("%d details, want one per problem (2)", n)
			}
			if string(b.state) != `{"version":1,"stores":{}}` {
				t.Errorf("an invalid import changed the state to %s", b.state)
			}
		}},
		{name: "import not JSON", req: put(`{"version":`), status: 400, code: "invalid_json"},
		{name: "import an array", req: put(`[]`), status: 400, code: "invalid_json"},
		{name: "import as text", req: h5Request{method: http.MethodPut, path: "/__sandbox/state", contentType: "text/plain", body: "{}"}, status: 415, code: "unsupported_media_type"},
		{name: "import failing", setup: failing, req: put(`{"version":1}`), status: 500, code: "internal_error"},
		{name: "POST state", req: post("/__sandbox/state"), status: 405, code: "method_not_allowed"},
	})
}

func TestH5Provider(t *testing.T) {
	balance := func(asset, body string) h5Request {
		return jsonReq(http.MethodPut, "/__sandbox/provider/assets/"+asset+"/balance", body)
	}
	is := func(want int64) func(*testing.T, *h5Backend, *httptest.ResponseRecorder, any) {
		return func(t *testing.T, b *h5Backend, _ *httptest.ResponseRecorder, _ any) {
			if b.balances["12345"] != want {
				t.Errorf("balance %d, want %d", b.balances["12345"], want)
			}
		}
	}
	h5Run(t, []h5Case{
		{name: "balance as a string", req: balance("12345", `{"balance":"7000"}`), status: 200, check: func(t *testing.T, b *h5Backend, r *httptest.ResponseRecorder, body any) {
			is(7000)(t, b, r, body)
			if oa.At(body, "balance") != "7000" || oa.At(body, "assetId") != "12345" {
				t.Errorf("body %v", body)
			}
		}},
		{name: "balance as an integer", req: balance("12345", `{"balance":0}`), status: 200, check: is(0)},
		{name: "negative balance", req: balance("12345", `{"balance":"-5"}`), status: 400, code: "invalid_balance", check: is(5000)},
		{name: "negative integer", req: balance("12345", `{"balance":-5}`), status: 400, code: "invalid_balance"},
		{name: "fraction", req: balance("12345", `{"balance":"12.50"}`), status: 400, code: "invalid_balance"},
		{name: "fractional number", req: balance("12345", `{"balance":12.5}`), status: 400, code: "invalid_balance"},
		{name: "exponent", req: balance("12345", `{"balance":1e3}`), status: 400, code: "invalid_balance"},
		{name: "empty string", req: balance("12345", `{"balance":""}`), status: 400, code: "invalid_balance"},
		{name: "boolean", req: balance("12345", `{"balance":true}`), status: 400, code: "invalid_balance"},
		{name: "overflow", req: balance("12345", `{"balance":"99999999999999999999"}`), status: 400, code: "invalid_balance"},
		{name: "refused by the provider", req: balance("12345", `{"balance":"2000000000000"}`), status: 400, code: "invalid_balance", check: is(5000)},
		{name: "missing balance", req: balance("12345", `{}`), status: 400, code: "missing_field"},
		{name: "null balance", req: balance("12345", `{"balance":null}`), status: 400, code: "missing_field"},
		{name: "unknown field", req: balance("12345", `{"balance":"1","currency":"NZD"}`), status: 400, code: "unknown_field"},
		{name: "unknown asset", req: balance("99", `{"balance":"1"}`), status: 404, code: "asset_not_found"},
		{name: "balance failing", setup: failing, req: balance("12345", `{"balance":"1"}`), status: 500, code: "internal_error"},
		{name: "revoke grants", req: post("/__sandbox/provider/users/demo/revoke-grants"), status: 200, check: wantField([]string{"revoked"}, 2.0)},
		{name: "revoke grants of an unknown user", req: post("/__sandbox/provider/users/mallory/revoke-grants"), status: 404, code: "user_not_found"},
		{name: "revoke grants failing", setup: failing, req: post("/__sandbox/provider/users/demo/revoke-grants"), status: 500, code: "internal_error"},
		{name: "expire tokens", req: post("/__sandbox/provider/users/demo/expire-tokens"), status: 200, check: wantField([]string{"expired"}, 2.0)},
		{name: "expire tokens of an unknown user", req: post("/__sandbox/provider/users/mallory/expire-tokens"), status: 404, code: "user_not_found"},
		{name: "GET balance", req: get("/__sandbox/provider/assets/12345/balance"), status: 405, code: "method_not_allowed"},
	})
}
