package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/frontend"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
	"github.com/payap/payap-sandbox/scenarios"
)

// ErrNoScenario is returned, wrapped, for a scenario name that is not
// loaded.
var ErrNoScenario = errors.New("no such scenario")

// ErrNotFound is returned, wrapped, for a user or asset that does not exist.
var ErrNotFound = errors.New("not found")

// ScenarioInfo describes a loaded scenario.
type ScenarioInfo struct {
	Name, File, Description string
	// Active is set while its fixtures and faults are applied.
	Active bool
	// Faults are the ids of the fault rules it installs.
	Faults   []string
	Steps    int
	LoadedAt time.Time
	// Error is the last reload's problem: a broken file keeps the last good
	// version loaded, and this says why the new one was refused.
	Error string
}

// loaded is a scenario the sandbox holds.
type loaded struct {
	sc    *scenarios.Scenario
	info  ScenarioInfo
	rules []faults.Rule
}

// The hooks the sandbox registers with the fault engine for the scenario
// actions that need to know the mocks.
const (
	hookPayResult   = "payResult"
	hookExpireGrant = "expireGrant"
	hookRevokeGrant = "revokeGrant"
)

// webhookService is the fault engine's name for the mock Centrapay's
// outbound webhook deliveries.
const webhookService = "centrapay.webhooks"

// registerHooks gives the fault engine the scenario actions that act on the
// mocks.
func (s *Sandbox) registerHooks() {
	s.Faults.Handle(hookPayResult, func(w http.ResponseWriter, r *http.Request, next http.Handler, p map[string]string) {
		polls, _ := strconv.Atoi(p["resolveAfterPolls"])
		o := mockprovider.PayOverride{Status: p["status"], FailureReason: p["failureReason"], ResolveAfterPolls: polls, Then: p["then"]}
		next.ServeHTTP(w, r.WithContext(mockprovider.WithPayOverride(r.Context(), o)))
	})
	s.Faults.Handle(hookExpireGrant, func(w http.ResponseWriter, r *http.Request, next http.Handler, p map[string]string) {
		if _, err := s.ProviderStore.ExpireUserTokens(p["user"], s.Clock.Now()); err != nil {
			s.log.Warn("fault expireGrant", "user", p["user"], "err", err)
		}
		next.ServeHTTP(w, r)
	})
	s.Faults.Handle(hookRevokeGrant, func(w http.ResponseWriter, r *http.Request, next http.Handler, p map[string]string) {
		if _, err := s.ProviderStore.RevokeUserGrants(p["user"], "revoked by a scenario fault", s.Clock.Now()); err != nil {
			s.log.Warn("fault revokeGrant", "user", p["user"], "err", err)
		}
		next.ServeHTTP(w, r)
	})
}

// Scenarios lists the loaded scenarios in load order.
func (s *Sandbox) Scenarios() []ScenarioInfo {
	s.scMu.Lock()
	defer s.scMu.Unlock()
	out := make([]ScenarioInfo, len(s.loaded))
	for i, l := range s.loaded {
		out[i] = l.info
		out[i].Faults = slices.Clone(l.info.Faults)
	}
	return out
}

// Scenario returns a loaded scenario's model.
func (s *Sandbox) Scenario(name string) (*scenarios.Scenario, bool) {
	s.scMu.Lock()
	defer s.scMu.Unlock()
	if l := s.find(name); l != nil {
		return l.sc, true
	}
	return nil, false
}

func (s *Sandbox) find(name string) *loaded {
	for _, l := range s.loaded {
		if l.info.Name == name {
			return l
		}
	}
	return nil
}

// LoadScenario parses and validates a scenario file's content (name is the
// file name used in error positions) and loads it; see AddScenario.
func (s *Sandbox) LoadScenario(name string, src []byte, activate bool) (ScenarioInfo, error) {
	sc, err := scenarios.Parse(name, src)
	if err != nil {
		return ScenarioInfo{}, err
	}
	return s.AddScenario(sc, activate)
}

