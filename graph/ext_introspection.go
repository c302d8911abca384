package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// IntrospectionDisabled is the extensions.code of an operation refused for
// asking for __schema or __type while introspection is off.
const IntrospectionDisabled = "INTROSPECTION_DISABLED"

// NoIntrospection refuses, before anything runs, queries that select
// __schema or __type; it is what the handler installs when introspection
// is off, in place of gqlgen's extension.Introspection. Without it gqlgen
// would still run the rest of the query and fail those fields with a plain
// error, which the error presenter can only treat as internal.
// __typename is not introspection of the schema and stays allowed.
type NoIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = NoIntrospection{}

func (NoIntrospection) ExtensionName() string { return "NoIntrospection" }

func (NoIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (NoIntrospection) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation.Operation != ast.Query {
		return nil // only Query has __schema and __type
	}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		if f.Name == "__schema" || f.Name == "__type" {
			err := gqlerror.ErrorPosf(f.Position, "introspection is turned off on this server")
			err.Extensions = map[string]any{"code": IntrospectionDisabled}
			return err
		}
	}
	return nil
}
