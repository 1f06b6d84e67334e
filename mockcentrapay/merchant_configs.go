package mockcentrapay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MerchantConfig is a merchant config (§4.5): the payment options a payment
// request created with it offers.
//
// Documented choices:
//   - Ids carry the documented mc_ prefix. A configId without it is a 400
//     ("configId must start with mc_"), as the object-ids page says of a
//     wrong prefix (C28: several examples use unprefixed 24-hex ids such as
//     5ee168e8597be5002af7b454; the mock never issues or accepts them).
//   - GET /api/merchants/{merchantId}/configs answers a bare array, as the
//     documented example does (C23), not a {items, nextPageKey} page.
//   - PUT replaces the whole config: paymentOptions (required) and
//     allowedRedirectUrls (left out = removed).
//   - An unknown asset type, a bare type name without its .main or .test
//     suffix (§4.4: payment options use the suffixed id), a walletId that
//     does not exist and a walletId that does not hold the option's type are
//     all 403 INVALID_WALLET_TYPE. The docs call walletId the merchant's
//     settlement wallet; the sandbox checks it against its Wallets
//     (MemStore.walletHolds, by asset type name ignoring liveness), which is
//     also what supported-wallets matches. The walletId's account is not
//     compared with the merchant's [GAP].
//   - The sandbox holds no token collections: a collectionId is accepted
//     when it has the documented c_ prefix and sits on a centrapay.token or
//     centrapay.ledger option; anything else is 403 COLLECTIONS_INVALID.
//     collectionIds is read from an array or, as the model's "string" type
//     suggests, a single string, and is written as an array. It is required
//     (400) on centrapay.ledger options, as documented.
//   - allowedRedirectUrls items must be absolute http or https URLs (400);
//     they are prefixes that payment request redirects are matched against.
//   - externalMerchantId is required (400) for epay, stadius, quartz*,
//     payap-debit, uplinkapi (documented), the Payap open-banking types
//     (*-payap*, inferred: Payap sends it as merchantId in the Transaction
//     Attempt) and every third-party type registered through Payap
//     (Config.ThirdPartyAssetTypes). paypalMerchantAccountId and
//     paypalStoreId are required for paypal and venmo (documented). The
//     docs' create example sends an epay option with terminalId and no
//     externalMerchantId; the property table wins.
//   - Checks run in this order: configId's prefix (400), the body (400),
//     the merchant is the caller's (403 Forbidden), the config is that
//     merchant's (update: 403 Forbidden), then for each option in turn its
//     type (INVALID_WALLET_TYPE), LIVENESS_MISMATCH, COLLECTIONS_INVALID and
//     its walletId (INVALID_WALLET_TYPE). GET answers any key of the
//     merchant's account (merchant-terminal too) [GAP].
//   - The docs' update example mixes bitcoin.main with centrapay.nzd.test in
//     one config; the mock applies LIVENESS_MISMATCH to every option.
type MerchantConfig struct {
	ID                  string                `json:"id"`
	MerchantID          string                `json:"merchantId"`
	PaymentOptions      []PaymentOptionConfig `json:"paymentOptions"`
	AllowedRedirectURLs []string              `json:"allowedRedirectUrls,omitempty"`
	CreatedAt           Timestamp             `json:"createdAt"`
	CreatedBy           string                `json:"createdBy"`
	UpdatedAt           Timestamp             `json:"updatedAt"`
	UpdatedBy           string                `json:"updatedBy"`
}

// PaymentOptionConfig is one payment option of a merchant config.
type PaymentOptionConfig struct {
	Type                    string   `json:"type"`
	WalletID                string   `json:"walletId,omitempty"`
	ExternalMerchantID      string   `json:"externalMerchantId,omitempty"`
	CollectionIDs           []string `json:"collectionIds,omitempty"`
	PaypalMerchantAccountID string   `json:"paypalMerchantAccountId,omitempty"`
	PaypalStoreID           string   `json:"paypalStoreId,omitempty"`
	FarmlandsMerchantNumber string   `json:"farmlandsMerchantNumber,omitempty"`
}

