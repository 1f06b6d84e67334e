package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/frontend"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// h7PortsEnv puts every service on a port the OS chooses, as the usage
// text suggests: PAYAP_SANDBOX_*_PORT=0.
var h7PortsEnv = env{
	"PAYAP_SANDBOX_PROVIDER_PORT":  "0",
	"PAYAP_SANDBOX_PAYAP_PORT":     "0",
	"PAYAP_SANDBOX_CENTRAPAY_PORT": "0",
}

// h7Run is one run of the program, serving until stop is called.
type h7Run struct {
	m      *Main
	stdout *syncBuffer
	cancel context.CancelFunc
	done   chan error
	http   *http.Client
	fe     *frontend.Client
	urls   frontend.URLs
}

// h7Start runs Main with args on free ports until it is ready. The run is
// stopped when the test ends, if the test has not stopped it.
func h7Start(t *testing.T, args ...string) *h7Run {
	t.Helper()
	m, stdout, stderr := newTestMain(h7PortsEnv)
	if err := m.ParseFlags(context.Background(), args); err != nil {
		t.Fatalf("ParseFlags(%q) = %v", args, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &h7Run{m: m, stdout: stdout, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-r.done:
		cancel()
		t.Fatalf("Run returned before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	r.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for _, s := range []struct {
		name string
		url  *string
	}{
		{sandbox.ServiceProvider, &r.urls.Provider},
		{sandbox.ServicePayap, &r.urls.Payap},
		{sandbox.ServiceCentrapay, &r.urls.Centrapay},
	} {
		svc, ok := m.Sandbox.Service(s.name)
		if !ok {
			t.Fatalf("no %s running", s.name)
		}
		*s.url = svc.BaseURL
	}
	r.fe = frontend.New(r.urls, r.http)
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if r.cancel != nil {
			r.cancel()
			<-r.done
		}
	})
	return r
}

// stop cancels the run's context, as SIGINT does, and requires a clean
// shutdown (which writes --state).
func (r *h7Run) stop(t *testing.T) {
	t.Helper()
	r.http.Transport.(*http.Transport).CloseIdleConnections()
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Fatalf("Run = %v, want a clean shutdown\nstdout:\n%s", err, r.stdout)
	}
}

// control calls the control API (or any JSON endpoint) and decodes a 200
// answer into out.
func (r *h7Run) control(t *testing.T, method, url string, header http.Header, body string, out any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, data, err)
		}
	}
}

// clock reads GET /__sandbox/clock.
func (r *h7Run) clock(t *testing.T, base string) time.Time {
	t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	r.control(t, http.MethodGet, base+"/__sandbox/clock", nil, "", &c)
	if c.Now.IsZero() {
		t.Fatal("GET /__sandbox/clock answered no time")
	}
	return c.Now
}

// balances maps the wallet's asset ids to their live balances ("" when the
// wallet shows none), failing on an entry that is not available.
func h7Balances(t *testing.T, items []frontend.WalletItem) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range items {
		if it.Status != "available" || it.Balance == nil {
			t.Errorf("wallet entry %s (%s) is %s with problem %+v, want available with a balance", it.ID, it.AssetID, it.Status, it.Problem)
			out[it.AssetID] = ""
			continue
		}
		out[it.AssetID] = *it.Balance
	}
	return out
}

