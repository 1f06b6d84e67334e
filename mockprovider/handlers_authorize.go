package mockprovider

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// sessionCookie names the provider's browser session cookie.
const sessionCookie = "payap_sandbox_provider_session"

// maxFormBytes caps every form body the provider reads.
const maxFormBytes = 64 << 10

var scopeDescriptions = map[Scopes]string{
	ScopeRead: "See your assets and their balances",
	ScopePay:  "Pay at Centrapay merchants with your assets",
}

// handleAuthorize validates an authorization request (RFC 6749 §4.1.1) and
// shows the login or consent page. The client and redirect URI are checked
// first; until both pass, errors are an HTML page and never a redirect (B10).
func (p *provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "Malformed authorization request", "The query string could not be parsed: "+err.Error()+".")
		return
	}
	params := singleParams{q}

	client, target, redirectURI, fail := p.checkClientAndRedirect(params)
	if fail != "" {
		p.errorPage(w, http.StatusBadRequest, "Invalid authorization request", fail)
		return
	}

	// From here on the redirect URI is trusted: errors go back to it.
	state, stateDup := params.get("state")
	if stateDup {
		p.redirectError(w, r, target, "", http.StatusFound, "invalid_request", "state must not be repeated")
		return
	}
	fail302 := func(code, desc string) {
		p.redirectError(w, r, target, state, http.StatusFound, code, desc)
	}
	for _, name := range []string{"response_type", "scope", "code_challenge", "code_challenge_method"} {
		if _, dup := params.get(name); dup {
			fail302("invalid_request", name+" must not be repeated")
			return
		}
	}
	responseType, _ := params.get("response_type")
	switch {
	case responseType == "":
		fail302("invalid_request", "response_type is required; use response_type=code")
		return
	case responseType != "code":
		fail302("unsupported_response_type", "response_type "+strconv.Quote(responseType)+" is not supported; use response_type=code")
		return
	}
	if !client.allows(GrantAuthorizationCode) {
		fail302("unauthorized_client", "client "+client.ID+" may not use the authorization code grant")
		return
	}
	rawScope, _ := params.get("scope")
	scope, unknown, ok := ParseScopes(rawScope)
	switch {
	case !ok:
		fail302("invalid_scope", "unknown scope "+strconv.Quote(unknown)+"; scopes are space-separated, from: assets:read assets:pay")
		return
	case scope == 0:
		fail302("invalid_scope", "scope is required; request scope=assets:read assets:pay")
		return
	}
	if state == "" && p.cfg.RequireState {
		fail302("invalid_request", "state is required by this provider (require_state is on)")
		return
	}
	challenge, _ := params.get("code_challenge")
	method, _ := params.get("code_challenge_method")
	switch {
	case challenge == "":
		fail302("invalid_request", "code challenge required: PKCE with code_challenge_method=S256 is mandatory")
		return
	case method != "S256":
		if method == "" {
			method = "plain (the default when code_challenge_method is omitted)"
		}
		fail302("invalid_request", "transform algorithm not supported: "+method+"; send code_challenge_method=S256")
		return
	case !validS256Challenge(challenge):
		fail302("invalid_request", "code_challenge must be 43 base64url characters without padding: BASE64URL(SHA256(code_verifier))")
		return
	}

	now := p.now()
	sess := p.sessions.session(cookieValue(r), now)
	p.setSessionCookie(w, sess.ID)
	req := &authzRequest{
		ID:          randomToken("authz_"),
		SessionID:   sess.ID,
		CSRF:        randomToken(""),
		ClientID:    client.ID,
		RedirectURI: redirectURI,
		Target:      target,
		State:       state,
		Scope:       scope,
		Challenge:   challenge,
		ExpiresAt:   now.Add(pendingTTL),
	}
	p.sessions.addPending(req, now)
	if sess.UserID != "" {
		if u, ok := p.store.User(sess.UserID); ok {
			p.renderConsent(w, http.StatusOK, *req, client, u, req.Scope, "")
			return
		}
	}
	p.renderLogin(w, http.StatusOK, *req, client, "", "")
}

