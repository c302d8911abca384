package session

import "errors"

// Reasons Authenticate refuses a token. Test with errors.Is. The
// middleware treats them all alike (the caller is anonymous); they are
// distinct so that callers and logs can tell why.
var (
	// ErrNoSession: the token is malformed or names no session.
	ErrNoSession = errors.New("session: no such session")
	// ErrExpired: the session passed its absolute lifetime.
	ErrExpired = errors.New("session: expired")
	// ErrIdle: the session was unused for longer than its idle timeout
	// (automatic log-off); Authenticate revokes it with reason "idle".
	ErrIdle = errors.New("session: idle timeout")
	// ErrRevoked: the session was revoked (sign-out, password change,
	// an administrator, an earlier idle timeout).
	ErrRevoked = errors.New("session: revoked")
	// ErrUserInactive: the session's user is no longer ACTIVE (suspended,
	// deprovisioned, deleted).
	ErrUserInactive = errors.New("session: user is not active")
)

// refused reports whether err is one of the errors above, as opposed to a
// failure of the store.
func refused(err error) bool {
	return errors.Is(err, ErrNoSession) || errors.Is(err, ErrExpired) ||
		errors.Is(err, ErrIdle) || errors.Is(err, ErrRevoked) ||
		errors.Is(err, ErrUserInactive)
}
