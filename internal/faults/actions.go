package faults

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// writeAnswer answers in the service's place.
func writeAnswer(w http.ResponseWriter, status int, headers map[string]string, body []byte) {
	h := w.Header()
	for k, v := range headers {
		h.Set(k, v)
	}
	if len(body) > 0 {
		if h.Get("Content-Type") == "" {
			if json.Valid(body) {
				h.Set("Content-Type", "application/json")
			} else {
				h.Set("Content-Type", "text/plain; charset=utf-8")
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// retryAfter answers 429 with Retry-After, in the shape given or a default.
func retryAfter(w http.ResponseWriter, seconds int, headers map[string]string, body []byte) {
	if len(body) == 0 {
		body, _ = json.Marshal(map[string]string{
			"error":   "too_many_requests",
			"message": "Too many requests: retry after " + strconv.Itoa(seconds) + " seconds. Injected by the sandbox.",
		})
	}
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeAnswer(w, http.StatusTooManyRequests, headers, body)
}

// oauthDescription is the error_description of every injected OAuth error.
const oauthDescription = "injected by the sandbox"

// realm names the sandbox in the authentication challenges it injects.
const realm = "payap-sandbox"

// oauthError answers an RFC 6749 §5.2 error (or an RFC 6750 one, with its
// Bearer challenge) with Cache-Control: no-store.
func oauthError(w http.ResponseWriter, code string) {
	status := oauthStatus[code]
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	switch code {
	case "invalid_client":
		h.Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	case "invalid_token", "insufficient_scope":
		h.Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="`+code+`", error_description="`+oauthDescription+`"`)
	}
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, oauthDescription})
	writeAnswer(w, status, map[string]string{"Content-Type": "application/json"}, body)
}

// drop closes the connection without an answer. Where the connection cannot
// be taken over (HTTP/2, a recorder) it aborts the handler, which net/http
// turns into a reset stream or a closed connection.
func drop(w http.ResponseWriter) {
	if !closeConn(w) {
		panic(http.ErrAbortHandler)
	}
}

// closeConn takes the connection over and closes it, reporting whether it
// could.
func closeConn(w http.ResponseWriter) bool {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// hang holds the request until the client gives up or the engine closes,
// then closes the connection without an answer.
func (e *Engine) hang(w http.ResponseWriter, r *http.Request) {
	// net/http notices a client that goes away only once the request body
	// has been read to its end.
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	select {
	case <-r.Context().Done():
	case <-e.closed:
	}
	closeConn(w)
}

// truncate lets the service answer, then sends its status, its headers with
// the full Content-Length, and only the first n bytes of its body before
// closing the connection.
func truncate(w http.ResponseWriter, r *http.Request, next http.Handler, n int) {
	b := &bufferedWriter{header: w.Header()}
	next.ServeHTTP(b, r)
	body := b.body.Bytes()
	if len(body) <= n {
		b.sendTo(w, body)
		return
	}
	w.Header().Del("Transfer-Encoding")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(b.code())
	_, _ = w.Write(body[:n])
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	closeConn(w)
}

// garbage ends a malformed body. No JSON text can follow a strict prefix of
// a JSON document with it: outside a string '<' is never valid, and it has
// no quote to end a string it lands in.
const garbage = "<malformed by the sandbox>"

// malformed lets the service answer, keeping its status and headers, with
// the first half of its body followed by garbage.
func malformed(w http.ResponseWriter, r *http.Request, next http.Handler) {
	b := &bufferedWriter{header: w.Header()}
	next.ServeHTTP(b, r)
	body := b.body.Bytes()
	spoiled := append(body[:len(body)/2:len(body)/2], garbage...)
	b.sendTo(w, spoiled)
}

// bufferedWriter holds a handler's answer so that a fault can change it
// before it is sent. Its header is the real writer's.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 && code >= 200 { // 1xx are informational, not the answer
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) code() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// sendTo writes the held status and headers with body to w.
func (b *bufferedWriter) sendTo(w http.ResponseWriter, body []byte) {
	w.Header().Del("Transfer-Encoding")
	if b.code() != http.StatusNoContent && b.code() != http.StatusNotModified {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(b.code())
	_, _ = w.Write(body)
}
