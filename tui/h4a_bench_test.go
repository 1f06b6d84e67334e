package tui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/oauth2"

	"github.com/payap/payap-sandbox/internal/browser"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockprovider"
)

// h4aToken runs the provider's authorization code flow for the demo user
// (login and consent through internal/browser, PKCE) and returns an access
// token.
func h4aToken(tb testing.TB, sb *sandbox.Sandbox) string {
	tb.Helper()
	p, _ := sb.Service(sandbox.ServiceProvider)
	redirect := sb.Config().Provider.Clients[0].RedirectURIs[0]
	verifier := oauth2.GenerateVerifier()
	auth := p.BaseURL + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {mockprovider.DefaultClientID}, "redirect_uri": {redirect},
		"scope": {"assets:read assets:pay"}, "state": {"st-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}.Encode()
	loc, err := browser.New(nil).Authorize(context.Background(), auth, browser.Decision{
		Username: mockprovider.DemoUsername, Password: mockprovider.DemoPassword,
	})
	if err != nil {
		tb.Fatalf("Authorize: %v", err)
	}
	resp, err := http.PostForm(p.BaseURL+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {mockprovider.DefaultClientID},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	})
	if err != nil {
		tb.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		tb.Fatalf("token response %d: %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

// h4aLoad sends GET /assets/12345 with token at rate requests per second
// until ctx ends.
func h4aLoad(ctx context.Context, base, token string, rate int) *sync.WaitGroup {
	var wg sync.WaitGroup
	jobs := make(chan struct{}, rate)
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for range 16 {
		wg.Go(func() {
			for range jobs {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/assets/12345", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		defer tr.CloseIdleConnections()
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case jobs <- struct{}{}:
				default: // the workers are behind; drop rather than queue
				}
			}
		}
	})
	return &wg
}

// BenchmarkH4aUpdateUnderLoad measures, under 1,000 requests/s to the
// provider from outside the model, how long Update takes on one journal
// drain message plus the View that follows, with the traffic pane shown.
func BenchmarkH4aUpdateUnderLoad(b *testing.B) {
	sb := h4aSandbox(b)
	token := h4aToken(b, sb)
	p, _ := sb.Service(sandbox.ServiceProvider)
	m := h4aModel(b, sb)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(keyMsg("3"))

	ctx, cancel := context.WithCancel(context.Background())
	wg := h4aLoad(ctx, p.BaseURL, token, 1000)
	b.Cleanup(func() { cancel(); wg.Wait() })

	var lat []time.Duration
	var entries int
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		msg := m.drainJournal()() // waits for traffic; not measured
		if jm, ok := msg.(journalMsg); ok {
			entries += len(jm.entries)
		}
		b.StartTimer()
		start := time.Now()
		m.Update(msg)
		_ = m.View()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if !strings.Contains(m.View(), "/assets/12345") {
		b.Fatal("the traffic pane does not show the load")
	}
	slices.Sort(lat)
	p99 := lat[min(len(lat)*99/100, len(lat)-1)]
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(entries)/float64(len(lat)), "entries/msg")
}
