package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

type hostileShape struct {
	name string
	doc  func(n int) string
}

// hostileShapes build documents that make validation (and gqlgen's
// complexity walk) do the most work for their size, each growing with n:
// the worst accepted document is the largest n of the worst shape that
// DocumentLimits lets through.
func hostileShapes() []hostileShape {
	return []hostileShape{
		{"one name repeated at one level", func(n int) string {
			return "{ " + strings.Repeat("__typename ", n) + "}"
		}},
		{"an alias repeated with its subtree", func(n int) string {
			return "{ " + strings.Repeat("a: viewer { user { id } } ", n) + "}"
		}},
		{"a field repeated with a wide subtree", func(n int) string {
			return "{ " + strings.Repeat("viewer { user { id email displayName status kind createdAt updatedAt } privileges } ", n) + "}"
		}},
		{"repeats nested n levels deep, two at each", func(n int) string {
			sel := "id"
			for i := range n {
				edge := "users"
				if i%2 == 1 {
					edge = "businessUnits"
				}
				sel = edge + " { " + sel + " } " + edge + " { " + sel + " }"
			}
			return "{ viewer { businessUnits { " + sel + " } } }"
		}},
		{"n fragments spread together", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&b, "...F%d ", i)
			}
			b.WriteString("}\n")
			for i := range n {
				fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", i)
			}
			return b.String()
		}},
		{"a chain of n fragments", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ...F0 }\n")
			for i := range n {
				fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
			}
			fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
			return b.String()
		}},
		{"fragments spreading the next twice", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ...F0 }\n")
			for i := range n {
				fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
			}
			fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
			return b.String()
		}},
		{"n aliased pages of many fields", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&b, "c%d: clients(first: 1) { totalCount edges { cursor node { id givenName familyName createdAt updatedAt businessUnit { id name } } } pageInfo { hasNextPage endCursor } } ", i)
			}
			b.WriteString("}")
			return b.String()
		}},
		{"a repeated field with n arguments in reverse order", func(n int) string {
			var fwd, rev strings.Builder
			for i := range n {
				fmt.Fprintf(&fwd, "x%d: 1 ", i)
				fmt.Fprintf(&rev, "x%d: 1 ", n-1-i)
			}
			return "{ viewer(" + fwd.String() + ") { privileges } viewer(" + rev.String() + ") { privileges } }"
		}},
		{"n variables, each used", func(n int) string {
			var defs, uses strings.Builder
			for i := range n {
				fmt.Fprintf(&defs, "$v%d: ID! ", i)
				fmt.Fprintf(&uses, "n%d: node(id: $v%d) { id } ", i, i)
			}
			return "query(" + defs.String() + ") { " + uses.String() + "}"
		}},
		{"an input nested n levels deep", func(n int) string {
			return "{ clients(where: " + strings.Repeat("{not: ", n) + "{givenName: \"x\"}" + strings.Repeat("}", n) + ") { totalCount } }"
		}},
		{"fields nested n levels deep", func(n int) string {
			var b strings.Builder
			b.WriteString("{ viewer { businessUnits { ")
			for i := range n {
				if i%2 == 0 {
					b.WriteString("users { ")
				} else {
					b.WriteString("businessUnits { ")
				}
			}
			b.WriteString("id" + strings.Repeat(" }", n+2) + " }")
			return b.String()
		}},
		{"a variable's list type nested n levels deep", func(n int) string {
			return "query($v: " + strings.Repeat("[", n) + "ID" + strings.Repeat("]", n) + ") { nodes(ids: $v) { id } }"
		}},
		{"a list literal nested n levels deep", func(n int) string {
			return "{ nodes(ids: " + strings.Repeat("[", n) + "\"x\"" + strings.Repeat("]", n) + ") { id } }"
		}},
		{"n unknown fields", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&b, "clientz%d ", i)
			}
			b.WriteString("}")
			return b.String()
		}},
		{"an unknown field with a name n long", func(n int) string {
			return "{ " + strings.Repeat("c", n) + " }"
		}},
		{"n unknown input fields", func(n int) string {
			var b strings.Builder
			b.WriteString("{ clients(where: {")
			for i := range n {
				fmt.Fprintf(&b, "familyNameContainz%d: 1 ", i)
			}
			b.WriteString("}) { totalCount } }")
			return b.String()
		}},
		{"n variables of unknown types", func(n int) string {
			var defs, uses strings.Builder
			for i := range n {
				fmt.Fprintf(&defs, "$v%d: ClientWhereInputz%d ", i, i)
				fmt.Fprintf(&uses, "c%d: clients(where: $v%d) { totalCount } ", i, i)
			}
			return "query(" + defs.String() + ") { " + uses.String() + "}"
		}},
		{"n misspelt enum values", func(n int) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&b, "c%d: clients(orderBy: {field: GIVEN_NAMEZ%d}) { totalCount } ", i, i)
			}
			b.WriteString("}")
			return b.String()
		}},
		{"n operations spreading one fragment", func(n int) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "query Q%d { ...F }\n", i)
			}
			b.WriteString("fragment F on Query { viewer { user { id email displayName } privileges } }\n")
			return b.String()
		}},
	}
}

