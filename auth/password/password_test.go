package password

import (
	"errors"
	"strings"
	"testing"
)

// cheap keeps tests fast; production uses DefaultParams.
var cheap = Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}

func TestHashThenVerifyAcceptsTheSamePassword(t *testing.T) {
	for _, plain := range []string{"correct horse battery staple", "", "ünïcödé pässwörd ✓", strings.Repeat("x", 4096)} {
		enc, err := cheap.Hash(plain)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		ok, rehash, err := cheap.Verify(enc, plain)
		if !ok || rehash || err != nil {
			t.Errorf("Verify(Hash(%.20q)) = %v, %v, %v; want true, false, nil", plain, ok, rehash, err)
		}
	}
}

func TestHashUsesAFreshSaltEachTime(t *testing.T) {
	a, _ := cheap.Hash("same password here")
	b, _ := cheap.Hash("same password here")
	if a == b {
		t.Fatal("two hashes of one password are equal; salt is not random")
	}
}

func TestHashOutputIsPHCAndNeverContainsThePassword(t *testing.T) {
	enc, err := cheap.Hash("hunter2hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("Hash = %q; want PHC argon2id prefix with the hasher's params", enc)
	}
	if strings.Contains(enc, "hunter2") {
		t.Error("encoded hash contains the password")
	}
	f := strings.Split(enc, "$")
	if len(f[4]) != 22 || len(f[5]) != 43 {
		t.Errorf("salt/hash fields have lengths %d/%d; want 22/43 (16/32 bytes, unpadded)", len(f[4]), len(f[5]))
	}
}

func TestVerifyRefusesAWrongPassword(t *testing.T) {
	enc, _ := cheap.Hash("right password 1")
	for _, wrong := range []string{"right password 2", "Right password 1", "right password 1 ", ""} {
		ok, rehash, err := cheap.Verify(enc, wrong)
		if ok || rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", wrong, ok, rehash, err)
		}
	}
}

func TestVerifyTreatsUnicodeCompositionsAsTheSamePassword(t *testing.T) {
	composed := "caf\u00e9 au lait please" // é as one code point
	decomposed := "cafe\u0301 au lait please"
	enc, _ := cheap.Hash(composed)
	if ok, _, err := cheap.Verify(enc, decomposed); !ok || err != nil {
		t.Errorf("Verify(decomposed) = %v, %v; want true, nil", ok, err)
	}
}

func TestVerifyReportsMalformedHashesAsErrors(t *testing.T) {
	good, _ := cheap.Hash("a fine password")
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	join := func(parts ...string) string { return strings.Join(parts, "$") }
	tests := []struct {
		name, enc string
	}{
		{"empty string", ""},
		{"plain text", "not a hash"},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i algorithm", join("", "argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"old version 16", join("", "argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"missing version", join("", "argon2id", "m=64,t=1,p=1", salt, key)},
		{"extra field", good + "$x"},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"params out of order", join("", "argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"missing param", join("", "argon2id", "v=19", "m=64,t=1", salt, key)},
		{"non-numeric param", join("", "argon2id", "v=19", "m=64,t=x,p=1", salt, key)},
		{"negative param", join("", "argon2id", "v=19", "m=64,t=-1,p=1", salt, key)},
		{"leading zero", join("", "argon2id", "v=19", "m=064,t=1,p=1", salt, key)},
		{"plus sign", join("", "argon2id", "v=19", "m=+64,t=1,p=1", salt, key)},
		{"zero time", join("", "argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"zero threads", join("", "argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"threads overflow", join("", "argon2id", "v=19", "m=64,t=1,p=256", salt, key)},
		{"memory below 8 per thread", join("", "argon2id", "v=19", "m=8,t=1,p=2", salt, key)},
		{"huge memory", join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"huge time", join("", "argon2id", "v=19", "m=64,t=100000,p=1", salt, key)},
		{"salt not base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", "!!!!", key)},
		{"salt padded", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"salt too short", join("", "argon2id", "v=19", "m=64,t=1,p=1", "AAAA", key)},
		{"empty salt", join("", "argon2id", "v=19", "m=64,t=1,p=1", "", key)},
		{"hash not base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "*"+key[1:])},
		{"hash too short", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "AAAA")},
		{"empty hash", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"newline in hash", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, key[:20]+"\n"+key[20:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := cheap.Verify(tt.enc, "a fine password")
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v, %v; want false, false, ErrMalformedHash", ok, rehash, err)
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key) {
				t.Errorf("error %q leaks the stored hash", err)
			}
		})
	}
}

func TestVerifyAsksForRehashWhenParamsDiffer(t *testing.T) {
	old := Hasher{Params: Params{Memory: 32, Time: 1, Threads: 1, KeyLen: 32}}
	enc, _ := old.Hash("an old password")
	tests := []struct {
		name   string
		h      Hasher
		plain  string
		ok     bool
		rehash bool
	}{
		{"same params need nothing", old, "an old password", true, false},
		{"more memory needs rehash", cheap, "an old password", true, true},
		{"more passes need rehash", Hasher{Params: Params{Memory: 32, Time: 2, Threads: 1, KeyLen: 32}}, "an old password", true, true},
		{"longer key needs rehash", Hasher{Params: Params{Memory: 32, Time: 1, Threads: 1, KeyLen: 64}}, "an old password", true, true},
		{"wrong password never asks for rehash", cheap, "a wrong password", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := tt.h.Verify(enc, tt.plain)
			if ok != tt.ok || rehash != tt.rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

func TestHashRefusesOutOfBoundsParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 64, Time: 0, Threads: 1, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 8},
		{Memory: 4, Time: 1, Threads: 1, KeyLen: 32},
	} {
		if _, err := (Hasher{Params: p}).Hash("whatever password"); err == nil {
			t.Errorf("Hash with %+v succeeded; want error", p)
		}
		Hasher{Params: p}.VerifyDummy("must not panic") // nor spin
	}
}

func TestZeroHasherUsesDefaultParams(t *testing.T) {
	if (Hasher{}).params() != DefaultParams {
		t.Fatalf("zero Hasher params = %+v; want %+v", Hasher{}.params(), DefaultParams)
	}
	want := Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32}
	if DefaultParams != want {
		t.Fatalf("DefaultParams = %+v; want %+v", DefaultParams, want)
	}
}

func TestPackageFunctionsRoundTripWithDefaultParams(t *testing.T) {
	enc, err := Hash("a password with default cost")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("Hash = %q; want default params in PHC prefix", enc)
	}
	if ok, rehash, err := Verify(enc, "a password with default cost"); !ok || rehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	VerifyDummy("a password with default cost")
}

func TestVerifyDummyDoesTheSameWorkAsVerify(t *testing.T) {
	// Timing is too noisy to assert; check instead that the dummy path
	// runs the hasher's own parameters, the only input to argon2's cost.
	enc, _ := cheap.Hash("x")
	p, salt, key, err := parse(enc)
	if err != nil {
		t.Fatal(err)
	}
	if p != cheap.Params || len(salt) != saltLen || len(key) != int(cheap.Params.KeyLen) {
		t.Fatalf("hash params %+v salt %d key %d differ from what VerifyDummy uses", p, len(salt), len(key))
	}
	cheap.VerifyDummy("x")
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
