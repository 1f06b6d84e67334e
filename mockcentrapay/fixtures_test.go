package mockcentrapay

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// h3OptionTypes lists a config's payment option types.
func h3OptionTypes(mc MerchantConfig) []string {
	out := make([]string, 0, len(mc.PaymentOptions))
	for _, o := range mc.PaymentOptions {
		out = append(out, o.Type)
	}
	return out
}

// h3Config reads a config from the store.
func h3Config(t *testing.T, st *MemStore, id string) MerchantConfig {
	t.Helper()
	mc, ok := st.merchantConfig(id)
	if !ok {
		t.Fatalf("no merchant config %s", id)
	}
	return mc
}

func TestH3AddMerchant(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fixture   MerchantFixture
		wantTypes []string
		wantExt   string // externalMerchantId of the sbx-points option; "=id" for the merchant id
	}{
		{"empty asset types: the seeded merchant's", MerchantFixture{Name: "Cafe", ExternalMerchantID: "cafe"},
			[]string{prNZDTest, prThirdPartyTest}, "cafe"},
		{"names and test ids, repeats merged", MerchantFixture{Name: " Cafe ", AssetTypes: []string{prThirdParty, "quartz.nzd.test", prThirdPartyTest}},
			[]string{prThirdPartyTest, "quartz.nzd.test"}, "=id"},
		{"a Centrapay-held type only", MerchantFixture{Name: "Cafe", AssetTypes: []string{prNZDTest}},
			[]string{prNZDTest}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := prNew(t)
			merchantID, configID, err := e.st.AddMerchant(tc.fixture, prStart)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(configID, merchantConfigPrefix) {
				t.Errorf("config id %s", configID)
			}
			mc := h3Config(t, e.st, configID)
			if got := h3OptionTypes(mc); !slices.Equal(got, tc.wantTypes) || mc.MerchantID != merchantID {
				t.Fatalf("config %+v, want types %v", mc, tc.wantTypes)
			}
			want := tc.wantExt
			if want == "=id" {
				want = merchantID
			}
			for _, o := range mc.PaymentOptions {
				if o.Type == prThirdPartyTest && o.ExternalMerchantID != want {
					t.Errorf("externalMerchantId %q, want %q", o.ExternalMerchantID, want)
				}
				if o.Type == prNZDTest && o.ExternalMerchantID != "" {
					t.Errorf("centrapay.nzd.test has externalMerchantId %q", o.ExternalMerchantID)
				}
			}
			m := prDecode[Merchant](t, e.do(http.MethodGet, "/api/merchants/"+merchantID, MerchantOwnerKey, nil))
			if m.Name != "Cafe" || m.AccountID != SandboxMerchantAccountID || !m.Test || m.OnboardingStatus != OnboardingActive {
				t.Errorf("merchant %+v", m)
			}
			// The seeded merchant keys take payments for it.
			pr := e.create(prCreateBody().with("configId", configID))
			if pr.MerchantID != merchantID || pr.MerchantName != "Cafe" {
				t.Errorf("payment request %+v", pr)
			}
			if slices.Contains(tc.wantTypes, prThirdPartyTest) {
				prDecode[PaymentActivity](t, e.pay(pr.ID, prThirdPartyPay("k", "ok")))
				if got := e.get(pr.ID).Status; got != PRStatusPaid {
					t.Errorf("status %s after paying", got)
				}
			}
		})
	}
}

func TestH3AddMerchantErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture MerchantFixture
		want    string
	}{
		{"no name", MerchantFixture{Name: "  "}, "name is required"},
		{"an unknown asset type", MerchantFixture{Name: "Cafe", AssetTypes: []string{prNZDTest, "nope.test"}}, `assetTypes[1]: "nope.test" is not an asset type`},
		{"a live id", MerchantFixture{Name: "Cafe", AssetTypes: []string{"centrapay.nzd.main"}}, "use centrapay.nzd.test"},
		{"a type without a test form", MerchantFixture{Name: "Cafe", AssetTypes: []string{"bitcoin"}}, `"bitcoin" has no test form`},
		{"paypal", MerchantFixture{Name: "Cafe", AssetTypes: []string{"paypal.test"}}, "paypalMerchantAccountId"},
		{"centrapay.ledger", MerchantFixture{Name: "Cafe", AssetTypes: []string{"centrapay.ledger"}}, "collectionIds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := prNew(t)
			before := h3Bytes(t, e.st)
			_, _, err := e.st.AddMerchant(tc.fixture, prStart)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AddMerchant: %v, want an error containing %q", err, tc.want)
			}
			if !bytes.Equal(before, h3Bytes(t, e.st)) {
				t.Fatal("a failed AddMerchant changed the store (or used up an id)")
			}
		})
	}
	t.Run("an unseeded store", func(t *testing.T) {
		st := NewMemStore(1)
		if _, _, err := st.AddMerchant(MerchantFixture{Name: "Cafe", AssetTypes: []string{prNZDTest}}, prStart); err == nil || !strings.Contains(err.Error(), "call Seed first") {
			t.Fatalf("AddMerchant: %v", err)
		}
	})
}

