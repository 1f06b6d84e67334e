package mockcentrapay

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// ids makes object ids in the documented forms: 22 base58 characters
// (MhocUmpxxmgdHjr7DgKoKw), with a prefix where the docs give one (mc_ for
// merchant configs). They come from a seeded source, so the same seed and
// the same requests give the same ids.
type ids struct {
	mu  sync.Mutex
	src *rand.PCG // the whole generator state: snapshots save and restore it
	rnd *rand.Rand
}

func newIDs(seed int64) *ids {
	src := rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)
	return &ids{src: src, rnd: rand.New(src)}
}

// state returns the generator's state, for a snapshot.
func (g *ids) state() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, _ := g.src.MarshalBinary() // a PCG always marshals
	return b
}

// checkIDState reports whether b is a state that setState accepts.
func checkIDState(b []byte) error {
	return new(rand.PCG).UnmarshalBinary(b)
}

// setState continues the generator from a state returned by state, so that
// the ids that follow are those the snapshotted store would have made.
func (g *ids) setState(b []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.src.UnmarshalBinary(b)
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// id returns a 22-character base58 id with prefix.
func (g *ids) id(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b [22]byte
	for i := range b {
		b[i] = base58[g.rnd.IntN(len(base58))]
	}
	return prefix + string(b[:])
}

// shortCodeAlphabet is the alphabet of short codes and their check
// character: digits and upper-case letters.
const shortCodeAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// shortCode returns a code such as CP-C7F-ZS5: five random characters and a
// Luhn mod 36 check character.
func (g *ids) shortCode() string {
	g.mu.Lock()
	var b [5]byte
	for i := range b {
		b[i] = shortCodeAlphabet[g.rnd.IntN(len(shortCodeAlphabet))]
	}
	g.mu.Unlock()
	body := string(b[:])
	full := body + string(luhnCheck(body))
	return "CP-" + full[:3] + "-" + full[3:]
}

// luhnCheck is the Luhn mod N check character of s over shortCodeAlphabet.
func luhnCheck(s string) byte {
	n := len(shortCodeAlphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		addend := factor * strings.IndexByte(shortCodeAlphabet, s[i])
		factor = 3 - factor
		sum += addend/n + addend%n
	}
	return shortCodeAlphabet[(n-sum%n)%n]
}

// normalizeShortCode checks a short code's form and check character. It
// accepts lower case and missing dashes, and returns the canonical form.
// ok is false when the check character is wrong (CHECKSUM_FAILED).
func normalizeShortCode(code string) (canonical string, wellFormed, ok bool) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	c = strings.TrimPrefix(c, "CP")
	if len(c) != 6 || strings.Trim(c, shortCodeAlphabet) != "" {
		return "", false, false
	}
	canonical = "CP-" + c[:3] + "-" + c[3:]
	return canonical, true, luhnCheck(c[:5]) == c[5]
}
