package mockcentrapay

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// walletState is the wallets area's state (wallets, the asset type
// catalogue, media uploads); see MemStore.
type walletState struct {
	// catalogue is immutable; Seed swaps in the one with the third-party
	// types. Read without s.mu (see MemStore.assetType).
	catalogue *atomic.Pointer[assetCatalogue]

	wallets map[string]Wallet // by id; a Wallet is never changed once stored
	order   []string          // wallet ids in creation order

	uploads          map[string]*mediaUpload
	uploadsByAccount map[string][]string // upload ids, oldest first
	// mediaKey signs media URLs: random per store, never written after
	// newWalletState, so read without s.mu.
	mediaKey []byte
}

func newWalletState() walletState {
	st := walletState{
		catalogue:        new(atomic.Pointer[assetCatalogue]),
		wallets:          map[string]Wallet{},
		uploads:          map[string]*mediaUpload{},
		uploadsByAccount: map[string][]string{},
		mediaKey:         make([]byte, 32),
	}
	_, _ = rand.Read(st.mediaKey) // never fails (crypto/rand)
	cat, _ := newAssetCatalogue(nil)
	st.catalogue.Store(cat)
	return st
}

// walletSeedTime is the createdAt of the seeded Payap wallet.
var walletSeedTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// seedWallets installs the asset type catalogue with cfg's third-party
// types and creates the Payap wallet: quartz.nzd plus every third-party
// type (bare names: a wallet supports both livenesses).
func (s *MemStore) seedWallets(cfg Config) error {
	cat, err := newAssetCatalogue(cfg.ThirdPartyAssetTypes)
	if err != nil {
		return err
	}
	s.wallets.catalogue.Store(cat)
	types := []WalletAssetType{{ID: "quartz.nzd"}}
	for _, name := range cat.names {
		if cat.byName[name].ThirdParty {
			types = append(types, WalletAssetType{ID: name})
		}
	}
	payap := Wallet{
		ID:                   PayapWalletID,
		Name:                 "Payap",
		AccountID:            PayapAccountID,
		ConnectURL:           "https://app.payap.com/join",
		PayURL:               "https://app.payap.com/pay",
		PrimaryColorHex:      "#5B2EFF",
		AssetTypes:           types,
		CreatedAt:            ts(walletSeedTime),
		CreatedBy:            CRN(PayapAccountID, "api-key", "PayapOwner"),
		CreatedByAccountName: "Payap",
		Status:               walletStatusActive,
	}
	if e := s.insertWallet(payap); e != nil {
		return fmt.Errorf("seeding the Payap wallet: %s", e.Message)
	}
	return nil
}

// Wallet is a consumer application (§4.2, the Wallet model) as written on
// the wire.
//
// C2: the create response example looks like a Connection (url, merchantId,
// logoImg, no name/accountId/connectUrl/payUrl). The mock answers the Wallet
// MODEL, plus the example's createdAt, createdBy (CRN of the API key),
// createdByAccountName and status "active". Optional fields that were not
// set are omitted.
type Wallet struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	AccountID            string            `json:"accountId"`
	ConnectURL           string            `json:"connectUrl,omitempty"`
	PayURL               string            `json:"payUrl,omitempty"`
	LogoMediaUploadID    string            `json:"logoMediaUploadId,omitempty"`
	PrimaryColorHex      string            `json:"primaryColorHex,omitempty"`
	AssetTypes           []WalletAssetType `json:"assetTypes"`
	CreatedAt            Timestamp         `json:"createdAt"`
	CreatedBy            string            `json:"createdBy"`
	CreatedByAccountName string            `json:"createdByAccountName"`
	Status               string            `json:"status"`
}

// WalletAssetType is an asset type a wallet supports: the id as sent (bare
// name or with liveness) and, for centrapay.token / centrapay.ledger, one
// collection (C3: one item per collection).
type WalletAssetType struct {
	ID           string `json:"id"`
	CollectionID string `json:"collectionId,omitempty"`
}

