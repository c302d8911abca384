package graph

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
)

func privilegeCatalogue() []*PrivilegeInfo {
	cat := authz.Catalogue()
	out := make([]*PrivilegeInfo, len(cat))
	for i, p := range cat {
		out[i] = &PrivilegeInfo{Key: string(p.Key), Name: p.Name, Description: p.Description, Group: p.Group, OwnerOnly: p.OwnerOnly}
	}
	return out
}

// explain maps an authz explanation to GraphQL, loading the roles, units and
// granting users it names as the viewer.
func (r *queryResolver) explain(ctx context.Context, e *authz.Explanation, err error) (*AccessExplanation, error) {
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	out := &AccessExplanation{User: e.User, Allowed: e.Allowed, Notes: e.Notes, Paths: []*AccessPath{}}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for _, p := range e.Paths {
		ap := &AccessPath{Kind: AccessPathKind(p.Kind), GrantedAt: p.GrantedAt, ExpiresAt: p.ExpiresAt, Roles: []*ent.Role{}}
		if p.Privilege != "" {
			s := string(p.Privilege)
			ap.Privilege = &s
		}
		if p.Reason != "" {
			ap.Reason = &p.Reason
		}
		if len(p.RoleIDs) > 0 {
			if ap.Roles, err = r.client.Role.Query().Where(role.IDIn(p.RoleIDs...)).All(ctx); err != nil {
				return nil, err
			}
		}
		if p.BusinessUnitID != "" {
			if ap.BusinessUnit, err = r.client.BusinessUnit.Query().Where(businessunit.ID(p.BusinessUnitID)).Only(ctx); err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
		}
		if p.GrantedByID != "" {
			if ap.GrantedBy, err = r.client.User.Query().Where(user.ID(p.GrantedByID)).Only(ctx); err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
		}
		if pa := p.Portal; pa != nil {
			ap.PortalPermissions = &PortalPermissions{Documents: pa.Documents, SessionsHomework: pa.SessionsHomework,
				Billing: pa.Billing, Surveys: pa.Surveys, AlertRecipient: pa.AlertRecipient}
		}
		out.Paths = append(out.Paths, ap)
	}
	return out, nil
}
