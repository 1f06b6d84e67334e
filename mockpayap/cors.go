package mockpayap

import (
	"net/http"
	"strings"
)

// cors lets front ends on other origins (a dev server on localhost:5173,
// say) call the app API. Preflight requests are answered here; allowed
// origins are echoed with Vary: Origin. Credentials are bearer tokens, never
// cookies, so Access-Control-Allow-Credentials is not sent.
func (p *payap) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer varies by Origin, so no shared cache hands one
		// origin's answer to another.
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		allowed := originAllowed(p.cfg.CORSOrigins, origin)
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				writeError(w, newError(http.StatusForbidden, "origin_not_allowed",
					"origin "+origin+" may not call this API; add it to payap.cors_origins"))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed matches an Origin against the configured list: exact, "*",
// or a pattern whose port is "*" (http://localhost:*).
func originAllowed(patterns []string, origin string) bool {
	for _, p := range patterns {
		switch {
		case p == "*" || p == origin:
			return true
		case strings.HasSuffix(p, ":*"):
			prefix := strings.TrimSuffix(p, "*")
			if port, ok := strings.CutPrefix(origin, prefix); ok && port != "" && strings.Trim(port, "0123456789") == "" {
				return true
			}
		}
	}
	return false
}
