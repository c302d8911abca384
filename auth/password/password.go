// Package password hashes, verifies and vets user passwords.
//
// Hashes are argon2id in the PHC string format
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>
//
// so that parameters travel with each hash and can be raised later:
// Verify reports needsRehash when a stored hash was made with other
// parameters, and the caller then stores a fresh Hash of the password it
// has just checked.
//
// Passwords are normalized to Unicode NFKC before hashing and policy
// checks (NIST SP 800-63B), so the same password typed on systems that
// compose accented letters differently still verifies.
//
// Callers must never log, store or echo the plain password; errors from
// this package never contain it, nor the encoded hash.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // memory in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism
	KeyLen  uint32 // length of the derived hash in bytes
}

// DefaultParams are the parameters used by the package-level functions and
// by the zero Hasher: 64 MiB, 3 passes, 2 lanes, 32-byte hash. Each hash or
// verification holds 64 MiB for its duration, so servers must bound how
// many run at once (for example with a semaphore around login).
//
// DefaultParams is a copy for callers; assigning to it does not change
// what the package-level functions or the zero Hasher use.
var DefaultParams = defaultParams()

func defaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32}
}

// Bounds on parameters, both for hashing and for parsing stored hashes, so
// that a corrupted or hostile row cannot make Verify panic or exhaust the
// server.
const (
	saltLen    = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
	maxTime    = 64
	maxMemory  = 1 << 20 // 1 GiB in KiB
)

// ErrMalformedHash reports a stored hash that is not a well-formed argon2id
// PHC string this package can verify. It is wrapped with detail; test with
// errors.Is.
var ErrMalformedHash = errors.New("password: malformed hash")

// A Hasher hashes and verifies passwords with fixed parameters. The zero
// Hasher uses DefaultParams. A Hasher is safe for concurrent use.
type Hasher struct {
	Params Params
}

func (h Hasher) params() Params {
	if h.Params == (Params{}) {
		return defaultParams()
	}
	return h.Params
}

// Hash returns the argon2id PHC encoding of plain under a fresh random salt
// with the default parameters. It does not apply the password policy;
// callers setting a new password must call Validate or ValidateFor first.
func Hash(plain string) (string, error) { return Hasher{}.Hash(plain) }

// Verify reports whether plain matches encoded, using the default
// parameters to decide needsRehash. See Hasher.Verify.
func Verify(encoded, plain string) (ok, needsRehash bool, err error) {
	return Hasher{}.Verify(encoded, plain)
}

// VerifyDummy spends the work of a Verify with the default parameters.
// See Hasher.VerifyDummy.
func VerifyDummy(plain string) { Hasher{}.VerifyDummy(plain) }

// Hash returns the argon2id PHC encoding of plain under a fresh random salt.
// It fails only if the Hasher's parameters are out of bounds or the system
// random source fails.
func (h Hasher) Hash(plain string) (string, error) {
	p := h.params()
	if err := p.check(); err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: hash: reading salt: %w", err)
	}
	key := derive(plain, salt, p)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether plain matches the stored hash encoded. The
// comparison is constant time. needsRehash is true only when ok is true and
// encoded was made with parameters (or a salt length) other than the
// Hasher's; the caller should then store h.Hash(plain).
//
// err is non-nil only when encoded is malformed (errors.Is
// ErrMalformedHash); a wrong password is ok == false with a nil error.
//
// When the account does not exist, callers must call VerifyDummy instead,
// so that response time does not reveal which accounts exist.
func (h Hasher) Verify(encoded, plain string) (ok, needsRehash bool, err error) {
	p, salt, want, err := parse(encoded)
	if err != nil {
		return false, false, err
	}
	if !compare(plain, salt, want, p) {
		return false, false, nil
	}
	return true, p != h.params() || len(salt) != saltLen, nil
}

// VerifyDummy does the same argon2id work as a Verify of a hash made by h,
// and discards the result. Call it when a login names an unknown account so
// that the unknown and the wrong-password cases take the same time.
func (h Hasher) VerifyDummy(plain string) {
	p := h.params()
	if p.check() != nil {
		return
	}
	var salt [saltLen]byte
	compare(plain, salt[:], make([]byte, p.KeyLen), p)
}

func derive(plain string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(plain)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func compare(plain string, salt, want []byte, p Params) bool {
	got := derive(plain, salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1
}

func (p Params) check() error {
	switch {
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d outside [1, %d]", p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB outside [%d, %d]", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d outside [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedHash}, args...)...)
}

// parse decodes a PHC argon2id string strictly: only the canonical
// encoding this package produces is accepted, and parameters must be
// within bounds so that derive cannot panic.
func parse(encoded string) (p Params, salt, key []byte, err error) {
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return p, nil, nil, malformed("want 5 '$'-separated fields")
	}
	if f[1] != "argon2id" {
		return p, nil, nil, malformed("unsupported algorithm")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, malformed("unsupported version")
	}
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, malformed("want parameters m, t, p")
	}
	m, err1 := param(kv[0], "m", 32)
	t, err2 := param(kv[1], "t", 32)
	par, err3 := param(kv[2], "p", 8)
	if err := errors.Join(err1, err2, err3); err != nil {
		return p, nil, nil, malformed("parameters: %v", err)
	}
	if salt, err = decode(f[4]); err != nil {
		return p, nil, nil, malformed("salt: %v", err)
	}
	if key, err = decode(f[5]); err != nil {
		return p, nil, nil, malformed("hash: %v", err)
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, malformed("salt length %d outside [%d, %d]", len(salt), minSaltLen, maxSaltLen)
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(par), KeyLen: uint32(len(key))}
	if err := p.check(); err != nil {
		return Params{}, nil, nil, malformed("%v", err)
	}
	return p, salt, key, nil
}

// param parses "name=decimal" with no sign or leading zeros.
func param(s, name string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok {
		return 0, fmt.Errorf("want %s=", name)
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != v {
		return 0, fmt.Errorf("bad value for %s", name)
	}
	return n, nil
}

// decode accepts only canonical unpadded standard base64.
func decode(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, errors.New("not canonical unpadded base64")
	}
	return b, nil
}
