package mockprovider

import (
	"sync"
	"time"
)

// pendingTTL is how long a user has to sign in and consent.
const pendingTTL = 15 * time.Minute

// sessionTTL is how long the provider remembers a signed-in browser.
const sessionTTL = 12 * time.Hour

// maxPending and maxSessions bound the login state a flood of requests can
// create; past them the oldest entries are dropped first.
const (
	maxPending  = 10_000
	maxSessions = 10_000
)

// authzRequest is a validated authorization request, kept server-side while
// the user signs in and consents, so no hidden form field can change it (D31).
type authzRequest struct {
	ID          string
	SessionID   string
	CSRF        string
	ClientID    string
	RedirectURI string // as the client sent it; "" when omitted
	Target      string // where to send the browser
	State       string
	Scope       Scopes
	Challenge   string
	ExpiresAt   time.Time
}

type session struct {
	ID        string
	UserID    string
	ExpiresAt time.Time
}

// sessions holds browser sessions and pending authorization requests.
type sessions struct {
	mu       sync.Mutex
	pending  map[string]*authzRequest
	sessions map[string]*session
}

func newSessions() *sessions {
	return &sessions{pending: map[string]*authzRequest{}, sessions: map[string]*session{}}
}

// session returns the live session with this id, or a new one.
func (s *sessions) session(id string, now time.Time) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[id]; ok && now.Before(sess.ExpiresAt) {
		return sess
	}
	if len(s.sessions) >= maxSessions {
		evict(s.sessions, now, func(x *session) time.Time { return x.ExpiresAt })
	}
	sess := &session{ID: randomToken("sess_"), ExpiresAt: now.Add(sessionTTL)}
	s.sessions[sess.ID] = sess
	return sess
}

// lookupSession returns the live session with this id.
func (s *sessions) lookupSession(id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || !now.Before(sess.ExpiresAt) {
		return session{}, false
	}
	return *sess, true
}

// setUser signs a session in (or out, with "").
func (s *sessions) setUser(id, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[id]; ok {
		sess.UserID = userID
	}
}

func (s *sessions) addPending(req *authzRequest, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= maxPending {
		evict(s.pending, now, func(x *authzRequest) time.Time { return x.ExpiresAt })
	}
	s.pending[req.ID] = req
}

// getPending returns a live pending request.
func (s *sessions) getPending(id string, now time.Time) (authzRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.pending[id]
	if !ok || !now.Before(req.ExpiresAt) {
		return authzRequest{}, false
	}
	return *req, true
}

// takePending removes a pending request so it can be answered once only. It
// reports false when another submission answered it first.
func (s *sessions) takePending(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[id]
	delete(s.pending, id)
	return ok
}

// evict drops expired entries and, if none had expired, the one closest to
// expiring, so a map never grows past its cap.
func evict[T any](m map[string]T, now time.Time, expires func(T) time.Time) {
	var oldestKey string
	var oldest time.Time
	dropped := false
	for k, v := range m {
		e := expires(v)
		if !now.Before(e) {
			delete(m, k)
			dropped = true
			continue
		}
		if oldestKey == "" || e.Before(oldest) {
			oldestKey, oldest = k, e
		}
	}
	if !dropped && oldestKey != "" {
		delete(m, oldestKey)
	}
}
