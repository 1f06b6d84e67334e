// Package browser drives the mock provider's login and consent pages over
// HTTP the way a person's browser would: it keeps cookies, reads the hidden
// form fields, signs in, ticks the scopes to grant and submits. The TUI's
// simulated login, the scenario runner's connect step and tests use it; it
// speaks only HTTP, so it works against any running mock provider.
package browser

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Browser is a cookie-keeping HTTP client that stops at redirects, so the
// caller sees where the provider sends the user.
type Browser struct {
	client *http.Client
}

// New returns a Browser using transport (nil means http.DefaultTransport).
func New(transport http.RoundTripper) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Decision is what the user does on the pages.
type Decision struct {
	Username, Password string
	// Grant lists the scopes to leave ticked; empty means all requested.
	Grant []string
	// Deny presses Deny instead of Allow.
	Deny bool
}

// PageError is returned when the provider answers with a page instead of a
// redirect: an error page, or the login page again after a wrong password.
type PageError struct {
	Status int
	Text   string // the page's alert text, or its title
}

func (e *PageError) Error() string {
	return fmt.Sprintf("provider answered %d: %s", e.Status, e.Text)
}

var (
	hiddenRE = regexp.MustCompile(`name="(request_id|csrf_token)" value="([^"]*)"`)
	alertRE  = regexp.MustCompile(`(?s)role="alert">(.*?)</p>`)
	titleRE  = regexp.MustCompile(`(?s)<h1>(.*?)</h1>`)
	scopeRE  = regexp.MustCompile(`name="scope" value="([^"]*)"`)
)

// Authorize opens authURL, signs in, decides, and returns the URL the
// provider redirected the browser to: the client's redirect URI with a code,
// or with an error. An authorization error that is redirected is not a Go
// error; a page the provider shows instead is a *PageError.
func (b *Browser) Authorize(ctx context.Context, authURL string, d Decision) (*url.URL, error) {
	resp, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	if loc, ok := redirected(resp); ok {
		return loc, nil
	}
	page, fields, err := readPage(resp)
	if err != nil {
		return nil, err
	}
	endpoint := formAction(authURL)
	if !strings.Contains(page, `value="approve"`) {
		// The login page (a session may already be signed in).
		if d.Deny && d.Username == "" {
			fields.Set("action", "deny")
		} else {
			fields.Set("action", "login")
			fields.Set("username", d.Username)
			fields.Set("password", d.Password)
		}
		resp, err = b.do(ctx, http.MethodPost, endpoint, fields)
		if err != nil {
			return nil, err
		}
		if loc, ok := redirected(resp); ok {
			return loc, nil
		}
		if page, fields, err = readPage(resp); err != nil {
			return nil, err
		}
		if !strings.Contains(page, `value="approve"`) {
			return nil, pageError(resp.StatusCode, page)
		}
	}
	if d.Deny {
		fields.Set("action", "deny")
	} else {
		fields.Set("action", "approve")
		grant := d.Grant
		if len(grant) == 0 {
			for _, m := range scopeRE.FindAllStringSubmatch(page, -1) {
				grant = append(grant, html.UnescapeString(m[1]))
			}
		}
		fields["scope"] = grant
	}
	resp, err = b.do(ctx, http.MethodPost, endpoint, fields)
	if err != nil {
		return nil, err
	}
	if loc, ok := redirected(resp); ok {
		return loc, nil
	}
	page, _, err = readPage(resp)
	if err != nil {
		return nil, err
	}
	return nil, pageError(resp.StatusCode, page)
}

func (b *Browser) do(ctx context.Context, method, target string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.client.Do(req)
}

// formAction is where the pages post: the authorization endpoint itself.
func formAction(authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

func redirected(resp *http.Response) (*url.URL, bool) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil, false
	}
	resp.Body.Close()
	loc, err := resp.Location()
	return loc, err == nil
}

func readPage(resp *http.Response) (string, url.Values, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	page := string(b)
	fields := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		fields.Set(m[1], html.UnescapeString(m[2]))
	}
	if fields.Get("request_id") == "" {
		return page, nil, pageError(resp.StatusCode, page)
	}
	return page, fields, nil
}

func pageError(status int, page string) error {
	text := "unexpected page"
	if m := alertRE.FindStringSubmatch(page); m != nil {
		text = html.UnescapeString(strings.TrimSpace(m[1]))
	} else if m := titleRE.FindStringSubmatch(page); m != nil {
		text = html.UnescapeString(strings.TrimSpace(m[1]))
	}
	return &PageError{Status: status, Text: text}
}

// IsPageError reports whether err is a page the provider showed.
func IsPageError(err error) bool {
	var pe *PageError
	return errors.As(err, &pe)
}
