package sandbox

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/payap/payap-sandbox/scenarios"
)

// ReloadScenarioFile reads a loaded scenario's file again. A valid file
// replaces the loaded version: when the scenario is active and only its
// faults or steps changed, the new faults replace the old ones and the
// state stays; when its seed, clock or fixtures changed, it is activated
// again (a fresh start). A broken file changes nothing: the last good
// version stays, and its ScenarioInfo.Error says what is wrong.
func (s *Sandbox) ReloadScenarioFile(path string) error {
	sc, err := scenarios.Load(path)
	if err != nil {
		s.markReloadError(path, err)
		return err
	}
	s.scMu.Lock()
	var old *loaded
	for _, l := range s.loaded {
		if l.sc.File == path || l.info.Name == sc.Name {
			old = l
			break
		}
	}
	s.scMu.Unlock()
	if old == nil || !old.info.Active || !sameStart(old.sc, sc) {
		_, err := s.AddScenario(sc, old != nil && old.info.Active)
		if err != nil {
			s.markReloadError(path, err)
		}
		return err
	}
	// Only faults or steps changed: swap the faults, keep the state.
	rules, err := s.rulesFor(sc, s.scenarioStart(sc))
	if err == nil {
		err = s.Faults.Set(rules)
	}
	if err != nil {
		s.markReloadError(path, err)
		return err
	}
	s.scMu.Lock()
	old.sc = sc
	old.rules = rules
	old.info.Description, old.info.Steps, old.info.Error = sc.Description, len(sc.Steps), ""
	old.info.LoadedAt = time.Now().UTC()
	old.info.Faults = old.info.Faults[:0]
	for _, r := range rules {
		old.info.Faults = append(old.info.Faults, r.Name)
	}
	s.scMu.Unlock()
	return nil
}

// sameStart reports whether two versions of a scenario start the sandbox
// the same way: seed, clock and fixtures.
func sameStart(a, b *scenarios.Scenario) bool {
	return reflect.DeepEqual(a.Seed, b.Seed) && reflect.DeepEqual(a.Clock, b.Clock) && reflect.DeepEqual(a.Fixtures, b.Fixtures)
}

func (s *Sandbox) markReloadError(path string, err error) {
	s.log.Warn("scenario file not reloaded; the last good version stays", "file", path, "err", err)
	s.scMu.Lock()
	defer s.scMu.Unlock()
	for _, l := range s.loaded {
		if l.sc.File == path {
			l.info.Error = err.Error()
		}
	}
}

// WatchScenarioFile reloads the scenario file at path whenever it changes
// (see ReloadScenarioFile), until ctx ends. It watches the file's directory,
// so editors that save by renaming a new file over the old one are seen
// too; bursts of events within debounce are one reload.
func (s *Sandbox) WatchScenarioFile(ctx context.Context, path string, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	defer w.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) != abs || ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("scenario file watcher", "file", path, "err", err)
		case <-timer.C:
			// A failed reload is logged and recorded by markReloadError.
			if err := s.ReloadScenarioFile(path); err == nil {
				s.log.Info("scenario file reloaded", "file", path)
			}
		}
	}
}
