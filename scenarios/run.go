package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
	"github.com/payap/payap-sandbox/internal/frontend"
	"github.com/payap/payap-sandbox/internal/journal"
)

// Target is the running sandbox a scenario's steps drive. Steps that a
// front end does (connect, fetch, payment requests, pay, refund, void,
// cancel) go through the services' HTTP APIs with Client; the rest (the
// clock, balances, grants) and the checks use the sandbox's own controls.
type Target interface {
	// Client calls the services' HTTP APIs as a front end does.
	Client() *frontend.Client
	AdvanceClock(d time.Duration) (time.Time, error)
	SetBalance(assetID string, balance int64) error
	RevokeGrants(username string) (int, error)
	// Balance is a provider asset's balance, straight from the provider.
	Balance(assetID string) (int64, bool)
	// ProviderPassword and PayapPassword are the logins steps sign in with.
	ProviderPassword(username string) (string, bool)
	PayapPassword(email string) (string, bool)
	// Merchant names the merchant config and API key a merchant step uses;
	// merchant is "default" or a fixture merchant's id.
	Merchant(merchant string) (configID, apiKey string, ok bool)
	// Journal returns the exchanges after the cursor, and LastID the cursor
	// now.
	Journal(after uint64) []journal.Entry
	LastID() uint64
}

// StepResult is how one step went.
type StepResult struct {
	// Index is the step's position, from 1.
	Index int
	// Kind is the step's key (connect, pay, …); Title says what it did.
	Kind, Title string
	// Sent and Got summarise the request the step made and the answer.
	Sent, Got string
	// Expected lists the step's expectations; Misses the ones that failed,
	// each saying what was found instead.
	Expected []string
	Misses   []string
	// Err is set when the step could not be carried out at all.
	Err string
	// Exchanges are the HTTP exchanges the step caused, one line each.
	Exchanges []string
	Passed    bool
	Duration  time.Duration
}

// Report is how a scenario's steps went.
type Report struct {
	Scenario string
	File     string
	Steps    []StepResult
	Passed   bool
	Duration time.Duration
}

// Failed counts the steps that did not pass.
func (r Report) Failed() int {
	n := 0
	for _, s := range r.Steps {
		if !s.Passed {
			n++
		}
	}
	return n
}

// Run runs the scenario's steps in order against t, calling progress (when
// not nil) after each. Every step runs even after a miss, so one report
// names every expectation that missed. The error is for a run that could
// not go on at all (ctx ended).
func Run(ctx context.Context, t Target, s *Scenario, progress func(StepResult)) (Report, error) {
	r := &runner{t: t, c: t.Client(), sessions: map[string]frontend.Session{}, requests: map[string]request{}, start: t.LastID()}
	rep := Report{Scenario: s.Name, File: s.File, Passed: true}
	began := time.Now()
	for i, step := range s.Steps {
		if err := ctx.Err(); err != nil {
			rep.Passed = false
			rep.Duration = time.Since(began)
			return rep, err
		}
		cursor := t.LastID()
		t0 := time.Now()
		res := r.step(ctx, step)
		res.Index, res.Kind = i+1, step.Kind()
		res.Duration = time.Since(t0)
		for _, e := range t.Journal(cursor) {
			res.Exchanges = append(res.Exchanges, exchangeLine(e))
		}
		res.Passed = res.Err == "" && len(res.Misses) == 0
		if !res.Passed {
			rep.Passed = false
		}
		rep.Steps = append(rep.Steps, res)
		if progress != nil {
			progress(res)
		}
	}
	rep.Duration = time.Since(began)
	return rep, nil
}

func exchangeLine(e journal.Entry) string {
	line := fmt.Sprintf("%-9s %-6s %s → %d (%s)", e.Service, e.Method, e.Path, e.Status, e.Latency.Round(time.Millisecond))
	if e.Fault != "" {
		line += " [fault " + e.Fault + "]"
	}
	return line
}

