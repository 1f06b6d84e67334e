package control

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// maxAdvanceSeconds bounds one clock step given in seconds; beyond it a
// time.Duration overflows.
const maxAdvanceSeconds = math.MaxInt64 / int64(time.Second)

func (c *control) handleGetClock(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, clockResponse{Now: c.b.Now()})
}

// handleAdvanceClock moves the clock forward: {"by": "90m"} or
// {"seconds": 5400}.
func (c *control) handleAdvanceClock(w http.ResponseWriter, r *http.Request) {
	var req advanceRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	var d time.Duration
	switch {
	case req.By != nil && req.Seconds != nil:
		writeError(w, newError(http.StatusBadRequest, "conflicting_fields", `send either "by" (a Go duration such as "90m") or "seconds", not both`))
		return
	case req.By != nil:
		s := strings.TrimSpace(*req.By)
		if s == "" {
			writeError(w, newError(http.StatusBadRequest, "missing_field", `by is blank; send a Go duration such as "90m", "2h" or "1h30m"`).field("by"))
			return
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			writeError(w, newError(http.StatusBadRequest, "invalid_duration", fmt.Sprintf(`by %q is not a Go duration; write it like "90m", "2h" or "1h30m15s" (units ns, us, ms, s, m, h)`, s)).field("by"))
			return
		}
		d = v
	case req.Seconds != nil:
		if *req.Seconds > maxAdvanceSeconds {
			writeError(w, newError(http.StatusBadRequest, "invalid_duration", "seconds is too large; advance at most "+strconv.FormatInt(maxAdvanceSeconds, 10)+" seconds at a time").field("seconds"))
			return
		}
		d = time.Duration(*req.Seconds) * time.Second
	default:
		writeError(w, newError(http.StatusBadRequest, "missing_field", `send "by" (a Go duration such as "90m") or "seconds" (an integer)`).field("by"))
		return
	}
	if d <= 0 {
		writeError(w, newError(http.StatusBadRequest, "invalid_duration", "the clock only moves forward: advance by a positive duration; to go back, PUT /__sandbox/clock with the time you want"))
		return
	}
	now, err := c.b.AdvanceClock(d)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			writeError(w, newError(http.StatusBadRequest, "invalid_duration", "the clock cannot advance by "+d.String()+": "+err.Error()))
			return
		}
		c.internal(w, r, "advance the clock", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, clockResponse{Now: now})
}

// handleSetClock sets the clock: {"now": "2026-01-01T09:00:00Z"}.
func (c *control) handleSetClock(w http.ResponseWriter, r *http.Request) {
	var req setClockRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Now == nil || strings.TrimSpace(*req.Now) == "" {
		writeError(w, newError(http.StatusBadRequest, "missing_field", `now is required: an RFC 3339 time such as "2026-01-01T09:00:00Z"`).field("now"))
		return
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*req.Now))
	if err != nil {
		writeError(w, newError(http.StatusBadRequest, "invalid_time", fmt.Sprintf(`now %q is not an RFC 3339 time; write it like "2026-01-01T09:00:00Z" or "2026-01-01T21:00:00+12:00"`, *req.Now)).field("now"))
		return
	}
	if err := c.b.SetClock(t); err != nil {
		if errors.Is(err, ErrInvalid) {
			writeError(w, newError(http.StatusBadRequest, "invalid_time", "the clock cannot be set to "+t.Format(time.RFC3339Nano)+": "+err.Error()).field("now"))
			return
		}
		c.internal(w, r, "set the clock", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, clockResponse{Now: c.b.Now()})
}
