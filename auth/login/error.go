package login

import (
	"fmt"

	"github.com/clinicgate/clinicgate/auth/password"
	"time"

	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// Codes name why a request was refused. They are stable: clients branch on
// them and may localize their own messages. The HTTP status of each is
// chosen in one place, statusOf in handler.go.
const (
	CodeInvalidRequest           = "invalid_request"            // 400
	CodeWeakPassword             = "weak_password"              // 400
	CodePasswordReused           = "password_reused"            // 400
	CodeInvalidCredentials       = "invalid_credentials"        // 401
	CodeTemporaryPasswordExpired = "temporary_password_expired" // 401
	CodeUnauthenticated          = "unauthenticated"            // 401
	CodeAccountDisabled          = "account_disabled"           // 403
	CodeSSORequired              = "sso_required"               // 403
	CodeForbiddenOrigin          = "forbidden_origin"           // 403
	CodeUnsupportedMediaType     = "unsupported_media_type"     // 415
	CodeTooManyAttempts          = "too_many_attempts"          // 429
	CodeInternal                 = "internal"                   // 500
	CodeUnavailable              = "unavailable"                // 503
)

// Error is a refusal the client may be told about. Two Errors match under
// errors.Is when their codes are equal, so callers can test against the
// Err… values below whatever the message.
type Error struct {
	Code    string
	Message string // English, fit to show the user; never holds a secret
	// Policy is the password-policy code (password.Code…) of a
	// weak_password refusal.
	Policy string
	// RetryAfter, when set, is how long the client should wait before
	// trying again (Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("login: %s: %s", e.Code, e.Message) }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The refusals of the login flows. Wrong organization, unknown email and
// wrong password all give ErrInvalidCredentials, with one message, so that
// a response never tells which accounts exist.
var (
	ErrInvalidRequest = &Error{Code: CodeInvalidRequest,
		Message: "The request is malformed."}
	ErrPasswordReused = &Error{Code: CodePasswordReused,
		Message: "The new password must differ from the current one."}
	ErrInvalidCredentials = &Error{Code: CodeInvalidCredentials,
		Message: "The organization, email or password is incorrect."}
	ErrTemporaryPasswordExpired = &Error{Code: CodeTemporaryPasswordExpired,
		Message: "This temporary password has expired. Ask your administrator for a new one."}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated,
		Message: "Sign in first."}
	ErrAccountDisabled = &Error{Code: CodeAccountDisabled,
		Message: "This account is disabled. Contact your organization's administrator."}
	ErrSSORequired = &Error{Code: CodeSSORequired,
		Message: "This account must sign in with single sign-on."}
	ErrForbiddenOrigin = &Error{Code: CodeForbiddenOrigin,
		Message: "Requests from this origin are not accepted."}
	ErrUnsupportedMediaType = &Error{Code: CodeUnsupportedMediaType,
		Message: "Content-Type must be application/json."}
	ErrTooManyAttempts = &Error{Code: CodeTooManyAttempts,
		Message: "Too many failed attempts. Try again later."}
	ErrUnavailable = &Error{Code: CodeUnavailable,
		Message: "The service is busy. Try again shortly.", RetryAfter: unavailable.RetryAfter}
	// ErrWeakPassword matches every weak_password refusal; the ones
	// returned carry the policy's own code and reason (see weakPassword).
	ErrWeakPassword = &Error{Code: CodeWeakPassword,
		Message: "The new password does not meet the password policy."}
)

func invalidRequest(msg string) *Error {
	return &Error{Code: CodeInvalidRequest, Message: msg}
}

// weakPassword is the weak_password refusal for a policy violation, with
// the policy's own code and reason.
func weakPassword(pe *password.PolicyError) error {
	return &Error{Code: CodeWeakPassword, Message: pe.Reason, Policy: pe.Code}
}

func tooManyAttempts(retry time.Duration) *Error {
	e := *ErrTooManyAttempts
	e.RetryAfter = retry
	return &e
}
