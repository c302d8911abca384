package graph_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// graphiqlIntrospection is the query GraphiQL sends on load (graphql-js
// getIntrospectionQuery with every option on), with its ofType chain as
// deep as graphql-js 17 makes it.
const graphiqlIntrospection = `
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  } } } } } } } } }
}`

func TestDepthLimit(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	// clients { edges { node { businessUnit { users { businessUnits {
	// users … id: n levels (n ≥ 4).
	deep := func(n int) string {
		q := "{ clients { edges { node { "
		for i := range n - 4 {
			switch {
			case i == 0:
				q += "businessUnit { "
			case i%2 == 1:
				q += "users { "
			default:
				q += "businessUnits { "
			}
		}
		return q + "id" + strings.Repeat(" }", n-4) + " } } } }"
	}
	tests := []struct {
		name  string
		limit int // 0: the default
		query string
		depth int // 0: allowed
	}{
		{"root fields are at depth 1", 1, `{ __typename }`, 0},
		{"a leaf below the limit", 3, `{ viewer { user { email } } }`, 0},
		{"a leaf one below too deep", 2, `{ viewer { user { email } } }`, 3},
		{"fragments count where they are spread", 2, `{ viewer { ...V } } fragment V on Viewer { user { email } }`, 3},
		{"inline fragments add no level of their own", 3, `query($id: ID!) { node(id: $id) { ... on Client { businessUnit { name } } } }`, 0},
		{"inline fragments' fields count", 2, `query($id: ID!) { node(id: $id) { ... on Client { businessUnit { name } } } }`, 3},
		{"the deepest branch decides", 3, `{ viewer { privileges user { email } } }`, 0},
		{"twelve levels pass by default", 0, deep(12), 0},
		{"thirteen levels do not", 0, deep(13), 13},
		{"GraphiQL's introspection passes by default", 0, graphiqlIntrospection, 0},
		{"introspection counts", 4, `{ __type(name: "Client") { fields { type { fields { name } } } } }`, 5},
		{"but not in ofType chains", 4, `{ __type(name: "Client") { fields { type { ofType { ofType { ofType { name } } } } } } }`, 0},
		{"fields below an ofType still count", 4, `{ __type(name: "Client") { fields { type { ofType { ofType { fields { name } } } } } } }`, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Depth alone: deep lists cost more than the default
			// complexity limit, which TestComplexityLimit covers.
			h := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: true, DepthLimit: tt.limit, ComplexityLimit: math.MaxInt32})
			status, r := post(t, h, a.viewer(), map[string]any{"query": tt.query, "variables": map[string]any{"id": a.clients[0].ID}})
			if tt.depth == 0 {
				if len(r.Errors) > 0 {
					t.Fatalf("refused: %+v", r.Errors)
				}
				return
			}
			limit := tt.limit
			if limit == 0 {
				limit = graph.DefaultDepthLimit
			}
			want := fmt.Sprintf("operation is nested %d levels deep, which exceeds the limit of %d", tt.depth, limit)
			if got := codes(r); status != 200 || len(got) != 1 || got[0] != graph.DepthLimitExceeded || r.Errors[0].Message != want || r.Data != nil {
				t.Fatalf("got %d %s %+v, want %s %q", status, r.Data, r.Errors, graph.DepthLimitExceeded, want)
			}
		})
	}
}

func TestDepthLimitRejectsALimitBelowOne(t *testing.T) {
	for _, n := range []int{0, -1} {
		if err := (graph.DepthLimit{Limit: n}).Validate(nil); err == nil {
			t.Errorf("Limit %d accepted", n)
		}
	}
	if err := (graph.DepthLimit{Limit: 1}).Validate(nil); err != nil {
		t.Errorf("Limit 1: %v", err)
	}
}

// The walk measures each fragment once: thirty fragments each spreading the
// next twice would take 2³⁰ visits otherwise. A fragment cycle, which
// validation refuses before the limit runs, does not hang it either.
func TestDepthLimitMeasuresEachFragmentOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range 30 {
		fmt.Fprintf(&b, "fragment F%d on T { a: f { ...F%d } b: f { ...F%d } }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F30 on T { leaf }\n")
	for _, tt := range []struct {
		query string
		depth int
	}{
		{b.String(), 31},
		{"{ ...A } fragment A on T { f { ...B } } fragment B on T { g { ...A } }", 2},
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
		if err != nil {
			t.Fatal(err)
		}
		opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		if err := (graph.DepthLimit{Limit: tt.depth}).MutateOperationContext(context.Background(), opCtx); err != nil {
			t.Errorf("limit %d: %v", tt.depth, err)
		}
		if err := (graph.DepthLimit{Limit: tt.depth - 1}).MutateOperationContext(context.Background(), opCtx); err == nil {
			t.Errorf("limit %d: not refused", tt.depth-1)
		}
	}
}
