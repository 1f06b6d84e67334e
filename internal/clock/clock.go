// Package clock is the sandbox clock: the one source of "now" that every
// expiry in the sandbox reads, so testers can advance time instead of waiting.
package clock

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Clock tells the sandbox time. It follows the wall clock shifted by an
// offset that Advance and Set move, or, when frozen, stands still at a fixed
// instant until it is moved. The zero value is not usable; use New or NewFrozen.
// A Clock is safe for concurrent use and Now never blocks.
type Clock struct {
	wall   func() time.Time
	offset atomic.Int64 // nanoseconds added to the wall clock
	frozen atomic.Bool
	at     atomic.Int64 // unix nanoseconds while frozen
}

// New returns a clock that runs with the wall clock.
func New() *Clock {
	return &Clock{wall: time.Now}
}

// NewFrozen returns a clock that stands at t until Advance or Set moves it.
// Tests use it so that expiries are exact.
func NewFrozen(t time.Time) *Clock {
	c := &Clock{wall: time.Now}
	c.frozen.Store(true)
	c.at.Store(t.UnixNano())
	return c
}

// NewAt returns a running clock whose current time is t.
func NewAt(t time.Time) *Clock {
	c := New()
	c.Set(t)
	return c
}

// Now returns the sandbox time.
func (c *Clock) Now() time.Time {
	if c.frozen.Load() {
		return time.Unix(0, c.at.Load()).UTC()
	}
	return c.wall().Add(time.Duration(c.offset.Load())).UTC()
}

// Advance moves the clock forward by d. A negative d is refused: expiries must
// never come back to life.
func (c *Clock) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("clock: cannot move back in time by %s: advance takes a positive duration", -d)
	}
	if c.frozen.Load() {
		c.at.Add(int64(d))
		return nil
	}
	c.offset.Add(int64(d))
	return nil
}

// Set moves the clock to t. Moving backwards is allowed here, for tests and
// snapshots that restore an earlier time.
func (c *Clock) Set(t time.Time) {
	if c.frozen.Load() {
		c.at.Store(t.UnixNano())
		return
	}
	c.offset.Store(int64(t.Sub(c.wall())))
}

// Frozen reports whether the clock stands still.
func (c *Clock) Frozen() bool { return c.frozen.Load() }

// Offset returns how far the running clock is ahead of the wall clock.
func (c *Clock) Offset() time.Duration {
	if c.frozen.Load() {
		return c.Now().Sub(c.wall())
	}
	return time.Duration(c.offset.Load())
}
