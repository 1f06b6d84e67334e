package mockcentrapay

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// AssetTypeInfo is one asset type of the catalogue (§4.4, the "Asset Types"
// page): its name, the documented description, category, currencies and
// flags, and every id it can be written as.
//
// The catalogue is the documented table plus the open-banking / Payap types
// the digest lists, plus Config.ThirdPartyAssetTypes (types registered
// through Payap: third-party, NZD, live and test).
type AssetTypeInfo struct {
	// Name is the asset type without liveness, e.g. centrapay.nzd.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Category is money, token or ledger for types held in a Centrapay
	// account, "" for the others (third-party, Uplink, open banking).
	Category   string   `json:"category"`
	Currencies []string `json:"currencies"`
	// Live: the type has a .main form (⚡️); Test: it has a .test form (🧪).
	Live bool `json:"live"`
	Test bool `json:"test"`
	// Restricted types cannot pay for line items flagged restricted (🚫).
	Restricted bool `json:"restricted"`
	// QuickPay (💸) and RequiresTaxNumber (💼) are the documented flags.
	QuickPay          bool `json:"quickPay"`
	RequiresTaxNumber bool `json:"requiresTaxNumber"`
	// CentrapayHeld: the asset lives in a Centrapay account (category set).
	CentrapayHeld bool `json:"centrapayHeld"`
	// ThirdParty: registered through Payap (Config.ThirdPartyAssetTypes).
	ThirdParty bool `json:"thirdParty"`
	// IDs are every accepted form: the bare name, then name.main and
	// name.test where the type has them.
	IDs []string `json:"ids"`
	// Liveness is set by MemStore.assetType: "main" or "test" when the id
	// asked for carried the suffix, "" for a bare name. Never set in the
	// catalogue listing.
	Liveness string `json:"liveness,omitempty"`
}

// assetTypeLivenesses are the liveness suffixes of §4.4: .main (live) and
// .test.
var assetTypeLivenesses = [2]string{"main", "test"}

// documentedAssetTypes is §4.4. Descriptions are the documentation's; the
// open-banking types and external, absent from the table, are described
// from the guides.
func documentedAssetTypes() []AssetTypeInfo {
	nzd := []string{"NZD"}
	both := func(a AssetTypeInfo) AssetTypeInfo { a.Live, a.Test = true, true; return a }
	return []AssetTypeInfo{
		// Held in a Centrapay account.
		both(AssetTypeInfo{Name: "centrapay.nzd", Description: "Centrapay NZD wallet", Category: "money", Currencies: nzd, CentrapayHeld: true}),
		both(AssetTypeInfo{Name: "centrapay.token", Description: "Centrapay tokens", Category: "token", Currencies: nzd, CentrapayHeld: true}),
		both(AssetTypeInfo{Name: "centrapay.ledger", Description: "Centrapay Ledgers", Category: "ledger", Currencies: nzd, CentrapayHeld: true}),
		both(AssetTypeInfo{Name: "cca.coke", Description: "Coke tokens", Category: "token", Currencies: nzd, Restricted: true, CentrapayHeld: true}),
		both(AssetTypeInfo{Name: "farmlands.nzd", Description: "Farmlands", Category: "money", Currencies: nzd, QuickPay: true, RequiresTaxNumber: true, CentrapayHeld: true}),
		// Not held by Centrapay: third-party and Uplink.
		{Name: "bitcoin", Description: "Bitcoin", Currencies: []string{"NZD", "AUD"}, Live: true},
		both(AssetTypeInfo{Name: "epay", Description: "EPay NZ giftcards", Currencies: nzd}),
		both(AssetTypeInfo{Name: "paypal", Description: "PayPal", Currencies: []string{"USD"}, QuickPay: true}),
		both(AssetTypeInfo{Name: "venmo", Description: "Venmo", Currencies: []string{"USD"}, QuickPay: true}),
		both(AssetTypeInfo{Name: "stadius", Description: "Stadius", Currencies: []string{"NZD", "AUD", "USD", "CAD", "EUR"}}),
		both(AssetTypeInfo{Name: "external", Description: "Payment recorded outside Centrapay (cash, EFTPOS)", Currencies: nzd}),
		{Name: "uplinkapi", Description: "Uplink API Test asset", Currencies: nzd, Test: true},
		// Open banking and Payap.
		both(AssetTypeInfo{Name: "quartz.nzd", Description: "Quartz NZD asset", Currencies: nzd}),
		both(AssetTypeInfo{Name: "quartz-one-off.nzd", Description: "BNZ one-off payment (BNZ app)", Currencies: nzd}),
		both(AssetTypeInfo{Name: "asb-payap.nzd", Description: "ASB via Payap", Currencies: nzd}),
		both(AssetTypeInfo{Name: "asb-payap-one-off.nzd", Description: "ASB one-off payment via Payap", Currencies: nzd}),
		both(AssetTypeInfo{Name: "westpac-payap.nzd", Description: "Westpac via Payap", Currencies: nzd}),
		both(AssetTypeInfo{Name: "westpac-payap-one-off.nzd", Description: "Westpac one-off payment via Payap", Currencies: nzd}),
		both(AssetTypeInfo{Name: "payap-debit", Description: "Payap Debit Passes", Currencies: nzd}),
	}
}

