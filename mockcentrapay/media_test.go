package mockcentrapay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wlPart is one part of a multipart/form-data body.
type wlPart struct {
	name, fileName, contentType string
	data                        []byte
}

func wlMultipart(t testing.TB, parts ...wlPart) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.fileName != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.fileName)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// postMedia sends a multipart body to POST /api/media-uploads.
func (e *wlEnv) postMedia(t testing.TB, key, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/media-uploads", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// wlUpload uploads a file and returns its id.
func wlUpload(t testing.TB, e *wlEnv, key, purpose, fileName string, data []byte) string {
	t.Helper()
	body, ct := wlMultipart(t, wlPart{name: "purpose", data: []byte(purpose)}, wlPart{name: "file", fileName: fileName, data: data})
	var got map[string]string
	wlWantOK(t, e.postMedia(t, key, ct, body), &got)
	if len(got) != 1 || len(got["id"]) != 22 {
		t.Fatalf("upload answered %v, want {id} with a 22-character id", got)
	}
	return got["id"]
}

// wlPNG is a side×side PNG of random pixels (incompressible, so its size
// grows with side: 400 gives about 625 KiB).
func wlPNG(t testing.TB, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	rnd := rand.New(rand.NewPCG(uint64(side), 7))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.IntN(256))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wlJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wlGIF(t testing.TB) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCreateMediaUpload(t *testing.T) {
	e := wlNew(t)
	bigPNG := wlPNG(t, 400)
	if len(bigPNG) <= 600<<10 || len(bigPNG) >= mediaBodyMaxBytes-4096 {
		t.Fatalf("the large PNG is %d bytes; the test wants 600 KB to 1 MiB", len(bigPNG))
	}
	purpose := func(p string) wlPart { return wlPart{name: "purpose", data: []byte(p)} }
	file := func(name string, data []byte) wlPart { return wlPart{name: "file", fileName: name, data: data} }
	csv := []byte("merchantName,country\nAcme,NZ\n")

	ok := []struct {
		name  string
		parts []wlPart
		mime  string
	}{
		{"PNG logo", []wlPart{purpose("branding-logo"), file("logo.png", wlPNG(t, 8))}, "image/png"},
		{"JPEG logo", []wlPart{purpose("branding-logo"), file("logo.jpg", wlJPEG(t))}, "image/jpeg"},
		{"the bytes decide, not the name or part type", []wlPart{purpose("branding-logo"), {name: "file", fileName: "logo.gif", contentType: "image/gif", data: wlPNG(t, 8)}}, "image/png"},
		{"file before purpose, extra fields ignored", []wlPart{file("logo.png", wlPNG(t, 8)), {name: "note", data: []byte("hi")}, purpose("branding-logo")}, "image/png"},
		{"CSV for onboarding", []wlPart{purpose("business-onboarding"), file("merchants.csv", csv)}, "text/csv; charset=utf-8"},
		{"PNG of 512 KB exactly", []wlPart{purpose("branding-logo"), file("logo.png", append(wlPNG(t, 8), make([]byte, 512<<10-len(wlPNG(t, 8)))...))}, "image/png"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := wlMultipart(t, tc.parts...)
			var got map[string]string
			wlWantOK(t, e.postMedia(t, PatronOwnerKey, ct, body), &got)
			u, found := e.store.mediaUpload(got["id"])
			if !found || u.MimeType != tc.mime || u.AccountID != PatronAccountID || u.CreatedBy != CRN(PatronAccountID, "api-key", "PatronOwner") {
				t.Fatalf("stored %+v (found %v), want mime %s", u, found, tc.mime)
			}
		})
	}

	bad := []struct {
		name        string
		key         string
		contentType string // "" means the multipart writer's
		body        []byte
		parts       []wlPart
		status      int
		message     string
		reason      string
	}{
		{name: "GIF logo", parts: []wlPart{purpose("branding-logo"), file("logo.gif", wlGIF(t))}, status: 403, message: "FILE_TYPE_INVALID", reason: "looks like image/gif"},
		{name: "GIF named .png and typed image/png", parts: []wlPart{purpose("branding-logo"), {name: "file", fileName: "logo.png", contentType: "image/png", data: wlGIF(t)}}, status: 403, message: "FILE_TYPE_INVALID", reason: "a branding-logo must be a JPEG or PNG image"},
		{name: "text as logo", parts: []wlPart{purpose("branding-logo"), file("logo.png", []byte("not an image"))}, status: 403, message: "FILE_TYPE_INVALID", reason: "looks like text/plain"},
		{name: "600 KB PNG", parts: []wlPart{purpose("branding-logo"), file("logo.png", bigPNG)}, status: 403, message: "FILE_TOO_LARGE", reason: "a branding-logo must be at most 512 KB"},
		{name: "PNG one byte over 512 KB", parts: []wlPart{purpose("branding-logo"), file("logo.png", append(wlPNG(t, 8), make([]byte, 512<<10+1-len(wlPNG(t, 8)))...))}, status: 403, message: "FILE_TOO_LARGE", reason: "at most 512 KB"},
		{name: "body over the request cap", parts: []wlPart{purpose("branding-logo"), file("logo.png", append(wlPNG(t, 8), make([]byte, 2<<20)...))}, status: 403, message: "FILE_TOO_LARGE", reason: "request limit"},
		{name: "CSV over 50 KB", parts: []wlPart{purpose("business-onboarding"), file("m.csv", bytes.Repeat([]byte("a,b\n"), 13000))}, status: 403, message: "FILE_TOO_LARGE", reason: "at most 50 KB"},
		{name: "PNG for onboarding", parts: []wlPart{purpose("business-onboarding"), file("m.csv", wlPNG(t, 8))}, status: 403, message: "FILE_TYPE_INVALID", reason: "must be CSV text (this file looks like image/png)"},
		{name: "empty CSV", parts: []wlPart{purpose("business-onboarding"), file("m.csv", nil)}, status: 403, message: "FILE_TYPE_INVALID", reason: "must be CSV text"},
		{name: "broken CSV quoting", parts: []wlPart{purpose("business-onboarding"), file("m.csv", []byte("a,\"b\nc"))}, status: 403, message: "FILE_TYPE_INVALID", reason: "must be CSV text"},
		{name: "missing purpose", parts: []wlPart{file("logo.png", wlPNG(t, 8))}, status: 400, message: "purpose is required: branding-logo or business-onboarding"},
		{name: "empty purpose", parts: []wlPart{purpose(""), file("logo.png", wlPNG(t, 8))}, status: 400, message: "purpose is required: branding-logo or business-onboarding"},
		{name: "unknown purpose", parts: []wlPart{purpose("avatar"), file("logo.png", wlPNG(t, 8))}, status: 400, message: "purpose must be branding-logo or business-onboarding"},
		{name: "very long purpose", parts: []wlPart{purpose(strings.Repeat("x", 5000)), file("logo.png", wlPNG(t, 8))}, status: 400, message: "purpose must be branding-logo or business-onboarding"},
		{name: "missing file", parts: []wlPart{purpose("branding-logo")}, status: 400, message: "file is required"},
		{name: "two files", parts: []wlPart{purpose("branding-logo"), file("a.png", wlPNG(t, 8)), file("b.png", wlPNG(t, 8))}, status: 400, message: "send one file"},
		{name: "purpose twice", parts: []wlPart{purpose("branding-logo"), purpose("branding-logo"), file("a.png", wlPNG(t, 8))}, status: 400, message: "send purpose once"},
		{name: "JSON body", contentType: "application/json", body: []byte(`{"purpose":"branding-logo"}`), status: 400, message: "send the upload as multipart/form-data with the fields purpose and file"},
		{name: "no content type", contentType: "-", body: []byte("x"), status: 400, message: "send the upload as multipart/form-data with the fields purpose and file"},
		{name: "malformed part header", contentType: "multipart/form-data; boundary=B", body: []byte("--B\r\nno colon here\r\n\r\nx\r\n--B--\r\n"), status: 400, message: "the multipart/form-data body is malformed; send the fields purpose and file"},
		{name: "no API key", key: "-", parts: []wlPart{purpose("branding-logo"), file("logo.png", wlPNG(t, 8))}, status: 401, message: "Missing authentication"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body, tc.contentType
			if tc.parts != nil {
				body, ct = wlMultipart(t, tc.parts...)
			}
			if ct == "-" {
				ct = ""
			}
			key := tc.key
			switch key {
			case "":
				key = PatronOwnerKey
			case "-":
				key = ""
			}
			before := len(e.store.wallets.uploads)
			wlWantError(t, e.postMedia(t, key, ct, body), tc.status, tc.message, tc.reason)
			if after := len(e.store.wallets.uploads); after != before {
				t.Fatalf("a refused upload was stored (%d uploads, was %d)", after, before)
			}
		})
	}
}

