package mockprovider

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

func parsePages() *template.Template {
	return template.Must(template.ParseFS(templateFS, "templates/*.html"))
}

// scopeOption is one checkbox on the consent page.
type scopeOption struct {
	Name        string
	Description string
	Checked     bool
}

// page is what every template renders from. html/template escapes every
// value, so nothing a client or user sent can inject markup (D30).
type page struct {
	Title     string
	Issuer    string
	Client    Client
	RequestID string
	CSRF      string
	Username  string
	User      User
	Error     string
	Scopes    []scopeOption
	Heading   string
	Message   string
	Demo      *User
	Clients   []Client
}

// securePage sets the headers every HTML page of the provider carries:
// anti-framing (D27), no referrer (D28), no caching, no sniffing, and a CSP
// that allows only the page's own inline styles.
func securePage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// render writes a page. It renders into a buffer first so that a template
// error can never leave half a page behind.
func (p *provider) render(w http.ResponseWriter, status int, name string, data page) {
	data.Issuer = p.cfg.Issuer
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	securePage(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is shown instead of redirecting when the client or redirect URI
// cannot be trusted (B10).
func (p *provider) errorPage(w http.ResponseWriter, status int, heading, message string) {
	p.render(w, status, "error.html", page{Title: heading, Heading: heading, Message: message})
}
