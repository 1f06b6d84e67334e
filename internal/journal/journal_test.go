package journal_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/journal"
)

// fill appends n entries whose Path is /1, /2, ... in append order.
func fill(t testing.TB, j *journal.Journal, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		j.Append(journal.Entry{Path: fmt.Sprintf("/%d", i)})
	}
}

// ids returns the IDs of entries, in order.
func ids(es []journal.Entry) []uint64 {
	out := []uint64{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// seq returns from..to inclusive.
func seq(from, to uint64) []uint64 {
	out := []uint64{}
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestNewFallsBackToDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  journal.Config
		want journal.Config
	}{
		{"zero", journal.Config{}, journal.DefaultConfig()},
		{"negative", journal.Config{Capacity: -1, MaxBodyBytes: -5}, journal.DefaultConfig()},
		{"kept", journal.Config{Capacity: 3, MaxBodyBytes: 10}, journal.Config{Capacity: 3, MaxBodyBytes: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := journal.New(tc.cfg).Config(); got != tc.want {
				t.Fatalf("Config() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAppendWrapsAroundOldestFirst(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 3})
	if j.LastID() != 0 || j.Len() != 0 {
		t.Fatalf("empty journal: LastID %d, Len %d", j.LastID(), j.Len())
	}
	for i := 1; i <= 8; i++ {
		id := j.Append(journal.Entry{Path: fmt.Sprintf("/%d", i)})
		if id != uint64(i) {
			t.Fatalf("append #%d got ID %d", i, id)
		}
		held := min(i, 3)
		if j.Len() != held {
			t.Fatalf("after %d appends Len = %d, want %d", i, j.Len(), held)
		}
		// The ring holds exactly the newest `held` entries, oldest first,
		// whatever position its head has wrapped to.
		got := j.Since(0, 0)
		want := seq(uint64(i-held+1), uint64(i))
		if !reflect.DeepEqual(ids(got), want) {
			t.Fatalf("after %d appends Since(0) = %v, want %v", i, ids(got), want)
		}
		for _, e := range got {
			if e.Path != fmt.Sprintf("/%d", e.ID) {
				t.Fatalf("entry %d carries path %s: the ring mixed up its slots", e.ID, e.Path)
			}
		}
	}
	if j.LastID() != 8 {
		t.Fatalf("LastID = %d, want 8", j.LastID())
	}
}

func TestSince(t *testing.T) {
	// Capacity 4, six appended: 1 and 2 are evicted, 3..6 are held.
	j := journal.New(journal.Config{Capacity: 4})
	fill(t, j, 6)
	for _, tc := range []struct {
		name  string
		after uint64
		limit int
		want  []uint64
	}{
		{"zero gives everything held", 0, 0, seq(3, 6)},
		{"evicted cursor gives everything held", 1, 0, seq(3, 6)},
		{"cursor just before the oldest", 2, 0, seq(3, 6)},
		{"cursor at the oldest", 3, 0, seq(4, 6)},
		{"middle cursor", 4, 0, seq(5, 6)},
		{"newest cursor gives nothing", 6, 0, seq(1, 0)},
		{"cursor from the future gives nothing", 100, 0, seq(1, 0)},
		{"limit takes the oldest first", 0, 2, seq(3, 4)},
		{"limit after a cursor", 3, 1, seq(4, 4)},
		{"limit larger than what is held", 0, 10, seq(3, 6)},
		{"negative limit means all", 0, -1, seq(3, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := j.Since(tc.after, tc.limit)
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Fatalf("Since(%d, %d) = %v, want %v", tc.after, tc.limit, ids(got), tc.want)
			}
		})
	}
}

func TestSinceReturnsCopies(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 2})
	fill(t, j, 1)
	got := j.Since(0, 0)
	got[0].Path = "/changed"
	if e, _ := j.Get(1); e.Path != "/1" {
		t.Fatalf("changing a returned entry changed the journal: %q", e.Path)
	}
}

func TestGet(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 3})
	fill(t, j, 5) // 1, 2 evicted
	for _, tc := range []struct {
		name string
		id   uint64
		ok   bool
	}{
		{"zero", 0, false},
		{"first evicted", 1, false},
		{"last evicted", 2, false},
		{"oldest held", 3, true},
		{"newest held", 5, true},
		{"not yet given", 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := j.Get(tc.id)
			if ok != tc.ok {
				t.Fatalf("Get(%d) ok = %v, want %v", tc.id, ok, tc.ok)
			}
			if ok && (e.ID != tc.id || e.Path != fmt.Sprintf("/%d", tc.id)) {
				t.Fatalf("Get(%d) = entry %d %s", tc.id, e.ID, e.Path)
			}
			if !ok && !reflect.DeepEqual(e, journal.Entry{}) {
				t.Fatalf("Get(%d) missed but returned %+v", tc.id, e)
			}
		})
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestChangedIsClosedByAppend(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 2})
	first := j.Changed()
	if closed(first) {
		t.Fatal("Changed is closed before any Append")
	}
	if again := j.Changed(); again != first {
		t.Fatal("two waiters before an Append got different channels")
	}
	j.Append(journal.Entry{})
	if !closed(first) {
		t.Fatal("Append did not close the Changed channel")
	}
	next := j.Changed()
	if closed(next) {
		t.Fatal("the channel after an Append is already closed")
	}
	// Appends with nobody waiting must not panic on a closed channel.
	j.Append(journal.Entry{})
	j.Append(journal.Entry{})
	if !closed(next) {
		t.Fatal("Append did not close the second Changed channel")
	}
}

