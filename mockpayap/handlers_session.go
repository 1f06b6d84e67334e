package mockpayap

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// handleIndex points a person at the API description.
func (p *payap) handleIndex(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{
		"service":  "Payap Sandbox mock Payap",
		"openapi":  p.cfg.PublicURL + "/openapi.json",
		"jwks":     p.cfg.PublicURL + "/.well-known/jwks.json",
		"callback": p.cfg.PublicURL + "/callback",
	})
}

// handleSignIn is POST /api/sessions: e-mail and password for a session token.
func (p *payap) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	for _, f := range []struct{ name, v string }{{"email", req.Email}, {"password", req.Password}} {
		if e := required(f.name, f.v); e != nil {
			writeError(w, e)
			return
		}
	}
	u, ok := p.store.UserByEmail(strings.TrimSpace(strings.ToLower(req.Email)))
	if !ok || subtle.ConstantTimeCompare([]byte(req.Password), []byte(u.Password)) != 1 {
		writeError(w, newError(http.StatusUnauthorized, "invalid_credentials", "wrong e-mail or password; the demo login is "+DemoEmail+" / "+DemoPassword))
		return
	}
	token := randomValue("ps_")
	now := p.clock.Now()
	expires := now.Add(p.cfg.SessionTTL)
	p.store.CreateSession(hashOf(token), u.ID, now, expires)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, sessionResponse{Token: token, ExpiresAt: expires, User: u})
}

func (p *payap) handleGetSession(w http.ResponseWriter, r *http.Request, u User) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (p *payap) handleSignOut(w http.ResponseWriter, r *http.Request, u User) {
	if token, ok := bearer(r); ok {
		p.store.DeleteSession(hashOf(token))
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionUser resolves the signed-in user of a request.
func (p *payap) sessionUser(r *http.Request) (User, bool) {
	token, ok := bearer(r)
	if !ok {
		return User{}, false
	}
	id, ok := p.store.Session(hashOf(token), p.clock.Now())
	if !ok {
		return User{}, false
	}
	return p.store.User(id)
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
