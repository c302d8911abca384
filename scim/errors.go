package scim

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// Error is the one SCIM mapper: it maps err to the SCIM error schema, in
// one place for every handler. The status is apperr.Status of its kind (as
// on every other HTTP edge), with scimType uniqueness for a Conflict and
// invalidValue for invalid input. Unexpected errors are logged and answered
// as a bare 500: driver messages never reach the identity provider.
func Error(ctx context.Context, err error) scimerrors.ScimError {
	kind := apperr.KindOf(err)
	switch kind {
	case apperr.Internal, "":
		if err == nil {
			err = errors.New("scim: Error(nil)")
		}
		logging.FromContext(ctx).Error("scim: internal error", slog.String("error", err.Error()))
		return scimerrors.ScimErrorInternal
	case apperr.Unavailable:
		logging.FromContext(ctx).Warn("scim: database unavailable", slog.String("error", err.Error()))
	}
	out := scimerrors.ScimError{Status: apperr.Status(kind), Detail: apperr.Message(err)}
	if kind == apperr.Unavailable {
		noteUnavailable(ctx, out)
	}
	switch kind {
	case apperr.Conflict:
		out.ScimType = scimerrors.ScimTypeUniqueness
	case apperr.Invalid:
		out.ScimType = scimerrors.ScimTypeInvalidValue
	}
	return out
}

// writeError answers a request outside the SCIM library (the token check)
// in the SCIM error schema.
func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	body, _ := e.MarshalJSON()
	w.Header().Set("Content-Type", "application/scim+json")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	retryAfter(w, e)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