// largestAccepted returns the largest n for which shape's document passes
// lim, by doubling then bisecting.
func largestAccepted(shape func(int) string, lim DocumentLimit) int {
	ok := func(n int) bool {
		q := shape(n)
		if _, err := parser.ParseQuery(&ast.Source{Input: q}); err != nil {
			return false
		}
		return (DocumentLimits{Inputs: DefaultInputLimit()}).check(context.Background(), q, lim, "") == nil
	}
	lo, hi := 0, 1
	for ok(hi) {
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// BenchmarkWorstAcceptedDocument reports how long gqlparser takes to
// validate the worst document each caller may send (the target is under
// 50 ms), and how long DocumentLimits takes to measure it (lexer pass and
// parse included). Accepted means let through to validation: some shapes
// then fail it, and that time counts as much.
func BenchmarkWorstAcceptedDocument(b *testing.B) {
	schema := NewSchema(nil).Schema()
	for _, who := range []struct {
		name string
		lim  DocumentLimit
	}{
		{"signed-in", DefaultDocumentLimit()},
		{"anonymous", AnonymousDocumentLimit()},
	} {
		b.Run(who.name, func(b *testing.B) {
			type doc struct {
				name  string
				n     int
				query string
				ast   *ast.QueryDocument
			}
			var docs []doc
			for _, s := range hostileShapes() {
				n := largestAccepted(s.doc, who.lim)
				if n == 0 {
					continue
				}
				q := s.doc(n)
				d, err := parser.ParseQuery(&ast.Source{Input: q})
				if err != nil {
					b.Fatalf("%s: %v", s.name, err)
				}
				docs = append(docs, doc{s.name, n, q, d})
			}
			worst := make([]time.Duration, len(docs))
			measured := make([]time.Duration, len(docs))
			b.ResetTimer()
			for range b.N {
				for i, d := range docs {
					start := time.Now()
					validator.ValidateWithRules(schema, d.ast, validationRules())
					worst[i] += time.Since(start)
					start = time.Now()
					if (DocumentLimits{Inputs: DefaultInputLimit()}).check(context.Background(), d.query, who.lim, "") != nil {
						b.Fatalf("%s: refused", d.name)
					}
					measured[i] += time.Since(start)
				}
			}
			b.StopTimer()
			w := 0
			for i := range docs {
				if worst[i] > worst[w] {
					w = i
				}
				b.Logf("%-52s n=%-5d %6d bytes  validate %7.3f ms  limits %6.3f ms", docs[i].name, docs[i].n, len(docs[i].query),
					float64(worst[i])/float64(b.N)/1e6, float64(measured[i])/float64(b.N)/1e6)
			}
			b.ReportMetric(float64(worst[w])/float64(b.N)/1e6, "worst-validate-ms")
			b.ReportMetric(float64(measured[w])/float64(b.N)/1e6, "its-limits-ms")
		})
	}
}

// aliasBomb is the document of the report: 3,000 copies of one aliased
// field, 69 KB, which took validation 21 s.
func aliasBomb() string {
	return "{ " + strings.Repeat("a:viewer{user{id}} ", 3000) + "}"
}

// BenchmarkRefusingTheAliasBomb reports how long the handler takes to
// refuse the 3,000-alias document: anonymously (its length), signed in
// (its tokens), and signed in with length and token limits raised out of
// the way (its repeated names, which need a parse).
func BenchmarkRefusingTheAliasBomb(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	body, _ := json.Marshal(map[string]any{"query": aliasBomb()})
	signedIn := &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: pulid.ID("org_1"), UserID: pulid.ID("usr_1")}
	for _, tt := range []struct {
		name string
		v    *viewer.Viewer
		cfg  HandlerConfig
		code string
	}{
		{"anonymous", nil, HandlerConfig{}, QueryTooLarge},
		{"signed-in", signedIn, HandlerConfig{}, TokenLimitExceeded},
		{"signed-in past length and tokens", signedIn, HandlerConfig{Documents: DocumentLimit{MaxBytes: 1 << 20, MaxTokens: 1 << 20}}, FieldLimitExceeded},
	} {
		h := NewHandler(db.Client, tt.cfg)
		b.Run(tt.name, func(b *testing.B) {
			for range b.N {
				r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				if tt.v != nil {
					r = r.WithContext(viewer.NewContext(r.Context(), tt.v))
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if !bytes.Contains(w.Body.Bytes(), []byte(`"code":"`+tt.code+`"`)) {
					b.Fatalf("not refused with %s: %s", tt.code, w.Body)
				}
			}
		})
	}
}

// BenchmarkFullQueryCache fills a query cache of the default budget with
// distinct documents holding as many fields as a signed-in user may send
// (the most parsed tree a document can hold), as many users would, and
// reports the heap it then holds against the budget.
func BenchmarkFullQueryCache(b *testing.B) {
	schema := NewSchema(nil).Schema()
	lim := DefaultDocumentLimit()
	page := func(i int) string {
		var s strings.Builder
		fmt.Fprintf(&s, "query Q%d { ", i)
		for j := range 120 {
			fmt.Fprintf(&s, "c%d: clients(first: 1) { totalCount edges { cursor node { id givenName familyName createdAt updatedAt businessUnit { id name } } } pageInfo { hasNextPage endCursor } } ", j)
		}
		s.WriteString("}")
		q := s.String()
		if err := (DocumentLimits{Inputs: DefaultInputLimit()}).check(context.Background(), q, lim, ""); err != nil {
			b.Fatal(err)
		}
		return q
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
