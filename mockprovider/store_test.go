package mockprovider

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMemStoreSweepForgetsExpiredRecords shows the store's memory stays
// bounded: once codes and tokens are long past their expiry, a sweep drops
// them, while live ones survive.
func TestMemStoreSweepForgetsExpiredRecords(t *testing.T) {
	s := NewMemStore()
	if err := Seed(s, 1); err != nil {
		t.Fatal(err)
	}
	now := start
	live := hashOf("live-code")
	s.SaveCode(live, Code{ClientID: "c", ExpiresAt: now.Add(24 * time.Hour)}, now)
	for i := 0; i < 2*sweepEvery; i++ {
		s.SaveCode(hashOf(fmt.Sprint("old-", i)), Code{ClientID: "c", ExpiresAt: now.Add(time.Minute)}, now)
	}
	later := now.Add(codeKeep + 2*time.Minute)
	for i := 0; i < sweepEvery; i++ {
		s.SaveCode(hashOf(fmt.Sprint("new-", i)), Code{ClientID: "c", ExpiresAt: later.Add(time.Minute)}, later)
	}
	s.mu.RLock()
	n := len(s.codes)
	s.mu.RUnlock()
	if n > sweepEvery+1 {
		t.Fatalf("%d codes held after a sweep, want at most %d", n, sweepEvery+1)
	}
	if _, err := s.Code(live, later); err != nil {
		t.Fatalf("a live code was swept: %v", err)
	}
}

func TestMemStoreRejectsBadData(t *testing.T) {
	s := NewMemStore()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"user without id", s.PutUser(User{Username: "x"})},
		{"asset of unknown user", s.PutAsset(Asset{ID: "a", UserID: "nobody"})},
		{"balance of unknown asset", s.SetBalance("nope", 1)},
		{"negative balance", s.SetBalance("nope", -1)},
	} {
		if tc.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if err := s.PutUser(User{ID: "1", Username: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(User{ID: "2", Username: "u"}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate username: err = %v, want ErrExists", err)
	}
}

// TestBurnedCodeSaysWhy: after a failed exchange burned a code, the retry's
// description says the code was used up, not that tokens were revoked.
func TestBurnedCodeSaysWhy(t *testing.T) {
	h := newHarness(t)
	code, verifier := h.code()
	wantOAuthError(t, h.token(code, strings.Repeat("x", 43)), http.StatusBadRequest, "invalid_grant")
	e := wantOAuthError(t, h.token(code, verifier), http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(e.Description, "used up") {
		t.Fatalf("description %q does not say the code was used up by a failed exchange", e.Description)
	}
}

// TestSeedIsDeterministic: the same seed gives the same users and assets;
// the demo login is the same whatever the seed.
func TestSeedIsDeterministic(t *testing.T) {
	dump := func(seed int64) string {
		s := NewMemStore()
		if err := Seed(s, seed); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, u := range s.Users() {
			fmt.Fprintf(&b, "%+v %+v\n", u, s.Assets(u.ID))
		}
		return b.String()
	}
	a, b, c := dump(42), dump(42), dump(7)
	if a != b {
		t.Fatalf("seed 42 gave different data:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatal("seeds 42 and 7 gave the same data")
	}
	for _, d := range []string{a, c} {
		if !strings.Contains(d, "Username:"+DemoUsername+" Password:"+DemoPassword) {
			t.Fatalf("demo login missing from:\n%s", d)
		}
	}
	s := NewMemStore()
	_ = Seed(s, 42)
	users := s.Users()
	if len(users) != 1+generatedUsers {
		t.Fatalf("%d users, want %d", len(users), 1+generatedUsers)
	}
	for _, u := range users {
		if n := len(s.Assets(u.ID)); n < 1 || n > 3 {
			t.Errorf("user %s has %d assets, want 1 to 3", u.Username, n)
		}
	}
}