func TestChangedWakesAWaiter(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 4})
	ch := j.Changed()
	got := make(chan []journal.Entry)
	go func() {
		<-ch
		got <- j.Since(0, 0)
	}()
	j.Append(journal.Entry{Path: "/woken"})
	if es := <-got; len(es) != 1 || es[0].Path != "/woken" {
		t.Fatalf("waiter saw %+v", es)
	}
}

func TestResetKeepsIDsCounting(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 3})
	fill(t, j, 5)
	j.Reset()
	if j.Len() != 0 || len(j.Since(0, 0)) != 0 {
		t.Fatalf("after Reset: Len %d, Since %v", j.Len(), ids(j.Since(0, 0)))
	}
	if j.LastID() != 5 {
		t.Fatalf("LastID after Reset = %d, want 5", j.LastID())
	}
	if _, ok := j.Get(5); ok {
		t.Fatal("Get finds an entry dropped by Reset")
	}
	if id := j.Append(journal.Entry{Path: "/6"}); id != 6 {
		t.Fatalf("first ID after Reset = %d, want 6", id)
	}
	// A reader's cursor from before the Reset still works.
	if got := ids(j.Since(5, 0)); !reflect.DeepEqual(got, []uint64{6}) {
		t.Fatalf("Since(5) after Reset = %v, want [6]", got)
	}
	if got := ids(j.Since(2, 0)); !reflect.DeepEqual(got, []uint64{6}) {
		t.Fatalf("Since(2) after Reset = %v, want [6]", got)
	}
	fill(t, j, 4) // wraps again after the reset: 7..10, capacity 3
	if got := ids(j.Since(0, 0)); !reflect.DeepEqual(got, seq(8, 10)) {
		t.Fatalf("after refilling Since(0) = %v, want 8..10", got)
	}
}

func TestConcurrentAppendAndRead(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 64})
	const writers, each = 4, 500
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				j.Append(journal.Entry{Method: http.MethodGet})
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var cursor uint64
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		case <-j.Changed():
		}
		for _, e := range j.Since(cursor, 0) {
			if e.ID <= cursor {
				t.Fatalf("Since(%d) returned entry %d", cursor, e.ID)
			}
			cursor = e.ID
		}
	}
	if j.LastID() != writers*each || j.Len() != 64 {
		t.Fatalf("LastID %d Len %d, want %d and 64", j.LastID(), j.Len(), writers*each)
	}
}

// m is the mask with the last four characters of s kept.
func m(s string) string { return journal.Masked + s[len(s)-4:] }

// esc is how a masked value reads in a form or query.
func esc(s string) string { return url.QueryEscape(s) }

const (
	longCode     = "code_Q2xBcmVhbGx5TG9uZ0NvZGVWYWx1ZQ1234"
	longVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	longAccess   = "at_ZmFrZUFjY2Vzc1Rva2VuRm9yVGVzdGluZw9xyz"
	longRefresh  = "rt_ZmFrZVJlZnJlc2hUb2tlbkZvclRlc3Rpbmc8abc"
	jwt          = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJwYXlhcCJ9.c2lnbmF0dXJlLXBhcnQtd9zq"
)