// PaymentOptionRef is a payment option as other areas need it: its asset
// type id and settlement wallet.
type PaymentOptionRef struct{ Type, WalletID string }

// merchantConfigPrefix is the documented prefix of merchant config ids.
const merchantConfigPrefix = "mc_"

// collectionPrefix is the documented prefix of collection ids.
const collectionPrefix = "c_"

func cloneMerchantConfig(mc MerchantConfig) MerchantConfig {
	mc.PaymentOptions = slices.Clone(mc.PaymentOptions)
	for i := range mc.PaymentOptions {
		mc.PaymentOptions[i].CollectionIDs = slices.Clone(mc.PaymentOptions[i].CollectionIDs)
	}
	mc.AllowedRedirectURLs = slices.Clone(mc.AllowedRedirectURLs)
	return mc
}

// merchantConfig returns a merchant config by id.
func (s *MemStore) merchantConfig(id string) (MerchantConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.merchantConfigLocked(id)
}

// merchantConfigLocked is merchantConfig for callers that hold s.mu.
func (s *MemStore) merchantConfigLocked(id string) (MerchantConfig, bool) {
	mc, ok := s.merchants.configs[id]
	if !ok {
		return MerchantConfig{}, false
	}
	return cloneMerchantConfig(mc), true
}

// merchantConfigs lists a merchant's configs, oldest first.
func (s *MemStore) merchantConfigs(merchantID string) []MerchantConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []MerchantConfig{}
	for _, id := range s.merchants.configOrder[merchantID] {
		out = append(out, cloneMerchantConfig(s.merchants.configs[id]))
	}
	return out
}

// merchantPaymentOptionTypes lists the payment options of all the
// merchant's configs, oldest config first, without repeats.
func (s *MemStore) merchantPaymentOptionTypes(merchantID string) []PaymentOptionRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PaymentOptionRef
	for _, id := range s.merchants.configOrder[merchantID] {
		for _, o := range s.merchants.configs[id].PaymentOptions {
			ref := PaymentOptionRef{Type: o.Type, WalletID: o.WalletID}
			if !slices.Contains(out, ref) {
				out = append(out, ref)
			}
		}
	}
	return out
}

// putMerchantConfigLocked adds or replaces a config.
func (s *MemStore) putMerchantConfigLocked(mc MerchantConfig) {
	if _, ok := s.merchants.configs[mc.ID]; !ok {
		s.merchants.configOrder[mc.MerchantID] = append(s.merchants.configOrder[mc.MerchantID], mc.ID)
	}
	s.merchants.configs[mc.ID] = cloneMerchantConfig(mc)
}

func (s *MemStore) addMerchantConfig(mc MerchantConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putMerchantConfigLocked(mc)
}

// replaceMerchantConfig overwrites the options and redirect URLs of config
// id of merchantID and returns the result.
func (s *MemStore) replaceMerchantConfig(id, merchantID string, body merchantConfigBody, at Timestamp, by string) (MerchantConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.merchants.configs[id]
	if !ok || mc.MerchantID != merchantID {
		return MerchantConfig{}, false
	}
	mc.PaymentOptions, mc.AllowedRedirectURLs = body.PaymentOptions, body.AllowedRedirectURLs
	mc.UpdatedAt, mc.UpdatedBy = at, by
	s.putMerchantConfigLocked(mc)
	return cloneMerchantConfig(mc), true
}

// ---------------------------------------------------------------------------
// Handlers.

