// Package sandbox builds the Payap Sandbox ecosystem (clock, journal and the
// mock services), starts the services together and stops them together. The
// command, the TUI, the scenario runner and tests all drive it through this
// Go API.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/payapjwt"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// Service names, as the journal records them.
const (
	ServiceProvider  = "provider"
	ServicePayap     = "payap"
	ServiceCentrapay = "centrapay"
)

// Service describes one running service.
type Service struct {
	Name    string
	Addr    string // the address it listens on
	BaseURL string // the URL it is reached at
}

// Sandbox is the running ecosystem. Build it with New, then Start (or Run).
type Sandbox struct {
	cfg Config
	log *slog.Logger

	// Clock is the sandbox clock every expiry reads.
	Clock *clock.Clock
	// Journal records every exchange of every service.
	Journal *journal.Journal
	// Faults injects faults into every service's requests; it sits inside
	// the journal, so a faulted exchange is journalled with its fault.
	Faults *faults.Engine
	// ProviderStore holds the mock provider's users, assets and grants.
	ProviderStore *mockprovider.MemStore
	// PayapStore holds the mock Payap's users, connections and wallet.
	PayapStore *mockpayap.MemStore
	// Keys are Payap's ES256 signing keys, published at its JWKS URL.
	Keys *payapjwt.Keyring
	// Signer signs Payap's requests to providers with Keys.
	Signer *payapjwt.Signer
	// CentrapayStore holds the mock Centrapay's accounts, merchants,
	// payment requests and wallets.
	CentrapayStore *mockcentrapay.MemStore
	// CentrapayKeys are Centrapay's own ES256 keys, which sign webhooks.
	CentrapayKeys *payapjwt.Keyring
	// CentrapayWebhooks delivers the mock Centrapay's webhooks, signed with
	// CentrapayKeys; Start runs it until Shutdown. Scenarios and tests may
	// call its DeliverDue.
	CentrapayWebhooks *mockcentrapay.Webhooks

	// stateMu serialises what replaces store state as a whole: snapshots,
	// restores, resets and scenario activation.
	stateMu sync.Mutex
	seed    int64 // the seed the stores were made with
	// base is the start state Reset goes back to: the seeded stores at
	// Start, or the --state snapshot. baseFixed: its clock is a chosen
	// time (config clock.start or --state), not just when Start ran.
	base      *State
	baseFixed bool

	scMu      sync.Mutex // guards loaded and merchants
	loaded    []*loaded
	merchants map[string]merchantRef

	mu       sync.Mutex
	started  bool
	services []*service
	group    *errgroup.Group
	stopped  chan struct{}
	// stopWebhooks ends CentrapayWebhooks.Run.
	stopWebhooks context.CancelFunc
}

type service struct {
	Service
	ln  net.Listener
	srv *http.Server
}

// New validates cfg and builds the sandbox's state: the clock, the journal
// and the seeded stores. It opens no port; Start does.
func New(cfg Config, log *slog.Logger) (*Sandbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := clock.New()
	if cfg.Clock.Start != "" {
		t, _ := time.Parse(time.RFC3339, cfg.Clock.Start) // checked by Validate
		clk.Set(t)
	}
	keys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		return nil, fmt.Errorf("make Payap's signing key: %w", err)
	}
	centrapayKeys, err := payapjwt.NewKeyring(payapjwt.KeyringConfig{}, clk)
	if err != nil {
		return nil, fmt.Errorf("make Centrapay's signing key: %w", err)
	}
	// The asset type the mock Payap registers is known to Centrapay too.
	if !slices.Contains(cfg.Centrapay.ThirdPartyAssetTypes, cfg.Payap.Provider.Name) {
		cfg.Centrapay.ThirdPartyAssetTypes = append(slices.Clone(cfg.Centrapay.ThirdPartyAssetTypes), cfg.Payap.Provider.Name)
	}
	stores, err := seedStores(cfg, cfg.Seed)
	if err != nil {
		return nil, err
	}
	jnl := journal.New(cfg.Journal)
	engine := faults.New(cfg.Seed, clk)
	// Webhook deliveries are journalled as the mock Centrapay's outbound
	// exchanges, with any fault a scenario injects into them.
	webhookClient := &http.Client{Timeout: 10 * time.Second,
		Transport: jnl.Transport(ServiceCentrapay, clk.Now, engine.Transport(webhookService, nil))}
	sb := &Sandbox{
		cfg:            cfg,
		log:            log,
		Clock:          clk,
		Journal:        jnl,
		Faults:         engine,
		ProviderStore:  stores.provider,
		PayapStore:     stores.payap,
		Keys:           keys,
		Signer:         payapjwt.NewSigner(keys, clk),
		CentrapayStore: stores.centrapay,
		CentrapayKeys:  centrapayKeys,
		CentrapayWebhooks: mockcentrapay.NewWebhooks(stores.centrapay, clk, payapjwt.NewSigner(centrapayKeys, clk), webhookClient,
			cfg.Centrapay.WebhookRetries, log.With("service", ServiceCentrapay, "component", "webhooks")),
		stopped:   make(chan struct{}),
		seed:      cfg.Seed,
		baseFixed: cfg.Clock.Start != "",
	}
	sb.registerHooks()
	return sb, nil
}

