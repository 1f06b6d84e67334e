package mockcentrapay

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Listing payment activities: GET /api/payment-requests/{id}/activities and
// GET /api/payment-activities?merchantId=…&pageKey=….
//
// Documented choices:
//   - Both are ordered by createdAt, newest first, then newest written
//     first.
//   - The merchant list answers the merchant's own account only (403
//     Forbidden for another's or an unknown merchant). merchantId is
//     required (400). pageKey is required by the docs' table but cannot be
//     known for the first page, so it is optional. Pages hold 25 activities,
//     or paginationLimit (1 to 100). pageKey is opaque (URL-safe base64 of
//     the last item's position); one the mock did not make is 400. Paging is
//     by position, so activities written meanwhile never repeat an item on
//     later pages.
//   - Listing applies lazy expiry to the merchant's requests first.

// Page sizes of the merchant list.
const (
	defaultActivityPage = 25
	maxActivityPage     = 100
)

// handlePaymentRequestActivities is GET
// /api/payment-requests/{paymentRequestId}/activities: {items}, newest
// first, for any API key (payment-requests:read is global).
func (c *centrapay) handlePaymentRequestActivities(w http.ResponseWriter, r *http.Request, p principal) {
	items, ok := c.store.paymentActivities(pathVar(r, "paymentRequestId"), c.clock.Now())
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, Page[PaymentActivity]{Items: items})
}

// handleListPaymentActivities is GET /api/payment-activities.
func (c *centrapay) handleListPaymentActivities(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	merchantID := q.Get("merchantId")
	if merchantID == "" {
		writeError(w, errBadRequest("merchantId is required"))
		return
	}
	limit := defaultActivityPage
	if s := q.Get("paginationLimit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxActivityPage {
			writeError(w, errBadRequest(fmt.Sprintf("paginationLimit must be a whole number from 1 to %d", maxActivityPage)))
			return
		}
		limit = n
	}
	var after *activityCursor
	if s := q.Get("pageKey"); s != "" {
		cur, ok := parseActivityCursor(s)
		if !ok {
			writeError(w, errBadRequest("pageKey is not valid: send the nextPageKey of the previous page unchanged (URL-encoded)"))
			return
		}
		after = &cur
	}
	page, ok := c.store.merchantActivities(merchantID, p, after, limit, c.clock.Now())
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, page)
}

// activityCursor is the position of the last item of a page.
type activityCursor struct {
	at  time.Time
	seq uint64
}

func (cur activityCursor) String() string {
	raw := strconv.FormatInt(cur.at.UnixNano(), 10) + "." + strconv.FormatUint(cur.seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseActivityCursor(s string) (activityCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return activityCursor{}, false
	}
	nanos, seq, ok := strings.Cut(string(b), ".")
	if !ok {
		return activityCursor{}, false
	}
	n, err1 := strconv.ParseInt(nanos, 10, 64)
	q, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil || q == 0 {
		return activityCursor{}, false
	}
	return activityCursor{at: time.Unix(0, n).UTC(), seq: q}, true
}

// merchantActivities returns one page of a merchant's activities, newest
// first, after cursor. ok is false when the merchant is not the caller's.
func (s *MemStore) merchantActivities(merchantID string, p principal, after *activityCursor, limit int, now time.Time) (Page[PaymentActivity], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchantLocked(merchantID)
	if !ok || m.AccountID != p.Account.ID {
		return Page[PaymentActivity]{}, false
	}
	s.expireMerchantLocked(merchantID, now)
	all := newestFirst(s.payments.merchantActivities[merchantID])
	start := 0
	if after != nil {
		mark := PaymentActivity{CreatedAt: ts(after.at), seq: after.seq}
		start, _ = slices.BinarySearchFunc(all, mark, func(a, target PaymentActivity) int {
			// all is descending: an item sorts before the mark when it is newer.
			return -compareActivities(a, target)
		})
		if start < len(all) && compareActivities(all[start], mark) == 0 {
			start++
		}
	}
	end := min(start+limit, len(all))
	page := Page[PaymentActivity]{Items: slices.Clone(all[start:end])}
	if end < len(all) {
		last := all[end-1]
		page.NextPageKey = activityCursor{at: last.CreatedAt.Time(), seq: last.seq}.String()
	}
	return page, true
}
