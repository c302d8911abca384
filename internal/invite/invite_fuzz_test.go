package invite

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The text of a bulk invite (pasted from a spreadsheet or a mail client)
// splits into distinct addresses, each then accepted or refused as an
// address. Properties: no panic; the split loses no address and keeps
// no separator, blank or duplicate (ignoring case), in the order given,
// and splitting its own output again changes nothing; an accepted
// address normalizes to its lower case, fits the 320-byte column
// (email_normalized), is UTF-8 without NUL or spaces, and is itself
// accepted unchanged.
func FuzzBulkInviteAddresses(f *testing.F) {
	for _, s := range []string{
		"ada@clinic.test, ben@clinic.test; cy@clinic.test\n",
		"Ada@Clinic.test\r\nada@clinic.TEST\n\n , ;",
		"\"Ada Lovelace\" <ada@clinic.test>, ben@clinic.test",
		"ada@clinic, @clinic.test, ada@, ada@clinic.test., a@b.c",
		"ada.o'neil+ward4@sub.clinic.test;x_y-z@clinic-north.test",
		"ada@[127.0.0.1], ada@localhost, ada(comment)@clinic.test",
		"élodie@clinique.test, ÉLODIE@CLINIQUE.TEST",
		"\tada@clinic.test\t\x00ben@clinic.test\xff",
		strings.Repeat("a", 310) + "@clinic.test",
		strings.Repeat("Ⱥ", 100) + "@clinic.test",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		addrs := SplitAddresses(text)
		seen := map[string]bool{}
		for _, a := range addrs {
			if a == "" || strings.TrimSpace(a) != a || strings.ContainsAny(a, ",;\r\n") {
				t.Fatalf("split %q gave %q", text, a)
			}
			if key := strings.ToLower(a); seen[key] {
				t.Fatalf("split %q gave %q twice", text, a)
			} else {
				seen[key] = true
			}
			if !strings.Contains(text, a) {
				t.Fatalf("split %q gave %q, which it does not hold", text, a)
			}
		}
		for _, field := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(",;\r\n", r) }) {
			if f := strings.TrimSpace(field); f != "" && !seen[strings.ToLower(f)] {
				t.Fatalf("split %q lost %q", text, f)
			}
		}
		if again := SplitAddresses(strings.Join(addrs, "\n")); !slices.Equal(again, addrs) {
			t.Fatalf("split %q gave %q, which splits again into %q", text, addrs, again)
		}

		for _, a := range append(addrs, text) {
			n, ok := parseAddress(a)
			if !ok {
				if n != "" {
					t.Fatalf("refused %q but returned %q", a, n)
				}
				continue
			}
			switch {
			case n != strings.ToLower(a):
				t.Fatalf("accepted %q as %q, not its lower case", a, n)
			case len(n) > 320:
				t.Fatalf("accepted %q as %q: %d bytes, more than email_normalized holds", a, n, len(n))
			case !utf8.ValidString(n) || strings.ContainsAny(n, "\x00 \t<>\""):
				t.Fatalf("accepted %q as %q", a, n)
			case strings.Count(n, "@") < 1 || strings.HasPrefix(n, "@"):
				t.Fatalf("accepted %q, which has no local part and domain", a)
			}
			if again, ok := parseAddress(n); !ok || again != n {
				t.Fatalf("accepted %q as %q, which then gives %q, %v", a, n, again, ok)
			}
		}
	})
}

// A finding of FuzzBulkInviteAddresses: an address within 320 bytes whose
// lower case is longer was accepted, and its invitation could not be
// stored (email_normalized holds 320 bytes).
func TestAnAddressLongerOnceLowerCasedIsRefused(t *testing.T) {
	a := strings.Repeat("Ⱥ", 104) + "@clinic.test" // 220 bytes; lower-cased 324
	if n, ok := parseAddress(a); ok {
		t.Fatalf("accepted %d bytes as %d bytes", len(a), len(n))
	}
	if _, ok := parseAddress(strings.Repeat("Ⱥ", 100) + "@clinic.test"); !ok {
		t.Fatal("refused an address whose lower case fits")
	}
}
