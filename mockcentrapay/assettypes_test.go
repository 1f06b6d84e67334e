package mockcentrapay

import (
	"net/http"
	"reflect"
	"testing"
)

func TestListAssetTypes(t *testing.T) {
	e := wlNew(t)
	var page struct {
		Items []map[string]any `json:"items"`
	}
	wlWantOK(t, e.do(t, http.MethodGet, "/api/asset-types", MerchantTerminalKey, nil), &page)
	byName := map[string]map[string]any{}
	for _, it := range page.Items {
		byName[it["name"].(string)] = it
	}
	if len(page.Items) != len(documentedAssetTypes())+1 {
		t.Fatalf("%d asset types, want the %d documented ones and %s", len(page.Items), len(documentedAssetTypes()), wlThirdParty)
	}
	want := map[string]map[string]any{
		"centrapay.nzd": {
			"name": "centrapay.nzd", "description": "Centrapay NZD wallet", "category": "money", "currencies": []any{"NZD"},
			"live": true, "test": true, "restricted": false, "quickPay": false, "requiresTaxNumber": false,
			"centrapayHeld": true, "thirdParty": false,
			"ids": []any{"centrapay.nzd", "centrapay.nzd.main", "centrapay.nzd.test"},
		},
		wlThirdParty: {
			"name": wlThirdParty, "description": wlThirdParty + " (registered through Payap)", "category": "", "currencies": []any{"NZD"},
			"live": true, "test": true, "restricted": false, "quickPay": false, "requiresTaxNumber": false,
			"centrapayHeld": false, "thirdParty": true,
			"ids": []any{wlThirdParty, wlThirdParty + ".main", wlThirdParty + ".test"},
		},
	}
	for name, w := range want {
		if !reflect.DeepEqual(byName[name], w) {
			t.Errorf("%s = %v\nwant %v", name, byName[name], w)
		}
	}
	for _, tc := range []struct {
		name     string
		ids      []any
		category string
	}{
		{"bitcoin", []any{"bitcoin", "bitcoin.main"}, ""},
		{"uplinkapi", []any{"uplinkapi", "uplinkapi.test"}, ""},
		{"cca.coke", []any{"cca.coke", "cca.coke.main", "cca.coke.test"}, "token"},
		{"centrapay.ledger", []any{"centrapay.ledger", "centrapay.ledger.main", "centrapay.ledger.test"}, "ledger"},
		{"quartz.nzd", []any{"quartz.nzd", "quartz.nzd.main", "quartz.nzd.test"}, ""},
	} {
		if got := byName[tc.name]; !reflect.DeepEqual(got["ids"], tc.ids) || got["category"] != tc.category {
			t.Errorf("%s: ids %v category %q, want %v %q", tc.name, got["ids"], got["category"], tc.ids, tc.category)
		}
	}
	if byName["cca.coke"]["restricted"] != true || byName["stadius"]["currencies"] == nil || byName["farmlands.nzd"]["requiresTaxNumber"] != true {
		t.Errorf("flags: cca.coke %v, farmlands.nzd %v", byName["cca.coke"], byName["farmlands.nzd"])
	}
	wlWantError(t, e.do(t, http.MethodGet, "/api/asset-types", "", nil), 401, "Missing authentication", "")
}

func TestAssetTypeLookup(t *testing.T) {
	e := wlNew(t)
	for _, tc := range []struct {
		id, name, liveness string
		ok                 bool
	}{
		{"centrapay.nzd.test", "centrapay.nzd", "test", true},
		{"centrapay.nzd.main", "centrapay.nzd", "main", true},
		{"centrapay.nzd", "centrapay.nzd", "", true},
		{"quartz.nzd", "quartz.nzd", "", true},
		{"quartz-one-off.nzd.test", "quartz-one-off.nzd", "test", true},
		{wlThirdParty + ".test", wlThirdParty, "test", true},
		{"bitcoin.main", "bitcoin", "main", true},
		{"bitcoin.test", "", "", false},
		{"uplinkapi.test", "uplinkapi", "test", true},
		{"uplinkapi.main", "", "", false},
		{"centrapay", "", "", false},
		{"centrapay.nzd.live", "", "", false},
		{"CENTRAPAY.NZD", "", "", false},
		{"", "", "", false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, ok := e.store.assetType(tc.id)
			if ok != tc.ok || got.Name != tc.name || got.Liveness != tc.liveness {
				t.Fatalf("assetType(%q) = %q %q %v; want %q %q %v", tc.id, got.Name, got.Liveness, ok, tc.name, tc.liveness, tc.ok)
			}
		})
	}
	// The answer is a copy: changing it does not change the catalogue.
	a, _ := e.store.assetType("centrapay.nzd")
	a.IDs[0], a.Currencies[0] = "x", "x"
	if b, _ := e.store.assetType("centrapay.nzd"); b.IDs[0] != "centrapay.nzd" || b.Currencies[0] != "NZD" {
		t.Fatalf("the catalogue changed through a returned value: %+v", b)
	}
	// Before Seed the documented catalogue is there, without third-party types.
	st := NewMemStore(1)
	if _, ok := st.assetType("centrapay.nzd.test"); !ok {
		t.Fatal("an unseeded store does not know centrapay.nzd.test")
	}
	if _, ok := st.assetType(wlThirdParty); ok {
		t.Fatalf("an unseeded store knows %s", wlThirdParty)
	}
	if names := e.store.assetTypes(); names[0].Name > names[len(names)-1].Name {
		t.Fatal("assetTypes is not sorted by name")
	}
}
