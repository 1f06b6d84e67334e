package scenarios

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The seeded data every scenario may refer to without fixtures: the
// documented demo data of the three services (README, "Set up"). A test
// checks these against the services' own seeds.
var (
	// SeededProviderUsers are the mock provider's documented logins.
	SeededProviderUsers = []string{"demo"}
	// SeededAssets are the demo user's assets: Everyday Points, Bonus
	// Points and Slow Points (pays pending).
	SeededAssets = []string{"12345", "56789", "99999"}
	// SeededPayapUsers are the mock Payap's documented logins.
	SeededPayapUsers = []string{DemoPayapUser}
	// SeededMerchants: "default" is the seeded Sandbox Merchant.
	SeededMerchants = []string{DefaultMerchant}
	// SeededWallets are the mock Centrapay's wallets.
	SeededWallets = []string{"payap"}
	// SeededOAuthClients are the mock provider's clients.
	SeededOAuthClients = []string{"payap"}
	// SeededAPIKeys are the mock Centrapay's API keys.
	SeededAPIKeys = []string{
		"cp-sandbox-merchant-owner", "cp-sandbox-merchant-terminal",
		"cp-sandbox-payap-owner", "cp-sandbox-patron-owner",
	}
)

var (
	namePattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	usernamePattern  = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)
	idPattern        = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	currencyPattern  = regexp.MustCompile(`^[A-Z]{3}$`)
	assetTypePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	reasonPattern    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	// codePattern is an expected failure reason or error code: the mock
	// Payap's error codes are lower case.
	codePattern      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	oauthCodePattern = regexp.MustCompile(`^[a-z][a-z_]*$`)
	headerPattern    = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	paramPattern     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Methods are the HTTP methods a match or journal expectation may name.
var Methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// The enumerations the validator and the schema share.
var (
	Scopes            = []string{ScopeRead, ScopePay}
	APIKeyRoles       = []string{"account-owner", "merchant-terminal"}
	AuthMethods       = []string{"none", "client_secret_basic", "client_secret_post"}
	GrantTypes        = []string{"authorization_code", "refresh_token"}
	PayResultStatuses = []string{"failed", "pending"}
	PayResultThens    = []string{"successful", "failed"}
	PaymentStatuses   = []string{"successful", "failed", "pending"}
	RefundStatuses    = []string{"successful", "failed"}
	RequestStatuses   = []string{"new", "paid", "cancelled", "expired"}
	ConnectOutcomes   = []string{"connected", "failed"}
)

// Limits on values that would otherwise stall a run.
const (
	maxDelay             = 5 * time.Minute
	maxPendingPolls      = 1000
	maxResolveAfterPolls = 1000
)

// validator applies the rules the types alone cannot: ranges, patterns,
// action families and references between parts of the scenario.
type validator struct {
	d *decoder
	s *Scenario

	providerUsers, assets, payapUsers, merchants, wallets []string
	// requestAt is the step index of each payment request name.
	requestAt map[string]int
}

func validate(d *decoder, s *Scenario) {
	v := &validator{d: d, s: s, requestAt: map[string]int{}}
	v.scenario()
	v.fixtures()
	v.faults()
	v.steps()
	fillDefaults(s)
}

// errorf reports a problem at path, unless the decoder already reported
// one there, around it or inside it.
func (v *validator) errorf(path, format string, args ...any) {
	if v.quiet(path) {
		return
	}
	v.d.addf(v.where(path), path, format, args...)
}

func (v *validator) present(path string) bool {
	_, ok := v.d.pos[path]
	return ok
}

// where is the position of path, or of the nearest enclosing value.
func (v *validator) where(path string) Pos {
	for p := path; ; p = v.up(p) {
		if pos, ok := v.d.pos[p]; ok {
			return pos
		}
		if p == "" {
			return Pos{File: v.d.file, Line: 1, Column: 1}
		}
	}
}

// up is the enclosing path: the decoder's record, else by syntax.
func (v *validator) up(path string) string {
	if p, ok := v.d.parent[path]; ok {
		return p
	}
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

func (v *validator) quiet(path string) bool {
	for p := path; ; p = v.up(p) {
		if v.d.bad[p] {
			return true
		}
		if p == "" {
			break
		}
	}
	if path == "" {
		return false
	}
	for b := range v.d.bad {
		if strings.HasPrefix(b, path) && len(b) > len(path) && (b[len(path)] == '.' || b[len(path)] == '[') {
			return true
		}
	}
	return false
}

func (v *validator) scenario() {
	if !namePattern.MatchString(v.s.Name) || len(v.s.Name) > 64 {
		v.errorf("name", "%q is not a scenario name: use lower-case letters, digits and hyphens (at most 64), such as %s", v.s.Name, slug(v.s.Name))
	}
}

// slug suggests a scenario name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "checkout-flow"
	}
	return out
}

