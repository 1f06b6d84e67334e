package mockcentrapay

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The seeded config, exactly as GET answers it.
const mcSeededConfigJSON = `{"id":"mc_SbxMerchantConfig11111","merchantId":"SbxMerchant11111111111","paymentOptions":[{"type":"centrapay.nzd.test"},{"type":"payap-example.test","externalMerchantId":"sandbox-merchant-001"}],"createdAt":"2025-01-01T00:00:00.000Z","createdBy":"crn:SbxMerchantAccount1111:api-key:MerchantOwner","updatedAt":"2025-01-01T00:00:00.000Z","updatedBy":"crn:SbxMerchantAccount1111:api-key:MerchantOwner"}`

// mcOpts is a config body with these payment options.
func mcOpts(options ...map[string]any) map[string]any {
	list := make([]any, len(options))
	for i, o := range options {
		list[i] = o
	}
	return map[string]any{"paymentOptions": list}
}

// mcOpt is one payment option: type then field/value pairs.
func mcOpt(typ string, kv ...any) map[string]any {
	o := map[string]any{"type": typ}
	for i := 0; i+1 < len(kv); i += 2 {
		o[kv[i].(string)] = kv[i+1]
	}
	return o
}

// mcConfigCases are the refusals shared by create and update. merchant is
// "test" (the seeded test merchant) or "live" (a live merchant made for the
// case).
type mcConfigCase struct {
	name            string
	merchant        string
	key             string
	body            any
	status          int
	message, reason string
}

