package password

import (
	"regexp"
	"testing"
)

func TestTemporaryHasFourGroupsOfUnambiguousSymbols(t *testing.T) {
	shape := regexp.MustCompile(`^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$`)
	for range 100 {
		p, err := Temporary()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(p) {
			t.Fatalf("Temporary = %q; want XXXX-XXXX-XXXX-XXXX without 0, O, 1, I, l", p)
		}
	}
}

func TestTemporaryAlphabetHas32UnambiguousSymbols(t *testing.T) {
	if len(tempAlphabet) != 32 {
		t.Fatalf("alphabet has %d symbols; want 32 (5 bits each)", len(tempAlphabet))
	}
	seen := map[rune]bool{}
	for _, r := range tempAlphabet {
		if seen[r] || r == '0' || r == 'O' || r == '1' || r == 'I' || r == 'l' {
			t.Fatalf("alphabet has duplicate or ambiguous symbol %q", r)
		}
		seen[r] = true
	}
}

func TestTemporaryPasswordsAreUniqueAndPassThePolicy(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		p, err := Temporary()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("Temporary repeated %q", p)
		}
		seen[p] = true
		if err := Validate(p); err != nil {
			t.Fatalf("Validate(Temporary()) = %v; want nil", err)
		}
	}
}

func TestTemporaryUsesEverySymbol(t *testing.T) {
	// With 16,000 draws, missing any of 32 symbols is ~1e-200 likely
	// unless the mapping from random bytes is broken.
	seen := map[rune]bool{}
	for range 1000 {
		p, _ := Temporary()
		for _, r := range p {
			seen[r] = true
		}
	}
	if len(seen) != 33 { // 32 symbols and '-'
		t.Errorf("saw %d distinct characters; want 33", len(seen))
	}
}
