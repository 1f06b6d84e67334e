package mockcentrapay

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// mcConnectionKeys are the keys of a created connection.
var mcConnectionKeys = []string{"id", "createdBy", "createdByAccountName", "createdAt", "status", "url", "merchantId", "test"}

// mcAuthorizedKeys are the keys of an authorized connection (C8).
var mcAuthorizedKeys = append([]string{"updatedBy", "updatedAt", "walletId", "walletName"}, mcConnectionKeys...)

// mcConnect creates a connection on the seeded merchant with the terminal
// key and returns its id.
func (e *mcEnv) mcConnect() string {
	e.t.Helper()
	return mcJSON(e.t, e.do(http.MethodPost, "/api/connections", MerchantTerminalKey, map[string]any{"merchantId": SandboxMerchantID}))["id"].(string)
}

// mcAuthorize authorizes a connection with the Payap wallet.
func (e *mcEnv) mcAuthorize(id string) map[string]any {
	e.t.Helper()
	return mcJSON(e.t, e.do(http.MethodPost, "/api/connections/"+id+"/authorize", PayapOwnerKey, map[string]any{"walletId": PayapWalletID}))
}

func TestCreateConnection(t *testing.T) {
	for _, tc := range []struct {
		name            string
		key             string
		body            any
		status          int
		message, reason string
	}{
		{"missing merchantId", MerchantTerminalKey, map[string]any{}, 400, "merchantId is required", ""},
		{"blank merchantId", MerchantTerminalKey, map[string]any{"merchantId": ""}, 400, "merchantId is required", ""},
		{"merchantId as a number", MerchantTerminalKey, map[string]any{"merchantId": 12}, 400, "merchantId must be a string", ""},
		{"malformed JSON", MerchantTerminalKey, `{`, 400, "the body is not valid JSON (it ends too early)", ""},
		{"empty body", MerchantTerminalKey, "", 400, "the body is empty; send a JSON object", ""},
		{"unknown merchant", MerchantTerminalKey, map[string]any{"merchantId": "NoSuchMerchant"}, 403, "Forbidden", ""},
		{"another account's merchant", PayapOwnerKey, map[string]any{"merchantId": SandboxMerchantID}, 403, "Forbidden", ""},
		{"no key", "", map[string]any{"merchantId": SandboxMerchantID}, 401, "Missing authentication", ""},
		{"unknown key", "cp-nobody", map[string]any{"merchantId": SandboxMerchantID}, 401, "Invalid authentication", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			mcWantError(t, e.do(http.MethodPost, "/api/connections", tc.key, tc.body), tc.status, tc.message, tc.reason)
			e.st.mu.Lock()
			n := len(e.st.merchants.connections)
			e.st.mu.Unlock()
			if n != 0 {
				t.Fatalf("%d connections after a refused create", n)
			}
		})
	}

	for _, tc := range []struct {
		name, key, keyName string
		live               bool
	}{
		{"terminal key on the test merchant", MerchantTerminalKey, "MerchantTerminal", false},
		{"owner key on a live merchant", MerchantOwnerKey, "MerchantOwner", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			merchantID := SandboxMerchantID
			if tc.live {
				merchantID = e.mcCreateMerchant(false)
			}
			e.clock.Advance(2 * time.Second)
			m := mcJSON(t, e.do(http.MethodPost, "/api/connections", tc.key, map[string]any{"merchantId": merchantID, "extra": true}))
			mcKeys(t, m, mcConnectionKeys...)
			id := m["id"].(string)
			if len(id) != 22 || strings.Trim(id, base58) != "" {
				t.Fatalf("id %q, want 22 base58 characters", id)
			}
			want := map[string]any{
				"createdBy": "crn:SbxMerchantAccount1111:api-key:" + tc.keyName, "createdByAccountName": "Sandbox Merchant",
				"createdAt": "2026-01-01T09:00:02.000Z", "status": "created", "url": "https://app.centrapay.com/connect/" + id,
				"merchantId": merchantID, "test": !tc.live,
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
			cn, ok := e.st.connection(id)
			e.st.mu.Lock()
			locked, lok := e.st.connectionLocked(id)
			e.st.mu.Unlock()
			if !ok || !lok || cn.CreatedByAccountID != SandboxMerchantAccountID || locked.CreatedByAccountID != SandboxMerchantAccountID {
				t.Fatalf("connection %+v %v, locked %+v %v", cn, ok, locked, lok)
			}
		})
	}
}