func mcConfigRefusals() []mcConfigCase {
	o := MerchantOwnerKey
	return []mcConfigCase{
		// 400 validation.
		{"missing paymentOptions", "test", o, map[string]any{}, 400, "paymentOptions is required", ""},
		{"null paymentOptions", "test", o, `{"paymentOptions":null}`, 400, "paymentOptions is required", ""},
		{"empty paymentOptions", "test", o, mcOpts(), 400, "paymentOptions must hold at least one payment option", ""},
		{"paymentOptions not an array", "test", o, `{"paymentOptions":{"type":"centrapay.nzd.test"}}`, 400, "paymentOptions must be an array of payment options", ""},
		{"option not an object", "test", o, `{"paymentOptions":["centrapay.nzd.test"]}`, 400, "paymentOptions[0] must be an object", ""},
		{"null option", "test", o, `{"paymentOptions":[null]}`, 400, "paymentOptions[0] must be an object", ""},
		{"missing type", "test", o, mcOpts(mcOpt("centrapay.nzd.test"), map[string]any{"walletId": "payap"}), 400, "paymentOptions[1].type is required", ""},
		{"type as a number", "test", o, `{"paymentOptions":[{"type":5}]}`, 400, "paymentOptions[0].type must be a string", ""},
		{"walletId as a number", "test", o, mcOpts(mcOpt("centrapay.nzd.test", "walletId", 5)), 400, "paymentOptions[0].walletId must be a string", ""},
		{"collectionIds as an object", "test", o, mcOpts(mcOpt("centrapay.token.test", "collectionIds", map[string]any{})), 400, "paymentOptions[0].collectionIds must be an array of collection ids", ""},
		{"third-party type without externalMerchantId", "test", o, mcOpts(mcOpt(mcThirdParty + ".test")), 400, "paymentOptions[0].externalMerchantId is required for payap-example.test", ""},
		{"quartz without externalMerchantId", "test", o, mcOpts(mcOpt("quartz.nzd.test")), 400, "paymentOptions[0].externalMerchantId is required for quartz.nzd.test", ""},
		{"epay without externalMerchantId", "test", o, mcOpts(mcOpt("epay.test", "terminalId", "11000021")), 400, "paymentOptions[0].externalMerchantId is required for epay.test", ""},
		{"stadius without externalMerchantId", "test", o, mcOpts(mcOpt("stadius.test")), 400, "paymentOptions[0].externalMerchantId is required for stadius.test", ""},
		{"payap-debit without externalMerchantId", "test", o, mcOpts(mcOpt("payap-debit.test", "externalMerchantId", " ")), 400, "paymentOptions[0].externalMerchantId is required for payap-debit.test", ""},
		{"uplinkapi without externalMerchantId", "test", o, mcOpts(mcOpt("uplinkapi.test")), 400, "paymentOptions[0].externalMerchantId is required for uplinkapi.test", ""},
		{"Payap open banking without externalMerchantId", "test", o, mcOpts(mcOpt("asb-payap.nzd.test")), 400, "paymentOptions[0].externalMerchantId is required for asb-payap.nzd.test", ""},
		{"paypal without paypalMerchantAccountId", "test", o, mcOpts(mcOpt("paypal.test", "paypalStoreId", "s1")), 400, "paymentOptions[0].paypalMerchantAccountId is required for paypal.test", ""},
		{"venmo without paypalStoreId", "test", o, mcOpts(mcOpt("venmo.test", "paypalMerchantAccountId", "a1")), 400, "paymentOptions[0].paypalStoreId is required for venmo.test", ""},
		{"ledger without collectionIds", "test", o, mcOpts(mcOpt("centrapay.ledger.test")), 400, "paymentOptions[0].collectionIds is required for centrapay.ledger.test", ""},
		{"relative redirect URL", "test", o, map[string]any{"paymentOptions": []any{mcOpt("centrapay.nzd.test")}, "allowedRedirectUrls": []string{"/paid"}}, 400, "allowedRedirectUrls[0] must be an absolute http or https URL such as https://shop.example.com/", ""},
		{"ftp redirect URL", "test", o, map[string]any{"paymentOptions": []any{mcOpt("centrapay.nzd.test")}, "allowedRedirectUrls": []string{"https://ok.example.com", "ftp://shop.example.com"}}, 400, "allowedRedirectUrls[1] must be an absolute http or https URL such as https://shop.example.com/", ""},
		{"redirect URLs not an array", "test", o, map[string]any{"paymentOptions": []any{mcOpt("centrapay.nzd.test")}, "allowedRedirectUrls": "https://shop.example.com"}, 400, "allowedRedirectUrls must be an array of URL strings", ""},
		{"malformed JSON", "test", o, `{"paymentOptions":[`, 400, "the body is not valid JSON (it ends too early)", ""},
		// 403 business rules.
		{"unknown asset type", "test", o, mcOpts(mcOpt("centrapay.nzd.test"), mcOpt("dogecoin.test")), 403, "INVALID_WALLET_TYPE", "paymentOptions[1].type dogecoin.test is not a known asset type id"},
		{"suffix the type lacks", "live", o, mcOpts(mcOpt("uplinkapi.main", "externalMerchantId", "m1")), 403, "INVALID_WALLET_TYPE", "uplinkapi.main is not a known asset type id"},
		{"bare type name", "test", o, mcOpts(mcOpt("centrapay.nzd")), 403, "INVALID_WALLET_TYPE", "use centrapay.nzd.main or centrapay.nzd.test"},
		{"unknown walletId", "test", o, mcOpts(mcOpt("quartz.nzd.test", "externalMerchantId", "m1", "walletId", "no-such-wallet")), 403, "INVALID_WALLET_TYPE", "walletId no-such-wallet"},
		{"walletId that lacks the type", "test", o, mcOpts(mcOpt("centrapay.nzd.test", "walletId", PayapWalletID)), 403, "INVALID_WALLET_TYPE", "walletId payap is not a wallet that holds centrapay.nzd.test"},
		{"live type on a test merchant", "test", o, mcOpts(mcOpt("centrapay.nzd.test"), mcOpt("centrapay.nzd.main")), 403, "LIVENESS_MISMATCH", "paymentOptions[1].type centrapay.nzd.main is a live asset type"},
		{"test type on a live merchant", "live", o, mcOpts(mcOpt("centrapay.nzd.main"), mcOpt(mcThirdParty+".test", "externalMerchantId", "m1")), 403, "LIVENESS_MISMATCH", "paymentOptions[1].type payap-example.test is a test asset type"},
		{"collections on a money type", "test", o, mcOpts(mcOpt("centrapay.nzd.test", "collectionIds", []string{"c_abc"})), 403, "COLLECTIONS_INVALID", "only valid on centrapay.token and centrapay.ledger"},
		{"collection id without c_", "test", o, mcOpts(mcOpt("centrapay.token.test", "collectionIds", []string{"c_ok", "98h1d312"})), 403, "COLLECTIONS_INVALID", `collectionIds[1] "98h1d312" is not a collection id`},
		{"bare c_ collection id", "test", o, mcOpts(mcOpt("centrapay.ledger.test", "collectionIds", "c_")), 403, "COLLECTIONS_INVALID", `collectionIds[0] "c_"`},
		// Who may call.
		{"merchant-terminal key", "test", MerchantTerminalKey, mcOpts(mcOpt("centrapay.nzd.test")), 403, "Forbidden", ""},
		{"another account's merchant", "test", PayapOwnerKey, mcOpts(mcOpt("centrapay.nzd.test")), 403, "Forbidden", ""},
		{"no key", "test", "", mcOpts(mcOpt("centrapay.nzd.test")), 401, "Missing authentication", ""},
		{"unknown key", "test", "cp-nobody", mcOpts(mcOpt("centrapay.nzd.test")), 401, "Invalid authentication", ""},
	}
}

