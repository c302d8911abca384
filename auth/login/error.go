package login

import (
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// The refusals of the login flows, as apperr values: the Code is the
// stable wire code clients branch on (and may localize their own messages
// for), the Kind chooses the HTTP status (apperr.Status). errors.Is matches
// on kind and code, whatever the message. Wrong organization, unknown email
// and wrong password all give ErrInvalidCredentials, with one message, so
// that a response never tells which accounts exist.
//
//	invalid_request, weak_password, password_reused             400
//	invalid_credentials, temporary_password_expired,
//	unauthenticated                                             401
//	account_disabled, sso_required, forbidden_origin            403
//	unsupported_media_type                                      415
//	too_many_attempts                                           429
//	internal                                                    500
//	unavailable                                                 503
var (
	ErrInvalidRequest = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_request",
		Message: "The request is malformed."}
	ErrPasswordReused = &apperr.Error{Kind: apperr.Invalid, Code: "password_reused",
		Message: "The new password must differ from the current one."}
	ErrInvalidCredentials = &apperr.Error{Kind: apperr.Unauthenticated, Code: "invalid_credentials",
		Message: "The organization, email or password is incorrect."}
	ErrTemporaryPasswordExpired = &apperr.Error{Kind: apperr.Unauthenticated, Code: "temporary_password_expired",
		Message: "This temporary password has expired. Ask your administrator for a new one."}
	ErrUnauthenticated = &apperr.Error{Kind: apperr.Unauthenticated, Code: "unauthenticated",
		Message: "Sign in first."}
	ErrAccountDisabled = &apperr.Error{Kind: apperr.Forbidden, Code: "account_disabled",
		Message: "This account is disabled. Contact your organization's administrator."}
	ErrSSORequired = &apperr.Error{Kind: apperr.Forbidden, Code: "sso_required",
		Message: "This account must sign in with single sign-on."}
	// ErrMethodNotAllowed refuses a sign-in method the organization, the
	// user or one of their roles does not allow (other than a password
	// where single sign-on is required, which is ErrSSORequired).
	ErrMethodNotAllowed = &apperr.Error{Kind: apperr.Forbidden, Code: "method_not_allowed",
		Message: "This account may not sign in this way. Contact your organization's administrator."}
	// ErrForbiddenOrigin and ErrUnsupportedMediaType are the session
	// middleware's cross-site refusals.
	ErrForbiddenOrigin      = session.ErrForbiddenOrigin
	ErrUnsupportedMediaType = session.ErrUnsupportedMediaType
	ErrTooManyAttempts      = &apperr.Error{Kind: apperr.TooManyRequests, Code: "too_many_attempts",
		Message: "Too many failed attempts. Try again later."}
	ErrUnavailable = &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable",
		Message: "The service is busy. Try again shortly.", RetryAfter: unavailable.RetryAfter}
	// ErrWeakPassword matches every weak_password refusal; the ones
	// returned carry the policy's own code and reason (see weakPassword).
	ErrWeakPassword = &apperr.Error{Kind: apperr.Invalid, Code: "weak_password",
		Message: "The new password does not meet the password policy."}
)

func invalidRequest(msg string) *apperr.Error {
	e := *ErrInvalidRequest
	e.Message = msg
	return &e
}

// weakPassword is the weak_password refusal for a policy violation, with
// the policy's own code and reason.
func weakPassword(pe *password.PolicyError) error {
	e := *ErrWeakPassword
	e.Message, e.Policy, e.Err = pe.Reason, pe.Code, pe
	return &e
}

func tooManyAttempts(retry time.Duration) *apperr.Error {
	e := *ErrTooManyAttempts
	e.RetryAfter = retry
	return &e
}
