package mockcentrapay

// merchantState is the merchants area's state; see MemStore.
type merchantState struct{}

func newMerchantState() merchantState { return merchantState{} }

func (s *MemStore) seedMerchants(cfg Config) error { return nil }
