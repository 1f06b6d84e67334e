package mockcentrapay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/clock"
)

// wlStart is the frozen sandbox time the wallets area's tests begin at.
var wlStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// wlThirdParty is the third-party asset type the tests register, as the
// sandbox registers the mock Payap's.
const wlThirdParty = "payap-example"

// wlEnv is a seeded mock Centrapay behind a recorder.
type wlEnv struct {
	h     http.Handler
	store *MemStore
	clock *clock.Clock
	cfg   Config
}

func wlNew(t testing.TB) *wlEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.PublicURL = "http://127.0.0.1:7070"
	cfg.ThirdPartyAssetTypes = []string{wlThirdParty}
	st := NewMemStore(42)
	if err := Seed(st, cfg); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	clk := clock.NewFrozen(wlStart)
	return &wlEnv{h: New(cfg, Deps{Store: st, Clock: clk, JWKS: http.NotFoundHandler()}), store: st, clock: clk, cfg: cfg}
}

// do sends body (nil, []byte/string as is, anything else as JSON).
func (e *wlEnv) do(t testing.TB, method, path, key string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// wlWantOK checks a 200 JSON answer and decodes it into v.
func wlWantOK(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("decoding %s: %v", rec.Body, err)
		}
	}
}

// wlWantError checks the whole error body: {statusCode, error, message}
// and, when reason is not empty, a reason containing it (and no reason key
// otherwise).
func wlWantError(t testing.TB, rec *httptest.ResponseRecorder, status int, message, reason string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body, err)
	}
	want := map[string]any{"statusCode": float64(status), "error": http.StatusText(status), "message": message}
	if reason != "" {
		r, _ := got["reason"].(string)
		if !strings.Contains(r, reason) {
			t.Fatalf("reason %q, want it to contain %q (body %s)", r, reason, rec.Body)
		}
		want["reason"] = r
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("error body %s, want %v", rec.Body, want)
	}
}

// wlBody is a valid create body for the patron account; with edits.
func wlBody(edits ...func(m map[string]any)) map[string]any {
	m := map[string]any{
		"id":              "acme-wallet",
		"name":            "Acme Wallet",
		"accountId":       PatronAccountID,
		"connectUrl":      "https://acme.example/join",
		"payUrl":          "https://acme.example/pay",
		"primaryColorHex": "#abc123",
		"assetTypes":      []any{map[string]any{"id": "centrapay.nzd"}},
	}
	for _, e := range edits {
		e(m)
	}
	return m
}

func wlSet(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
func wlDel(k string) func(map[string]any)        { return func(m map[string]any) { delete(m, k) } }

func TestCreateWallet(t *testing.T) {
	e := wlNew(t)
	var got Wallet
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody()), &got)
	want := Wallet{
		ID: "acme-wallet", Name: "Acme Wallet", AccountID: PatronAccountID,
		ConnectURL: "https://acme.example/join", PayURL: "https://acme.example/pay", PrimaryColorHex: "#abc123",
		AssetTypes: []WalletAssetType{{ID: "centrapay.nzd"}},
		CreatedAt:  ts(wlStart), CreatedBy: CRN(PatronAccountID, "api-key", "PatronOwner"),
		CreatedByAccountName: "Sandbox Patron", Status: "active",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("created %+v\nwant    %+v", got, want)
	}
	// The raw body: the model's field names and the ms timestamp.
	var raw map[string]any
	_ = json.Unmarshal(e.do(t, http.MethodGet, "/api/wallets/acme-wallet", PatronOwnerKey, nil).Body.Bytes(), &raw)
	if raw["connectUrl"] != "https://acme.example/join" || raw["createdAt"] != "2026-01-01T09:00:00.000Z" || raw["connectionId"] != nil {
		t.Fatalf("stored wallet %v", raw)
	}
}

