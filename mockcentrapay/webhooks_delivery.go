package mockcentrapay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// Delivery defaults.
const (
	// webhookAttemptTimeout bounds one delivery attempt, answer included.
	webhookAttemptTimeout = 10 * time.Second
	// webhookPollInterval is how often, in wall time, Run looks for
	// notifications that the sandbox clock made due.
	webhookPollInterval = 200 * time.Millisecond
	// webhookMaxPerAccount bounds the notifications kept per account.
	webhookMaxPerAccount = 1000
	// webhookBatch is how many notifications of one account a pass claims.
	webhookBatch = 20
	// webhookMaxAnswer is how much of a receiver's answer is read.
	webhookMaxAnswer = 64 << 10
)

// Webhooks delivers notifications (§4.8): each is POSTed to the account's
// subscription URL with Content-Type application/json and the header
// Authorization: <JWT> (bare, no Bearer, as documented; C16), the JWT
// signed ES256 over Centrapay's keys with aud the receiver's base URL (C14)
// and request_body_sha256 the hex SHA-256 of the exact bytes sent. A 2xx
// answer is delivered; anything else, a timeout or a connection error is a
// failed attempt, retried after the configured delays on the sandbox clock
// (so advancing the clock makes a retry due at once), then given up.
// Redirects are not followed: a 3xx is a failed attempt. Delivery is
// at-least-once and unordered across accounts; within one account one
// notification is delivered at a time, oldest first.
//
// Choices where the docs are silent: a notification is created only if the
// account subscribes to its type when Notify runs, and is then delivered
// even if the subscription later drops that type; every attempt goes to the
// subscription's URL at the time of the attempt, so fixing a wrong URL lets
// pending retries through; each attempt carries a fresh JWT (iat = the
// attempt's sandbox time) over the same bytes; an attempt cut short by the
// end of Run is not counted and is made again later. The docs retry "with
// exponential backoff up to 2 weeks"; the mock uses Config.WebhookRetries.
//
// Create it with NewWebhooks and run it with Run, or drive it pass by pass
// with DeliverDue. A nil *Webhooks sends nothing.
type Webhooks struct {
	store   *MemStore
	clock   Clock
	signer  *payapjwt.Signer
	client  *http.Client
	retries []time.Duration
	log     *slog.Logger

	// Tunables; tests shorten them.
	attemptTimeout time.Duration
	pollInterval   time.Duration
	maxPerAccount  int
	batch          int

	wake   chan struct{} // Notify signals Run
	active atomic.Int64  // delivery goroutines running
}

// NewWebhooks returns a delivery engine over store. signer signs with
// Centrapay's keys (the ones served at /api/.well-known/jwks.json); client
// sends the requests (nil: a default client; redirects are never followed);
// retries are the delays between attempts (Config.WebhookRetries: a
// notification gets len(retries)+1 attempts); log nil discards.
func NewWebhooks(store *MemStore, clock Clock, signer *payapjwt.Signer, client *http.Client, retries []time.Duration, log *slog.Logger) *Webhooks {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Webhooks{
		store:          store,
		clock:          clock,
		signer:         signer,
		client:         &c,
		retries:        slices.Clone(retries),
		log:            log,
		attemptTimeout: webhookAttemptTimeout,
		pollInterval:   webhookPollInterval,
		maxPerAccount:  webhookMaxPerAccount,
		batch:          webhookBatch,
		wake:           make(chan struct{}, 1),
	}
}

