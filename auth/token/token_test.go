package token

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func mustNew(t *testing.T, prefix string) string {
	t.Helper()
	tok, err := New(prefix)
	if err != nil {
		t.Fatalf("New(%q): %v", prefix, err)
	}
	return tok
}

func TestNewMakesPrefixedBase64URLTokens(t *testing.T) {
	shape := regexp.MustCompile(`^cgs_[A-Za-z0-9_-]{43}$`)
	for range 100 {
		tok := mustNew(t, "cgs")
		if !shape.MatchString(tok) {
			t.Fatalf("New = %q; want cgs_ and 43 base64url characters", tok)
		}
		if !Valid(tok, "cgs") || Prefix(tok) != "cgs" {
			t.Fatalf("New token %q is not Valid or has wrong Prefix", tok)
		}
	}
}

func TestNewTokensAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		tok := mustNew(t, "inv")
		if seen[tok] {
			t.Fatalf("New repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestNewRefusesBadPrefixes(t *testing.T) {
	for _, p := range []string{"", "CGS", "c_s", "c-s", "cgs ", "ünï", strings.Repeat("a", 17)} {
		if tok, err := New(p); !errors.Is(err, ErrPrefix) || tok != "" {
			t.Errorf("New(%q) = %q, %v; want \"\", ErrPrefix", p, tok, err)
		}
	}
	if _, err := New(strings.Repeat("a", 16)); err != nil {
		t.Errorf("New with a 16-character prefix: %v", err)
	}
}

func TestValidChecksPrefixLengthAndAlphabet(t *testing.T) {
	good := mustNew(t, "scim")
	body := strings.TrimPrefix(good, "scim_")
	// The last of 43 characters carries 4 data bits and 2 zero bits; 'B'
	// (value 1) sets a padding bit, so it is not what New could produce.
	nonCanonical := "scim_" + body[:42] + "B"
	tests := []struct {
		name, plain, prefix string
		want                bool
	}{
		{"a fresh token is valid", good, "scim", true},
		{"another kind's prefix is refused", good, "cgs", false},
		{"a prefix that is only a start of the real one is refused", good, "sci", false},
		{"a missing underscore is refused", "scim" + body, "scim", false},
		{"a short body is refused", good[:len(good)-1], "scim", false},
		{"a long body is refused", good + "A", "scim", false},
		{"padding is refused", good[:len(good)-1] + "=", "scim", false},
		{"standard base64 characters are refused", "scim_" + strings.Repeat("+", 43), "scim", false},
		{"spaces are refused", " " + good, "scim", false},
		{"a trailing newline is refused", good + "\n", "scim", false},
		{"non-zero padding bits are refused", nonCanonical, "scim", false},
		{"the empty string is refused", "", "scim", false},
		{"an empty prefix is refused", "_" + body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.plain, tt.prefix); got != tt.want {
				t.Errorf("Valid = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestPrefixNeverReturnsPartOfTheSecret(t *testing.T) {
	good := mustNew(t, "cgs")
	tests := []struct {
		name, plain, want string
	}{
		{"a token yields its kind", good, "cgs"},
		{"a body with underscores still yields the kind", "cgs_" + strings.Repeat("_", 42) + "A", "cgs"},
		{"a password pasted as a token yields nothing", "hunter2_secret", ""},
		{"no underscore yields nothing", "justsomesecretvalue", ""},
		{"a truncated token yields nothing", good[:20], ""},
		{"the empty string yields nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Prefix(tt.plain); got != tt.want {
				t.Errorf("Prefix = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestHashIsSHA256AndHashStringIsItsHex(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashString("abc"); got != want {
		t.Errorf("HashString(abc) = %s; want %s", got, want)
	}
	tok := mustNew(t, "cgs")
	if h := Hash(tok); len(h) != 32 || bytes.Contains([]byte(HashString(tok)), []byte(tok[4:])) {
		t.Errorf("Hash has %d bytes or its hex contains the token", len(h))
	}
}

func TestEqualComparesDigests(t *testing.T) {
	a, b := Hash("cgs_a"), Hash("cgs_b")
	tests := []struct {
		name string
		x, y []byte
		want bool
	}{
		{"a digest equals itself", a, Hash("cgs_a"), true},
		{"different digests differ", a, b, false},
		{"a prefix of a digest differs", a, a[:16], false},
		{"an empty digest differs", a, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.x, tt.y); got != tt.want {
				t.Errorf("Equal = %v; want %v", got, tt.want)
			}
		})
	}
}
