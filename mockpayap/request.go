package mockpayap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBodyBytes caps every app request body.
const maxBodyBytes = 64 << 10

// decodeJSON reads a JSON request body into v: application/json only,
// capped, one object, unknown fields refused (they are typos in an API
// designed here).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return newError(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d KiB", maxBodyBytes>>10))
		case errors.Is(err, io.EOF):
			return newError(http.StatusBadRequest, "invalid_json", "the body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return newError(http.StatusBadRequest, "invalid_json", fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return newError(http.StatusBadRequest, "invalid_json", "the body must be a JSON object (it was a JSON "+typeErr.Value+")")
		case errors.As(err, &typeErr):
			return newError(http.StatusBadRequest, "invalid_field", fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type.Kind()))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return newError(http.StatusBadRequest, "unknown_field", strings.TrimPrefix(err.Error(), "json: ")+"; see /openapi.json for the fields this endpoint takes")
		default:
			return newError(http.StatusBadRequest, "invalid_json", "the body could not be read as JSON: "+err.Error())
		}
	}
	if dec.More() {
		return newError(http.StatusBadRequest, "invalid_json", "send exactly one JSON object")
	}
	return nil
}

func required(field, value string) *apiError {
	if strings.TrimSpace(value) == "" {
		return newError(http.StatusBadRequest, "missing_field", field+" is required").with("field", field)
	}
	return nil
}
