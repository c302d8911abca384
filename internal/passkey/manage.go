package passkey

import (
	"context"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/mfa"
)

// List returns the viewer's passkeys, oldest first.
func List(ctx context.Context, c *ent.Client) ([]*ent.WebAuthnCredential, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return c.WebAuthnCredential.Query().
		Where(webauthncredential.UserID(v.UserID)).
		Order(ent.Asc(webauthncredential.FieldCreatedAt), ent.Asc(webauthncredential.FieldID)).
		All(ctx)
}

// errNoPasskey answers an id that is not one of the viewer's passkeys
// (another user's included: it is not revealed).
var errNoPasskey = apperr.New(apperr.NotFound, "no such passkey")

// Rename renames one of the viewer's passkeys (a sensitive change: step-up).
func Rename(ctx context.Context, c *ent.Client, id pulid.ID, name string) (*ent.WebAuthnCredential, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, apperr.InvalidField("name", "give the passkey a name of 1 to 100 characters")
	}
	if name, err = checkName(name); err != nil {
		return nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.ManageOwnFactors, authz.Target{User: v.UserID}); err != nil {
		return nil, err
	}
	n, err := c.WebAuthnCredential.Update().
		Where(webauthncredential.ID(id), webauthncredential.UserID(v.UserID)).
		SetName(name).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errNoPasskey
	}
	return c.WebAuthnCredential.Get(ctx, id)
}

// Remove deletes one of the viewer's passkeys (a sensitive change:
// step-up) and audits it.
func Remove(ctx context.Context, c *ent.Client, id pulid.ID) error {
	v, err := signedIn(ctx)
	if err != nil {
		return err
	}
	if ctx, err = authz.Require(ctx, c, authz.ManageOwnFactors, authz.Target{User: v.UserID}); err != nil {
		return err
	}
	row, err := c.WebAuthnCredential.Query().
		Where(webauthncredential.ID(id), webauthncredential.UserID(v.UserID)).
		Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return errNoPasskey
	case err != nil:
		return err
	}
	if err := c.WebAuthnCredential.DeleteOne(row).Exec(ctx); err != nil {
		return err
	}
	return audit.Record(ctx, c, audit.Event{
		Action: mfa.ActionRemoved, TargetType: "User", TargetID: string(v.UserID),
		Details: map[string]any{"method": mfa.MethodPasskey, "passkey": string(row.ID), "name": row.Name},
	})
}
