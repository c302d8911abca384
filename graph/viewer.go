package graph

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func loadViewer(ctx context.Context, c *ent.Client) (*Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	// The viewer's own roles and units, read as the server: a portal user
	// may not list the organization's roles or units, but is shown their
	// own (none).
	u, err := c.User.Query().
		Where(user.ID(v.UserID)).
		WithOrganization().
		WithRoles().
		WithBusinessUnits().
		WithPrimaryBusinessUnit().
		Only(viewer.ForSystem(ctx, v.OrgID))
	if err != nil {
		return nil, fmt.Errorf("viewer: load user: %w", err)
	}
	s, err := c.Session.Query().Where(session.ID(v.SessionID)).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("viewer: load session: %w", err)
	}
	enrolled, err := authz.MFAEnrolled(ctx, c, v.UserID)
	if err != nil {
		return nil, err
	}
	if v.State != viewer.StateActive {
		// A pending session learns its MFA state, not what it may reach.
		u.Edges.Roles, u.Edges.BusinessUnits, u.Edges.PrimaryBusinessUnit = []*ent.Role{}, []*ent.BusinessUnit{}, nil
		v = &viewer.Viewer{MFARequired: v.MFARequired}
	}
	privileges := make([]string, 0, len(v.Privileges))
	for p, ok := range v.Privileges {
		if ok {
			privileges = append(privileges, p)
		}
	}
	slices.Sort(privileges)
	return &Viewer{
		User:                u,
		Organization:        u.Edges.Organization,
		Roles:               u.Edges.Roles,
		Privileges:          privileges,
		BusinessUnits:       u.Edges.BusinessUnits,
		PrimaryBusinessUnit: u.Edges.PrimaryBusinessUnit,
		Mfa: &ViewerMfa{
			Required:    v.MFARequired,
			Enrolled:    enrolled,
			SatisfiedAt: s.MfaSatisfiedAt,
		},
		Session: &ViewerSession{
			ID:                     s.ID,
			AuthMethod:             string(s.Method),
			CreatedAt:              s.CreatedAt,
			ExpiresAt:              s.ExpiresAt,
			MfaSatisfiedAt:         s.MfaSatisfiedAt,
			PasswordChangeRequired: s.PasswordChangeRequired,
		},
	}, nil
}