type runner struct {
	t        Target
	c        *frontend.Client
	sessions map[string]frontend.Session
	requests map[string]request // by as-name
	latest   string             // the latest request's as-name key
	start    uint64
}

// res collects a step's outcome.
type res = StepResult

func (r *runner) step(ctx context.Context, s Step) res {
	switch {
	case s.Connect != nil:
		return r.connect(ctx, s.Connect)
	case s.Fetch != nil:
		return r.fetch(ctx, s.Fetch)
	case s.PaymentRequest != nil:
		return r.paymentRequest(ctx, s.PaymentRequest)
	case s.Pay != nil:
		return r.pay(ctx, s.Pay)
	case s.Refund != nil:
		return r.refund(ctx, s.Refund)
	case s.Void != nil:
		return r.void(ctx, "void", s.Void.Request, s.Void.Expect)
	case s.Cancel != nil:
		return r.void(ctx, "cancel", s.Cancel.Request, s.Cancel.Expect)
	case s.AdvanceClock != nil:
		out := res{Title: "advance the clock by " + s.AdvanceClock.String()}
		now, err := r.t.AdvanceClock(*s.AdvanceClock)
		if err != nil {
			out.Err = err.Error()
		} else {
			out.Got = "sandbox clock now " + now.UTC().Format(time.RFC3339)
		}
		return out
	case s.SetBalance != nil:
		out := res{Title: fmt.Sprintf("set the balance of asset %s to %s", s.SetBalance.Asset, s.SetBalance.Balance)}
		if err := r.t.SetBalance(s.SetBalance.Asset, int64(s.SetBalance.Balance)); err != nil {
			out.Err = err.Error()
		}
		return out
	case s.RevokeGrant != nil:
		out := res{Title: "revoke " + s.RevokeGrant.User + "'s grant at the provider"}
		n, err := r.t.RevokeGrants(s.RevokeGrant.User)
		if err != nil {
			out.Err = err.Error()
		} else {
			out.Got = fmt.Sprintf("%d grant(s) revoked", n)
		}
		return out
	case s.Expect != nil:
		return r.expect(ctx, s.Expect)
	}
	return res{Err: "empty step"}
}

// session signs in a Payap user once per run.
func (r *runner) session(ctx context.Context, email string) (frontend.Session, error) {
	if s, ok := r.sessions[email]; ok {
		return s, nil
	}
	pw, ok := r.t.PayapPassword(email)
	if !ok {
		return frontend.Session{}, fmt.Errorf("no Payap user %q", email)
	}
	s, err := r.c.SignIn(ctx, email, pw)
	if err != nil {
		return s, fmt.Errorf("sign in as %s: %w", email, err)
	}
	r.sessions[email] = s
	return s, nil
}

func (r *runner) connect(ctx context.Context, c *ConnectStep) res {
	out := res{Title: fmt.Sprintf("connect %s's assets to %s", c.User, c.PayapUser)}
	if c.Deny {
		out.Title += ", denying consent"
	} else {
		out.Title += " granting " + strings.Join(c.Grant, " ")
	}
	want := c.Expect
	if want == nil {
		want = &ConnectExpect{Outcome: "connected"}
		if c.Deny {
			want = &ConnectExpect{Outcome: "failed", Error: "access_denied"}
		}
	}
	out.Expected = connectExpectations(want)
	sess, err := r.session(ctx, c.PayapUser)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	pw, ok := r.t.ProviderPassword(c.User)
	if !ok {
		out.Err = fmt.Sprintf("no provider user %q", c.User)
		return out
	}
	// A front end reconnects a connection that needs it rather than making
	// a second one beside it.
	conn, reconnect, err := r.startConnect(ctx, sess)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Sent = "POST payap /api/connections, then the provider's login and consent pages, then payap /callback"
	if reconnect {
		out.Sent = "POST payap /api/connections/" + conn.ID + "/reconnect, then the provider's login and consent pages, then payap /callback"
	}
	got, err := r.c.CompleteConnect(ctx, sess, conn, frontend.Consent{Username: c.User, Password: pw, Grant: c.Grant, Deny: c.Deny})
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Got = fmt.Sprintf("outcome %s, connection %s", got.Outcome, got.Connection.Status)
	if got.Error != "" {
		out.Got += ", error " + got.Error
	}
	if got.Outcome == "connected" {
		out.Got += fmt.Sprintf(", scope %q, canPay %t", got.Connection.Scope, got.Connection.CanPay)
	}
	if want.Outcome != "" && got.Outcome != want.Outcome {
		out.Misses = append(out.Misses, fmt.Sprintf("outcome is %s, expected %s%s", got.Outcome, want.Outcome, because(got.Error, got.Description)))
	}
	if want.Error != "" && got.Error != want.Error {
		out.Misses = append(out.Misses, fmt.Sprintf("error is %q, expected %q", got.Error, want.Error))
	}
	if want.CanPay != nil && got.Connection.CanPay != *want.CanPay {
		out.Misses = append(out.Misses, fmt.Sprintf("canPay is %t, expected %t (granted scope %q)", got.Connection.CanPay, *want.CanPay, got.Connection.Scope))
	}
	return out
}

