package seal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var (
	key1 = []byte("0123456789abcdef0123456789abcdef")         // 32 bytes
	key2 = []byte("another secret key, forty bytes long....") // 40 bytes
	key3 = bytes.Repeat([]byte{0x5a}, 64)
)

func mustNew(t *testing.T, key []byte, old ...[]byte) *Box {
	t.Helper()
	b, err := New(key, old...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestSealThenOpenReturnsThePlaintext(t *testing.T) {
	b := mustNew(t, key1)
	for _, tt := range []struct {
		name      string
		plain, ad []byte
	}{
		{"a TOTP secret bound to a user", []byte("JBSWY3DPEHPK3PXP"), []byte("totp:user-42")},
		{"an empty plaintext", nil, []byte("row 1")},
		{"no associated data", []byte("client secret"), nil},
		{"a large plaintext", bytes.Repeat([]byte("x"), 1<<16), []byte("big")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := b.Seal(tt.plain, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != 1+12+len(tt.plain)+16 || sealed[0] != 1 {
				t.Errorf("sealed is %d bytes, version %d; want %d, 1", len(sealed), sealed[0], 1+12+len(tt.plain)+16)
			}
			if len(tt.plain) > 4 && bytes.Contains(sealed, tt.plain) {
				t.Error("sealed value contains the plaintext")
			}
			got, err := b.Open(sealed, tt.ad)
			if err != nil || !bytes.Equal(got, tt.plain) {
				t.Errorf("Open = %q, %v; want %q, nil", got, err, tt.plain)
			}
		})
	}
}

func TestSealUsesAFreshNonceEachTime(t *testing.T) {
	b := mustNew(t, key1)
	x, _ := b.Seal([]byte("same"), nil)
	y, _ := b.Seal([]byte("same"), nil)
	if bytes.Equal(x[1:13], y[1:13]) || bytes.Equal(x, y) {
		t.Fatal("two seals of one plaintext share a nonce")
	}
}

func TestOpenRefusesAnyTamperedByte(t *testing.T) {
	b := mustNew(t, key1)
	ad := []byte("totp:user-42")
	sealed, _ := b.Seal([]byte("JBSWY3DPEHPK3PXP"), ad)
	region := func(i int) string {
		switch {
		case i == 0:
			return "version"
		case i < 13:
			return "nonce"
		case i < len(sealed)-16:
			return "ciphertext"
		default:
			return "tag"
		}
	}
	for i := range sealed {
		for _, bit := range []byte{0x01, 0x80} {
			t.Run(fmt.Sprintf("%s byte %d bit %#x", region(i), i, bit), func(t *testing.T) {
				c := bytes.Clone(sealed)
				c[i] ^= bit
				if p, err := b.Open(c, ad); !errors.Is(err, ErrOpen) || p != nil {
					t.Errorf("Open = %q, %v; want nil, ErrOpen", p, err)
				}
			})
		}
	}
}

func TestOpenRefusesTruncatedOrExtendedValues(t *testing.T) {
	b := mustNew(t, key1)
	sealed, _ := b.Seal([]byte("secret"), nil)
	tests := []struct {
		name string
		v    []byte
	}{
		{"nil", nil},
		{"only the version", sealed[:1]},
		{"no tag", sealed[:13]},
		{"one byte short", sealed[:len(sealed)-1]},
		{"one byte longer", append(bytes.Clone(sealed), 0)},
		{"the minimum length of zeros", make([]byte, 1+12+16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Open(tt.v, nil); !errors.Is(err, ErrOpen) {
				t.Errorf("Open = %v; want ErrOpen", err)
			}
		})
	}
}

func TestOpenRefusesOtherAssociatedData(t *testing.T) {
	b := mustNew(t, key1)
	sealed, _ := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("totp:user-42"))
	for _, ad := range []string{"totp:user-43", "totp:user-4", "sso:user-42", ""} {
		if _, err := b.Open(sealed, []byte(ad)); !errors.Is(err, ErrOpen) {
			t.Errorf("Open with AD %q = %v; want ErrOpen", ad, err)
		}
	}
}

func TestOpenRefusesValuesSealedUnderAnotherKey(t *testing.T) {
	sealed, _ := mustNew(t, key1).Seal([]byte("secret"), nil)
	if _, err := mustNew(t, key2).Open(sealed, nil); !errors.Is(err, ErrOpen) {
		t.Errorf("Open under another key = %v; want ErrOpen", err)
	}
}

func TestRotationOpensOldValuesAndSealsWithTheNewKey(t *testing.T) {
	ad := []byte("row 7")
	fromKey1, _ := mustNew(t, key1).Seal([]byte("sealed with key 1"), ad)
	fromKey2, _ := mustNew(t, key2).Seal([]byte("sealed with key 2"), ad)
	rotated := mustNew(t, key3, key2, key1)

	for _, tt := range []struct {
		name   string
		sealed []byte
		want   string
	}{
		{"the newest old key", fromKey2, "sealed with key 2"},
		{"the oldest old key", fromKey1, "sealed with key 1"},
	} {
		t.Run(tt.name+" still opens", func(t *testing.T) {
			got, err := rotated.Open(tt.sealed, ad)
			if err != nil || string(got) != tt.want {
				t.Errorf("Open = %q, %v; want %q, nil", got, err, tt.want)
			}
		})
	}

	fresh, _ := rotated.Seal([]byte("new"), ad)
	if _, err := mustNew(t, key3).Open(fresh, ad); err != nil {
		t.Errorf("new seal does not open under the current key alone: %v", err)
	}
	if _, err := mustNew(t, key2, key1).Open(fresh, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("new seal opens under old keys: %v; want ErrOpen", err)
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	short := key1[:31]
	tests := []struct {
		name string
		key  []byte
		old  [][]byte
	}{
		{"a nil current key", nil, nil},
		{"a 31-byte current key", short, nil},
		{"a short old key", key1, [][]byte{key2, short}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.key, tt.old...)
			if err == nil || b != nil {
				t.Fatalf("New = %v, %v; want nil, error", b, err)
			}
			if strings.Contains(err.Error(), string(short)) {
				t.Errorf("error %q contains key material", err)
			}
		})
	}
}

