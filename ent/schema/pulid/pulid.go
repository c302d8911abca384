// Package pulid provides prefixed ULIDs: opaque, unguessable identifiers
// whose prefix names the entity type, so a GraphQL node ID can be routed to
// its table without a lookup and no sequential integer ever leaves the server.
package pulid

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"
)

// ID is a prefixed ULID such as "cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0V".
type ID string

// New returns a fresh ID with the given type prefix. ulid.Make is safe for
// concurrent use and monotonic within a millisecond, so IDs created by one
// process sort in creation order.
func New(prefix string) ID {
	return ID(prefix + "_" + ulid.Make().String())
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
