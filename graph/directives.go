package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// directives binds the schema's directives to internal/authz and the read
// audit.
func directives(c *ent.Client) DirectiveRoot {
	return DirectiveRoot{
		Access: func(ctx context.Context, obj any, next graphql.Resolver, rule FieldRule) (any, error) {
			ok, err := authz.FieldAllowed(ctx, c, authz.FieldRule(rule), obj)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, apperr.New(apperr.Forbidden, "you may not read this field")
			}
			return next(ctx)
		},
		ScopedRelations: scopeRelations,
		Audit: func(ctx context.Context, obj any, next graphql.Resolver, record AuditedRecord) (any, error) {
			res, err := next(ctx)
			if err == nil {
				audit.NoteRead(ctx, string(record), obj)
			}
			return res, err
		},
	}
}
