package mockcentrapay

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Media upload purposes and their limits (§4.9). KB is read as KiB.
const (
	mediaPurposeLogo       = "branding-logo"       // JPEG or PNG, at most 512 KB
	mediaPurposeOnboarding = "business-onboarding" // CSV, at most 50 KB

	mediaLogoMaxBytes       = 512 << 10
	mediaOnboardingMaxBytes = 50 << 10

	// mediaBodyMaxBytes caps the whole multipart request, so that an
	// oversized upload never fills memory; a larger body is FILE_TOO_LARGE.
	mediaBodyMaxBytes = 1<<20 + 64<<10

	// mediaMaxPerAccount bounds memory: an account keeps its newest 100
	// uploads and the oldest is dropped beyond that (its location, content
	// and use as a wallet logo then answer 403 Forbidden). Sandbox choice.
	mediaMaxPerAccount = 100

	// mediaURLLifetime is how long a signed content URL stays valid, on the
	// sandbox clock.
	mediaURLLifetime = 15 * time.Minute
)

// mediaUpload is a stored file. Uploads are never changed once stored.
type mediaUpload struct {
	ID        string
	AccountID string
	Purpose   string
	MimeType  string
	FileName  string
	Data      []byte
	CreatedAt time.Time
	CreatedBy string
}

// addMediaUpload stores u and drops the account's oldest upload beyond
// mediaMaxPerAccount.
func (s *MemStore) addMediaUpload(u *mediaUpload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.wallets
	st.uploads[u.ID] = u
	ids := append(st.uploadsByAccount[u.AccountID], u.ID)
	for len(ids) > mediaMaxPerAccount {
		delete(st.uploads, ids[0])
		ids = ids[1:]
	}
	st.uploadsByAccount[u.AccountID] = ids
}

func (s *MemStore) mediaUpload(id string) (*mediaUpload, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mediaUploadLocked(id)
}

// mediaUploadLocked is mediaUpload for a caller that holds s.mu.
func (s *MemStore) mediaUploadLocked(id string) (*mediaUpload, bool) {
	u, ok := s.wallets.uploads[id]
	return u, ok
}

