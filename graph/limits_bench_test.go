package graph

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// BenchmarkFullQueryCache fills a query cache of the default budget with
// distinct documents of 1,800 fields each, as many users would, and
// reports the heap it then holds against the budget.
func BenchmarkFullQueryCache(b *testing.B) {
	schema := NewSchema(nil).Schema()
	page := func(i int) string {
		var s strings.Builder
		fmt.Fprintf(&s, "query Q%d { ", i)
		for j := range 120 {
			fmt.Fprintf(&s, "c%d: clients(first: 1) { totalCount edges { cursor node { id givenName familyName createdAt updatedAt businessUnit { id name } } } pageInfo { hasNextPage endCursor } } ", j)
		}
		s.WriteString("}")
		return s.String()
	}
	for range b.N {
		c := NewQueryCache(DefaultQueryCacheBytes, queryCacheEntries)
		size := 0
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; ; i++ {
			q := page(i)
			doc, err := parser.ParseQuery(&ast.Source{Input: q})
			if err != nil {
				b.Fatal(err)
			}
			if errs := validator.Validate(schema, doc); len(errs) > 0 {
				b.Fatal(errs)
			}
			k := scopedKey{org: pulid.ID(fmt.Sprintf("org_%d", i)), user: "usr", text: q}
			c.lru.add(k, doc, func() int64 { return int64(len(q)) + documentSize(doc) })
			if entries, _ := c.Usage(); entries < i/2 {
				break // well past full: half of what was added has been evicted
			}
			size = len(q)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		entries, counted := c.Usage()
		held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		b.ReportMetric(float64(held)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(counted)/(1<<20), "counted-MiB")
		b.ReportMetric(float64(DefaultQueryCacheBytes)/(1<<20), "budget-MiB")
		b.ReportMetric(float64(entries), "documents")
		b.ReportMetric(float64(size), "bytes/document")
		runtime.KeepAlive(c)
	}
}