func TestMaskBody(t *testing.T) {
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		want        string
	}{
		{
			name:        "empty",
			contentType: "application/json",
			body:        "",
			want:        "",
		},
		{
			name:        "form token request",
			contentType: "application/x-www-form-urlencoded",
			body:        "grant_type=authorization_code&code=" + longCode + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8402%2Fcallback&code_verifier=" + longVerifier + "&client_id=payap",
			want:        "grant_type=authorization_code&code=" + esc(m(longCode)) + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8402%2Fcallback&code_verifier=" + esc(m(longVerifier)) + "&client_id=payap",
		},
		{
			name:        "form with charset",
			contentType: "application/x-www-form-urlencoded; charset=UTF-8",
			body:        "refresh_token=" + longRefresh + "&client_id=payap",
			want:        "refresh_token=" + esc(m(longRefresh)) + "&client_id=payap",
		},
		{
			name:        "form login: password fully masked, however long",
			contentType: "application/x-www-form-urlencoded",
			body:        "action=login&username=demo&password=a-very-long-password-indeed&csrf_token=" + longAccess,
			want:        "action=login&username=demo&password=" + esc(journal.Masked) + "&csrf_token=" + esc(m(longAccess)),
		},
		{
			name:        "form client secret fully masked",
			contentType: "application/x-www-form-urlencoded",
			body:        "client_id=conf&client_secret=s3cr%2Bt%25with%3Acolon-long-enough",
			want:        "client_id=conf&client_secret=" + esc(journal.Masked),
		},
		{
			name:        "form short token fully masked",
			contentType: "application/x-www-form-urlencoded",
			body:        "token=abc&token_type_hint=refresh_token",
			want:        "token=" + esc(journal.Masked) + "&token_type_hint=refresh_token",
		},
		{
			name:        "form empty and bare secrets left alone",
			contentType: "application/x-www-form-urlencoded",
			body:        "code=&code&state=x",
			want:        "code=&code&state=x",
		},
		{
			name:        "form escaped key",
			contentType: "application/x-www-form-urlencoded",
			body:        "c%6Fde=" + longCode,
			want:        "c%6Fde=" + esc(m(longCode)),
		},
		{
			name:        "json token response: key order kept, tokens keep last 4",
			contentType: "application/json",
			body:        `{"access_token":"` + longAccess + `","token_type":"Bearer","expires_in":3600,"refresh_token":"` + longRefresh + `","scope":"assets:read assets:pay"}`,
			want:        `{"access_token":"` + m(longAccess) + `","token_type":"Bearer","expires_in":3600,"refresh_token":"` + m(longRefresh) + `","scope":"assets:read assets:pay"}`,
		},
		{
			name:        "json nested objects and arrays",
			contentType: "application/json; charset=utf-8",
			body:        `{"z":1,"user":{"name":"Demo","password":"correct horse battery staple","keys":[{"api_key":"` + longAccess + `"},{"id":2}]},"list":[true,false,null,1.50],"a":"plain"}`,
			want:        `{"z":1,"user":{"name":"Demo","password":"` + journal.Masked + `","keys":[{"api_key":"` + m(longAccess) + `"},{"id":2}]},"list":[true,false,null,1.50],"a":"plain"}`,
		},
		{
			name:        "json secret key holding an object is walked, not masked whole",
			contentType: "application/json",
			body:        `{"token":{"secret":"shh"},"after":"x"}`,
			want:        `{"token":{"secret":"` + journal.Masked + `"},"after":"x"}`,
		},
		{
			name:        "json array of objects at the top",
			contentType: "application/json",
			body:        `[{"code":"` + longCode + `"},{"code":"short"}]`,
			want:        `[{"code":"` + m(longCode) + `"},{"code":"` + journal.Masked + `"}]`,
		},
		{
			name:        "json whitespace is compacted",
			contentType: "application/json",
			body:        "{\n  \"client_secret\": \"hunter2hunter2hunter2\",\n  \"id\": \"c1\"\n}\n",
			want:        `{"client_secret":"` + journal.Masked + `","id":"c1"}`,
		},
		{
			name:        "json values that look like keys are not masked",
			contentType: "application/json",
			body:        `{"field":"password","error":"invalid_token"}`,
			want:        `{"field":"password","error":"invalid_token"}`,
		},
		{
			name:        "problem+json is JSON",
			contentType: "application/problem+json",
			body:        `{"id_token":"` + jwt + `"}`,
			want:        `{"id_token":"` + m(jwt) + `"}`,
		},
		{
			name:        "json without secrets kept byte for byte",
			contentType: "application/json",
			body:        "[{\"id\":\"12345\", \"balance\":\"5000\"}]",
			want:        "[{\"id\":\"12345\", \"balance\":\"5000\"}]",
		},
		{
			name:        "invalid json kept as text",
			contentType: "application/json",
			body:        `{"code": not json at all}`,
			want:        `{"code": not json at all}`,
		},
		{
			name:        "truncated json kept as text with its secrets masked",
			contentType: "application/json",
			body:        `{"access_token":"` + longAccess + `","token_type":"Bearer","refresh_token":"` + longRefresh[:20],
			want:        `{"access_token":"` + m(longAccess) + `","token_type":"Bearer","refresh_token":"` + m(longRefresh[:20]),
		},
		{
			name:        "truncated json with a password cut short",
			contentType: "application/json",
			body:        `{"username":"demo", "password" : "payap-de`,
			want:        `{"username":"demo", "password" : "` + journal.Masked,
		},
		{
			name:        "other content types kept as they are",
			contentType: "text/plain",
			body:        "password=hunter2",
			want:        "password=hunter2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := journal.MaskBody(tc.contentType, []byte(tc.body))
			if got != tc.want {
				t.Fatalf("MaskBody(%q)\n got: %s\nwant: %s", tc.contentType, got, tc.want)
			}
		})
	}
}