// mediaSignature is the signed URL's signature: HMAC-SHA256 over the id and
// the expiry with the store's random key, base64url.
func (s *MemStore) mediaSignature(id string, expires int64) string {
	m := hmac.New(sha256.New, s.wallets.mediaKey)
	m.Write([]byte(id + "\n" + strconv.FormatInt(expires, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// mediaForm is what a media upload request carried.
type mediaForm struct {
	purpose, fileName string
	hasPurpose        bool
	file              []byte
	hasFile           bool
}

// readMediaForm streams the multipart body. Parts other than purpose and
// file are read and ignored (unknown fields are tolerated).
func readMediaForm(r *http.Request) (mediaForm, *apiError) {
	var f mediaForm
	tooLarge := func(err error) *apiError {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBusiness(http.StatusForbidden, "FILE_TOO_LARGE",
				fmt.Sprintf("the upload is larger than the %d KB request limit", mediaBodyMaxBytes>>10))
		}
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, errBadRequest("send the upload as multipart/form-data with the fields purpose and file")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			if e := tooLarge(err); e != nil {
				return f, e
			}
			return f, errBadRequest("the multipart/form-data body is malformed; send the fields purpose and file")
		}
		switch part.FormName() {
		case "purpose":
			if f.hasPurpose {
				return f, errBadRequest("send purpose once")
			}
			var b []byte
			b, err = io.ReadAll(io.LimitReader(part, 257))
			f.purpose, f.hasPurpose = strings.TrimSpace(string(b)), true
		case "file":
			if f.hasFile {
				return f, errBadRequest("send one file")
			}
			f.file, err = io.ReadAll(part) // bounded by the body cap
			f.fileName, f.hasFile = part.FileName(), true
		default:
			_, err = io.Copy(io.Discard, part)
		}
		if err != nil {
			if e := tooLarge(err); e != nil {
				return f, e
			}
			return f, errBadRequest("the multipart/form-data body is malformed; send the fields purpose and file")
		}
	}
}

// mediaCheck checks a file against its purpose and returns its MIME type.
// The type comes from the bytes (http.DetectContentType), never from the
// file name or the part's Content-Type.
func mediaCheck(purpose string, data []byte) (string, *apiError) {
	sniffed := http.DetectContentType(data)
	switch purpose {
	case mediaPurposeLogo:
		if len(data) > mediaLogoMaxBytes {
			return "", errBusiness(http.StatusForbidden, "FILE_TOO_LARGE",
				fmt.Sprintf("a branding-logo must be at most 512 KB (this file is %d bytes)", len(data)))
		}
		if sniffed != "image/png" && sniffed != "image/jpeg" {
			return "", errBusiness(http.StatusForbidden, "FILE_TYPE_INVALID",
				fmt.Sprintf("a branding-logo must be a JPEG or PNG image (this file looks like %s)", sniffed))
		}
		return sniffed, nil
	default: // mediaPurposeOnboarding
		if len(data) > mediaOnboardingMaxBytes {
			return "", errBusiness(http.StatusForbidden, "FILE_TOO_LARGE",
				fmt.Sprintf("a business-onboarding file must be at most 50 KB (this file is %d bytes)", len(data)))
		}
		if !isCSV(data, sniffed) {
			return "", errBusiness(http.StatusForbidden, "FILE_TYPE_INVALID",
				fmt.Sprintf("a business-onboarding file must be CSV text (this file looks like %s)", sniffed))
		}
		return "text/csv; charset=utf-8", nil
	}
}

// isCSV: non-empty UTF-8 text without NULs that encoding/csv reads to the end.
func isCSV(data []byte, sniffed string) bool {
	if len(bytes.TrimSpace(data)) == 0 || !strings.HasPrefix(sniffed, "text/plain") ||
		!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return false
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	_, err := cr.ReadAll()
	return err == nil
}

// handleCreateMediaUpload is POST /api/media-uploads (multipart/form-data,
// fields purpose and file) → 200 {id}.
func (c *centrapay) handleCreateMediaUpload(w http.ResponseWriter, r *http.Request, p principal) {
	r.Body = http.MaxBytesReader(w, r.Body, mediaBodyMaxBytes)
	f, e := readMediaForm(r)
	if e != nil {
		writeError(w, e)
		return
	}
	switch {
	case !f.hasPurpose || f.purpose == "":
		e = errBadRequest("purpose is required: branding-logo or business-onboarding")
	case f.purpose != mediaPurposeLogo && f.purpose != mediaPurposeOnboarding:
		e = errBadRequest("purpose must be branding-logo or business-onboarding")
	case !f.hasFile:
		e = errBadRequest("file is required")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	mime, e := mediaCheck(f.purpose, f.file)
	if e != nil {
		writeError(w, e)
		return
	}
	u := &mediaUpload{
		ID:        c.store.ids.id(""),
		AccountID: p.Account.ID,
		Purpose:   f.purpose,
		MimeType:  mime,
		FileName:  f.fileName,
		Data:      f.file,
		CreatedAt: c.clock.Now(),
		CreatedBy: p.crn(),
	}
	c.store.addMediaUpload(u)
	writeJSON(w, struct {
		ID string `json:"id"`
	}{u.ID})
}

// handleMediaUploadLocation is GET /api/media-uploads/{id}/location →
// {url}: a signed URL valid for 15 minutes of sandbox time. Only the
// uploading account may ask; any other gets 403 Forbidden.
func (c *centrapay) handleMediaUploadLocation(w http.ResponseWriter, r *http.Request, p principal) {
	id := pathVar(r, "mediaUploadId")
	u, ok := c.store.mediaUpload(id)
	if !ok || u.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	expires := c.clock.Now().Add(mediaURLLifetime).Unix()
	q := url.Values{}
	q.Set("expires", strconv.FormatInt(expires, 10))
	q.Set("signature", c.store.mediaSignature(u.ID, expires))
	writeJSON(w, struct {
		URL string `json:"url"`
	}{c.publicBase(r) + "/api/media-uploads/" + url.PathEscape(u.ID) + "/content?" + q.Encode()})
}

// publicBase is Config.PublicURL or, when the sandbox did not set it, the
// address the request came to.
func (c *centrapay) publicBase(r *http.Request) string {
	if c.cfg.PublicURL != "" {
		return strings.TrimSuffix(c.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// handleMediaUploadContent is GET /api/media-uploads/{id}/content?expires&
// signature (sandbox extension: what the signed URL points at; no API key,
// the signature is the credential). A wrong or missing signature, a passed
// expiry or an upload that is gone → 403 Forbidden with a reason.
func (c *centrapay) handleMediaUploadContent(w http.ResponseWriter, r *http.Request) {
	id := pathVar(r, "mediaUploadId")
	q := r.URL.Query()
	expires, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	sig := q.Get("signature")
	refresh := "; get a new URL from GET /api/media-uploads/" + id + "/location"
	if err != nil || sig == "" || !hmac.Equal([]byte(sig), []byte(c.store.mediaSignature(id, expires))) {
		writeError(w, newAPIError(http.StatusForbidden, "Forbidden", "the signature does not match"+refresh))
		return
	}
	if c.clock.Now().Unix() > expires {
		writeError(w, newAPIError(http.StatusForbidden, "Forbidden",
			"the signed URL expired at "+time.Unix(expires, 0).UTC().Format(timestampLayout)+refresh))
		return
	}
	u, ok := c.store.mediaUpload(id)
	if !ok {
		writeError(w, errForbidden())
		return
	}
	w.Header().Set("Content-Type", u.MimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(u.Data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age="+strconv.FormatInt(max(0, expires-c.clock.Now().Unix()), 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(u.Data)
}