// LoadScenarioFile reads, validates and loads a scenario file.
func (s *Sandbox) LoadScenarioFile(path string, activate bool) (ScenarioInfo, error) {
	sc, err := scenarios.Load(path)
	if err != nil {
		return ScenarioInfo{}, err
	}
	return s.AddScenario(sc, activate)
}

// AddScenario loads a validated scenario, replacing a loaded one of the same
// name (an active one is re-applied), and activates it when asked. Its
// faults are checked against the fault engine before anything changes.
func (s *Sandbox) AddScenario(sc *scenarios.Scenario, activate bool) (ScenarioInfo, error) {
	rules, err := s.rulesFor(sc, s.scenarioStart(sc))
	if err != nil {
		return ScenarioInfo{}, err
	}
	// Check the rules as the engine will (hooks, names), without installing.
	scratch := faults.New(0, nil)
	for _, name := range s.Faults.Hooks() {
		scratch.Handle(name, func(http.ResponseWriter, *http.Request, http.Handler, map[string]string) {})
	}
	if err := scratch.Set(rules); err != nil {
		return ScenarioInfo{}, fmt.Errorf("%s: %w", sc.File, err)
	}
	info := ScenarioInfo{
		Name: sc.Name, File: sc.File, Description: sc.Description,
		Steps: len(sc.Steps), LoadedAt: time.Now().UTC(),
	}
	for _, r := range rules {
		info.Faults = append(info.Faults, r.Name)
	}
	s.scMu.Lock()
	l := s.find(sc.Name)
	reapply := l != nil && l.info.Active
	if l == nil {
		l = &loaded{}
		s.loaded = append(s.loaded, l)
	}
	l.sc, l.info, l.rules = sc, info, rules
	s.scMu.Unlock()
	if activate || reapply {
		if err := s.ActivateScenario(sc.Name); err != nil {
			return info, err
		}
	}
	return s.scenarioInfo(sc.Name), nil
}

func (s *Sandbox) scenarioInfo(name string) ScenarioInfo {
	s.scMu.Lock()
	defer s.scMu.Unlock()
	if l := s.find(name); l != nil {
		info := l.info
		info.Faults = slices.Clone(info.Faults)
		return info
	}
	return ScenarioInfo{}
}

// setReloadError records that a new version of a loaded scenario's file was
// refused; the last good version stays loaded.
func (s *Sandbox) setReloadError(name, msg string) {
	s.scMu.Lock()
	defer s.scMu.Unlock()
	if l := s.find(name); l != nil {
		l.info.Error = msg
	}
}

// scenarioStart is where the sandbox clock stands when the scenario starts:
// its own clock, or the sandbox's start.
func (s *Sandbox) scenarioStart(sc *scenarios.Scenario) time.Time {
	if sc.Clock != nil {
		return *sc.Clock
	}
	return s.baseClock()
}

// ActivateScenario gives the sandbox a fresh start for the scenario: every
// store goes back to the start state (seeded with the scenario's seed when
// it has one), the clock to the scenario's start, the journal is emptied,
// then its fixtures are added and its faults installed. One scenario is
// active at a time.
func (s *Sandbox) ActivateScenario(name string) error {
	s.scMu.Lock()
	l := s.find(name)
	if l == nil {
		s.scMu.Unlock()
		return fmt.Errorf("%w: %q is not loaded", ErrNoScenario, name)
	}
	sc := l.sc
	s.scMu.Unlock()

	seed := s.cfg.Seed
	if sc.Seed != nil {
		seed = *sc.Seed
	}
	s.stateMu.Lock()
	err := s.resetLocked(seed)
	if err == nil && sc.Clock != nil {
		s.Clock.Set(*sc.Clock)
	}
	var merchants map[string]merchantRef
	if err == nil {
		merchants, err = s.applyFixtures(sc)
	}
	s.stateMu.Unlock()
	if err != nil {
		return fmt.Errorf("activate scenario %s: %w", name, err)
	}
	rules, err := s.rulesFor(sc, s.Clock.Now())
	if err != nil {
		return err
	}
	s.Faults.SetSeed(seed)
	if err := s.Faults.Set(rules); err != nil {
		return fmt.Errorf("activate scenario %s: %w", name, err)
	}
	s.Journal.Reset()
	s.scMu.Lock()
	for _, x := range s.loaded {
		x.info.Active = x.info.Name == name
	}
	s.merchants = merchants
	s.scMu.Unlock()
	s.log.Info("scenario active", "scenario", name, "faults", len(rules), "file", sc.File)
	return nil
}