// assetCatalogue is the immutable set of asset types, by name.
type assetCatalogue struct {
	byName map[string]AssetTypeInfo
	names  []string // sorted
}

// newAssetCatalogue builds the catalogue from the documented types and the
// third-party names. A third-party name that is empty, ends in a liveness
// suffix (C24: ".main"/".test" would make its ids ambiguous) or clashes with
// a documented type is refused; repeats are ignored.
func newAssetCatalogue(thirdParty []string) (*assetCatalogue, error) {
	c := &assetCatalogue{byName: map[string]AssetTypeInfo{}}
	add := func(a AssetTypeInfo) {
		a.IDs = []string{a.Name}
		if a.Live {
			a.IDs = append(a.IDs, a.Name+".main")
		}
		if a.Test {
			a.IDs = append(a.IDs, a.Name+".test")
		}
		c.byName[a.Name] = a
		c.names = append(c.names, a.Name)
	}
	for _, a := range documentedAssetTypes() {
		add(a)
	}
	for _, name := range thirdParty {
		switch {
		case strings.TrimSpace(name) != name || name == "":
			return nil, fmt.Errorf("centrapay.third_party_asset_types: %q is not a valid asset type name", name)
		case strings.HasSuffix(name, ".main") || strings.HasSuffix(name, ".test"):
			return nil, fmt.Errorf("centrapay.third_party_asset_types: %q must not end in .main or .test (the liveness suffix is added by Centrapay)", name)
		}
		if existing, ok := c.byName[name]; ok {
			if existing.ThirdParty {
				continue
			}
			return nil, fmt.Errorf("centrapay.third_party_asset_types: %q is already a Centrapay asset type", name)
		}
		add(AssetTypeInfo{Name: name, Description: name + " (registered through Payap)", Currencies: []string{"NZD"}, Live: true, Test: true, ThirdParty: true})
	}
	slices.Sort(c.names)
	return c, nil
}

// lookup resolves a full id (centrapay.nzd.test) or a bare name
// (quartz.nzd). A suffix the type does not have (bitcoin.test,
// uplinkapi.main) is unknown.
func (c *assetCatalogue) lookup(id string) (AssetTypeInfo, bool) {
	if a, ok := c.byName[id]; ok {
		return cloneAssetType(a), true
	}
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return AssetTypeInfo{}, false
	}
	a, ok := c.byName[id[:i]]
	if !ok {
		return AssetTypeInfo{}, false
	}
	switch liveness := id[i+1:]; {
	case liveness == "main" && a.Live, liveness == "test" && a.Test:
		a = cloneAssetType(a)
		a.Liveness = liveness
		return a, true
	}
	return AssetTypeInfo{}, false
}

func cloneAssetType(a AssetTypeInfo) AssetTypeInfo {
	a.Currencies = slices.Clone(a.Currencies)
	a.IDs = slices.Clone(a.IDs)
	return a
}

// assetType resolves an asset type id for any area: a full id with its
// liveness suffix ("centrapay.nzd.test", Liveness "test") or a bare name
// ("quartz.nzd", Liveness ""). It does not take s.mu (the catalogue is
// immutable and swapped atomically by Seed), so it may be called while
// holding s.mu.
func (s *MemStore) assetType(id string) (AssetTypeInfo, bool) {
	return s.wallets.catalogue.Load().lookup(id)
}

// assetTypes lists the catalogue sorted by name. Like assetType it does not
// take s.mu.
func (s *MemStore) assetTypes() []AssetTypeInfo {
	c := s.wallets.catalogue.Load()
	out := make([]AssetTypeInfo, 0, len(c.names))
	for _, n := range c.names {
		out = append(out, cloneAssetType(c.byName[n]))
	}
	return out
}

// assetTypeName is the asset type without its liveness suffix. An id outside
// the catalogue has a trailing .main or .test removed.
func (s *MemStore) assetTypeName(id string) string {
	if a, ok := s.assetType(id); ok {
		return a.Name
	}
	for _, l := range assetTypeLivenesses {
		if n, ok := strings.CutSuffix(id, "."+l); ok {
			return n
		}
	}
	return id
}

// handleListAssetTypes is GET /api/asset-types (sandbox extension: the docs
// publish the catalogue as a page, not an endpoint). Any key may call it.
func (c *centrapay) handleListAssetTypes(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, Page[AssetTypeInfo]{Items: c.store.assetTypes()})
}