func TestAuthorizeConnection(t *testing.T) {
	for _, tc := range []struct {
		name            string
		key             string
		connection      string // "" = a fresh connection
		body            any
		status          int
		message, reason string
	}{
		{"missing walletId", PayapOwnerKey, "", map[string]any{}, 400, "walletId is required", ""},
		{"walletId as a number", PayapOwnerKey, "", map[string]any{"walletId": 1}, 400, "walletId must be a string", ""},
		{"malformed JSON", PayapOwnerKey, "", `{"walletId":`, 400, "the body is not valid JSON (it ends too early)", ""},
		{"unknown connection", PayapOwnerKey, "NoSuchConnection111111", map[string]any{"walletId": PayapWalletID}, 403, "Forbidden", ""},
		{"unknown wallet [GAP]", PayapOwnerKey, "", map[string]any{"walletId": "no-such-wallet"}, 403, "Forbidden", ""},
		{"another account's wallet", PatronOwnerKey, "", map[string]any{"walletId": PayapWalletID}, 403, "Forbidden", ""},
		{"the merchant authorizing with the wallet", MerchantOwnerKey, "", map[string]any{"walletId": PayapWalletID}, 403, "Forbidden", ""},
		{"merchant-terminal key", MerchantTerminalKey, "", map[string]any{"walletId": PayapWalletID}, 403, "Forbidden", ""},
		{"no key", "", "", map[string]any{"walletId": PayapWalletID}, 401, "Missing authentication", ""},
		{"unknown key", "cp-nobody", "", map[string]any{"walletId": PayapWalletID}, 401, "Invalid authentication", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			id := tc.connection
			if id == "" {
				id = e.mcConnect()
			}
			mcWantError(t, e.do(http.MethodPost, "/api/connections/"+id+"/authorize", tc.key, tc.body), tc.status, tc.message, tc.reason)
			if cn, ok := e.st.connection(id); ok && cn.Status != ConnectionCreated {
				t.Fatalf("a refused authorize changed the connection: %+v", cn)
			}
		})
	}

	t.Run("lifecycle", func(t *testing.T) {
		e := mcNew(t)
		id := e.mcConnect()
		created := mcJSON(t, e.do(http.MethodGet, "/api/connections/"+id+"/summary", "", nil))
		e.clock.Advance(time.Minute)
		rec := e.do(http.MethodPost, "/api/connections/"+id+"/authorize", PayapOwnerKey, map[string]any{"walletId": PayapWalletID})
		m := mcJSON(t, rec)
		mcKeys(t, m, mcAuthorizedKeys...)
		want := map[string]any{
			"id": id, "status": "authorized", "merchantId": SandboxMerchantID, "test": true,
			"createdBy": "crn:SbxMerchantAccount1111:api-key:MerchantTerminal", "createdByAccountName": "Sandbox Merchant",
			"createdAt": created["createdAt"], "url": "https://app.centrapay.com/connect/" + id,
			"updatedBy": "crn:SbxPayapAccount1111111:api-key:PayapOwner", "updatedAt": "2026-01-01T09:01:00.000Z",
			"walletId": PayapWalletID, "walletName": "Payap",
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %v, want %v", k, m[k], v)
			}
		}

		// Again with the same wallet: 200, nothing changes.
		e.clock.Advance(time.Minute)
		again := e.do(http.MethodPost, "/api/connections/"+id+"/authorize", PayapOwnerKey, map[string]any{"walletId": PayapWalletID})
		if again.Code != 200 || again.Body.String() != rec.Body.String() {
			t.Fatalf("second authorize: %d %s\nwant %s", again.Code, again.Body, rec.Body)
		}

		// Another wallet of the same account: refused [GAP].
		second := e.do(http.MethodPost, "/api/wallets", PayapOwnerKey, map[string]any{
			"id": "payap-two", "name": "Payap Two", "accountId": PayapAccountID, "assetTypes": []any{map[string]any{"id": "quartz.nzd"}},
		})
		if second.Code != 200 {
			t.Fatalf("create a second wallet: %d %s", second.Code, second.Body)
		}
		mcWantError(t, e.do(http.MethodPost, "/api/connections/"+id+"/authorize", PayapOwnerKey, map[string]any{"walletId": "payap-two"}),
			403, "CONNECTION_ALREADY_AUTHORIZED", "already authorized by wallet payap")
		if cn, _ := e.st.connection(id); cn.WalletID != PayapWalletID || cn.AuthorizedByAccountID != PayapAccountID {
			t.Fatalf("connection after the refused re-authorize: %+v", cn)
		}
	})
}