// Notify records a notification of eventType for accountID, if the account
// subscribes to that type, and wakes Run. data is the Payment Activity; it
// is marshalled now, and the bytes never change. test is the payment
// request's liveness (true for test). Notify makes no network call and
// returns at once.
//
// Notify takes the store's lock: call it after the store operation that
// paid or refunded, never while holding s.mu. A notification whose data
// cannot be marshalled is logged and dropped.
func (w *Webhooks) Notify(accountID, eventType string, data any, test bool) {
	if w == nil {
		return
	}
	now := w.clock.Now()
	id, ok := w.store.webhookNotificationID(accountID, eventType)
	if !ok {
		return
	}
	body, err := json.Marshal(webhookNotificationBody{
		ID: id, Type: eventType, Data: data, AccountID: accountID, Test: test, CreatedAt: ts(now),
	})
	if err != nil {
		w.log.Error("webhook notification dropped: its data cannot be marshalled", "account", accountID, "type", eventType, "error", err)
		return
	}
	dropped := w.store.addWebhookNotification(&webhookNotification{
		id: id, accountID: accountID, eventType: eventType, createdAt: now, body: body,
		state: webhookPending, nextAttemptAt: now,
	}, w.maxPerAccount)
	for _, d := range dropped {
		if d.state == webhookPending {
			w.log.Warn("webhook notification dropped undelivered: too many kept for the account", "account", accountID, "id", d.id, "max", w.maxPerAccount)
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// webhookNotificationID returns a new notification id when accountID
// subscribes to eventType.
func (s *MemStore) webhookNotificationID(accountID, eventType string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.webhooks.subs[accountID]
	if !ok || !slices.Contains(sub.EventTypes, eventType) {
		return "", false
	}
	return s.ids.id(""), true
}

// addWebhookNotification appends n and trims the account's list to max,
// dropping the oldest delivered or failed notifications first, then the
// oldest pending ones no delivery holds. It returns what it dropped.
func (s *MemStore) addWebhookNotification(n *webhookNotification, max int) []*webhookNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := append(s.webhooks.notes[n.accountID], n)
	var dropped []*webhookNotification
	for len(list) > max {
		i := slices.IndexFunc(list, func(x *webhookNotification) bool { return x.state != webhookPending })
		if i < 0 {
			i = slices.IndexFunc(list, func(x *webhookNotification) bool { return !x.inFlight })
		}
		if i < 0 {
			break // everything is in flight; trim on the next append
		}
		dropped = append(dropped, list[i])
		list = slices.Delete(list, i, i+1)
	}
	s.webhooks.notes[n.accountID] = list
	return dropped
}

// webhookJob is one claimed notification with what its attempt needs.
type webhookJob struct {
	n    *webhookNotification
	id   string
	url  string
	body []byte
}

// webhookBatchJobs is the claimed notifications of one account, oldest first.
type webhookBatchJobs struct {
	accountID string
	jobs      []webhookJob
}

// claimDueWebhooks claims, for every account no delivery holds, up to
// perAccount pending notifications due at now, and marks the account busy.
// Accounts come in id order.
func (s *MemStore) claimDueWebhooks(now time.Time, perAccount int) []webhookBatchJobs {
	s.mu.Lock()
	defer s.mu.Unlock()
	accounts := make([]string, 0, len(s.webhooks.notes))
	for a := range s.webhooks.notes {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	var out []webhookBatchJobs
	for _, a := range accounts {
		sub, ok := s.webhooks.subs[a]
		if s.webhooks.busy[a] || !ok {
			continue
		}
		var jobs []webhookJob
		for _, n := range s.webhooks.notes[a] {
			if n.state != webhookPending || n.inFlight || n.nextAttemptAt.After(now) {
				continue
			}
			n.inFlight = true
			jobs = append(jobs, webhookJob{n: n, id: n.id, url: sub.URL, body: n.body})
			if len(jobs) == perAccount {
				break
			}
		}
		if len(jobs) > 0 {
			s.webhooks.busy[a] = true
			out = append(out, webhookBatchJobs{accountID: a, jobs: jobs})
		}
	}
	return out
}

// releaseWebhooks gives back claimed notifications unattempted and frees
// the account.
func (s *MemStore) releaseWebhooks(accountID string, jobs []webhookJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range jobs {
		j.n.inFlight = false
	}
	delete(s.webhooks.busy, accountID)
}

// webhookResult is the outcome of one attempt.
type webhookResult struct {
	status int    // the HTTP status, 0 when none came back
	err    string // why the attempt failed without an answer
}

func (r webhookResult) delivered() bool { return r.err == "" && r.status >= 200 && r.status < 300 }

// recordWebhookAttempt records an attempt at now and schedules the next one
// at now + retries[attempts-1], or gives up after the last delay. It reports
// the notification's new state.
func (s *MemStore) recordWebhookAttempt(j webhookJob, res webhookResult, now time.Time, retries []time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := j.n
	n.inFlight = false
	n.attempts++
	n.lastURL = j.url
	n.lastStatus = res.status
	switch {
	case res.delivered():
		n.state, n.lastError, n.deliveredAt, n.nextAttemptAt = webhookDelivered, "", now, time.Time{}
	case res.err != "":
		n.lastError = res.err
	default:
		n.lastError = fmt.Sprintf("the receiver answered %d %s; only a 2xx answer counts as delivered", res.status, http.StatusText(res.status))
	}
	if n.state == webhookPending {
		if i := n.attempts - 1; i < len(retries) {
			n.nextAttemptAt = now.Add(retries[i])
		} else {
			n.state, n.nextAttemptAt = webhookFailed, time.Time{}
		}
	}
	return n.state
}

// DeliverDue makes one delivery pass synchronously: it attempts every
// notification due on the sandbox clock (up to a batch per account;
// accounts in parallel, one notification at a time per account) and returns
// how many attempts it made. Notifications that another pass or Run holds
// are skipped. Tests and scenarios use it instead of Run.
func (w *Webhooks) DeliverDue(ctx context.Context) int {
	if w == nil {
		return 0
	}
	var wg sync.WaitGroup
	var made atomic.Int64
	for _, b := range w.store.claimDueWebhooks(w.clock.Now(), w.batch) {
		w.active.Add(1)
		wg.Go(func() {
			defer w.active.Add(-1)
			made.Add(int64(w.deliverBatch(ctx, b)))
		})
	}
	wg.Wait()
	return int(made.Load())
}

// Run delivers notifications until ctx ends, then waits for its deliveries
// to stop, closes the client's idle connections and returns nil. It wakes when Notify records a notification, when
// a delivery goroutine finishes, and otherwise every pollInterval of wall
// time, to catch retries that advancing the sandbox clock made due.
func (w *Webhooks) Run(ctx context.Context) error {
	if w == nil {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	defer w.client.CloseIdleConnections()
	defer wg.Wait()
	finished := make(chan struct{}, 1)
	tick := time.NewTicker(w.pollInterval)
	defer tick.Stop()
	for {
		for _, b := range w.store.claimDueWebhooks(w.clock.Now(), w.batch) {
			w.active.Add(1)
			wg.Go(func() {
				defer w.active.Add(-1)
				w.deliverBatch(ctx, b)
				select {
				case finished <- struct{}{}:
				default:
				}
			})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-finished:
		case <-tick.C:
		}
	}
}

// deliverBatch attempts one account's claimed notifications in order and
// frees the account. When ctx ends it stops; the attempt it cut short and
// the rest are given back unrecorded, to be sent again later.
func (w *Webhooks) deliverBatch(ctx context.Context, b webhookBatchJobs) int {
	made := 0
	for i, j := range b.jobs {
		if ctx.Err() != nil {
			w.store.releaseWebhooks(b.accountID, b.jobs[i:])
			return made
		}
		res := w.attempt(ctx, j)
		if !res.delivered() && ctx.Err() != nil {
			w.store.releaseWebhooks(b.accountID, b.jobs[i:])
			return made
		}
		made++
		state := w.store.recordWebhookAttempt(j, res, w.clock.Now(), w.retries)
		switch state {
		case webhookDelivered:
			w.log.Info("webhook delivered", "account", b.accountID, "id", j.id, "url", j.url, "status", res.status)
		case webhookFailed:
			w.log.Error("webhook given up after the last retry", "account", b.accountID, "id", j.id, "url", j.url, "status", res.status, "error", res.err)
		default:
			w.log.Warn("webhook attempt failed; will retry", "account", b.accountID, "id", j.id, "url", j.url, "status", res.status, "error", res.err)
		}
	}
	w.store.releaseWebhooks(b.accountID, nil)
	return made
}

// attempt POSTs one notification, bounded by attemptTimeout.
func (w *Webhooks) attempt(ctx context.Context, j webhookJob) webhookResult {
	aud, err := webhookAudience(j.url)
	if err != nil {
		return webhookResult{err: "the subscription URL cannot be used: " + err.Error()}
	}
	if w.signer == nil {
		return webhookResult{err: "no Centrapay signing key is configured"}
	}
	token, err := w.signer.Sign(aud, j.body)
	if err != nil {
		return webhookResult{err: "the notification could not be signed: " + err.Error()}
	}
	actx, cancel := context.WithTimeout(ctx, w.attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		return webhookResult{err: "the subscription URL cannot be used: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return webhookResult{err: fmt.Sprintf("no answer within %s", w.attemptTimeout)}
		}
		return webhookResult{err: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookMaxAnswer))
	_ = resp.Body.Close()
	return webhookResult{status: resp.StatusCode}
}
