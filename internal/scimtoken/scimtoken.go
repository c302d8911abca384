// Package scimtoken issues and revokes the bearer tokens identity providers
// provision an organization with over SCIM. Tokens exist in clear only in
// the answer to Issue; the database keeps their SHA-256. The SCIM transport
// (package scim) turns a presented token back into its organization.
package scimtoken

import (
	"context"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimtoken"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Prefix starts every SCIM bearer token ("scim_…").
const Prefix = "scim"

// Audit actions of this package.
const (
	Issued  = "scim.token_issued"
	Revoked = "scim.token_revoked"
	Rotated = "scim.token_rotated"
)

// Issue creates a SCIM token for the viewer's organization and returns it
// in clear — the only time it exists in clear; only its SHA-256 is stored.
// authz decides who may (org.settings.manage). c should be the request's
// transaction: the audit event is written with it.
func Issue(ctx context.Context, c *ent.Client, name string, expiresAt *time.Time) (string, *ent.SCIMToken, error) {
	ctx, err := authz.Require(ctx, c, authz.IssueSCIMToken, authz.Target{})
	if err != nil {
		return "", nil, err
	}
	plain, t, err := create(ctx, c, name, expiresAt)
	if err != nil {
		return "", nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: Issued, TargetType: "scim_token", TargetID: string(t.ID),
		Details: map[string]any{"name": t.Name},
	}); err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// create validates and stores a new token; the caller has decided and
// audits.
func create(ctx context.Context, c *ent.Client, name string, expiresAt *time.Time) (string, *ent.SCIMToken, error) {
	v := viewer.FromContext(ctx)
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, apperr.InvalidField("name", "give the token a name of 1 to 100 characters")
	}
	now := authz.Now(ctx)
	if expiresAt != nil && !expiresAt.After(now) {
		return "", nil, apperr.InvalidField("expiresAt", "the expiry must be in the future")
	}
	plain, err := token.New(Prefix)
	if err != nil {
		return "", nil, err
	}
	b := c.SCIMToken.Create().
		SetOrganizationID(v.OrgID).
		SetName(name).
		SetTokenHash(token.Hash(plain)).
		SetHint(plain[len(plain)-4:]).
		SetCreatedAt(now).
		SetNillableExpiresAt(expiresAt)
	if v.Kind == viewer.User {
		b.SetCreatedByID(v.UserID)
	}
	t, err := b.Save(ctx)
	if err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// Revoke ends a SCIM token of the viewer's organization at once.
func Revoke(ctx context.Context, c *ent.Client, id pulid.ID) error {
	ctx, err := authz.Require(ctx, c, authz.RevokeSCIMToken, authz.Target{Row: id})
	if err != nil {
		return err
	}
	if err := revoke(ctx, c, id); err != nil {
		return err
	}
	return audit.Record(ctx, c, audit.Event{Action: Revoked, TargetType: "scim_token", TargetID: string(id)})
}

// revoke ends the active token id of the viewer's organization (the row
// rule hides other organizations' tokens: NOT_FOUND).
func revoke(ctx context.Context, c *ent.Client, id pulid.ID) error {
	n, err := c.SCIMToken.Update().
		Where(scimtoken.ID(id), scimtoken.RevokedAtIsNil()).
		SetRevokedAt(authz.Now(ctx)).
		Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "no such active token")
	}
	return nil
}

// Rotate replaces the active token id with a new one of the same name and
// returns the new one in clear: the old one is revoked in the same
// transaction (c should be the request's), and one audit event names both.
// The new token expires at expiresAt when given, else it gets the old
// one's lifetime from now (no expiry if the old one had none).
func Rotate(ctx context.Context, c *ent.Client, id pulid.ID, expiresAt *time.Time) (string, *ent.SCIMToken, error) {
	ctx, err := authz.Require(ctx, c, authz.RevokeSCIMToken, authz.Target{Row: id})
	if err != nil {
		return "", nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.IssueSCIMToken, authz.Target{}); err != nil {
		return "", nil, err
	}
	old, err := c.SCIMToken.Query().Where(scimtoken.ID(id), scimtoken.RevokedAtIsNil()).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return "", nil, apperr.New(apperr.NotFound, "no such active token")
	case err != nil:
		return "", nil, err
	}
	if expiresAt == nil && old.ExpiresAt != nil {
		at := authz.Now(ctx).Add(old.ExpiresAt.Sub(old.CreatedAt))
		expiresAt = &at
	}
	// Validate before the first write: no half-applied rotation, even
	// outside a transaction.
	if expiresAt != nil && !expiresAt.After(authz.Now(ctx)) {
		return "", nil, apperr.InvalidField("expiresAt", "the expiry must be in the future")
	}
	if err := revoke(ctx, c, id); err != nil {
		return "", nil, err
	}
	plain, t, err := create(ctx, c, old.Name, expiresAt)
	if err != nil {
		return "", nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: Rotated, TargetType: "scim_token", TargetID: string(t.ID),
		Details: map[string]any{"name": t.Name, "replaced": string(id)},
	}); err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// List returns the SCIM tokens of the viewer's organization, newest first,
// revoked and expired ones included (they show when they ended). Only
// viewers who manage the organization's settings may list them (the read
// rule refuses others: FORBIDDEN).
func List(ctx context.Context, c *ent.Client) ([]*ent.SCIMToken, error) {
	return c.SCIMToken.Query().
		Order(ent.Desc(scimtoken.FieldCreatedAt), ent.Desc(scimtoken.FieldID)).
		All(ctx)
}
