package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/control"
	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/scenarios"
)

// controlHandler is the control API every service serves under /__sandbox/,
// outside the journal and the fault engine: polling it does not fill the
// journal, and no fault can lock a tester out.
func (s *Sandbox) controlHandler() http.Handler {
	return control.New(control.Config{AllowRemote: s.cfg.Control.AllowRemote}, control.Deps{
		Backend: backend{s},
		Logger:  s.log.With("component", "control"),
	})
}

// mount serves the control API beside a service's handler.
func mount(ctl, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, control.Prefix) {
			ctl.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Ready reports whether every service is serving.
func (s *Sandbox) Ready() bool {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	select {
	case <-s.stopped:
		return false
	default:
		return started
	}
}

// backend is the sandbox as the control API drives it.
type backend struct{ s *Sandbox }

var _ control.Backend = backend{}

func (b backend) Services() []control.Service {
	var out []control.Service
	for _, svc := range b.s.Services() {
		out = append(out, control.Service{Name: svc.Name, BaseURL: svc.BaseURL})
	}
	return out
}

func (b backend) Ready() bool  { return b.s.Ready() }
func (b backend) Reset() error { return b.s.Reset() }

func (b backend) Scenarios() []control.Scenario {
	var out []control.Scenario
	for _, info := range b.s.Scenarios() {
		out = append(out, controlScenario(info))
	}
	return out
}

func controlScenario(i ScenarioInfo) control.Scenario {
	return control.Scenario{
		Name: i.Name, File: i.File, Description: i.Description, Active: i.Active,
		Faults: i.Faults, Steps: i.Steps, LoadedAt: i.LoadedAt, Error: i.Error,
	}
}

func (b backend) LoadScenario(name string, src []byte, activate bool) (control.Scenario, error) {
	info, err := b.s.LoadScenario(name, src, activate)
	return controlScenario(info), notApplicable(err)
}

func (b backend) ActivateScenario(name string) error {
	return notApplicable(b.s.ActivateScenario(name))
}

// notApplicable marks a valid scenario the sandbox could not apply (a
// fixture clashing with the data, a fault the engine refuses) as the
// caller's to fix.
func notApplicable(err error) error {
	var invalid *scenarios.Error
	switch {
	case err == nil, errors.As(err, &invalid), errors.Is(err, ErrNoScenario):
		return controlError(err)
	}
	return fmt.Errorf("%w: %v", control.ErrInvalid, err)
}

func (b backend) DeactivateScenario(name string) error {
	return controlError(b.s.DeactivateScenario(name))
}

func (b backend) Faults() []faults.RuleStatus { return b.s.Faults.Rules() }

func (b backend) SetFaultActive(id string, active bool) error {
	return b.s.Faults.SetActive(id, active)
}

func (b backend) Now() time.Time { return b.s.Clock.Now() }

func (b backend) AdvanceClock(d time.Duration) (time.Time, error) {
	now, err := b.s.AdvanceClock(d)
	if err != nil {
		err = fmt.Errorf("%w: %v", control.ErrInvalid, err)
	}
	return now, err
}

func (b backend) SetClock(t time.Time) error {
	if err := b.s.SetClock(t); err != nil {
		return fmt.Errorf("%w: %v", control.ErrInvalid, err)
	}
	return nil
}

func (b backend) Journal() *journal.Journal { return b.s.Journal }

func (b backend) ExportState() ([]byte, error) { return b.s.ExportState() }

func (b backend) ImportState(data []byte) error { return controlError(b.s.ImportState(data)) }

func (b backend) SetBalance(assetID string, balance int64) error {
	err := b.s.SetBalance(assetID, balance)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %v", control.ErrInvalid, err)
	}
	return controlError(err)
}

func (b backend) RevokeGrants(username string) (int, error) {
	n, err := b.s.RevokeGrants(username)
	return n, controlError(err)
}

func (b backend) ExpireTokens(username string) (int, error) {
	n, err := b.s.ExpireTokens(username)
	return n, controlError(err)
}

// controlError gives the control API the errors it maps to statuses.
func controlError(err error) error {
	var se *StateError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return &control.StateError{Problems: se.Problems}
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoScenario):
		return fmt.Errorf("%w: %v", control.ErrNotFound, err)
	}
	return err
}
