// Package gqlcursor is the GraphQL Cursor scalar: entgql's cursor (base64
// of msgpack {i: id, v: value}), written without its encoders.
//
// entgql's MarshalGQL builds a base64 encoder (a kilobyte of buffer) and a
// msgpack encoder for every cursor, and a page of fifty clients has fifty:
// they were the largest allocation of a page request. A cursor of the
// default order has no value, and its msgpack is four bytes of header and
// the id, which Marshal writes itself, byte for byte what entgql writes
// (TestMarshalWritesWhatEntgqlWrites, FuzzMarshal). A cursor with a value
// (a connection ordered by another column) is written by entgql as before.
// Reading a cursor is entgql's.
package gqlcursor

import (
	"encoding/base64"
	"io"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// Cursor is the cursor of every connection (ent.Cursor).
type Cursor = entgql.Cursor[pulid.ID]

// msgpack codes of the cursor's encoding.
const (
	fixMap1   = 0x81 // a map of one entry: {i: id}
	fixStrLow = 0xa0 // a string shorter than 32 bytes, its length in the low bits
	str8      = 0xd9 // a string of 32 to 255 bytes, its length in the next byte
)

// maxFast is the longest id written here: the header, the id and its
// base64 then fit buffers on the stack. Ids are some thirty bytes.
const maxFast = 96

// MarshalCursor writes c as entgql does: a quoted string of base64
// (unpadded) of its msgpack.
func MarshalCursor(c Cursor) graphql.Marshaler {
	if c.Value != nil || len(c.ID) > maxFast {
		return c
	}
	return idCursor(c.ID)
}

// UnmarshalCursor reads a cursor as entgql does.
func UnmarshalCursor(v any) (Cursor, error) {
	var c Cursor
	err := c.UnmarshalGQL(v)
	return c, err
}

// idCursor is a cursor of an id alone, ready to write.
type idCursor pulid.ID

// MarshalGQL writes {i: id} as msgpack in base64, quoted, in one write.
func (id idCursor) MarshalGQL(w io.Writer) {
	var raw [5 + maxFast]byte
	n := copy(raw[:], []byte{fixMap1, fixStrLow | 1, 'i'})
	if l := len(id); l < 32 {
		raw[n] = fixStrLow | byte(l)
		n++
	} else {
		raw[n], raw[n+1] = str8, byte(l)
		n += 2
	}
	n += copy(raw[n:], id)
	m := base64.RawStdEncoding.EncodedLen(n)
	var out []byte
	if aw, ok := w.(availableBuffer); ok {
		out = aw.AvailableBuffer() // the response's own buffer: no copy to make
	}
	if cap(out) < m+2 {
		out = make([]byte, 0, m+2)
	}
	out = out[:m+2]
	out[0] = '"'
	base64.RawStdEncoding.Encode(out[1:], raw[:n])
	out[1+m] = '"'
	_, _ = w.Write(out)
}

// availableBuffer is a writer that lends its free space (bytes.Buffer,
// bufio.Writer), which gqlgen's response writer is.
type availableBuffer interface {
	AvailableBuffer() []byte
}
