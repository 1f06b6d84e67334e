package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Body caps. A scenario file is small; a state snapshot holds every store.
const (
	maxJSONBytes     = 64 << 10
	maxScenarioBytes = 1 << 20
	maxStateBytes    = 64 << 20
)

// mediaType is the request's Content-Type without parameters, lower case;
// "" when absent or unparsable.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// isJSONType accepts application/json and any application/*+json.
func isJSONType(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// readBody reads the whole body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooLarge(limit)
		}
		return nil, newError(http.StatusBadRequest, "invalid_body", "the request body could not be read: "+err.Error())
	}
	return b, nil
}

func tooLarge(limit int64) *apiError {
	size := fmt.Sprintf("%d KiB", limit>>10)
	if limit >= 1<<20 {
		size = fmt.Sprintf("%d MiB", limit>>20)
	}
	return newError(http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than "+size+"; send less")
}

// decodeJSON reads a JSON request body into v: application/json (or
// +json) only, at most maxJSONBytes, exactly one object, unknown fields
// refused (they are typos).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if !isJSONType(mediaType(r)) {
		return newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
	}
	b, e := readBody(w, r, maxJSONBytes)
	if e != nil {
		return e
	}
	return unmarshalStrict(b, v)
}

// unmarshalStrict decodes one JSON object into v, refusing unknown fields,
// with an error that says what to fix.
func unmarshalStrict(b []byte, v any) *apiError {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return newError(http.StatusBadRequest, "invalid_json", "the body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return newError(http.StatusBadRequest, "invalid_json", fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return newError(http.StatusBadRequest, "invalid_json", "the body is not valid JSON (it ends too early)")
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return newError(http.StatusBadRequest, "invalid_json", "the body must be a JSON object (it was a JSON "+typeErr.Value+")")
		case errors.As(err, &typeErr):
			return newError(http.StatusBadRequest, "invalid_field", fmt.Sprintf("field %q must be a %s, not a JSON %s", typeErr.Field, jsonKind(typeErr), typeErr.Value)).field(typeErr.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return newError(http.StatusBadRequest, "unknown_field", strings.TrimPrefix(err.Error(), "json: ")+"; see /__sandbox/openapi.json for the fields this endpoint takes")
		default:
			return newError(http.StatusBadRequest, "invalid_json", "the body could not be read as JSON: "+err.Error())
		}
	}
	if dec.More() {
		return newError(http.StatusBadRequest, "invalid_json", "send exactly one JSON object")
	}
	return nil
}

// jsonKind names the JSON type a Go field takes.
func jsonKind(e *json.UnmarshalTypeError) string {
	switch k := e.Type.Kind().String(); {
	case k == "string":
		return "string"
	case k == "bool":
		return "boolean"
	case strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint"):
		return "integer"
	case strings.HasPrefix(k, "float"):
		return "number"
	case k == "slice":
		return "array"
	default:
		return "JSON value of the documented type"
	}
}

// queryParams parses the query string and refuses a parameter that is not
// in allowed, or one given twice.
func queryParams(r *http.Request, allowed ...string) (url.Values, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid_parameter", "the query string is not valid URL encoding: "+err.Error())
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return nil, newError(http.StatusBadRequest, "unknown_parameter",
				fmt.Sprintf("unknown query parameter %q; this endpoint takes %s", k, strings.Join(allowed, ", "))).field(k)
		}
		if len(vs) > 1 {
			return nil, newError(http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("query parameter %q is given %d times; give it once", k, len(vs))).field(k)
		}
	}
	return q, nil
}
