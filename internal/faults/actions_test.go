package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/payap/payap-sandbox/internal/faults"
)

// answerCheck checks one in-process answer.
type answerCheck func(t *testing.T, rec *httptest.ResponseRecorder)

func hasStatus(want int) answerCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code != want {
			t.Errorf("status %d, want %d", rec.Code, want)
		}
	}
}

func hasHeader(name, want string) answerCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		if got := rec.Header().Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func hasBody(want string) answerCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		if got := rec.Body.String(); got != want {
			t.Errorf("body %q, want %q", got, want)
		}
	}
}

func hasJSON(want map[string]string) answerCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		var got map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q (body %s)", k, got[k], v, rec.Body)
			}
		}
	}
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		do     faults.Action
		checks []answerCheck
	}{
		{
			name:   "status alone",
			do:     faults.Action{Status: 500},
			checks: []answerCheck{hasStatus(500), hasBody(""), hasHeader("Content-Type", "")},
		},
		{
			name: "status with a JSON body",
			do:   faults.Action{Status: 503, Body: []byte(`{"error":"temporarily_unavailable"}`)},
			checks: []answerCheck{hasStatus(503), hasBody(`{"error":"temporarily_unavailable"}`),
				hasHeader("Content-Type", "application/json"), hasHeader("Content-Length", "35")},
		},
		{
			name:   "status with a text body",
			do:     faults.Action{Status: 502, Body: []byte("Bad Gateway")},
			checks: []answerCheck{hasStatus(502), hasBody("Bad Gateway"), hasHeader("Content-Type", "text/plain; charset=utf-8")},
		},
		{
			name: "status with headers",
			do: faults.Action{Status: 402, Body: []byte(`<p>pay</p>`),
				Headers: map[string]string{"content-type": "text/html", "X-Request-Id": "abc"}},
			checks: []answerCheck{hasStatus(402), hasHeader("Content-Type", "text/html"), hasHeader("X-Request-Id", "abc"), hasBody(`<p>pay</p>`)},
		},
		{
			name: "429 with the default body",
			do:   faults.Action{RetryAfter: 30},
			checks: []answerCheck{hasStatus(429), hasHeader("Retry-After", "30"), hasHeader("Content-Type", "application/json"),
				hasJSON(map[string]string{"error": "too_many_requests"})},
		},
		{
			name: "429 in the service's shape",
			do: faults.Action{RetryAfter: 5, Body: []byte(`{"statusCode":429,"error":"Too Many Requests","message":"slow down"}`),
				Headers: map[string]string{"X-RateLimit-Remaining": "0"}},
			checks: []answerCheck{hasStatus(429), hasHeader("Retry-After", "5"), hasHeader("X-RateLimit-Remaining", "0"),
				hasBody(`{"statusCode":429,"error":"Too Many Requests","message":"slow down"}`)},
		},
		{
			name: "oauth invalid_grant",
			do:   faults.Action{OAuthError: "invalid_grant"},
			checks: []answerCheck{hasStatus(400), hasHeader("Cache-Control", "no-store"), hasHeader("Pragma", "no-cache"),
				hasHeader("Content-Type", "application/json"), hasHeader("WWW-Authenticate", ""),
				hasBody(`{"error":"invalid_grant","error_description":"injected by the sandbox"}`)},
		},
		{
			name: "oauth invalid_client",
			do:   faults.Action{OAuthError: "invalid_client"},
			checks: []answerCheck{hasStatus(401), hasHeader("Cache-Control", "no-store"),
				hasHeader("WWW-Authenticate", `Basic realm="payap-sandbox", charset="UTF-8"`),
				hasJSON(map[string]string{"error": "invalid_client", "error_description": "injected by the sandbox"})},
		},
		{
			name: "oauth invalid_token",
			do:   faults.Action{OAuthError: "invalid_token"},
			checks: []answerCheck{hasStatus(401),
				hasHeader("WWW-Authenticate", `Bearer realm="payap-sandbox", error="invalid_token", error_description="injected by the sandbox"`),
				hasJSON(map[string]string{"error": "invalid_token"})},
		},
		{
			name:   "oauth insufficient_scope",
			do:     faults.Action{OAuthError: "insufficient_scope"},
			checks: []answerCheck{hasStatus(403), hasJSON(map[string]string{"error": "insufficient_scope"})},
		},
		{
			name:   "oauth temporarily_unavailable",
			do:     faults.Action{OAuthError: "temporarily_unavailable"},
			checks: []answerCheck{hasStatus(503), hasHeader("Cache-Control", "no-store"), hasJSON(map[string]string{"error": "temporarily_unavailable"})},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Do: tc.do})
			called := false
			h := e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
			rec := serve(h, httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=refresh_token")))
			if called {
				t.Error("the service answered too")
			}
			for _, check := range tc.checks {
				check(t, rec)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		headers map[string]string
	}{
		{"object", 200, string(assetJSON), map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}},
		{"error status kept", 402, `{"status":"failed","failureReason":"INSUFFICIENT_ASSET_VALUE"}`, map[string]string{"Content-Type": "application/json"}},
		{"array", 200, `[{"id":"1"},{"id":"2"}]`, nil},
		{"short number", 200, `7`, nil},
		{"string ending in a backslash escape", 200, `"a\\b"`, nil},
		{"empty body", 200, ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "spoil", Do: faults.Action{Malformed: true}})
			h := e.Middleware("provider")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(tc.body)))
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			rec := serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil))
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			for k, v := range tc.headers {
				if rec.Header().Get(k) != v {
					t.Errorf("%s: %q, want %q", k, rec.Header().Get(k), v)
				}
			}
			got := rec.Body.Bytes()
			if json.Valid(got) {
				t.Fatalf("body %q is valid JSON", got)
			}
			if !bytes.HasPrefix([]byte(tc.body), got[:len(tc.body)/2]) {
				t.Errorf("body %q does not start with the first half of %q", got, tc.body)
			}
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(got)) {
				t.Errorf("Content-Length %s for a %d-byte body", cl, len(got))
			}
		})
	}
}