// checkClientAndRedirect validates client_id and redirect_uri. fail is a
// message for the error page; on success target is where to redirect and
// redirectURI what the client sent.
func (p *provider) checkClientAndRedirect(params singleParams) (client Client, target, redirectURI, fail string) {
	id, dup := params.get("client_id")
	switch {
	case dup:
		return Client{}, "", "", "client_id is repeated; send it once."
	case id == "":
		return Client{}, "", "", "client_id is missing; send the client id the provider registered for you."
	}
	client, ok := p.client(id)
	if !ok {
		return Client{}, "", "", "Unknown client_id " + strconv.Quote(id) + ". Registered clients are listed on the provider's home page."
	}
	redirectURI, dup = params.get("redirect_uri")
	switch {
	case dup:
		return client, "", "", "redirect_uri is repeated; send it once."
	case redirectURI == "" && (p.cfg.RequireRedirectURI || len(client.RedirectURIs) != 1):
		return client, "", "", "redirect_uri is missing; send one of the redirect URIs registered for " + client.ID + "."
	case redirectURI == "":
		return client, client.RedirectURIs[0], "", ""
	case !p.redirectRegistered(client, redirectURI):
		return client, "", "", "redirect_uri " + strconv.Quote(redirectURI) + " is not registered for client " + client.ID +
			". It must match a registered URI exactly (scheme, host, port, path, trailing slash): " + strings.Join(client.RedirectURIs, ", ")
	}
	return client, redirectURI, redirectURI, ""
}

// redirectRegistered compares by exact string (B11), or ignoring the port of
// a loopback URI when loopback_any_port is on (RFC 8252 §7.3).
func (p *provider) redirectRegistered(c Client, uri string) bool {
	for _, reg := range c.RedirectURIs {
		if uri == reg {
			return true
		}
		if p.cfg.LoopbackAnyPort && sameExceptLoopbackPort(reg, uri) {
			return true
		}
	}
	return false
}

func sameExceptLoopbackPort(registered, got string) bool {
	a, err1 := url.Parse(registered)
	b, err2 := url.Parse(got)
	if err1 != nil || err2 != nil || a.Scheme != "http" || !isLoopback(a.Hostname()) {
		return false
	}
	return a.Scheme == b.Scheme && a.Hostname() == b.Hostname() && a.RawPath == b.RawPath &&
		a.Path == b.Path && a.RawQuery == b.RawQuery && a.ForceQuery == b.ForceQuery &&
		!strings.Contains(got, "#") && b.User == nil
}