// DeactivateScenario removes the scenario's faults; the state it built
// stays.
func (s *Sandbox) DeactivateScenario(name string) error {
	s.scMu.Lock()
	l := s.find(name)
	if l == nil {
		s.scMu.Unlock()
		return fmt.Errorf("%w: %q is not loaded", ErrNoScenario, name)
	}
	was := l.info.Active
	l.info.Active = false
	s.scMu.Unlock()
	if was {
		if err := s.Faults.Set(nil); err != nil {
			return err
		}
	}
	return nil
}

// Reset takes the sandbox back to its start state: no active scenario, no
// faults, an empty journal, the stores as seeded at start (or as restored
// from --state), the clock back at its start.
func (s *Sandbox) Reset() error {
	s.stateMu.Lock()
	err := s.resetLocked(s.cfg.Seed)
	s.stateMu.Unlock()
	if err != nil {
		return err
	}
	if err := s.Faults.Set(nil); err != nil {
		return err
	}
	s.Journal.Reset()
	s.scMu.Lock()
	for _, l := range s.loaded {
		l.info.Active = false
	}
	s.merchants = nil
	s.scMu.Unlock()
	return nil
}

// resetLocked restores the start state, reseeded when seed is not the seed
// the start state was made with.
func (s *Sandbox) resetLocked(seed int64) error {
	base := s.base
	if base == nil || base.Seed != seed {
		fresh, err := s.seededState(seed)
		if err != nil {
			return err
		}
		base = fresh
	}
	if err := s.restoreLocked(base); err != nil {
		return err
	}
	if s.cfg.Clock.Start == "" && !s.baseFixed {
		s.Clock.Set(time.Now())
	}
	return nil
}

// seededState builds the start state a sandbox seeded with seed has.
func (s *Sandbox) seededState(seed int64) (*State, error) {
	stores, err := seedStores(s.cfg, seed)
	if err != nil {
		return nil, err
	}
	return &State{
		Version:   StateVersion,
		SavedAt:   time.Now().UTC(),
		Clock:     s.baseClock(),
		Seed:      seed,
		Provider:  stores.provider.Snapshot(),
		Payap:     stores.payap.Snapshot(),
		Centrapay: stores.centrapay.Snapshot(),
	}, nil
}

// baseClock is where the sandbox clock starts: the start state's clock.
func (s *Sandbox) baseClock() time.Time {
	if s.base != nil {
		return s.base.Clock
	}
	return s.Clock.Now()
}

// merchantRef is how steps reach a fixture merchant.
type merchantRef struct{ configID, apiKey string }

