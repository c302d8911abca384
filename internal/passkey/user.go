package passkey

import (
	"context"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// user is the viewer as the WebAuthn library sees a user: the user handle
// is the user's ID (opaque to authenticators, unique on the server), and
// their registered credentials.
type user struct {
	u     *ent.User
	rows  []*ent.WebAuthnCredential
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte   { return []byte(u.u.ID) }
func (u *user) WebAuthnName() string { return u.u.Email }
func (u *user) WebAuthnDisplayName() string {
	if u.u.DisplayName != "" {
		return u.u.DisplayName
	}
	return u.u.Email
}
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// row returns the stored credential of id.
func (u *user) row(id []byte) *ent.WebAuthnCredential {
	for _, r := range u.rows {
		if string(r.CredentialID) == string(id) {
			return r
		}
	}
	return nil
}

func (u *user) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(u.creds))
	for i := range u.creds {
		out[i] = u.creds[i].Descriptor()
	}
	return out
}

// loadUser loads the viewer and their passkeys, with c (the request's
// transaction): the row rules confine both to the viewer.
func loadUser(ctx context.Context, c *ent.Client, v *viewer.Viewer) (*user, error) {
	u, err := c.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, fmt.Errorf("passkey: load user: %w", err)
	}
	rows, err := c.WebAuthnCredential.Query().
		Where(webauthncredential.UserID(v.UserID)).
		Order(ent.Asc(webauthncredential.FieldCreatedAt), ent.Asc(webauthncredential.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("passkey: load credentials: %w", err)
	}
	out := &user{u: u, rows: rows}
	for _, r := range rows {
		out.creds = append(out.creds, credential(r))
	}
	return out, nil
}

// credential is the library's view of a stored row.
func credential(r *ent.WebAuthnCredential) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(r.Transports))
	for i, t := range r.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:              r.CredentialID,
		PublicKey:       r.PublicKey,
		AttestationType: r.AttestationType,
		Transport:       transports,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			UserVerified:   r.UserVerified,
			BackupEligible: r.BackupEligible,
			BackupState:    r.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: r.Aaguid, SignCount: r.SignCount},
	}
}
