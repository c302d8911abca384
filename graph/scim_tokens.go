package graph

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimtoken"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	scimtokens "github.com/clinicgate/clinicgate/internal/scimtoken"
)

func createScimToken(ctx context.Context, c *ent.Client, in CreateScimTokenInput) (*CreateScimTokenPayload, error) {
	plain, t, err := scimtokens.Issue(ctx, c, in.Name, in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &CreateScimTokenPayload{Token: plain, ScimToken: t}, nil
}

func rotateScimToken(ctx context.Context, c *ent.Client, in RotateScimTokenInput) (*RotateScimTokenPayload, error) {
	plain, t, err := scimtokens.Rotate(ctx, c, in.ID, in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &RotateScimTokenPayload{Token: plain, ScimToken: t, RevokedID: in.ID}, nil
}

func revokeScimToken(ctx context.Context, c *ent.Client, id pulid.ID) (*RevokeScimTokenPayload, error) {
	if err := scimtokens.Revoke(ctx, c, id); err != nil {
		return nil, err
	}
	t, err := c.SCIMToken.Query().Where(scimtoken.ID(id)).Only(ctx)
	if err != nil {
		return nil, err
	}
	return &RevokeScimTokenPayload{ScimToken: t}, nil
}

// scimTokenCreator is the user who created t, as the viewer may read them;
// nil for the server or a user out of sight.
func scimTokenCreator(ctx context.Context, c *ent.Client, t *ent.SCIMToken) (*ent.User, error) {
	if t.CreatedByID == nil {
		return nil, nil
	}
	u, err := c.User.Query().Where(user.ID(*t.CreatedByID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// scimTokenActive tells whether the token is accepted now.
func scimTokenActive(ctx context.Context, t *ent.SCIMToken) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || authz.Now(ctx).Before(*t.ExpiresAt))
}
