// Package apperr types the errors the domain reports, once, so that each
// edge (GraphQL extensions.code, SCIM status, HTTP status) maps them in one
// place. Driver and other unexpected errors are Internal: logged, never
// shown.
package apperr

import (
	"errors"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// Kind classifies an error for callers.
type Kind string

// Kinds, with their GraphQL extensions.code.
const (
	Internal               Kind = "INTERNAL"
	Unauthenticated        Kind = "UNAUTHENTICATED"
	Forbidden              Kind = "FORBIDDEN"
	NotFound               Kind = "NOT_FOUND"
	Invalid                Kind = "BAD_USER_INPUT"
	Conflict               Kind = "CONFLICT"
	MFARequired            Kind = "MFA_REQUIRED"
	PasswordChangeRequired Kind = "PASSWORD_CHANGE_REQUIRED"
	// Unavailable: the database could not answer in time or at all
	// (unavailable.Is); the caller may retry shortly. Not a server fault.
	Unavailable Kind = "UNAVAILABLE"
)

// Kinds lists every kind, so that each edge's mapping can be tested over
// all of them.
func Kinds() []Kind {
	return []Kind{Internal, Unauthenticated, Forbidden, NotFound, Invalid,
		Conflict, MFARequired, PasswordChangeRequired, Unavailable}
}

// Error is a domain error with a kind, a message safe to show, and for
// invalid input the offending field.
type Error struct {
	Kind    Kind
	Message string
	Field   string
	Err     error // cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

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
