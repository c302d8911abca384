package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length limits for new passwords, in characters (Unicode code points after
// NFKC normalization).
const (
	MinLength = 12
	MaxLength = 128
)

// Codes identify why Validate refused a password. They are stable, so the
// HTTP layer may map them to localized messages.
const (
	CodeInvalidUTF8   = "invalid_utf8"
	CodeTooShort      = "too_short"
	CodeTooLong       = "too_long"
	CodeBlank         = "blank"
	CodeRepetitive    = "repetitive"
	CodeCommon        = "common"
	CodeContainsEmail = "contains_email"
)

// A PolicyError reports why a new password was refused. Code is one of the
// Code constants; Reason is an English sentence fit to show the user. Neither
// contains the password.
type PolicyError struct {
	Code   string
	Reason string
}

func (e *PolicyError) Error() string { return "password: refused by policy: " + e.Code }

// Validate checks a new password against the policy of NIST SP 800-63B:
// a length of MinLength to MaxLength characters, not only whitespace, not a
// single short pattern repeated, and not a well-known common password.
// It imposes no composition rules (digits, symbols), as NIST advises.
// Refusals are *PolicyError.
//
// Validate is for passwords being set; never apply it at login.
func Validate(plain string) error { return ValidateFor(plain, "") }

// ValidateFor is Validate plus a check that the password does not contain
// the local part of the account's email (ignoring case and any "+tag").
// Local parts shorter than 4 characters are not checked, to avoid refusing
// passwords that merely contain a common syllable.
func ValidateFor(plain, email string) error {
	if !utf8.ValidString(plain) {
		return &PolicyError{CodeInvalidUTF8, "Password is not valid text."}
	}
	s := norm.NFKC.String(plain)
	n := utf8.RuneCountInString(s)
	switch {
	case n < MinLength:
		return &PolicyError{CodeTooShort, fmt.Sprintf("Password must be at least %d characters.", MinLength)}
	case n > MaxLength:
		return &PolicyError{CodeTooLong, fmt.Sprintf("Password must be at most %d characters.", MaxLength)}
	case strings.TrimFunc(s, unicode.IsSpace) == "":
		return &PolicyError{CodeBlank, "Password must not be only spaces."}
	}
	lower := strings.ToLower(s)
	if repetitive(lower) {
		return &PolicyError{CodeRepetitive, "Password must not be a short pattern repeated."}
	}
	if _, ok := common[lower]; ok {
		return &PolicyError{CodeCommon, "Password is too common; choose another."}
	}
	if local := localPart(email); utf8.RuneCountInString(local) >= 4 && strings.Contains(lower, local) {
		return &PolicyError{CodeContainsEmail, "Password must not contain your email address."}
	}
	return nil
}

// localPart returns the lower-cased part of email before the last '@' and
// any '+' tag. An email without '@' is treated as a bare user name.
func localPart(email string) string {
	local := email
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		local = email[:i]
	}
	local, _, _ = strings.Cut(local, "+")
	return strings.ToLower(norm.NFKC.String(strings.TrimSpace(local)))
}

// repetitive reports whether s is a unit of at most 4 characters repeated,
// such as "aaaaaaaaaaaa" or "abcabcabcabc".
func repetitive(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 {
			continue
		}
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}

// common holds lower-case passwords of at least MinLength characters that
// top public breach corpora, plus obvious ones for this product and field.
// Shorter entries would be dead, as the length rule refuses them first.
var common = map[string]struct{}{
	"123456789012": {}, "1234567890123": {}, "12345678901234": {},
	"123456123456": {}, "123123123123": {}, "987654321098": {},
	"098765432109": {}, "012345678901": {}, "147258369147": {},
	"password1234": {}, "password12345": {}, "password123!": {},
	"password1234!": {}, "passwordpassword": {}, "passw0rd1234": {},
	"p@ssw0rd1234": {}, "p@ssword1234": {}, "mypassword123": {},
	"qwertyuiopas": {}, "qwertyuiop12": {}, "qwertyuiop123": {},
	"qwerty123456": {}, "1qaz2wsx3edc": {}, "1q2w3e4r5t6y": {},
	"q1w2e3r4t5y6": {}, "asdfghjkl123": {}, "zxcvbnm12345": {},
	"abcdefghijkl": {}, "abcd1234abcd": {}, "abc123456789": {},
	"iloveyou1234": {}, "letmein12345": {}, "welcome12345": {},
	"welcome1234!": {}, "changeme1234": {}, "administrator": {},
	"admin1234567": {}, "trustno1trustno1": {}, "football1234": {},
	"baseball1234": {}, "sunshine1234": {}, "monkey123456": {},
	"princess1234": {}, "superman1234": {}, "starwars1234": {},
	"dragon123456": {}, "clinicgate123": {}, "clinicgate1234": {},
	"healthcare123": {}, "healthcare1234": {}, "hospital1234": {},
	"doctor123456": {}, "medical12345": {}, "patient12345": {},
}
