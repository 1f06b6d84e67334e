package faults

import (
	"context"
	"time"
)

// SetSleep replaces the engine's delay, so that tests see the delays without
// waiting for them.
func SetSleep(e *Engine, sleep func(ctx context.Context, d time.Duration) error) { e.sleep = sleep }