func TestMaskQuery(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no secrets", "page=2&sort=asc", "page=2&sort=asc"},
		{"callback", "code=" + longCode + "&state=st-123&iss=http%3A%2F%2F127.0.0.1%3A8401", "code=" + esc(m(longCode)) + "&state=st-123&iss=http%3A%2F%2F127.0.0.1%3A8401"},
		{"token in query", "access_token=" + longAccess + "&x=1", "access_token=" + esc(m(longAccess)) + "&x=1"},
		{"upper-case key", "API_KEY=" + longAccess, "API_KEY=" + esc(m(longAccess))},
		{"error redirect untouched", "error=access_denied&error_description=the+user+denied+the+request&state=s", "error=access_denied&error_description=the+user+denied+the+request&state=s"},
		{"keys that only contain a secret word", "code_challenge=abc&code_challenge_method=S256", "code_challenge=abc&code_challenge_method=S256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := journal.MaskQuery(tc.in); got != tc.want {
				t.Fatalf("MaskQuery(%q)\n got: %s\nwant: %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{"nil", nil, nil},
		{"empty", http.Header{}, nil},
		{"bearer keeps last 4", http.Header{"Authorization": {"Bearer " + longAccess}}, http.Header{"Authorization": {"Bearer " + m(longAccess)}}},
		{"bearer short token", http.Header{"Authorization": {"Bearer abc"}}, http.Header{"Authorization": {"Bearer " + journal.Masked}}},
		{"basic fully masked", http.Header{"Authorization": {"Basic Y29uZi1iYXNpYzpzM2NyK3QlJTNBd2l0aA=="}}, http.Header{"Authorization": {"Basic " + journal.Masked}}},
		{"basic in lower case", http.Header{"Authorization": {"basic Y29uZjpzZWNyZXQ="}}, http.Header{"Authorization": {"basic " + journal.Masked}}},
		{"bare jwt", http.Header{"Authorization": {jwt}}, http.Header{"Authorization": {m(jwt)}}},
		{"proxy authorization", http.Header{"Proxy-Authorization": {"Bearer " + longRefresh}}, http.Header{"Proxy-Authorization": {"Bearer " + m(longRefresh)}}},
		{"cookie", http.Header{"Cookie": {"payap_sandbox_provider_session=abc; other=1"}}, http.Header{"Cookie": {journal.Masked}}},
		{"set-cookie each value", http.Header{"Set-Cookie": {"a=1; Path=/", "b=2"}}, http.Header{"Set-Cookie": {journal.Masked, journal.Masked}}},
		{"api key", http.Header{"X-Api-Key": {"k"}}, http.Header{"X-Api-Key": {journal.Masked}}},
		{"location with code", http.Header{"Location": {"http://127.0.0.1:8402/callback?code=" + longCode + "&state=s&iss=http%3A%2F%2F127.0.0.1%3A8401"}},
			http.Header{"Location": {"http://127.0.0.1:8402/callback?code=" + esc(m(longCode)) + "&state=s&iss=http%3A%2F%2F127.0.0.1%3A8401"}}},
		{"location without query", http.Header{"Location": {"/authorize"}}, http.Header{"Location": {"/authorize"}}},
		{"others copied", http.Header{"Content-Type": {"application/json"}, "Accept": {"a", "b"}}, http.Header{"Content-Type": {"application/json"}, "Accept": {"a", "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := journal.MaskHeaders(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("MaskHeaders(%v)\n got: %v\nwant: %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskHeadersCopies(t *testing.T) {
	in := http.Header{"Accept": {"a"}}
	out := journal.MaskHeaders(in)
	in["Accept"][0] = "changed"
	in.Set("X-New", "1")
	if out.Get("Accept") != "a" || out.Get("X-New") != "" {
		t.Fatalf("the masked copy shares storage with the original: %v", out)
	}
}

func TestMaskValue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        string
		keepTail bool
		want     string
	}{
		{"empty stays empty", "", true, ""},
		{"short is fully masked", "0123456789abcde", true, journal.Masked},
		{"sixteen keeps the tail", "0123456789abcdef", true, journal.Masked + "cdef"},
		{"no tail when asked", "0123456789abcdef", false, journal.Masked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := journal.MaskValue(tc.v, tc.keepTail); got != tc.want {
				t.Fatalf("MaskValue(%q, %v) = %q, want %q", tc.v, tc.keepTail, got, tc.want)
			}
		})
	}
}

// at is the sandbox time the middleware tests stamp entries with.
var at = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// serve runs one request through the middleware in-process and returns the
// stored entry and the response the client got.
func serve(t *testing.T, cfg journal.Config, h http.Handler, req *http.Request) (journal.Entry, *httptest.ResponseRecorder) {
	t.Helper()
	j := journal.New(cfg)
	var observed []journal.Entry
	mw := j.Middleware("provider", func() time.Time { return at }, func(e journal.Entry) { observed = append(observed, e) })
	rec := httptest.NewRecorder()
	mw(h).ServeHTTP(rec, req)
	es := j.Since(0, 0)
	if len(es) != 1 {
		t.Fatalf("journal holds %d entries, want 1", len(es))
	}
	if len(observed) != 1 || !reflect.DeepEqual(observed[0], es[0]) {
		t.Fatalf("observe saw %+v, want the stored entry %+v", observed, es[0])
	}
	return es[0], rec
}

func TestMiddleware(t *testing.T) {
	small := journal.Config{Capacity: 4, MaxBodyBytes: 8}
	for _, tc := range []struct {
		name    string
		cfg     journal.Config
		req     func() *http.Request
		handler http.HandlerFunc
		check   func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder)
	}{
		{
			name: "handler writes nothing: 200",
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/nothing", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.Status != http.StatusOK || rec.Code != http.StatusOK {
					t.Errorf("status recorded %d, sent %d; want 200", e.Status, rec.Code)
				}
				if e.ResponseBody != "" || e.RequestBody != "" || e.BodyTruncated {
					t.Errorf("bodies %q %q truncated %v, want none", e.RequestBody, e.ResponseBody, e.BodyTruncated)
				}
			},
		},
		{
			name: "explicit status",
			req:  func() *http.Request { return httptest.NewRequest(http.MethodPost, "/x", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.Status != http.StatusCreated {
					t.Errorf("status %d, want 201", e.Status)
				}
			},
		},
		{
			name: "first status wins",
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/x", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
				w.WriteHeader(http.StatusInternalServerError)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.Status != http.StatusTeapot {
					t.Errorf("status %d, want 418", e.Status)
				}
			},
		},
		{
			name: "write without WriteHeader is 200",
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/x", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "hi")
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.Status != http.StatusOK || e.ResponseBody != "hi" {
					t.Errorf("status %d body %q, want 200 hi", e.Status, e.ResponseBody)
				}
			},
		},
		{
			name: "entry fields",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/assets/12345?page=2", nil)
				r.Header.Set("Accept", "application/json")
				return r
			},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				want := journal.Entry{
					ID: 1, Time: at, Service: "provider", Method: http.MethodGet, Path: "/assets/12345", Query: "page=2",
					Status: http.StatusNotFound, Latency: e.Latency,
					RequestHeaders:  http.Header{"Accept": {"application/json"}},
					ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
				}
				if !reflect.DeepEqual(e, want) {
					t.Errorf("entry\n got: %+v\nwant: %+v", e, want)
				}
				if e.Latency < 0 {
					t.Errorf("latency %s", e.Latency)
				}
			},
		},
		{
			name: "request body kept only as far as the handler read it",
			cfg:  journal.Config{MaxBodyBytes: 100},
			req: func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("0123456789abcdef"))
			},
			handler: func(w http.ResponseWriter, r *http.Request) {
				buf := make([]byte, 6)
				_, _ = io.ReadFull(r.Body, buf)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.RequestBody != "012345" || e.BodyTruncated {
					t.Errorf("request body %q truncated %v, want 012345 and not truncated", e.RequestBody, e.BodyTruncated)
				}
			},
		},
		{
			name: "request body not read: nothing kept",
			req: func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("unread"))
			},
			handler: func(w http.ResponseWriter, r *http.Request) {},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.RequestBody != "" {
					t.Errorf("request body %q, want none", e.RequestBody)
				}
			},
		},
		{
			name: "request body truncated at MaxBodyBytes, handler still reads it all",
			cfg:  small,
			req: func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("0123456789abcdef"))
			},
			handler: func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				_, _ = w.Write([]byte(fmt.Sprint(len(b))))
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.RequestBody != "01234567" || !e.BodyTruncated {
					t.Errorf("request body %q truncated %v, want 01234567 and truncated", e.RequestBody, e.BodyTruncated)
				}
				if rec.Body.String() != "16" {
					t.Errorf("handler read %s bytes, want 16", rec.Body.String())
				}
			},
		},
		{
			name: "response body truncated at MaxBodyBytes, client gets it all",
			cfg:  small,
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/x", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "hello ")
				_, _ = io.WriteString(w, "world, ")
				_, _ = io.WriteString(w, "again")
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.ResponseBody != "hello wo" || !e.BodyTruncated {
					t.Errorf("response body %q truncated %v, want %q and truncated", e.ResponseBody, e.BodyTruncated, "hello wo")
				}
				if rec.Body.String() != "hello world, again" {
					t.Errorf("client got %q", rec.Body.String())
				}
			},
		},
		{
			name: "response body exactly MaxBodyBytes is not truncated",
			cfg:  small,
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/x", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "12345678")
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if e.ResponseBody != "12345678" || e.BodyTruncated {
					t.Errorf("response body %q truncated %v", e.ResponseBody, e.BodyTruncated)
				}
			},
		},
		{
			name: "secrets masked in the stored entry, not on the wire",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/token?access_token="+longAccess,
					strings.NewReader("grant_type=authorization_code&code="+longCode+"&code_verifier="+longVerifier))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Authorization", "Basic Y29uZjpzZWNyZXQ=")
				r.Header.Set("Cookie", "payap_sandbox_provider_session=sess")
				return r
			},
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Set-Cookie", "payap_sandbox_provider_session=sess2")
				w.Header().Set("Location", "http://127.0.0.1:1/cb?code="+longCode+"&state=s")
				_, _ = io.WriteString(w, `{"access_token":"`+longAccess+`","refresh_token":"`+longRefresh+`"}`)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				want := journal.Entry{
					ID: 1, Time: at, Service: "provider", Method: http.MethodPost, Path: "/token",
					Query:  "access_token=" + esc(m(longAccess)),
					Status: http.StatusOK, Latency: e.Latency,
					RequestHeaders: http.Header{
						"Content-Type":  {"application/x-www-form-urlencoded"},
						"Authorization": {"Basic " + journal.Masked},
						"Cookie":        {journal.Masked},
					},
					RequestBody: "grant_type=authorization_code&code=" + esc(m(longCode)) + "&code_verifier=" + esc(m(longVerifier)),
					ResponseHeaders: http.Header{
						"Content-Type": {"application/json"},
						"Set-Cookie":   {journal.Masked},
						"Location":     {"http://127.0.0.1:1/cb?code=" + esc(m(longCode)) + "&state=s"},
					},
					ResponseBody: `{"access_token":"` + m(longAccess) + `","refresh_token":"` + m(longRefresh) + `"}`,
				}
				if !reflect.DeepEqual(e, want) {
					t.Errorf("entry\n got: %+v\nwant: %+v", e, want)
				}
				if !strings.Contains(rec.Body.String(), longAccess) || rec.Header().Get("Set-Cookie") != "payap_sandbox_provider_session=sess2" {
					t.Errorf("the client got a masked response: %q %v", rec.Body.String(), rec.Header())
				}
			},
		},
		{
			name: "secrets masked in a truncated JSON response",
			cfg:  journal.Config{MaxBodyBytes: 40},
			req:  func() *http.Request { return httptest.NewRequest(http.MethodPost, "/token", nil) },
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"access_token":"`+longAccess+`","refresh_token":"`+longRefresh+`"}`)
			},
			check: func(t *testing.T, e journal.Entry, rec *httptest.ResponseRecorder) {
				if !e.BodyTruncated {
					t.Fatalf("body %q not truncated", e.ResponseBody)
				}
				if strings.Contains(e.ResponseBody, longAccess[:20]) || strings.Contains(e.ResponseBody, longRefresh[:8]) {
					t.Errorf("a token is kept in the clear: %s", e.ResponseBody)
				}
				if !strings.HasPrefix(e.ResponseBody, `{"access_token":"`+journal.Masked) {
					t.Errorf("response body %q, want the text kept with the token masked", e.ResponseBody)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg == (journal.Config{}) {
				cfg = journal.DefaultConfig()
			}
			e, rec := serve(t, cfg, tc.handler, tc.req())
			tc.check(t, e, rec)
		})
	}
}