// startConnect reconnects the user's connection that needs it, if there is
// one, or starts a new one.
func (r *runner) startConnect(ctx context.Context, sess frontend.Session) (frontend.Connection, bool, error) {
	conns, err := r.c.Connections(ctx, sess)
	if err != nil {
		return frontend.Connection{}, false, err
	}
	for _, cn := range conns {
		if cn.Status == "reconnect_required" {
			cn, err := r.c.Reconnect(ctx, sess, cn.ID)
			return cn, true, err
		}
	}
	cn, err := r.c.StartConnect(ctx, sess, "")
	return cn, false, err
}

func because(code, desc string) string {
	switch {
	case code != "" && desc != "":
		return " (" + code + ": " + desc + ")"
	case code != "":
		return " (" + code + ")"
	}
	return ""
}

func connectExpectations(e *ConnectExpect) []string {
	var out []string
	if e.Outcome != "" {
		out = append(out, "outcome "+e.Outcome)
	}
	if e.Error != "" {
		out = append(out, "error "+e.Error)
	}
	if e.CanPay != nil {
		out = append(out, "canPay "+strconv.FormatBool(*e.CanPay))
	}
	return out
}

func (r *runner) fetch(ctx context.Context, f *FetchStep) res {
	out := res{Title: "fetch " + f.PayapUser + "'s wallet", Sent: "GET payap /api/wallet"}
	if f.Expect != nil {
		if f.Expect.Assets != nil {
			out.Expected = append(out.Expected, fmt.Sprintf("%d assets", *f.Expect.Assets))
		}
		for _, id := range sortedKeys(f.Expect.Balances) {
			out.Expected = append(out.Expected, fmt.Sprintf("asset %s balance %s", id, f.Expect.Balances[id]))
		}
	}
	sess, err := r.session(ctx, f.PayapUser)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	items, err := r.c.Wallet(ctx, sess)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	var parts []string
	byAsset := map[string]frontend.WalletItem{}
	for _, it := range items {
		byAsset[it.AssetID] = it
		parts = append(parts, it.AssetID+"="+balanceText(it))
	}
	out.Got = fmt.Sprintf("%d assets: %s", len(items), strings.Join(parts, ", "))
	if f.Expect == nil {
		return out
	}
	if f.Expect.Assets != nil && len(items) != *f.Expect.Assets {
		out.Misses = append(out.Misses, fmt.Sprintf("the wallet has %d assets, expected %d", len(items), *f.Expect.Assets))
	}
	for _, id := range sortedKeys(f.Expect.Balances) {
		want := f.Expect.Balances[id].String()
		it, ok := byAsset[id]
		switch {
		case !ok:
			out.Misses = append(out.Misses, fmt.Sprintf("asset %s is not in the wallet", id))
		case it.Balance == nil:
			out.Misses = append(out.Misses, fmt.Sprintf("asset %s has no balance (%s), expected %s", id, it.Status, want))
		case *it.Balance != want:
			out.Misses = append(out.Misses, fmt.Sprintf("asset %s balance is %s, expected %s", id, *it.Balance, want))
		}
	}
	return out
}