// applyFixtures adds the scenario's fixtures to the stores, in file order.
func (s *Sandbox) applyFixtures(sc *scenarios.Scenario) (map[string]merchantRef, error) {
	now := s.Clock.Now()
	f := sc.Fixtures
	for _, c := range f.Provider.Clients {
		grants := c.GrantTypes
		if len(grants) == 0 {
			grants = []string{mockprovider.GrantAuthorizationCode, mockprovider.GrantRefreshToken}
		}
		if err := s.ProviderStore.PutClient(mockprovider.Client{
			ID: c.ID, Name: c.Name, Secret: c.Secret, AuthMethod: c.AuthMethod,
			RedirectURIs: c.RedirectURIs, GrantTypes: grants,
		}); err != nil {
			return nil, fmt.Errorf("fixture client %s: %w", c.ID, err)
		}
	}
	for _, u := range f.Provider.Users {
		name := u.Name
		if name == "" {
			name = u.Username
		}
		user := mockprovider.User{ID: mockprovider.UserIDFor(u.Username), Username: u.Username, Password: u.Password, Name: name}
		var assets []mockprovider.Asset
		for _, a := range u.Assets {
			assets = append(assets, mockprovider.Asset{
				ID: a.ID, UserID: user.ID, Description: a.Description, Currency: a.Currency,
				Balance: int64(a.Balance), PendingPolls: a.PendingPolls, PartialRefunds: a.PartialRefunds,
			})
		}
		if err := s.ProviderStore.AddUser(user, assets); err != nil {
			return nil, fmt.Errorf("fixture provider user %s: %w", u.Username, err)
		}
	}
	for i, u := range f.Payap.Users {
		name := u.Name
		if name == "" {
			name = u.Email
		}
		if err := s.PayapStore.PutUser(mockpayap.User{ID: fmt.Sprintf("pu_fx%02d", i+1), Email: u.Email, Password: u.Password, Name: name}); err != nil {
			return nil, fmt.Errorf("fixture Payap user %s: %w", u.Email, err)
		}
	}
	merchants := map[string]merchantRef{}
	accounts := map[string]string{} // fixture merchant or wallet id → account id
	for _, m := range f.Centrapay.Merchants {
		_, configID, err := s.CentrapayStore.AddMerchant(mockcentrapay.MerchantFixture{
			Name: m.Name, ExternalMerchantID: m.ExternalMerchantID, AssetTypes: m.AssetTypes,
		}, now)
		if err != nil {
			return nil, fmt.Errorf("fixture merchant %s: %w", m.ID, err)
		}
		merchants[m.ID] = merchantRef{configID: configID, apiKey: mockcentrapay.MerchantOwnerKey}
		accounts["merchant:"+m.ID] = mockcentrapay.SandboxMerchantAccountID
	}
	for _, w := range f.Centrapay.Wallets {
		_, account, err := s.CentrapayStore.AddWallet(mockcentrapay.WalletFixture{ID: w.ID, Name: w.Name, AssetTypes: w.AssetTypes}, now)
		if err != nil {
			return nil, fmt.Errorf("fixture wallet %s: %w", w.ID, err)
		}
		accounts["wallet:"+w.ID] = account
	}
	for _, k := range f.Centrapay.APIKeys {
		account := mockcentrapay.SandboxMerchantAccountID
		switch {
		case k.Wallet != "":
			account = accounts["wallet:"+k.Wallet]
		case k.Merchant != "" && k.Merchant != scenarios.DefaultMerchant:
			account = accounts["merchant:"+k.Merchant]
		}
		if err := s.CentrapayStore.AddAPIKeyFor(k.Key, k.Role, account, now); err != nil {
			return nil, fmt.Errorf("fixture API key for %s: %w", firstNonEmpty(k.Wallet, k.Merchant, "default"), err)
		}
	}
	centrapay, _ := s.Service(ServiceCentrapay)
	for _, h := range f.Centrapay.Webhooks {
		account, name := mockcentrapay.SandboxMerchantAccountID, h.Merchant
		switch {
		case h.Wallet == mockcentrapay.PayapWalletID:
			account, name = mockcentrapay.PayapAccountID, h.Wallet
		case h.Wallet != "":
			account, name = accounts["wallet:"+h.Wallet], h.Wallet
		}
		url := h.URL
		if url == "" {
			url = centrapay.BaseURL + "/__sandbox/webhook-sink/" + name
		}
		if err := s.CentrapayStore.SetWebhookSubscription(account, url, h.EventTypes, now); err != nil {
			return nil, fmt.Errorf("fixture webhook subscription for %s: %w", name, err)
		}
	}
	return merchants, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// rulesFor translates a scenario's faults into fault engine rules; windows
// given as offsets count from start.
func (s *Sandbox) rulesFor(sc *scenarios.Scenario, start time.Time) ([]faults.Rule, error) {
	var rules []faults.Rule
	for i, f := range sc.Faults {
		r := faults.Rule{
			Name:    f.Name,
			Service: f.Service,
			Match: faults.Match{
				Method: f.Match.Method, Path: f.Match.Path,
				Header: f.Match.Header, Query: f.Match.Query,
			},
			When: faults.Trigger{
				Nth: f.When.Nth, Every: f.When.Every, After: f.When.After,
				Times: f.When.Times, Probability: f.When.Probability,
			},
		}
		if len(f.Match.Body) > 0 {
			r.Match.Body = map[string]string{}
			for k, v := range f.Match.Body {
				r.Match.Body[k] = bodyValue(v)
			}
		}
		if w := f.When.Window; w != nil {
			if w.From != nil {
				r.When.From = w.From.At(start)
			}
			if w.To != nil {
				r.When.To = w.To.At(start)
			}
		}
		a := f.Do
		if a.Delay != nil {
			r.Do.Delay = a.Delay.Min
			if a.Delay.Max > a.Delay.Min {
				r.Do.DelayMax = a.Delay.Max
			}
		}
		r.Do.Status, r.Do.Headers = a.Status, a.Headers
		switch b := a.Body.(type) {
		case nil:
		case string:
			r.Do.Body = []byte(b)
		default:
			data, err := json.Marshal(jsonable(b))
			if err != nil {
				return nil, fmt.Errorf("%s: faults[%d].do.body: %w", sc.File, i, err)
			}
			r.Do.Body = data
		}
		r.Do.Drop, r.Do.Hang, r.Do.Truncate, r.Do.Malformed = a.Drop, a.Hang, a.Truncate, a.Malformed
		r.Do.OAuthError = a.OAuthError
		if a.RateLimit != nil {
			r.Do.RetryAfter = a.RateLimit.RetryAfter
		}
		switch {
		case a.PayResult != nil:
			r.Do.Hook = hookPayResult
			r.Do.Params = map[string]string{
				"status": a.PayResult.Status, "failureReason": a.PayResult.FailureReason,
				"resolveAfterPolls": strconv.Itoa(a.PayResult.ResolveAfterPolls), "then": a.PayResult.Then,
			}
			o := mockprovider.PayOverride{Status: a.PayResult.Status, FailureReason: a.PayResult.FailureReason, ResolveAfterPolls: a.PayResult.ResolveAfterPolls, Then: a.PayResult.Then}
			if err := o.Validate(); err != nil {
				return nil, fmt.Errorf("%s: faults[%d].do.payResult: %w", sc.File, i, err)
			}
		case a.ExpireGrant != nil:
			r.Do.Hook, r.Do.Params = hookExpireGrant, map[string]string{"user": a.ExpireGrant.User}
		case a.RevokeGrant != nil:
			r.Do.Hook, r.Do.Params = hookRevokeGrant, map[string]string{"user": a.RevokeGrant.User}
		case a.WebhookFailure != nil:
			r.Service = webhookService
			r.Do.Status = a.WebhookFailure.Status
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// bodyValue is a body field's expected value as the fault engine compares
// it: a string's text, a number or literal as written, anything else as
// compact JSON.
func bodyValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	data, _ := json.Marshal(jsonable(v))
	return string(data)
}

// jsonable turns YAML's map[any]any (if any) into JSON-encodable maps.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}

// AdvanceClock moves the sandbox clock forward by d (d > 0).
func (s *Sandbox) AdvanceClock(d time.Duration) (time.Time, error) {
	if d <= 0 {
		return s.Clock.Now(), fmt.Errorf("advance the clock by a positive duration, not %s", d)
	}
	if err := s.Clock.Advance(d); err != nil {
		return s.Clock.Now(), err
	}
	return s.Clock.Now(), nil
}

// SetClock sets the sandbox clock.
func (s *Sandbox) SetClock(t time.Time) error {
	if t.IsZero() {
		return errors.New("give the time to set the clock to")
	}
	s.Clock.Set(t)
	return nil
}

// SetBalance sets a provider asset's balance.
func (s *Sandbox) SetBalance(assetID string, balance int64) error {
	if balance < 0 {
		return fmt.Errorf("a balance cannot be negative (%d)", balance)
	}
	if _, ok := s.ProviderStore.Asset(assetID); !ok {
		return fmt.Errorf("%w: the provider has no asset %q", ErrNotFound, assetID)
	}
	return s.ProviderStore.SetBalance(assetID, balance)
}

// RevokeGrants revokes every grant of a provider user, as the user would
// in the provider's account settings.
func (s *Sandbox) RevokeGrants(username string) (int, error) {
	n, err := s.ProviderStore.RevokeUserGrants(username, "revoked in the sandbox", s.Clock.Now())
	if errors.Is(err, mockprovider.ErrNotFound) {
		return 0, fmt.Errorf("%w: the provider has no user %q", ErrNotFound, username)
	}
	return n, err
}

// ExpireTokens expires a provider user's access tokens now; refresh tokens
// keep working.
func (s *Sandbox) ExpireTokens(username string) (int, error) {
	n, err := s.ProviderStore.ExpireUserTokens(username, s.Clock.Now())
	if errors.Is(err, mockprovider.ErrNotFound) {
		return 0, fmt.Errorf("%w: the provider has no user %q", ErrNotFound, username)
	}
	return n, err
}

// Frontend is a client of the running services' HTTP APIs, as a front end.
func (s *Sandbox) Frontend() *frontend.Client {
	urls := frontend.URLs{}
	for _, svc := range s.Services() {
		switch svc.Name {
		case ServiceProvider:
			urls.Provider = svc.BaseURL
		case ServicePayap:
			urls.Payap = svc.BaseURL
		case ServiceCentrapay:
			urls.Centrapay = svc.BaseURL
		}
	}
	return frontend.New(urls, nil)
}

// RunScenario activates a loaded scenario (a fresh start) and runs its
// steps through the services' HTTP APIs, calling progress after each step.
func (s *Sandbox) RunScenario(ctx context.Context, name string, progress func(scenarios.StepResult)) (scenarios.Report, error) {
	sc, ok := s.Scenario(name)
	if !ok {
		return scenarios.Report{}, fmt.Errorf("%w: %q is not loaded", ErrNoScenario, name)
	}
	if err := s.ActivateScenario(name); err != nil {
		return scenarios.Report{}, err
	}
	return scenarios.Run(ctx, &target{s: s, client: s.Frontend()}, sc, progress)
}

// target is the sandbox as the scenario runner drives it.
type target struct {
	s      *Sandbox
	client *frontend.Client
}

var _ scenarios.Target = (*target)(nil)

func (t *target) Client() *frontend.Client { return t.client }

func (t *target) AdvanceClock(d time.Duration) (time.Time, error) { return t.s.AdvanceClock(d) }

func (t *target) SetBalance(assetID string, balance int64) error {
	return t.s.SetBalance(assetID, balance)
}

func (t *target) RevokeGrants(username string) (int, error) { return t.s.RevokeGrants(username) }

func (t *target) Balance(assetID string) (int64, bool) {
	a, ok := t.s.ProviderStore.Asset(assetID)
	return a.Balance, ok
}

func (t *target) ProviderPassword(username string) (string, bool) {
	u, ok := t.s.ProviderStore.UserByUsername(username)
	return u.Password, ok
}

func (t *target) PayapPassword(email string) (string, bool) {
	u, ok := t.s.PayapStore.UserByEmail(email)
	return u.Password, ok
}

func (t *target) Merchant(name string) (configID, apiKey string, ok bool) {
	if name == scenarios.DefaultMerchant {
		return mockcentrapay.SandboxMerchantConfigID, mockcentrapay.MerchantTerminalKey, true
	}
	t.s.scMu.Lock()
	defer t.s.scMu.Unlock()
	m, ok := t.s.merchants[name]
	return m.configID, m.apiKey, ok
}

func (t *target) Journal(after uint64) []journal.Entry {
	var out []journal.Entry
	for {
		batch := t.s.Journal.Since(after, 1000)
		out = append(out, batch...)
		if len(batch) < 1000 {
			return out
		}
		after = batch[len(batch)-1].ID
	}
}

func (t *target) LastID() uint64 { return t.s.Journal.LastID() }