const walletStatusActive = "active"

// insertWallet stores w after the checks that need the store: the logo
// upload (must exist, belong to w's account and be a branding-logo) and
// the id's uniqueness.
func (s *MemStore) insertWallet(w Wallet) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id := w.LogoMediaUploadID; id != "" {
		u, ok := s.mediaUploadLocked(id)
		if !ok || u.AccountID != w.AccountID {
			return newAPIError(http.StatusForbidden, "Forbidden", "logoMediaUploadId: no media upload "+id+" in this account")
		}
		if u.Purpose != mediaPurposeLogo {
			return errBusiness(http.StatusForbidden, "FILE_TYPE_INVALID",
				"logoMediaUploadId: media upload "+id+" was uploaded for "+u.Purpose+"; upload the logo with purpose branding-logo")
		}
	}
	if _, dup := s.wallets.wallets[w.ID]; dup {
		return errBusiness(http.StatusForbidden, "WALLET_ALREADY_EXISTS", "a wallet with id "+w.ID+" already exists; wallet ids are unique across Centrapay")
	}
	s.wallets.wallets[w.ID] = w
	s.wallets.order = append(s.wallets.order, w.ID)
	return nil
}

// wallet returns the wallet with id, for any area (connections authorize
// by walletId).
func (s *MemStore) wallet(id string) (Wallet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.walletLocked(id)
}

// walletLocked is wallet for a caller that holds s.mu.
func (s *MemStore) walletLocked(id string) (Wallet, bool) {
	w, ok := s.wallets.wallets[id]
	return w, ok
}

// walletHolds reports whether wallet walletID exists and lists the asset
// type assetTypeID, matched by name ignoring the liveness suffix (a wallet
// listing quartz.nzd holds quartz.nzd.test), as supported-wallets matches.
// Merchant configs use it to check a payment option's walletId.
func (s *MemStore) walletHolds(walletID, assetTypeID string) (exists, holds bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.walletHoldsLocked(walletID, assetTypeID)
}

// walletHoldsLocked is walletHolds for a caller that holds s.mu.
func (s *MemStore) walletHoldsLocked(walletID, assetTypeID string) (exists, holds bool) {
	w, ok := s.wallets.wallets[walletID]
	if !ok {
		return false, false
	}
	want := s.assetTypeName(assetTypeID)
	for _, at := range w.AssetTypes {
		if s.assetTypeName(at.ID) == want {
			return true, true
		}
	}
	return true, false
}

