// Package login is signing in and what goes with it. Each flow is a file:
//
//   - signin.go: signing in, whatever proves who the caller is. A
//     strategy (the strategy interface) proves an identity; the flow then
//     applies the account's gates (status, required sign-in method) and
//     starts a session in the state authz decides (viewer.State: active,
//     password_change_required or mfa_required).
//   - signin_password.go: the password strategy, with its throttle
//     (ratelimit.go). TOTP, passkeys and OIDC come as further strategies.
//   - password_change.go: changing the password (which a temporary
//     password forces).
//   - logout.go: signing out; session_read.go: reading the current session.
//   - failure.go: recording refusals; work.go: password hashing within its
//     bound, and transactions.
//
// handler.go speaks HTTP, error.go names the refusals; state_login.mermaid
// draws the sign-in branches.
//
// Every outcome that changes state is one transaction with its audit event:
// a successful sign-in (user, credential, session, auth.sign_in), a failed
// one (attempt counter, auth.sign_in_failed), a password change (credential,
// every session revoked, a fresh session, auth.password_changed), a sign-out
// (session revoked, auth.sign_out). No transaction is held open while a
// password is being hashed.
//
// Attempts are throttled before the database is asked anything
// (ratelimit.go), alike for accounts that exist and accounts that do not;
// past the throttle, every attempt that names no usable password costs a
// hash verification, so unknown, wrong and throttled answer alike in status,
// body and time. No attempt ever locks an account.
//
// Plain passwords and tokens are never logged, audited nor put in errors.
package login