func balanceText(it frontend.WalletItem) string {
	if it.Balance == nil {
		return "(" + it.Status + ")"
	}
	return *it.Balance
}

func (r *runner) paymentRequest(ctx context.Context, p *PaymentRequestStep) res {
	out := res{Title: fmt.Sprintf("%s asks for %s %s", p.Merchant, p.Amount, p.Currency)}
	if p.As != "" {
		out.Title += " (" + p.As + ")"
	}
	configID, key, ok := r.t.Merchant(p.Merchant)
	if !ok {
		out.Err = fmt.Sprintf("no merchant %q", p.Merchant)
		return out
	}
	out.Sent = fmt.Sprintf("POST centrapay /api/payment-requests {configId: %s, value: %s %s}", configID, p.Amount, p.Currency)
	pr, err := r.c.CreatePaymentRequest(ctx, key, frontend.PaymentRequestOptions{
		ConfigID: configID, Amount: int64(p.Amount), Currency: p.Currency, ExpirySeconds: p.ExpirySeconds,
	})
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Got = fmt.Sprintf("payment request %s, %s", pr.ID, pr.Status)
	name := p.As
	if name == "" {
		name = "#" + pr.ID
	}
	r.requests[name] = request{PaymentRequest: pr, key: key}
	r.latest = name
	return out
}

// request is a payment request a step made, with the API key of the
// merchant that made it.
type request struct {
	frontend.PaymentRequest
	key string
}

// request finds a payment request by as-name, or the latest.
func (r *runner) request(name string) (request, error) {
	if name == "" {
		name = r.latest
		if name == "" {
			return request{}, errors.New("no payment request yet: add a paymentRequest step before this one")
		}
	}
	pr, ok := r.requests[name]
	if !ok {
		return pr, fmt.Errorf("no payment request named %q yet", name)
	}
	return pr, nil
}

func (r *runner) pay(ctx context.Context, p *PayStep) res {
	out := res{Title: fmt.Sprintf("%s pays with asset %s", p.PayapUser, p.Asset)}
	want := p.Expect
	if want == nil {
		want = &Outcome{Status: "successful"}
	}
	out.Expected = outcomeExpectations(want)
	pr, err := r.request(p.Request)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Title += " for " + pr.Value.Amount + " " + pr.Value.Currency
	sess, err := r.session(ctx, p.PayapUser)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	items, err := r.c.Wallet(ctx, sess)
	if err != nil {
		out.Err = "read the wallet to find the asset: " + err.Error()
		return out
	}
	i := slices.IndexFunc(items, func(it frontend.WalletItem) bool { return it.AssetID == p.Asset })
	if i < 0 {
		out.Err = fmt.Sprintf("asset %s is not in %s's wallet: connect it first", p.Asset, p.PayapUser)
		return out
	}
	out.Sent = fmt.Sprintf("POST payap /api/payments {paymentRequestId: %s, walletEntryId: %s}", pr.ID, items[i].ID)
	pay, err := r.c.Pay(ctx, sess, pr.ID, items[i].ID)
	if err != nil && frontend.StatusOf(err) == 0 {
		out.Err = err.Error()
		return out
	}
	// A pending payment is read again (each read polls the provider) until
	// it settles, unless pending is what is expected.
	for n := 0; err == nil && pay.Status == "pending" && want.Status != "pending" && n < 20; n++ {
		pay, err = r.c.Payment(ctx, sess, pay.ID)
	}
	got := outcome{status: pay.Status, reason: pay.FailureReason, http: 201}
	if err != nil {
		got = outcome{status: "failed", reason: frontend.CodeOf(err), http: frontend.StatusOf(err)}
		if got.http == 0 {
			out.Err = err.Error()
			return out
		}
	}
	out.Got = got.String()
	if pay.ProviderFailureReason != "" && pay.ProviderFailureReason != pay.FailureReason {
		out.Got += " (provider said " + pay.ProviderFailureReason + ")"
	}
	out.Misses = got.misses(want)
	return out
}

