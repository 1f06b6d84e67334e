package journal

import (
	"io"
	"net/http"
	"time"
)

// Middleware records every exchange that passes through it under the given
// service name. now stamps each entry (pass the sandbox clock's Now); latency
// is measured on the monotonic wall clock. observe, when not nil, is called
// with each stored entry (headless mode logs from it); it must not block.
func (j *Journal) Middleware(service string, now func() time.Time, observe func(Entry)) func(http.Handler) http.Handler {
	max := j.cfg.MaxBodyBytes
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			e := Entry{
				Time:           now(),
				Service:        service,
				Method:         r.Method,
				Path:           r.URL.Path,
				Query:          MaskQuery(r.URL.RawQuery),
				RequestHeaders: MaskHeaders(r.Header),
			}
			var reqBody *capture
			if r.Body != nil && r.Body != http.NoBody {
				reqBody = &capture{r: r.Body, max: max}
				r.Body = reqBody
			}
			rec := &recorder{ResponseWriter: w, max: max}
			defer func() {
				// Recorded even when the handler panics (net/http recovers it
				// for the connection); the panic goes on up unchanged.
				panicked := recover()
				e.Latency = time.Since(start)
				e.Status = rec.status
				switch {
				case panicked != nil && e.Status == 0:
					e.Status = http.StatusInternalServerError
				case e.Status == 0:
					e.Status = http.StatusOK
				}
				defer func() {
					if panicked != nil {
						panic(panicked)
					}
				}()
				if reqBody != nil {
					e.RequestBody = MaskBody(r.Header.Get("Content-Type"), reqBody.buf)
					e.BodyTruncated = reqBody.truncated
				}
				e.ResponseHeaders = MaskHeaders(w.Header())
				e.ResponseBody = MaskBody(w.Header().Get("Content-Type"), rec.buf)
				e.BodyTruncated = e.BodyTruncated || rec.truncated
				e.Fault = rec.fault
				e.ID = j.Append(e)
				if observe != nil {
					observe(e)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// capture keeps the first max bytes the handler reads from a request body.
type capture struct {
	r         io.ReadCloser
	max       int
	buf       []byte
	truncated bool
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.keep(p[:n])
	return n, err
}

func (c *capture) keep(p []byte) {
	room := c.max - len(c.buf)
	if len(p) > room {
		p = p[:room]
		c.truncated = true
	}
	c.buf = append(c.buf, p...)
}

func (c *capture) Close() error { return c.r.Close() }

// recorder notes the status and keeps the first max bytes of the response.
type recorder struct {
	http.ResponseWriter
	status    int
	max       int
	buf       []byte
	truncated bool
	fault     string // set by SetFault
}

// SetFault names the injected fault that answered or altered the exchange
// being written to w, and the journal middleware records it as the entry's
// Fault. w is the ResponseWriter a handler inside the journal middleware was
// given, or a writer wrapping it that has an Unwrap() http.ResponseWriter
// method (as http.ResponseController expects). Call it from the request's
// goroutine before the handler returns. It reports whether a journal was
// found to record the name.
func SetFault(w http.ResponseWriter, name string) bool {
	for {
		switch t := w.(type) {
		case *recorder:
			t.fault = name
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	room := r.max - len(r.buf)
	if len(p) > room {
		r.buf = append(r.buf, p[:room]...)
		r.truncated = true
	} else {
		r.buf = append(r.buf, p...)
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
