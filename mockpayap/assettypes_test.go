package mockpayap_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payap/payap-sandbox/mockpayap"
)

type assetType struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	ProviderBaseURL string `json:"providerBaseUrl"`
	ClientID        string `json:"clientId"`
	ClientSecret    string `json:"clientSecret"`
	AuthMethod      string `json:"authMethod"`
}

func TestListAssetTypes(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	var l struct{ Items []assetType }
	e.do(http.MethodGet, "/api/asset-types", token, nil).want(http.StatusOK, &l)
	if len(l.Items) != 1 || l.Items[0].Name != defaultAssetType || l.Items[0].ProviderBaseURL != e.Provider.URL ||
		l.Items[0].ClientID != "payap" || l.Items[0].AuthMethod != mockpayap.AuthNone {
		t.Fatalf("asset types %+v, want the configured one", l.Items)
	}
	var one assetType
	e.do(http.MethodGet, "/api/asset-types/"+defaultAssetType, token, nil).want(http.StatusOK, &one)
	if one != l.Items[0] {
		t.Fatalf("GET one %+v, want %+v", one, l.Items[0])
	}
}

func TestRegisterAssetType(t *testing.T) {
	e := newEnv(t)
	token := e.demo()
	// A second provider, whose client "payap" also knows this Payap's callback.
	second := startProvider(t, e.Clock, e.URL+"/callback")

	// An address where nothing listens.
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	valid := map[string]string{"name": "second-points", "description": "Second Points", "providerBaseUrl": second.URL, "clientId": "payap"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}

	var created assetType
	e.do(http.MethodPost, "/api/asset-types", token, valid).want(http.StatusCreated, &created)
	if created.Name != "second-points" || created.ProviderBaseURL != second.URL || created.AuthMethod != mockpayap.AuthNone || created.ClientSecret != "" {
		t.Fatalf("created %+v", created)
	}

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{name: "duplicate", body: valid, status: http.StatusConflict, code: "asset_type_exists"},
		{name: "duplicate of the configured type", body: with("name", defaultAssetType), status: http.StatusConflict, code: "asset_type_exists"},
		{name: "upper-case name", body: with("name", "Second-Points"), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "name with a space", body: with("name", "second points"), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "name too long", body: with("name", strings.Repeat("a", 65)), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "missing name", body: with("name", ""), status: http.StatusBadRequest, code: "missing_field", field: "name"},
		{name: "missing description", body: with("description", ""), status: http.StatusBadRequest, code: "missing_field", field: "description"},
		{name: "missing provider URL", body: with("providerBaseUrl", ""), status: http.StatusBadRequest, code: "missing_field", field: "providerBaseUrl"},
		{name: "missing client id", body: with("clientId", ""), status: http.StatusBadRequest, code: "missing_field", field: "clientId"},
		{name: "provider URL with a trailing slash", body: with("providerBaseUrl", second.URL+"/"), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "relative provider URL", body: with("providerBaseUrl", "/provider"), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "unknown auth method", body: with("authMethod", "private_key_jwt"), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "basic without a secret", body: with("authMethod", mockpayap.AuthSecretBasic), status: http.StatusBadRequest, code: "invalid_asset_type"},
		{name: "unknown field", body: map[string]string{"name": "x", "description": "x", "providerBaseUrl": second.URL, "clientId": "payap", "issuer": second.URL}, status: http.StatusBadRequest, code: "unknown_field"},
		{name: "unreachable provider", body: map[string]string{"name": "gone-points", "description": "Gone", "providerBaseUrl": goneURL, "clientId": "payap"}, status: http.StatusBadGateway, code: "provider_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.api.t = t
			got := e.do(http.MethodPost, "/api/asset-types", token, tc.body).wantError(tc.status, tc.code)
			if tc.field != "" && got.Details["field"] != tc.field {
				t.Errorf("details.field = %v, want %s", got.Details["field"], tc.field)
			}
		})
	}
	e.t, e.api.t = t, t

	var l struct{ Items []assetType }
	e.do(http.MethodGet, "/api/asset-types", token, nil).want(http.StatusOK, &l)
	var names []string
	for _, at := range l.Items {
		names = append(names, at.Name)
	}
	if strings.Join(names, ",") != "payap-example,second-points" {
		t.Fatalf("asset types %v, want the configured one and the one registered, and nothing refused", names)
	}

	// The registered type connects to the second provider.
	c := e.startConnection(token, "second-points")
	if !strings.HasPrefix(c.AuthURL, second.URL+"/authorize?") {
		t.Fatalf("authorization URL %s, want the second provider's", c.AuthURL)
	}
	var out callbackResult
	e.get(consent(t, c.AuthURL, demoDecision)).want(http.StatusOK, &out)
	if out.Connection.AssetType != "second-points" || out.Connection.Status != mockpayap.StatusConnected {
		t.Fatalf("connection %+v", out.Connection)
	}
	if err := second.Store.SetBalance("12345", 42); err != nil {
		t.Fatal(err)
	}
	for _, it := range e.wallet(token) {
		if it.AssetType == "second-points" && it.AssetID == "12345" && (it.Balance == nil || *it.Balance != "42") {
			t.Errorf("entry %+v, want the second provider's balance 42", it)
		}
	}
}
