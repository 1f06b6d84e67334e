package mockprovider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// TestPayRace fires 200 distinct payments of 100 at an asset holding 10,000,
// and at the same moment 200 retries of the same transaction ids, over a
// real loopback server. Exactly 100 payments succeed, the others fail with
// INSUFFICIENT_ASSET_VALUE, the balance ends at exactly 0, and every retry
// gets the same bytes as its original, whichever arrived first.
//
// Payments only ever debit, so a final balance of exactly 0 after exactly
// 100 successful debits of 100 means the balance never went below 0.
func TestPayRace(t *testing.T) {
	const (
		n       = 200
		amount  = 100
		balance = 10_000
		asset   = "12345"
	)
	h := newPayHarness(t)
	tok := h.payToken()
	if err := h.store.SetBalance(asset, balance); err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 2 * n}
	client := &http.Client{Transport: transport}
	defer transport.CloseIdleConnections()

	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, 2*n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Request i and request i+n carry the same transaction and body.
			body := payBody(fmt.Sprintf("race-%03d", i%n), asset, fmt.Sprint(amount))
			req, err := http.NewRequest(http.MethodPost, h.issuer+"/pay", bytes.NewReader(body))
			if err != nil {
				results[i].err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			<-ready
			resp, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results[i] = result{status: resp.StatusCode, body: b, err: err}
		}()
	}
	close(ready)
	wg.Wait()

	successful := 0
	for i := range n {
		first, replay := results[i], results[i+n]
		for _, r := range []result{first, replay} {
			if r.err != nil || r.status != http.StatusOK {
				t.Fatalf("race-%03d: status %d err %v body %s", i, r.status, r.err, r.body)
			}
		}
		if !bytes.Equal(first.body, replay.body) {
			t.Errorf("race-%03d: the two answers differ:\n %s\n %s", i, first.body, replay.body)
		}
		var a Attempt
		if err := json.Unmarshal(first.body, &a); err != nil {
			t.Fatalf("race-%03d: %s: %v", i, first.body, err)
		}
		switch {
		case a.Status == StatusSuccessful:
			successful++
		case a.Status == StatusFailed && a.FailureReason == ReasonInsufficientValue:
		default:
			t.Errorf("race-%03d: %s, want successful or failed with %s", i, first.body, ReasonInsufficientValue)
		}
	}
	if successful != balance/amount {
		t.Errorf("%d payments succeeded, want exactly %d", successful, balance/amount)
	}
	if got := h.balance(asset); got != 0 {
		t.Errorf("balance %d, want exactly 0", got)
	}
	if got := len(h.store.Transactions()); got != n {
		t.Errorf("%d transactions stored, want %d (one per transaction id)", got, n)
	}
	var debited int64
	for _, tx := range h.store.Transactions() {
		if tx.Attempt.Status == StatusSuccessful {
			debited += tx.Amount
		}
	}
	if debited != balance {
		t.Errorf("successful transactions total %d, want %d", debited, balance)
	}
}
