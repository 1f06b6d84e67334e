package faults_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/payap/payap-sandbox/internal/faults"
)

func TestMatch(t *testing.T) {
	type req struct {
		method, target, contentType, body string
		header                            map[string]string
	}
	get := func(target string) req { return req{method: http.MethodGet, target: target} }
	post := func(target, contentType, body string) req {
		return req{method: http.MethodPost, target: target, contentType: contentType, body: body}
	}
	withHeader := func(r req, k, v string) req {
		r.header = map[string]string{k: v}
		return r
	}
	for _, tc := range []struct {
		name  string
		match faults.Match
		hits  []req
		miss  []req
	}{
		{
			name:  "everything",
			match: faults.Match{},
			hits:  []req{get("/"), post("/token", "", "")},
		},
		{
			name:  "method",
			match: faults.Match{Method: http.MethodPost},
			hits:  []req{post("/anything", "", "")},
			miss:  []req{get("/anything"), {method: http.MethodPut, target: "/anything"}},
		},
		{
			name:  "path template",
			match: faults.Match{Method: http.MethodGet, Path: "/assets/{assetId}"},
			hits:  []req{get("/assets/12345"), get("/assets/56789?expand=1")},
			miss:  []req{get("/assets"), get("/assets/12345/history"), post("/assets/12345", "", "")},
		},
		{
			name:  "header, case-insensitive name, exact value",
			match: faults.Match{Header: map[string]string{"x-payap-user": "54321"}},
			hits:  []req{withHeader(get("/"), "X-Payap-User", "54321")},
			miss:  []req{get("/"), withHeader(get("/"), "X-Payap-User", "543210"), withHeader(get("/"), "X-Payap-User", "5432")},
		},
		{
			name:  "query, exact value, any of repeated values",
			match: faults.Match{Query: map[string]string{"status": "pending"}},
			hits:  []req{get("/get?status=pending"), get("/get?status=paid&status=pending")},
			miss:  []req{get("/get"), get("/get?status=PENDING"), get("/get?status=pending2")},
		},
		{
			name: "json body fields in string form",
			match: faults.Match{Body: map[string]string{
				"assetId": "99999", "amount": "1200", "partial": "true", "meta": `{"a":[1,2]}`, "note": "null"}},
			hits: []req{
				post("/pay", "application/json", `{"assetId":"99999","amount":1200,"partial":true,"meta":{"a": [1, 2]},"note":null,"other":"x"}`),
				post("/pay", "application/vnd.payap+json; charset=utf-8", `{"note":null,"meta":{"a":[1,2]},"partial":true,"amount":1200,"assetId":"99999"}`),
				// The string form of the string "1200" is 1200 too.
				post("/pay", "application/json", `{"assetId":"99999","amount":"1200","partial":true,"meta":{"a":[1,2]},"note":null}`),
			},
			miss: []req{
				post("/pay", "application/json", `{"assetId":"99999","amount":"1200.00","partial":true,"meta":{"a":[1,2]},"note":null}`),
				post("/pay", "application/json", `{"assetId":"99999"}`),
				post("/pay", "application/x-www-form-urlencoded", `assetId=99999&amount=1200&partial=true&note=null`),
				post("/pay", "application/json", `[{"assetId":"99999"}]`),
				post("/pay", "application/json", `{"assetId":"99999",`),
				post("/pay", "", `{"assetId":"99999","amount":1200,"partial":true,"meta":{"a":[1,2]},"note":null}`),
				get("/pay"),
			},
		},
		{
			name:  "a decimal stays as written",
			match: faults.Match{Body: map[string]string{"amount": "12.50"}},
			hits:  []req{post("/refund", "application/json", `{"amount":12.50}`)},
			miss:  []req{post("/refund", "application/json", `{"amount":12.5}`)},
		},
		{
			name: "all conditions together",
			match: faults.Match{Method: http.MethodPost, Path: "/api/payments", Header: map[string]string{"Idempotency-Key": "k1"},
				Query: map[string]string{"dryRun": "1"}, Body: map[string]string{"walletEntryId": "we_0001"}},
			hits: []req{withHeader(post("/api/payments?dryRun=1", "application/json", `{"walletEntryId":"we_0001"}`), "Idempotency-Key", "k1")},
			miss: []req{
				withHeader(post("/api/payments?dryRun=1", "application/json", `{"walletEntryId":"we_0002"}`), "Idempotency-Key", "k1"),
				withHeader(post("/api/payments", "application/json", `{"walletEntryId":"we_0001"}`), "Idempotency-Key", "k1"),
				post("/api/payments?dryRun=1", "application/json", `{"walletEntryId":"we_0001"}`),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "m", Match: tc.match, Do: faults.Action{Status: http.StatusTeapot}})
			// The service echoes a digest of the body it read, so a match that
			// reads the body can be seen to leave it intact.
			h := e.Middleware("provider")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				_, _ = io.WriteString(w, digest(b))
			}))
			run := func(rq req) int {
				var body io.Reader
				if rq.body != "" {
					body = strings.NewReader(rq.body)
				}
				r := httptest.NewRequest(rq.method, rq.target, body)
				if rq.contentType != "" {
					r.Header.Set("Content-Type", rq.contentType)
				}
				for k, v := range rq.header {
					r.Header.Set(k, v)
				}
				rec := serve(h, r)
				if rec.Code == http.StatusOK && rec.Body.String() != digest([]byte(rq.body)) {
					t.Errorf("%s %s: the service read a different body than was sent", rq.method, rq.target)
				}
				return rec.Code
			}
			for _, rq := range tc.hits {
				if got := run(rq); got != http.StatusTeapot {
					t.Errorf("%s %s %s %v: status %d, want the fault", rq.method, rq.target, rq.body, rq.header, got)
				}
			}
			for _, rq := range tc.miss {
				if got := run(rq); got != http.StatusOK {
					t.Errorf("%s %s %s %v: status %d, want the service", rq.method, rq.target, rq.body, rq.header, got)
				}
			}
		})
	}
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The engine reads at most 64 KiB to match a body; a longer body never
// matches, and the service still reads every byte of it.
func TestBodyMatchLeavesTheBodyIntact(t *testing.T) {
	field := `{"assetId":"99999","pad":"`
	for _, tc := range []struct {
		name  string
		size  int
		fires bool
	}{
		{"small", 100, true},
		{"exactly the limit", faults.MaxBodyBytes, true},
		{"one byte over", faults.MaxBodyBytes + 1, false},
		{"a megabyte", 1 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := field + strings.Repeat("x", tc.size-len(field)-2) + `"}`
			if len(body) != tc.size {
				t.Fatalf("built %d bytes", len(body))
			}
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "by-asset", Match: faults.Match{Body: map[string]string{"assetId": "99999"}},
				Do: faults.Action{Delay: 1}})
			s := &sleeps{}
			faults.SetSleep(e, s.sleep)
			var read []byte
			h := e.Middleware("provider")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				read, _ = io.ReadAll(r.Body)
				_ = r.Body.Close()
			}))
			r := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			serve(h, r)
			if fired := len(s.delays()) == 1; fired != tc.fires {
				t.Errorf("fired %v, want %v", fired, tc.fires)
			}
			if !bytes.Equal(read, []byte(body)) {
				t.Fatalf("the service read %d bytes, want all %d", len(read), len(body))
			}
		})
	}
}

// A body that fails while the engine reads it fails the same way for the
// service.
func TestBodyReadErrorReachesTheService(t *testing.T) {
	e := faults.New(1, nil)
	MustSet(t, e, faults.Rule{Match: faults.Match{Body: map[string]string{"a": "1"}}, Do: faults.Action{Status: 500}})
	var got []byte
	var gotErr error
	h := e.Middleware("provider")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = io.ReadAll(r.Body)
	}))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"a":`), iotest.ErrReader(io.ErrUnexpectedEOF)))
	r.Header.Set("Content-Type", "application/json")
	if rec := serve(h, r); rec.Code != 200 {
		t.Fatalf("status %d: a broken body must not match", rec.Code)
	}
	if string(got) != `{"a":` || gotErr != io.ErrUnexpectedEOF {
		t.Fatalf("the service read %q, %v", got, gotErr)
	}
}
