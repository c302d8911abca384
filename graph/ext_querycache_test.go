package graph_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestQueryCacheHoldsOnlyDocumentsThatPassedEveryLimit(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	cache := graph.NewQueryCache(1<<20, 100)
	h := graph.NewHandler(db.Client, graph.HandlerConfig{QueryCache: cache, ComplexityLimit: 150, DepthLimit: 4})
	refused := []struct{ why, query string }{
		{"complexity", `{ clients(first: 200) { totalCount } }`},
		{"depth", `{ viewer { user { roles { users { id } } } } }`},
		{"introspection", `{ __schema { queryType { name } } }`},
		{"validation", `{ viewer { nosuchfield } }`},
		{"a literal", `{ clients(where: {givenName: "a\u0000b"}) { totalCount } }`},
		{"repeated names", "{ " + strings.Repeat("__typename ", 300) + "}"},
	}
	for _, r := range refused {
		for range 2 { // a second time would be a hit, were it cached
			if _, resp := post(t, h, a.viewer(), map[string]any{"query": r.query}); len(resp.Errors) == 0 {
				t.Fatalf("%s: not refused", r.why)
			}
		}
		if n, _ := cache.Usage(); n != 0 {
			t.Fatalf("refused for %s, yet cached", r.why)
		}
	}

	const q = `{ clients { totalCount } }`
	for range 2 {
		if _, r := post(t, h, a.viewer(), map[string]any{"query": q}); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	if n, _ := cache.Usage(); n != 1 {
		t.Fatalf("%d documents cached after one passed twice, want 1", n)
	}
	// Per user: another user's copy is an entry of its own (a hit on the
	// first user's would tell the second that the first sent it).
	other := viewerOf(t, db.Client, addUser(t, db.Client, a.org.ID, "bo@acme.test", user.KindStaff, a.role))
	if _, r := post(t, h, other, map[string]any{"query": q}); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if n, _ := cache.Usage(); n != 2 {
		t.Fatalf("%d documents cached after a second user, want 2", n)
	}
	// Callers who may not read data are not remembered.
	post(t, h, nil, map[string]any{"query": `{ __typename }`})
	if n, _ := cache.Usage(); n != 2 {
		t.Fatalf("%d documents cached after an anonymous one, want 2", n)
	}
}

// The cache counts the memory each document holds (its text and parsed
// tree) and evicts to stay within its budget, so that many distinct large
// documents cannot grow the heap: a heap measure, not only its own count.
func TestQueryCacheStaysWithinItsMemoryBudget(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	const budget = 4 << 20
	cache := graph.NewQueryCache(budget, 1000)
	h := graph.NewHandler(db.Client, graph.HandlerConfig{QueryCache: cache})
	// Each near the signed-in limit of 64 KB: 200 aliased fields and a
	// distinct comment.
	doc := func(i int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for j := range 200 {
			fmt.Fprintf(&b, "a%d: __typename ", j)
		}
		b.WriteString("}\n# ")
		for b.Len() < graph.DefaultDocumentLimit().MaxBytes-100 {
			fmt.Fprintf(&b, "document %d ", i)
		}
		return b.String()
	}
	post(t, h, a.viewer(), map[string]any{"query": `{ viewer { privileges } }`}) // warm up the handler
	before := liveHeap()
	const sent = 200 // 13 MB of text alone
	for i := range sent {
		if _, r := post(t, h, a.viewer(), map[string]any{"query": doc(i)}); len(r.Errors) > 0 {
			t.Fatalf("document %d: %+v", i, r.Errors)
		}
	}
	grown := liveHeap() - before
	entries, counted := cache.Usage()
	if entries == 0 || entries >= sent || counted > budget {
		t.Fatalf("%d documents counted as %d bytes, want some but not all within %d", entries, counted, budget)
	}
	// A megabyte for whatever else the requests left behind.
	if grown > budget+1<<20 {
		t.Fatalf("the heap grew by %d bytes holding %d documents, over the budget of %d", grown, entries, budget)
	}
	runtime.KeepAlive(h)
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
