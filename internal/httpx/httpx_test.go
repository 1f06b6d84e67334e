package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDispatch(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Method)) })
	var notAllowedCalls int
	h := Dispatch(Methods{http.MethodGet: ok, http.MethodPost: ok}, func(w http.ResponseWriter, r *http.Request, allow string) {
		notAllowedCalls++
		w.WriteHeader(http.StatusMethodNotAllowed)
	})
	for _, tc := range []struct {
		name, method string
		status       int
		allow        string
	}{
		{"GET is served", http.MethodGet, http.StatusOK, ""},
		{"POST is served", http.MethodPost, http.StatusOK, ""},
		{"HEAD falls back to GET", http.MethodHead, http.StatusOK, ""},
		{"DELETE is refused with Allow", http.MethodDelete, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/", nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("Allow"); got != tc.allow {
				t.Fatalf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
	if notAllowedCalls != 1 {
		t.Fatalf("notAllowed called %d times, want 1", notAllowedCalls)
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]string{"a": "b"})
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != `{"a":"b"}` {
		t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, func() {})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("unencodable value: status %d, want 500", rec.Code)
	}
}
