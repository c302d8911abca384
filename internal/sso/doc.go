// Package sso is single sign-on through an organization's OpenID
// providers: its connections (managed over the write seam), the providers'
// discovery documents and keys (cached, refreshed, bounded in time), the
// authorization code flow with PKCE, state and nonce, and what a verified
// ID token signs in: the user linked to (issuer, subject), or the invited
// or provisioned user with its verified email, or a user provisioned just
// in time. The session itself is started by auth/login's sign-in flow, so
// that every account gate and audit event is the password sign-in's.
package sso