func TestH3FixtureIDsAreDeterministic(t *testing.T) {
	run := func(withFailures bool) []string {
		e := prNew(t)
		var ids []string
		for _, name := range []string{"One", "Two"} {
			if withFailures {
				_, _, _ = e.st.AddMerchant(MerchantFixture{Name: name, AssetTypes: []string{"nope"}}, prStart)
				_, _, _ = e.st.AddWallet(WalletFixture{Name: name, AssetTypes: []string{"nope"}}, prStart)
			}
			m, c, err := e.st.AddMerchant(MerchantFixture{Name: name}, prStart)
			if err != nil {
				t.Fatal(err)
			}
			w, a, err := e.st.AddWallet(WalletFixture{Name: name}, prStart)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m, c, w, a)
		}
		return ids
	}
	a, b := run(false), run(true)
	if !slices.Equal(a, b) {
		t.Fatalf("ids %v, then %v", a, b)
	}
}

func TestH3AddWallet(t *testing.T) {
	e := prNew(t)
	id, acct, err := e.st.AddWallet(WalletFixture{Name: "Acme Pay!"}, prStart)
	if err != nil {
		t.Fatal(err)
	}
	if id != "acme-pay" {
		t.Errorf("wallet id %q, want acme-pay", id)
	}
	if acct == PayapAccountID || acct == "" {
		t.Errorf("account %q: a wallet fixture gets an account of its own", acct)
	}
	w := prDecode[Wallet](t, e.do(http.MethodGet, "/api/wallets/"+id, PatronOwnerKey, nil))
	if w.Name != "Acme Pay!" || w.AccountID != acct || w.Status != walletStatusActive ||
		!slices.Equal(w.AssetTypes, []WalletAssetType{{ID: prThirdParty}}) {
		t.Errorf("wallet %+v", w)
	}
	// It holds the seeded merchant's Payap type, so the merchant supports it.
	supported := prDecode[[]Wallet](t, e.do(http.MethodGet, "/api/merchants/"+SandboxMerchantID+"/supported-wallets", MerchantOwnerKey, nil))
	if !slices.ContainsFunc(supported, func(w Wallet) bool { return w.ID == id }) {
		t.Errorf("supported wallets %+v lack %s", supported, id)
	}

	for _, tc := range []struct {
		name    string
		fixture WalletFixture
		wantID  string
		wantErr string
	}{
		{"the same name again", WalletFixture{Name: "Acme Pay"}, "acme-pay-2", ""},
		{"an explicit id and asset types", WalletFixture{ID: "acme_2", Name: "Acme", AssetTypes: []string{"quartz.nzd", prNZDTest, "quartz.nzd"}}, "acme_2", ""},
		{"a name without letters", WalletFixture{Name: "!!!"}, "wallet", ""},
		{"a taken id", WalletFixture{ID: PayapWalletID, Name: "Copy"}, "", "a wallet with id payap already exists"},
		{"a malformed id", WalletFixture{ID: "Acme Pay", Name: "Acme"}, "", `id "Acme Pay" must be lower-case`},
		{"no name", WalletFixture{}, "", "name is required"},
		{"an unknown asset type", WalletFixture{Name: "Acme", AssetTypes: []string{"nope"}}, "", `assetTypes[0]: "nope" is not an asset type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h3Bytes(t, e.st)
			id, _, err := e.st.AddWallet(tc.fixture, prStart)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("AddWallet: %v, want an error containing %q", err, tc.wantErr)
				}
				if !bytes.Equal(before, h3Bytes(t, e.st)) {
					t.Fatal("a failed AddWallet changed the store")
				}
				return
			}
			if err != nil || id != tc.wantID {
				t.Fatalf("AddWallet: %q, %v; want %q", id, err, tc.wantID)
			}
		})
	}
	t.Run("no third-party type to default to", func(t *testing.T) {
		st := NewMemStore(1)
		if err := Seed(st, DefaultConfig()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AddWallet(WalletFixture{Name: "Acme"}, prStart); err == nil || !strings.Contains(err.Error(), "list the wallet's assetTypes") {
			t.Fatalf("AddWallet: %v", err)
		}
	})
}

func TestH3AddAPIKeyFor(t *testing.T) {
	e := prNew(t)
	_, walletAccount, err := e.st.AddWallet(WalletFixture{Name: "Acme"}, prStart)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                  string
		secret, role, account string
		wantErr               string
		check                 func(t *testing.T, secret string)
	}{
		{"an owner key of a wallet's account", "acme-owner", RoleAccountOwner, walletAccount, "", func(t *testing.T, secret string) {
			ws := prDecode[Page[Wallet]](t, e.do(http.MethodGet, "/api/wallets", secret, nil))
			if len(ws.Items) != 1 || ws.Items[0].AccountID != walletAccount {
				t.Errorf("wallets %+v", ws.Items)
			}
		}},
		{"a terminal key of the merchant account", "till-2", RoleMerchantTerminal, SandboxMerchantAccountID, "", func(t *testing.T, secret string) {
			prDecode[PaymentRequest](t, e.do(http.MethodPost, "/api/payment-requests", secret, prCreateBody()))
			// A terminal key cannot do what needs an owner.
			prWantError(t, e.do(http.MethodPost, "/api/merchants", secret, map[string]any{}), 403, "Forbidden", false)
		}},
		{"a second owner key gets its own name", "acme-owner-2", RoleAccountOwner, walletAccount, "", func(t *testing.T, secret string) {
			names := map[string]bool{}
			for _, k := range e.st.APIKeys() {
				if names[k.Name] {
					t.Errorf("key name %s used twice", k.Name)
				}
				names[k.Name] = true
			}
		}},
		{"a seeded secret", MerchantOwnerKey, RoleAccountOwner, walletAccount, "already the secret of another key", nil},
		{"an unknown account", "k", RoleAccountOwner, "nobody", `account "nobody" does not exist`, nil},
		{"an unknown role", "k", "admin", walletAccount, `role "admin" is not`, nil},
		{"an empty secret", "", RoleAccountOwner, walletAccount, "the secret is required", nil},
		{"a secret with a space", "a b", RoleAccountOwner, walletAccount, "without spaces", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h3Bytes(t, e.st)
			err := e.st.AddAPIKeyFor(tc.secret, tc.role, tc.account, prStart)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("AddAPIKeyFor: %v, want an error containing %q", err, tc.wantErr)
				}
				if !bytes.Equal(before, h3Bytes(t, e.st)) {
					t.Fatal("a failed AddAPIKeyFor changed the store")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, tc.secret)
		})
	}
}

func TestH3ReadAccessors(t *testing.T) {
	e := prNew(t)
	first := e.create(prCreateBody().with("expirySeconds", 60, "lineItems", []map[string]any{{"name": "Tea", "qty": "1", "price": "1000"}}))
	second := e.paid("500")
	e.advance(2 * time.Minute)
	now := e.clock.Now()

	t.Run("PaymentRequests: newest first, as GET shows them", func(t *testing.T) {
		list := e.st.PaymentRequests(now)
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
			t.Fatalf("order %v", []string{list[0].ID, list[1].ID})
		}
		if list[1].Status != PRStatusExpired || list[0].Status != PRStatusPaid {
			t.Errorf("statuses %s, %s", list[0].Status, list[1].Status)
		}
		list[1].LineItems[0].Name = "changed"
		if got := e.get(first.ID); got.LineItems[0].Name != "Tea" || got.Status != PRStatusExpired {
			t.Errorf("store changed through a copy, or GET disagrees: %+v", got)
		}
	})
	t.Run("PaymentRequest and PaymentActivities", func(t *testing.T) {
		pr, ok := e.st.PaymentRequest(first.ID, now)
		if !ok || pr.Status != PRStatusExpired {
			t.Errorf("PaymentRequest: %v %+v", ok, pr)
		}
		if _, ok := e.st.PaymentRequest("nope", now); ok {
			t.Error("PaymentRequest found an unknown id")
		}
		acts, ok := e.st.PaymentActivities(first.ID, now)
		if got := prActivityTypes(acts); !ok || !slices.Equal(got, []string{ActivityExpiry, ActivityRequest}) {
			t.Errorf("activities %v", got)
		}
		if _, ok := e.st.PaymentActivities("nope", now); ok {
			t.Error("PaymentActivities found an unknown id")
		}
	})
	t.Run("Merchants and Wallets", func(t *testing.T) {
		later := prStart.Add(time.Hour)
		mid, _, err := e.st.AddMerchant(MerchantFixture{Name: "Later"}, later)
		if err != nil {
			t.Fatal(err)
		}
		wid, _, err := e.st.AddWallet(WalletFixture{Name: "Zed"}, later)
		if err != nil {
			t.Fatal(err)
		}
		ms := e.st.Merchants()
		if len(ms) != 2 || ms[0].ID != SandboxMerchantID || ms[1].ID != mid {
			t.Errorf("merchants %+v", ms)
		}
		ms[0].Location.City = "changed"
		if m, _ := e.st.merchant(SandboxMerchantID); m.Location.City != "Auckland" {
			t.Error("store changed through a copy")
		}
		ws := e.st.Wallets()
		if len(ws) != 2 || ws[0].ID != PayapWalletID || ws[1].ID != wid {
			t.Errorf("wallets %+v", ws)
		}
		ws[0].AssetTypes[0].ID = "changed"
		if w, _ := e.st.wallet(PayapWalletID); w.AssetTypes[0].ID == "changed" {
			t.Error("store changed through a copy")
		}
	})
}