// loopback serves h on 127.0.0.1 until the test ends.
func loopback(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// freshClient uses a new connection for each request, so that the client
// never retries a request on a connection the fault closed.
func freshClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestDropOverLoopback(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  func(url string) *http.Request
	}{
		{"GET", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, url+"/assets/1", nil)
			return r
		}},
		{"POST with a body", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url+"/pay", strings.NewReader(`{"amount":"1200"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "drop", Do: faults.Action{Drop: true}})
			called := make(chan struct{}, 1)
			srv := loopback(t, e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called <- struct{}{} })))
			resp, err := freshClient(t).Do(tc.req(srv.URL))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("the client got %d, want the connection dropped", resp.StatusCode)
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("client error %v, want EOF or reset", err)
			}
			select {
			case <-called:
				t.Fatal("the service answered")
			default:
			}
		})
	}
}

// signal wraps h and reports on arrived when a request reaches it and on
// left when h has returned.
func signal(h http.Handler, arrived, left chan<- struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		defer func() { left <- struct{}{} }()
		h.ServeHTTP(w, r)
	})
}

func TestHangOverLoopback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		body   string
		// end makes the hang end: the client gives up, or the engine closes.
		end     func(cancel context.CancelFunc, e *faults.Engine)
		wantErr func(err error) bool
	}{
		{
			name: "until the client gives up", method: http.MethodGet,
			end:     func(cancel context.CancelFunc, _ *faults.Engine) { cancel() },
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name: "until a client with a body gives up", method: http.MethodPost, body: `{"amount":"1200"}`,
			end:     func(cancel context.CancelFunc, _ *faults.Engine) { cancel() },
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name: "until the engine closes", method: http.MethodGet,
			end:     func(_ context.CancelFunc, e *faults.Engine) { e.Close() },
			wantErr: func(err error) bool { return errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "hang", Do: faults.Action{Hang: true}})
			arrived, left := make(chan struct{}, 1), make(chan struct{}, 1)
			called := false
			srv := loopback(t, signal(e.Middleware("provider")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })), arrived, left))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/pay", body)
			errc := make(chan error, 1)
			go func() {
				resp, err := freshClient(t).Do(req)
				if err == nil {
					resp.Body.Close()
					err = errors.New("answered " + resp.Status)
				}
				errc <- err
			}()
			<-arrived
			select {
			case err := <-errc:
				t.Fatalf("the client returned before the hang ended: %v", err)
			case <-left:
				t.Fatal("the server let go before the hang ended")
			default:
			}
			tc.end(cancel, e)
			if err := <-errc; !tc.wantErr(err) {
				t.Fatalf("client error %v", err)
			}
			<-left // the handler returns: nothing outlives the hang
			if called {
				t.Fatal("the service answered")
			}
		})
	}
}

func TestTruncateOverLoopback(t *testing.T) {
	big := `{"items":[` + strings.Repeat(`{"id":"12345","balance":"5000"},`, 40) + `{"id":"last"}]}`
	for _, tc := range []struct {
		name     string
		truncate int
		body     string
		chunked  bool
		wantRead int
		wantErr  error
	}{
		{name: "cut after 10 bytes", truncate: 10, body: big, wantRead: 10, wantErr: io.ErrUnexpectedEOF},
		{name: "a chunked answer is cut too", truncate: 100, body: big, chunked: true, wantRead: 100, wantErr: io.ErrUnexpectedEOF},
		{name: "a body no longer than the cut goes whole", truncate: 1000, body: string(assetJSON), wantRead: len(assetJSON)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := faults.New(1, nil)
			MustSet(t, e, faults.Rule{Name: "cut", Do: faults.Action{Truncate: tc.truncate}})
			srv := loopback(t, e.Middleware("provider")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !tc.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(tc.body)))
				}
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, tc.body)
				if tc.chunked {
					_ = http.NewResponseController(w).Flush() // refused: the fault holds the answer
				}
			})))
			resp, err := freshClient(t).Get(srv.URL + "/assets")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("status %d, Content-Type %q: the service's status and headers must go through", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp.ContentLength != int64(len(tc.body)) {
				t.Errorf("Content-Length %d, want the full %d", resp.ContentLength, len(tc.body))
			}
			if len(got) != tc.wantRead || !strings.HasPrefix(tc.body, string(got)) {
				t.Errorf("read %d bytes %q, want the first %d", len(got), got, tc.wantRead)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("read error %v, want %v", err, tc.wantErr)
			}
		})
	}
}
