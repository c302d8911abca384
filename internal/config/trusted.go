package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// readTrustedDocuments reads a trusted documents file: one JSON object
// mapping the hex SHA-256 of each GraphQL document to its text, the form
// graphql-codegen's persisted documents (with hashAlgorithm sha256) and
// similar tools emit. Keys are returned in lower case. A hash that is not
// the SHA-256 of its document is an error: requests may name a document by
// its text as well as by its hash, and both must find the same entry.
func readTrustedDocuments(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object mapping SHA-256 hashes to documents: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", path)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: lists no documents, so no operation could run", path)
	}
	docs := make(map[string]string, len(raw))
	for key, doc := range raw {
		h := strings.ToLower(key)
		sum := sha256.Sum256([]byte(doc))
		switch {
		case strings.TrimSpace(doc) == "":
			return nil, fmt.Errorf("%s: document %q is empty", path, key)
		case len(h) != sha256.Size*2 || !isHex(h):
			return nil, fmt.Errorf("%s: key %q is not a hex SHA-256 hash", path, key)
		case h != hex.EncodeToString(sum[:]):
			return nil, fmt.Errorf("%s: key %q is not the SHA-256 of its document (that is %x)", path, key, sum)
		}
		if _, dup := docs[h]; dup {
			return nil, fmt.Errorf("%s: key %q appears twice", path, h)
		}
		docs[h] = doc
	}
	return docs, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
