package mockcentrapay

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// SnapshotVersion is the version of the Snapshot format that Snapshot writes
// and Restore reads.
const SnapshotVersion = 1

// Snapshot is the whole state of a MemStore, for --state files: written by
// MemStore.Snapshot, read back by MemStore.Restore, and meant to be stored
// as JSON. Lists are in a stable order (creation order where the store keeps
// one, otherwise by id), so the same state gives the same file.
//
// What is kept beyond the objects the API shows:
//   - IDState is the state of the seeded id generator, so that ids made
//     after a restore continue the snapshotted store's sequence and never
//     repeat the ids it already made.
//   - A refund that was waiting for the wallet operator when the snapshot
//     was taken is kept as in doubt: its shares stay reserved and a retry
//     with the same externalRef sends the same refundIds, which the wallet
//     operator deduplicates. Nothing is dropped.
//   - A webhook notification being delivered is kept as pending (at-least-
//     once delivery: it is sent again after the restore).
//
// What is not kept: the per-key rate limit windows (they belong to the
// handler) and the key that signs media upload URLs (it stays the
// restoring store's, so content URLs issued before a restore stop working;
// GET .../location gives new ones). Timestamps of the API's objects keep
// the wire format's millisecond precision once the snapshot goes through
// JSON.
type Snapshot struct {
	Version int `json:"version"`
	// IDState is the seeded id generator's state (binary, base64 in JSON).
	IDState []byte `json:"idState"`
	// PaymentSeq numbers payment requests and activities in creation order.
	PaymentSeq uint64 `json:"paymentSeq"`
	// ThirdPartyAssetTypes are the asset types registered through Payap;
	// with the documented ones they make the asset type catalogue.
	ThirdPartyAssetTypes []string                      `json:"thirdPartyAssetTypes"`
	Accounts             []Account                     `json:"accounts"`
	APIKeys              []SnapshotAPIKey              `json:"apiKeys"`
	Wallets              []Wallet                      `json:"wallets"`
	MediaUploads         []SnapshotMediaUpload         `json:"mediaUploads"`
	Merchants            []Merchant                    `json:"merchants"`
	MerchantConfigs      []MerchantConfig              `json:"merchantConfigs"`
	Connections          []SnapshotConnection          `json:"connections"`
	PaymentRequests      []SnapshotPaymentRequest      `json:"paymentRequests"`
	Assets               []SnapshotAsset               `json:"assets"`
	PatronCodes          []SnapshotPatronCode          `json:"patronCodes"`
	WebhookSubscriptions []SnapshotWebhookSubscription `json:"webhookSubscriptions"`
	WebhookNotifications []SnapshotWebhookNotification `json:"webhookNotifications"`
	// SpendQuotas are monthly spend limits per asset type, by account id.
	SpendQuotas map[string]Amount `json:"spendQuotas"`
	// Spend is what was spent, by "accountId|assetType|yyyy-mm".
	Spend map[string]Amount `json:"spend"`
}

// SnapshotAPIKey is an API key with its secret.
type SnapshotAPIKey struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	Role      string `json:"role"`
	Secret    string `json:"secret"`
}

