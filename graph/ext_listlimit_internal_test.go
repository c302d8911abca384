package graph

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Every list edge of the schema, found from the schema itself so that a new
// one is covered without anyone listing it: its cost multiplies its items
// by its bound, and a result longer than the bound is refused.
func TestEveryListEdgeIsCostedAndBounded(t *testing.T) {
	es := newPagedComplexity(NewSchema(nil))
	schema := es.Schema()
	limits := ListLimits{bounds: es.lists}
	ctx := context.Background()
	const child = 7
	edges := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			elem := f.Type.Elem
			if elem == nil {
				continue
			}
			kind := schema.Types[elem.Name()].Kind
			composite := kind == ast.Object || kind == ast.Interface || kind == ast.Union
			page := strings.HasSuffix(name, "Connection") && f.Name == "edges"
			bound, listed := es.lists[fieldKey{name, f.Name}]
			cost, costed := es.Complexity(ctx, name, f.Name, child, nil)
			switch {
			case page || !composite:
				// A connection's page is costed by the connection; a list of
				// scalars is a column.
				if listed || costed {
					t.Errorf("%s.%s is costed as a list edge", name, f.Name)
				}
				continue
			case !listed || bound < 1:
				t.Errorf("%s.%s: a list edge without a bound", name, f.Name)
				continue
			case !costed || cost != 1+bound*child:
				t.Errorf("%s.%s costs %d for %d items, want 1 + %d×%d", name, f.Name, cost, child, bound, child)
			}
			edges++
			fc := &graphql.FieldContext{Object: name, Field: graphql.CollectedField{Field: &ast.Field{Name: f.Name, Definition: f}}}
			fctx := graphql.WithFieldContext(ctx, fc)
			items := func(n int) graphql.Resolver {
				return func(context.Context) (any, error) {
					return reflect.MakeSlice(reflect.TypeFor[[]*struct{}](), n, n).Interface(), nil
				}
			}
			if _, err := limits.InterceptField(fctx, items(bound)); err != nil {
				t.Errorf("%s.%s refuses %d items, its bound: %v", name, f.Name, bound, err)
			}
			var gqlErr *gqlerror.Error
			if _, err := limits.InterceptField(fctx, items(bound+1)); !errors.As(err, &gqlErr) || gqlErr.Extensions["code"] != ListLimitExceeded {
				t.Errorf("%s.%s: %d items: %v, want %s", name, f.Name, bound+1, err, ListLimitExceeded)
			}
		}
	}
	// The schema has list edges today (Role.users, User.roles, …): a sweep
	// that found none would prove nothing.
	if edges < 10 {
		t.Fatalf("only %d list edges found", edges)
	}
	// Bounds declared for fields that are not list edges are stale.
	for name, def := range schema.Types {
		for _, f := range def.Fields {
			if _, declared := declaredListBound(fieldKey{name, f.Name}); declared {
				if _, ok := es.lists[fieldKey{name, f.Name}]; !ok {
					t.Errorf("%s.%s has a declared bound but is no list edge", name, f.Name)
				}
			}
		}
	}
}
