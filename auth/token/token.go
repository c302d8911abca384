// Package token makes and checks opaque bearer secrets: session tokens,
// SCIM tokens, invitation tokens.
//
// A token is a short kind prefix, an underscore and 32 random bytes in
// unpadded base64url, such as "cgs_3q2-7wF...". The prefix names the kind
// so that a leaked token can be recognized (for example by secret
// scanners) and so that logs can record the kind without the secret.
//
// Servers store only Hash(token) and look tokens up by HashString; the
// plain token is shown to its holder once and never logged or stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	randLen      = 32                  // random bytes per token: 256 bits
	bodyLen      = (randLen*8 + 5) / 6 // 43 base64url characters
	maxPrefixLen = 16
)

// ErrPrefix reports a prefix New cannot use.
var ErrPrefix = errors.New("token: prefix must be 1 to 16 lower-case letters or digits")

// New returns a fresh token of the given kind: prefix + "_" + 32 random
// bytes in unpadded base64url. prefix must be 1 to 16 lower-case ASCII
// letters or digits, such as "cgs".
func New(prefix string) (string, error) {
	if !validPrefix(prefix) {
		return "", fmt.Errorf("%w: got %d bytes", ErrPrefix, len(prefix))
	}
	var b [randLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token: new %s token: %w", prefix, err)
	}
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Hash returns the SHA-256 digest of plain, which is what servers store.
//
// A fast unsalted hash is right here, unlike for passwords: tokens carry
// 256 random bits, so there is nothing to guess or precompute, and a
// deterministic digest lets the server find the row by an indexed lookup.
// Hash must not be used for passwords or other low-entropy secrets.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// HashString returns Hash(plain) in lower-case hex, for text columns and
// lookups by equality.
func HashString(plain string) string {
	return hex.EncodeToString(Hash(plain))
}

// Equal reports whether two digests are equal, in time that depends only
// on their lengths. Use it when comparing a stored digest to a computed one
// outside a database lookup.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// Prefix returns the kind prefix of a well-formed token, or "" if plain is
// not shaped like a token. It never returns any part of the secret, so its
// result is safe to log even for garbage a client sent as a token.
func Prefix(plain string) string {
	prefix, body, ok := strings.Cut(plain, "_")
	if !ok || !validPrefix(prefix) || !validBody(body) {
		return ""
	}
	return prefix
}

// Valid reports whether plain has the shape of a token of the given kind:
// the prefix, an underscore, and exactly 43 canonical base64url characters.
// Check it before any database lookup so that garbage is refused cheaply.
// A Valid token may still be unknown, expired or revoked.
func Valid(plain, prefix string) bool {
	body, ok := strings.CutPrefix(plain, prefix+"_")
	return ok && validPrefix(prefix) && validBody(body)
}

func validPrefix(p string) bool {
	if len(p) < 1 || len(p) > maxPrefixLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validBody reports whether b is exactly the unpadded base64url encoding of
// randLen bytes, with unused trailing bits zero as New produces.
func validBody(b string) bool {
	if len(b) != bodyLen {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	var buf [randLen]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(b))
	return err == nil && n == randLen
}
