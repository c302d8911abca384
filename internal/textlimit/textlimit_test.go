package textlimit_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/internal/textlimit"
)

func TestBytesCutsOnARuneBoundary(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},  // é is two bytes: not split
		{"日本語", 4, "日"}, // three-byte runes
		{"😀x", 3, ""},   // a four-byte rune that does not fit at all
		{strings.Repeat("é", 10), 5, "éé"},
	} {
		got := textlimit.Bytes(c.in, c.n)
		if got != c.want || !utf8.ValidString(got) || len(got) > c.n {
			t.Errorf("Bytes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
