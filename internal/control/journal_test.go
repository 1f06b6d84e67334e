package control

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payap/payap-sandbox/internal/journal"
)

// TestH5JournalPollingOverHTTP follows the journal over a real loopback
// connection while a writer appends to it: polling with each answer's next
// as since sees every entry exactly once, in order, with and without a
// filter.
func TestH5JournalPollingOverHTTP(t *testing.T) {
	const total = 600
	services := []string{"provider", "payap", "centrapay"}
	for _, tc := range []struct {
		name, filter string
		want         func(id uint64) bool
	}{
		{"all", "", func(uint64) bool { return true }},
		{"provider only", "&service=provider", func(id uint64) bool { return (id-1)%3 == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := h5NewBackend()
			b.journal = journal.New(journal.Config{Capacity: total})
			srv := httptest.NewServer(New(Config{}, Deps{Backend: b}))
			defer srv.Close()
			doc := h5Doc(t)

			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range total {
					b.journal.Append(journal.Entry{Service: services[i%3], Method: "GET", Path: "/assets", Status: 200, Time: h5Start})
				}
			}()
			defer func() { <-done }()

			var cursor, seen uint64
			var want []uint64
			for id := uint64(1); id <= total; id++ {
				if tc.want(id) {
					want = append(want, id)
				}
			}
			for polls := 0; seen < uint64(len(want)); polls++ {
				if polls > 10*total {
					t.Fatalf("gave up after %d polls at cursor %d, %d of %d entries seen", polls, cursor, seen, len(want))
				}
				changed := b.journal.Changed()
				page := h5Poll(t, doc, srv, fmt.Sprintf("/__sandbox/journal?since=%d&limit=37%s", cursor, tc.filter))
				if page.Next < cursor {
					t.Fatalf("next %d went back from since %d", page.Next, cursor)
				}
				for _, e := range page.Entries {
					if seen >= uint64(len(want)) || e.ID != want[seen] {
						t.Fatalf("got entry %d after %d entries, want %v", e.ID, seen, want[min(seen, uint64(len(want)-1))])
					}
					seen++
				}
				if len(page.Entries) > 0 && page.Next != page.Entries[len(page.Entries)-1].ID && len(page.Entries) == 37 {
					t.Fatalf("a full page's next %d is not its last id %d", page.Next, page.Entries[len(page.Entries)-1].ID)
				}
				if len(page.Entries) == 0 && page.Next == cursor && seen < uint64(len(want)) {
					<-changed // nothing new yet: wait for the writer
				}
				cursor = page.Next
			}
			<-done
			if page := h5Poll(t, doc, srv, fmt.Sprintf("/__sandbox/journal?since=%d%s", cursor, tc.filter)); len(page.Entries) != 0 || page.Next < cursor {
				t.Errorf("after the last entry: %d entries, next %d; want none and next >= %d", len(page.Entries), page.Next, cursor)
			}
		})
	}
}

func h5Poll(t *testing.T, doc map[string]any, srv *httptest.Server, path string) journalPage {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, raw)
	}
	h5CheckAnswer(t, doc, http.MethodGet, "/__sandbox/journal", res.StatusCode, res.Header, raw)
	var page journalPage
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	return page
}

func TestH5PathPattern(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		match, miss   []string
	}{
		{"exact", "/token", []string{"/token"}, []string{"/token/", "/tokens", "/", "/x/token"}},
		{"root", "/", []string{"/"}, []string{"/a", ""}},
		{"placeholder", "/assets/{assetId}", []string{"/assets/1", "/assets/abc"}, []string{"/assets", "/assets/", "/assets/1/x", "/asset/1"}},
		{"placeholder in the middle", "/api/{id}/reconnect", []string{"/api/7/reconnect"}, []string{"/api//reconnect", "/api/7/other"}},
		{"below", "/api/**", []string{"/api/", "/api/a", "/api/a/b"}, []string{"/api", "/apix/a"}},
		{"everything", "/**", []string{"/", "/a/b/c"}, []string{""}},
		{"placeholder then below", "/api/{id}/**", []string{"/api/1/x", "/api/1/"}, []string{"/api/1", "/api//x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compilePathPattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range tc.match {
				if !p.match(path) {
					t.Errorf("%s does not match %q", tc.pattern, path)
				}
			}
			for _, path := range tc.miss {
				if p.match(path) {
					t.Errorf("%s matches %q", tc.pattern, path)
				}
			}
		})
	}
	for _, bad := range []string{"", "assets", "/assets/*", "/a/**/b", "/a/{b", "/a/x{b}", "/a/{}"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			if _, err := compilePathPattern(bad); err == nil {
				t.Errorf("%q compiled", bad)
			}
		})
	}
}
