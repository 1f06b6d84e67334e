package journal

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Masked is what a secret is replaced with. Long secrets keep their last four
// characters so that a person can still tell two tokens apart.
const Masked = "••••"

// sensitive reports whether a form field, query parameter or JSON key holds a
// secret that must never be kept in the clear.
func sensitive(key string) bool {
	switch strings.ToLower(key) {
	case "access_token", "refresh_token", "id_token", "token", "code", "code_verifier",
		"password", "client_secret", "csrf_token", "secret", "api_key", "apikey", "key":
		return true
	}
	return false
}

// keepsTail reports whether the masked value may keep its last characters:
// never for passwords and secrets a person chose.
func keepsTail(key string) bool {
	switch strings.ToLower(key) {
	case "password", "client_secret", "secret":
		return false
	}
	return true
}

// MaskValue hides a secret value.
func MaskValue(v string, keepTail bool) string {
	if v == "" {
		return ""
	}
	if keepTail && len(v) >= 16 {
		return Masked + v[len(v)-4:]
	}
	return Masked
}

// MaskHeaders returns a copy of h with credentials masked.
func MaskHeaders(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch k {
		case "Authorization", "Proxy-Authorization":
			masked := make([]string, len(vs))
			for i, v := range vs {
				masked[i] = maskAuthorization(v)
			}
			out[k] = masked
		case "Cookie", "Set-Cookie", "X-Api-Key":
			masked := make([]string, len(vs))
			for i := range vs {
				masked[i] = Masked
			}
			out[k] = masked
		case "Location":
			masked := make([]string, len(vs))
			for i, v := range vs {
				masked[i] = maskURL(v)
			}
			out[k] = masked
		default:
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

func maskAuthorization(v string) string {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		// A bare credential, as Payap JWTs are sent.
		return MaskValue(v, true)
	}
	if strings.EqualFold(scheme, "basic") {
		return scheme + " " + Masked
	}
	return scheme + " " + MaskValue(strings.TrimSpace(cred), true)
}

func maskURL(raw string) string {
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	return base + "?" + MaskQuery(query)
}

// MaskQuery masks the secret parameters of a URL query or form body, keeping
// the order and the encoding of everything else.
func MaskQuery(q string) string {
	if q == "" || !mayHoldSecret(q) {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if sensitive(name) {
			val, err := url.QueryUnescape(v)
			if err != nil {
				val = v
			}
			parts[i] = k + "=" + url.QueryEscape(MaskValue(val, keepsTail(name)))
		}
	}
	return strings.Join(parts, "&")
}

// mayHoldSecret is a cheap pre-check so that ordinary bodies (asset JSON, say)
// are not parsed at all.
func mayHoldSecret(s string) bool {
	lower := strings.ToLower(s)
	for _, w := range [...]string{"token", "code", "password", "secret", "key"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// MaskBody masks secrets in a body of the given content type. Form and JSON
// bodies are understood; anything else is kept as it is.
func MaskBody(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	s := string(body)
	if !mayHoldSecret(s) {
		return s
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return MaskQuery(s)
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		if masked, ok := maskJSON(body); ok {
			return masked
		}
		return maskJSONText(s)
	}
	return s
}

// jsonPairRE finds "key":"value" pairs in text that is not valid JSON; the
// value may run to the end of the text, as it does in a truncated body.
var jsonPairRE = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)`)

// maskJSONText masks the string values of secret keys in JSON that could not
// be parsed (a body cut at max_body_bytes, say), keeping the rest of the text
// as it is, so that a truncated token response never keeps its tokens.
func maskJSONText(s string) string {
	var out strings.Builder
	last := 0
	for _, m := range jsonPairRE.FindAllStringSubmatchIndex(s, -1) {
		key, val := s[m[2]:m[3]], s[m[4]:m[5]]
		if !sensitive(key) || val == "" {
			continue
		}
		out.WriteString(s[last:m[4]])
		out.WriteString(MaskValue(val, keepsTail(key)))
		last = m[5]
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// maskJSON re-emits a JSON document with the string values of secret keys
// masked, keeping key order. ok is false when the body is not valid JSON (a
// truncated body, say); the caller then masks the text with maskJSONText.
func maskJSON(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	type frame struct {
		object    bool
		expectKey bool
		first     bool
	}
	var stack []frame
	maskNext := false
	keepTail := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			isEnd := tok == json.Delim('}') || tok == json.Delim(']')
			if !isEnd {
				if top.object && !top.expectKey {
					out.WriteByte(':')
				} else if !top.first {
					out.WriteByte(',')
				}
				top.first = false
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				out.WriteByte(byte(t))
				stack = append(stack, frame{object: t == '{', expectKey: t == '{', first: true})
				maskNext = false
				continue
			default:
				out.WriteByte(byte(t))
				stack = stack[:len(stack)-1]
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey {
				b, _ := json.Marshal(t)
				out.Write(b)
				maskNext = sensitive(t)
				keepTail = keepsTail(t)
				stack[len(stack)-1].expectKey = false
				continue
			}
			if maskNext {
				t = MaskValue(t, keepTail)
			}
			b, _ := json.Marshal(t)
			out.Write(b)
		case json.Number:
			out.WriteString(t.String())
		case bool:
			if t {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
		maskNext = false
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expectKey = true
		}
	}
	return out.String(), true
}
