package graph

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// listCtx is a context as gqlgen gives a list field: an operation (for
// errors) and the list's own field context.
func listCtx() context.Context {
	quiet := func(_ context.Context, r any) error { return fmt.Errorf("panic: %v", r) }
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, quiet)
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{}})
}

func render(t *testing.T, a graphql.Array) string {
	t.Helper()
	var b bytes.Buffer
	a.MarshalGQL(&b)
	return b.String()
}

func TestListsAreMarshalledInOrderWithEachElementAtItsIndex(t *testing.T) {
	got := marshalListInOrder(listCtx(), 5, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		if fc.Index == nil || *fc.Index != i {
			t.Errorf("element %d marshalled in the field context of index %v", i, fc.Index)
		}
		return graphql.MarshalString(strconv.Itoa(i))
	})
	if s := render(t, got); s != `["0","1","2","3","4"]` {
		t.Fatalf("list marshalled as %s", s)
	}
}

func TestAPanickingElementIsNullWithAnErrorAndTheOthersStay(t *testing.T) {
	ctx := listCtx()
	got := marshalListInOrder(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("element one is broken")
		}
		return graphql.MarshalInt(i)
	})
	if s := render(t, got); s != `[0,null,2]` {
		t.Fatalf("list marshalled as %s", s)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 {
		t.Fatalf("%d errors for one panicking element: %v", len(errs), errs)
	}
	if p := errs[0].Path; len(p) == 0 || p[len(p)-1] != ast.PathIndex(1) {
		t.Fatalf("the error's path %v does not end at the element's index 1", p)
	}
}

func TestAnEmptyListIsAnEmptyArray(t *testing.T) {
	got := marshalListInOrder(listCtx(), 0, 0, false, func(context.Context, int) graphql.Marshaler {
		t.Fatal("an element of an empty list was marshalled")
		return nil
	})
	if s := render(t, got); s != `[]` {
		t.Fatalf("empty list marshalled as %s", s)
	}
}
