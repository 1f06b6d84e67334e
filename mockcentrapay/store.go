package mockcentrapay

import "sync"

// MemStore holds the mock Centrapay's state behind one mutex. Each area
// keeps its maps in its own state struct, defined in the area's file, and
// reaches them only through MemStore methods that take s.mu, so that an
// operation spanning areas (a payment touching a request, an asset, the
// activities and a webhook) is atomic.
type MemStore struct {
	mu  sync.Mutex
	ids *ids

	accounts map[string]Account
	keys     map[string]APIKey // by secret

	wallets   walletState   // wallets, asset types, media uploads (wallets.go, media.go)
	merchants merchantState // merchants, configs, connections (merchants.go, connections.go)
	payments  paymentState  // payment requests, activities, patron assets (payments.go)
	webhooks  webhookState  // subscriptions and notifications (webhooks.go)
}

// NewMemStore returns an empty store whose ids come from seed.
func NewMemStore(seed int64) *MemStore {
	return &MemStore{
		ids:       newIDs(seed),
		accounts:  map[string]Account{},
		keys:      map[string]APIKey{},
		wallets:   newWalletState(),
		merchants: newMerchantState(),
		payments:  newPaymentState(),
		webhooks:  newWebhookState(),
	}
}

func (s *MemStore) apiKey(secret string) (APIKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[secret]
	return k, ok
}

func (s *MemStore) account(id string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	return a, ok
}

// AddAccount adds an account.
func (s *MemStore) AddAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[a.ID] = a
}

// AddAPIKey adds an API key to an account.
func (s *MemStore) AddAPIKey(k APIKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.Secret] = k
}

// APIKeys lists the keys, for the start-up banner.
func (s *MemStore) APIKeys() []APIKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]APIKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	sortBy(out, func(k APIKey) string { return k.AccountID + k.Name })
	return out
}