// TestMiddlewareOverLoopback runs the middleware in a real server: the
// request body is whatever the handler read off the connection.
func TestMiddlewareOverLoopback(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 8, MaxBodyBytes: 1024})
	h := j.Middleware("provider", func() time.Time { return at }, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"user":%q,"password":%q}`, r.PostForm.Get("username"), r.PostForm.Get("password"))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().PostForm(srv.URL+"/login", url.Values{"username": {"demo"}, "password": {"payap-demo"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"user":"demo","password":"payap-demo"}` {
		t.Fatalf("client got %d %s", resp.StatusCode, body)
	}
	es := j.Since(0, 0)
	if len(es) != 1 {
		t.Fatalf("journal holds %d entries", len(es))
	}
	e := es[0]
	if e.RequestBody != "password="+esc(journal.Masked)+"&username=demo" {
		t.Errorf("request body %q", e.RequestBody)
	}
	if e.ResponseBody != `{"user":"demo","password":"`+journal.Masked+`"}` {
		t.Errorf("response body %q", e.ResponseBody)
	}
	if e.Status != http.StatusOK || e.Method != http.MethodPost || e.Path != "/login" {
		t.Errorf("entry %+v", e)
	}
}

func TestMiddlewareRecordsAPanicAs500(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 4, MaxBodyBytes: 64})
	h := j.Middleware("svc", time.Now, nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	}()
	got := j.Since(0, 0)
	if len(got) != 1 || got[0].Status != http.StatusInternalServerError {
		t.Fatalf("journal = %+v, want one entry with status 500", got)
	}
}

