package control

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/payap/payap-sandbox/internal/httpx"
	"github.com/payap/payap-sandbox/internal/journal"
)

// Journal page sizes.
const (
	defaultJournalLimit = 100
	maxJournalLimit     = 1000
)

// journalFilter selects journal entries; the zero filter takes all.
type journalFilter struct {
	service, method, fault string
	path                   *pathPattern
	status                 int // an exact status, or 1-5 for a class (4 is 4xx)
}

func (f journalFilter) match(e *journal.Entry) bool {
	switch {
	case f.service != "" && e.Service != f.service:
		return false
	case f.method != "" && !strings.EqualFold(e.Method, f.method):
		return false
	case f.fault == "*" && e.Fault == "":
		return false
	case f.fault != "" && f.fault != "*" && e.Fault != f.fault:
		return false
	case f.status >= 100 && e.Status != f.status:
		return false
	case f.status > 0 && f.status < 10 && e.Status/100 != f.status:
		return false
	case f.path != nil && !f.path.match(e.Path):
		return false
	}
	return true
}

// handleJournal pages through the journal: entries after since, oldest
// first, at most limit, filtered. next is the cursor for the next poll:
// the id of the last entry examined, or since when there is nothing new.
func (c *control) handleJournal(w http.ResponseWriter, r *http.Request) {
	q, e := queryParams(r, "since", "limit", "service", "method", "path", "status", "fault")
	if e != nil {
		writeError(w, e)
		return
	}
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "since "+strconv.Quote(v)+" is not an entry id; pass 0, or the next value of the previous page").field("since"))
			return
		}
		since = n
	}
	limit := defaultJournalLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxJournalLimit {
			writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "limit "+strconv.Quote(v)+" must be an integer from 1 to "+strconv.Itoa(maxJournalLimit)+" (default "+strconv.Itoa(defaultJournalLimit)+")").field("limit"))
			return
		}
		limit = n
	}
	f := journalFilter{service: q.Get("service"), method: q.Get("method"), fault: q.Get("fault")}
	if v := q.Get("path"); v != "" {
		p, err := compilePathPattern(v)
		if err != nil {
			writeError(w, newError(http.StatusBadRequest, "invalid_parameter", err.Error()).field("path"))
			return
		}
		f.path = &p
	}
	if v := q.Get("status"); v != "" {
		s, ok := parseStatusFilter(v)
		if !ok {
			writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "status "+strconv.Quote(v)+" must be a status such as 404 or a class such as 4xx").field("status"))
			return
		}
		f.status = s
	}

	j := c.b.Journal()
	page := journalPage{Entries: []journal.Entry{}, Next: since}
	batch := max(limit, 256)
scan:
	for {
		got := j.Since(page.Next, batch)
		if len(got) == 0 {
			break
		}
		for i := range got {
			page.Next = got[i].ID
			if f.match(&got[i]) {
				page.Entries = append(page.Entries, got[i])
				if len(page.Entries) == limit {
					break scan
				}
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, page)
}

// parseStatusFilter reads "404" as 404 and "4xx" as the class 4.
func parseStatusFilter(v string) (int, bool) {
	if len(v) != 3 || v[0] < '1' || v[0] > '5' {
		return 0, false
	}
	if strings.EqualFold(v[1:], "xx") {
		return int(v[0] - '0'), true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 100 && n <= 599
}

func (c *control) handleJournalEntry(w http.ResponseWriter, r *http.Request) {
	v := pathVar(r, "id")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "journal entry id "+strconv.Quote(v)+" must be a positive integer, as in the entries' id").field("id"))
		return
	}
	e, ok := c.b.Journal().Get(id)
	if !ok {
		writeError(w, newError(http.StatusNotFound, "journal_entry_not_found", "the journal holds no entry "+v+"; it keeps only the newest entries and a reset empties it"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, e)
}