// TestH7StateSurvivesRestart builds state through the real HTTP APIs (a
// grant, a paid payment request, a balance change, a clock step), stops the
// program, starts it again on the same --state file and finds everything
// there: the grant and its tokens answer live balances, the request is
// paid, the payment is listed, the clock has not gone back. A truncated
// state file then stops the program from starting and is left as it was.
func TestH7StateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	stateFile := filepath.Join(t.TempDir(), "state.json")
	const amount = 1200

	// Run 1: no state file yet.
	r1 := h7Start(t, "--state", stateFile)
	if !strings.Contains(r1.stdout.String(), "no state file yet") {
		t.Errorf("run 1 does not say the state file is new:\n%s", r1.stdout)
	}
	sess, err := r1.fe.SignIn(ctx, mockpayap.DemoEmail, mockpayap.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r1.fe.Connect(ctx, sess, "", frontend.Consent{Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword})
	if err != nil || res.Outcome != "connected" {
		t.Fatalf("Connect = %+v, %v; want connected", res, err)
	}
	wallet, err := r1.fe.Wallet(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	var everyday string
	for _, it := range wallet {
		if it.AssetID == "12345" {
			everyday = it.ID
		}
	}
	if everyday == "" {
		t.Fatalf("the wallet has no entry for asset 12345: %+v", wallet)
	}
	pr, err := r1.fe.CreatePaymentRequest(ctx, mockcentrapay.MerchantTerminalKey, frontend.PaymentRequestOptions{
		ConfigID: mockcentrapay.SandboxMerchantConfigID, Amount: amount, Currency: "NZD",
	})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := r1.fe.Pay(ctx, sess, pr.ID, everyday)
	if err != nil || pay.Status != mockpayap.PaymentSuccessful {
		t.Fatalf("Pay = %+v, %v; want successful", pay, err)
	}
	h7WaitPaid(t, r1.fe, pr.ID)
	r1.control(t, http.MethodPost, r1.urls.Payap+"/__sandbox/clock/advance", nil, `{"by":"3h"}`, nil)
	r1.control(t, http.MethodPut, r1.urls.Provider+"/__sandbox/provider/assets/56789/balance", nil, `{"balance":"777"}`, nil)
	want := map[string]string{"12345": fmt.Sprint(5000 - amount), "56789": "777", mockprovider.PendingAssetID: "20000"}
	wallet, err = r1.fe.Wallet(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if got := h7Balances(t, wallet); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("run 1 wallet balances %v, want %v", got, want)
	}
	clockAtStop := r1.clock(t, r1.urls.Centrapay)
	stopped := time.Now()
	r1.stop(t)

	saved, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatalf("run 1 wrote no state file: %v\nstdout:\n%s", err, r1.stdout)
	}
	st, err := sandbox.DecodeState(saved)
	if err != nil {
		t.Fatalf("run 1 wrote a state file the sandbox cannot read: %v", err)
	}
	if st.Clock.Before(clockAtStop) {
		t.Errorf("saved clock %s is before the clock read at shutdown %s", st.Clock, clockAtStop)
	}

	// Run 2: the same state file, new ports.
	r2 := h7Start(t, "--state", stateFile)
	ready := time.Now()
	if !strings.Contains(r2.stdout.String(), "state restored") {
		t.Errorf("run 2 does not say the state was restored:\n%s", r2.stdout)
	}
	sess2, err := r2.fe.SignIn(ctx, mockpayap.DemoEmail, mockpayap.DemoPassword)
	if err != nil {
		t.Fatalf("the Payap user cannot sign in after the restart: %v", err)
	}
	// Live balances prove the grant and its tokens survived: the access
	// token is past its hour, so this also refreshes with the saved
	// refresh token, against the provider on its new port.
	wallet2, err := r2.fe.Wallet(ctx, sess2)
	if err != nil {
		t.Fatal(err)
	}
	if got := h7Balances(t, wallet2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("run 2 wallet balances %v, want %v", got, want)
	}
	pr2, err := r2.fe.PaymentRequest(ctx, mockcentrapay.MerchantTerminalKey, pr.ID)
	if err != nil || pr2.Status != "paid" {
		t.Fatalf("payment request after the restart = %+v, %v; want paid", pr2, err)
	}
	var pays struct {
		Items []frontend.Payment `json:"items"`
	}
	r2.control(t, http.MethodGet, r2.urls.Payap+"/api/payments", http.Header{"Authorization": {"Bearer " + sess2.Token}}, "", &pays)
	listed := false
	for _, p := range pays.Items {
		if p.ID == pay.ID {
			listed = true
			if p.Status != mockpayap.PaymentSuccessful || p.PaymentRequestID != pr.ID {
				t.Errorf("listed payment %+v, want successful for %s", p, pr.ID)
			}
		}
	}
	if !listed {
		t.Errorf("payment %s is not listed after the restart: %+v", pay.ID, pays.Items)
	}
	now2 := time.Now()
	clock2 := r2.clock(t, r2.urls.Provider)
	if clock2.Before(clockAtStop) || clock2.Before(st.Clock) {
		t.Errorf("clock after the restart %s is earlier than at shutdown %s (saved %s)", clock2, clockAtStop, st.Clock)
	}
	// The sandbox clock stands still while the program is stopped, so it is
	// 3h ahead of the wall clock less that downtime, at most ready-stopped.
	ahead, downtime := clock2.Sub(now2), ready.Sub(stopped)
	if ahead < 3*time.Hour-downtime {
		t.Errorf("clock after the restart is %s ahead of the wall clock, want at least 3h less the %s downtime", ahead, downtime)
	}
	t.Logf("after the restart the clock is %s ahead of the wall clock; the program was down at most %s", ahead, downtime)
	r2.stop(t)

	// Run 3: a truncated state file is refused, and left as it was.
	saved, err = os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := saved[:len(saved)/2]
	if err := os.WriteFile(stateFile, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	h7RequireRefused(t, stateFile, corrupt, "unexpected EOF")
}

// h7WaitPaid polls the payment request until it is paid, as a POS does.
func h7WaitPaid(t *testing.T, fe *frontend.Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		pr, err := fe.PaymentRequest(context.Background(), mockcentrapay.MerchantTerminalKey, id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Status == "paid" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment request %s is %s, never paid", id, pr.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// h7RequireRefused runs the program on a bad state file: it must exit 1
// with an error naming the file and the problem, start nothing, and leave
// the file byte for byte as it was.
func h7RequireRefused(t *testing.T, stateFile string, content []byte, problem string) {
	t.Helper()
	m, stdout, stderr := newTestMain(h7PortsEnv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := m.Exec(ctx, []string{"--state", stateFile})
	if code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	msg := stderr.String()
	for _, want := range []string{"payap-sandbox: restore the state", stateFile, "invalid state snapshot", problem} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr does not say %q:\n%s", want, msg)
		}
	}
	select {
	case <-m.Ready():
		t.Error("Ready is closed although the state was refused")
	default:
	}
	after, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatalf("the refused state file is gone: %v", err)
	}
	if !bytes.Equal(after, content) {
		t.Errorf("the refused state file changed:\n%s\nwant:\n%s", after, content)
	}
}

// TestH7CorruptStateRefused: every kind of bad state file stops the
// program at start with exit 1 and a message saying what is wrong, and the
// file is left untouched.
func TestH7CorruptStateRefused(t *testing.T) {
	for _, tc := range []struct {
		name, content, problem string
	}{
		{"empty file", "", "not a state snapshot"},
		{"not JSON", "state: yes\n", "not a state snapshot"},
		{"truncated JSON", `{"version": 1, "clock": "2026-01-01T09:00:00Z", "provider": {`, "unexpected EOF"},
		{"misspelt key", `{"version": 1, "clokc": "2026-01-01T09:00:00Z"}`, `unknown field "clokc"`},
		{"newer version", `{"version": 2, "clock": "2026-01-01T09:00:00Z"}`, "version 2"},
		{"no clock", `{"version": 1}`, "clock: missing"},
		{"two values", `{"version": 1} {"version": 1}`, "more than one JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stateFile := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(stateFile, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			h7RequireRefused(t, stateFile, []byte(tc.content), tc.problem)
		})
	}
}