// walletList returns the wallets in creation order; accountID "" means all.
func (s *MemStore) walletList(accountID string) []Wallet {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Wallet{}
	for _, id := range s.wallets.order {
		if w := s.wallets.wallets[id]; accountID == "" || w.AccountID == accountID {
			out = append(out, w)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Create.

// createWalletBody is POST /api/wallets. Every field is raw so that a type
// error names its field; unknown fields are ignored.
type createWalletBody struct {
	ID                json.RawMessage `json:"id"`
	Name              json.RawMessage `json:"name"`
	AccountID         json.RawMessage `json:"accountId"`
	ConnectURL        json.RawMessage `json:"connectUrl"`
	ConnectionID      json.RawMessage `json:"connectionId"` // C1 alias of connectUrl
	PayURL            json.RawMessage `json:"payUrl"`
	LogoMediaUploadID json.RawMessage `json:"logoMediaUploadId"`
	PrimaryColorHex   json.RawMessage `json:"primaryColorHex"`
	AssetTypes        json.RawMessage `json:"assetTypes"`
}

type walletAssetTypeBody struct {
	ID            json.RawMessage `json:"id"`
	CollectionID  json.RawMessage `json:"collectionId"`
	CollectionIDs json.RawMessage `json:"collectionIds"` // C3: the body text's plural
}

// Validation limits (sandbox choices: the docs give none).
const (
	walletIDMaxLen         = 64
	walletNameMaxLen       = 100
	walletURLMaxLen        = 2048
	walletAssetTypesMax    = 100
	walletCollectionMaxLen = 64
)

var (
	walletIDPattern     = regexp.MustCompile(`^[a-z0-9_-]+$`)
	walletColorPattern  = regexp.MustCompile(`^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$`)
	walletCollectionPat = regexp.MustCompile(`^(c_)?([A-Za-z0-9]+)$`)
)

// walletCollectionTypes may carry a collectionId (the Asset Types model).
var walletCollectionTypes = map[string]bool{"centrapay.token": true, "centrapay.ledger": true}

// handleCreateWallet is POST /api/wallets (account-owner keys; routes.go).
//
// Checks, all before any write: 400 for a malformed body, a missing or
// mistyped field, a bad id, URL or colour, an empty or oversized assetTypes
// or a malformed collection id; then 403 Forbidden when accountId is not the
// caller's account; 403 INVALID_WALLET_TYPE for an asset type outside the
// catalogue and 403 COLLECTIONS_INVALID for a collection on a type that has
// none ([GAP]: the wallet docs list no errors, so the codes of the merchant
// config endpoint, which validates the same things, are reused); 403
// Forbidden / FILE_TYPE_INVALID for a logo upload that is not the account's
// / not a branding-logo; 403 WALLET_ALREADY_EXISTS for a taken id ([GAP]).
func (c *centrapay) handleCreateWallet(w http.ResponseWriter, r *http.Request, p principal) {
	var body createWalletBody
	if e := decodeWalletJSON(w, r, &body); e != nil {
		writeError(w, e)
		return
	}
	wl, e := c.validateWallet(body, p)
	if e != nil {
		writeError(w, e)
		return
	}
	wl.CreatedAt = ts(c.clock.Now())
	wl.CreatedBy = p.crn()
	wl.CreatedByAccountName = p.Account.Name
	wl.Status = walletStatusActive
	if e := c.store.insertWallet(wl); e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, wl)
}

// validateWallet turns the body into a Wallet or the first error, in the
// order documented on handleCreateWallet.
func (c *centrapay) validateWallet(b createWalletBody, p principal) (Wallet, *apiError) {
	var wl Wallet
	var e *apiError
	var ok bool

	if wl.ID, ok, e = walletString(b.ID, "id"); e != nil {
		return wl, e
	} else if !ok {
		return wl, errBadRequest("id is required")
	}
	if len(wl.ID) > walletIDMaxLen || !walletIDPattern.MatchString(wl.ID) {
		return wl, errBadRequest(fmt.Sprintf("id must be lower-case letters, digits, '-' and '_' (at most %d characters), e.g. payap", walletIDMaxLen))
	}
	if wl.Name, ok, e = walletString(b.Name, "name"); e != nil {
		return wl, e
	} else if !ok || strings.TrimSpace(wl.Name) == "" {
		return wl, errBadRequest("name is required")
	}
	if len([]rune(wl.Name)) > walletNameMaxLen {
		return wl, errBadRequest(fmt.Sprintf("name must be at most %d characters", walletNameMaxLen))
	}
	if wl.AccountID, ok, e = walletString(b.AccountID, "accountId"); e != nil {
		return wl, e
	} else if !ok {
		return wl, errBadRequest("accountId is required")
	}

	// C1: connectionId is the create example's name for connectUrl; when
	// both are sent connectUrl wins and connectionId is ignored.
	connectField, connectRaw := "connectUrl", b.ConnectURL
	if walletAbsent(b.ConnectURL) && !walletAbsent(b.ConnectionID) {
		connectField, connectRaw = "connectionId", b.ConnectionID
	}
	if wl.ConnectURL, e = walletURL(connectRaw, connectField); e != nil {
		return wl, e
	}
	if wl.PayURL, e = walletURL(b.PayURL, "payUrl"); e != nil {
		return wl, e
	}
	if wl.LogoMediaUploadID, _, e = walletString(b.LogoMediaUploadID, "logoMediaUploadId"); e != nil {
		return wl, e
	}
	if wl.PrimaryColorHex, _, e = walletString(b.PrimaryColorHex, "primaryColorHex"); e != nil {
		return wl, e
	}
	if wl.PrimaryColorHex != "" && !walletColorPattern.MatchString(wl.PrimaryColorHex) {
		return wl, errBadRequest("primaryColorHex must be a hex colour: #RGB or #RRGGBB, e.g. #FF5733")
	}
	if wl.AssetTypes, e = walletAssetTypes(b.AssetTypes); e != nil {
		return wl, e
	}

	if wl.AccountID != p.Account.ID {
		return wl, newAPIError(http.StatusForbidden, "Forbidden", "accountId must be the account of the API key")
	}
	for _, at := range wl.AssetTypes {
		info, known := c.store.assetType(at.ID)
		if !known {
			return wl, errBusiness(http.StatusForbidden, "INVALID_WALLET_TYPE",
				fmt.Sprintf("assetTypes: %q is not an asset type (GET /api/asset-types lists them, as a name or with .main / .test)", at.ID))
		}
		if at.CollectionID != "" && !walletCollectionTypes[info.Name] {
			return wl, errBusiness(http.StatusForbidden, "COLLECTIONS_INVALID",
				fmt.Sprintf("assetTypes: %s takes no collectionId (only centrapay.token and centrapay.ledger do)", at.ID))
		}
	}
	return wl, nil
}

// walletAssetTypes reads assetTypes: a non-empty array of {id,
// collectionId?, collectionIds?}. C3: collectionId and collectionIds (the
// body text's plural) are both accepted, with or without the documented c_
// prefix; the result has one item per collection, written in the canonical
// c_ form. Repeated items are merged.
func walletAssetTypes(raw json.RawMessage) ([]WalletAssetType, *apiError) {
	if walletAbsent(raw) {
		return nil, errBadRequest("assetTypes is required")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errBadRequest("assetTypes must be an array of {id, collectionId?} objects")
	}
	if len(items) == 0 {
		return nil, errBadRequest("assetTypes must list at least one asset type")
	}
	if len(items) > walletAssetTypesMax {
		return nil, errBadRequest(fmt.Sprintf("assetTypes must list at most %d asset types", walletAssetTypesMax))
	}
	var out []WalletAssetType
	seen := map[WalletAssetType]bool{}
	add := func(at WalletAssetType) {
		if !seen[at] {
			seen[at] = true
			out = append(out, at)
		}
	}
	for i, item := range items {
		field := fmt.Sprintf("assetTypes[%d]", i)
		var b walletAssetTypeBody
		if bytes.HasPrefix(bytes.TrimSpace(item), []byte("{")) {
			if err := json.Unmarshal(item, &b); err != nil {
				return nil, errBadRequest(field + " must be an object {id, collectionId?}")
			}
		} else {
			return nil, errBadRequest(field + " must be an object {id, collectionId?}")
		}
		id, ok, e := walletString(b.ID, field+".id")
		if e != nil {
			return nil, e
		}
		if !ok {
			return nil, errBadRequest(field + ".id is required")
		}
		var collections []string
		one, ok, e := walletString(b.CollectionID, field+".collectionId")
		if e != nil {
			return nil, e
		}
		if ok {
			collections = append(collections, one)
		}
		if !walletAbsent(b.CollectionIDs) {
			var many []string
			if err := json.Unmarshal(b.CollectionIDs, &many); err != nil {
				return nil, errBadRequest(field + ".collectionIds must be an array of strings")
			}
			collections = append(collections, many...)
		}
		if len(collections) == 0 {
			add(WalletAssetType{ID: id})
			continue
		}
		for _, col := range collections {
			m := walletCollectionPat.FindStringSubmatch(col)
			if m == nil || len(col) > walletCollectionMaxLen {
				return nil, errBadRequest(field + ".collectionId must be a collection id such as c_98h1d312 (letters and digits, optionally prefixed c_)")
			}
			add(WalletAssetType{ID: id, CollectionID: "c_" + m[2]})
		}
	}
	return out, nil
}

// walletAbsent: the field was not sent or was null.
func walletAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// walletString reads an optional string field. Absent, null and "" are
// not set (ok false).
func walletString(raw json.RawMessage, field string) (string, bool, *apiError) {
	if walletAbsent(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errBadRequest(field + " must be a string")
	}
	return s, s != "", nil
}

// walletURL reads an optional URL field: an absolute https URL, or http on
// a loopback host (for local development).
func walletURL(raw json.RawMessage, field string) (string, *apiError) {
	s, ok, e := walletString(raw, field)
	if e != nil || !ok {
		return "", e
	}
	bad := errBadRequest(field + " must be an absolute https URL (http only on localhost), e.g. https://app.payap.com/join")
	if len(s) > walletURLMaxLen {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return "", bad
	}
	switch u.Scheme {
	case "https":
		return s, nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return s, nil
		}
	}
	return "", bad
}

// walletBodyMaxBytes caps JSON request bodies of this area.
const walletBodyMaxBytes = 1 << 20

// decodeWalletJSON reads one JSON object into v: capped at 1 MiB, unknown
// fields ignored (as the real API does).
func decodeWalletJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, walletBodyMaxBytes))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return errBadRequest("the body is larger than 1 MiB")
		case errors.Is(err, io.EOF):
			return errBadRequest("the body is empty; send a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errBadRequest("the body is not valid JSON (it ends too soon)")
		case errors.As(err, &syntax):
			return errBadRequest(fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return errBadRequest("the body must be a JSON object")
		case errors.As(err, &typeErr):
			return errBadRequest(typeErr.Field + " has the wrong type")
		default:
			return errBadRequest("the body is not valid JSON")
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadRequest("send exactly one JSON object")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Reads.

// handleListWallets is GET /api/wallets (sandbox extension): the caller's
// account's wallets in creation order, in the pagination envelope
// {items} (one page: the list is small).
func (c *centrapay) handleListWallets(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, Page[Wallet]{Items: c.store.walletList(p.Account.ID)})
}

// handleGetWallet is GET /api/wallets/{walletId} (sandbox extension): any
// wallet by id, for any key (wallets are public directory entries, as
// supported-wallets shows); an unknown id is 403 Forbidden (§4.1).
func (c *centrapay) handleGetWallet(w http.ResponseWriter, r *http.Request, p principal) {
	wl, ok := c.store.wallet(pathVar(r, "walletId"))
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, wl)
}