func (e *mcEnv) mcMerchantFor(kind string) string {
	if kind == "live" {
		return e.mcCreateMerchant(false)
	}
	return SandboxMerchantID
}

func (e *mcEnv) mcConfigList(merchantID string) string {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/api/merchants/"+merchantID+"/configs", MerchantOwnerKey, nil)
	if rec.Code != 200 {
		e.t.Fatalf("list configs: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// mcConfigKeys are the keys of a config without allowedRedirectUrls.
var mcConfigKeys = []string{"id", "merchantId", "paymentOptions", "createdAt", "createdBy", "updatedAt", "updatedBy"}

func TestCreateMerchantConfig(t *testing.T) {
	for _, tc := range mcConfigRefusals() {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			merchantID := e.mcMerchantFor(tc.merchant)
			before := e.mcConfigList(merchantID)
			mcWantError(t, e.do(http.MethodPost, "/api/merchants/"+merchantID+"/configs", tc.key, tc.body), tc.status, tc.message, tc.reason)
			if after := e.mcConfigList(merchantID); after != before {
				t.Fatalf("a refused create changed the configs:\n%s\nwas\n%s", after, before)
			}
		})
	}
	t.Run("unknown merchant", func(t *testing.T) {
		e := mcNew(t)
		mcWantError(t, e.do(http.MethodPost, "/api/merchants/NoSuchMerchant/configs", MerchantOwnerKey, mcOpts(mcOpt("centrapay.nzd.test"))), 403, "Forbidden", "")
	})

	for _, tc := range []struct {
		name     string
		merchant string
		body     any
		options  string // the paymentOptions written back
		urls     bool
	}{
		{"centrapay money", "test", mcOpts(mcOpt("centrapay.nzd.test")), `[{"type":"centrapay.nzd.test"}]`, false},
		{"third-party type in the Payap wallet", "test", mcOpts(mcOpt(mcThirdParty+".test", "externalMerchantId", "m-42", "walletId", PayapWalletID)),
			`[{"type":"payap-example.test","walletId":"payap","externalMerchantId":"m-42"}]`, false},
		{"wallet listing the bare name holds the test id", "test", mcOpts(mcOpt("quartz.nzd.test", "externalMerchantId", "q1", "walletId", PayapWalletID)),
			`[{"type":"quartz.nzd.test","walletId":"payap","externalMerchantId":"q1"}]`, false},
		{"token collections, one as a string", "test", mcOpts(mcOpt("centrapay.token.test", "collectionIds", []string{"c_one", "c_two"}), mcOpt("centrapay.ledger.test", "collectionIds", "c_three")),
			`[{"type":"centrapay.token.test","collectionIds":["c_one","c_two"]},{"type":"centrapay.ledger.test","collectionIds":["c_three"]}]`, false},
		{"paypal and farmlands fields", "test", mcOpts(mcOpt("paypal.test", "paypalMerchantAccountId", "a1", "paypalStoreId", "s1"), mcOpt("farmlands.nzd.test", "farmlandsMerchantNumber", "F1")),
			`[{"type":"paypal.test","paypalMerchantAccountId":"a1","paypalStoreId":"s1"},{"type":"farmlands.nzd.test","farmlandsMerchantNumber":"F1"}]`, false},
		{"live merchant, live types", "live", mcOpts(mcOpt("centrapay.nzd.main"), mcOpt("bitcoin.main")),
			`[{"type":"centrapay.nzd.main"},{"type":"bitcoin.main"}]`, false},
		{"redirect URLs and unknown fields", "test", map[string]any{"paymentOptions": []any{mcOpt("centrapay.nzd.test", "colour", "teal")}, "allowedRedirectUrls": []string{"https://shop.example.com/", "http://127.0.0.1:3000/paid"}, "extra": 1},
			`[{"type":"centrapay.nzd.test"}]`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			merchantID := e.mcMerchantFor(tc.merchant)
			e.clock.Advance(time.Minute)
			rec := e.do(http.MethodPost, "/api/merchants/"+merchantID+"/configs", MerchantOwnerKey, tc.body)
			m := mcJSON(t, rec)
			keys := mcConfigKeys
			if tc.urls {
				keys = append([]string{"allowedRedirectUrls"}, mcConfigKeys...)
			}
			mcKeys(t, m, keys...)
			id := m["id"].(string)
			if !strings.HasPrefix(id, "mc_") || len(id) != 25 || strings.Trim(id[3:], base58) != "" {
				t.Fatalf("id %q, want mc_ and 22 base58 characters", id)
			}
			by := "crn:SbxMerchantAccount1111:api-key:MerchantOwner"
			if m["merchantId"] != merchantID || m["createdAt"] != "2026-01-01T09:01:00.000Z" || m["updatedAt"] != m["createdAt"] || m["createdBy"] != by || m["updatedBy"] != by {
				t.Fatalf("got %s", rec.Body)
			}
			if got, _ := json.Marshal(m["paymentOptions"]); string(got) != mcCanon(t, tc.options) {
				t.Fatalf("paymentOptions %s, want %s", got, tc.options)
			}
			if tc.urls {
				if got, _ := json.Marshal(m["allowedRedirectUrls"]); string(got) != `["https://shop.example.com/","http://127.0.0.1:3000/paid"]` {
					t.Fatalf("allowedRedirectUrls %s", got)
				}
			}
			get := e.do(http.MethodGet, "/api/merchant-configs/"+id, MerchantTerminalKey, nil)
			if get.Code != 200 || get.Body.String() != rec.Body.String() {
				t.Fatalf("GET after create: %d %s\nwant %s", get.Code, get.Body, rec.Body)
			}
		})
	}
}

