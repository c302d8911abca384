// Package pulid provides prefixed ULIDs: opaque, hard-to-guess identifiers
// whose prefix names the entity type, so a GraphQL node ID can be routed to
// its table without a lookup and no sequential integer ever leaves the server.
// IDs are not secrets: every access is decided by internal/authz, whoever
// knows an id.
package pulid

import (
	"crypto/rand"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/oklog/ulid/v2"
)

// ID is a prefixed ULID such as "cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0V".
type ID string

// generator draws the randomness of new IDs from crypto/rand (ulid.Make's
// default is math/rand seeded by the clock, which an observer of a few IDs
// could predict). It is monotonic within a millisecond, so that IDs created
// by one process sort in creation order: the first ID of a millisecond has
// 80 random bits, each later one the previous plus a random increment below
// 2^32. The clock is read under the same lock as the entropy, or an ID
// stamped a millisecond earlier could follow one stamped later.
var generator = struct {
	sync.Mutex
	entropy *ulid.MonotonicEntropy
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// New returns a fresh ID with the given type prefix.
func New(prefix string) ID {
	generator.Lock()
	id := ulid.MustNew(ulid.Now(), generator.entropy)
	generator.Unlock()
	return ID(prefix + "_" + id.String())
}

// Prefix returns the type prefix of id, or "" when id is not well formed.
func (id ID) Prefix() string {
	p, rest, ok := strings.Cut(string(id), "_")
	if !ok || len(rest) != ulid.EncodedSize || p == "" {
		return ""
	}
	if _, err := ulid.ParseStrict(rest); err != nil {
		return ""
	}
	return p
}

// Valid reports whether id has the form prefix_ULID.
func (id ID) Valid() bool { return id.Prefix() != "" }

// UnmarshalGQL implements graphql.Unmarshaler.
func (id *ID) UnmarshalGQL(v any) error {
	switch v := v.(type) {
	case string:
		*id = ID(v)
	case ID:
		*id = v
	default:
		return fmt.Errorf("pulid: ID must be a string, got %T", v)
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (id ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(id)))
}

// Scan implements sql.Scanner.
func (id *ID) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		return fmt.Errorf("pulid: expected a value")
	case string:
		*id = ID(src)
	case []byte:
		*id = ID(src)
	case ID:
		*id = src
	default:
		return fmt.Errorf("pulid: unexpected type %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (id ID) Value() (driver.Value, error) { return string(id), nil }
