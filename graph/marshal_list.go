package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalListInOrder marshals a list of objects element by element on the
// calling goroutine. The generator (graph/gqlgen) puts it where gqlgen
// would call graphql.MarshalSliceConcurrently, with the same parameters
// and the same result: each element in a field context of its own index, a
// panic in one element recovered into an error and a null for that element
// (unless the panic handler is omitted). workerLimit bounds goroutines
// that are not started here.
func marshalListInOrder(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	_ = workerLimit
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		ret[i] = marshalRecovered(childCtx, i, marshalElement)
	}
	return ret
}

// marshalRecovered is one element of marshalListInOrder with gqlgen's
// panic handling: the panic becomes an error of the element's path.
func marshalRecovered(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}
