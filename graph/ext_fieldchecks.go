package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// fieldChecks is the handler's one field interceptor. gqlgen runs every
// field through each registered interceptor, a closure and a context per
// field for each, and a page of 50 clients resolves some 300 fields: the
// per-field checks share one pass. Cursors are checked before the resolver
// (CursorCheck), list bounds after it (ListLimits).
type fieldChecks struct {
	lists   ListLimits
	cursors CursorCheck
}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = fieldChecks{}

func (fieldChecks) ExtensionName() string { return "FieldChecks" }

func (fieldChecks) Validate(graphql.ExecutableSchema) error { return nil }

func (f fieldChecks) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if err := f.cursors.checkField(ctx); err != nil {
		return nil, err
	}
	return f.lists.InterceptField(ctx, next)
}
