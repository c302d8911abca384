package authz

import (
	"context"
	"slices"
	"sort"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// AccessEntry is one user who reaches a client, and every path by which
// they do.
type AccessEntry struct {
	User  *ent.User
	Paths []Path
}

// ClientAccessList lists everyone who reaches clientID now, and why: the
// paths of ExplainClient, for every user at once, in a fixed number of
// queries whatever the number of users (the client, the roles holding a
// reaching privilege, the users holding those roles with their roles and
// units, the links, the open emergency windows, the portal links, and
// their users). Only active users reach anything, so only they are listed.
//
// The viewer must reach the client (else NOT_FOUND) and hold the user
// management, audit or sharing privilege (else FORBIDDEN): it is the
// client's Professionals tab.
func ClientAccessList(ctx context.Context, c *ent.Client, clientID pulid.ID) ([]AccessEntry, error) {
	v, system := userViewer(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	cl, err := c.Patient.Query().Where(patient.ID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "client not found")
	}
	if err != nil {
		return nil, err
	}
	if !system && (v.Portal || !(v.Has(string(UsersManage)) || v.Has(string(AuditView)) || v.Has(string(ClientsShare)))) {
		return nil, apperr.New(apperr.Forbidden, "listing who has access to a client needs the user management, audit or sharing privilege")
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	now := Now(ctx)
	paths := map[pulid.ID][]Path{}
	users := map[pulid.ID]*ent.User{}

	// Role-based paths: the roles holding a reaching privilege, and the
	// active staff users holding one of them.
	if !cl.Restricted {
		roles, err := c.Role.Query().All(sys)
		if err != nil {
			return nil, err
		}
		var reaching []pulid.ID
		for _, r := range roles {
			if slices.Contains(r.Privileges, string(ClientsAccessAll)) ||
				(cl.BusinessUnitID != nil && slices.Contains(r.Privileges, string(ClientsAccessBusinessUnit))) {
				reaching = append(reaching, r.ID)
			}
		}
		if len(reaching) > 0 {
			q := c.User.Query().Where(user.KindEQ(user.KindStaff), user.StatusEQ(user.StatusActive),
				user.HasRolesWith(role.IDIn(reaching...))).WithRoles()
			if cl.BusinessUnitID != nil {
				q = q.WithBusinessUnits(func(bq *ent.BusinessUnitQuery) { bq.Where(businessunit.ID(*cl.BusinessUnitID)) })
			}
			holders, err := q.All(sys)
			if err != nil {
				return nil, err
			}
			for _, u := range holders {
				privs := grants(u, u.Edges.Roles)
				if rs, ok := privs[ClientsAccessAll]; ok {
					paths[u.ID] = append(paths[u.ID], Path{Kind: PathOrganizationWide, Privilege: ClientsAccessAll, RoleIDs: rs})
				}
				if rs, ok := privs[ClientsAccessBusinessUnit]; ok && cl.BusinessUnitID != nil && len(u.Edges.BusinessUnits) > 0 {
					paths[u.ID] = append(paths[u.ID], Path{Kind: PathBusinessUnit, Privilege: ClientsAccessBusinessUnit, RoleIDs: rs, BusinessUnitID: *cl.BusinessUnitID})
				}
				if len(paths[u.ID]) > 0 {
					users[u.ID] = u
				}
			}
		}
	}
	// Explicit links until their (exclusive) expiry.
	links, err := c.ClientAccess.Query().Where(clientaccess.ClientID(clientID),
		clientaccess.Or(clientaccess.ExpiresAtIsNil(), clientaccess.ExpiresAtGT(now))).All(sys)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		at := l.GrantedAt
		paths[l.UserID] = append(paths[l.UserID], Path{Kind: PathExplicitLink, GrantedByID: deref(l.GrantedByID), GrantedAt: &at, ExpiresAt: l.ExpiresAt})
	}
	ems, err := c.EmergencyAccess.Query().Where(emergencyaccess.ClientID(clientID),
		emergencyaccess.EndedAtIsNil(), emergencyaccess.ExpiresAtGT(now)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, em := range ems {
		at, until := em.StartedAt, em.ExpiresAt
		paths[em.UserID] = append(paths[em.UserID], Path{Kind: PathEmergency, GrantedAt: &at, ExpiresAt: &until, Reason: em.Reason})
	}
	pas, err := c.PortalAccess.Query().Where(portalaccess.ClientID(clientID)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, pa := range pas {
		paths[pa.UserID] = append(paths[pa.UserID], Path{Kind: PathPortal, Portal: pa, GrantedByID: deref(pa.GrantedByID)})
	}
	// The users of the per-user paths, in one query; a link or window
	// gives nothing to a user who is not active, and a staff path nothing
	// to a portal user (nor a portal link to staff).
	var missing []pulid.ID
	for id := range paths {
		if users[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		more, err := c.User.Query().Where(user.IDIn(missing...), user.StatusEQ(user.StatusActive)).All(sys)
		if err != nil {
			return nil, err
		}
		for _, u := range more {
			users[u.ID] = u
		}
	}
	out := make([]AccessEntry, 0, len(users))
	for id, u := range users {
		var ps []Path
		for _, p := range paths[id] {
			if (p.Kind == PathPortal) == (u.Kind == user.KindPortal) {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			out = append(out, AccessEntry{User: u, Paths: ps})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].User.DisplayName != out[j].User.DisplayName {
			return out[i].User.DisplayName < out[j].User.DisplayName
		}
		return out[i].User.ID < out[j].User.ID
	})
	return out, nil
}