// handleCreateMerchantConfig is POST /api/merchants/{merchantId}/configs
// (account-owner keys).
func (c *centrapay) handleCreateMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	body, e := c.readMerchantConfigBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	m, ok := c.store.merchant(pathVar(r, "merchantId"))
	if !ok || m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	if e := c.checkPaymentOptions(m, body.PaymentOptions); e != nil {
		writeError(w, e)
		return
	}
	now := ts(c.clock.Now())
	mc := MerchantConfig{
		ID:                  c.store.ids.id(merchantConfigPrefix),
		MerchantID:          m.ID,
		PaymentOptions:      body.PaymentOptions,
		AllowedRedirectURLs: body.AllowedRedirectURLs,
		CreatedAt:           now, CreatedBy: p.crn(), UpdatedAt: now, UpdatedBy: p.crn(),
	}
	c.store.addMerchantConfig(mc)
	writeJSON(w, mc)
}

// handleListMerchantConfigs is GET /api/merchants/{merchantId}/configs: a
// bare array, oldest first.
func (c *centrapay) handleListMerchantConfigs(w http.ResponseWriter, r *http.Request, p principal) {
	m, ok := c.store.merchant(pathVar(r, "merchantId"))
	if !ok || m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, c.store.merchantConfigs(m.ID))
}

// handleGetMerchantConfig is GET /api/merchant-configs/{configId}.
func (c *centrapay) handleGetMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	id := pathVar(r, "configId")
	if e := checkConfigID(id); e != nil {
		writeError(w, e)
		return
	}
	mc, ok := c.store.merchantConfig(id)
	if !ok || !c.ownsMerchant(p, mc.MerchantID) {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, mc)
}

// handleUpdateMerchantConfig is PUT
// /api/merchants/{merchantId}/configs/{configId} (account-owner keys).
func (c *centrapay) handleUpdateMerchantConfig(w http.ResponseWriter, r *http.Request, p principal) {
	id := pathVar(r, "configId")
	if e := checkConfigID(id); e != nil {
		writeError(w, e)
		return
	}
	body, e := c.readMerchantConfigBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	m, ok := c.store.merchant(pathVar(r, "merchantId"))
	if !ok || m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	if old, ok := c.store.merchantConfig(id); !ok || old.MerchantID != m.ID {
		writeError(w, errForbidden())
		return
	}
	if e := c.checkPaymentOptions(m, body.PaymentOptions); e != nil {
		writeError(w, e)
		return
	}
	mc, ok := c.store.replaceMerchantConfig(id, m.ID, body, ts(c.clock.Now()), p.crn())
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, mc)
}

func (c *centrapay) ownsMerchant(p principal, merchantID string) bool {
	m, ok := c.store.merchant(merchantID)
	return ok && m.AccountID == p.Account.ID
}

// checkConfigID applies the documented prefix rule: a wrong prefix is a
// 400 before any lookup.
func checkConfigID(id string) *apiError {
	if !strings.HasPrefix(id, merchantConfigPrefix) || len(id) == len(merchantConfigPrefix) {
		return errBadRequest("configId must start with " + merchantConfigPrefix)
	}
	return nil
}

// ---------------------------------------------------------------------------
// The body of create and update.

// merchantConfigBody is a validated create or update body.
type merchantConfigBody struct {
	PaymentOptions      []PaymentOptionConfig
	AllowedRedirectURLs []string
}

type merchantConfigRequest struct {
	PaymentOptions      json.RawMessage `json:"paymentOptions"`
	AllowedRedirectURLs json.RawMessage `json:"allowedRedirectUrls"`
}

type paymentOptionRequest struct {
	Type                    string          `json:"type"`
	WalletID                string          `json:"walletId"`
	ExternalMerchantID      string          `json:"externalMerchantId"`
	CollectionIDs           json.RawMessage `json:"collectionIds"`
	PaypalMerchantAccountID string          `json:"paypalMerchantAccountId"`
	PaypalStoreID           string          `json:"paypalStoreId"`
	FarmlandsMerchantNumber string          `json:"farmlandsMerchantNumber"`
}

func isJSONNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// readMerchantConfigBody reads and validates a create or update body: every
// 400 of these endpoints.
func (c *centrapay) readMerchantConfigBody(w http.ResponseWriter, r *http.Request) (merchantConfigBody, *apiError) {
	var req merchantConfigRequest
	var body merchantConfigBody
	if e := mcReadJSON(w, r, &req); e != nil {
		return body, e
	}
	if isJSONNull(req.PaymentOptions) {
		return body, errBadRequest("paymentOptions is required")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(req.PaymentOptions, &raws); err != nil {
		return body, errBadRequest("paymentOptions must be an array of payment options")
	}
	if len(raws) == 0 {
		return body, errBadRequest("paymentOptions must hold at least one payment option")
	}
	for i, raw := range raws {
		field := fmt.Sprintf("paymentOptions[%d]", i)
		o, e := c.paymentOption(raw, field)
		if e != nil {
			return body, e
		}
		body.PaymentOptions = append(body.PaymentOptions, o)
	}
	if !isJSONNull(req.AllowedRedirectURLs) {
		var urls []string
		if err := json.Unmarshal(req.AllowedRedirectURLs, &urls); err != nil {
			return body, errBadRequest("allowedRedirectUrls must be an array of URL strings")
		}
		for i, s := range urls {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return body, errBadRequest(fmt.Sprintf("allowedRedirectUrls[%d] must be an absolute http or https URL such as https://shop.example.com/", i))
			}
		}
		if len(urls) > 0 {
			body.AllowedRedirectURLs = urls
		}
	}
	return body, nil
}

// paymentOption decodes and validates one payment option (400s only).
func (c *centrapay) paymentOption(raw json.RawMessage, field string) (PaymentOptionConfig, *apiError) {
	var req paymentOptionRequest
	if isJSONNull(raw) {
		return PaymentOptionConfig{}, errBadRequest(field + " must be an object")
	}
	if e := mcDecodeField(raw, field, &req); e != nil {
		return PaymentOptionConfig{}, e
	}
	o := PaymentOptionConfig{
		Type:                    strings.TrimSpace(req.Type),
		WalletID:                req.WalletID,
		ExternalMerchantID:      req.ExternalMerchantID,
		PaypalMerchantAccountID: req.PaypalMerchantAccountID,
		PaypalStoreID:           req.PaypalStoreID,
		FarmlandsMerchantNumber: req.FarmlandsMerchantNumber,
	}
	if o.Type == "" {
		return o, errBadRequest(field + ".type is required")
	}
	if !isJSONNull(req.CollectionIDs) {
		var one string
		if err := json.Unmarshal(req.CollectionIDs, &o.CollectionIDs); err != nil {
			if err := json.Unmarshal(req.CollectionIDs, &one); err != nil {
				return o, errBadRequest(field + ".collectionIds must be an array of collection ids")
			}
			o.CollectionIDs = []string{one}
		}
		if len(o.CollectionIDs) == 0 {
			o.CollectionIDs = nil
		}
	}
	base := assetTypeBase(o.Type)
	switch {
	case c.needsExternalMerchantID(o.Type) && strings.TrimSpace(o.ExternalMerchantID) == "":
		return o, errBadRequest(field + ".externalMerchantId is required for " + o.Type)
	case isPaypalLike(base) && strings.TrimSpace(o.PaypalMerchantAccountID) == "":
		return o, errBadRequest(field + ".paypalMerchantAccountId is required for " + o.Type)
	case isPaypalLike(base) && strings.TrimSpace(o.PaypalStoreID) == "":
		return o, errBadRequest(field + ".paypalStoreId is required for " + o.Type)
	case base == "centrapay.ledger" && len(o.CollectionIDs) == 0:
		return o, errBadRequest(field + ".collectionIds is required for " + o.Type)
	}
	return o, nil
}

// assetTypeBase strips the liveness suffix: centrapay.nzd.test →
// centrapay.nzd.
func assetTypeBase(id string) string {
	if b, ok := strings.CutSuffix(id, ".test"); ok {
		return b
	}
	if b, ok := strings.CutSuffix(id, ".main"); ok {
		return b
	}
	return id
}