func TestConnectionSummary(t *testing.T) {
	e := mcNew(t)
	id := e.mcConnect()
	for _, tc := range []struct {
		name, id, key string
		authorize     bool
		status        int
		wantStatus    string
	}{
		{"no key: public (C29)", id, "", false, 200, "created"},
		{"any key", id, PatronOwnerKey, false, 200, "created"},
		{"unknown connection", "NoSuchConnection111111", "", false, 403, ""},
		{"after authorize", id, "", true, 200, "authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.authorize {
				e.mcAuthorize(id)
			}
			rec := e.do(http.MethodGet, "/api/connections/"+tc.id+"/summary", tc.key, nil)
			if tc.status != 200 {
				mcWantError(t, rec, tc.status, "Forbidden", "")
				return
			}
			m := mcJSON(t, rec)
			mcKeys(t, m, "id", "status", "url", "merchantId", "createdByAccountName", "createdAt")
			want := map[string]any{
				"id": id, "status": tc.wantStatus, "url": "https://app.centrapay.com/connect/" + id, "merchantId": SandboxMerchantID,
				"createdByAccountName": "Sandbox Merchant", "createdAt": "2026-01-01T09:00:00.000Z",
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
		})
	}
}

func TestLatestPaymentRequest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		key        string
		connection string // "" = a fresh connection
		authorize  bool
		status     int
		message    string
	}{
		{"unknown connection", PayapOwnerKey, "NoSuchConnection111111", false, 403, "Forbidden"},
		{"not yet authorized, creator", MerchantTerminalKey, "", false, 403, "Forbidden"},
		{"not yet authorized, wallet owner", PayapOwnerKey, "", false, 403, "Forbidden"},
		{"authorized, no payment request yet", PayapOwnerKey, "", true, 403, "Forbidden"},
		{"authorized, the merchant asks", MerchantOwnerKey, "", true, 403, "Forbidden"},
		{"authorized, another account asks", PatronOwnerKey, "", true, 403, "Forbidden"},
		{"no key", "", "", true, 401, "Missing authentication"},
		{"unknown key", "cp-nobody", "", true, 401, "Invalid authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			id := tc.connection
			if id == "" {
				id = e.mcConnect()
			}
			if tc.authorize {
				e.mcAuthorize(id)
			}
			mcWantError(t, e.do(http.MethodGet, "/api/connections/"+id+"/latest-payment-request", tc.key, nil), tc.status, tc.message, "")
		})
	}

	t.Run("the newest request with the connection", func(t *testing.T) {
		e := mcNew(t)
		id := e.mcConnect()
		e.mcAuthorize(id)
		create := func(amount string) map[string]any {
			t.Helper()
			rec := e.do(http.MethodPost, "/api/payment-requests", MerchantTerminalKey, map[string]any{
				"configId": SandboxMerchantConfigID, "value": map[string]any{"amount": amount, "currency": "NZD"}, "connectionId": id,
			})
			if rec.Code == http.StatusNotImplemented {
				t.Skip("payment requests are not implemented yet")
			}
			return mcJSON(t, rec)
		}
		first := create("1000")
		rec := e.do(http.MethodGet, "/api/connections/"+id+"/latest-payment-request", PayapOwnerKey, nil)
		if got := mcJSON(t, rec); got["id"] != first["id"] || got["connectionId"] != id {
			t.Fatalf("latest %s, want request %v", rec.Body, first["id"])
		}
		e.clock.Advance(time.Second)
		second := create("2500")
		rec = e.do(http.MethodGet, "/api/connections/"+id+"/latest-payment-request", PayapOwnerKey, nil)
		got := mcJSON(t, rec)
		if got["id"] != second["id"] || got["connectionId"] != id {
			t.Fatalf("latest %s, want request %v", rec.Body, second["id"])
		}
		if get := e.do(http.MethodGet, "/api/payment-requests/"+second["id"].(string), PayapOwnerKey, nil); get.Code != 200 || get.Body.String() != rec.Body.String() {
			t.Fatalf("latest-payment-request %s differs from GET /api/payment-requests/{id} %d %s", rec.Body, get.Code, get.Body)
		}
		mcWantError(t, e.do(http.MethodGet, "/api/connections/"+id+"/latest-payment-request", MerchantOwnerKey, nil), 403, "Forbidden", "")
	})
}
