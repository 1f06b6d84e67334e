package control

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
	"github.com/payap/payap-sandbox/scenarios"
)

// defaultUploadName names an uploaded scenario file in error positions when
// the caller gives no name.
const defaultUploadName = "upload.yaml"

// isYAMLType accepts the media types a YAML upload may carry.
func isYAMLType(mt string) bool {
	return mt == "application/yaml" || mt == "text/yaml" || mt == "application/x-yaml" || mt == "text/x-yaml"
}

func (c *control) handleListScenarios(w http.ResponseWriter, r *http.Request) {
	all := c.b.Scenarios()
	out := list[Scenario]{Items: make([]Scenario, 0, len(all))}
	for _, s := range all {
		out.Items = append(out.Items, scenarioOut(s))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (c *control) handleGetScenario(w http.ResponseWriter, r *http.Request) {
	name := pathVar(r, "name")
	s, ok := c.scenario(name)
	if !ok {
		writeError(w, scenarioNotFound(name))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, scenarioOut(s))
}

// scenario finds a loaded scenario by name.
func (c *control) scenario(name string) (Scenario, bool) {
	for _, s := range c.b.Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

func scenarioNotFound(name string) *apiError {
	return newError(http.StatusNotFound, "scenario_not_found", "no scenario named "+strconv.Quote(name)+" is loaded; GET /__sandbox/scenarios lists them, POST /__sandbox/scenarios loads one")
}

// handleLoadScenario loads a scenario file sent as YAML (application/yaml,
// with ?name= and ?activate=) or wrapped in JSON ({"name", "yaml",
// "activate"}). It answers 201 with the scenario, or 200 when it replaced
// one of the same name.
func (c *control) handleLoadScenario(w http.ResponseWriter, r *http.Request) {
	var (
		name     = defaultUploadName
		src      []byte
		activate bool
	)
	mt := mediaType(r)
	switch {
	case isYAMLType(mt):
		q, e := queryParams(r, "name", "activate")
		if e != nil {
			writeError(w, e)
			return
		}
		if v := q.Get("activate"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "activate must be true or false, not "+strconv.Quote(v)).field("activate"))
				return
			}
			activate = b
		}
		if v := q.Get("name"); v != "" {
			name = v
		}
		body, e := readBody(w, r, maxScenarioBytes)
		if e != nil {
			writeError(w, e)
			return
		}
		src = body
	case isJSONType(mt):
		if len(r.URL.RawQuery) > 0 {
			writeError(w, newError(http.StatusBadRequest, "unknown_parameter", "a JSON upload takes no query parameters; put name and activate in the body"))
			return
		}
		body, e := readBody(w, r, maxScenarioBytes)
		if e != nil {
			writeError(w, e)
			return
		}
		var req loadScenarioRequest
		if e := unmarshalStrict(body, &req); e != nil {
			writeError(w, e)
			return
		}
		if req.YAML == nil || strings.TrimSpace(*req.YAML) == "" {
			writeError(w, newError(http.StatusBadRequest, "missing_field", "yaml is required: the scenario file's text").field("yaml"))
			return
		}
		if req.Name != "" {
			name = req.Name
		}
		src, activate = []byte(*req.YAML), req.Activate
	default:
		writeError(w, newError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the scenario file itself with Content-Type: application/yaml, or JSON {\"name\", \"yaml\", \"activate\"} with Content-Type: application/json"))
		return
	}
	if strings.ContainsAny(name, "/\\") {
		writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "name is a file name such as upload.yaml, without a directory").field("name"))
		return
	}

	before := map[string]bool{}
	for _, s := range c.b.Scenarios() {
		before[s.Name] = true
	}
	s, err := c.b.LoadScenario(name, src, activate)
	if err != nil {
		var se *scenarios.Error
		switch {
		case errors.As(err, &se):
			writeError(w, invalidScenario(se))
		case errors.Is(err, ErrInvalid):
			writeError(w, newError(http.StatusConflict, "scenario_not_applicable", "the scenario is valid but could not be applied: "+err.Error()))
		default:
			c.internal(w, r, "load the scenario", err)
		}
		return
	}
	status := http.StatusCreated
	if before[s.Name] {
		status = http.StatusOK
	}
	w.Header().Set("Location", Prefix+"scenarios/"+url.PathEscape(s.Name))
	httpx.WriteJSON(w, status, scenarioOut(s))
}

func (c *control) handleActivateScenario(w http.ResponseWriter, r *http.Request) {
	c.switchScenario(w, r, c.b.ActivateScenario, "activate the scenario")
}

func (c *control) handleDeactivateScenario(w http.ResponseWriter, r *http.Request) {
	c.switchScenario(w, r, c.b.DeactivateScenario, "deactivate the scenario")
}

// switchScenario runs an activation or deactivation and answers the
// scenario as it is now.
func (c *control) switchScenario(w http.ResponseWriter, r *http.Request, do func(string) error, op string) {
	name := pathVar(r, "name")
	if err := do(name); err != nil {
		var se *scenarios.Error
		switch {
		case isNotFound(err):
			writeError(w, scenarioNotFound(name))
		case errors.As(err, &se):
			writeError(w, invalidScenario(se))
		case errors.Is(err, ErrInvalid):
			writeError(w, newError(http.StatusConflict, "scenario_not_applicable", "the scenario could not be applied: "+err.Error()))
		default:
			c.internal(w, r, op, err)
		}
		return
	}
	s, ok := c.scenario(name)
	if !ok {
		writeError(w, scenarioNotFound(name))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, scenarioOut(s))
}