// stores are the three mocks' stores.
type stores struct {
	provider  *mockprovider.MemStore
	payap     *mockpayap.MemStore
	centrapay *mockcentrapay.MemStore
}

// seedStores makes the three stores seeded with seed. cfg must have been
// through New's adjustments.
func seedStores(cfg Config, seed int64) (stores, error) {
	provider := mockprovider.NewMemStore()
	if err := mockprovider.Seed(provider, seed); err != nil {
		return stores{}, fmt.Errorf("seed the provider: %w", err)
	}
	payap := mockpayap.NewMemStore()
	if err := mockpayap.Seed(payap, seed); err != nil {
		return stores{}, fmt.Errorf("seed the mock Payap: %w", err)
	}
	centrapay := mockcentrapay.NewMemStore(seed)
	if err := mockcentrapay.Seed(centrapay, cfg.Centrapay.Config); err != nil {
		return stores{}, fmt.Errorf("seed the mock Centrapay: %w", err)
	}
	return stores{provider, payap, centrapay}, nil
}

// Config returns the configuration the sandbox runs with; after Start the
// provider's issuer and clients are filled in.
func (s *Sandbox) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Start binds every service's listener, builds the handlers with the base
// URLs that binding settled, and starts serving. Ports that cannot be bound
// are reported together with the key that moves them. The state at Start is
// the start state Reset goes back to.
func (s *Sandbox) Start() error {
	if err := s.start(); err != nil {
		return err
	}
	s.stateMu.Lock()
	s.base = s.snapshotLocked()
	s.stateMu.Unlock()
	return nil
}

func (s *Sandbox) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("sandbox: already started")
	}
	provider, err := s.listen(ServiceProvider, s.cfg.Provider.ServiceConfig)
	if err != nil {
		return err
	}
	payap, err := s.listen(ServicePayap, s.cfg.Payap.ServiceConfig)
	if err != nil {
		provider.ln.Close()
		return err
	}
	centrapay, err := s.listen(ServiceCentrapay, s.cfg.Centrapay.ServiceConfig)
	if err != nil {
		provider.ln.Close()
		payap.ln.Close()
		return err
	}
	closeAll := func() { provider.ln.Close(); payap.ln.Close(); centrapay.ln.Close() }

	pcfg := s.cfg.Provider.Config
	pcfg.Issuer = provider.BaseURL
	if len(pcfg.Clients) == 0 {
		pcfg.Clients = []mockprovider.Client{mockprovider.DefaultClient(payap.BaseURL + "/callback")}
	}
	if pcfg.PayapJWKSURL == "" {
		pcfg.PayapJWKSURL = payap.BaseURL + "/.well-known/jwks.json"
	}
	if err := pcfg.Validate(); err != nil {
		closeAll()
		return err
	}
	s.cfg.Provider.Config = pcfg
	provider.srv.Handler = s.wrap(ServiceProvider, mockprovider.New(pcfg, mockprovider.Deps{
		Store:  s.ProviderStore,
		Clock:  s.Clock,
		Logger: s.log.With("service", ServiceProvider),
	}))

	acfg := s.cfg.Payap.Config
	acfg.PublicURL = payap.BaseURL
	if acfg.CentrapayURL == "" {
		acfg.CentrapayURL = centrapay.BaseURL
	}
	if err := mockpayap.RegisterAssetType(s.PayapStore, acfg.Provider, provider.BaseURL); err != nil {
		closeAll()
		return err
	}
	if acfg.Provider.BaseURL == "" {
		acfg.Provider.BaseURL = provider.BaseURL
	}
	s.cfg.Payap.Config = acfg
	payap.srv.Handler = s.wrap(ServicePayap, mockpayap.New(acfg, mockpayap.Deps{
		Store:  s.PayapStore,
		Clock:  s.Clock,
		JWKS:   s.Keys,
		Signer: s.Signer,
		Logger: s.log.With("service", ServicePayap),
	}))

	ccfg := s.cfg.Centrapay.Config
	ccfg.PublicURL = centrapay.BaseURL
	if ccfg.WalletOperatorURL == "" {
		ccfg.WalletOperatorURL = payap.BaseURL
	}
	s.cfg.Centrapay.Config = ccfg
	centrapay.srv.Handler = s.wrap(ServiceCentrapay, mockcentrapay.New(ccfg, mockcentrapay.Deps{
		Store:    s.CentrapayStore,
		Clock:    s.Clock,
		JWKS:     s.CentrapayKeys,
		Webhooks: s.CentrapayWebhooks,
		Signer:   payapjwt.NewSigner(s.CentrapayKeys, s.Clock),
		Logger:   s.log.With("service", ServiceCentrapay),
	}))
	s.services = []*service{provider, payap, centrapay}
	ctl := s.controlHandler()
	for _, svc := range s.services {
		svc.srv.Handler = mount(ctl, svc.srv.Handler)
	}

	s.group = &errgroup.Group{}
	var stopOnce sync.Once
	markStopped := func() { stopOnce.Do(func() { close(s.stopped) }) }
	for _, svc := range s.services {
		s.group.Go(func() error {
			// A service that stops serving, by failure or by Shutdown, ends
			// the sandbox: Done closes and Run shuts the rest down.
			defer markStopped()
			if err := svc.srv.Serve(svc.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", svc.Name, err)
			}
			return nil
		})
	}
	webhooksCtx, stopWebhooks := context.WithCancel(context.Background())
	s.stopWebhooks = stopWebhooks
	s.group.Go(func() error { return s.CentrapayWebhooks.Run(webhooksCtx) })
	s.started = true
	for _, svc := range s.services {
		s.log.Info("service listening", "service", svc.Name, "url", svc.BaseURL, "addr", svc.Addr)
	}
	return nil
}