// unique checks a name against the seeded ones and those seen so far.
func (v *validator) unique(path, what, name string, seeded, seen []string) bool {
	if slices.Contains(seeded, name) {
		v.errorf(path, "%s %q is seeded already; choose another", what, name)
		return false
	}
	if slices.Contains(seen, name) {
		v.errorf(path, "%s %q is defined twice", what, name)
		return false
	}
	return true
}

func (v *validator) fixtures() {
	fx := v.s.Fixtures
	v.providerUsers = slices.Clone(SeededProviderUsers)
	v.assets = slices.Clone(SeededAssets)
	var users, assets []string
	for i, u := range fx.Provider.Users {
		p := fmt.Sprintf("fixtures.provider.users[%d]", i)
		if !usernamePattern.MatchString(u.Username) {
			v.errorf(p+".username", "%q is not a username: use letters, digits and . _ @ + -", u.Username)
		} else if v.unique(p+".username", "provider user", u.Username, SeededProviderUsers, users) {
			users = append(users, u.Username)
		}
		if u.Password == "" {
			v.errorf(p+".password", "must not be empty")
		}
		for j, a := range u.Assets {
			ap := fmt.Sprintf("%s.assets[%d]", p, j)
			if !idPattern.MatchString(a.ID) {
				v.errorf(ap+".id", "%q is not an asset id: use letters, digits and . _ ~ - (it goes in URLs)", a.ID)
			} else if v.unique(ap+".id", "asset", a.ID, SeededAssets, assets) {
				assets = append(assets, a.ID)
			}
			if strings.TrimSpace(a.Description) == "" {
				v.errorf(ap+".description", "must not be empty")
			}
			if !currencyPattern.MatchString(a.Currency) {
				v.errorf(ap+".currency", "%q is not an ISO 4217 currency code such as NZD", a.Currency)
			}
			if a.PendingPolls < 0 || a.PendingPolls > maxPendingPolls {
				v.errorf(ap+".pendingPolls", "%d is out of range: 0 (answer at once) to %d", a.PendingPolls, maxPendingPolls)
			}
		}
	}
	v.providerUsers = append(v.providerUsers, users...)
	v.assets = append(v.assets, assets...)

	var clients []string
	for i, c := range fx.Provider.Clients {
		p := fmt.Sprintf("fixtures.provider.clients[%d]", i)
		if !idPattern.MatchString(c.ID) {
			v.errorf(p+".id", "%q is not a client id: use letters, digits and . _ ~ -", c.ID)
		} else if v.unique(p+".id", "OAuth client", c.ID, SeededOAuthClients, clients) {
			clients = append(clients, c.ID)
		}
		switch {
		case !slices.Contains(AuthMethods, c.AuthMethod):
			v.errorf(p+".authMethod", "%q is not an auth method %s", c.AuthMethod, choices(c.AuthMethod, AuthMethods))
		case c.AuthMethod == "none" && c.Secret != "":
			v.errorf(p+".secret", "a public client (authMethod none) has no secret: remove it or set authMethod to client_secret_basic")
		case c.AuthMethod != "none" && c.Secret == "":
			v.errorf(p, "authMethod %s needs a secret", c.AuthMethod)
		}
		if len(c.RedirectURIs) == 0 {
			v.errorf(p+".redirectUris", "needs at least one redirect URI")
		}
		for j, u := range c.RedirectURIs {
			if err := checkRedirectURI(u); err != nil {
				v.errorf(fmt.Sprintf("%s.redirectUris[%d]", p, j), "%v", err)
			}
		}
		v.enumList(p+".grantTypes", "grant type", c.GrantTypes, GrantTypes)
	}

	v.payapUsers = slices.Clone(SeededPayapUsers)
	for i, u := range fx.Payap.Users {
		p := fmt.Sprintf("fixtures.payap.users[%d]", i)
		if !emailPattern.MatchString(u.Email) {
			v.errorf(p+".email", "%q is not an e-mail address", u.Email)
		} else if v.unique(p+".email", "Payap user", u.Email, SeededPayapUsers, v.payapUsers[len(SeededPayapUsers):]) {
			v.payapUsers = append(v.payapUsers, u.Email)
		}
		if u.Password == "" {
			v.errorf(p+".password", "must not be empty")
		}
	}

	v.merchants = v.centrapayObjects("merchant", SeededMerchants, len(fx.Centrapay.Merchants), func(i int) (string, string, []string) {
		m := fx.Centrapay.Merchants[i]
		return m.ID, m.Name, m.AssetTypes
	})
	v.wallets = v.centrapayObjects("wallet", SeededWallets, len(fx.Centrapay.Wallets), func(i int) (string, string, []string) {
		w := fx.Centrapay.Wallets[i]
		return w.ID, w.Name, w.AssetTypes
	})
	var keys []string
	for i, k := range fx.Centrapay.APIKeys {
		p := fmt.Sprintf("fixtures.centrapay.apiKeys[%d]", i)
		if k.Key == "" || strings.ContainsAny(k.Key, " \t\r\n") {
			v.errorf(p+".key", "%q is not an API key: it must be non-empty, without spaces", k.Key)
		} else if v.unique(p+".key", "API key", k.Key, SeededAPIKeys, keys) {
			keys = append(keys, k.Key)
		}
		if !slices.Contains(APIKeyRoles, k.Role) {
			v.errorf(p+".role", "%q is not a role %s", k.Role, choices(k.Role, APIKeyRoles))
		}
		switch {
		case k.Merchant != "" && k.Wallet != "":
			v.errorf(p, "a key belongs to a merchant's or a wallet's account, not both")
		case k.Merchant != "":
			v.ref(p+".merchant", "merchant", k.Merchant, v.merchants)
		case k.Wallet != "":
			v.ref(p+".wallet", "wallet", k.Wallet, v.wallets)
		}
	}
	subscribed := map[string]string{} // account → the path that subscribed it
	for i, h := range fx.Centrapay.Webhooks {
		p := fmt.Sprintf("fixtures.centrapay.webhooks[%d]", i)
		account := "merchants"
		switch {
		case h.Merchant != "" && h.Wallet != "":
			v.errorf(p, "a subscription belongs to a merchant's or a wallet's account, not both")
		case h.Wallet != "":
			v.ref(p+".wallet", "wallet", h.Wallet, v.wallets)
			account = "wallet " + h.Wallet
		case h.Merchant != "":
			v.ref(p+".merchant", "merchant", h.Merchant, v.merchants)
		}
		if first, dup := subscribed[account]; dup {
			v.errorf(p, "%s already subscribes the same account (merchants share the Sandbox Merchant's account); an account has one subscription: list every event type there", first)
		} else {
			subscribed[account] = p
		}
		if h.URL != "" {
			if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errorf(p+".url", "%q is not an absolute http(s) URL; leave it empty for the sandbox's own sink", h.URL)
			}
		}
		v.enumList(p+".eventTypes", "event type", h.EventTypes, WebhookEventTypes)
	}
}

