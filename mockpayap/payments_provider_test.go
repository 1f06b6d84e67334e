package mockpayap_test

import (
	"net/http"
	"testing"

	"github.com/payap/payap-sandbox/internal/clock"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// Spend end to end with the real mock provider: its /pay, /get, /cancel and
// /refund, checking the Payap JWTs against the mock Payap's served JWKS,
// and the fake Centrapay.

// payRealEnv is a mock Payap, the real mock provider (which checks Payap's
// JWTs) and the fake Centrapay, the demo user connected.
type payRealEnv struct {
	*env
	CP    *payCentrapay
	token string
	entry map[string]string // provider asset id → wallet entry id
}

func newPayRealEnv(t *testing.T) *payRealEnv {
	t.Helper()
	clk := clock.NewFrozen(start)
	cp := newPayCentrapay(t, clk)
	psrv := reservePayap(t)
	prov := startProvider(t, clk, serverURL(psrv)+"/callback", func(c *mockprovider.Config) {
		c.PayapJWKSURL = serverURL(psrv) + "/.well-known/jwks.json"
	})
	p := startPayap(t, psrv, clk, prov.URL, func(c *mockpayap.Config) { c.CentrapayURL = cp.URL })
	e := &payRealEnv{env: &env{payapPeer: p, t: t, Clock: clk, Provider: prov}, CP: cp, entry: map[string]string{}}
	e.token = e.demo()
	for _, we := range e.connect(e.token, demoDecision).WalletEntries {
		e.entry[we.AssetID] = we.ID
	}
	return e
}

// pay pays a payment request of amount cents with a provider asset.
func (e *payRealEnv) pay(prID, amount, assetID string) payment {
	e.t.Helper()
	e.CP.setPR(prID, func(pr map[string]any) {
		pr["value"] = map[string]any{"amount": amount, "currency": "NZD"}
		pr["remainingAmount"] = amount
		pr["paymentOptions"] = []any{map[string]any{"assetType": "payap-example.test", "amount": amount}}
	})
	var p payment
	e.do(http.MethodPost, "/api/payments", e.token, map[string]string{"paymentRequestId": prID, "walletEntryId": e.entry[assetID]}).want(http.StatusCreated, &p)
	return p
}

// refund sends a contract (3) refund signed by the fake Centrapay.
func (e *payRealEnv) refund(body string) *result {
	e.t.Helper()
	jwt, err := e.CP.Signer.Sign(e.URL, []byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, "/centrapay/refunds", "", body, withHeader("Authorization", jwt))
}

func (e *payRealEnv) balance(assetID string) string {
	e.t.Helper()
	var it walletItem
	e.do(http.MethodGet, "/api/wallet/"+e.entry[assetID], e.token, nil).want(http.StatusOK, &it)
	if it.Balance == nil {
		e.t.Fatalf("entry %+v has no balance", it)
	}
	return *it.Balance
}

func TestSpendWithTheRealProvider(t *testing.T) {
	e := newPayRealEnv(t)

	// Pay at once, then refund in part, twice the same, then too much.
	p := e.pay("PrReal1", "500", "12345")
	if p.Status != "successful" || p.CentrapayStatus != "recorded" {
		t.Fatalf("payment %+v, want successful and recorded", p)
	}
	if b := e.balance("12345"); b != "4500" {
		t.Errorf("balance after paying 500: %s, want 4500", b)
	}
	var ans map[string]any
	for range 2 {
		e.refund(payRefundBody("rf_real_1", p.TransactionID, "200")).want(http.StatusOK, &ans)
		if ans["status"] != "successful" {
			t.Fatalf("refund: %v", ans)
		}
	}
	if b := e.balance("12345"); b != "4700" {
		t.Errorf("balance after refunding 200 (twice the same refund): %s, want 4700", b)
	}
	e.refund(payRefundBody("rf_real_2", p.TransactionID, "400")).want(http.StatusOK, &ans)
	if ans["status"] != "failed" || ans["failureReason"] == nil {
		t.Errorf("refunding more than is left: %v, want failed with the provider's reason", ans)
	}

	// Too little on the asset.
	if p := e.pay("PrReal2", "900000", "12345"); p.Status != "failed" || p.FailureReason != "INSUFFICIENT_ASSET_VALUE" {
		t.Errorf("payment %+v, want failed INSUFFICIENT_ASSET_VALUE", p)
	}

	// Slow Points answer pending and succeed on the second poll.
	slow := e.pay("PrReal3", "300", mockprovider.PendingAssetID)
	if slow.Status != "successful" || slow.CentrapayStatus != "recorded" {
		t.Errorf("slow payment %+v, want successful after polling", slow)
	}
	if txn, ok := e.Provider.Store.Transaction(slow.TransactionID); !ok || txn.Polls != 2 {
		t.Errorf("provider transaction %+v, want resolved by 2 polls", txn)
	}

	// A pending payment whose request expires is cancelled at the provider.
	reads := 0
	e.CP.set(func(cp *payCentrapay) {
		cp.OnRead = func(_ int, pr map[string]any) {
			if pr["id"] == "PrReal4" {
				if reads++; reads == 2 { // the read before the first poll
					pr["status"] = "expired"
				}
			}
		}
	})
	before := e.balance(mockprovider.PendingAssetID)
	exp := e.pay("PrReal4", "700", mockprovider.PendingAssetID)
	if exp.Status != "failed" || exp.FailureReason != "REQUEST_EXPIRED" || exp.ProviderFailureReason != "PAYMENT_REQUEST_EXPIRED" {
		t.Fatalf("payment %+v, want failed REQUEST_EXPIRED", exp)
	}
	if txn, _ := e.Provider.Store.Transaction(exp.TransactionID); txn.Attempt.Status != "failed" || txn.Attempt.FailureReason != "PAYMENT_REQUEST_EXPIRED" {
		t.Errorf("provider transaction %+v, want cancelled", txn.Attempt)
	}
	if after := e.balance(mockprovider.PendingAssetID); after != before {
		t.Errorf("balance %s after a cancelled payment, want %s (the hold given back)", after, before)
	}

	// The JWT probe: the real provider rejects every fault it must.
	for _, fault := range []string{"none", "wrong_aud", "expired", "tampered_body", "no_body_hash", "unknown_kid", "wrong_key", "alg_none", "hs256_public_key", "other_alg", "string_dates"} {
		for _, endpoint := range []string{"get", "refund", "cancel"} {
			var out probeResult
			e.do(http.MethodPost, "/api/sandbox/jwt-probe", e.token, map[string]string{"assetType": defaultAssetType, "endpoint": endpoint, "fault": fault, "transactionId": p.TransactionID}).
				want(http.StatusOK, &out)
			if out.Verdict != "pass" {
				t.Errorf("probe %s on %s: the real provider answered %d %s; expected it to %s", fault, endpoint, out.Response.Status, out.Response.Body, out.Expect)
			}
		}
	}
}
