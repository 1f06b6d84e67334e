package faults

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/payap/payap-sandbox/internal/journal"
)

// ErrDropped is what a client sees, wrapped, when an outbound request's rule
// drops the connection or hangs until the engine closes.
var ErrDropped = errors.New("connection dropped by a sandbox fault")

// Transport applies the rules of service to the requests a service sends
// out, such as Centrapay's webhook deliveries: the rules see the outbound
// request (its path is the path of the URL called) and the sender sees the
// fault in the answer. Status, retryAfter and oauthError answer in the
// receiver's place; drop fails the request; hang waits until the request's
// context ends or the engine closes; truncate and malformed spoil the
// receiver's answer; delay holds the request first. Hooks are for inbound
// requests: an outbound rule with one lets the request through. base nil is
// http.DefaultTransport.
func (e *Engine) Transport(service string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{e: e, slot: e.slot(service), base: base}
}

type transport struct {
	e    *Engine
	slot int
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	e := t.e
	tab := e.table.Load()
	if tab == nil || t.slot >= len(tab.slots) {
		return t.base.RoundTrip(req)
	}
	set := tab.slots[t.slot][bucket(req.Method)]
	if set == nil {
		return t.base.RoundTrip(req)
	}
	nsegs := strings.Count(req.URL.Path, "/")
	rules := set.candidates(req.URL.Path, nsegs)
	if len(rules) == 0 {
		return t.base.RoundTrip(req)
	}
	fired, delay := e.decide(req, rules, nsegs)
	if fired == nil {
		return t.base.RoundTrip(req)
	}
	journal.MarkFault(req.Context(), fired.id)
	if delay > 0 {
		if err := e.sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
	a := &fired.spec.Do
	answer := func(write func(w http.ResponseWriter)) (*http.Response, error) {
		b := &bufferedWriter{header: http.Header{}}
		write(b)
		return response(req, b.code(), b.header, b.body.Bytes()), nil
	}
	switch {
	case a.Status != 0:
		return answer(func(w http.ResponseWriter) { writeAnswer(w, a.Status, a.Headers, a.Body) })
	case a.RetryAfter > 0:
		return answer(func(w http.ResponseWriter) { retryAfter(w, a.RetryAfter, a.Headers, a.Body) })
	case a.OAuthError != "":
		return answer(func(w http.ResponseWriter) { oauthError(w, a.OAuthError) })
	case a.Drop:
		return nil, fmt.Errorf("fault %q: %w", fired.id, ErrDropped)
	case a.Hang:
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-e.closed:
			return nil, fmt.Errorf("fault %q: %w", fired.id, ErrDropped)
		}
	case a.Truncate > 0 || a.Malformed:
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if a.Malformed {
			body = append(body[:len(body)/2:len(body)/2], garbage...)
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return resp, nil
		}
		if len(body) > a.Truncate {
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:a.Truncate]), errReader{io.ErrUnexpectedEOF}))
			return resp, nil
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
	return t.base.RoundTrip(req)
}

// response builds the answer a fault gives in the receiver's place.
func response(req *http.Request, status int, header http.Header, body []byte) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// PathMatcher compiles a path template as Match.Path takes it ("/assets/{id}",
// "/api/**") into a function that reports whether a path fits it, for
// callers that filter by the same templates (the journal filters of the
// control API and the scenario runner).
func PathMatcher(template string) (func(path string) bool, error) {
	t, err := compilePath(template)
	if err != nil {
		return nil, err
	}
	return t.match, nil
}