type outcome struct {
	status, reason string
	http           int
}

func (o outcome) String() string {
	s := fmt.Sprintf("%d, status %s", o.http, o.status)
	if o.reason != "" {
		s += ", failureReason " + o.reason
	}
	return s
}

func (o outcome) misses(want *Outcome) []string {
	var m []string
	if want.Status != "" && o.status != want.Status {
		m = append(m, fmt.Sprintf("status is %s, expected %s%s", o.status, want.Status, because(o.reason, "")))
	}
	if want.FailureReason != "" && o.reason != want.FailureReason {
		got := o.reason
		if got == "" {
			got = "(none)"
		}
		m = append(m, fmt.Sprintf("failureReason is %s, expected %s", got, want.FailureReason))
	}
	if want.HTTPStatus != 0 && o.http != want.HTTPStatus {
		m = append(m, fmt.Sprintf("HTTP status is %d, expected %d", o.http, want.HTTPStatus))
	}
	return m
}

func outcomeExpectations(o *Outcome) []string {
	var out []string
	if o.Status != "" {
		out = append(out, "status "+o.Status)
	}
	if o.FailureReason != "" {
		out = append(out, "failureReason "+o.FailureReason)
	}
	if o.HTTPStatus != 0 {
		out = append(out, "HTTP status "+strconv.Itoa(o.HTTPStatus))
	}
	return out
}

func (r *runner) refund(ctx context.Context, f *RefundStep) res {
	out := res{Title: "the merchant refunds " + f.Amount.String()}
	want := f.Expect
	if want == nil {
		want = &Outcome{Status: "successful"}
	}
	out.Expected = outcomeExpectations(want)
	pr, err := r.request(f.Request)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Title += " of " + pr.ID
	out.Sent = fmt.Sprintf("POST centrapay /api/payment-requests/%s/refund {value: %s %s}", pr.ID, f.Amount, pr.Value.Currency)
	_, err = r.c.Refund(ctx, pr.key, pr.ID, int64(f.Amount), pr.Value.Currency, "")
	got := outcome{status: "successful", http: 200}
	if err != nil {
		got = outcome{status: "failed", reason: frontend.CodeOf(err), http: frontend.StatusOf(err)}
		if got.http == 0 {
			out.Err = err.Error()
			return out
		}
	}
	out.Got = got.String()
	out.Misses = got.misses(want)
	return out
}

// void voids (what "void") or cancels (what "cancel") a payment request;
// both are Centrapay's void, and the outcome is the request's status after.
func (r *runner) void(ctx context.Context, what, name string, want *Outcome) res {
	out := res{Title: "the merchant " + what + "s the payment request"}
	if want == nil {
		want = &Outcome{Status: "cancelled"}
	}
	out.Expected = outcomeExpectations(want)
	pr, err := r.request(name)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	out.Title += " " + pr.ID
	key := pr.key
	out.Sent = "POST centrapay /api/payment-requests/" + pr.ID + "/void"
	_, err = r.c.Void(ctx, key, pr.ID)
	got := outcome{http: 200}
	if err != nil {
		got.http, got.reason = frontend.StatusOf(err), frontend.CodeOf(err)
		if got.http == 0 {
			out.Err = err.Error()
			return out
		}
	}
	after, rerr := r.c.PaymentRequest(ctx, key, pr.ID)
	if rerr != nil {
		out.Err = "read the payment request back: " + rerr.Error()
		return out
	}
	got.status = after.Status
	out.Got = got.String()
	out.Misses = got.misses(want)
	return out
}

