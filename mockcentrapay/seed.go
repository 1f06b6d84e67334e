package mockcentrapay

import (
	"cmp"
	"slices"
)

// The seeded accounts, keys and objects: fixed, documented and the same on
// every run, so scripts and front ends can hard-code them.
const (
	SandboxMerchantAccountID = "SbxMerchantAccount1111"
	PayapAccountID           = "SbxPayapAccount1111111"
	PatronAccountID          = "SbxPatronAccount111111"
	SandboxMerchantID        = "SbxMerchant11111111111"
	SandboxMerchantConfigID  = "mc_SbxMerchantConfig11111"
	PayapWalletID            = "payap"
	PatronAssetID            = "SbxPatronAsset11111111"

	// API keys: merchant owner and POS terminal, the Payap wallet operator,
	// and a patron holding Centrapay money to pay with.
	MerchantOwnerKey    = "cp-sandbox-merchant-owner"
	MerchantTerminalKey = "cp-sandbox-merchant-terminal"
	PayapOwnerKey       = "cp-sandbox-payap-owner"
	PatronOwnerKey      = "cp-sandbox-patron-owner"
)

// Seed fills an empty store: the accounts and keys above, the test merchant
// with a config accepting centrapay.nzd.test and the Payap asset types, the
// Payap wallet, and the patron's centrapay.nzd.test asset. payapAssetTypes
// are the third-party types registered through the mock Payap.
func Seed(s *MemStore, cfg Config) error {
	for _, a := range []Account{
		{ID: SandboxMerchantAccountID, Name: "Sandbox Merchant", Type: "org"},
		{ID: PayapAccountID, Name: "Payap", Type: "org"},
		{ID: PatronAccountID, Name: "Sandbox Patron", Type: "individual"},
	} {
		s.AddAccount(a)
	}
	for _, k := range []APIKey{
		{Name: "MerchantOwner", AccountID: SandboxMerchantAccountID, Role: RoleAccountOwner, Secret: MerchantOwnerKey},
		{Name: "MerchantTerminal", AccountID: SandboxMerchantAccountID, Role: RoleMerchantTerminal, Secret: MerchantTerminalKey},
		{Name: "PayapOwner", AccountID: PayapAccountID, Role: RoleAccountOwner, Secret: PayapOwnerKey},
		{Name: "PatronOwner", AccountID: PatronAccountID, Role: RoleAccountOwner, Secret: PatronOwnerKey},
	} {
		s.AddAPIKey(k)
	}
	if err := s.seedMerchants(cfg); err != nil {
		return err
	}
	if err := s.seedWallets(cfg); err != nil {
		return err
	}
	return s.seedPayments(cfg)
}

func sortBy[T any, K cmp.Ordered](xs []T, key func(T) K) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
}
