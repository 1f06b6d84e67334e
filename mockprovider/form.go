package mockprovider

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// singleParams reads parameters that may appear at most once. An empty value
// counts as absent (B14, F41).
type singleParams struct{ v url.Values }

// get returns the parameter's value and whether it was sent more than once
// with a value.
func (s singleParams) get(name string) (value string, repeated bool) {
	n := 0
	for _, v := range s.v[name] {
		if v != "" {
			if n == 0 {
				value = v
			}
			n++
		}
	}
	return value, n > 1
}

// readForm reads an application/x-www-form-urlencoded body (with or without a
// charset parameter, F40) capped at maxFormBytes. Only the body is read, never
// the query string.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		if ct == "" {
			ct = "none"
		}
		return nil, errInvalidRequest("the body must be application/x-www-form-urlencoded (Content-Type was %s)", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, errInvalidRequest("charset %s is not supported; send UTF-8", cs)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errInvalidRequest("the request body is larger than %d KiB", maxFormBytes>>10)
		}
		return nil, errInvalidRequest("the request body could not be read")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errInvalidRequest("the form body is malformed: %v", err)
	}
	return form, nil
}

// repeated returns the first of names sent more than once, or "".
func repeated(form url.Values, names ...string) string {
	p := singleParams{form}
	for _, n := range names {
		if _, dup := p.get(n); dup {
			return n
		}
	}
	return ""
}
