package control

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// routes is the control API's whole HTTP surface.
func (c *control) routes() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true)
	on := func(path string, m httpx.Methods) { r.Handle(path, httpx.Dispatch(m, writeMethodNotAllowed)) }
	get := func(h http.HandlerFunc) httpx.Methods { return httpx.Methods{http.MethodGet: h} }
	post := func(h http.HandlerFunc) httpx.Methods { return httpx.Methods{http.MethodPost: h} }

	on("/__sandbox/openapi.json", get(handleOpenAPI))
	on("/__sandbox/health", get(c.handleHealth))
	on("/__sandbox/ready", get(c.handleReady))
	on("/__sandbox/reset", post(c.handleReset))

	on("/__sandbox/scenarios", httpx.Methods{
		http.MethodGet:  http.HandlerFunc(c.handleListScenarios),
		http.MethodPost: http.HandlerFunc(c.handleLoadScenario),
	})
	on("/__sandbox/scenarios/{name}", get(c.handleGetScenario))
	on("/__sandbox/scenarios/{name}/activate", post(c.handleActivateScenario))
	on("/__sandbox/scenarios/{name}/deactivate", post(c.handleDeactivateScenario))

	on("/__sandbox/faults", get(c.handleListFaults))
	on("/__sandbox/faults/{id}", httpx.Methods{
		http.MethodGet:   http.HandlerFunc(c.handleGetFault),
		http.MethodPatch: http.HandlerFunc(c.handlePatchFault),
	})

	on("/__sandbox/clock", httpx.Methods{
		http.MethodGet: http.HandlerFunc(c.handleGetClock),
		http.MethodPut: http.HandlerFunc(c.handleSetClock),
	})
	on("/__sandbox/clock/advance", post(c.handleAdvanceClock))

	on("/__sandbox/journal", get(c.handleJournal))
	on("/__sandbox/journal/{id}", get(c.handleJournalEntry))

	on("/__sandbox/state", httpx.Methods{
		http.MethodGet: http.HandlerFunc(c.handleExportState),
		http.MethodPut: http.HandlerFunc(c.handleImportState),
	})

	on("/__sandbox/provider/assets/{assetId}/balance", httpx.Methods{http.MethodPut: http.HandlerFunc(c.handleSetBalance)})
	on("/__sandbox/provider/users/{username}/revoke-grants", post(c.handleRevokeGrants))
	on("/__sandbox/provider/users/{username}/expire-tokens", post(c.handleExpireTokens))

	on("/__sandbox/webhook-sink/{name}", post(c.handleWebhookSink))

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, "route_not_found", "no such endpoint: "+r.Method+" "+r.URL.Path+"; see /__sandbox/openapi.json"))
	})
	return r
}

// pathVar is the thin adapter that keeps mux.Vars at the edge.
func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
