package mockcentrapay

// paymentState is the payments area's state; see MemStore.
type paymentState struct{}

func newPaymentState() paymentState { return paymentState{} }

func (s *MemStore) seedPayments(cfg Config) error { return nil }
