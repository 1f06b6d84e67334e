package control

import (
	"net/http"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// handleHealth answers 200 whenever the process serves.
func (c *control) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, healthResponse{Status: "ok"})
}

// handleReady answers 200 when every service is serving, else 503, with
// the services and their base URLs either way.
func (c *control) handleReady(w http.ResponseWriter, r *http.Request) {
	status, ready := http.StatusOK, c.b.Ready()
	if !ready {
		status = http.StatusServiceUnavailable
	}
	services := c.b.Services()
	if services == nil {
		services = []Service{}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, readyResponse{Ready: ready, Services: services})
}

// handleReset puts the sandbox back in its start state.
func (c *control) handleReset(w http.ResponseWriter, r *http.Request) {
	if err := c.b.Reset(); err != nil {
		c.internal(w, r, "reset", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
