package clock

import (
	"testing"
	"time"
)

func TestFrozenClockStandsStillUntilMoved(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	c := NewFrozen(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %s, want %s", got, start)
	}
	if err := c.Advance(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), start.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("after Advance(2h) Now = %s, want %s", got, want)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("after Set Now = %s, want %s", got, start)
	}
}

func TestRunningClockFollowsWallWithOffset(t *testing.T) {
	wall := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &Clock{wall: func() time.Time { return wall }}
	if err := c.Advance(90 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), wall.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %s, want %s", got, want)
	}
	wall = wall.Add(time.Second)
	if got, want := c.Now(), wall.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("running clock did not follow the wall: Now = %s, want %s", got, want)
	}
	target := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(target)
	if got := c.Now(); !got.Equal(target) {
		t.Fatalf("after Set Now = %s, want %s", got, target)
	}
	if c.Offset() != target.Sub(wall) {
		t.Fatalf("Offset = %s, want %s", c.Offset(), target.Sub(wall))
	}
}

func TestAdvanceRefusesNegative(t *testing.T) {
	c := NewFrozen(time.Unix(0, 0))
	if err := c.Advance(-time.Second); err == nil {
		t.Fatal("Advance(-1s) succeeded; want an error")
	}
	if !c.Now().Equal(time.Unix(0, 0)) {
		t.Fatal("a refused Advance moved the clock")
	}
}