// listen binds one service's port.
func (s *Sandbox) listen(name string, sc ServiceConfig) (*service, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(sc.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s cannot listen on %s: %w (choose another port with --%s-port or PAYAP_SANDBOX_%s_PORT, or 0 for any free port)",
			name, addr, err, name, upper(name))
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return &service{
		Service: Service{Name: name, Addr: ln.Addr().String(), BaseURL: s.baseURL(sc, port)},
		ln:      ln,
		srv: &http.Server{
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		},
	}, nil
}

// baseURL is a service's configured public URL, or http://HOST:PORT. port
// is the bound port, or 0 to use the configured one.
func (s *Sandbox) baseURL(sc ServiceConfig, port int) string {
	if sc.BaseURL != "" {
		return sc.BaseURL
	}
	if port == 0 {
		port = sc.Port
	}
	return "http://" + net.JoinHostPort(s.cfg.Host, strconv.Itoa(port))
}

// wrap puts the journal, then the fault engine, in front of a service's
// handler.
func (s *Sandbox) wrap(name string, h http.Handler) http.Handler {
	log := s.log.With("service", name)
	observe := func(e journal.Entry) {
		log.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", e.Method), slog.String("path", e.Path),
			slog.Int("status", e.Status), slog.Duration("latency", e.Latency))
	}
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		observe = nil
	}
	return s.Journal.Middleware(name, s.Clock.Now, observe)(s.Faults.Middleware(name)(h))
}

// Services lists the running services in start order.
func (s *Sandbox) Services() []Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Service, len(s.services))
	for i, svc := range s.services {
		out[i] = svc.Service
	}
	return out
}

// Service returns one running service by name.
func (s *Sandbox) Service(name string) (Service, bool) {
	for _, svc := range s.Services() {
		if svc.Name == name {
			return svc, true
		}
	}
	return Service{}, false
}

// Handler returns the handler a started service serves, journal included, so
// that tests and benchmarks can drive the stack in-process. It is nil for a
// service that is not running.
func (s *Sandbox) Handler(name string) http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, svc := range s.services {
		if svc.Name == name {
			return svc.srv.Handler
		}
	}
	return nil
}

// Done is closed once a service has stopped serving: after Shutdown, or
// when a server failed (Run then shuts the others down).
func (s *Sandbox) Done() <-chan struct{} { return s.stopped }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, until ctx ends; then it closes what is left. It returns the first
// serving error, if a service failed.
func (s *Sandbox) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	services := s.services
	started := s.started
	stopWebhooks := s.stopWebhooks
	s.mu.Unlock()
	if !started {
		return nil
	}
	stopWebhooks()
	s.Faults.Close() // hanging requests end, so that draining can finish
	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := svc.srv.Shutdown(ctx); err != nil {
				_ = svc.srv.Close()
				emu.Lock()
				errs = append(errs, fmt.Errorf("%s: in-flight requests did not finish: %w", svc.Name, err))
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := s.group.Wait(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run starts the sandbox and serves until ctx is cancelled or a service
// fails, then shuts down gracefully within the configured timeout.
func (s *Sandbox) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.stopped:
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.Shutdown(sctx)
	if err == nil {
		s.log.Info("stopped")
	}
	return err
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
