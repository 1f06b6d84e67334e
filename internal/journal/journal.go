// Package journal is the sandbox's request journal: a bounded ring buffer of
// every HTTP exchange the services handle, with secrets masked. The TUI, the
// control API and the scenario runner all read the same journal.
package journal

import (
	"net/http"
	"sync"
	"time"
)

// Config bounds the journal's memory.
type Config struct {
	// Capacity is how many exchanges are kept; the oldest is dropped first.
	Capacity int `mapstructure:"capacity" yaml:"capacity" json:"capacity"`
	// MaxBodyBytes is how much of each request and response body is kept.
	MaxBodyBytes int `mapstructure:"max_body_bytes" yaml:"max_body_bytes" json:"maxBodyBytes"`
}

// DefaultConfig keeps the last 2,000 exchanges and 8 KiB of each body, so the
// journal never holds more than about 32 MiB of bodies.
func DefaultConfig() Config {
	return Config{Capacity: 2000, MaxBodyBytes: 8 << 10}
}

// Entry is one recorded HTTP exchange. Secrets (tokens, codes, verifiers,
// passwords, client secrets, cookies) are masked before an Entry is stored.
type Entry struct {
	ID              uint64        `json:"id"`
	Time            time.Time     `json:"time"` // sandbox clock at the start of the request
	Service         string        `json:"service"`
	Method          string        `json:"method"`
	Path            string        `json:"path"`
	Query           string        `json:"query,omitempty"`
	Status          int           `json:"status"`
	Latency         time.Duration `json:"latencyNs"`
	RequestHeaders  http.Header   `json:"requestHeaders,omitempty"`
	RequestBody     string        `json:"requestBody,omitempty"`
	ResponseHeaders http.Header   `json:"responseHeaders,omitempty"`
	ResponseBody    string        `json:"responseBody,omitempty"`
	// BodyTruncated is set when a body was longer than MaxBodyBytes.
	BodyTruncated bool `json:"bodyTruncated,omitempty"`
	// Fault names the injected fault that answered or altered this exchange.
	Fault string `json:"fault,omitempty"`
	// Outbound marks a request the service sent (a webhook delivery)
	// rather than one it answered; Path and Query are the URL called.
	Outbound bool `json:"outbound,omitempty"`
	// Error is why an outbound request got no answer (Status 0).
	Error string `json:"error,omitempty"`
}

// Journal is a fixed-capacity ring of Entries, safe for concurrent use.
// Append never blocks on readers.
type Journal struct {
	cfg Config

	mu      sync.Mutex
	ring    []Entry
	head    int    // index of the oldest entry
	n       int    // entries held
	nextID  uint64 // ID of the next entry; IDs start at 1
	changed chan struct{}
}

// New returns an empty journal. Non-positive limits fall back to the defaults.
func New(cfg Config) *Journal {
	def := DefaultConfig()
	if cfg.Capacity <= 0 {
		cfg.Capacity = def.Capacity
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	return &Journal{cfg: cfg, ring: make([]Entry, cfg.Capacity), nextID: 1}
}

// Config returns the limits the journal was built with.
func (j *Journal) Config() Config { return j.cfg }

// Append stores e, overwriting the oldest entry when full, and returns the ID
// it was given.
func (j *Journal) Append(e Entry) uint64 {
	j.mu.Lock()
	e.ID = j.nextID
	j.nextID++
	if j.n < len(j.ring) {
		j.ring[(j.head+j.n)%len(j.ring)] = e
		j.n++
	} else {
		j.ring[j.head] = e
		j.head = (j.head + 1) % len(j.ring)
	}
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
	j.mu.Unlock()
	return e.ID
}

// Since returns, oldest first, up to limit entries whose ID is greater than
// after (limit <= 0 means all). Pass the last ID you saw to poll for news;
// pass 0 for everything still held.
func (j *Journal) Since(after uint64, limit int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	oldest := j.nextID - uint64(j.n)
	skip := 0
	if after >= oldest {
		skip = int(after - oldest + 1)
	}
	if skip > j.n {
		skip = j.n
	}
	count := j.n - skip
	if limit > 0 && count > limit {
		count = limit
	}
	out := make([]Entry, count)
	for i := range out {
		out[i] = j.ring[(j.head+skip+i)%len(j.ring)]
	}
	return out
}

// Get returns the entry with the given ID while it is still held.
func (j *Journal) Get(id uint64) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	oldest := j.nextID - uint64(j.n)
	if id < oldest || id >= j.nextID {
		return Entry{}, false
	}
	return j.ring[(j.head+int(id-oldest))%len(j.ring)], true
}

// Len returns how many entries are held.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}

// LastID returns the ID of the newest entry, or 0 when nothing was recorded.
func (j *Journal) LastID() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.nextID - 1
}

// Changed returns a channel that is closed by the next Append. Readers wait on
// it and then call Since with their cursor; it never blocks a writer.
func (j *Journal) Changed() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.changed == nil {
		j.changed = make(chan struct{})
	}
	return j.changed
}

// Reset drops every entry. IDs keep counting up, so cursors held by readers
// stay valid.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.head, j.n = 0, 0
}
