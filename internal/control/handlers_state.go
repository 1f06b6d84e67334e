package control

import (
	"encoding/json"
	"errors"
	"net/http"
)

// stateFilename is the name a browser saves the snapshot under.
const stateFilename = "payap-sandbox-state.json"

func (c *control) handleExportState(w http.ResponseWriter, r *http.Request) {
	b, err := c.b.ExportState()
	if err != nil {
		c.internal(w, r, "export its state", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+stateFilename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// handleImportState restores a snapshot from GET /__sandbox/state, all or
// nothing.
func (c *control) handleImportState(w http.ResponseWriter, r *http.Request) {
	if !isJSONType(mediaType(r)) {
		writeError(w, newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the snapshot from GET /__sandbox/state as JSON with Content-Type: application/json"))
		return
	}
	b, e := readBody(w, r, maxStateBytes)
	if e != nil {
		writeError(w, e)
		return
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		writeError(w, newError(http.StatusBadRequest, "invalid_json", "the snapshot is not a JSON object; send the body GET /__sandbox/state answered, unchanged"))
		return
	}
	if err := c.b.ImportState(b); err != nil {
		var se *StateError
		if errors.As(err, &se) {
			e := newError(http.StatusUnprocessableEntity, "invalid_snapshot", "the snapshot cannot be imported and nothing changed; fix the problems in details, or take a fresh snapshot with GET /__sandbox/state")
			for _, p := range se.Problems {
				e.Details = append(e.Details, detail{Message: p})
			}
			if len(e.Details) == 0 {
				e.Details = []detail{{Message: se.Error()}}
			}
			writeError(w, e)
			return
		}
		c.internal(w, r, "import the state", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
