package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// guard runs before every root field: no viewer, no data. Introspection
// (switchable off in the handler) is the only thing answered anonymously.
func guard(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc != nil && strings.HasPrefix(fc.Field.Name, "__") {
		return next(ctx)
	}
	v := viewer.FromContext(ctx)
	var err *apperr.Error
	switch {
	case v == nil || v.Kind != viewer.User:
		err = apperr.New(apperr.Unauthenticated, "sign in first")
	case v.State == viewer.StatePasswordChangeRequired:
		err = apperr.New(apperr.PasswordChangeRequired, "change your temporary password first (POST /auth/password/change)")
	case v.State == viewer.StateMFARequired:
		if answersMFAPending(fc) {
			return next(ctx)
		}
		err = apperr.New(apperr.MFARequired, "complete multi-factor authentication first")
	case !v.Active():
		err = apperr.New(apperr.Unauthenticated, "sign in first")
	}
	if err != nil {
		graphql.AddError(ctx, err)
		return graphql.Null
	}
	return next(ctx)
}

// answersMFAPending: the root field is marked @mfaPending in the schema
// (the viewer's MFA state, enrolment and verification), so an MFA-pending
// session may use it.
func answersMFAPending(fc *graphql.RootFieldContext) bool {
	return fc != nil && fc.Field.Definition != nil && fc.Field.Definition.Directives.ForName("mfaPending") != nil
}