// handleSupportedWallets is GET /api/merchants/{merchantId}/supported-wallets:
// a bare array (C23) of the wallets sharing at least one asset type with the
// payment options of the merchant's configs. Types match by name, ignoring
// the liveness suffix (a wallet listing quartz.nzd supports quartz.nzd.test
// options); a payment option naming a walletId admits only that wallet for
// its type. Any key may ask; an unknown merchant is 403 Forbidden.
func (c *centrapay) handleSupportedWallets(w http.ResponseWriter, r *http.Request, p principal) {
	merchantID := pathVar(r, "merchantId")
	if !c.store.merchantExists(merchantID) {
		writeError(w, errForbidden())
		return
	}
	opts := c.store.merchantPaymentOptionTypes(merchantID)
	out := []Wallet{}
	for _, wl := range c.store.walletList("") {
		if walletMatchesOptions(wl, opts, c.store.assetTypeName) {
			out = append(out, wl)
		}
	}
	writeJSON(w, out)
}

// walletMatchesOptions reports whether wl can pay with one of opts; name
// strips the liveness suffix of an asset type id.
func walletMatchesOptions(wl Wallet, opts []PaymentOptionRef, name func(string) string) bool {
	for _, o := range opts {
		if o.WalletID != "" && o.WalletID != wl.ID {
			continue
		}
		want := name(o.Type)
		for _, at := range wl.AssetTypes {
			if name(at.ID) == want {
				return true
			}
		}
	}
	return false
}
