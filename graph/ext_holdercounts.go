package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/internal/team"
)

// HolderCounts is the gqlgen extension that gives each operation one load
// of the roles' holder counts (team.WithHolderCounts): Role.holderCount on
// a page of roles is then one query pair, not one count per role.
type HolderCounts struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = HolderCounts{}

// ExtensionName implements graphql.HandlerExtension.
func (HolderCounts) ExtensionName() string { return "HolderCounts" }

// Validate implements graphql.HandlerExtension.
func (HolderCounts) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (HolderCounts) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(team.WithHolderCounts(ctx))
}
