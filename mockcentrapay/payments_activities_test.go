package mockcentrapay

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// prListPath is the merchant activity list with query parameters.
func prListPath(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return "/api/payment-activities?" + q.Encode()
}

func TestListPaymentActivitiesErrors(t *testing.T) {
	get := func(path, key string) func(*prEnv) (string, string, any) {
		return func(*prEnv) (string, string, any) { return path, key, nil }
	}
	prRunErrors(t, http.MethodGet, []prErrorCase{
		{"no API key", get(prListPath("merchantId", SandboxMerchantID), ""), 401, "Missing authentication", false},
		{"merchantId missing", get(prListPath(), MerchantOwnerKey), 400, "merchantId is required", false},
		{"bad pageKey", get(prListPath("merchantId", SandboxMerchantID, "pageKey", "not-a-key!"), MerchantOwnerKey), 400,
			"pageKey is not valid: send the nextPageKey of the previous page unchanged (URL-encoded)", false},
		{"pageKey of another form", get(prListPath("merchantId", SandboxMerchantID, "pageKey", "MTIz"), MerchantOwnerKey), 400,
			"pageKey is not valid: send the nextPageKey of the previous page unchanged (URL-encoded)", false},
		{"paginationLimit zero", get(prListPath("merchantId", SandboxMerchantID, "paginationLimit", "0"), MerchantOwnerKey), 400,
			"paginationLimit must be a whole number from 1 to 100", false},
		{"another account's merchant", get(prListPath("merchantId", SandboxMerchantID), PayapOwnerKey), 403, "Forbidden", false},
		{"unknown merchant", get(prListPath("merchantId", "NoSuchMerchant11111111"), MerchantOwnerKey), 403, "Forbidden", false},
	})
	t.Run("activities of an unknown request", func(t *testing.T) {
		e := prNew(t)
		prWantError(t, e.do(http.MethodGet, "/api/payment-requests/NoSuchRequest111111111/activities", MerchantOwnerKey, nil), 403, "Forbidden", false)
	})
}

func TestListPaymentActivitiesPages(t *testing.T) {
	e := prNew(t)
	var want []string // activity ids, newest first
	for range 60 {
		pr := e.create(prCreateBody())
		want = append([]string{e.activities(pr.ID)[0].ID}, want...)
		e.advance(time.Second)
	}
	page := func(key string, kv ...string) Page[PaymentActivity] {
		t.Helper()
		args := append([]string{"merchantId", SandboxMerchantID}, kv...)
		if key != "" {
			args = append(args, "pageKey", key)
		}
		return prDecode[Page[PaymentActivity]](t, e.do(http.MethodGet, prListPath(args...), MerchantTerminalKey, nil))
	}
	var got []string
	var sizes []int
	key := ""
	for i := 0; ; i++ {
		p := page(key)
		sizes = append(sizes, len(p.Items))
		for _, a := range p.Items {
			got = append(got, a.ID)
		}
		if i == 0 {
			// Activities written between pages never repeat an item: the
			// new one is newer than everything already listed.
			e.create(prCreateBody())
		}
		if p.NextPageKey == "" {
			break
		}
		if url.QueryEscape(p.NextPageKey) != p.NextPageKey {
			t.Errorf("nextPageKey %q is not URL-safe", p.NextPageKey)
		}
		key = p.NextPageKey
	}
	if len(sizes) != 3 || sizes[0] != 25 || sizes[1] != 25 || sizes[2] != 10 {
		t.Fatalf("page sizes %v, want [25 25 10]", sizes)
	}
	if len(got) != len(want) {
		t.Fatalf("%d items, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("item %d is %s, want %s", i, got[i], want[i])
		}
	}
	t.Run("paginationLimit", func(t *testing.T) {
		p := page("", "paginationLimit", "7")
		if len(p.Items) != 7 || p.NextPageKey == "" {
			t.Errorf("%d items, nextPageKey %q", len(p.Items), p.NextPageKey)
		}
	})
	t.Run("listing notices expiries, dated expiresAt", func(t *testing.T) {
		e := prNew(t)
		pr := e.create(prCreateBody())
		e.advance(10 * time.Minute)
		later := e.create(prCreateBody())
		p := prFirstPage(t, e)
		if len(p.Items) != 3 || p.Items[0].PaymentRequestID != later.ID || p.Items[1].Type != ActivityExpiry || p.Items[1].CreatedAt != pr.ExpiresAt {
			t.Errorf("items %+v", prActivityTypes(p.Items))
		}
	})
}

// prFirstPage lists the first page of the seeded merchant's activities.
func prFirstPage(t *testing.T, e *prEnv) Page[PaymentActivity] {
	t.Helper()
	return prDecode[Page[PaymentActivity]](t, e.do(http.MethodGet, prListPath("merchantId", SandboxMerchantID), MerchantOwnerKey, nil))
}
