package mockcentrapay

import "testing"

func TestShortCodesCarryALuhnCheck(t *testing.T) {
	g := newIDs(1)
	for i := 0; i < 200; i++ {
		code := g.shortCode()
		canon, wellFormed, ok := normalizeShortCode(code)
		if canon != code || !wellFormed || !ok {
			t.Fatalf("generated %q: canonical %q wellFormed %v ok %v", code, canon, wellFormed, ok)
		}
		// Any single wrong character breaks the check (Luhn mod N catches
		// every single-character error).
		for pos := 3; pos < len(code); pos++ {
			if code[pos] == '-' {
				continue
			}
			bad := []byte(code)
			bad[pos] = shortCodeAlphabet[(indexOf(code[pos])+1)%len(shortCodeAlphabet)]
			if _, _, ok := normalizeShortCode(string(bad)); ok {
				t.Fatalf("%q with position %d changed (%q) still passes the check", code, pos, bad)
			}
		}
	}
	for _, tc := range []struct {
		name, in   string
		wellFormed bool
	}{
		{"lower case without dashes", "cpc7fzs5", true},
		{"too short", "CP-C7F-ZS", false},
		{"bad character", "CP-C7F-Z$5", false},
	} {
		if _, wf, _ := normalizeShortCode(tc.in); wf != tc.wellFormed {
			t.Errorf("%s: wellFormed = %v, want %v", tc.name, wf, tc.wellFormed)
		}
	}
}

func indexOf(c byte) int {
	for i := 0; i < len(shortCodeAlphabet); i++ {
		if shortCodeAlphabet[i] == c {
			return i
		}
	}
	return -1
}

func TestIDsAreDeterministicBase58(t *testing.T) {
	a, b := newIDs(42), newIDs(42)
	for i := 0; i < 10; i++ {
		x, y := a.id("mc_"), b.id("mc_")
		if x != y || len(x) != 25 {
			t.Fatalf("ids %q and %q from the same seed, want equal 25-character ids", x, y)
		}
	}
}