// centrapayObjects checks n merchant or wallet fixtures (kind names which):
// each needs a unique id, a name and known asset types. It returns the
// seeded ids followed by the fixtures' valid ones.
func (v *validator) centrapayObjects(kind string, seeded []string, n int, item func(i int) (id, name string, assetTypes []string)) []string {
	ids := slices.Clone(seeded)
	for i := 0; i < n; i++ {
		id, name, types := item(i)
		p := fmt.Sprintf("fixtures.centrapay.%ss[%d]", kind, i)
		if !namePattern.MatchString(id) {
			v.errorf(p+".id", "%q is not a %s id: use lower-case letters, digits and hyphens", id, kind)
		} else if v.unique(p+".id", kind, id, seeded, ids[len(seeded):]) {
			ids = append(ids, id)
		}
		if strings.TrimSpace(name) == "" {
			v.errorf(p+".name", "must not be empty")
		}
		v.assetTypes(p+".assetTypes", types)
	}
	return ids
}

func (v *validator) assetTypes(path string, types []string) {
	for i, t := range types {
		if !assetTypePattern.MatchString(t) {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is not an asset type name such as centrapay.nzd.test or payap-example.test", t)
		} else if slices.Contains(types[:i], t) {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is listed twice", t)
		}
	}
}

// enumList checks every item of a list is known and listed once.
func (v *validator) enumList(path, what string, items, known []string) {
	for i, x := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if !slices.Contains(known, x) {
			v.errorf(ip, "%q is not a %s %s", x, what, choices(x, known))
		} else if slices.Contains(items[:i], x) {
			v.errorf(ip, "%q is listed twice", x)
		}
	}
}

