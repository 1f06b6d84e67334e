package control

import (
	"io"
	"net/http"
)

// handleWebhookSink receives webhook deliveries, for scenarios whose
// merchant or wallet subscribes without a receiver of its own: it answers
// 204 to anything. The mock Centrapay journals each delivery as an outbound
// exchange, with any fault a scenario injected into it.
func (c *control) handleWebhookSink(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.WriteHeader(http.StatusNoContent)
}
