package faults_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payap/payap-sandbox/internal/faults"
)

func TestHookRunsWithParamsAndMayCallTheService(t *testing.T) {
	e := faults.New(1, nil)
	var got map[string]string
	e.Handle("expireGrant", func(w http.ResponseWriter, r *http.Request, next http.Handler, params map[string]string) {
		got = params
		w.Header().Set("X-Hooked", "yes")
		next.ServeHTTP(w, r)
	})
	MustSet(t, e, faults.Rule{Name: "expire", Match: faults.Match{Path: "/assets/{id}"},
		When: faults.Trigger{Nth: []int{2}}, Do: faults.Action{Hook: "expireGrant", Params: map[string]string{"user": "demo"}}})
	h := e.Middleware("provider")(assetHandler())
	first := serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil))
	second := serve(h, httptest.NewRequest(http.MethodGet, "/assets/1", nil))
	if first.Header().Get("X-Hooked") != "" || second.Header().Get("X-Hooked") != "yes" || second.Code != http.StatusOK {
		t.Fatalf("hook ran on the wrong call: first %v, second %v %d", first.Header(), second.Header(), second.Code)
	}
	if got["user"] != "demo" {
		t.Fatalf("params = %v", got)
	}
	if st := e.Rules()[0]; st.Fired != 1 || st.Matched != 2 {
		t.Fatalf("counts = %+v", st)
	}
}

func TestHookValidation(t *testing.T) {
	e := faults.New(1, nil)
	e.Handle("payResult", func(http.ResponseWriter, *http.Request, http.Handler, map[string]string) {})
	tests := []struct {
		name string
		do   faults.Action
		want string
	}{
		{"unknown hook", faults.Action{Hook: "nope"}, `do.hook: "nope" is not a registered action; use one of payResult`},
		{"hook and status", faults.Action{Hook: "payResult", Status: 500}, "status and hook are separate actions"},
		{"params without hook", faults.Action{Status: 500, Params: map[string]string{"a": "b"}}, "do.params: params go with a hook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.Set([]faults.Rule{{Name: "x", Do: tt.do}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Set error = %v, want it to contain %q", err, tt.want)
			}
			if _, err := e.Add(faults.Rule{Name: "y", Do: tt.do}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTransportFaultsOutboundRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true,"padding":"0123456789"}`)
	}))
	defer srv.Close()
	tests := []struct {
		name  string
		do    faults.Action
		check func(t *testing.T, resp *http.Response, err error)
	}{
		{"status", faults.Action{Status: 503}, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 503 {
				t.Fatalf("got %v %v, want 503", resp, err)
			}
		}},
		{"retry after", faults.Action{RetryAfter: 7}, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
				t.Fatalf("got %v %v, want 429 with Retry-After 7", resp, err)
			}
		}},
		{"drop", faults.Action{Drop: true}, func(t *testing.T, resp *http.Response, err error) {
			if !errors.Is(err, faults.ErrDropped) {
				t.Fatalf("err = %v, want ErrDropped", err)
			}
		}},
		{"malformed", faults.Action{Malformed: true}, func(t *testing.T, resp *http.Response, err error) {
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.HasSuffix(string(b), "<malformed by the sandbox>") {
				t.Fatalf("body = %q", b)
			}
		}},
		{"truncate", faults.Action{Truncate: 5}, func(t *testing.T, resp *http.Response, err error) {
			if err != nil {
				t.Fatal(err)
			}
			b, rerr := io.ReadAll(resp.Body)
			if string(b) != `{"ok"` || !errors.Is(rerr, io.ErrUnexpectedEOF) {
				t.Fatalf("body = %q, err %v", b, rerr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := faults.New(1, nil)
			c := &http.Client{Transport: e.Transport("centrapay.webhooks", nil)}
			MustSet(t, e, faults.Rule{Name: "hook", Service: "centrapay.webhooks", Match: faults.Match{Method: http.MethodPost, Path: "/hooks"}, Do: tt.do})
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/hooks", strings.NewReader(`{}`))
			resp, err := c.Do(req)
			tt.check(t, resp, err)
			if resp != nil {
				resp.Body.Close()
			}
			// Other paths go through untouched.
			resp, err = c.Post(srv.URL+"/other", "application/json", strings.NewReader(`{}`))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("unmatched request: %v %v", resp, err)
			}
			resp.Body.Close()
		})
	}
}

func TestPathMatcher(t *testing.T) {
	m, err := faults.PathMatcher("/assets/{id}")
	if err != nil || !m("/assets/1") || m("/assets") || m("/assets/1/x") {
		t.Fatalf("PathMatcher(/assets/{id}) wrong: %v", err)
	}
	if _, err := faults.PathMatcher("assets"); err == nil {
		t.Fatal("a template without a leading slash was accepted")
	}
}
