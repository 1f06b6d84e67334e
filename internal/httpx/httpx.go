// Package httpx holds the small HTTP helpers the three mocks share: JSON
// writing, per-path method dispatch with a proper 405, and body caps.
package httpx

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error can get here; never leak it.
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Methods maps HTTP methods to the handler that serves them on one path.
type Methods map[string]http.Handler

// Dispatch returns a handler that serves each method with its handler and
// answers any other with 405 and an Allow header, written by notAllowed in the
// service's own error shape. HEAD is served by GET when GET is listed.
func Dispatch(m Methods, notAllowed func(w http.ResponseWriter, r *http.Request, allow string)) http.Handler {
	names := make([]string, 0, len(m)+1)
	for k := range m {
		names = append(names, k)
	}
	if _, ok := m[http.MethodGet]; ok {
		if _, ok := m[http.MethodHead]; !ok {
			names = append(names, http.MethodHead)
		}
	}
	sort.Strings(names)
	allow := strings.Join(names, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := m[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = m[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", allow)
			notAllowed(w, r, allow)
			return
		}
		h.ServeHTTP(w, r)
	})
}