// wrapping is a writer an inner middleware puts around the journal's, with
// the Unwrap method http.ResponseController also relies on.
type wrapping struct{ http.ResponseWriter }

func (w wrapping) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestSetFault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
		found   bool
	}{
		{
			name:    "no fault leaves the field empty",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		},
		{
			name: "named on the journal's own writer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if !journal.SetFault(w, "flaky-token") {
					t.Error("SetFault found no journal")
				}
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			want: "flaky-token",
		},
		{
			name: "named through a wrapping writer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if !journal.SetFault(wrapping{wrapping{w}}, "slow-pay") {
					t.Error("SetFault did not unwrap to the journal")
				}
			},
			want: "slow-pay",
		},
		{
			name: "the last name wins",
			handler: func(w http.ResponseWriter, r *http.Request) {
				journal.SetFault(w, "first")
				journal.SetFault(w, "second")
			},
			want: "second",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := serve(t, journal.DefaultConfig(), tc.handler, httptest.NewRequest(http.MethodPost, "/token", nil))
			if e.Fault != tc.want {
				t.Fatalf("Entry.Fault = %q, want %q", e.Fault, tc.want)
			}
		})
	}
	t.Run("without a journal", func(t *testing.T) {
		if journal.SetFault(wrapping{httptest.NewRecorder()}, "lost") {
			t.Fatal("SetFault reported a journal where there is none")
		}
	})
}