// SnapshotMediaUpload is a stored media upload and its content.
type SnapshotMediaUpload struct {
	ID        string    `json:"id"`
	AccountID string    `json:"accountId"`
	Purpose   string    `json:"purpose"`
	MimeType  string    `json:"mimeType"`
	FileName  string    `json:"fileName"`
	Data      []byte    `json:"data"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// SnapshotConnection is a connection with the accounts that created and
// authorized it.
type SnapshotConnection struct {
	Connection
	CreatorAccountID    string `json:"createdByAccountId"`
	AuthorizerAccountID string `json:"authorizedByAccountId,omitempty"`
}

// SnapshotPaymentRequest is a payment request with what the wire does not
// show: its payments (for refunds), its activities in creation order and
// the refunds that await the wallet operator.
type SnapshotPaymentRequest struct {
	PaymentRequest
	CreatedBy         string                  `json:"createdBy"`
	MerchantAccountID string                  `json:"merchantAccountId"`
	Seq               uint64                  `json:"seq"`
	VoidActivityID    string                  `json:"voidActivityId,omitempty"`
	Payments          []SnapshotPayment       `json:"payments"`
	Activities        []SnapshotActivity      `json:"activities"`
	RefundAttempts    []SnapshotRefundAttempt `json:"refundAttempts,omitempty"`
}

// SnapshotActivity is a payment activity with its creation order and, for a
// payment, the content its idempotencyKey is bound to.
type SnapshotActivity struct {
	PaymentActivity
	Seq         uint64 `json:"seq"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// SnapshotPayment is one successful payment towards a payment request.
// What refunds hold (reserved) is not kept: Restore adds it up from the
// refund attempts.
type SnapshotPayment struct {
	ActivityID     string    `json:"activityId"`
	IdempotencyKey string    `json:"idempotencyKey"`
	AssetType      string    `json:"assetType"`
	AssetID        string    `json:"assetId,omitempty"`
	PayerAccountID string    `json:"payerAccountId"`
	Authorization  string    `json:"authorization,omitempty"`
	TransactionID  string    `json:"transactionId,omitempty"`
	Amount         Amount    `json:"amount"`
	Refunded       Amount    `json:"refunded"`
	At             time.Time `json:"at"`
	CentrapayHeld  bool      `json:"centrapayHeld,omitempty"`
	External       bool      `json:"external,omitempty"`
	WalletOperator bool      `json:"walletOperator,omitempty"`
	OneOff         bool      `json:"oneOff,omitempty"`
	DeclineRefunds bool      `json:"declineRefunds,omitempty"`
}

// SnapshotRefundAttempt is a refund (or a void's refund) through the wallet
// operator that has not finished: in doubt with its shares reserved, or a
// record without shares that keeps the activity id a retry reuses.
type SnapshotRefundAttempt struct {
	ExternalRef string `json:"externalRef"`
	ActivityID  string `json:"activityId"`
	Void        bool   `json:"void,omitempty"`
	// Activity is the refund activity to store once the operator refunds.
	Activity PaymentActivity       `json:"activity"`
	Shares   []SnapshotRefundShare `json:"shares,omitempty"`
	InDoubt  bool                  `json:"inDoubt,omitempty"`
}

// SnapshotRefundShare is one reserved share of a refund attempt: the
// payment by its index in Payments.
type SnapshotRefundShare struct {
	Payment  int    `json:"payment"`
	Amount   Amount `json:"amount"`
	RefundID string `json:"refundId,omitempty"`
}

// SnapshotAsset is an asset held in a Centrapay account.
type SnapshotAsset struct {
	ID          string `json:"id"`
	AccountID   string `json:"accountId"`
	Type        string `json:"type"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Currency    string `json:"currency"`
	Balance     Amount `json:"balance"`
	Active      bool   `json:"active"`
	SingleUse   bool   `json:"singleUse,omitempty"`
}

// SnapshotPatronCode is a patron code.
type SnapshotPatronCode struct {
	ID        string `json:"id"`
	Barcode   string `json:"barcode"`
	AccountID string `json:"accountId"`
}

// SnapshotWebhookSubscription is an account's webhook subscription.
type SnapshotWebhookSubscription struct {
	AccountID  string    `json:"accountId"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"eventTypes"`
	CreatedAt  Timestamp `json:"createdAt"`
	UpdatedAt  Timestamp `json:"updatedAt"`
}

// SnapshotWebhookNotification is a notification, its exact body and its
// delivery record. Pending ones are delivered after a restore.
type SnapshotWebhookNotification struct {
	ID            string          `json:"id"`
	AccountID     string          `json:"accountId"`
	Type          string          `json:"type"`
	CreatedAt     time.Time       `json:"createdAt"`
	Body          json.RawMessage `json:"body"`
	State         string          `json:"state"`
	Attempts      int             `json:"attempts"`
	LastStatus    int             `json:"lastStatus,omitempty"`
	LastError     string          `json:"lastError,omitempty"`
	LastURL       string          `json:"lastUrl,omitempty"`
	NextAttemptAt time.Time       `json:"nextAttemptAt,omitzero"`
	DeliveredAt   time.Time       `json:"deliveredAt,omitzero"`
}

// ---------------------------------------------------------------------------
// Snapshot.

// Snapshot returns a deep copy of the whole state, taken under the store's
// lock, so it is consistent: no operation is half in it.
func (s *MemStore) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		Version:     SnapshotVersion,
		IDState:     s.ids.state(),
		PaymentSeq:  s.payments.seq,
		SpendQuotas: maps.Clone(s.payments.quotas),
		Spend:       maps.Clone(s.payments.spend),
	}
	cat := s.wallets.catalogue.Load()
	for _, name := range cat.names {
		if cat.byName[name].ThirdParty {
			snap.ThirdPartyAssetTypes = append(snap.ThirdPartyAssetTypes, name)
		}
	}

	for _, id := range slices.Sorted(maps.Keys(s.accounts)) {
		snap.Accounts = append(snap.Accounts, s.accounts[id])
	}
	for _, secret := range slices.Sorted(maps.Keys(s.keys)) {
		k := s.keys[secret]
		snap.APIKeys = append(snap.APIKeys, SnapshotAPIKey{Name: k.Name, AccountID: k.AccountID, Role: k.Role, Secret: k.Secret})
	}

	for _, id := range s.wallets.order {
		snap.Wallets = append(snap.Wallets, cloneWallet(s.wallets.wallets[id]))
	}
	for _, acct := range slices.Sorted(maps.Keys(s.wallets.uploadsByAccount)) {
		for _, id := range s.wallets.uploadsByAccount[acct] {
			u, ok := s.wallets.uploads[id]
			if !ok {
				continue
			}
			snap.MediaUploads = append(snap.MediaUploads, SnapshotMediaUpload{
				ID: u.ID, AccountID: u.AccountID, Purpose: u.Purpose, MimeType: u.MimeType, FileName: u.FileName,
				Data: slices.Clone(u.Data), CreatedAt: u.CreatedAt, CreatedBy: u.CreatedBy,
			})
		}
	}

	for _, id := range slices.Sorted(maps.Keys(s.merchants.merchants)) {
		snap.Merchants = append(snap.Merchants, cloneMerchant(s.merchants.merchants[id]))
		for _, cid := range s.merchants.configOrder[id] {
			snap.MerchantConfigs = append(snap.MerchantConfigs, cloneMerchantConfig(s.merchants.configs[cid]))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.merchants.connections)) {
		cn := s.merchants.connections[id]
		snap.Connections = append(snap.Connections, SnapshotConnection{
			Connection: cloneConnection(cn), CreatorAccountID: cn.CreatedByAccountID, AuthorizerAccountID: cn.AuthorizedByAccountID,
		})
	}

	for _, pr := range requestsInOrder(s.payments.requests) {
		snap.PaymentRequests = append(snap.PaymentRequests, s.snapshotRequestLocked(pr))
	}
	for _, id := range slices.Sorted(maps.Keys(s.payments.assets)) {
		a := s.payments.assets[id]
		snap.Assets = append(snap.Assets, SnapshotAsset{
			ID: a.ID, AccountID: a.AccountID, Type: a.Type, Category: a.Category, Description: a.Description,
			Currency: a.Currency, Balance: a.Balance, Active: a.Active, SingleUse: a.SingleUse,
		})
	}
	for _, code := range slices.Sorted(maps.Keys(s.payments.patronCodes)) {
		pc := s.payments.patronCodes[code]
		snap.PatronCodes = append(snap.PatronCodes, SnapshotPatronCode{ID: pc.ID, Barcode: pc.Barcode, AccountID: pc.AccountID})
	}

	for _, acct := range slices.Sorted(maps.Keys(s.webhooks.subs)) {
		sub := s.webhooks.subs[acct]
		snap.WebhookSubscriptions = append(snap.WebhookSubscriptions, SnapshotWebhookSubscription{
			AccountID: acct, URL: sub.URL, EventTypes: slices.Clone(sub.EventTypes), CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt,
		})
	}
	for _, acct := range slices.Sorted(maps.Keys(s.webhooks.notes)) {
		for _, n := range s.webhooks.notes[acct] {
			snap.WebhookNotifications = append(snap.WebhookNotifications, SnapshotWebhookNotification{
				ID: n.id, AccountID: n.accountID, Type: n.eventType, CreatedAt: n.createdAt, Body: slices.Clone(n.body),
				State: n.state, Attempts: n.attempts, LastStatus: n.lastStatus, LastError: n.lastError, LastURL: n.lastURL,
				NextAttemptAt: n.nextAttemptAt, DeliveredAt: n.deliveredAt,
			})
		}
	}
	// Empty lists are written as [], not null.
	snap.ThirdPartyAssetTypes = orEmpty(snap.ThirdPartyAssetTypes)
	snap.Accounts, snap.APIKeys = orEmpty(snap.Accounts), orEmpty(snap.APIKeys)
	snap.Wallets, snap.MediaUploads = orEmpty(snap.Wallets), orEmpty(snap.MediaUploads)
	snap.Merchants, snap.MerchantConfigs, snap.Connections = orEmpty(snap.Merchants), orEmpty(snap.MerchantConfigs), orEmpty(snap.Connections)
	snap.PaymentRequests, snap.Assets, snap.PatronCodes = orEmpty(snap.PaymentRequests), orEmpty(snap.Assets), orEmpty(snap.PatronCodes)
	snap.WebhookSubscriptions, snap.WebhookNotifications = orEmpty(snap.WebhookSubscriptions), orEmpty(snap.WebhookNotifications)
	return snap
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// requestsInOrder lists payment requests in creation order.
func requestsInOrder(requests map[string]*PaymentRequest) []*PaymentRequest {
	out := slices.Collect(maps.Values(requests))
	slices.SortFunc(out, func(a, b *PaymentRequest) int {
		if c := compareUint(a.seq, b.seq); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// snapshotRequestLocked copies one payment request with its payments,
// activities and unfinished refunds.
func (s *MemStore) snapshotRequestLocked(pr *PaymentRequest) SnapshotPaymentRequest {
	out := SnapshotPaymentRequest{
		PaymentRequest:    clonePaymentRequest(*pr),
		CreatedBy:         pr.createdBy,
		MerchantAccountID: pr.merchantAccountID,
		Seq:               pr.seq,
		VoidActivityID:    pr.voidActivityID,
		Payments:          make([]SnapshotPayment, 0, len(pr.payments)),
		Activities:        make([]SnapshotActivity, 0, len(s.payments.activities[pr.ID])),
	}
	for _, p := range pr.payments {
		out.Payments = append(out.Payments, SnapshotPayment{
			ActivityID: p.activityID, IdempotencyKey: p.idempotencyKey, AssetType: p.assetType, AssetID: p.assetID,
			PayerAccountID: p.payerAccountID, Authorization: p.authorization, TransactionID: p.transactionID,
			Amount: p.amount, Refunded: p.refunded, At: p.at, CentrapayHeld: p.centrapayHeld, External: p.external,
			WalletOperator: p.walletOperator, OneOff: p.oneOff, DeclineRefunds: p.declineRefunds,
		})
	}
	for _, a := range s.payments.activities[pr.ID] {
		out.Activities = append(out.Activities, SnapshotActivity{PaymentActivity: cloneActivity(*a), Seq: a.seq, Fingerprint: a.fingerprint})
	}
	for _, ref := range slices.Sorted(maps.Keys(pr.attempts)) {
		at := pr.attempts[ref]
		sa := SnapshotRefundAttempt{
			ExternalRef: at.externalRef, ActivityID: at.activityID, Void: at.void,
			Activity: cloneActivity(at.activity),
			// An attempt in flight is in doubt once its process is gone: the
			// operator may or may not have refunded.
			InDoubt: at.inDoubt || (at.done != nil && len(at.shares) > 0),
		}
		for _, sh := range at.shares {
			sa.Shares = append(sa.Shares, SnapshotRefundShare{Payment: sh.payment, Amount: sh.amount, RefundID: sh.refundID})
		}
		out.RefundAttempts = append(out.RefundAttempts, sa)
	}
	return out
}

// ---------------------------------------------------------------------------
// Restore.

// Restore replaces the whole state of the store with snap, atomically. It
// first checks snap: the version, the id generator state, unique ids, and
// that every reference resolves (a key's, wallet's, merchant's account; a
// config's merchant; a payment request's merchant, config and connection; a
// payment's activity; a refund's payments). On an error nothing changes,
// and the error names the bad item, e.g. `paymentRequests[3]:
// merchantConfig "mc_x" does not exist`. Restore also refuses while a
// refund of the current state awaits the wallet operator.
//
// Restore replaces the asset type catalogue too (with
// snap.ThirdPartyAssetTypes), and continues the id generator from
// snap.IDState. It keeps nothing of the current state except the key that
// signs media URLs.
func (s *MemStore) Restore(snap Snapshot) error {
	st, err := buildRestoredState(snap)
	if err != nil {
		return fmt.Errorf("mockcentrapay: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pr := range s.payments.requests {
		for _, at := range pr.attempts {
			if at.done != nil {
				return fmt.Errorf("mockcentrapay: restore: payment request %s has a refund awaiting the wallet operator; restore once it has finished", pr.ID)
			}
		}
	}
	if err := s.ids.setState(snap.IDState); err != nil {
		return fmt.Errorf("mockcentrapay: restore: idState: %w", err) // checked already: not reached
	}
	s.wallets.catalogue.Store(st.catalogue)
	s.accounts, s.keys = st.accounts, st.keys
	s.wallets.wallets, s.wallets.order = st.wallets.wallets, st.wallets.order
	s.wallets.uploads, s.wallets.uploadsByAccount = st.wallets.uploads, st.wallets.uploadsByAccount
	s.merchants = st.merchants
	s.payments = st.payments
	// busy is the delivery engine's: a delivery still running against the
	// old state frees its account when it ends.
	s.webhooks.subs, s.webhooks.notes = st.webhooks.subs, st.webhooks.notes
	return nil
}

// restoredState is a checked snapshot in the store's own form.
type restoredState struct {
	catalogue *assetCatalogue
	accounts  map[string]Account
	keys      map[string]APIKey
	wallets   walletState
	merchants merchantState
	payments  paymentState
	webhooks  webhookState
}

// buildRestoredState checks snap and builds the state it describes, sharing
// nothing with snap.
func buildRestoredState(snap Snapshot) (*restoredState, error) {
	if snap.Version != SnapshotVersion {
		return nil, fmt.Errorf("version %d is not supported: this sandbox reads version %d snapshots", snap.Version, SnapshotVersion)
	}
	if err := checkIDState(snap.IDState); err != nil {
		return nil, errors.New("idState is missing or not an id generator state; take snapshots with MemStore.Snapshot and keep idState as written")
	}
	cat, err := newAssetCatalogue(snap.ThirdPartyAssetTypes)
	if err != nil {
		return nil, fmt.Errorf("thirdPartyAssetTypes: %s", strings.TrimPrefix(err.Error(), "centrapay.third_party_asset_types: "))
	}
	st := &restoredState{
		catalogue: cat,
		accounts:  map[string]Account{},
		keys:      map[string]APIKey{},
		wallets: walletState{
			wallets: map[string]Wallet{}, uploads: map[string]*mediaUpload{}, uploadsByAccount: map[string][]string{},
		},
		merchants: newMerchantState(),
		payments:  newPaymentState(),
		webhooks:  newWebhookState(),
	}
	st.payments.seq = snap.PaymentSeq
	steps := []func(Snapshot) error{
		st.restoreAccounts, st.restoreWallets, st.restoreMerchants, st.restoreAssets,
		st.restorePaymentRequests, st.restoreWebhooks,
	}
	for _, step := range steps {
		if err := step(snap); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// dupes remembers the ids of one list and names the item that used one first.
type dupes map[string]int

// check fails when id is empty or was seen; item is the list's name.
func (d dupes) check(item string, i int, field, id string) error {
	if id == "" {
		return fmt.Errorf("%s[%d]: %s is required", item, i, field)
	}
	if j, ok := d[id]; ok {
		return fmt.Errorf("%s[%d]: %s %q is already used by %s[%d]; %ss must be unique", item, i, field, id, item, j, field)
	}
	d[id] = i
	return nil
}

func (st *restoredState) restoreAccounts(snap Snapshot) error {
	seen := dupes{}
	for i, a := range snap.Accounts {
		if err := seen.check("accounts", i, "id", a.ID); err != nil {
			return err
		}
		st.accounts[a.ID] = a
	}
	seen = dupes{}
	names := dupes{}
	for i, k := range snap.APIKeys {
		if err := seen.check("apiKeys", i, "secret", k.Secret); err != nil {
			return err
		}
		if err := names.check("apiKeys", i, "name", k.Name); err != nil {
			return err
		}
		if k.Role != RoleAccountOwner && k.Role != RoleMerchantTerminal {
			return fmt.Errorf("apiKeys[%d]: role %q is not %s or %s", i, k.Role, RoleAccountOwner, RoleMerchantTerminal)
		}
		if err := st.needAccount("apiKeys", i, k.AccountID); err != nil {
			return err
		}
		st.keys[k.Secret] = APIKey(k)
	}
	return nil
}

// needAccount fails when the account does not exist.
func (st *restoredState) needAccount(item string, i int, id string) error {
	if _, ok := st.accounts[id]; !ok {
		return fmt.Errorf("%s[%d]: account %q does not exist", item, i, id)
	}
	return nil
}

func (st *restoredState) restoreWallets(snap Snapshot) error {
	seen := dupes{}
	for i, w := range snap.Wallets {
		if err := seen.check("wallets", i, "id", w.ID); err != nil {
			return err
		}
		if err := st.needAccount("wallets", i, w.AccountID); err != nil {
			return err
		}
		for j, at := range w.AssetTypes {
			if _, ok := st.catalogue.lookup(at.ID); !ok {
				return fmt.Errorf("wallets[%d].assetTypes[%d]: asset type %q is not in the catalogue (the documented types and thirdPartyAssetTypes)", i, j, at.ID)
			}
		}
		st.wallets.wallets[w.ID] = cloneWallet(w)
		st.wallets.order = append(st.wallets.order, w.ID)
	}
	seen = dupes{}
	for i, u := range snap.MediaUploads {
		if err := seen.check("mediaUploads", i, "id", u.ID); err != nil {
			return err
		}
		if err := st.needAccount("mediaUploads", i, u.AccountID); err != nil {
			return err
		}
		if u.Purpose != mediaPurposeLogo && u.Purpose != mediaPurposeOnboarding {
			return fmt.Errorf("mediaUploads[%d]: purpose %q is not %s or %s", i, u.Purpose, mediaPurposeLogo, mediaPurposeOnboarding)
		}
		st.wallets.uploads[u.ID] = &mediaUpload{
			ID: u.ID, AccountID: u.AccountID, Purpose: u.Purpose, MimeType: u.MimeType, FileName: u.FileName,
			Data: slices.Clone(u.Data), CreatedAt: u.CreatedAt, CreatedBy: u.CreatedBy,
		}
		st.wallets.uploadsByAccount[u.AccountID] = append(st.wallets.uploadsByAccount[u.AccountID], u.ID)
	}
	return nil
}

func (st *restoredState) restoreMerchants(snap Snapshot) error {
	ms := &st.merchants
	seen := dupes{}
	for i, m := range snap.Merchants {
		if err := seen.check("merchants", i, "id", m.ID); err != nil {
			return err
		}
		if err := st.needAccount("merchants", i, m.AccountID); err != nil {
			return err
		}
		ms.merchants[m.ID] = cloneMerchant(m)
	}
	seen = dupes{}
	for i, mc := range snap.MerchantConfigs {
		if err := seen.check("merchantConfigs", i, "id", mc.ID); err != nil {
			return err
		}
		if _, ok := ms.merchants[mc.MerchantID]; !ok {
			return fmt.Errorf("merchantConfigs[%d]: merchant %q does not exist", i, mc.MerchantID)
		}
		for j, o := range mc.PaymentOptions {
			if _, ok := st.catalogue.lookup(o.Type); !ok {
				return fmt.Errorf("merchantConfigs[%d].paymentOptions[%d]: asset type %q is not in the catalogue (the documented types and thirdPartyAssetTypes)", i, j, o.Type)
			}
		}
		ms.configs[mc.ID] = cloneMerchantConfig(mc)
		ms.configOrder[mc.MerchantID] = append(ms.configOrder[mc.MerchantID], mc.ID)
	}
	seen = dupes{}
	for i, c := range snap.Connections {
		if err := seen.check("connections", i, "id", c.ID); err != nil {
			return err
		}
		if _, ok := ms.merchants[c.MerchantID]; !ok {
			return fmt.Errorf("connections[%d]: merchant %q does not exist", i, c.MerchantID)
		}
		if err := st.needAccount("connections", i, c.CreatorAccountID); err != nil {
			return err
		}
		if c.AuthorizerAccountID != "" {
			if err := st.needAccount("connections", i, c.AuthorizerAccountID); err != nil {
				return err
			}
		}
		cn := cloneConnection(c.Connection)
		cn.CreatedByAccountID, cn.AuthorizedByAccountID = c.CreatorAccountID, c.AuthorizerAccountID
		ms.connections[cn.ID] = cn
	}
	return nil
}

func (st *restoredState) restoreAssets(snap Snapshot) error {
	ps := &st.payments
	seen := dupes{}
	for i, a := range snap.Assets {
		if err := seen.check("assets", i, "id", a.ID); err != nil {
			return err
		}
		if err := st.needAccount("assets", i, a.AccountID); err != nil {
			return err
		}
		h := heldAsset(a)
		ps.assets[a.ID] = &h
	}
	seen = dupes{}
	for i, pc := range snap.PatronCodes {
		if err := seen.check("patronCodes", i, "barcode", pc.Barcode); err != nil {
			return err
		}
		if err := st.needAccount("patronCodes", i, pc.AccountID); err != nil {
			return err
		}
		ps.patronCodes[pc.Barcode] = patronCode(pc)
	}
	for _, acct := range slices.Sorted(maps.Keys(snap.SpendQuotas)) {
		if _, ok := st.accounts[acct]; !ok {
			return fmt.Errorf("spendQuotas: account %q does not exist", acct)
		}
		ps.quotas[acct] = snap.SpendQuotas[acct]
	}
	for _, k := range slices.Sorted(maps.Keys(snap.Spend)) {
		if strings.Count(k, "|") != 2 {
			return fmt.Errorf("spend: key %q is not accountId|assetType|yyyy-mm", k)
		}
		ps.spend[k] = snap.Spend[k]
	}
	return nil
}

func (st *restoredState) restorePaymentRequests(snap Snapshot) error {
	ps := &st.payments
	seen, activityIDs := dupes{}, map[string]string{}
	var all []*PaymentActivity
	for i, spr := range snap.PaymentRequests {
		item := fmt.Sprintf("paymentRequests[%d]", i)
		if err := seen.check("paymentRequests", i, "id", spr.ID); err != nil {
			return err
		}
		if _, ok := st.merchants.merchants[spr.MerchantID]; !ok {
			return fmt.Errorf("%s: merchant %q does not exist", item, spr.MerchantID)
		}
		mc, ok := st.merchants.configs[spr.ConfigID]
		if !ok {
			return fmt.Errorf("%s: merchantConfig %q does not exist", item, spr.ConfigID)
		}
		if mc.MerchantID != spr.MerchantID {
			return fmt.Errorf("%s: merchantConfig %q belongs to merchant %q, not %q", item, spr.ConfigID, mc.MerchantID, spr.MerchantID)
		}
		if _, ok := st.accounts[spr.MerchantAccountID]; !ok {
			return fmt.Errorf("%s: merchantAccountId %q does not exist", item, spr.MerchantAccountID)
		}
		if spr.ConnectionID != "" {
			if _, ok := st.merchants.connections[spr.ConnectionID]; !ok {
				return fmt.Errorf("%s: connection %q does not exist", item, spr.ConnectionID)
			}
		}
		if spr.Seq > snap.PaymentSeq {
			return fmt.Errorf("%s: seq %d is above paymentSeq %d", item, spr.Seq, snap.PaymentSeq)
		}
		pr := clonePaymentRequest(spr.PaymentRequest)
		pr.createdBy, pr.merchantAccountID, pr.seq, pr.voidActivityID = spr.CreatedBy, spr.MerchantAccountID, spr.Seq, spr.VoidActivityID

		own := map[string]*PaymentActivity{}
		for j, sa := range spr.Activities {
			if sa.ID == "" {
				return fmt.Errorf("%s.activities[%d]: id is required", item, j)
			}
			if where, dup := activityIDs[sa.ID]; dup {
				return fmt.Errorf("%s.activities[%d]: id %q is already used by %s; activity ids must be unique", item, j, sa.ID, where)
			}
			activityIDs[sa.ID] = fmt.Sprintf("%s.activities[%d]", item, j)
			if sa.PaymentRequestID != spr.ID {
				return fmt.Errorf("%s.activities[%d]: paymentRequestId %q is not its payment request's id %q", item, j, sa.PaymentRequestID, spr.ID)
			}
			if sa.Seq > snap.PaymentSeq {
				return fmt.Errorf("%s.activities[%d]: seq %d is above paymentSeq %d", item, j, sa.Seq, snap.PaymentSeq)
			}
			a := cloneActivity(sa.PaymentActivity)
			a.seq, a.fingerprint = sa.Seq, sa.Fingerprint
			ps.activities[pr.ID] = append(ps.activities[pr.ID], &a)
			own[a.ID] = &a
			all = append(all, &a)
			switch a.Type {
			case ActivityPayment:
				if a.IdempotencyKey != "" {
					ps.payKeys[pr.ID+"\x00"+a.IdempotencyKey] = &a
				}
			case ActivityRefund:
				ps.refundRefs[pr.ID+"\x00"+a.ExternalRef] = &a
			}
		}
		if pr.voidActivityID != "" && own[pr.voidActivityID] == nil {
			return fmt.Errorf("%s: voidActivityId %q is not an activity of the payment request", item, pr.voidActivityID)
		}
		for j, p := range spr.Payments {
			field := fmt.Sprintf("%s.payments[%d]", item, j)
			if a := own[p.ActivityID]; a == nil || a.Type != ActivityPayment {
				return fmt.Errorf("%s: activityId %q is not a payment activity of the payment request", field, p.ActivityID)
			}
			if p.AssetID != "" {
				if _, ok := ps.assets[p.AssetID]; !ok {
					return fmt.Errorf("%s: asset %q does not exist", field, p.AssetID)
				}
			}
			if p.Amount <= 0 || p.Refunded < 0 || p.Refunded > p.Amount {
				return fmt.Errorf("%s: amount %d and refunded %d must satisfy 0 <= refunded <= amount, amount > 0", field, p.Amount, p.Refunded)
			}
			pr.payments = append(pr.payments, prPayment{
				activityID: p.ActivityID, idempotencyKey: p.IdempotencyKey, assetType: p.AssetType, assetID: p.AssetID,
				payerAccountID: p.PayerAccountID, authorization: p.Authorization, transactionID: p.TransactionID,
				amount: p.Amount, refunded: p.Refunded, at: p.At, centrapayHeld: p.CentrapayHeld, external: p.External,
				walletOperator: p.WalletOperator, oneOff: p.OneOff, declineRefunds: p.DeclineRefunds,
			})
		}
		if err := restoreAttempts(item, spr, &pr); err != nil {
			return err
		}
		ps.requests[pr.ID] = &pr
	}

	// The indexes follow creation order: the latest request of a short code
	// or connection wins.
	for _, pr := range requestsInOrder(ps.requests) {
		ps.byShortCode[pr.ShortCode] = pr.ID
		ps.byMerchant[pr.MerchantID] = append(ps.byMerchant[pr.MerchantID], pr.ID)
		if pr.ConnectionID != "" {
			ps.byConnection[pr.ConnectionID] = pr.ID
		}
	}
	slices.SortStableFunc(all, func(a, b *PaymentActivity) int { return compareUint(a.seq, b.seq) })
	for _, a := range all {
		ps.merchantActivities[a.MerchantID] = append(ps.merchantActivities[a.MerchantID], a)
	}
	return nil
}

// restoreAttempts rebuilds a request's unfinished refunds and what they
// hold on its payments.
func restoreAttempts(item string, spr SnapshotPaymentRequest, pr *PaymentRequest) error {
	for j, sa := range spr.RefundAttempts {
		field := fmt.Sprintf("%s.refundAttempts[%d]", item, j)
		if sa.ActivityID == "" {
			return fmt.Errorf("%s: activityId is required", field)
		}
		if _, dup := pr.attempts[sa.ExternalRef]; dup {
			return fmt.Errorf("%s: externalRef %q is already used by another refund attempt of the payment request", field, sa.ExternalRef)
		}
		at := &refundAttempt{
			prID: pr.ID, externalRef: sa.ExternalRef, activityID: sa.ActivityID, void: sa.Void,
			activity: cloneActivity(sa.Activity), inDoubt: sa.InDoubt || len(sa.Shares) > 0,
		}
		for k, sh := range sa.Shares {
			if sh.Payment < 0 || sh.Payment >= len(pr.payments) {
				return fmt.Errorf("%s.shares[%d]: payment %d is not an index of payments (0 to %d)", field, k, sh.Payment, len(pr.payments)-1)
			}
			pay := &pr.payments[sh.Payment]
			if sh.Amount <= 0 || pay.refundable() < sh.Amount {
				return fmt.Errorf("%s.shares[%d]: amount %d is more than payments[%d] has left to refund (%d)", field, k, sh.Amount, sh.Payment, pay.refundable())
			}
			pay.reserved += sh.Amount
			at.shares = append(at.shares, attemptShare{payment: sh.Payment, amount: sh.Amount, refundID: sh.RefundID})
		}
		if pr.attempts == nil {
			pr.attempts = map[string]*refundAttempt{}
		}
		pr.attempts[sa.ExternalRef] = at
	}
	return nil
}

func (st *restoredState) restoreWebhooks(snap Snapshot) error {
	ws := &st.webhooks
	seen := dupes{}
	for i, sub := range snap.WebhookSubscriptions {
		if err := seen.check("webhookSubscriptions", i, "accountId", sub.AccountID); err != nil {
			return err
		}
		if err := st.needAccount("webhookSubscriptions", i, sub.AccountID); err != nil {
			return err
		}
		types, e := checkWebhookSubscription(sub.URL, sub.EventTypes)
		if e != nil {
			return fmt.Errorf("webhookSubscriptions[%d]: %s", i, e.Message)
		}
		ws.subs[sub.AccountID] = &webhookSubscription{URL: sub.URL, EventTypes: types, CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt}
	}
	seen = dupes{}
	for i, n := range snap.WebhookNotifications {
		if err := seen.check("webhookNotifications", i, "id", n.ID); err != nil {
			return err
		}
		if err := st.needAccount("webhookNotifications", i, n.AccountID); err != nil {
			return err
		}
		switch n.State {
		case webhookPending, webhookDelivered, webhookFailed:
		default:
			return fmt.Errorf("webhookNotifications[%d]: state %q is not %s, %s or %s", i, n.State, webhookPending, webhookDelivered, webhookFailed)
		}
		if !slices.Contains(webhookEventTypes, n.Type) {
			return fmt.Errorf("webhookNotifications[%d]: type %q is not a webhook event type", i, n.Type)
		}
		if !json.Valid(n.Body) {
			return fmt.Errorf("webhookNotifications[%d]: body is not JSON", i)
		}
		ws.notes[n.AccountID] = append(ws.notes[n.AccountID], &webhookNotification{
			id: n.ID, accountID: n.AccountID, eventType: n.Type, createdAt: n.CreatedAt, body: slices.Clone([]byte(n.Body)),
			state: n.State, attempts: n.Attempts, lastStatus: n.LastStatus, lastError: n.LastError, lastURL: n.LastURL,
			nextAttemptAt: n.NextAttemptAt, deliveredAt: n.DeliveredAt,
		})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Deep copies. The store never changes a slice or pointee in place once it
// is stored, but values handed out or taken in must not share memory with
// the store.

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneWallet(w Wallet) Wallet {
	w.AssetTypes = slices.Clone(w.AssetTypes)
	return w
}

func cloneMerchant(m Merchant) Merchant {
	if m.Location != nil {
		loc := *m.Location
		loc.Lat, loc.Lng = clonePtr(loc.Lat), clonePtr(loc.Lng)
		m.Location = &loc
	}
	return m
}

func cloneLineItems(items []LineItem) []LineItem {
	if items == nil {
		return nil
	}
	out := make([]LineItem, len(items))
	for i, it := range items {
		it.Discount = clonePtr(it.Discount)
		if it.Classification != nil {
			c := *it.Classification
			if c.Props != nil {
				c.Props = cloneJSONValue(c.Props).(map[string]any)
			}
			it.Classification = &c
		}
		out[i] = it
	}
	return out
}

// cloneJSONValue copies a value decoded from JSON into an any.
func cloneJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSONValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSONValue(e)
		}
		return out
	}
	return v
}

func clonePaidBy(pb *PaidBy) *PaidBy {
	if pb == nil {
		return nil
	}
	return &PaidBy{AssetTotals: slices.Clone(pb.AssetTotals)}
}

// clonePaymentRequest copies the fields a payment request shows; the ones
// the wire does not show are left zero.
func clonePaymentRequest(pr PaymentRequest) PaymentRequest {
	out := pr
	out.createdBy, out.merchantAccountID, out.seq, out.voidActivityID = "", "", 0, ""
	out.payments, out.attempts = nil, nil
	if pr.PaymentOptions != nil {
		out.PaymentOptions = make([]PaymentOption, len(pr.PaymentOptions))
		for i, o := range pr.PaymentOptions {
			if o.AcceptedCollections != nil {
				cols := make([]AcceptedCollection, len(o.AcceptedCollections))
				for j, c := range o.AcceptedCollections {
					cols[j] = AcceptedCollection{ID: c.ID, LineItems: cloneLineItems(c.LineItems)}
				}
				o.AcceptedCollections = cols
			}
			out.PaymentOptions[i] = o
		}
	}
	out.LineItems = cloneLineItems(pr.LineItems)
	out.MerchantConditions = slices.Clone(pr.MerchantConditions)
	out.PaidBy = clonePaidBy(pr.PaidBy)
	out.PartialAllowed, out.BasketAmount = clonePtr(pr.PartialAllowed), clonePtr(pr.BasketAmount)
	out.ConditionsEnabled, out.PatronNotPresent, out.PreAuth = clonePtr(pr.ConditionsEnabled), clonePtr(pr.PatronNotPresent), clonePtr(pr.PreAuth)
	return out
}

// cloneActivity copies the fields an activity shows; seq and fingerprint
// are left zero.
func cloneActivity(a PaymentActivity) PaymentActivity {
	out := a
	out.seq, out.fingerprint = 0, ""
	out.External, out.PreAuth = clonePtr(a.External), clonePtr(a.PreAuth)
	out.LineItems = cloneLineItems(a.LineItems)
	out.PaidBy = clonePaidBy(a.PaidBy)
	if a.Strategy != nil {
		out.Strategy = &RefundStrategy{Refunds: slices.Clone(a.Strategy.Refunds)}
	}
	return out
}
