package password

import (
	"crypto/rand"
	"fmt"
)

// tempAlphabet has 32 symbols, none easily confused when read aloud or
// copied from paper (no 0/O, 1/I/l). 32 divides 256, so masking a random
// byte picks each symbol with equal probability.
const tempAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// Temporary returns a random one-time password such as "K7QM-2XWD-HR9F-B4TN":
// 16 symbols of 5 bits (80 bits) in groups of four, easy to read out and
// type. It passes Validate.
//
// Callers must store only its Hash, show it once to the person it is for,
// and force a change at the next login.
func Temporary() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("password: temporary: %w", err)
	}
	out := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, tempAlphabet[c&31])
	}
	return string(out), nil
}