// ref checks a reference to something seeded or defined in the fixtures.
func (v *validator) ref(path, what, name string, known []string) {
	if !slices.Contains(known, name) {
		v.errorf(path, "unknown %s %q %s", what, name, choices(name, known))
	}
}

// checkRedirectURI follows the mock provider: absolute, no fragment, http
// only on loopback.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URI", raw)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("%q has a fragment; redirect URIs must not (RFC 6749 §3.1.2)", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%q uses http on a host that is not loopback; use https", raw)
		}
	default:
		return fmt.Errorf("%q must use http (loopback only) or https", raw)
	}
	return nil
}

// checkPathTemplate accepts /literal/{param} templates, with an optional
// final /** for anything below, as the fault engine does.
func checkPathTemplate(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must start with /, such as /assets/{assetId}", p)
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Errorf("%q has a query or fragment: match query parameters with query", p)
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if strings.ContainsAny(seg, " \t\r\n") {
			return fmt.Errorf("%q has white space", p)
		}
		if seg == "**" && i == len(segs)-1 {
			continue
		}
		if strings.Contains(seg, "*") {
			return fmt.Errorf("%q: * is allowed only as a final /** (anything below); use {name} for one segment", p)
		}
		if strings.ContainsAny(seg, "{}") {
			if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") || !paramPattern.MatchString(seg[1:len(seg)-1]) {
				return fmt.Errorf("%q: a parameter is a whole segment such as {assetId}, found %q", p, seg)
			}
		}
	}
	return nil
}

func (v *validator) method(path, m string) {
	if m == "" && !v.present(path) {
		return
	}
	if !slices.Contains(Methods, m) {
		if slices.Contains(Methods, strings.ToUpper(m)) {
			v.errorf(path, "write the method in upper case: %s", strings.ToUpper(m))
			return
		}
		v.errorf(path, "%q is not an HTTP method %s", m, choices(m, Methods))
	}
}

func (v *validator) httpStatus(path string, s int) {
	if v.present(path) && (s < 100 || s > 599) {
		v.errorf(path, "%d is not an HTTP status (100 to 599)", s)
	}
}

func (v *validator) headers(path string, h map[string]string) {
	for _, name := range sortedKeys(h) {
		if !headerPattern.MatchString(name) {
			v.errorf(keyPath(path, name), "%q is not a header name", name)
		} else if strings.ContainsFunc(h[name], func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			v.errorf(keyPath(path, name), "the value has control characters, which no header can carry")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (v *validator) faults() {
	var names []string
	for i, f := range v.s.Faults {
		p := fmt.Sprintf("faults[%d]", i)
		if v.present(p + ".name") {
			if !namePattern.MatchString(f.Name) {
				v.errorf(p+".name", "%q is not a fault name: use lower-case letters, digits and hyphens", f.Name)
			} else if slices.Contains(names, f.Name) {
				v.errorf(p+".name", "fault name %q is used twice", f.Name)
			}
			names = append(names, f.Name)
		}
		if !slices.Contains(Services, f.Service) {
			v.errorf(p+".service", "%q is not a service %s", f.Service, choices(f.Service, Services))
		}
		v.match(p+".match", f.Match)
		v.when(p+".when", f.When)
		v.action(p, f)
	}
}

func (v *validator) match(p string, m Match) {
	v.method(p+".method", m.Method)
	if err := checkPathTemplate(m.Path); err != nil {
		v.errorf(p+".path", "%v", err)
	}
	v.headers(p+".header", m.Header)
	for _, k := range sortedKeys(m.Query) {
		if k == "" {
			v.errorf(p+".query", "a query parameter needs a name")
		}
	}
	for _, k := range sortedKeys(m.Body) {
		switch m.Body[k].(type) {
		case map[string]any, []any:
			v.errorf(keyPath(p+".body", k), "match a body field against a string, number, boolean or null, not a structure")
		}
	}
}

func (v *validator) when(p string, w When) {
	for i, n := range w.Nth {
		ip := fmt.Sprintf("%s.nth[%d]", p, i)
		if n < 1 {
			v.errorf(ip, "%d is not a call number: calls count from 1", n)
		} else if slices.Contains(w.Nth[:i], n) {
			v.errorf(ip, "call %d is listed twice", n)
		}
	}
	if v.present(p+".nth") && len(w.Nth) == 0 {
		v.errorf(p+".nth", "lists no calls: give call numbers such as [1, 2], or remove it")
	}
	if v.present(p+".nth") && (v.present(p+".every") || v.present(p+".after")) {
		v.errorf(p+".nth", "nth picks the calls itself: drop every and after, or drop nth")
	}
	if v.present(p+".every") && w.Every < 1 {
		v.errorf(p+".every", "%d is not a call interval: every must be at least 1", w.Every)
	}
	if v.present(p+".after") && w.After < 0 {
		v.errorf(p+".after", "%d is negative: after counts calls, from 0", w.After)
	}
	if v.present(p+".times") && w.Times < 1 {
		v.errorf(p+".times", "%d is not a limit: times must be at least 1 (leave it out for no limit)", w.Times)
	}
	if v.present(p+".probability") && (w.Probability <= 0 || w.Probability > 1) {
		v.errorf(p+".probability", "%v is not a probability (0 < p <= 1)", w.Probability)
	}
	if w.Window != nil {
		wp := p + ".window"
		switch {
		case w.Window.From == nil && w.Window.To == nil:
			v.errorf(wp, "give from, to or both")
		case w.Window.From != nil && w.Window.To != nil && w.Window.From.Absolute == w.Window.To.Absolute:
			from, to := w.Window.From.At(time.Time{}), w.Window.To.At(time.Time{})
			if !to.After(from) {
				v.errorf(wp+".to", "%s is not after from (%s): the window is empty", w.Window.To, w.Window.From)
			}
		}
	}
}

// families lists the action families present in a fault's do, by the
// keys written (so drop: false still counts, and is then reported).
func (v *validator) families(p string) []string {
	var fs []string
	has := func(keys ...string) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return v.present(p + "." + k) })
	}
	for _, f := range []struct {
		family string
		keys   []string
	}{
		{FamilyDelay, []string{"delay"}},
		{FamilyResponse, []string{"status", "body", "headers"}},
		{FamilyDrop, []string{"drop"}},
		{FamilyHang, []string{"hang"}},
		{FamilyTruncate, []string{"truncate"}},
		{FamilyMalformed, []string{"malformed"}},
		{FamilyRateLimit, []string{"rateLimit"}},
		{FamilyOAuthError, []string{"oauthError"}},
		{FamilyPayResult, []string{"payResult"}},
		{FamilyExpireGrant, []string{"expireGrant"}},
		{FamilyRevokeGrant, []string{"revokeGrant"}},
		{FamilyWebhookFailure, []string{"webhookFailure"}},
	} {
		if has(f.keys...) {
			fs = append(fs, f.family)
		}
	}
	return fs
}

