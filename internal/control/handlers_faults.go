package control

import (
	"net/http"
	"strconv"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/httpx"
)

func (c *control) handleListFaults(w http.ResponseWriter, r *http.Request) {
	all := c.b.Faults()
	out := list[fault]{Items: make([]fault, 0, len(all))}
	for _, s := range all {
		out.Items = append(out.Items, faultFrom(s))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (c *control) handleGetFault(w http.ResponseWriter, r *http.Request) {
	id := pathVar(r, "id")
	s, ok := c.fault(id)
	if !ok {
		writeError(w, faultNotFound(id))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, faultFrom(s))
}

// handlePatchFault switches a fault on or off: {"active": false}.
func (c *control) handlePatchFault(w http.ResponseWriter, r *http.Request) {
	id := pathVar(r, "id")
	var req patchFaultRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Active == nil {
		writeError(w, newError(http.StatusBadRequest, "missing_field", "active is required: true switches the fault on, false off").field("active"))
		return
	}
	if err := c.b.SetFaultActive(id, *req.Active); err != nil {
		if isNotFound(err) {
			writeError(w, faultNotFound(id))
			return
		}
		c.internal(w, r, "switch the fault", err)
		return
	}
	s, ok := c.fault(id)
	if !ok {
		writeError(w, faultNotFound(id))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, faultFrom(s))
}

func (c *control) fault(id string) (faults.RuleStatus, bool) {
	for _, s := range c.b.Faults() {
		if s.ID == id {
			return s, true
		}
	}
	return faults.RuleStatus{}, false
}

func faultNotFound(id string) *apiError {
	return newError(http.StatusNotFound, "fault_not_found", "no fault with id "+strconv.Quote(id)+"; GET /__sandbox/faults lists them")
}