func TestStringHelpersRoundTripThroughBase64(t *testing.T) {
	b := mustNew(t, key1)
	s, err := b.SealString([]byte("client-secret"), []byte("sso:7"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.OpenString(s, []byte("sso:7"))
	if err != nil || string(got) != "client-secret" {
		t.Errorf("OpenString = %q, %v; want client-secret, nil", got, err)
	}
	for _, bad := range []string{"", "not base64!", s[:len(s)-4], s[:len(s)-1], "=" + s} {
		if _, err := b.OpenString(bad, []byte("sso:7")); !errors.Is(err, ErrOpen) {
			t.Errorf("OpenString(%q) = %v; want ErrOpen", bad, err)
		}
	}
}

func TestSignThenVerify(t *testing.T) {
	b := mustNew(t, key1)
	msg := []byte("oauth-state:abc:1700000000")
	sig := b.Sign(msg)
	flipped := bytes.Clone(sig)
	flipped[0] ^= 1
	tests := []struct {
		name     string
		msg, sig []byte
		want     bool
	}{
		{"a genuine signature verifies", msg, sig, true},
		{"another message fails", []byte("oauth-state:abd:1700000000"), sig, false},
		{"a flipped bit fails", msg, flipped, false},
		{"a truncated signature fails", msg, sig[:16], false},
		{"an empty signature fails", msg, nil, false},
		{"another key's signature fails", msg, mustNew(t, key2).Sign(msg), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Verify(tt.msg, tt.sig); got != tt.want {
				t.Errorf("Verify = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyAcceptsOldKeysAndSignUsesTheNewOne(t *testing.T) {
	msg := []byte("cookie:session")
	old := mustNew(t, key1).Sign(msg)
	rotated := mustNew(t, key2, key1)
	if !rotated.Verify(msg, old) {
		t.Error("signature under an old key does not verify after rotation")
	}
	if !bytes.Equal(rotated.Sign(msg), mustNew(t, key2).Sign(msg)) {
		t.Error("Sign does not use the current key")
	}
}

func TestSigningAndSealingKeysAreIndependent(t *testing.T) {
	b := mustNew(t, key1)
	ks := b.keys[0]
	sealed, _ := b.Seal(nil, nil)
	if bytes.Contains(sealed, ks.mac) || bytes.Equal(ks.mac, key1) {
		t.Error("signing key is related to the raw key or the sealed output")
	}
}

func TestABoxNeverPrintsItsKeys(t *testing.T) {
	b := mustNew(t, key1)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		if got := fmt.Sprintf(verb, b); got != "seal.Box" {
			t.Errorf("Sprintf(%s, box) = %q; want seal.Box", verb, got)
		}
	}
	// A dereferenced Box has no Format method; it must show only pointers.
	mac := strings.Trim(fmt.Sprint(b.keys[0].mac[:4]), "[]")
	if got := fmt.Sprintf("%+v", *b); strings.Contains(got, mac) {
		t.Errorf("printing a Box value shows key bytes: %s", got)
	}
}

func TestTheZeroBoxFailsSafely(t *testing.T) {
	var b Box
	if _, err := b.Seal([]byte("x"), nil); err == nil {
		t.Error("Seal on the zero Box succeeded")
	}
	if _, err := b.Open(make([]byte, 40), nil); !errors.Is(err, ErrOpen) {
		t.Errorf("Open on the zero Box = %v; want ErrOpen", err)
	}
	if b.Verify([]byte("m"), make([]byte, 32)) {
		t.Error("Verify on the zero Box succeeded")
	}
}
