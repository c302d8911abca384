// Package apperr types the errors the domain reports, once, so that each
// edge maps them in one place: the HTTP status (Status, used by the one
// HTTP error writer, edge.WriteError), GraphQL extensions.code (the Kind
// string, graph's presenter) and the SCIM status (scim.Error). Driver and
// other unexpected errors are Internal: logged, never shown.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// Kind classifies an error for callers.
type Kind string

// Kinds, with their GraphQL extensions.code. The HTTP status of each is
// chosen in one place, Status.
const (
	Internal        Kind = "INTERNAL"        // 500
	Unauthenticated Kind = "UNAUTHENTICATED" // 401
	Forbidden       Kind = "FORBIDDEN"       // 403
	NotFound        Kind = "NOT_FOUND"       // 404
	Invalid         Kind = "BAD_USER_INPUT"  // 400
	Conflict        Kind = "CONFLICT"        // 409
	MFARequired     Kind = "MFA_REQUIRED"    // 403
	// MFAStepUpRequired: a sensitive change needs a second-factor
	// verification within the last few minutes (authz.StepUpWindow).
	MFAStepUpRequired      Kind = "MFA_STEP_UP_REQUIRED"     // 403
	PasswordChangeRequired Kind = "PASSWORD_CHANGE_REQUIRED" // 403
	// Unavailable: the database could not answer in time or at all
	// (unavailable.Is); the caller may retry shortly. Not a server fault.
	Unavailable Kind = "UNAVAILABLE" // 503
	// TooManyRequests: the caller is throttled; Error.RetryAfter says
	// for how long.
	TooManyRequests Kind = "TOO_MANY_REQUESTS" // 429
	// UnsupportedMediaType: the request body is not of the one type the
	// endpoint accepts (application/json).
	UnsupportedMediaType Kind = "UNSUPPORTED_MEDIA_TYPE" // 415
	// TooLarge: the request body is larger than the endpoint accepts.
	TooLarge Kind = "REQUEST_TOO_LARGE" // 413
	// Gone: the target existed and can no longer be used (an expired,
	// revoked or already used invitation link).
	Gone Kind = "GONE" // 410
)

// Kinds lists every kind, so that each edge's mapping can be tested over
// all of them (a test holds it to the constants above).
func Kinds() []Kind {
	return []Kind{Internal, Unauthenticated, Forbidden, NotFound, Invalid,
		Conflict, MFARequired, MFAStepUpRequired, PasswordChangeRequired, Unavailable,
		TooManyRequests, UnsupportedMediaType, TooLarge, Gone}
}

// Status is the HTTP status of kind, the one place kinds become HTTP
// statuses. An unknown kind is 500.
func Status(kind Kind) int {
	s, _ := status(kind)
	return s
}

// status is Status, and whether kind is known.
func status(kind Kind) (int, bool) {
	switch kind {
	case Internal:
		return http.StatusInternalServerError, true
	case Unauthenticated:
		return http.StatusUnauthorized, true
	case Forbidden, MFARequired, MFAStepUpRequired, PasswordChangeRequired:
		return http.StatusForbidden, true
	case NotFound:
		return http.StatusNotFound, true
	case Invalid:
		return http.StatusBadRequest, true
	case Conflict:
		return http.StatusConflict, true
	case Unavailable:
		return http.StatusServiceUnavailable, true
	case TooManyRequests:
		return http.StatusTooManyRequests, true
	case UnsupportedMediaType:
		return http.StatusUnsupportedMediaType, true
	case TooLarge:
		return http.StatusRequestEntityTooLarge, true
	case Gone:
		return http.StatusGone, true
	}
	return http.StatusInternalServerError, false
}

// DefaultCode is the wire code of an error of kind that names none: the
// kind in lower case ("internal", "unauthenticated", "forbidden",
// "not_found", "bad_user_input", "conflict", "mfa_required", "mfa_step_up_required",
// "password_change_required", "unavailable", "too_many_requests",
// "unsupported_media_type", "request_too_large", "gone").
func DefaultCode(kind Kind) string { return strings.ToLower(string(kind)) }

// Error is a domain error with a kind, a stable wire code, a message safe
// to show, and for invalid input the offending field.
type Error struct {
	Kind Kind
	// Code is the stable wire code (lower snake case, such as
	// "invalid_credentials") that HTTP clients branch on and may localize;
	// "" means DefaultCode(Kind). WireCode is the resolved one.
	Code    string
	Message string // fit to show the user; never holds a secret
	Field   string
	// Policy is the password-policy code (password.Code…) of a refused
	// password.
	Policy string
	// RetryAfter, when set, is how long the client should wait before
	// trying again (Retry-After, extensions.retryAfter).
	RetryAfter time.Duration
	Err        error // cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// WireCode is e's code, or its kind's default code.
func (e *Error) WireCode() string {
	if e.Code != "" {
		return e.Code
	}
	return DefaultCode(e.Kind)
}

// Is reports whether target is an *Error of the same kind and wire code,
// whatever the message: errors.Is(err, login.ErrInvalidCredentials) holds
// for every invalid_credentials refusal.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.WireCode() == e.WireCode()
}

// New returns an error of kind with a message safe to show.
func New(kind Kind, format string, a ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, a...)}
}

// InvalidField returns an invalid-input error about one field.
func InvalidField(field, format string, a ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, a...)}
}

// KindOf classifies err. ent's not-found and privacy denials are mapped so
// that a row the viewer may not see is indistinguishable from one that does
// not exist.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Kind
	case unavailable.Is(err):
		return Unavailable
	case ent.IsNotFound(err):
		return NotFound
	case errors.Is(err, privacy.Deny):
		return Forbidden
	case ent.IsConstraintError(err):
		return Conflict
	case ent.IsValidationError(err):
		return Invalid
	}
	return Internal
}

// CodeOf is the wire code of err: an *Error's own (WireCode), or the
// default code of KindOf(err); "" for nil.
func CodeOf(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.WireCode()
	}
	return DefaultCode(KindOf(err))
}

// RetryAfterOf is how long the caller should wait before trying again:
// an *Error's RetryAfter, else unavailable.RetryAfter for an Unavailable
// error, else 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	if KindOf(err) == Unavailable {
		return unavailable.RetryAfter
	}
	return 0
}

// Message returns what may be shown to the caller for err.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch KindOf(err) {
	case NotFound:
		return "not found"
	case Forbidden:
		return "forbidden"
	case Conflict:
		return "conflicts with existing data"
	case Unavailable:
		return "the service is busy; try again shortly"
	case Invalid:
		var ve *ent.ValidationError
		if errors.As(err, &ve) {
			return fmt.Sprintf("invalid value for %s", ve.Name)
		}
		return "invalid input"
	}
	return "internal error"
}