// assetTypeSuffixLiveness is the liveness an asset type id spells: main,
// test or "" for neither.
func assetTypeSuffixLiveness(id string) string {
	switch {
	case strings.HasSuffix(id, ".test"):
		return "test"
	case strings.HasSuffix(id, ".main"):
		return "main"
	}
	return ""
}

// needsExternalMerchantID: the types whose provider needs the merchant's id
// in its own system.
func (c *centrapay) needsExternalMerchantID(typeID string) bool {
	if c.store.needsExternalMerchantID(typeID) {
		return true
	}
	return slices.Contains(c.cfg.ThirdPartyAssetTypes, assetTypeBase(typeID))
}

// needsExternalMerchantID is the store's part of the rule: the types the
// catalogue knows as third-party, and the documented and Payap types.
func (s *MemStore) needsExternalMerchantID(typeID string) bool {
	if info, ok := s.assetType(typeID); ok && info.ThirdParty {
		return true
	}
	base := assetTypeBase(typeID)
	switch {
	case base == "epay", base == "stadius", base == "payap-debit", base == "uplinkapi",
		strings.HasPrefix(base, "quartz"), strings.Contains(base, "-payap"):
		return true
	}
	return false
}

func isPaypalLike(base string) bool {
	switch base {
	case "paypal", "paypal.usd", "venmo", "venmo.usd":
		return true
	}
	return false
}

// checkPaymentOptions applies the documented 403 rules to validated
// options, in order for each option: the type is known
// (INVALID_WALLET_TYPE), its liveness matches the merchant's
// (LIVENESS_MISMATCH), its collections are valid (COLLECTIONS_INVALID), its
// walletId holds the type (INVALID_WALLET_TYPE).
func (c *centrapay) checkPaymentOptions(m Merchant, options []PaymentOptionConfig) *apiError {
	for i, o := range options {
		field := fmt.Sprintf("paymentOptions[%d]", i)
		info, ok := c.store.assetType(o.Type)
		if !ok {
			return errBusiness(http.StatusForbidden, "INVALID_WALLET_TYPE",
				field+".type "+o.Type+" is not a known asset type id (add .main or .test to an asset type, e.g. centrapay.nzd.test; GET /api/asset-types lists them)")
		}
		switch liveness := info.Liveness; {
		case liveness == "":
			return errBusiness(http.StatusForbidden, "INVALID_WALLET_TYPE",
				field+".type "+o.Type+" has no liveness suffix: use "+strings.Join(slices.DeleteFunc(info.IDs, func(id string) bool { return id == info.Name }), " or "))
		case m.Test && liveness == "main":
			return errBusiness(http.StatusForbidden, "LIVENESS_MISMATCH",
				field+".type "+o.Type+" is a live asset type; test merchants take .test types only")
		case !m.Test && liveness == "test":
			return errBusiness(http.StatusForbidden, "LIVENESS_MISMATCH",
				field+".type "+o.Type+" is a test asset type; live merchants take .main types only")
		}
		if len(o.CollectionIDs) > 0 {
			base := assetTypeBase(o.Type)
			if base != "centrapay.token" && base != "centrapay.ledger" {
				return errBusiness(http.StatusForbidden, "COLLECTIONS_INVALID",
					field+".collectionIds is only valid on centrapay.token and centrapay.ledger options")
			}
			for j, id := range o.CollectionIDs {
				if !strings.HasPrefix(id, collectionPrefix) || len(id) == len(collectionPrefix) {
					return errBusiness(http.StatusForbidden, "COLLECTIONS_INVALID",
						fmt.Sprintf("%s.collectionIds[%d] %q is not a collection id (collection ids start with %s)", field, j, id, collectionPrefix))
				}
			}
		}
		if o.WalletID != "" {
			exists, holds := c.store.walletHolds(o.WalletID, o.Type)
			if !exists || !holds {
				return errBusiness(http.StatusForbidden, "INVALID_WALLET_TYPE",
					field+".walletId "+o.WalletID+" is not a wallet that holds "+o.Type)
			}
		}
	}
	return nil
}
