package sandbox_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/sandbox"
)

const assetPath = "/assets/12345"

// BenchmarkGetAsset measures GET /assets/{id} through the whole stack
// (journal middleware, router, bearer check, store) against a bare net/http
// handler that writes the same bytes, both over loopback keep-alive
// connections and in-process.
func BenchmarkGetAsset(b *testing.B) {
	sb := MustStart(b)
	base := provider(b, sb).BaseURL
	token := MustTokens(b, sb).AccessToken

	// The exact answer the provider gives, for the bare handler to repeat.
	resp := bearerGet(b, newClient(b), base+assetPath, token)
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", assetPath, resp.StatusCode, want)
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(want)
	})
	stack := sb.Handler(sandbox.ServiceProvider)

	b.Run("stack/loopback", func(b *testing.B) { benchLoopback(b, base, token, want) })
	b.Run("bare/loopback", func(b *testing.B) {
		srv := httptest.NewServer(bare)
		defer srv.Close()
		benchLoopback(b, srv.URL, token, want)
	})
	b.Run("stack/inprocess", func(b *testing.B) { benchInProcess(b, stack, token, want) })
	b.Run("bare/inprocess", func(b *testing.B) { benchInProcess(b, bare, token, want) })
}

func benchLoopback(b *testing.B, base, token string, want []byte) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	req, err := http.NewRequest(http.MethodGet, base+assetPath, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var body bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body.Reset()
		_, err = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body.Bytes(), want) {
			b.Fatalf("GET %s: %d %s (%v)", assetPath, resp.StatusCode, body.Bytes(), err)
		}
	}
}

func benchInProcess(b *testing.B, h http.Handler, token string, want []byte) {
	req := httptest.NewRequest(http.MethodGet, assetPath, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			b.Fatalf("GET %s: %d %s", assetPath, rec.Code, rec.Body.Bytes())
		}
	}
}

// BenchmarkStartup measures New + Start on free ports until the provider
// answers its metadata with 200, then Shutdown.
func BenchmarkStartup(b *testing.B) {
	cfg := testConfig()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	for b.Loop() {
		sb, err := sandbox.New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := sb.Start(); err != nil {
			b.Fatal(err)
		}
		url := provider(b, sb).BaseURL + "/.well-known/oauth-authorization-server"
		for {
			resp, err := c.Get(url)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		if err := sb.Shutdown(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// discardWriter is a reusable ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

// heap is the heap after a full collection: the bytes in in-use spans
// (runtime.MemStats.HeapInuse) and the bytes of live objects (HeapAlloc).
type heap struct{ inUse, live uint64 }

func measureHeap() heap {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heap{inUse: ms.HeapInuse, live: ms.HeapAlloc}
}

type millionResult struct {
	start, at10k, at100k, at1M heap
	elapsed                    time.Duration
	journalLen                 int
}

var (
	millionOnce sync.Once
	million     millionResult
)

const millionRequests = 1_000_000

// BenchmarkMillionRequests sends 1,000,000 GET /assets/{id} through the
// stack in-process and reports the heap in use after 10k and after 1M
// requests: the journal is a ring, so the two stay close. The million runs
// once whatever b.N is; ns/op is reported per request.
func BenchmarkMillionRequests(b *testing.B) {
	if testing.Short() {
		b.Skip("sends a million requests; skipped in -short mode")
	}
	millionOnce.Do(func() { million = runMillion(b) })
	r := million
	const mb = 1 << 20
	b.ReportMetric(float64(r.elapsed.Nanoseconds())/millionRequests, "ns/op")
	b.ReportMetric(float64(r.start.inUse)/mb, "heap-MB@start")
	b.ReportMetric(float64(r.at10k.inUse)/mb, "heap-MB@10k")
	b.ReportMetric(float64(r.at100k.inUse)/mb, "heap-MB@100k")
	b.ReportMetric(float64(r.at1M.inUse)/mb, "heap-MB@1M")
	b.ReportMetric(float64(r.at10k.live)/mb, "live-MB@10k")
	b.ReportMetric(float64(r.at1M.live)/mb, "live-MB@1M")
	b.ReportMetric(float64(r.journalLen), "journal-entries")
	// A ring buffer's heap does not grow with traffic; allow generous noise.
	if r.at1M.inUse > r.at10k.inUse+32*mb {
		b.Errorf("heap grew from %d MiB after 10k requests to %d MiB after 1M", r.at10k.inUse/mb, r.at1M.inUse/mb)
	}
}

func runMillion(b *testing.B) millionResult {
	sb := MustStart(b)
	token := MustTokens(b, sb).AccessToken
	h := sb.Handler(sandbox.ServiceProvider)
	req := httptest.NewRequest(http.MethodGet, assetPath, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := &discardWriter{h: http.Header{}}

	var r millionResult
	r.start = measureHeap()
	start := time.Now()
	for i := 1; i <= millionRequests; i++ {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("request %d: status %d", i, w.code)
		}
		if i == 10_000 || i == 100_000 {
			r.elapsed += time.Since(start)
			if i == 10_000 {
				r.at10k = measureHeap()
			} else {
				r.at100k = measureHeap()
			}
			start = time.Now()
		}
	}
	r.elapsed += time.Since(start)
	r.at1M = measureHeap()
	r.journalLen = sb.Journal.Len()
	if want := sb.Config().Journal.Capacity; r.journalLen != want {
		b.Errorf("journal holds %d entries, want its capacity %d", r.journalLen, want)
	}
	return r
}
