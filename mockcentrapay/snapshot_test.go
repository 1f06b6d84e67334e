package mockcentrapay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// h3JSON round-trips a snapshot through JSON, as a --state file does.
func h3JSON(t *testing.T, snap Snapshot) Snapshot {
	t.Helper()
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatalf("marshal snapshot: %v", err)
	}
	var out Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal snapshot: %v", err)
	}
	return out
}

// h3Bytes is a store's snapshot as JSON, to compare whole states.
func h3Bytes(t *testing.T, st *MemStore) []byte {
	t.Helper()
	b, err := json.Marshal(st.Snapshot())
	if err != nil {
		t.Fatalf("marshal snapshot: %v", err)
	}
	return b
}

// h3Raw is a GET's body, checked to be a 200.
func h3Raw(t *testing.T, e *prEnv, path, key string) string {
	t.Helper()
	rec := e.do(http.MethodGet, path, key, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestH3SnapshotRoundTrip(t *testing.T) {
	e := woNew(t, woSafety)

	// State built through the API: a request paid from the patron's asset
	// and partly refunded; one recorded by the wallet operator, partly
	// refunded through it, with a second refund left in doubt (502); an
	// expired request; a connection; a fixture merchant, wallet and key.
	held := e.paid("1500")
	prDecode[PaymentActivity](t, e.refund(held.ID, "500", "held-ref-1"))
	third := e.payapPaid("1000", "prov-tx-1")
	prDecode[PaymentActivity](t, e.refund(third.ID, "300", "tp-ref-1"))
	e.op.set(woServerDown)
	prWantError(t, e.refund(third.ID, "200", "tp-ref-2"), 403, "REFUND_DECLINED", true)
	inDoubtID := e.op.requests()[1].Body["refundId"]
	e.op.set(woSuccessful)
	expiring := e.create(prCreateBody().with("expirySeconds", 60))
	e.advance(2 * time.Minute)
	cn := prObject(t, e.do(http.MethodPost, "/api/connections", MerchantTerminalKey, map[string]any{"merchantId": SandboxMerchantID}))
	merchantID, configID, err := e.st.AddMerchant(MerchantFixture{Name: "Cafe", ExternalMerchantID: "cafe"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	walletID, walletAccount, err := e.st.AddWallet(WalletFixture{Name: "Acme Pay"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddAPIKeyFor("acme-owner-key", RoleAccountOwner, walletAccount, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	onFixture := e.create(prCreateBody().with("configId", configID))
	connected := e.create(prCreateBody().with("connectionId", cn["id"]))
	prObject(t, e.do(http.MethodPut, "/api/webhook-subscriptions", PayapOwnerKey,
		map[string]any{"url": "https://payap.example/hooks", "eventTypes": []string{WebhookEventPaid}}))

	// Restore into a fresh store, made with the same seed, behind a fresh
	// handler whose clock reads the same time.
	snap := h3JSON(t, e.st.Snapshot())
	f := woNew(t, woSafety)
	f.advance(2 * time.Minute)
	if err := f.st.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}

	t.Run("the whole state is the same", func(t *testing.T) {
		if a, b := h3Bytes(t, e.st), h3Bytes(t, f.st); !bytes.Equal(a, b) {
			t.Fatalf("snapshots differ after the restore:\n%s\n%s", a, b)
		}
	})
	t.Run("payment requests and activities answer the same", func(t *testing.T) {
		for _, id := range []string{held.ID, third.ID, expiring.ID, onFixture.ID, connected.ID} {
			for _, path := range []string{"/api/payment-requests/" + id, "/api/payment-requests/" + id + "/activities"} {
				if a, b := h3Raw(t, e.prEnv, path, MerchantTerminalKey), h3Raw(t, f.prEnv, path, MerchantTerminalKey); a != b {
					t.Errorf("GET %s differs:\n%s\n%s", path, a, b)
				}
			}
		}
		if got := f.get(expiring.ID).Status; got != PRStatusExpired {
			t.Errorf("expired request is %s", got)
		}
		path := "/api/payment-activities?merchantId=" + SandboxMerchantID
		if a, b := h3Raw(t, e.prEnv, path, MerchantOwnerKey), h3Raw(t, f.prEnv, path, MerchantOwnerKey); a != b {
			t.Errorf("GET %s differs:\n%s\n%s", path, a, b)
		}
		short := "/api/payment-requests/short-code/" + held.ShortCode
		if a, b := h3Raw(t, e.prEnv, short, MerchantTerminalKey), h3Raw(t, f.prEnv, short, MerchantTerminalKey); a != b {
			t.Errorf("GET %s differs", short)
		}
	})
	t.Run("webhook notifications, pending ones included, are kept", func(t *testing.T) {
		for _, key := range []string{MerchantOwnerKey, PayapOwnerKey} {
			for _, path := range []string{"/api/webhook-notifications", "/api/webhook-subscriptions"} {
				if a, b := h3Raw(t, e.prEnv, path, key), h3Raw(t, f.prEnv, path, key); a != b {
					t.Errorf("GET %s as %s differs:\n%s\n%s", path, key, a, b)
				}
			}
		}
		if ns := f.notifications(); len(ns) == 0 {
			t.Error("no notifications after the restore")
		}
	})
	t.Run("API keys still authenticate", func(t *testing.T) {
		for _, key := range []string{MerchantOwnerKey, MerchantTerminalKey, PayapOwnerKey, PatronOwnerKey, "acme-owner-key"} {
			h3Raw(t, f.prEnv, "/api/asset-types", key)
		}
		w := prDecode[Wallet](t, f.do(http.MethodGet, "/api/wallets/"+walletID, "acme-owner-key", nil))
		if w.AccountID != walletAccount {
			t.Errorf("wallet %+v", w)
		}
		h3Raw(t, f.prEnv, "/api/merchants/"+merchantID, MerchantOwnerKey)
	})
	t.Run("new ids continue the sequence and do not collide", func(t *testing.T) {
		a, b := e.create(prCreateBody()), f.create(prCreateBody())
		if a.ID != b.ID || a.ShortCode != b.ShortCode {
			t.Errorf("new request %s (%s) after the restore, %s (%s) in the original", b.ID, b.ShortCode, a.ID, a.ShortCode)
		}
		for _, pr := range snap.PaymentRequests {
			if pr.ID == b.ID {
				t.Fatalf("new request id %s collides with a restored one", b.ID)
			}
		}
		if list := f.st.PaymentRequests(f.clock.Now()); len(list) != len(snap.PaymentRequests)+1 || list[0].ID != b.ID {
			t.Errorf("PaymentRequests lists %d, newest %s", len(list), list[0].ID)
		}
	})
	t.Run("refunds and payments go on", func(t *testing.T) {
		// The refund left in doubt resumes: same externalRef and amount, the
		// same refundId to the (new) wallet operator.
		refund := prDecode[PaymentActivity](t, f.refund(third.ID, "200", "tp-ref-2"))
		reqs := f.op.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d operator calls, want 1", len(reqs))
		}
		f.wantCall(reqs[0], inDoubtID, "prov-tx-1", third.ID, "200")
		if refund.ID+"-1" != inDoubtID {
			t.Errorf("refund %s, the first call sent refundId %s", refund.ID, inDoubtID)
		}
		prWantError(t, f.refund(third.ID, "501", "tp-ref-3"), 403, "INVALID_AMOUNT", true)
		prDecode[PaymentActivity](t, f.refund(held.ID, "1000", "held-ref-2"))
		prWantError(t, f.refund(held.ID, "1", "held-ref-3"), 403, "ALREADY_REFUNDED", true)
		// Idempotent replays still answer the stored payment.
		replay := prDecode[PaymentActivity](t, f.pay(held.ID, prPayBody("pay-"+held.ID)))
		if i := slices.IndexFunc(e.activities(held.ID), func(a PaymentActivity) bool { return a.ID == replay.ID }); i < 0 || replay.Type != ActivityPayment {
			t.Errorf("replayed payment %+v is not the original payment", replay)
		}
		if got := f.balance(PatronAssetID); got != e.balance(PatronAssetID)+1000 {
			t.Errorf("patron balance %d, want %d", got, e.balance(PatronAssetID)+1000)
		}
	})
}

func TestH3SnapshotIsDeep(t *testing.T) {
	e := prNew(t)
	e.create(prCreateBody().with("lineItems", []map[string]any{{"name": "Tea", "qty": "1", "price": "1000"}}))
	before := h3Bytes(t, e.st)
	snap := e.st.Snapshot()
	snap.PaymentRequests[0].LineItems[0].Name = "changed"
	snap.PaymentRequests[0].Activities[0].Value.Amount = 1
	snap.Wallets[0].AssetTypes[0].ID = "changed"
	snap.MerchantConfigs[0].PaymentOptions[0].Type = "changed"
	snap.Spend["x|y|z"] = 1
	if after := h3Bytes(t, e.st); !bytes.Equal(before, after) {
		t.Fatal("changing a snapshot changed the store")
	}

	// And Restore keeps no reference to the snapshot it was given.
	snap = e.st.Snapshot()
	f := prNew(t)
	if err := f.st.Restore(snap); err != nil {
		t.Fatal(err)
	}
	restored := h3Bytes(t, f.st)
	snap.PaymentRequests[0].LineItems[0].Name = "changed"
	snap.Accounts[0].Name = "changed"
	if after := h3Bytes(t, f.st); !bytes.Equal(restored, after) {
		t.Fatal("changing the snapshot after Restore changed the store")
	}
}

func TestH3RestoreValidation(t *testing.T) {
	// A snapshot with one request paid and refunded through the wallet
	// operator's in-doubt path, so every list has an item to break.
	src := woNew(t, woSafety)
	pr := src.payapPaid("1000", "prov-tx-1")
	src.op.set(woServerDown)
	prWantError(t, src.refund(pr.ID, "200", "ref-1"), 403, "REFUND_DECLINED", true)
	good, err := json.Marshal(src.st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}

	// target is a store with state of its own, which a failed Restore must
	// leave as it is; control's next id is the one target would make.
	target := func(t *testing.T) *prEnv {
		t.Helper()
		e := prNew(t)
		e.paid("700")
		if _, _, err := e.st.AddMerchant(MerchantFixture{Name: "Kept"}, prStart); err != nil {
			t.Fatal(err)
		}
		return e
	}
	nextID := target(t).create(prCreateBody()).ID

	for _, tc := range []struct {
		name   string
		change func(s *Snapshot)
		want   string
	}{
		{"an unknown version", func(s *Snapshot) { s.Version = 2 }, "version 2 is not supported"},
		{"no id generator state", func(s *Snapshot) { s.IDState = nil }, "idState is missing"},
		{"a third-party type with a liveness suffix", func(s *Snapshot) { s.ThirdPartyAssetTypes = []string{"x.test"} }, `thirdPartyAssetTypes: "x.test" must not end in .main or .test`},
		{"an account without id", func(s *Snapshot) { s.Accounts[1].ID = "" }, "accounts[1]: id is required"},
		{"a repeated account id", func(s *Snapshot) { s.Accounts[2].ID = s.Accounts[0].ID }, `accounts[2]: id "` + SandboxMerchantAccountID + `" is already used by accounts[0]`},
		{"a key of an unknown account", func(s *Snapshot) { s.APIKeys[1].AccountID = "nobody" }, `apiKeys[1]: account "nobody" does not exist`},
		{"a repeated secret", func(s *Snapshot) { s.APIKeys[3].Secret = s.APIKeys[0].Secret }, "apiKeys[3]: secret"},
		{"a key with an unknown role", func(s *Snapshot) { s.APIKeys[0].Role = "admin" }, `apiKeys[0]: role "admin" is not`},
		{"a wallet of an unknown account", func(s *Snapshot) { s.Wallets[0].AccountID = "nobody" }, `wallets[0]: account "nobody" does not exist`},
		{"a merchant of an unknown account", func(s *Snapshot) { s.Merchants[0].AccountID = "nobody" }, `merchants[0]: account "nobody" does not exist`},
		{"a third-party type dropped from the catalogue", func(s *Snapshot) { s.ThirdPartyAssetTypes = nil }, `wallets[0].assetTypes[1]: asset type "sbx-points" is not in the catalogue`},
		{"a config option of an unknown type", func(s *Snapshot) { s.MerchantConfigs[0].PaymentOptions[0].Type = "nope.test" }, `merchantConfigs[0].paymentOptions[0]: asset type "nope.test"`},
		{"a config of an unknown merchant", func(s *Snapshot) { s.MerchantConfigs[0].MerchantID = "m_x" }, `merchantConfigs[0]: merchant "m_x" does not exist`},
		{"a request of an unknown config", func(s *Snapshot) { s.PaymentRequests[0].ConfigID = "mc_x" }, `paymentRequests[0]: merchantConfig "mc_x" does not exist`},
		{"a request of an unknown merchant", func(s *Snapshot) { s.PaymentRequests[0].MerchantID = "m_x" }, `paymentRequests[0]: merchant "m_x" does not exist`},
		{"a request of an unknown connection", func(s *Snapshot) { s.PaymentRequests[0].ConnectionID = "cn_x" }, `paymentRequests[0]: connection "cn_x" does not exist`},
		{"a repeated request id", func(s *Snapshot) {
			s.PaymentRequests = append(s.PaymentRequests, s.PaymentRequests[0])
		}, "paymentRequests[1]: id"},
		{"an activity of another request", func(s *Snapshot) {
			s.PaymentRequests[0].Activities[1].PaymentRequestID = "other"
		}, `paymentRequests[0].activities[1]: paymentRequestId "other"`},
		{"a payment without its activity", func(s *Snapshot) {
			s.PaymentRequests[0].Payments[0].ActivityID = "gone"
		}, `paymentRequests[0].payments[0]: activityId "gone"`},
		{"a refund share of no payment", func(s *Snapshot) {
			s.PaymentRequests[0].RefundAttempts[0].Shares[0].Payment = 3
		}, "paymentRequests[0].refundAttempts[0].shares[0]: payment 3 is not an index"},
		{"a refund share of more than is left", func(s *Snapshot) {
			s.PaymentRequests[0].RefundAttempts[0].Shares[0].Amount = 1001
		}, "paymentRequests[0].refundAttempts[0].shares[0]: amount 1001 is more than"},
		{"an asset of an unknown account", func(s *Snapshot) { s.Assets[0].AccountID = "nobody" }, `assets[0]: account "nobody" does not exist`},
		{"a quota of an unknown account", func(s *Snapshot) { s.SpendQuotas["nobody"] = 1 }, `spendQuotas: account "nobody" does not exist`},
		{"a subscription with a plain http URL", func(s *Snapshot) {
			s.WebhookSubscriptions[0].URL = "http://merchant.example/hooks"
		}, "webhookSubscriptions[0]: url must be an absolute https URL"},
		{"a notification in an unknown state", func(s *Snapshot) { s.WebhookNotifications[0].State = "lost" }, `webhookNotifications[0]: state "lost"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var snap Snapshot
			if err := json.Unmarshal(good, &snap); err != nil {
				t.Fatal(err)
			}
			tc.change(&snap)
			e := target(t)
			before := h3Bytes(t, e.st)
			err := e.st.Restore(snap)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore: %v, want an error containing %q", err, tc.want)
			}
			if after := h3Bytes(t, e.st); !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the store")
			}
			if got := e.create(prCreateBody()).ID; got != nextID {
				t.Fatalf("next id %s, want %s: the id generator was changed", got, nextID)
			}
		})
	}

	t.Run("the unchanged snapshot restores", func(t *testing.T) {
		var snap Snapshot
		if err := json.Unmarshal(good, &snap); err != nil {
			t.Fatal(err)
		}
		e := prNew(t)
		if err := e.st.Restore(snap); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h3Bytes(t, e.st), h3Bytes(t, src.st)) {
			t.Fatal("the restored state differs")
		}
	})
}

func TestH3RestoreWhileRefundInFlight(t *testing.T) {
	e := woNew(t, woSafety)
	pr := e.payapPaid("1000", "prov-tx-1")
	release := make(chan struct{})
	e.op.arrived = make(chan woRequest, 1)
	e.op.set(woHang(release))
	done := make(chan int)
	go func() {
		done <- e.doContext(t.Context(), http.MethodPost, "/api/payment-requests/"+pr.ID+"/refund", MerchantOwnerKey,
			prBody{"value": prMoney("400"), "externalRef": "ref-1"}).Code
	}()
	var sent woRequest
	select {
	case sent = <-e.op.arrived:
	case <-time.After(woSafety):
		t.Fatal("the refund never reached the operator")
	}

	// A snapshot taken now keeps the refund as in doubt, its 400 reserved.
	snap := e.st.Snapshot()
	attempts := snap.PaymentRequests[0].RefundAttempts
	if len(attempts) != 1 || !attempts[0].InDoubt || len(attempts[0].Shares) != 1 || attempts[0].Shares[0].Amount != 400 ||
		attempts[0].Shares[0].RefundID != sent.Body["refundId"] {
		t.Fatalf("refund attempts %+v", attempts)
	}
	before := h3Bytes(t, e.st)
	if err := e.st.Restore(snap); err == nil || !strings.Contains(err.Error(), "awaiting the wallet operator") {
		t.Fatalf("Restore during a refund: %v", err)
	}
	if !bytes.Equal(before, h3Bytes(t, e.st)) {
		t.Fatal("the refused Restore changed the store")
	}

	close(release)
	select {
	case <-done:
	case <-time.After(woSafety):
		t.Fatal("the refund never finished")
	}
	if err := e.st.Restore(snap); err != nil {
		t.Fatalf("Restore once the refund ended: %v", err)
	}
	e.op.set(woSuccessful)
	refund := prDecode[PaymentActivity](t, e.refund(pr.ID, "400", "ref-1"))
	if refund.ID+"-1" != sent.Body["refundId"] {
		t.Errorf("refund %s, the first call sent %s", refund.ID, sent.Body["refundId"])
	}
	if got := prActivityTypes(e.activities(pr.ID)); !slices.Equal(got, []string{ActivityRefund, ActivityPayment, ActivityRequest}) {
		t.Errorf("activities %v", got)
	}
}
