package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// TestPayapAgainstAnExternalProvider runs the sandbox's mock Payap against
// a provider the sandbox did not create, configured only by its URL (as
// --payap-provider-url does): Connect and Fetch reach that provider, and the
// built-in one sees none of it.
func TestPayapAgainstAnExternalProvider(t *testing.T) {
	ext := httptest.NewUnstartedServer(nil)
	pcfg := mockprovider.DefaultConfig()
	pcfg.Issuer = "http://" + ext.Listener.Addr().String()
	// The sandbox picks the mock Payap's port when it starts, so the external
	// provider lets loopback redirect URIs vary in port (RFC 8252 §7.3).
	pcfg.LoopbackAnyPort = true
	pcfg.Clients = []mockprovider.Client{{ID: "partner-payap", AuthMethod: mockprovider.AuthSecretPost, Secret: "s3cret+%",
		RedirectURIs: []string{"http://127.0.0.1:1/callback"}}}
	store := mockprovider.NewMemStore()
	if err := mockprovider.Seed(store, 7); err != nil {
		t.Fatal(err)
	}
	if err := store.SetBalance("12345", 777); err != nil {
		t.Fatal(err)
	}
	ext.Config.Handler = mockprovider.New(pcfg, mockprovider.Deps{Store: store, Clock: clock.New()})
	ext.Start()
	t.Cleanup(ext.Close)

	sb := MustStart(t, func(c *sandbox.Config) {
		c.Payap.Provider.BaseURL = pcfg.Issuer
		c.Payap.Provider.ClientID = "partner-payap"
		c.Payap.Provider.ClientSecret = "s3cret+%"
		c.Payap.Provider.AuthMethod = mockpayap.AuthSecretPost
	})
	payap, _ := sb.Service(sandbox.ServicePayap)
	a := &app{t: t, c: newClient(t), base: payap.BaseURL}
	var sess struct{ Token string }
	a.do(http.MethodPost, "/api/sessions", map[string]string{"email": mockpayap.DemoEmail, "password": mockpayap.DemoPassword}, http.StatusCreated, &sess)
	a.token = sess.Token

	var c connection
	a.do(http.MethodPost, "/api/connections", map[string]string{"assetType": "payap-example"}, http.StatusCreated, &c)
	a.consent(c.AuthURL)
	if got := a.wallet()["12345"]; got.Balance == nil || *got.Balance != "777" {
		t.Fatalf("wallet entry = %+v, want the external provider's balance 777", got)
	}
	if n := len(store.Grants()); n != 1 {
		t.Fatalf("the external provider holds %d grants, want 1", n)
	}
	if n := len(sb.ProviderStore.Grants()); n != 0 {
		t.Fatalf("the built-in provider holds %d grants, want none", n)
	}
}