func (v *validator) action(fp string, f Fault) {
	p, a := fp+".do", f.Do
	fams := v.families(p)
	others := slices.DeleteFunc(slices.Clone(fams), func(s string) bool { return s == FamilyDelay })
	switch {
	case len(fams) == 0:
		v.errorf(p, "no action: give one of delay, status, drop, hang, truncate, malformed, rateLimit, oauthError, payResult, expireGrant, revokeGrant, webhookFailure")
	case len(others) > 1:
		shown := slices.Clone(others)
		for i, f := range shown {
			if f == FamilyResponse {
				var keys []string
				for _, k := range []string{"status", "body", "headers"} {
					if v.present(p + "." + k) {
						keys = append(keys, k)
					}
				}
				shown[i] = strings.Join(keys, "/")
			}
		}
		v.errorf(p, "%s cannot be combined: a fault does one thing (only delay combines, with status); make separate faults", strings.Join(shown, " and "))
	case len(others) == 1 && len(fams) == 2 && others[0] != FamilyResponse:
		v.errorf(p, "delay combines only with status, body and headers; give %s a fault of its own", others[0])
	}
	if a.Delay != nil && a.Delay.Max > maxDelay {
		v.errorf(p+".delay", "%s is longer than %s; to make a client give up, use hang: true", a.Delay, maxDelay)
	}
	if (v.present(p+".body") || v.present(p+".headers")) && !v.present(p+".status") {
		v.errorf(p, "body and headers need status: the fault answers instead of the service")
	}
	if v.present(p+".status") && (a.Status < 200 || a.Status > 599) {
		v.errorf(p+".status", "%d is not a final HTTP status (200 to 599)", a.Status)
	} else if v.present(p+".body") && (a.Status == 204 || a.Status == 304) {
		v.errorf(p+".body", "status %d cannot carry a body", a.Status)
	}
	v.headers(p+".headers", a.Headers)
	for _, k := range []string{"drop", "hang", "malformed"} {
		on := map[string]bool{"drop": a.Drop, "hang": a.Hang, "malformed": a.Malformed}[k]
		if v.present(p+"."+k) && !on {
			v.errorf(p+"."+k, "%s: false does nothing; remove it", k)
		}
	}
	if v.present(p+".truncate") && a.Truncate < 1 {
		v.errorf(p+".truncate", "%d sends nothing: truncate keeps this many bytes of the body, 1 or more (to send no answer, use drop: true)", a.Truncate)
	}
	if a.RateLimit != nil && a.RateLimit.RetryAfter < 1 {
		v.errorf(p+".rateLimit.retryAfter", "%d: give the seconds the client should wait, 1 or more", a.RateLimit.RetryAfter)
	}
	if v.present(p + ".oauthError") {
		if !slices.Contains(OAuthErrors, a.OAuthError) {
			v.errorf(p+".oauthError", "%q is not an OAuth error %s", a.OAuthError, choices(a.OAuthError, OAuthErrors))
		}
		if f.Service != ServiceProvider {
			v.errorf(fp+".service", "oauthError needs service: provider (the OAuth server)")
		}
	}
	if r := a.PayResult; r != nil {
		v.payResult(fp, f, r)
	}
	if a.ExpireGrant != nil {
		v.ref(p+".expireGrant.user", "provider user", a.ExpireGrant.User, v.providerUsers)
	}
	if a.RevokeGrant != nil {
		v.ref(p+".revokeGrant.user", "provider user", a.RevokeGrant.User, v.providerUsers)
	}
	if w := a.WebhookFailure; w != nil {
		if f.Service != ServiceCentrapay {
			v.errorf(fp+".service", "webhookFailure needs service: centrapay (it sends the webhooks)")
		}
		if w.Status < 100 || w.Status > 599 || (w.Status >= 200 && w.Status < 300) {
			v.errorf(p+".webhookFailure.status", "%d is not a failing HTTP status (100 to 599, not 2xx)", w.Status)
		}
	}
}

