package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// resolvePlainField resolves a field that reads a struct field of its
// object and marshals it as a scalar or enum that cannot fail (no
// directive, no argument; the generator, graph/gqlgen, puts it only
// where gqlgen would call graphql.ResolveField for such a field, with the
// same parameters). gqlgen's ResolveField builds a field context, a
// context, a resolver closure and a pass through every field interceptor
// for each of them, and a page of 50 clients has some 150 (id, status,
// cursor): none of it can change what a struct field read and marshalled
// writes. The handler's one field interceptor (fieldChecks) acts on list
// fields and on fields with after/before arguments only, so skipping it
// here changes nothing (TestFieldChecksLeavePlainFieldsAlone); a new
// interceptor that must see every field has to be added to the
// generator's conditions.
//
// Anything unusual — a directive in the query, an argument, a resolver
// that errs or returns another type — goes to gqlgen's ResolveField.
func resolvePlainField[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) graphql.Marshaler {
	if middlewareChain == nil && len(field.Arguments) == 0 && len(field.Directives) == 0 {
		if v, err := fieldResolver(ctx); err == nil {
			if res, ok := v.(T); ok {
				return marshal(ctx, field.Selections, res)
			}
		}
	}
	return graphql.ResolveField(ctx, oc, field, initializeFieldContext, fieldResolver, middlewareChain, marshal, recoverFromPanic, nonNull)
}
