package mockcentrapay

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// prPayConcurrently sends n payments at once, the i-th with body(i), and
// returns the recorders.
func prPayConcurrently(e *prEnv, id string, n int, body func(i int) prBody) []*httptest.ResponseRecorder {
	recs := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			// e.do calls t.Helper and t.Fatalf only on encoding failures,
			// which these bodies never have.
			recs[i] = e.do(http.MethodPost, "/api/payment-requests/"+id+"/pay", PatronOwnerKey, body(i))
		})
	}
	close(start)
	wg.Wait()
	return recs
}

func TestConcurrentPayments(t *testing.T) {
	t.Run("20 partial payments of 100 on a 1000 request: exactly 10 succeed", func(t *testing.T) {
		e := prNew(t)
		pr := e.create(prCreateBody().with("partialAllowed", true, "basketAmount", "1000"))
		recs := prPayConcurrently(e, pr.ID, 20, func(i int) prBody {
			return prPayBody(fmt.Sprintf("k-%02d", i)).with("mode", ModePartialPayment, "amount", "100")
		})
		ok, paid := 0, 0
		for _, rec := range recs {
			switch rec.Code {
			case http.StatusOK:
				ok++
			default:
				prWantError(t, rec, http.StatusForbidden, "REQUEST_PAID", true)
				paid++
			}
		}
		if ok != 10 || paid != 10 {
			t.Fatalf("%d succeeded, %d REQUEST_PAID; want 10 and 10", ok, paid)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance-1000 {
			t.Errorf("balance %d, want %d", b, patronSeedBalance-1000)
		}
		got := e.get(pr.ID)
		if got.Status != PRStatusPaid || got.RemainingAmount != 0 || got.PaidBy.AssetTotals[0].Total.Amount != 1000 {
			t.Errorf("request %s remaining %d", got.Status, got.RemainingAmount)
		}
		if n := len(e.notifications()); n != 1 {
			t.Errorf("%d paid notifications, want 1", n)
		}
	})
	t.Run("20 full payments of requests larger than the balance allows: never negative", func(t *testing.T) {
		e := prNew(t)
		// Each pays 7000 of its own request; the quota (80000) allows 11,
		// the balance (100000) 14: exactly 11 succeed.
		ids := make([]string, 20)
		for i := range ids {
			ids[i] = e.create(prCreateBody().with("value", prMoney("7000"))).ID
		}
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range ids {
			wg.Go(func() {
				codes[i] = e.do(http.MethodPost, "/api/payment-requests/"+ids[i]+"/pay", PatronOwnerKey, prPayBody("k")).Code
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			}
		}
		if ok != 11 {
			t.Errorf("%d succeeded, want 11", ok)
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance-Amount(ok)*7000 || b < 0 {
			t.Errorf("balance %d after %d payments", b, ok)
		}
	})
	t.Run("20 retries with the same key: one payment", func(t *testing.T) {
		e := prNew(t)
		pr := e.create(prCreateBody())
		recs := prPayConcurrently(e, pr.ID, 20, func(int) prBody { return prPayBody("same") })
		var id string
		for _, rec := range recs {
			a := prDecode[PaymentActivity](t, rec)
			if id == "" {
				id = a.ID
			}
			if a.ID != id {
				t.Fatalf("activities %s and %s for one key", id, a.ID)
			}
		}
		if b := e.balance(PatronAssetID); b != patronSeedBalance-1000 {
			t.Errorf("balance %d", b)
		}
	})
	t.Run("refunds racing a void never return more than was paid", func(t *testing.T) {
		e := prNew(t)
		pr := e.paid("1000")
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() { e.refund(pr.ID, "150", fmt.Sprintf("r-%d", i)) })
		}
		wg.Go(func() { e.void(pr.ID) })
		wg.Wait()
		if b := e.balance(PatronAssetID); b != patronSeedBalance {
			t.Errorf("balance %d, want %d (everything back, nothing more)", b, patronSeedBalance)
		}
	})
}