// validS256Challenge: an S256 challenge is exactly 43 base64url characters
// with no padding (RFC 7636 §4.2, B19).
func validS256Challenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// handleAuthorizeForm answers the login and consent forms. The request they
// belong to is the one stored server-side; it is re-validated here, and the
// form can only narrow its scope (D31). The final answer is a 303 (C24).
func (p *provider) handleAuthorizeForm(w http.ResponseWriter, r *http.Request) {
	form, ferr := readForm(w, r)
	if ferr != nil {
		p.errorPage(w, http.StatusBadRequest, "Malformed form", ferr.Description)
		return
	}
	params := singleParams{form}
	for _, name := range []string{"request_id", "csrf_token", "action", "username", "password"} {
		if _, dup := params.get(name); dup {
			p.errorPage(w, http.StatusBadRequest, "Malformed form", name+" is repeated.")
			return
		}
	}
	now := p.now()
	id, _ := params.get("request_id")
	req, ok := p.sessions.getPending(id, now)
	if !ok {
		p.errorPage(w, http.StatusBadRequest, "This sign-in request has expired",
			"It was already answered, or it is older than "+pendingTTL.String()+". Go back to the application and connect again.")
		return
	}
	csrf, _ := params.get("csrf_token")
	sessID := cookieValue(r)
	if sessID == "" || subtle.ConstantTimeCompare([]byte(sessID), []byte(req.SessionID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(csrf), []byte(req.CSRF)) != 1 {
		p.errorPage(w, http.StatusForbidden, "Request forgery check failed",
			"This form was not sent from the page the provider showed to this browser (missing or wrong CSRF token or session cookie). Start the connection again.")
		return
	}
	sess, ok := p.sessions.lookupSession(sessID, now)
	if !ok {
		p.errorPage(w, http.StatusBadRequest, "Your session has expired", "Go back to the application and connect again.")
		return
	}
	// Re-validate against the registry as it is now.
	client, ok := p.client(req.ClientID)
	if !ok || !p.redirectRegistered(client, req.Target) {
		p.sessions.takePending(req.ID)
		p.errorPage(w, http.StatusBadRequest, "Invalid authorization request", "The client or its redirect URI is no longer registered.")
		return
	}

	action, _ := params.get("action")
	switch action {
	case "login":
		username, _ := params.get("username")
		password, _ := params.get("password")
		u, found := p.store.UserByUsername(username)
		if !found || subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 {
			p.renderLogin(w, http.StatusUnauthorized, req, client, username, "Wrong username or password.")
			return
		}
		p.sessions.setUser(sess.ID, u.ID)
		p.renderConsent(w, http.StatusOK, req, client, u, req.Scope, "")
	case "switch":
		p.sessions.setUser(sess.ID, "")
		p.renderLogin(w, http.StatusOK, req, client, "", "")
	case "deny":
		if !p.sessions.takePending(req.ID) {
			p.errorPage(w, http.StatusBadRequest, "This sign-in request was already answered", "Go back to the application.")
			return
		}
		p.redirectError(w, r, req.Target, req.State, http.StatusSeeOther, "access_denied", "the user denied the request")
	case "approve":
		u, found := p.store.User(sess.UserID)
		if !found {
			p.renderLogin(w, http.StatusUnauthorized, req, client, "", "Sign in first.")
			return
		}
		var granted Scopes
		for _, s := range form["scope"] {
			sc, unknown, ok := ParseScopes(s)
			if !ok || !req.Scope.Has(sc) {
				if unknown == "" {
					unknown = s
				}
				p.errorPage(w, http.StatusBadRequest, "Invalid consent", "The permission "+strconv.Quote(unknown)+" was not requested, so it cannot be granted.")
				return
			}
			granted |= sc
		}
		if granted == 0 {
			p.renderConsent(w, http.StatusBadRequest, req, client, u, 0, "Choose at least one permission, or press Deny.")
			return
		}
		if !p.sessions.takePending(req.ID) {
			p.errorPage(w, http.StatusBadRequest, "This sign-in request was already answered", "Go back to the application.")
			return
		}
		code := randomToken("code_")
		p.store.SaveCode(hashOf(code), Code{
			ClientID:    client.ID,
			RedirectURI: req.RedirectURI,
			Challenge:   req.Challenge,
			Scope:       granted,
			UserID:      u.ID,
			ExpiresAt:   now.Add(p.cfg.CodeTTL),
		}, now)
		p.log.Info("authorization code issued", "client", client.ID, "user", u.Username, "scope", granted.String())
		p.redirect(w, r, req.Target, req.State, http.StatusSeeOther, url.Values{"code": {code}})
	default:
		p.errorPage(w, http.StatusBadRequest, "Malformed form", "action must be login, approve, deny or switch.")
	}
}

func (p *provider) renderLogin(w http.ResponseWriter, status int, req authzRequest, c Client, username, msg string) {
	p.render(w, status, "login.html", page{
		Title: "Sign in", Client: c, RequestID: req.ID, CSRF: req.CSRF,
		Username: username, Error: msg, Demo: p.demoUser(),
	})
}

func (p *provider) renderConsent(w http.ResponseWriter, status int, req authzRequest, c Client, u User, checked Scopes, msg string) {
	var opts []scopeOption
	for _, n := range scopeNames {
		if req.Scope.Has(n.s) {
			opts = append(opts, scopeOption{Name: n.name, Description: scopeDescriptions[n.s], Checked: checked.Has(n.s)})
		}
	}
	p.render(w, status, "consent.html", page{
		Title: "Allow access", Client: c, RequestID: req.ID, CSRF: req.CSRF, User: u, Scopes: opts, Error: msg,
	})
}

// demoUser returns the documented demo login, when it exists, for the pages.
func (p *provider) demoUser() *User {
	if u, ok := p.store.UserByUsername(DemoUsername); ok {
		return &u
	}
	return nil
}

func cookieValue(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (p *provider) setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		Secure:   strings.HasPrefix(p.cfg.Issuer, "https://"),
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(sessionTTL.Seconds()),
	})
}

func (p *provider) handleHome(w http.ResponseWriter, r *http.Request) {
	clients := append([]Client(nil), p.cfg.Clients...)
	for _, c := range p.store.Clients() {
		if _, shadowed := p.clients[c.ID]; !shadowed {
			clients = append(clients, c)
		}
	}
	p.render(w, http.StatusOK, "home.html", page{Title: "Mock provider", Demo: p.demoUser(), Clients: clients})
}
