package mockcentrapay

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Fixtures: exact merchants, wallets and API keys that scenario files add on
// top of the seeded data. Each Add checks everything before it changes
// anything: on an error the store is as it was, and no id was used up, so
// the same calls on the same seed always give the same ids.

// MerchantFixture is a merchant to add with AddMerchant.
type MerchantFixture struct {
	// Name is the merchant's name. Required.
	Name string
	// ExternalMerchantID is the merchant's id at the providers (the
	// merchantId of a Transaction Attempt), set on the payment options that
	// need one; empty: the new merchant's id.
	ExternalMerchantID string
	// AssetTypes are the asset types its config accepts, as names
	// (quartz.nzd) or test ids (quartz.nzd.test); empty: those of the
	// seeded merchant's config (centrapay.nzd.test and every third-party
	// asset type).
	AssetTypes []string
}

// WalletFixture is a wallet to add with AddWallet.
type WalletFixture struct {
	// ID is the wallet id: lower-case letters, digits, '-' and '_', as
	// POST /api/wallets takes it; it must be free. Empty: the name in lower
	// case with '-' for other characters (Acme Pay → acme-pay), with -2,
	// -3 … added when that is taken.
	ID string
	// Name is the wallet's name. Required.
	Name string
	// AssetTypes are the asset types the wallet supports, as names or ids;
	// empty: every third-party (Payap) asset type of the catalogue.
	AssetTypes []string
}

// fixtureCreator names the key that "made" fixture objects, in createdBy.
const fixtureCreator = "Fixture"

