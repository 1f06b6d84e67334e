package sandbox

import (
	"fmt"
	"io"
	"strings"

	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// Credential is something a new user needs to try the sandbox.
type Credential struct {
	What  string // e.g. "demo login"
	Value string
}

// Credentials lists the logins and client ids a user needs, demo first.
func (s *Sandbox) Credentials() []Credential {
	var out []Credential
	users := s.ProviderStore.Users()
	for _, u := range users {
		if u.Username == mockprovider.DemoUsername {
			out = append(out, Credential{"provider demo login", u.Username + " / " + u.Password})
		}
	}
	for _, u := range users {
		if u.Username != mockprovider.DemoUsername {
			out = append(out, Credential{"provider login", u.Username + " / " + u.Password})
		}
	}
	for _, u := range s.PayapStore.Users() {
		what := "Payap app login"
		if u.Email == mockpayap.DemoEmail {
			what = "Payap demo login"
		}
		out = append(out, Credential{what, u.Email + " / " + u.Password})
	}
	for _, at := range s.PayapStore.AssetTypes() {
		out = append(out, Credential{"Payap asset type", at.Name + " (" + at.Description + ") → " + at.ProviderURL})
	}
	for _, k := range s.CentrapayStore.APIKeys() {
		out = append(out, Credential{"Centrapay API key", k.Secret + " (" + k.Role + ", account " + k.AccountID + ")"})
	}
	for _, c := range s.Config().Provider.Clients {
		method := c.AuthMethod
		if method == mockprovider.AuthNone {
			method = "public, PKCE"
		}
		desc := c.ID + " (" + method + ")"
		if len(c.RedirectURIs) > 0 {
			desc += " → " + strings.Join(c.RedirectURIs, ", ")
		}
		out = append(out, Credential{"OAuth client", desc})
	}
	return out
}

// WriteBanner prints the service URLs and the credentials a new user needs.
func (s *Sandbox) WriteBanner(w io.Writer) {
	var b strings.Builder
	b.WriteString("Payap Sandbox is running\n\n")
	for _, svc := range s.Services() {
		fmt.Fprintf(&b, "  %-10s %s\n", svc.Name, svc.BaseURL)
	}
	if p, ok := s.Service(ServiceProvider); ok {
		fmt.Fprintf(&b, "\n  OAuth metadata  %s/.well-known/oauth-authorization-server\n", p.BaseURL)
	}
	if p, ok := s.Service(ServicePayap); ok {
		fmt.Fprintf(&b, "  Payap API       %s/openapi.json\n  Payap JWKS      %s/.well-known/jwks.json\n", p.BaseURL, p.BaseURL)
	}
	if c, ok := s.Service(ServiceCentrapay); ok {
		fmt.Fprintf(&b, "  Centrapay API   %s/openapi.json\n  Centrapay JWKS  %s/api/.well-known/jwks.json\n", c.BaseURL, c.BaseURL)
	}
	b.WriteString("\n")
	for _, c := range s.Credentials() {
		fmt.Fprintf(&b, "  %-20s %s\n", c.What, c.Value)
	}
	b.WriteString("\nPress Ctrl+C to stop.\n\n")
	_, _ = io.WriteString(w, b.String())
}
