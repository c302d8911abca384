package graph_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Findings of FuzzGlobalIDsAndCursors: forged cursors were INTERNAL errors
// (the driver refused their value, or the msgpack decoder panicked).
func TestAForgedCursorIsBadUserInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		for name, c := range map[string]string{
			"the decoder panics": "gqF2vn000000000000000000000000000000000000000aF2r000000000000000000000",
			"a map value":        "gqFpoXihdoGhYZIBoWI",
			"a number for text":  "gqFppXVzcl94oXbLQCkAAAAAAAA",
			"bytes holding NUL":  "gqFpoKF2xAIAAQ",
		} {
			r := do(t, db, a.viewer(), `query($after: Cursor) { users(first: 2, after: $after, orderBy: {field: EMAIL}) { totalCount } }`, map[string]any{"after": c})
			if codes := codes(r); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "after" {
				t.Errorf("%s: %v %+v", name, codes, r.Errors)
			}
			// The same as a literal in the document.
			r = do(t, db, a.viewer(), `{ clients(first: 2, after: "`+c+`") { totalCount } }`, nil)
			if codes := codes(r); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
				t.Errorf("%s as a literal: %v %+v", name, codes, r.Errors)
			}
		}
		// Cursors the server made still page, with a value (a name, a
		// time) and without (the order by id).
		for _, order := range []string{`, orderBy: {field: GIVEN_NAME}`, `, orderBy: {field: CREATED_AT, direction: DESC}`, ``} {
			r := do(t, db, a.viewer(), `{ clients(first: 1`+order+`) { edges { cursor } pageInfo { endCursor } } }`, nil)
			wantCodes(t, r)
			var page struct{ PageInfo struct{ EndCursor string } }
			dataField(t, r, "clients", &page)
			if page.PageInfo.EndCursor == "" {
				t.Fatalf("no end cursor: %s", dataOf(r))
			}
			r = do(t, db, a.viewer(), `query($after: Cursor) { clients(first: 2, after: $after`+order+`) { edges { node { id } } } }`,
				map[string]any{"after": page.PageInfo.EndCursor})
			wantCodes(t, r)
			var next struct{ Edges []any }
			dataField(t, r, "clients", &next)
			if len(next.Edges) != 2 {
				t.Errorf("order %q: the next page has %d clients, want 2", order, len(next.Edges))
			}
		}
	})
}
