package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// StateVersion is the version of the snapshot format State writes.
const StateVersion = 1

// State is a snapshot of everything the sandbox holds: the three stores and
// the sandbox clock. It is what `--state FILE` restores at start and writes
// on shutdown, and what the control API exports and imports. Fault rules and
// scenarios are not part of it: they come from scenario files.
type State struct {
	Version int `json:"version"`
	// SavedAt is the wall-clock time of the snapshot.
	SavedAt time.Time `json:"savedAt"`
	// Clock is the sandbox clock at the snapshot.
	Clock     time.Time              `json:"clock"`
	Seed      int64                  `json:"seed"`
	Provider  mockprovider.Snapshot  `json:"provider"`
	Payap     mockpayap.Snapshot     `json:"payap"`
	Centrapay mockcentrapay.Snapshot `json:"centrapay"`
}

// StateError is a snapshot that cannot be restored; nothing was changed.
type StateError struct {
	Problems []string
}

func (e *StateError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid state snapshot: " + e.Problems[0]
	}
	msg := fmt.Sprintf("invalid state snapshot (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		msg += "\n  " + p
	}
	return msg
}

// Snapshot takes a consistent copy of every store and the clock. Each store
// is copied under its own lock; take it when no flow is half-way through
// for an exact picture.
func (s *Sandbox) Snapshot() *State {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.snapshotLocked()
}

func (s *Sandbox) snapshotLocked() *State {
	return &State{
		Version:   StateVersion,
		SavedAt:   time.Now().UTC(),
		Clock:     s.Clock.Now().UTC(),
		Seed:      s.seed,
		Provider:  s.ProviderStore.Snapshot(),
		Payap:     s.PayapStore.Snapshot(),
		Centrapay: s.CentrapayStore.Snapshot(),
	}
}

// Restore replaces every store's state and the clock with st. Every part is
// checked before anything changes: an invalid snapshot is a *StateError and
// leaves the sandbox as it was.
func (s *Sandbox) Restore(st *State) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.restoreLocked(st)
}

func (s *Sandbox) restoreLocked(st *State) error {
	if st.Version != StateVersion {
		return &StateError{Problems: []string{fmt.Sprintf("version %d: this sandbox reads version %d snapshots", st.Version, StateVersion)}}
	}
	if st.Clock.IsZero() {
		return &StateError{Problems: []string{"clock: missing; give the sandbox time the snapshot was taken at (RFC 3339)"}}
	}
	// Check every store against a scratch copy first, so that one bad part
	// leaves all three untouched.
	var problems []string
	check := func(part string, err error) {
		if err != nil {
			problems = append(problems, part+": "+err.Error())
		}
	}
	check("provider", mockprovider.NewMemStore().Restore(st.Provider))
	check("payap", mockpayap.NewMemStore().Restore(st.Payap))
	check("centrapay", mockcentrapay.NewMemStore(st.Seed).Restore(st.Centrapay))
	if len(problems) > 0 {
		return &StateError{Problems: problems}
	}
	if err := s.ProviderStore.Restore(st.Provider); err != nil {
		return err
	}
	if err := s.PayapStore.Restore(st.Payap); err != nil {
		return err
	}
	if err := s.CentrapayStore.Restore(st.Centrapay); err != nil {
		return err
	}
	s.reregisterAssetType()
	s.Clock.Set(st.Clock)
	s.seed = st.Seed
	return nil
}

// reregisterAssetType points the mock Payap's asset type at the provider
// where it runs now: a snapshot from another run may name another port.
func (s *Sandbox) reregisterAssetType() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return
	}
	provider := s.services[0].BaseURL
	if err := mockpayap.RegisterAssetType(s.PayapStore, s.cfg.Payap.Provider, provider); err != nil {
		s.log.Warn("re-register the provider's asset type after a restore", "err", err)
	}
}

// ExportState is the snapshot as indented JSON.
func (s *Sandbox) ExportState() ([]byte, error) {
	return json.MarshalIndent(s.Snapshot(), "", "  ")
}

// ImportState restores a JSON snapshot; see Restore.
func (s *Sandbox) ImportState(data []byte) error {
	st, err := DecodeState(data)
	if err != nil {
		return err
	}
	return s.Restore(st)
}

// DecodeState reads a JSON snapshot strictly: an unknown field is an error,
// so a misspelt key is never silently dropped.
func DecodeState(data []byte) (*State, error) {
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, &StateError{Problems: []string{"not a state snapshot: " + err.Error()}}
	}
	if dec.More() {
		return nil, &StateError{Problems: []string{"not a state snapshot: more than one JSON value"}}
	}
	return &st, nil
}

// LoadStateFile restores the snapshot in path. A missing file is not an
// error (the first run creates it on shutdown); it reports false.
func (s *Sandbox) LoadStateFile(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := s.ImportState(data); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// SaveStateFile writes the snapshot to path atomically (a temporary file
// renamed over it), so a crash never leaves half a snapshot.
func (s *Sandbox) SaveStateFile(path string) error {
	data, err := s.ExportState()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".payap-sandbox-state-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// UseStateFile restores the snapshot in path, if the file exists, and makes
// it the start state Reset goes back to. Call it after Start. A missing file
// is not an error: the first run writes it on shutdown.
func (s *Sandbox) UseStateFile(path string) (restored bool, err error) {
	restored, err = s.LoadStateFile(path)
	if err != nil || !restored {
		return restored, err
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.base = s.snapshotLocked()
	s.baseFixed = true
	return true, nil
}
