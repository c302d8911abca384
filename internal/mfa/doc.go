// Package mfa is the second factor: authenticator apps (TOTP), recovery
// codes, the session's verification and step-up, and an administrator's
// reset. Passkeys (WebAuthn) live in internal/passkey and mark the session
// through Satisfy, as every factor does. Every operation goes through the
// write seam (authz.Require with the mfa concern's actions) and writes its
// audit event in the transaction of its change.
package mfa
