package journal

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// Transport records the requests a service sends out (the mock Centrapay's
// webhook deliveries) in the journal, as Outbound entries under the sending
// service's name: the path and query are the URL called, the status what
// came back, or 0 when no answer came. base nil is http.DefaultTransport.
// A fault transport inside it names its fault with MarkFault.
func (j *Journal) Transport(service string, now func() time.Time, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{j: j, service: service, now: now, base: base}
}

type transport struct {
	j       *Journal
	service string
	now     func() time.Time
	base    http.RoundTripper
}

// faultMark carries the name of the fault that acted on an outbound request.
type faultMark struct{ name string }

type faultMarkKey struct{}

// MarkFault names the fault that acted on an outbound request sent through
// a journal Transport. It reports whether a journal was found to record it.
func MarkFault(ctx context.Context, name string) bool {
	m, ok := ctx.Value(faultMarkKey{}).(*faultMark)
	if ok {
		m.name = name
	}
	return ok
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	max := t.j.cfg.MaxBodyBytes
	start := time.Now()
	e := Entry{
		Time:           t.now(),
		Service:        t.service,
		Outbound:       true,
		Method:         req.Method,
		Path:           req.URL.Path,
		Query:          MaskQuery(req.URL.RawQuery),
		RequestHeaders: MaskHeaders(req.Header),
	}
	mark := &faultMark{}
	req = req.WithContext(context.WithValue(req.Context(), faultMarkKey{}, mark))
	if req.Body != nil && req.Body != http.NoBody && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(io.LimitReader(body, int64(max)+1))
			body.Close()
			e.BodyTruncated = len(data) > max
			if len(data) > max {
				data = data[:max]
			}
			e.RequestBody = MaskBody(req.Header.Get("Content-Type"), data)
		}
	}
	resp, err := t.base.RoundTrip(req)
	e.Latency = time.Since(start)
	e.Fault = mark.name
	if err != nil {
		e.Error = err.Error()
		t.j.Append(e)
		return nil, err
	}
	e.Status = resp.StatusCode
	e.ResponseHeaders = MaskHeaders(resp.Header)
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	e.BodyTruncated = e.BodyTruncated || len(data) > max
	shown := data
	if len(shown) > max {
		shown = shown[:max]
	}
	e.ResponseBody = MaskBody(resp.Header.Get("Content-Type"), shown)
	// The caller reads the whole body: what was read, then the rest.
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), errOr(rerr, rest)), rest}
	t.j.Append(e)
	return resp, nil
}

// errOr reads err when reading the head failed, otherwise r.
func errOr(err error, r io.Reader) io.Reader {
	if err != nil {
		return errorReader{err}
	}
	return r
}

type errorReader struct{ err error }

func (r errorReader) Read([]byte) (int, error) { return 0, r.err }
