package control

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/httpx"
	"github.com/payap/payap-sandbox/scenarios"
)

// apiError is the control API's one error shape:
//
//	{"error": {"code": "scenario_not_found", "message": "…", "details": [{…}]}}
//
// code is stable and machine-readable; message tells the caller how to fix
// the request; details lists the problems one by one when there are several
// (an invalid scenario file or snapshot).
type apiError struct {
	Status  int      `json:"-"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []detail `json:"details,omitempty"`
}

// detail is one problem of an error: for a scenario file its line, column
// and field path; for a request body the field at fault as path.
type detail struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

// field adds a detail naming the request field at fault.
func (e *apiError) field(path string) *apiError {
	e.Details = append(e.Details, detail{Path: path, Message: e.Message})
	return e
}

// writeError is the one writer of control API errors.
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	writeError(w, newError(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+"; use "+allow))
}

// internal logs a backend failure the caller cannot fix and answers a 500
// that names the operation but not the error.
func (c *control) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	c.log.Error("control API: backend failed", "op", op, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, newError(http.StatusInternalServerError, "internal_error", "the sandbox could not "+op+"; see its log, then try again"))
}

// invalidScenario is the 422 for a scenario file that does not load, one
// detail per problem.
func invalidScenario(se *scenarios.Error) *apiError {
	e := newError(http.StatusUnprocessableEntity, "invalid_scenario",
		fmt.Sprintf("the scenario file has %d problem(s); fix each one at the line and column given in details and upload it again", len(se.Problems)))
	for _, p := range se.Problems {
		e.Details = append(e.Details, detail{Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Path, Message: p.Message})
	}
	if len(e.Details) == 0 {
		e.Details = []detail{{Message: se.Error()}}
	}
	return e
}

// isNotFound reports whether a backend error means an unknown name or id.
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, faults.ErrNotFound)
}
