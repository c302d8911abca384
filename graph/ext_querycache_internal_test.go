package graph

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// documentSize must not under-count what a cached document holds, whatever
// the document is made of, or the cache's budget would not bound the heap.
func TestDocumentSizeCountsWhatADocumentHolds(t *testing.T) {
	schema := NewSchema(nil).Schema()
	shapes := map[string]func(i int) string{
		"fields and connections": func(i int) string {
			return fmt.Sprintf(`query Q%d { clients(first: 10) { totalCount edges { cursor node { id givenName familyName businessUnit { id name } } } pageInfo { hasNextPage } } }`, i)
		},
		"variables, defaults and directives": func(i int) string {
			return fmt.Sprintf(`query Q%d($n: Int = 5, $w: ClientWhereInput, $skip: Boolean!) {
				clients(first: $n, where: $w) @skip(if: $skip) { totalCount }
				viewer @include(if: true) { privileges }
			}`, i)
		},
		"literal objects, lists and escaped strings": func(i int) string {
			return fmt.Sprintf(`{ clients(where: {or: [{givenName: "a\u00e9%d"}, {familyNameIn: ["b", "c", "d"]}], not: {givenNameHasPrefix: """block %d"""}}) { totalCount } }`, i, i)
		},
		"fragments, inline fragments and comments": func(i int) string {
			return fmt.Sprintf(`# the page %d
			query Q%d($id: ID!) {
				node(id: $id) { id ... on Client { ...C } }
				__typename
			}
			# the client
			fragment C on Client { givenName businessUnit { name } __typename }`, i, i)
		},
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			const n = 2000
			texts := make([]string, n)
			for i := range texts {
				texts[i] = shape(i)
			}
			docs := make([]*ast.QueryDocument, n)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i, q := range texts {
				doc, err := parser.ParseQuery(&ast.Source{Input: q})
				if err != nil {
					t.Fatal(err)
				}
				if errs := validator.ValidateWithRules(schema, doc, validationRules()); len(errs) > 0 {
					t.Fatal(errs)
				}
				docs[i] = doc
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			var counted int64
			for _, doc := range docs {
				counted += documentSize(doc)
			}
			// Under by no more than 5%; over by no more than half.
			if counted < held*95/100 || counted > held*3/2 {
				t.Errorf("counted %d bytes for documents holding %d", counted, held)
			}
			runtime.KeepAlive(docs)
			runtime.KeepAlive(texts)
		})
	}
}