func TestCreateWalletAliasesAndCollections(t *testing.T) {
	cases := []struct {
		name  string
		body  map[string]any
		check func(t *testing.T, w Wallet)
	}{
		{
			name: "C1 connectionId is read as connectUrl",
			body: wlBody(wlDel("connectUrl"), wlSet("connectionId", "https://app.acme.example/join")),
			check: func(t *testing.T, w Wallet) {
				if w.ConnectURL != "https://app.acme.example/join" {
					t.Fatalf("connectUrl %q", w.ConnectURL)
				}
			},
		},
		{
			name: "C1 connectUrl wins over connectionId",
			body: wlBody(wlSet("connectionId", "not a url")),
			check: func(t *testing.T, w Wallet) {
				if w.ConnectURL != "https://acme.example/join" {
					t.Fatalf("connectUrl %q", w.ConnectURL)
				}
			},
		},
		{
			name: "C3 singular collectionId with and without c_, plural collectionIds, one item per collection",
			body: wlBody(wlSet("assetTypes", []any{
				map[string]any{"id": "quartz.nzd"},
				map[string]any{"id": "centrapay.token", "collectionId": "98h1d312"},
				map[string]any{"id": "centrapay.token", "collectionId": "c_ca9h0221sacw"},
				map[string]any{"id": "centrapay.ledger.test", "collectionIds": []string{"c_abc", "def"}},
				map[string]any{"id": "centrapay.token", "collectionIds": []string{"98h1d312"}}, // repeat, merged
			})),
			check: func(t *testing.T, w Wallet) {
				want := []WalletAssetType{
					{ID: "quartz.nzd"},
					{ID: "centrapay.token", CollectionID: "c_98h1d312"},
					{ID: "centrapay.token", CollectionID: "c_ca9h0221sacw"},
					{ID: "centrapay.ledger.test", CollectionID: "c_abc"},
					{ID: "centrapay.ledger.test", CollectionID: "c_def"},
				}
				if !reflect.DeepEqual(w.AssetTypes, want) {
					t.Fatalf("assetTypes %+v, want %+v", w.AssetTypes, want)
				}
			},
		},
		{
			name: "asset types with liveness, third-party and only the required fields",
			body: map[string]any{"id": "min_wallet-2", "name": "Min", "accountId": PatronAccountID, "assetTypes": []any{
				map[string]any{"id": "centrapay.nzd.test"}, map[string]any{"id": wlThirdParty + ".main"}, map[string]any{"id": "uplinkapi.test"},
			}},
			check: func(t *testing.T, w Wallet) {
				if len(w.AssetTypes) != 3 || w.ConnectURL != "" || w.PayURL != "" || w.PrimaryColorHex != "" || w.LogoMediaUploadID != "" {
					t.Fatalf("wallet %+v", w)
				}
			},
		},
		{
			name: "http on loopback, #RGB colour, unknown fields ignored",
			body: wlBody(wlSet("connectUrl", "http://localhost:3000/join"), wlSet("payUrl", "http://127.0.0.1:3000/pay"),
				wlSet("primaryColorHex", "#FFF"), wlSet("logoImg", "ignored")),
			check: func(t *testing.T, w Wallet) {
				if w.ConnectURL != "http://localhost:3000/join" || w.PrimaryColorHex != "#FFF" {
					t.Fatalf("wallet %+v", w)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := wlNew(t)
			var w Wallet
			wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, tc.body), &w)
			tc.check(t, w)
		})
	}
}

