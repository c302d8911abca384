// Package seal encrypts small secrets at rest (TOTP secrets, SSO client
// secrets) and signs short messages, with keys derived from the server's
// SECRET_KEY.
//
// Sealed values are AES-256-GCM: one version byte, a 12-byte random nonce,
// then the ciphertext and its 16-byte tag. The version byte is
// authenticated along with the caller's associated data.
//
// Keys rotate by passing the previous secrets to New as old keys: Open and
// Verify accept any of them, while Seal and Sign use only the current one.
// Callers should re-seal rows opened with an old key, then retire it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

const (
	// MinKeyLen is the least number of bytes of secret key material New
	// accepts: 256 bits, the strength of the derived AES key.
	MinKeyLen = 32

	version  = 1
	nonceLen = 12
	tagLen   = 16
	sealInfo = "clinicgate seal v1"
	signInfo = "clinicgate sign v1"
)

// ErrOpen reports that a sealed value could not be opened: it was sealed
// under another key or associated data, tampered with, or truncated. The
// cause is deliberately not told apart.
var ErrOpen = errors.New("seal: cannot open sealed value")

var errNoKey = errors.New("seal: Box has no key; use New")

// A Box seals and signs with keys derived from secret key material. Make
// one with New; the zero Box has no keys. A Box is safe for concurrent use,
// and prints as "seal.Box" so that its keys never reach a log by mistake.
type Box struct {
	keys []*keyset // current first, then old keys in the order given
}

type keyset struct {
	aead cipher.AEAD // prepends and reads the random nonce itself
	mac  []byte
}

// New returns a Box whose current key is derived from key and which can
// also open and verify under each of old. Every key must be at least
// MinKeyLen bytes of secret, random material (such as SECRET_KEY); New
// derives independent AES-256 and HMAC-SHA256 keys from each with HKDF and
// keeps no copy of the material itself.
func New(key []byte, old ...[]byte) (*Box, error) {
	b := &Box{}
	for i, k := range append([][]byte{key}, old...) {
		ks, err := derive(k)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("seal: current key: %w", err)
			}
			return nil, fmt.Errorf("seal: old key %d: %w", i-1, err)
		}
		b.keys = append(b.keys, ks)
	}
	return b, nil
}

func derive(key []byte) (*keyset, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("key is %d bytes, need at least %d", len(key), MinKeyLen)
	}
	encKey, err := hkdf.Key(sha256.New, key, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving encryption key: %w", err)
	}
	macKey, err := hkdf.Key(sha256.New, key, nil, signInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving signing key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("creating GCM: %w", err)
	}
	return &keyset{aead: aead, mac: macKey}, nil
}

// Seal encrypts plaintext under the current key. associatedData is not
// stored but must be given again to Open; pass what identifies the row and
// column the value belongs to (for example "totp:" + user ID) so that a
// sealed value copied to another row or column will not open.
//
// A random nonce limits one key to about 2^32 seals; rotate keys well
// before that. Seal fails only on a Box not made by New.
func (b *Box) Seal(plaintext, associatedData []byte) ([]byte, error) {
	if b == nil || len(b.keys) == 0 {
		return nil, errNoKey
	}
	out := make([]byte, 1, 1+nonceLen+len(plaintext)+tagLen)
	out[0] = version
	return b.keys[0].aead.Seal(out, nil, plaintext, ad(associatedData)), nil
}

// Open decrypts a value made by Seal with the same associatedData, trying
// the current key and then each old key. Any failure is ErrOpen.
func (b *Box) Open(sealed, associatedData []byte) ([]byte, error) {
	if b == nil || len(sealed) < 1+nonceLen+tagLen || sealed[0] != version {
		return nil, ErrOpen
	}
	for _, k := range b.keys {
		if p, err := k.aead.Open(nil, nil, sealed[1:], ad(associatedData)); err == nil {
			return p, nil
		}
	}
	return nil, ErrOpen
}

// ad prefixes the caller's associated data with the version byte, so that
// the header is authenticated too.
func ad(associatedData []byte) []byte {
	return append([]byte{version}, associatedData...)
}

// SealString is Seal with the result in standard base64, for text columns.
func (b *Box) SealString(plaintext, associatedData []byte) (string, error) {
	s, err := b.Seal(plaintext, associatedData)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s), nil
}

// OpenString opens a value made by SealString. Any failure, including bad
// base64, is ErrOpen.
func (b *Box) OpenString(sealed string, associatedData []byte) ([]byte, error) {
	s, err := base64.StdEncoding.Strict().DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return b.Open(s, associatedData)
}

// Sign returns the HMAC-SHA256 of msg under the current signing key.
// A MAC proves only that this server made msg: callers must put in msg
// what it is for (such as "oauth-state:") and any expiry, and check both
// after Verify. Sign panics on a Box not made by New.
func (b *Box) Sign(msg []byte) []byte {
	return mac(b.keys[0].mac, msg)
}

// Verify reports whether sig is Sign(msg) under the current or an old key,
// comparing in constant time.
func (b *Box) Verify(msg, sig []byte) bool {
	if b == nil {
		return false
	}
	ok := false
	for _, k := range b.keys {
		ok = hmac.Equal(mac(k.mac, msg), sig) || ok // try all keys: time does not tell which matched
	}
	return ok
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// Format prints a Box as "seal.Box" whatever the verb, so keys never leak
// through fmt or a logger.
func (b *Box) Format(f fmt.State, verb rune) {
	io.WriteString(f, "seal.Box")
}
