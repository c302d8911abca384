package gqlcursor_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/graph/gqlcursor"
)

func written(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// entgqls is what entgql itself writes for c.
func entgqls(c gqlcursor.Cursor) string {
	var b bytes.Buffer
	c.MarshalGQL(&b)
	return b.String()
}

func TestMarshalWritesWhatEntgqlWrites(t *testing.T) {
	ids := []pulid.ID{"", "x", "pat_01JGFJK0PCY4KAVGTKRSP8MDVP", "usr_01JGFJK0PCY4KAVGTKRSP8MDVPX",
		pulid.ID(strings.Repeat("a", 31)), pulid.ID(strings.Repeat("b", 32)), pulid.ID(strings.Repeat("c", 95)),
		pulid.ID(strings.Repeat("d", 96)), pulid.ID(strings.Repeat("e", 97)), pulid.ID(strings.Repeat("f", 300)),
		"é\"\\\n<>&\u2028", "\x00\xff"}
	values := []any{nil, "Ada", int64(7), 3.5, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), true}
	for _, id := range ids {
		for _, v := range values {
			c := gqlcursor.Cursor{ID: id, Value: v}
			if got, want := written(gqlcursor.MarshalCursor(c)), entgqls(c); got != want {
				t.Errorf("cursor {%q, %v}: wrote %s, entgql writes %s", id, v, got, want)
			}
		}
	}
}

func TestACursorWrittenReadsBackAsItself(t *testing.T) {
	for _, c := range []gqlcursor.Cursor{
		{ID: "pat_01JGFJK0PCY4KAVGTKRSP8MDVP"},
		{ID: pulid.ID(strings.Repeat("b", 40))},
		{ID: "usr_01JGFJK0PCY4KAVGTKRSP8MDVP", Value: "ada@example.org"},
	} {
		s := written(gqlcursor.MarshalCursor(c))
		got, err := gqlcursor.UnmarshalCursor(strings.Trim(s, `"`))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got.ID != c.ID || got.Value != c.Value {
			t.Errorf("%s read back as %+v, want %+v", s, got, c)
		}
	}
}

func TestUnmarshalRefusesWhatIsNotACursor(t *testing.T) {
	for _, v := range []any{42, "not base64!", "", "gaFp"} {
		if c, err := gqlcursor.UnmarshalCursor(v); err == nil {
			t.Errorf("%#v read as the cursor %+v", v, c)
		}
	}
}

func FuzzMarshal(f *testing.F) {
	f.Add("pat_01JGFJK0PCY4KAVGTKRSP8MDVP", "")
	f.Add(strings.Repeat("b", 32), "Ada")
	f.Add("\x00\xff\u2028", "")
	f.Fuzz(func(t *testing.T, id, value string) {
		c := gqlcursor.Cursor{ID: pulid.ID(id)}
		if value != "" {
			c.Value = value
		}
		if got, want := written(gqlcursor.MarshalCursor(c)), entgqls(c); got != want {
			t.Fatalf("cursor {%q, %q}: wrote %s, entgql writes %s", id, value, got, want)
		}
	})
}

func BenchmarkMarshalPageOf50Cursors(b *testing.B) {
	c := gqlcursor.Cursor{ID: "pat_01JGFJK0PCY4KAVGTKRSP8MDVP"}
	var buf bytes.Buffer
	b.Run("gqlcursor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			for range 50 {
				gqlcursor.MarshalCursor(c).MarshalGQL(&buf)
			}
		}
	})
	b.Run("entgql", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			for range 50 {
				c.MarshalGQL(&buf)
			}
		}
	})
}
