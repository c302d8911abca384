package graph_test

import (
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A hash registered by one user runs for that user alone: anyone else
// hears PERSISTED_QUERY_NOT_FOUND, exactly as for a hash nobody sent, so
// no one learns from the cache whether someone else sent a document.
func TestPersistedQueriesAreKeptPerUser(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	b := newTenant(t, db.Client, "bravo")
	colleague := viewerOf(t, db.Client, addUser(t, db.Client, a.org.ID, "bo@acme.test", user.KindStaff, a.role))
	h := graph.NewHandler(db.Client, graph.HandlerConfig{APQCacheSize: 10})
	const q = `{ clients { totalCount } }`
	hash := sha256Hex(q)
	if _, r := post(t, h, a.viewer(), map[string]any{"query": q, "extensions": apq(hash)}); len(r.Errors) > 0 {
		t.Fatalf("registering: %+v", r.Errors)
	}
	if _, r := post(t, h, a.viewer(), map[string]any{"extensions": apq(hash)}); len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("the sender's hash alone: %+v", r.Errors)
	}
	for who, v := range map[string]*viewer.Viewer{"a colleague": colleague, "another organization": b.viewer(), "an anonymous caller": nil} {
		_, r := post(t, h, v, map[string]any{"extensions": apq(hash)})
		if got := codes(r); len(got) != 1 || got[0] != graph.PersistedQueryNotFound || r.Errors[0].Message != graph.PersistedQueryNotFoundMessage || r.Data != nil {
			t.Errorf("%s: %s %+v", who, r.Data, r.Errors)
		}
	}
}

// A query is remembered once its operation passed every limit; an
// anonymous caller's never is.
func TestPersistedQueriesRememberOnlyWhatPassed(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{APQCacheSize: 10, ComplexityLimit: 150})
	for _, tt := range []struct {
		name  string
		v     *viewer.Viewer
		query string
	}{
		{"over the complexity limit", a.viewer(), `{ clients(first: 500) { totalCount } }`},
		{"failing validation", a.viewer(), `{ clients { nosuchfield } }`},
		{"over a document limit", a.viewer(), `{ a: __typename b: __typename }` + "\n#" + strings.Repeat("x", 70<<10)},
		{"from an anonymous caller", nil, `{ __typename }`},
	} {
		hash := sha256Hex(tt.query)
		_, r := post(t, h, tt.v, map[string]any{"query": tt.query, "extensions": apq(hash)})
		if tt.v != nil && len(r.Errors) == 0 {
			t.Fatalf("%s: not refused", tt.name)
		}
		_, r = post(t, h, tt.v, map[string]any{"extensions": apq(hash)})
		if got := codes(r); len(got) != 1 || got[0] != graph.PersistedQueryNotFound {
			t.Errorf("%s: remembered: %+v", tt.name, r.Errors)
		}
	}
}