// mcCanon re-encodes JSON through a generic value so that key order matches
// json.Marshal of a decoded body.
func mcCanon(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestListMerchantConfigs(t *testing.T) {
	e := mcNew(t)
	if got := e.mcConfigList(SandboxMerchantID); got != "["+mcSeededConfigJSON+"]" {
		t.Fatalf("seeded list %s", got)
	}
	created := e.do(http.MethodPost, "/api/merchants/"+SandboxMerchantID+"/configs", MerchantOwnerKey, mcOpts(mcOpt("centrapay.nzd.test")))
	mcJSON(t, created)
	for _, tc := range []struct {
		name, merchant, key string
		status              int
		message             string
		want                string
	}{
		{"owner key, oldest first, a bare array", SandboxMerchantID, MerchantOwnerKey, 200, "", "[" + mcSeededConfigJSON + "," + created.Body.String() + "]"},
		{"terminal key", SandboxMerchantID, MerchantTerminalKey, 200, "", "[" + mcSeededConfigJSON + "," + created.Body.String() + "]"},
		{"merchant without configs", e.mcCreateMerchant(true), MerchantOwnerKey, 200, "", "[]"},
		{"another account's merchant", SandboxMerchantID, PayapOwnerKey, 403, "Forbidden", ""},
		{"unknown merchant", "NoSuchMerchant", MerchantOwnerKey, 403, "Forbidden", ""},
		{"no key", SandboxMerchantID, "", 401, "Missing authentication", ""},
		{"unknown key", SandboxMerchantID, "cp-nobody", 401, "Invalid authentication", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(http.MethodGet, "/api/merchants/"+tc.merchant+"/configs", tc.key, nil)
			if tc.status != 200 {
				mcWantError(t, rec, tc.status, tc.message, "")
				return
			}
			if rec.Code != 200 || rec.Body.String() != tc.want {
				t.Fatalf("%d %s\nwant %s", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

func TestGetMerchantConfig(t *testing.T) {
	for _, tc := range []struct {
		name, id, key string
		status        int
		message       string
	}{
		{"seeded config, owner key", SandboxMerchantConfigID, MerchantOwnerKey, 200, ""},
		{"seeded config, terminal key", SandboxMerchantConfigID, MerchantTerminalKey, 200, ""},
		{"id without the mc_ prefix (C28)", strings.TrimPrefix(SandboxMerchantConfigID, "mc_"), MerchantOwnerKey, 400, "configId must start with mc_"},
		{"documented unprefixed example id (C28)", "5ee168e8597be5002af7b454", MerchantOwnerKey, 400, "configId must start with mc_"},
		{"prefix alone", "mc_", MerchantOwnerKey, 400, "configId must start with mc_"},
		{"unknown config", "mc_NoSuchConfig11111111111", MerchantOwnerKey, 403, "Forbidden"},
		{"another account's config", SandboxMerchantConfigID, PayapOwnerKey, 403, "Forbidden"},
		{"no key", SandboxMerchantConfigID, "", 401, "Missing authentication"},
		{"unknown key", SandboxMerchantConfigID, "cp-nobody", 401, "Invalid authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			rec := e.do(http.MethodGet, "/api/merchant-configs/"+tc.id, tc.key, nil)
			if tc.status != 200 {
				mcWantError(t, rec, tc.status, tc.message, "")
				return
			}
			if rec.Code != 200 || rec.Body.String() != mcSeededConfigJSON {
				t.Fatalf("%d %s\nwant %s", rec.Code, rec.Body, mcSeededConfigJSON)
			}
		})
	}
}

func TestUpdateMerchantConfig(t *testing.T) {
	path := "/api/merchants/" + SandboxMerchantID + "/configs/" + SandboxMerchantConfigID
	for _, tc := range mcConfigRefusals() {
		t.Run(tc.name, func(t *testing.T) {
			e := mcNew(t)
			p := path
			if tc.merchant == "live" {
				live := e.mcCreateMerchant(false)
				created := mcJSON(t, e.do(http.MethodPost, "/api/merchants/"+live+"/configs", MerchantOwnerKey, mcOpts(mcOpt("centrapay.nzd.main"))))
				p = "/api/merchants/" + live + "/configs/" + created["id"].(string)
			}
			before := e.mcConfigList(strings.Split(p, "/")[3])
			mcWantError(t, e.do(http.MethodPut, p, tc.key, tc.body), tc.status, tc.message, tc.reason)
			if after := e.mcConfigList(strings.Split(p, "/")[3]); after != before {
				t.Fatalf("a refused update changed the configs:\n%s\nwas\n%s", after, before)
			}
		})
	}

	e := mcNew(t)
	other := e.mcCreateMerchant(true)
	otherConfig := mcJSON(t, e.do(http.MethodPost, "/api/merchants/"+other+"/configs", MerchantOwnerKey, mcOpts(mcOpt("centrapay.nzd.test"))))["id"].(string)
	body := mcOpts(mcOpt("centrapay.nzd.test"))
	for _, tc := range []struct {
		name, path string
		status     int
		message    string
	}{
		{"config id without the mc_ prefix (C28)", "/api/merchants/" + SandboxMerchantID + "/configs/SbxMerchantConfig11111", 400, "configId must start with mc_"},
		{"unknown config", "/api/merchants/" + SandboxMerchantID + "/configs/mc_NoSuchConfig11111111111", 403, "Forbidden"},
		{"config of another merchant", "/api/merchants/" + SandboxMerchantID + "/configs/" + otherConfig, 403, "Forbidden"},
		{"unknown merchant", "/api/merchants/NoSuchMerchant/configs/" + SandboxMerchantConfigID, 403, "Forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mcWantError(t, e.do(http.MethodPut, tc.path, MerchantOwnerKey, body), tc.status, tc.message, "")
		})
	}

	t.Run("replaces options and redirect URLs", func(t *testing.T) {
		e := mcNew(t)
		withURLs := map[string]any{"paymentOptions": []any{mcOpt("centrapay.nzd.test")}, "allowedRedirectUrls": []string{"https://shop.example.com/"}}
		e.clock.Advance(time.Hour)
		first := mcJSON(t, e.do(http.MethodPut, path, MerchantOwnerKey, withURLs))
		mcKeys(t, first, append([]string{"allowedRedirectUrls"}, mcConfigKeys...)...)
		if first["id"] != SandboxMerchantConfigID || first["createdAt"] != "2025-01-01T00:00:00.000Z" || first["updatedAt"] != "2026-01-01T10:00:00.000Z" {
			t.Fatalf("got %v", first)
		}
		e.clock.Advance(time.Hour)
		rec := e.do(http.MethodPut, path, MerchantOwnerKey, mcOpts(mcOpt("centrapay.token.test", "collectionIds", []string{"c_1"})))
		second := mcJSON(t, rec)
		mcKeys(t, second, mcConfigKeys...) // allowedRedirectUrls left out: removed
		if got, _ := json.Marshal(second["paymentOptions"]); string(got) != `[{"collectionIds":["c_1"],"type":"centrapay.token.test"}]` || second["updatedAt"] != "2026-01-01T11:00:00.000Z" {
			t.Fatalf("got %s", rec.Body)
		}
		if get := e.do(http.MethodGet, "/api/merchant-configs/"+SandboxMerchantConfigID, MerchantOwnerKey, nil); get.Body.String() != rec.Body.String() {
			t.Fatalf("GET after update %s, want %s", get.Body, rec.Body)
		}
		if got := e.st.merchantPaymentOptionTypes(SandboxMerchantID); len(got) != 1 || got[0] != (PaymentOptionRef{Type: "centrapay.token.test"}) {
			t.Fatalf("merchantPaymentOptionTypes after update = %v", got)
		}
	})
}
