// Package control is the sandbox's control API: a small JSON API under
// /__sandbox/ on each of the three service ports, through which testers and
// tools drive a running sandbox over HTTP. It resets the sandbox, loads and
// activates scenarios, toggles faults, moves the sandbox clock, reads the
// journal, saves and restores the state, and changes the mock provider's
// data.
//
// The package knows HTTP, not the sandbox: New serves the API over a
// Backend, which *sandbox.Sandbox implements. The API is described in
// OpenAPI 3.0.3 at GET /__sandbox/openapi.json.
package control

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
)

// Prefix is the path under which the control API is served.
const Prefix = "/__sandbox/"

// Backend is what the control API drives; *sandbox.Sandbox implements it.
// Its methods are called from concurrent requests and must be safe for
// concurrent use.
type Backend interface {
	// Services lists the running services in start order.
	Services() []Service
	// Ready reports whether every service is serving.
	Ready() bool
	// Reset goes back to the start state: no scenario, no faults, the
	// journal emptied, the stores as seeded (or as restored by --state).
	Reset() error
	// Scenarios lists the loaded scenarios in load order.
	Scenarios() []Scenario
	// LoadScenario parses and validates a scenario file's bytes (name is
	// used in error positions, e.g. "upload.yaml") and registers it,
	// replacing a loaded scenario of the same name; activate also activates
	// it. A *scenarios.Error means the file is invalid.
	LoadScenario(name string, src []byte, activate bool) (Scenario, error)
	// ActivateScenario resets to the start state with the scenario's seed
	// and clock, and applies its fixtures and faults. An unknown name is an
	// error wrapping ErrNotFound.
	ActivateScenario(name string) error
	// DeactivateScenario removes the scenario's faults and keeps the state.
	// An unknown name is an error wrapping ErrNotFound.
	DeactivateScenario(name string) error
	// Faults lists the fault rules with their hit counts.
	Faults() []faults.RuleStatus
	// SetFaultActive switches a fault rule on or off. An unknown id is an
	// error wrapping faults.ErrNotFound.
	SetFaultActive(id string, active bool) error
	// Now is the sandbox clock.
	Now() time.Time
	// AdvanceClock moves the sandbox clock forward by d > 0 and returns the
	// new time; a negative d is an error.
	AdvanceClock(d time.Duration) (time.Time, error)
	// SetClock sets the sandbox clock.
	SetClock(t time.Time) error
	// Journal is the journal every service records into.
	Journal() *journal.Journal
	// ExportState is a JSON snapshot of all state.
	ExportState() ([]byte, error)
	// ImportState restores a snapshot, all or nothing. A *StateError means
	// the snapshot is invalid and nothing changed.
	ImportState(snapshot []byte) error
	// SetBalance sets a provider asset's balance in minor units. An unknown
	// asset is an error wrapping ErrNotFound; a bad value one wrapping
	// ErrInvalid.
	SetBalance(assetID string, balance int64) error
	// RevokeGrants revokes every grant (and so every token) the provider
	// gave for the user and returns how many. An unknown user is an error
	// wrapping ErrNotFound.
	RevokeGrants(username string) (int, error)
	// ExpireTokens makes every access token the provider issued to the user
	// expired on the sandbox clock and returns how many. An unknown user is
	// an error wrapping ErrNotFound.
	ExpireTokens(username string) (int, error)
}

// Service is one running service.
type Service struct {
	Name    string `json:"name"`
	BaseURL string `json:"baseUrl"`
}

// Scenario is a loaded scenario as the control API lists it.
type Scenario struct {
	Name        string `json:"name"`
	File        string `json:"file"`
	Description string `json:"description"`
	Active      bool   `json:"active"`
	// Faults are the ids of the fault rules the scenario installs.
	Faults []string `json:"faults"`
	// Steps counts the scenario's replayable steps.
	Steps    int       `json:"steps"`
	LoadedAt time.Time `json:"loadedAt"`
	// Error is the last reload error, "" when the file is fine. Hot reload
	// keeps the last good version loaded.
	Error string `json:"error,omitempty"`
}

// ErrNotFound is wrapped by Backend errors about an unknown scenario, asset
// or user.
var ErrNotFound = errors.New("not found")

// ErrInvalid is wrapped by Backend errors about a value the backend refuses.
// Its text is shown to the caller, so it should say how to fix the request.
var ErrInvalid = errors.New("invalid")

// StateError is the Backend's error for a snapshot that cannot be imported.
// Each problem is shown to the caller.
type StateError struct {
	Problems []string
}

func (e *StateError) Error() string {
	if len(e.Problems) == 0 {
		return "invalid state snapshot"
	}
	return "invalid state snapshot: " + strings.Join(e.Problems, "; ")
}

// Config configures the control API.
type Config struct {
	// AllowRemote serves requests whose RemoteAddr is not a loopback
	// address; by default they get 403.
	AllowRemote bool
}

// Deps are the control API's collaborators.
type Deps struct {
	Backend Backend
	// Logger logs backend failures the caller only sees as a 500; nil
	// discards them.
	Logger *slog.Logger
}

// New returns the control API. It serves paths starting with /__sandbox/;
// any other path is answered 404 in the API's error shape.
func New(cfg Config, deps Deps) http.Handler {
	c := &control{cfg: cfg, b: deps.Backend, log: deps.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c.guard(c.routes())
}

type control struct {
	cfg Config
	b   Backend
	log *slog.Logger
}
