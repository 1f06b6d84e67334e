package mockcentrapay

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// API key roles (§4.1).
const (
	RoleAccountOwner     = "account-owner"
	RoleMerchantTerminal = "merchant-terminal"
)

// Account is a Centrapay account: an organisation (a merchant, a wallet
// operator) or a person.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // org or individual
}

// APIKey is an enduring key of one account with one role.
type APIKey struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	Role      string `json:"role"`
	Secret    string `json:"-"`
}

// principal is who is calling.
type principal struct {
	Account Account
	Key     APIKey
}

// crn is the caller as a CRN, for createdBy fields.
func (p principal) crn() string { return CRN(p.Account.ID, "api-key", p.Key.Name) }

func (p principal) hasRole(roles ...string) bool {
	for _, r := range roles {
		if p.Key.Role == r {
			return true
		}
	}
	return false
}

// authenticate resolves X-Api-Key. A missing key is 401 "Missing
// authentication"; an unknown one 401 "Invalid authentication".
func (c *centrapay) authenticate(r *http.Request) (principal, *apiError) {
	key := r.Header.Get("X-Api-Key")
	if key == "" {
		return principal{}, errUnauthorized(msgMissingAuth)
	}
	k, ok := c.store.apiKey(key)
	if !ok || subtle.ConstantTimeCompare([]byte(k.Secret), []byte(key)) != 1 {
		return principal{}, errUnauthorized(msgInvalidAuth)
	}
	acct, ok := c.store.account(k.AccountID)
	if !ok {
		return principal{}, errUnauthorized(msgInvalidAuth)
	}
	return principal{Account: acct, Key: k}, nil
}

// authedHandler is an endpoint that needs an API key.
type authedHandler func(w http.ResponseWriter, r *http.Request, p principal)

// authed checks the API key, the rate limit and, when roles are given, the
// key's role (403 Forbidden otherwise).
func (c *centrapay) authed(h authedHandler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, e := c.authenticate(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if retry, limited := c.limiter.take(p.Key.Name, c.clock.Now()); limited {
			w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds()+0.999)))
			writeError(w, newAPIError(http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "slow down: at most "+strconv.Itoa(c.cfg.RateLimit)+" requests a minute per API key"))
			return
		}
		if len(roles) > 0 && !p.hasRole(roles...) {
			writeError(w, errForbidden())
			return
		}
		h(w, r, p)
	})
}

// limiter is a fixed one-minute window per key on the sandbox clock.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	windows   map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, windows: map[string]*window{}}
}

// take counts a request; when over the limit it returns how long until the
// window ends.
func (l *limiter) take(key string, now time.Time) (time.Duration, bool) {
	if l.perMinute <= 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok || now.Sub(w.start) >= time.Minute || now.Before(w.start) {
		w = &window{start: now}
		l.windows[key] = w
	}
	w.count++
	if w.count > l.perMinute {
		return w.start.Add(time.Minute).Sub(now), true
	}
	return 0, false
}