func TestCreateWalletErrors(t *testing.T) {
	e := wlNew(t)
	csvID := wlUpload(t, e, PatronOwnerKey, mediaPurposeOnboarding, "a.csv", []byte("a,b\n1,2\n"))
	foreignLogo := wlUpload(t, e, MerchantOwnerKey, mediaPurposeLogo, "logo.png", wlPNG(t, 4))
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody(wlSet("id", "taken"))), nil)
	at := func(items ...any) func(map[string]any) { return wlSet("assetTypes", append([]any{}, items...)) }

	cases := []struct {
		name    string
		key     string
		body    any
		status  int
		message string
		reason  string
	}{
		// 400: body and field validation.
		{name: "empty body", body: "", status: 400, message: "the body is empty; send a JSON object"},
		{name: "truncated JSON", body: `{"id":`, status: 400, message: "the body is not valid JSON (it ends too soon)"},
		{name: "malformed JSON", body: `{"id" 1}`, status: 400, message: "the body is not valid JSON (at byte 7)"},
		{name: "not an object", body: `[1]`, status: 400, message: "the body must be a JSON object"},
		{name: "two objects", body: `{} {}`, status: 400, message: "send exactly one JSON object"},
		{name: "body over 1 MiB", body: `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, status: 400, message: "the body is larger than 1 MiB"},
		{name: "missing id", body: wlBody(wlDel("id")), status: 400, message: "id is required"},
		{name: "id not a string", body: wlBody(wlSet("id", 7)), status: 400, message: "id must be a string"},
		{name: "id with upper case", body: wlBody(wlSet("id", "Acme")), status: 400, message: "id must be lower-case letters, digits, '-' and '_' (at most 64 characters), e.g. payap"},
		{name: "id with a space", body: wlBody(wlSet("id", "acme wallet")), status: 400, message: "id must be lower-case letters, digits, '-' and '_' (at most 64 characters), e.g. payap"},
		{name: "id too long", body: wlBody(wlSet("id", strings.Repeat("a", 65))), status: 400, message: "id must be lower-case letters, digits, '-' and '_' (at most 64 characters), e.g. payap"},
		{name: "missing name", body: wlBody(wlDel("name")), status: 400, message: "name is required"},
		{name: "blank name", body: wlBody(wlSet("name", "  ")), status: 400, message: "name is required"},
		{name: "name too long", body: wlBody(wlSet("name", strings.Repeat("n", 101))), status: 400, message: "name must be at most 100 characters"},
		{name: "missing accountId", body: wlBody(wlDel("accountId")), status: 400, message: "accountId is required"},
		{name: "null accountId", body: wlBody(wlSet("accountId", nil)), status: 400, message: "accountId is required"},
		{name: "connectUrl not https", body: wlBody(wlSet("connectUrl", "http://acme.example/join")), status: 400, message: "connectUrl must be an absolute https URL (http only on localhost), e.g. https://app.payap.com/join"},
		{name: "connectUrl relative", body: wlBody(wlSet("connectUrl", "/join")), status: 400, message: "connectUrl must be an absolute https URL (http only on localhost), e.g. https://app.payap.com/join"},
		{name: "C1 connectionId not a URL", body: wlBody(wlDel("connectUrl"), wlSet("connectionId", "abc123")), status: 400, message: "connectionId must be an absolute https URL (http only on localhost), e.g. https://app.payap.com/join"},
		{name: "payUrl not a string", body: wlBody(wlSet("payUrl", true)), status: 400, message: "payUrl must be a string"},
		{name: "payUrl ftp", body: wlBody(wlSet("payUrl", "ftp://acme.example/pay")), status: 400, message: "payUrl must be an absolute https URL (http only on localhost), e.g. https://app.payap.com/join"},
		{name: "logoMediaUploadId not a string", body: wlBody(wlSet("logoMediaUploadId", 1)), status: 400, message: "logoMediaUploadId must be a string"},
		{name: "colour without #", body: wlBody(wlSet("primaryColorHex", "abc123")), status: 400, message: "primaryColorHex must be a hex colour: #RGB or #RRGGBB, e.g. #FF5733"},
		{name: "colour not hex", body: wlBody(wlSet("primaryColorHex", "#GGGGGG")), status: 400, message: "primaryColorHex must be a hex colour: #RGB or #RRGGBB, e.g. #FF5733"},
		{name: "colour of 4 digits", body: wlBody(wlSet("primaryColorHex", "#abcd")), status: 400, message: "primaryColorHex must be a hex colour: #RGB or #RRGGBB, e.g. #FF5733"},
		{name: "colour name", body: wlBody(wlSet("primaryColorHex", "red")), status: 400, message: "primaryColorHex must be a hex colour: #RGB or #RRGGBB, e.g. #FF5733"},
		{name: "missing assetTypes", body: wlBody(wlDel("assetTypes")), status: 400, message: "assetTypes is required"},
		{name: "empty assetTypes", body: wlBody(at()), status: 400, message: "assetTypes must list at least one asset type"},
		{name: "assetTypes not an array", body: wlBody(wlSet("assetTypes", "centrapay.nzd")), status: 400, message: "assetTypes must be an array of {id, collectionId?} objects"},
		{name: "too many assetTypes", body: wlBody(wlSet("assetTypes", wlMany(101))), status: 400, message: "assetTypes must list at most 100 asset types"},
		{name: "assetTypes item not an object", body: wlBody(at("centrapay.nzd")), status: 400, message: "assetTypes[0] must be an object {id, collectionId?}"},
		{name: "assetTypes item without id", body: wlBody(at(map[string]any{"id": "quartz.nzd"}, map[string]any{"collectionId": "c_x"})), status: 400, message: "assetTypes[1].id is required"},
		{name: "assetTypes id not a string", body: wlBody(at(map[string]any{"id": 3})), status: 400, message: "assetTypes[0].id must be a string"},
		{name: "collectionId not a string", body: wlBody(at(map[string]any{"id": "centrapay.token", "collectionId": 3})), status: 400, message: "assetTypes[0].collectionId must be a string"},
		{name: "collectionIds not an array", body: wlBody(at(map[string]any{"id": "centrapay.token", "collectionIds": "c_a"})), status: 400, message: "assetTypes[0].collectionIds must be an array of strings"},
		{name: "collectionId with another prefix", body: wlBody(at(map[string]any{"id": "centrapay.token", "collectionId": "mc_abc"})), status: 400, message: "assetTypes[0].collectionId must be a collection id such as c_98h1d312 (letters and digits, optionally prefixed c_)"},
		// 403: permissions and business rules.
		{name: "merchant-terminal key", key: MerchantTerminalKey, body: wlBody(wlSet("accountId", SandboxMerchantAccountID)), status: 403, message: "Forbidden"},
		{name: "another account's accountId", body: wlBody(wlSet("accountId", PayapAccountID)), status: 403, message: "Forbidden", reason: "accountId must be the account of the API key"},
		{name: "unknown asset type", body: wlBody(at(map[string]any{"id": "doge.coin"})), status: 403, message: "INVALID_WALLET_TYPE", reason: `"doge.coin" is not an asset type`},
		{name: "liveness the type lacks", body: wlBody(at(map[string]any{"id": "bitcoin.test"})), status: 403, message: "INVALID_WALLET_TYPE", reason: `"bitcoin.test" is not an asset type`},
		{name: "collectionId on quartz.nzd", body: wlBody(at(map[string]any{"id": "quartz.nzd", "collectionId": "c_abc"})), status: 403, message: "COLLECTIONS_INVALID", reason: "quartz.nzd takes no collectionId"},
		{name: "collectionIds on centrapay.nzd.test", body: wlBody(at(map[string]any{"id": "centrapay.nzd.test", "collectionIds": []string{"abc"}})), status: 403, message: "COLLECTIONS_INVALID", reason: "centrapay.nzd.test takes no collectionId"},
		{name: "unknown logo upload", body: wlBody(wlSet("logoMediaUploadId", "nope")), status: 403, message: "Forbidden", reason: "no media upload nope in this account"},
		{name: "another account's logo upload", body: wlBody(wlSet("logoMediaUploadId", foreignLogo)), status: 403, message: "Forbidden", reason: "in this account"},
		{name: "logo upload of the wrong purpose", body: wlBody(wlSet("logoMediaUploadId", csvID)), status: 403, message: "FILE_TYPE_INVALID", reason: "upload the logo with purpose branding-logo"},
		{name: "duplicate id", body: wlBody(wlSet("id", "taken")), status: 403, message: "WALLET_ALREADY_EXISTS", reason: "a wallet with id taken already exists"},
		{name: "the seeded payap id", body: wlBody(wlSet("id", PayapWalletID)), status: 403, message: "WALLET_ALREADY_EXISTS", reason: "a wallet with id payap already exists"},
		// 401 from the auth layer.
		{name: "no API key", key: "-", body: wlBody(), status: 401, message: "Missing authentication"},
		{name: "unknown API key", key: "nope", body: wlBody(), status: 401, message: "Invalid authentication"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			switch key {
			case "":
				key = PatronOwnerKey
			case "-":
				key = ""
			}
			before := len(e.store.walletList(""))
			wlWantError(t, e.do(t, http.MethodPost, "/api/wallets", key, tc.body), tc.status, tc.message, tc.reason)
			if after := len(e.store.walletList("")); after != before {
				t.Fatalf("a refused create changed the store: %d wallets, was %d", after, before)
			}
		})
	}
}

func wlMany(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"id": "centrapay.nzd"}
	}
	return out
}

func TestCreateWalletWithLogo(t *testing.T) {
	e := wlNew(t)
	for _, kind := range []struct {
		name string
		data []byte
	}{{"png", wlPNG(t, 8)}, {"jpeg", wlJPEG(t)}} {
		t.Run(kind.name, func(t *testing.T) {
			logo := wlUpload(t, e, PatronOwnerKey, mediaPurposeLogo, "logo."+kind.name, kind.data)
			var w Wallet
			wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody(wlSet("id", "logo-"+kind.name), wlSet("logoMediaUploadId", logo))), &w)
			if w.LogoMediaUploadID != logo {
				t.Fatalf("logoMediaUploadId %q, want %q", w.LogoMediaUploadID, logo)
			}
		})
	}
}

func TestGetAndListWallets(t *testing.T) {
	e := wlNew(t)
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody()), nil)

	t.Run("seeded payap wallet, readable with any key", func(t *testing.T) {
		var w Wallet
		wlWantOK(t, e.do(t, http.MethodGet, "/api/wallets/payap", MerchantTerminalKey, nil), &w)
		want := Wallet{
			ID: "payap", Name: "Payap", AccountID: PayapAccountID,
			ConnectURL: "https://app.payap.com/join", PayURL: "https://app.payap.com/pay", PrimaryColorHex: "#5B2EFF",
			AssetTypes: []WalletAssetType{{ID: "quartz.nzd"}, {ID: wlThirdParty}},
			CreatedAt:  ts(walletSeedTime), CreatedBy: CRN(PayapAccountID, "api-key", "PayapOwner"),
			CreatedByAccountName: "Payap", Status: "active",
		}
		if !reflect.DeepEqual(w, want) {
			t.Fatalf("payap wallet %+v\nwant         %+v", w, want)
		}
	})
	t.Run("list is the caller's account's wallets", func(t *testing.T) {
		for key, ids := range map[string][]string{PatronOwnerKey: {"acme-wallet"}, PayapOwnerKey: {"payap"}, MerchantOwnerKey: {}} {
			var page struct {
				Items       []Wallet `json:"items"`
				NextPageKey *string  `json:"nextPageKey"`
			}
			wlWantOK(t, e.do(t, http.MethodGet, "/api/wallets", key, nil), &page)
			got := []string{}
			for _, w := range page.Items {
				got = append(got, w.ID)
			}
			if !reflect.DeepEqual(got, ids) || page.Items == nil || page.NextPageKey != nil {
				t.Fatalf("%s lists %v (%s), want %v", key, got, e.do(t, http.MethodGet, "/api/wallets", key, nil).Body, ids)
			}
		}
	})
	for _, tc := range []struct {
		name, method, path, key string
		status                  int
		message                 string
	}{
		{"unknown wallet", http.MethodGet, "/api/wallets/nope", PatronOwnerKey, 403, "Forbidden"},
		{"get without a key", http.MethodGet, "/api/wallets/payap", "", 401, "Missing authentication"},
		{"list without a key", http.MethodGet, "/api/wallets", "", 401, "Missing authentication"},
		{"wrong method", http.MethodDelete, "/api/wallets/payap", PayapOwnerKey, 404, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wlWantError(t, e.do(t, tc.method, tc.path, tc.key, nil), tc.status, tc.message, "")
		})
	}
}

func TestSupportedWallets(t *testing.T) {
	e := wlNew(t)
	// A wallet holding centrapay.nzd (the seeded config offers
	// centrapay.nzd.test) and one holding nothing the merchant takes.
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody()), nil)
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody(wlSet("id", "bitcoin-only"),
		wlSet("assetTypes", []any{map[string]any{"id": "bitcoin.main"}}))), nil)

	rec := e.do(t, http.MethodGet, "/api/merchants/"+SandboxMerchantID+"/supported-wallets", PayapOwnerKey, nil)
	if !bytes.HasPrefix(bytes.TrimSpace(rec.Body.Bytes()), []byte("[")) {
		t.Fatalf("supported-wallets is not a bare array (C23): %s", rec.Body)
	}
	var ws []Wallet
	wlWantOK(t, rec, &ws)
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.ID)
	}
	if !reflect.DeepEqual(ids, []string{"payap", "acme-wallet"}) {
		t.Fatalf("supported wallets %v, want [payap acme-wallet]", ids)
	}
	if ws[0].Name != "Payap" || ws[0].AccountID != PayapAccountID || len(ws[0].AssetTypes) != 2 {
		t.Fatalf("payap wallet %+v", ws[0])
	}

	for _, tc := range []struct {
		name, path, key string
		status          int
		message         string
	}{
		{"unknown merchant", "/api/merchants/nope/supported-wallets", PayapOwnerKey, 403, "Forbidden"},
		{"no key", "/api/merchants/" + SandboxMerchantID + "/supported-wallets", "", 401, "Missing authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wlWantError(t, e.do(t, http.MethodGet, tc.path, tc.key, nil), tc.status, tc.message, "")
		})
	}
}

func TestWalletMatchesOptions(t *testing.T) {
	st := NewMemStore(1)
	if err := st.seedWallets(Config{ThirdPartyAssetTypes: []string{wlThirdParty}}); err != nil {
		t.Fatal(err)
	}
	payap := Wallet{ID: "payap", AssetTypes: []WalletAssetType{{ID: "quartz.nzd"}, {ID: wlThirdParty}}}
	token := Wallet{ID: "tokens", AssetTypes: []WalletAssetType{{ID: "centrapay.token.main", CollectionID: "c_x"}}}
	for _, tc := range []struct {
		name   string
		w      Wallet
		opts   []PaymentOptionRef
		expect bool
	}{
		{"test option matches a bare name", payap, []PaymentOptionRef{{Type: "quartz.nzd.test"}}, true},
		{"live option matches a bare name", payap, []PaymentOptionRef{{Type: wlThirdParty + ".main"}}, true},
		{"live wallet type matches a test option", token, []PaymentOptionRef{{Type: "centrapay.token.test"}}, true},
		{"no shared type", payap, []PaymentOptionRef{{Type: "centrapay.nzd.test"}}, false},
		{"a prefix is not a match", payap, []PaymentOptionRef{{Type: "quartz-one-off.nzd.test"}}, false},
		{"option for this wallet", payap, []PaymentOptionRef{{Type: "quartz.nzd.test", WalletID: "payap"}}, true},
		{"option for another wallet", payap, []PaymentOptionRef{{Type: "quartz.nzd.test", WalletID: "other"}}, false},
		{"one of several options", payap, []PaymentOptionRef{{Type: "centrapay.nzd.test"}, {Type: "quartz.nzd.main"}}, true},
		{"no options", payap, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := walletMatchesOptions(tc.w, tc.opts, st.assetTypeName); got != tc.expect {
				t.Fatalf("walletMatchesOptions = %v, want %v", got, tc.expect)
			}
		})
	}
}

func TestWalletHolds(t *testing.T) {
	e := wlNew(t)
	for _, tc := range []struct {
		wallet, assetType string
		exists, holds     bool
	}{
		{"payap", "quartz.nzd.test", true, true},
		{"payap", wlThirdParty + ".test", true, true},
		{"payap", "quartz.nzd", true, true},
		{"payap", "centrapay.nzd.test", true, false},
		{"nope", "quartz.nzd.test", false, false},
	} {
		exists, holds := e.store.walletHolds(tc.wallet, tc.assetType)
		if exists != tc.exists || holds != tc.holds {
			t.Errorf("walletHolds(%q, %q) = %v, %v; want %v, %v", tc.wallet, tc.assetType, exists, holds, tc.exists, tc.holds)
		}
	}
}

func TestSeedWalletsRefusesBadThirdPartyTypes(t *testing.T) {
	for _, name := range []string{"quartz.nzd", "points.test", "points.main", "", " points"} {
		t.Run(name, func(t *testing.T) {
			if err := NewMemStore(1).seedWallets(Config{ThirdPartyAssetTypes: []string{name}}); err == nil {
				t.Fatalf("seedWallets accepted third-party type %q", name)
			}
		})
	}
	st := NewMemStore(1)
	if err := st.seedWallets(Config{ThirdPartyAssetTypes: []string{"points", "points"}}); err != nil {
		t.Fatalf("a repeated name: %v", err)
	}
	if w, _ := st.wallet(PayapWalletID); len(w.AssetTypes) != 2 {
		t.Fatalf("payap asset types %+v, want quartz.nzd and points once", w.AssetTypes)
	}
}