func (v *validator) payResult(fp string, f Fault, r *PayResult) {
	p := fp + ".do.payResult"
	if f.Service != ServiceProvider {
		v.errorf(fp+".service", "payResult needs service: provider (it answers POST /pay)")
	}
	if f.Match.Path != "/pay" {
		v.errorf(fp+".match.path", "payResult overrides POST /pay: match path /pay, not %q", f.Match.Path)
	}
	if f.Match.Method != "" && f.Match.Method != "POST" {
		v.errorf(fp+".match.method", "payResult overrides POST /pay: match method POST, not %s", f.Match.Method)
	}
	switch r.Status {
	case "failed":
		if r.FailureReason == "" {
			v.errorf(p, "a failed payResult needs failureReason, such as INSUFFICIENT_ASSET_VALUE")
		}
		if v.present(p + ".resolveAfterPolls") {
			v.errorf(p+".resolveAfterPolls", "only a pending payResult resolves after polls")
		}
		if v.present(p + ".then") {
			v.errorf(p+".then", "only a pending payResult has then")
		}
	case "pending":
		if v.present(p+".resolveAfterPolls") && (r.ResolveAfterPolls < 1 || r.ResolveAfterPolls > maxResolveAfterPolls) {
			v.errorf(p+".resolveAfterPolls", "%d is out of range: 1 to %d", r.ResolveAfterPolls, maxResolveAfterPolls)
		}
		switch {
		case v.present(p+".then") && !slices.Contains(PayResultThens, r.Then):
			v.errorf(p+".then", "%q is not a result %s", r.Then, choices(r.Then, PayResultThens))
		case r.Then == "failed" && r.FailureReason == "":
			v.errorf(p, "then: failed needs failureReason, such as INSUFFICIENT_ASSET_VALUE")
		case r.Then != "failed" && r.FailureReason != "":
			v.errorf(p+".failureReason", "only a payment that ends failed has a failureReason; add then: failed")
		}
	default:
		v.errorf(p+".status", "%q is not a payResult status %s", r.Status, choices(r.Status, PayResultStatuses))
	}
	if r.FailureReason != "" && !reasonPattern.MatchString(r.FailureReason) {
		v.errorf(p+".failureReason", "%q is not a failure reason: use upper case and underscores, such as INSUFFICIENT_ASSET_VALUE", r.FailureReason)
	}
}