func (r *runner) expect(ctx context.Context, e *ExpectStep) res {
	out := res{Title: "check"}
	var what []string
	if p := e.PaymentRequest; p != nil {
		label := p.Name
		if label == "" {
			label = "the latest payment request"
		}
		what = append(what, label)
		out.Expected = append(out.Expected, fmt.Sprintf("%s is %s", label, p.Status))
		pr, err := r.request(p.Name)
		if err != nil {
			out.Err = err.Error()
			return out
		}
		got, err := r.c.PaymentRequest(ctx, pr.key, pr.ID)
		if err != nil {
			out.Err = err.Error()
			return out
		}
		if got.Status != p.Status {
			miss := fmt.Sprintf("%s (%s) is %s, expected %s", label, pr.ID, got.Status, p.Status)
			if got.CancellationReason != "" {
				miss += " (cancellation reason " + got.CancellationReason + ")"
			}
			out.Misses = append(out.Misses, miss)
		}
	}
	if b := e.Balance; b != nil {
		what = append(what, "asset "+b.Asset)
		out.Expected = append(out.Expected, fmt.Sprintf("asset %s balance %s", b.Asset, b.Equals))
		got, ok := r.t.Balance(b.Asset)
		switch {
		case !ok:
			out.Misses = append(out.Misses, fmt.Sprintf("the provider has no asset %s", b.Asset))
		case got != int64(b.Equals):
			out.Misses = append(out.Misses, fmt.Sprintf("asset %s balance is %d, expected %s", b.Asset, got, b.Equals))
		}
	}
	if j := e.Journal; j != nil {
		desc := journalDesc(j)
		what = append(what, "the journal")
		n, err := r.awaitJournal(ctx, j)
		if err != nil {
			out.Err = err.Error()
			return out
		}
		switch {
		case j.Count != nil:
			out.Expected = append(out.Expected, fmt.Sprintf("%d × %s", *j.Count, desc))
			if n != *j.Count {
				out.Misses = append(out.Misses, fmt.Sprintf("the journal has %d × %s, expected %d", n, desc, *j.Count))
			}
		default:
			out.Expected = append(out.Expected, "at least one "+desc)
			if n == 0 {
				out.Misses = append(out.Misses, "the journal has no "+desc)
			}
		}
	}
	out.Title = "check " + strings.Join(what, ", ")
	return out
}

func journalDesc(j *JournalExpect) string {
	parts := []string{j.Service}
	if j.Method != "" {
		parts = append(parts, j.Method)
	}
	if j.Path != "" {
		parts = append(parts, j.Path)
	}
	if j.Status != 0 {
		parts = append(parts, "→ "+strconv.Itoa(j.Status))
	}
	if j.Fault != "" {
		parts = append(parts, "[fault "+j.Fault+"]")
	}
	return strings.Join(parts, " ")
}

// journalWait is how long a journal expectation waits for exchanges that
// have not happened yet: webhook deliveries run in the background.
const journalWait = 5 * time.Second

// awaitJournal counts the matching exchanges, waiting up to journalWait
// while there are fewer than expected (counts only grow).
func (r *runner) awaitJournal(ctx context.Context, j *JournalExpect) (int, error) {
	want := 1
	if j.Count != nil {
		want = *j.Count
	}
	deadline := time.Now().Add(journalWait)
	for {
		n, err := r.countJournal(j)
		if err != nil || n >= want || time.Now().After(deadline) {
			return n, err
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// countJournal counts the exchanges since the run began that match.
func (r *runner) countJournal(j *JournalExpect) (int, error) {
	match := func(string) bool { return true }
	if j.Path != "" {
		m, err := faults.PathMatcher(j.Path)
		if err != nil {
			return 0, err
		}
		match = m
	}
	n := 0
	for _, e := range r.t.Journal(r.start) {
		if e.Service == j.Service && (j.Method == "" || e.Method == j.Method) && match(e.Path) &&
			(j.Status == 0 || e.Status == j.Status) && (j.Fault == "" || e.Fault == j.Fault) {
			n++
		}
	}
	return n, nil
}
