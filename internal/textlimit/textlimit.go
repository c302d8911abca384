// Package textlimit fits text into bounded columns.
package textlimit

import "unicode/utf8"

// Bytes cuts s to at most n bytes without splitting a UTF-8 sequence:
// PostgreSQL refuses invalid UTF-8, so a header or an email clipped to its
// column must still be valid text.
func Bytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
