package mockprovider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Transaction is one payment or refund as the provider keeps it.
type Transaction struct {
	// Attempt is the transaction as GET /get answers it now.
	Attempt Attempt `json:"attempt"`
	// UserID is the paying user; for a refund, the payment's user ("" when
	// the payment was unknown).
	UserID string `json:"userId,omitempty"`
	// AssetID is the asset debited, held or credited; "" when none was.
	AssetID string `json:"assetId,omitempty"`
	// Amount is Attempt.Amount in minor units.
	Amount    int64     `json:"amountMinor"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Polls counts GET /get calls while pending; PollsNeeded is the asset's
	// PendingPolls when it was paid, or a PayOverride's ResolveAfterPolls
	// (0 for a payment that never pended).
	Polls       int `json:"polls,omitempty"`
	PollsNeeded int `json:"pollsNeeded,omitempty"`
	// ResolvesTo is what a pending payment turns into on its PollsNeeded-th
	// poll: "" or successful, or failed with ResolveFailureReason (set by a
	// PayOverride).
	ResolvesTo           string `json:"resolvesTo,omitempty"`
	ResolveFailureReason string `json:"resolveFailureReason,omitempty"`
	// Held is true while a pending payment's amount is held on the asset.
	Held bool `json:"held,omitempty"`
	// Refunded is, for a payment, the sum of its successful refunds.
	Refunded int64 `json:"refunded,omitempty"`
	// CancelReason is the reason a cancel failed the payment with.
	CancelReason string `json:"cancelReason,omitempty"`

	seq int
}

// clone copies t so that no caller shares the store's pointers.
func (t Transaction) clone() Transaction {
	t.Attempt.MerchantLocation = bytes.Clone(t.Attempt.MerchantLocation)
	if t.Attempt.Refundable != nil {
		t.Attempt.Refundable = boolPtr(*t.Attempt.Refundable)
	}
	return t
}

// txnRecord is a stored transaction plus what only the store needs.
type txnRecord struct {
	Transaction
	// refundWindow is the Config.RefundWindow the payment was made under,
	// applied when a pending payment resolves.
	refundWindow time.Duration
	// answer is the first 200 body of /pay or /refund, replayed byte for
	// byte on a repeat; cancelAnswer is the first /cancel answer.
	answer       []byte
	cancelAnswer []byte
}

// PayInput is a validated /pay request.
type PayInput struct {
	// UserID is the access token's user.
	UserID string
	// Attempt holds the request's attempt fields; Status, Type and the
	// refund fields are set by Pay.
	Attempt Attempt
	// Amount is Attempt.Amount parsed, positive.
	Amount int64
	// RefundWindow gives refundBefore = success time + RefundWindow.
	RefundWindow time.Duration
	// Override, when set, forces the outcome (the sandbox's payResult
	// fault); it must be valid (see PayOverride.Validate).
	Override *PayOverride
}

// RefundInput is a validated /refund request.
type RefundInput struct {
	TransactionID        string
	PaymentTransactionID string
	Currency             string
	// AmountText is the amount as sent; Amount is it parsed, positive.
	AmountText string
	Amount     int64
}

// stateError is a refusal whose message is written for the caller.
type stateError struct {
	kind error
	msg  string
}

func (e *stateError) Error() string { return e.msg }
func (e *stateError) Unwrap() error { return e.kind }

func refusal(kind error, format string, a ...any) error {
	return &stateError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

func render(a Attempt) []byte {
	// An Attempt always encodes: its only raw field came from the decoder.
	b, _ := json.Marshal(a)
	return b
}

// boolPtr returns a fresh pointer to b.
func boolPtr(b bool) *bool { return &b }

// succeed marks a payment successful and refundable from now.
func (r *txnRecord) succeed(now time.Time) {
	r.Attempt.Status = StatusSuccessful
	r.Attempt.FailureReason = ""
	r.Attempt.Refundable = boolPtr(true)
	r.Attempt.RefundBefore = timestamp(refundBefore(now, r.refundWindow))
	r.Held = false
	r.UpdatedAt = now
}

// refundBefore is the last instant a refund may start, at the wire's
// millisecond precision so that what is sent is exactly what is enforced.
func refundBefore(now time.Time, window time.Duration) time.Time {
	return now.Add(window).Truncate(time.Millisecond)
}

// releaseLocked gives a pending payment's hold back to its asset.
func (s *MemStore) releaseLocked(r *txnRecord) {
	if !r.Held {
		return
	}
	if a, ok := s.assets[r.AssetID]; ok {
		a.Balance += r.Amount
		s.assets[r.AssetID] = a
	}
	r.Held = false
}

func (s *MemStore) addTxnLocked(r *txnRecord, now time.Time) {
	s.txnSeq++
	r.seq = s.txnSeq
	r.CreatedAt, r.UpdatedAt = now, now
	s.txns[r.Attempt.TransactionID] = r
}

// SetAssetSettings changes an asset's payment knobs. Payments already made
// keep the PendingPolls they were made with; refunds read PartialRefunds
// when they are asked for.
func (s *MemStore) SetAssetSettings(assetID string, set AssetSettings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[assetID]
	if !ok {
		return fmt.Errorf("asset %q: %w", assetID, ErrNotFound)
	}
	a.PendingPolls, a.PartialRefunds = set.PendingPolls, set.PartialRefunds
	s.assets[assetID] = a
	return nil
}

// Pay checks and debits under one lock. Business failures are answers, not
// errors: the attempt comes back failed and is stored like any other.
func (s *MemStore) Pay(in PayInput, now time.Time) ([]byte, error) {
	id := in.Attempt.TransactionID
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.txns[id]; ok {
		switch {
		case prev.Attempt.Type != TypePayment:
			return nil, refusal(ErrTransactionIDInUse, "transactionId %s is already a %s; give each payment its own transactionId", id, prev.Attempt.Type)
		case prev.UserID != in.UserID:
			return nil, refusal(ErrTransactionIDInUse, "transactionId %s is already another user's payment; give each payment its own transactionId", id)
		}
		return bytes.Clone(prev.answer), nil
	}

	r := &txnRecord{refundWindow: in.RefundWindow}
	r.Attempt = in.Attempt
	r.Attempt.Type = TypePayment
	r.Attempt.PaymentTransactionID, r.Attempt.FailureReason, r.Attempt.Refundable, r.Attempt.RefundBefore = "", "", nil, ""
	r.UserID = in.UserID
	r.Amount = in.Amount

	if o := in.Override; o != nil && o.Status == StatusFailed {
		// A forced failure charges nothing, whatever the asset.
		r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, o.FailureReason
		s.addTxnLocked(r, now)
		r.answer = render(r.Attempt)
		return bytes.Clone(r.answer), nil
	}

	a, ok := s.assets[in.Attempt.Authorization]
	switch {
	case !ok || a.UserID != in.UserID || a.Currency != in.Attempt.Currency:
		// An unknown asset, another user's and a foreign currency look the
		// same, so a token cannot probe which asset ids exist.
		r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, ReasonRedemptionDenied
	case a.Balance < in.Amount:
		r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, ReasonInsufficientValue
	default:
		a.Balance -= in.Amount
		s.assets[a.ID] = a
		r.AssetID = a.ID
		if o := in.Override; o != nil && o.Status == StatusPending {
			r.Attempt.Status = StatusPending
			r.Held = true
			r.PollsNeeded = o.ResolveAfterPolls
			r.ResolvesTo, r.ResolveFailureReason = o.Then, o.FailureReason
		} else if a.PendingPolls > 0 {
			r.Attempt.Status = StatusPending
			r.Held = true
			r.PollsNeeded = a.PendingPolls
		} else {
			r.succeed(now)
		}
	}
	s.addTxnLocked(r, now)
	r.answer = render(r.Attempt)
	return bytes.Clone(r.answer), nil
}

// Refund checks a refund against its payment and credits the asset.
func (s *MemStore) Refund(in RefundInput, now time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.txns[in.TransactionID]; ok {
		if prev.Attempt.Type != TypeRefund {
			return nil, refusal(ErrTransactionIDInUse, "transactionId %s is already a %s; give the refund its own transactionId", in.TransactionID, prev.Attempt.Type)
		}
		return bytes.Clone(prev.answer), nil
	}

	r := &txnRecord{}
	r.Amount = in.Amount
	r.Attempt = Attempt{
		Currency:             in.Currency,
		Amount:               in.AmountText,
		TransactionID:        in.TransactionID,
		PaymentTransactionID: in.PaymentTransactionID,
		Type:                 TypeRefund,
	}
	fail := func(reason string) []byte {
		r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, reason
		s.addTxnLocked(r, now)
		r.answer = render(r.Attempt)
		return bytes.Clone(r.answer)
	}

	pay, ok := s.txns[in.PaymentTransactionID]
	if !ok || pay.Attempt.Type != TypePayment {
		return fail(ReasonRedemptionDenied), nil
	}
	pa := pay.Attempt
	r.UserID = pay.UserID
	r.Attempt.Authorization, r.Attempt.MerchantName, r.Attempt.MerchantID = pa.Authorization, pa.MerchantName, pa.MerchantID
	r.Attempt.MerchantCategoryCode, r.Attempt.MerchantLocation, r.Attempt.PaymentRequestID = pa.MerchantCategoryCode, pa.MerchantLocation, pa.PaymentRequestID

	asset, assetOK := s.assets[pay.AssetID]
	remaining := pay.Amount - pay.Refunded
	switch {
	case pa.Status != StatusSuccessful || !assetOK || in.Currency != pa.Currency:
		return fail(ReasonRedemptionDenied), nil
	case pa.Refundable == nil || !*pa.Refundable:
		return fail(ReasonRefundNotAllowed), nil
	case pa.RefundBefore != "" && now.After(mustTimestamp(pa.RefundBefore)):
		return fail(ReasonRefundWindowExceeded), nil
	case in.Amount > remaining:
		return fail(ReasonRefundAmountExceeded), nil
	case in.Amount < remaining && !asset.PartialRefunds:
		return fail(ReasonPartialRefunds), nil
	}
	asset.Balance += in.Amount
	s.assets[asset.ID] = asset
	pay.Refunded += in.Amount
	pay.UpdatedAt = now
	r.AssetID = asset.ID
	r.Attempt.Status = StatusSuccessful
	s.addTxnLocked(r, now)
	r.answer = render(r.Attempt)
	return bytes.Clone(r.answer), nil
}

// mustTimestamp parses a timestamp this package wrote.
func mustTimestamp(s string) time.Time {
	t, _ := time.Parse(timestampLayout, s)
	return t
}

// Cancel fails a pending payment with reason and releases its hold.
func (s *MemStore) Cancel(transactionID, reason string, now time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.txns[transactionID]
	switch {
	case !ok:
		return nil, fmt.Errorf("transaction %s: %w", transactionID, ErrNotFound)
	case r.CancelReason != "":
		if r.CancelReason == reason {
			return bytes.Clone(r.cancelAnswer), nil
		}
		return nil, refusal(ErrNotPending, "transaction %s was already cancelled with %s; only a pending payment can be cancelled", transactionID, r.CancelReason)
	case r.Attempt.Type != TypePayment || r.Attempt.Status != StatusPending:
		return nil, refusal(ErrNotPending, "transaction %s is %s; only a pending payment can be cancelled", transactionID, describeState(r.Attempt))
	}
	s.releaseLocked(r)
	r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, reason
	r.CancelReason = reason
	r.UpdatedAt = now
	r.cancelAnswer = render(r.Attempt)
	return bytes.Clone(r.cancelAnswer), nil
}

// describeState names a transaction's state for a refusal: its status, and
// "a refund" for refunds, which are never pending.
func describeState(a Attempt) string {
	if a.Type == TypeRefund {
		return "a " + a.Status + " refund"
	}
	return a.Status
}

// PollTransaction returns the current attempt. With count, a pending payment
// counts a poll and resolves on its PollsNeeded-th: successful, or failed
// with its hold released when a PayOverride said so.
func (s *MemStore) PollTransaction(transactionID string, count bool, now time.Time) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.txns[transactionID]
	if !ok {
		return nil, false
	}
	if count && r.Attempt.Status == StatusPending {
		r.Polls++
		r.UpdatedAt = now
		switch {
		case r.Polls < r.PollsNeeded:
		case r.ResolvesTo == StatusFailed:
			s.releaseLocked(r)
			r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, r.ResolveFailureReason
		default:
			r.succeed(now)
		}
	}
	return render(r.Attempt), true
}

// ResolveTransaction settles a pending payment by hand (the sandbox's
// "resolve" knob): successful makes it refundable from now; failed needs a
// reason and releases the hold.
func (s *MemStore) ResolveTransaction(transactionID, status, failureReason string, now time.Time) error {
	switch status {
	case StatusSuccessful:
		if failureReason != "" {
			return fmt.Errorf("a successful transaction has no failure reason (got %q)", failureReason)
		}
	case StatusFailed:
		if failureReason == "" {
			return fmt.Errorf("resolving %s as failed needs a failure reason, e.g. %s", transactionID, ReasonRedemptionDenied)
		}
	default:
		return fmt.Errorf("status %q: resolve a pending transaction as %s or %s", status, StatusSuccessful, StatusFailed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.txns[transactionID]
	switch {
	case !ok:
		return fmt.Errorf("transaction %s: %w", transactionID, ErrNotFound)
	case r.Attempt.Type != TypePayment || r.Attempt.Status != StatusPending:
		return refusal(ErrNotPending, "transaction %s is %s; only a pending payment can be resolved", transactionID, describeState(r.Attempt))
	}
	if status == StatusSuccessful {
		r.succeed(now)
		return nil
	}
	s.releaseLocked(r)
	r.Attempt.Status, r.Attempt.FailureReason = StatusFailed, failureReason
	r.UpdatedAt = now
	return nil
}

// Transaction returns one stored payment or refund.
func (s *MemStore) Transaction(id string) (Transaction, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.txns[id]
	if !ok {
		return Transaction{}, false
	}
	return r.Transaction.clone(), true
}

// Transactions returns every payment and refund, oldest first.
func (s *MemStore) Transactions() []Transaction {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Transaction, 0, len(s.txns))
	for _, r := range s.txns {
		out = append(out, r.Transaction.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}
