package config

import (
	"github.com/clinicgate/clinicgate/internal/seal"

	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MinSecretKeyLen is the least number of bytes a secret key must have: what
// internal/seal, which the key is for, accepts.
const MinSecretKeyLen = seal.MinKeyLen

// loadSecretKey sets SecretKey from SECRET_KEY or SECRET_KEY_FILE, or, for
// SQLite only, from a key generated once and kept in the data directory.
// Errors never quote a key, not even a malformed one.
func (c *Config) loadSecretKey(k keySources) error {
	switch {
	case k.file != "" && (k.key == "" || k.fileFromFlag):
		key, err := readKeyFile(k.file)
		if err != nil {
			return fmt.Errorf("%s: %w", k.fileSource, err)
		}
		c.SecretKey, c.SecretKeySource = key, k.file
	case k.file != "":
		return errors.New("SECRET_KEY and SECRET_KEY_FILE are both set; set only one")
	case k.key != "":
		key, err := decodeKey(k.key)
		if err != nil {
			return fmt.Errorf("SECRET_KEY: %w", err)
		}
		c.SecretKey, c.SecretKeySource = key, "SECRET_KEY"
	case c.Dialect() == Postgres:
		// A generated key would differ between replicas: a secret one
		// replica sealed (a TOTP secret, an SSO client secret) could not
		// be opened by the others. Sessions do not depend on it.
		return errors.New("SECRET_KEY: required with PostgreSQL so that all replicas share it; " +
			"set SECRET_KEY or SECRET_KEY_FILE to the output of `openssl rand -base64 32`")
	default:
		if err := c.EnsureDataDir(); err != nil {
			return fmt.Errorf("DATA_DIR: %w", err)
		}
		path := filepath.Join(c.DataDir, "secret.key")
		key, err := loadOrCreateKey(path)
		if err != nil {
			return fmt.Errorf("DATA_DIR: development secret key: %w", err)
		}
		c.SecretKey, c.SecretKeySource = key, "generated "+path
	}
	return nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// decodeKey accepts hex or any common base64 form, hex first: a hex string
// is also valid base64 but was surely not meant as such.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	key, err := hex.DecodeString(s)
	if err != nil {
		for _, enc := range []*base64.Encoding{
			base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
		} {
			if key, err = enc.DecodeString(s); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("not base64 or hex")
	}
	if len(key) < MinSecretKeyLen {
		return nil, fmt.Errorf("decodes to %d bytes, need at least %d", len(key), MinSecretKeyLen)
	}
	return key, nil
}

// loadOrCreateKey reads the key at path, or writes a new random one there
// with mode 0600. The new file is written aside and linked into place, so
// that a server starting at the same moment never reads half a key and both
// end up with the same one.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	key := make([]byte, MinSecretKeyLen)
	rand.Read(key) // never fails: it crashes the program rather than return weak bytes

	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateKey(path) // another process won the race: use its key
		}
		return nil, err
	}
	return key, nil
}
