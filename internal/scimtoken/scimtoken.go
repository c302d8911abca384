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
	create := c.SCIMToken.Create().
		SetOrganizationID(v.OrgID).
		SetName(name).
		SetTokenHash(token.Hash(plain)).
		SetCreatedAt(now).
		SetNillableExpiresAt(expiresAt)
	if v.Kind == viewer.User {
		create.SetCreatedByID(v.UserID)
	}
	t, err := create.Save(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: Issued, TargetType: "scim_token", TargetID: string(t.ID),
		Details: map[string]any{"name": name},
	}); err != nil {
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
	return audit.Record(ctx, c, audit.Event{Action: Revoked, TargetType: "scim_token", TargetID: string(id)})
}