// wlLocation asks for an upload's signed URL and returns it parsed.
func wlLocation(t testing.TB, e *wlEnv, key, id string) *url.URL {
	t.Helper()
	var got map[string]string
	wlWantOK(t, e.do(t, http.MethodGet, "/api/media-uploads/"+id+"/location", key, nil), &got)
	if len(got) != 1 {
		t.Fatalf("location answered %v, want {url}", got)
	}
	u, err := url.Parse(got["url"])
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMediaUploadSignedURL(t *testing.T) {
	e := wlNew(t)
	logo := wlPNG(t, 8)
	id := wlUpload(t, e, PatronOwnerKey, mediaPurposeLogo, "logo.png", logo)
	u := wlLocation(t, e, PatronOwnerKey, id)

	wantPrefix := e.cfg.PublicURL + "/api/media-uploads/" + id + "/content?"
	if !strings.HasPrefix(u.String(), wantPrefix) {
		t.Fatalf("url %s, want it to start with %s", u, wantPrefix)
	}
	if exp := u.Query().Get("expires"); exp != strconv.FormatInt(wlStart.Add(15*time.Minute).Unix(), 10) {
		t.Fatalf("expires %s, want now + 15 min", exp)
	}
	get := func(t *testing.T, target string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil)) // no API key: the signature is the credential
		return rec
	}
	with := func(k, v string) string {
		q := u.Query()
		q.Set(k, v)
		return u.Path + "?" + q.Encode()
	}

	t.Run("valid signature serves the bytes", func(t *testing.T) {
		rec := get(t, u.RequestURI())
		if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), logo) {
			t.Fatalf("status %d, %d bytes; want 200 and the %d uploaded bytes", rec.Code, rec.Body.Len(), len(logo))
		}
		if rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("headers %v", rec.Header())
		}
	})
	// Tamper with the signature's first character, whatever it is (the key
	// is random, so the signature can start with any character).
	sig := u.Query().Get("signature")
	first := "A"
	if sig[0] == 'A' {
		first = "B"
	}
	for _, tc := range []struct{ name, target, reason string }{
		{"tampered signature", with("signature", first+sig[1:]), "the signature does not match"},
		{"tampered expiry", with("expires", strconv.FormatInt(wlStart.Add(time.Hour).Unix(), 10)), "the signature does not match"},
		{"expiry not a number", with("expires", "soon"), "the signature does not match"},
		{"missing signature", u.Path + "?expires=" + u.Query().Get("expires"), "the signature does not match"},
		{"another upload's path", strings.Replace(u.RequestURI(), id, "SbxPatronAsset11111111", 1), "the signature does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) { wlWantError(t, get(t, tc.target), 403, "Forbidden", tc.reason) })
	}
	t.Run("still valid at the expiry instant", func(t *testing.T) {
		_ = e.clock.Advance(15 * time.Minute)
		if rec := get(t, u.RequestURI()); rec.Code != 200 {
			t.Fatalf("status %d at the expiry instant, want 200", rec.Code)
		}
	})
	t.Run("expired after advancing the clock", func(t *testing.T) {
		_ = e.clock.Advance(time.Second)
		wlWantError(t, get(t, u.RequestURI()), 403, "Forbidden", "the signed URL expired at 2026-01-01T09:15:00.000Z")
	})
	t.Run("a fresh location works again", func(t *testing.T) {
		if rec := get(t, wlLocation(t, e, PatronOwnerKey, id).RequestURI()); rec.Code != 200 {
			t.Fatalf("status %d, want 200", rec.Code)
		}
	})
	t.Run("CSV is served as text/csv", func(t *testing.T) {
		csvID := wlUpload(t, e, PatronOwnerKey, mediaPurposeOnboarding, "m.csv", []byte("a,b\n"))
		rec := get(t, wlLocation(t, e, PatronOwnerKey, csvID).RequestURI())
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || rec.Body.String() != "a,b\n" {
			t.Fatalf("status %d, type %q, body %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
	for _, tc := range []struct {
		name, key, id string
		status        int
		message       string
	}{
		{"another account's upload", PayapOwnerKey, id, 403, "Forbidden"},
		{"unknown upload", PatronOwnerKey, "nope", 403, "Forbidden"},
		{"no API key", "", id, 401, "Missing authentication"},
	} {
		t.Run("location: "+tc.name, func(t *testing.T) {
			wlWantError(t, e.do(t, http.MethodGet, "/api/media-uploads/"+tc.id+"/location", tc.key, nil), tc.status, tc.message, "")
		})
	}
}

func TestMediaUploadsPerAccountAreBounded(t *testing.T) {
	e := wlNew(t)
	logo := wlPNG(t, 2)
	other := wlUpload(t, e, PayapOwnerKey, mediaPurposeLogo, "logo.png", logo)
	var ids []string
	for range mediaMaxPerAccount + 1 {
		ids = append(ids, wlUpload(t, e, PatronOwnerKey, mediaPurposeLogo, "logo.png", logo))
	}
	wlWantError(t, e.do(t, http.MethodGet, "/api/media-uploads/"+ids[0]+"/location", PatronOwnerKey, nil), 403, "Forbidden", "")
	wlLocation(t, e, PatronOwnerKey, ids[1])
	wlLocation(t, e, PatronOwnerKey, ids[len(ids)-1])
	wlLocation(t, e, PayapOwnerKey, other) // another account's uploads are untouched
	if n := len(e.store.wallets.uploadsByAccount[PatronAccountID]); n != mediaMaxPerAccount {
		t.Fatalf("%d uploads kept, want %d", n, mediaMaxPerAccount)
	}
	// The dropped upload can no longer be a logo.
	wlWantError(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody(wlSet("logoMediaUploadId", ids[0]))), 403, "Forbidden", "in this account")
	var raw json.RawMessage
	wlWantOK(t, e.do(t, http.MethodPost, "/api/wallets", PatronOwnerKey, wlBody(wlSet("logoMediaUploadId", ids[1]))), &raw)
}