func (v *validator) steps() {
	for i, st := range v.s.Steps {
		if r := st.PaymentRequest; r != nil && r.As != "" {
			if _, dup := v.requestAt[r.As]; !dup {
				v.requestAt[r.As] = i
			}
		}
	}
	var named []string
	requests := 0
	for i, st := range v.s.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		switch st.Kind() {
		case "connect":
			c, cp := st.Connect, p+".connect"
			v.ref(cp+".user", "provider user", c.User, v.providerUsers)
			v.ref(cp+".payapUser", "Payap user", c.PayapUser, v.payapUsers)
			if c.Deny && len(c.Grant) > 0 {
				v.errorf(cp+".grant", "a denied Connect grants nothing: drop grant or deny")
			}
			if v.present(cp+".grant") && len(c.Grant) == 0 {
				v.errorf(cp+".grant", "grants nothing: list scopes (assets:read, assets:pay) or use deny: true")
			}
			v.enumList(cp+".grant", "scope", c.Grant, Scopes)
			if e := c.Expect; e != nil {
				if v.present(cp+".expect.outcome") && !slices.Contains(ConnectOutcomes, e.Outcome) {
					v.errorf(cp+".expect.outcome", "%q is not an outcome %s", e.Outcome, choices(e.Outcome, ConnectOutcomes))
				}
				if v.present(cp+".expect.error") && !oauthCodePattern.MatchString(e.Error) {
					v.errorf(cp+".expect.error", "%q is not an OAuth error code such as access_denied", e.Error)
				}
			}
		case "fetch":
			f, fp := st.Fetch, p+".fetch"
			v.ref(fp+".payapUser", "Payap user", f.PayapUser, v.payapUsers)
			if e := f.Expect; e != nil {
				if e.Assets != nil && *e.Assets < 0 {
					v.errorf(fp+".expect.assets", "%d is negative", *e.Assets)
				}
				for _, id := range sortedKeys(e.Balances) {
					v.ref(keyPath(fp+".expect.balances", id), "asset", id, v.assets)
				}
			}
		case "paymentRequest":
			r, rp := st.PaymentRequest, p+".paymentRequest"
			v.ref(rp+".merchant", "merchant", r.Merchant, v.merchants)
			v.positive(rp+".amount", r.Amount)
			if !currencyPattern.MatchString(r.Currency) {
				v.errorf(rp+".currency", "%q is not an ISO 4217 currency code such as NZD", r.Currency)
			}
			if v.present(rp+".expirySeconds") && r.ExpirySeconds < 1 {
				v.errorf(rp+".expirySeconds", "%d is not a lifetime: give at least 1 second", r.ExpirySeconds)
			}
			if v.present(rp + ".as") {
				switch {
				case !idPattern.MatchString(r.As):
					v.errorf(rp+".as", "%q is not a name: use letters, digits and . _ ~ -", r.As)
				case slices.Contains(named, r.As):
					v.errorf(rp+".as", "payment request %q is named twice", r.As)
				}
				named = append(named, r.As)
			}
			requests++
		case "pay":
			y, yp := st.Pay, p+".pay"
			v.ref(yp+".asset", "asset", y.Asset, v.assets)
			v.request(yp, y.Request, "request", i, requests)
			v.ref(yp+".payapUser", "Payap user", y.PayapUser, v.payapUsers)
			v.outcome(yp+".expect", y.Expect, PaymentStatuses)
		case "refund":
			r, rp := st.Refund, p+".refund"
			v.request(rp, r.Request, "request", i, requests)
			v.positive(rp+".amount", r.Amount)
			v.outcome(rp+".expect", r.Expect, RefundStatuses)
		case "void":
			v.request(p+".void", st.Void.Request, "request", i, requests)
			v.outcome(p+".void.expect", st.Void.Expect, RequestStatuses)
		case "cancel":
			v.request(p+".cancel", st.Cancel.Request, "request", i, requests)
			v.outcome(p+".cancel.expect", st.Cancel.Expect, RequestStatuses)
		case "advanceClock":
			if *st.AdvanceClock <= 0 {
				v.errorf(p+".advanceClock", "%s does not move the clock: give a positive duration such as 2h", *st.AdvanceClock)
			}
		case "setBalance":
			v.ref(p+".setBalance.asset", "asset", st.SetBalance.Asset, v.assets)
		case "revokeGrant":
			v.ref(p+".revokeGrant.user", "provider user", st.RevokeGrant.User, v.providerUsers)
		case "expect":
			v.expect(p+".expect", st.Expect, i, requests)
		}
	}
}

func (v *validator) positive(path string, a Amount) {
	if a <= 0 {
		v.errorf(path, "must be more than \"0\"")
	}
}

