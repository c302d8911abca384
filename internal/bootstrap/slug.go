package bootstrap

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slug length limits (the organizations.slug column holds 63 characters, the
// length of a DNS label).
const (
	MinSlugLen = 3
	MaxSlugLen = 63
)

// transliterations are letters that do not decompose into an ASCII letter
// plus combining marks.
var transliterations = map[rune]string{
	'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae",
	'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o",
	'ł': "l", 'Ł': "l",
	'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d",
	'þ': "th", 'Þ': "th",
	'ı': "i",
	'&': " and ",
}

// Slugify derives a slug from an organization name: lower-case ASCII letters
// and digits separated by single dashes, at most MaxSlugLen characters.
// Accented letters lose their accents ("Clínica Niño" → "clinica-nino"),
// a few other Latin letters are transliterated ("Straße" → "strasse"),
// apostrophes vanish ("Children's" → "childrens"), "&" becomes "and", and
// anything else that is not ASCII is dropped. The result may be shorter than
// MinSlugLen (even empty); ValidateSlug tells.
func Slugify(name string) string {
	var b strings.Builder
	dash := false // a separator is pending
	for _, r := range norm.NFKD.String(name) {
		if t, ok := transliterations[r]; ok {
			for _, tr := range t {
				if tr == ' ' {
					dash = b.Len() > 0
					continue
				}
				if dash {
					b.WriteByte('-')
					dash = false
				}
				b.WriteRune(tr)
			}
			continue
		}
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’', r == 'ʼ':
			// combining marks left by the decomposition, apostrophes
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash {
				b.WriteByte('-')
				dash = false
			}
			b.WriteRune(unicode.ToLower(r))
		case r >= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			// a letter with no ASCII form (日本, Ж): dropped, but it does
			// not join its neighbours
			dash = b.Len() > 0
		default:
			dash = b.Len() > 0
		}
	}
	s := b.String()
	if len(s) > MaxSlugLen {
		s = strings.TrimRight(s[:MaxSlugLen], "-")
	}
	return s
}

// ValidateSlug reports why s is not a valid slug, or "" when it is: 3 to 63
// characters, lower-case ASCII letters, digits and single dashes, starting
// and ending with a letter or digit.
func ValidateSlug(s string) string {
	switch {
	case len(s) < MinSlugLen:
		return "must be at least 3 characters"
	case len(s) > MaxSlugLen:
		return "must be at most 63 characters"
	case s[0] == '-' || s[len(s)-1] == '-':
		return "must start and end with a letter or digit"
	case strings.Contains(s, "--"):
		return "must not contain consecutive dashes"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "may contain only lower-case letters a-z, digits and dashes"
		}
	}
	return ""
}
