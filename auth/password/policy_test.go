package password

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateForRefusesEachPolicyViolationWithItsCode(t *testing.T) {
	tests := []struct {
		name, plain, email, code string
	}{
		{"an empty password is too short", "", "", CodeTooShort},
		{"eleven characters are too short", "abcdefghijk", "", CodeTooShort},
		{"eleven multibyte characters are too short", strings.Repeat("é", 5) + "xyzuvw", "", CodeTooShort},
		{"129 characters are too long", strings.Repeat("ab", 64) + "c", "", CodeTooLong},
		{"twelve spaces are blank", strings.Repeat(" ", 12), "", CodeBlank},
		{"mixed whitespace is blank", " \t \n \u00a0\u3000     ", "", CodeBlank},
		{"one repeated letter is repetitive", "aaaaaaaaaaaa", "", CodeRepetitive},
		{"a repeated triple is repetitive", "abcabcabcabc", "", CodeRepetitive},
		{"a repeated pair of any case is repetitive", "AbabABabAbab", "", CodeRepetitive},
		{"a listed password is common", "password1234", "", CodeCommon},
		{"a listed password in capitals is common", "QwertyUiopAS", "", CodeCommon},
		{"digits in a row are common", "123456789012", "", CodeCommon},
		{"the email's local part is refused", "my name is jane.doe!", "jane.doe@clinic.example", CodeContainsEmail},
		{"the local part in capitals is refused", "Hello JANE.DOE 2024", "Jane.Doe@clinic.example", CodeContainsEmail},
		{"the local part without its tag is refused", "drsmith rules ok", "drsmith+test@clinic.example", CodeContainsEmail},
		{"invalid UTF-8 is refused", "abcdefghijk\xff", "", CodeInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFor(tt.plain, tt.email)
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("ValidateFor = %v; want *PolicyError", err)
			}
			if pe.Code != tt.code {
				t.Errorf("Code = %q; want %q", pe.Code, tt.code)
			}
			if pe.Reason == "" {
				t.Error("Reason is empty")
			}
			if secret := strings.TrimSpace(tt.plain); secret != "" && (strings.Contains(err.Error(), secret) || strings.Contains(pe.Reason, secret)) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestValidateForAcceptsReasonablePasswords(t *testing.T) {
	tests := []struct {
		name, plain, email string
	}{
		{"a passphrase", "correct horse battery staple", ""},
		{"exactly twelve characters", "tr0ub4dor&3x", ""},
		{"exactly 128 characters", strings.Repeat("abcdefgh", 15) + "ijklmnop", ""},
		{"non-Latin text", "пароль для клиники", ""},
		{"spaces around words", "  leading and trailing  ", ""},
		{"a short local part is not checked", "bob's garden shed 42", "bob@clinic.example"},
		{"a different local part", "correct horse battery staple", "jane.doe@clinic.example"},
		{"an email without @ is checked as a user name", "correct horse battery staple", "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateFor(tt.plain, tt.email); err != nil {
				t.Errorf("ValidateFor = %v; want nil", err)
			}
		})
	}
}

func TestValidateIsValidateForWithoutEmail(t *testing.T) {
	if err := Validate("jane.doe is here"); err != nil {
		t.Errorf("Validate = %v; want nil", err)
	}
}

func TestCommonListHoldsOnlyEntriesTheLengthRuleLetsThrough(t *testing.T) {
	if len(common) < 20 {
		t.Errorf("common list has %d entries; want at least 20", len(common))
	}
	for p := range common {
		if n := utf8.RuneCountInString(p); n < MinLength || p != strings.ToLower(p) {
			t.Errorf("entry %q (%d chars) can never match: too short or not lower case", p, n)
		}
	}
}