// request checks a reference to a payment request made by an earlier
// step; an empty name means the latest, which must exist.
func (v *validator) request(p, name, key string, step, before int) {
	if name == "" {
		if before == 0 {
			v.errorf(p, "no payment request yet: add a paymentRequest step before this one")
		}
		return
	}
	at, ok := v.requestAt[name]
	switch {
	case !ok:
		known := sortedKeys(v.requestAt)
		if len(known) == 0 {
			v.errorf(p+"."+key, "unknown payment request %q: no paymentRequest step names one (as: %s)", name, name)
		} else {
			v.errorf(p+"."+key, "unknown payment request %q %s", name, choices(name, known))
		}
	case at >= step:
		v.errorf(p+"."+key, "payment request %q is created only later, by steps[%d]", name, at)
	}
}

func (v *validator) outcome(p string, o *Outcome, statuses []string) {
	if o == nil {
		return
	}
	if v.present(p+".status") && !slices.Contains(statuses, o.Status) {
		v.errorf(p+".status", "%q is not a status here %s", o.Status, choices(o.Status, statuses))
	}
	if v.present(p+".failureReason") && !codePattern.MatchString(o.FailureReason) {
		v.errorf(p+".failureReason", "%q is not a failure reason or error code: use letters, digits and underscores, such as INSUFFICIENT_ASSET_VALUE or insufficient_scope", o.FailureReason)
	}
	v.httpStatus(p+".httpStatus", o.HTTPStatus)
}

func (v *validator) expect(p string, e *ExpectStep, step, before int) {
	if e.PaymentRequest == nil && e.Balance == nil && e.Journal == nil {
		v.errorf(p, "expects nothing: give paymentRequest, balance or journal")
	}
	if r := e.PaymentRequest; r != nil {
		v.request(p+".paymentRequest", r.Name, "name", step, before)
		if !slices.Contains(RequestStatuses, r.Status) {
			v.errorf(p+".paymentRequest.status", "%q is not a payment request status %s", r.Status, choices(r.Status, RequestStatuses))
		}
	}
	if b := e.Balance; b != nil {
		v.ref(p+".balance.asset", "asset", b.Asset, v.assets)
	}
	if j := e.Journal; j != nil {
		jp := p + ".journal"
		if !slices.Contains(Services, j.Service) {
			v.errorf(jp+".service", "%q is not a service %s", j.Service, choices(j.Service, Services))
		}
		v.method(jp+".method", j.Method)
		if v.present(jp + ".path") {
			if err := checkPathTemplate(j.Path); err != nil {
				v.errorf(jp+".path", "%v", err)
			}
		}
		v.httpStatus(jp+".status", j.Status)
		if v.present(jp + ".fault") {
			known := make([]string, len(v.s.Faults))
			for i, f := range v.s.Faults {
				known[i] = f.Name
				if known[i] == "" {
					known[i] = fmt.Sprintf("faults[%d]", i)
				}
			}
			if len(known) == 0 {
				v.errorf(jp+".fault", "unknown fault %q: the scenario has no faults", j.Fault)
			} else {
				v.ref(jp+".fault", "fault", j.Fault, known)
			}
		}
		if j.Count != nil && *j.Count < 0 {
			v.errorf(jp+".count", "%d is negative", *j.Count)
		}
	}
}

// fillDefaults sets what the model documents as filled in by Load.
func fillDefaults(s *Scenario) {
	for i := range s.Faults {
		f := &s.Faults[i]
		if f.Name == "" {
			f.Name = fmt.Sprintf("faults[%d]", i)
		}
		if r := f.Do.PayResult; r != nil && r.Status == "pending" {
			if r.ResolveAfterPolls == 0 {
				r.ResolveAfterPolls = 1
			}
			if r.Then == "" {
				r.Then = "successful"
			}
		}
	}
	for i := range s.Fixtures.Centrapay.Merchants {
		m := &s.Fixtures.Centrapay.Merchants[i]
		if m.ExternalMerchantID == "" {
			m.ExternalMerchantID = m.ID
		}
	}
	for i := range s.Fixtures.Centrapay.APIKeys {
		k := &s.Fixtures.Centrapay.APIKeys[i]
		if k.Merchant == "" && k.Wallet == "" {
			k.Merchant = DefaultMerchant
		}
	}
	for i := range s.Fixtures.Centrapay.Webhooks {
		h := &s.Fixtures.Centrapay.Webhooks[i]
		if h.Merchant == "" && h.Wallet == "" {
			h.Merchant = DefaultMerchant
		}
		if len(h.EventTypes) == 0 {
			h.EventTypes = slices.Clone(WebhookEventTypes)
		}
	}
	for _, st := range s.Steps {
		if c := st.Connect; c != nil && !c.Deny && len(c.Grant) == 0 {
			c.Grant = []string{ScopeRead, ScopePay}
		}
	}
}