// AddMerchant adds a test merchant owned by the seeded Sandbox Merchant
// account (SandboxMerchantAccountID), so that its keys (MerchantOwnerKey,
// MerchantTerminalKey) can create payment requests for it, and one merchant
// config whose payment options accept f.AssetTypes. It returns the new ids.
//
// An asset type that is unknown, live only (bitcoin) or given as a .main id
// is an error (fixture merchants are test merchants); so are paypal, venmo
// and centrapay.ledger, whose options need ids a fixture cannot give (create
// such configs with POST /api/merchants/{merchantId}/configs).
func (s *MemStore) AddMerchant(f MerchantFixture, now time.Time) (merchantID, configID string, err error) {
	name := strings.TrimSpace(f.Name)
	if name == "" {
		return "", "", errors.New("mockcentrapay: merchant fixture: name is required")
	}
	options, err := s.fixtureOptions(f.AssetTypes)
	if err != nil {
		return "", "", fmt.Errorf("mockcentrapay: merchant fixture %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[SandboxMerchantAccountID]; !ok {
		return "", "", fmt.Errorf("mockcentrapay: merchant fixture %q: the Sandbox Merchant account %s does not exist; call Seed first", name, SandboxMerchantAccountID)
	}
	merchantID = s.ids.id("")
	configID = s.ids.id(merchantConfigPrefix)
	ext := f.ExternalMerchantID
	if ext == "" {
		ext = merchantID
	}
	for i := range options {
		if s.needsExternalMerchantID(options[i].Type) {
			options[i].ExternalMerchantID = ext
		}
	}
	by, at := CRN(SandboxMerchantAccountID, "api-key", fixtureCreator), ts(now)
	s.merchants.merchants[merchantID] = Merchant{
		ID: merchantID, AccountID: SandboxMerchantAccountID, Name: name, Country: sandboxAccountRegion, Test: true,
		Type: MerchantTypePhysical, OnboardingStatus: OnboardingActive,
		CreatedAt: at, CreatedBy: by, UpdatedAt: at, UpdatedBy: by,
	}
	s.putMerchantConfigLocked(MerchantConfig{
		ID: configID, MerchantID: merchantID, PaymentOptions: options,
		CreatedAt: at, CreatedBy: by, UpdatedAt: at, UpdatedBy: by,
	})
	return merchantID, configID, nil
}

// fixtureOptions turns a merchant fixture's asset types into payment
// options (test ids, no repeats, in the order given), without
// externalMerchantId.
func (s *MemStore) fixtureOptions(assetTypes []string) ([]PaymentOptionConfig, error) {
	var ids []string
	if len(assetTypes) == 0 {
		ids = append(ids, "centrapay.nzd.test")
		for _, info := range s.assetTypes() {
			if info.ThirdParty {
				ids = append(ids, info.Name+".test")
			}
		}
	}
	for i, t := range assetTypes {
		info, ok := s.assetType(t)
		if !ok {
			return nil, fmt.Errorf("assetTypes[%d]: %q is not an asset type (GET /api/asset-types lists them)", i, t)
		}
		switch {
		case info.Liveness == "main":
			return nil, fmt.Errorf("assetTypes[%d]: %q is a live asset type; fixture merchants are test merchants: use %s.test", i, t, info.Name)
		case !info.Test:
			return nil, fmt.Errorf("assetTypes[%d]: %q has no test form; fixture merchants are test merchants", i, t)
		case isPaypalLike(info.Name):
			return nil, fmt.Errorf("assetTypes[%d]: %q needs paypalMerchantAccountId and paypalStoreId, which a fixture cannot give; add the config with POST /api/merchants/{merchantId}/configs", i, t)
		case info.Name == "centrapay.ledger":
			return nil, fmt.Errorf("assetTypes[%d]: %q needs collectionIds, which a fixture cannot give; add the config with POST /api/merchants/{merchantId}/configs", i, t)
		}
		if id := info.Name + ".test"; !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	options := make([]PaymentOptionConfig, 0, len(ids))
	for _, id := range ids {
		options = append(options, PaymentOptionConfig{Type: id})
	}
	return options, nil
}

// AddWallet adds a wallet in a new organisation account of its own, like
// the seeded Payap wallet, and returns the wallet's and the account's ids.
// The account has no API key: add one with AddAPIKeyFor. An unknown asset
// type, an ID that is malformed or taken, and a missing name are errors.
func (s *MemStore) AddWallet(f WalletFixture, now time.Time) (walletID, accountID string, err error) {
	name := strings.TrimSpace(f.Name)
	if name == "" {
		return "", "", errors.New("mockcentrapay: wallet fixture: name is required")
	}
	fail := func(format string, a ...any) (string, string, error) {
		return "", "", fmt.Errorf("mockcentrapay: wallet fixture %q: "+format, append([]any{name}, a...)...)
	}
	if len([]rune(name)) > walletNameMaxLen {
		return fail("name must be at most %d characters", walletNameMaxLen)
	}
	if f.ID != "" && (len(f.ID) > walletIDMaxLen || !walletIDPattern.MatchString(f.ID)) {
		return fail("id %q must be lower-case letters, digits, '-' and '_' (at most %d characters), e.g. payap", f.ID, walletIDMaxLen)
	}
	var types []WalletAssetType
	for i, t := range f.AssetTypes {
		if _, ok := s.assetType(t); !ok {
			return fail("assetTypes[%d]: %q is not an asset type (GET /api/asset-types lists them)", i, t)
		}
		if at := (WalletAssetType{ID: t}); !slices.Contains(types, at) {
			types = append(types, at)
		}
	}
	if len(f.AssetTypes) == 0 {
		for _, info := range s.assetTypes() {
			if info.ThirdParty {
				types = append(types, WalletAssetType{ID: info.Name})
			}
		}
		if len(types) == 0 {
			return fail("no assetTypes given and the store knows no third-party asset type; list the wallet's assetTypes")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	walletID = f.ID
	if walletID == "" {
		walletID = s.freeWalletIDLocked(name)
	} else if _, taken := s.wallets.wallets[walletID]; taken {
		return fail("a wallet with id %s already exists; wallet ids are unique", walletID)
	}
	accountID = s.ids.id("")
	s.accounts[accountID] = Account{ID: accountID, Name: name, Type: "org"}
	s.wallets.wallets[walletID] = Wallet{
		ID: walletID, Name: name, AccountID: accountID, AssetTypes: types,
		CreatedAt: ts(now), CreatedBy: CRN(accountID, "api-key", fixtureCreator), CreatedByAccountName: name,
		Status: walletStatusActive,
	}
	s.wallets.order = append(s.wallets.order, walletID)
	return walletID, accountID, nil
}

// freeWalletIDLocked derives a wallet id from a name: lower case, '-' for
// runs of other characters, -2, -3 … when taken.
func (s *MemStore) freeWalletIDLocked(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.TrimRight(b.String(), "-")
	base = strings.TrimRight(base[:min(len(base), walletIDMaxLen-4)], "-")
	if base == "" {
		base = "wallet"
	}
	id := base
	for n := 2; ; n++ {
		if _, taken := s.wallets.wallets[id]; !taken {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

// apiKeyMaxLen bounds a fixture key's secret.
const apiKeyMaxLen = 256

// AddAPIKeyFor adds an API key with secret (sent as X-Api-Key) and role
// (RoleAccountOwner or RoleMerchantTerminal) to an existing account. A
// merchant-terminal key acts for every merchant of its account (keys
// carry no merchant id). The key is named FixtureOwnerN or
// FixtureTerminalN, the first N free, for createdBy CRNs and the rate
// limit. A secret that is empty, has spaces or control characters, or is
// already used, an unknown role and an unknown account are errors. now is
// accepted for symmetry with the other fixtures; keys carry no time.
func (s *MemStore) AddAPIKeyFor(secret, role, accountID string, now time.Time) error {
	switch {
	case secret == "":
		return errors.New("mockcentrapay: API key fixture: the secret is required")
	case len(secret) > apiKeyMaxLen:
		return fmt.Errorf("mockcentrapay: API key fixture: the secret must be at most %d characters", apiKeyMaxLen)
	case strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r >= unicode.MaxASCII }):
		return errors.New("mockcentrapay: API key fixture: the secret must be printable ASCII without spaces (it is sent in the X-Api-Key header)")
	}
	prefix := "FixtureOwner"
	switch role {
	case RoleAccountOwner:
	case RoleMerchantTerminal:
		prefix = "FixtureTerminal"
	default:
		return fmt.Errorf("mockcentrapay: API key fixture: role %q is not %s or %s", role, RoleAccountOwner, RoleMerchantTerminal)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountID]; !ok {
		return fmt.Errorf("mockcentrapay: API key fixture: account %q does not exist", accountID)
	}
	if _, dup := s.keys[secret]; dup {
		return errors.New("mockcentrapay: API key fixture: the secret is already the secret of another key; choose another")
	}
	names := map[string]bool{}
	for _, k := range s.keys {
		names[k.Name] = true
	}
	name := ""
	for n := 1; name == "" || names[name]; n++ {
		name = fmt.Sprintf("%s%d", prefix, n)
	}
	s.keys[secret] = APIKey{Name: name, AccountID: accountID, Role: role, Secret: secret}
	return nil
}

// ---------------------------------------------------------------------------
// Read accessors, for a UI. Each returns deep copies.

// PaymentRequests lists every payment request, newest first, as GET
// /api/payment-requests/{id} would answer each at now (lazy expiry
// applied).
func (s *MemStore) PaymentRequests(now time.Time) []PaymentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := requestsInOrder(s.payments.requests)
	out := make([]PaymentRequest, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		pr, _ := s.paymentRequestLocked(list[i].ID, now)
		out = append(out, clonePaymentRequest(*pr))
	}
	return out
}

// PaymentRequest returns one payment request as GET
// /api/payment-requests/{id} would answer it at now, and false when there
// is none.
func (s *MemStore) PaymentRequest(id string, now time.Time) (PaymentRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.paymentRequestLocked(id, now)
	if !ok {
		return PaymentRequest{}, false
	}
	return clonePaymentRequest(*pr), true
}

// PaymentActivities lists a payment request's activities newest first, as
// GET /api/payment-requests/{id}/activities would at now, and false when
// there is no such request.
func (s *MemStore) PaymentActivities(id string, now time.Time) ([]PaymentActivity, bool) {
	list, ok := s.paymentActivities(id, now)
	if !ok {
		return nil, false
	}
	for i := range list {
		list[i] = cloneActivity(list[i])
	}
	return list, true
}

// Merchants lists every merchant, oldest first (by createdAt, then id).
func (s *MemStore) Merchants() []Merchant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Merchant, 0, len(s.merchants.merchants))
	for _, m := range s.merchants.merchants {
		out = append(out, cloneMerchant(m))
	}
	slices.SortFunc(out, func(a, b Merchant) int {
		if c := a.CreatedAt.Time().Compare(b.CreatedAt.Time()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Wallets lists every wallet in creation order.
func (s *MemStore) Wallets() []Wallet {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Wallet, 0, len(s.wallets.order))
	for _, id := range s.wallets.order {
		out = append(out, cloneWallet(s.wallets.wallets[id]))
	}
	return out
}
