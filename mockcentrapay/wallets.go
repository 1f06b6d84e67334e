package mockcentrapay

// walletState is the wallets area's state; see MemStore.
type walletState struct{}

func newWalletState() walletState { return walletState{} }

func (s *MemStore) seedWallets(cfg Config) error { return nil }
