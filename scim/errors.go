package scim

import (
	"context"
	"log/slog"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// Error maps err to the SCIM error schema, in one place for every handler.
// Unexpected errors are logged and answered as a bare 500: driver messages
// never reach the identity provider.
func Error(ctx context.Context, err error) scimerrors.ScimError {
	msg := apperr.Message(err)
	switch apperr.KindOf(err) {
	case apperr.NotFound:
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: msg}
	case apperr.Conflict:
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: msg}
	case apperr.Invalid:
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: msg}
	case apperr.Unauthenticated:
		return scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: msg}
	case apperr.Forbidden, apperr.MFARequired, apperr.PasswordChangeRequired:
		// The token's owner may not do this (yet): a refusal, not a fault.
		return scimerrors.ScimError{Status: http.StatusForbidden, Detail: msg}
	case apperr.Unavailable:
		logging.FromContext(ctx).Warn("scim: database unavailable", slog.String("error", err.Error()))
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: msg}
	}
	logging.FromContext(ctx).Error("scim: internal error", slog.String("error", err.Error()))
	return scimerrors.ScimErrorInternal
}

// writeError answers a request outside the SCIM library (the token check)
// in the SCIM error schema.
func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	body, _ := e.MarshalJSON()
	w.Header().Set("Content-Type", "application/scim+json")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
