package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/portal"
)

// accessList maps authz.ClientAccessList to GraphQL, loading the roles,
// units and granting users every entry names in one query each (as the
// viewer), so that the list costs the same at 5 and at 500 users.
func accessList(ctx context.Context, c *ent.Client, clientID pulid.ID) ([]*ClientAccessEntry, error) {
	entries, err := authz.ClientAccessList(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	var roleIDs, unitIDs, userIDs []pulid.ID
	for _, e := range entries {
		for _, p := range e.Paths {
			roleIDs = append(roleIDs, p.RoleIDs...)
			if p.BusinessUnitID != "" {
				unitIDs = append(unitIDs, p.BusinessUnitID)
			}
			if p.GrantedByID != "" {
				userIDs = append(userIDs, p.GrantedByID)
			}
		}
	}
	roles := map[pulid.ID]*ent.Role{}
	if len(roleIDs) > 0 {
		rs, err := c.Role.Query().Where(role.IDIn(roleIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			roles[r.ID] = r
		}
	}
	units := map[pulid.ID]*ent.BusinessUnit{}
	if len(unitIDs) > 0 {
		us, err := c.BusinessUnit.Query().Where(businessunit.IDIn(unitIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			units[u.ID] = u
		}
	}
	grantors := map[pulid.ID]*ent.User{}
	if len(userIDs) > 0 {
		us, err := c.User.Query().Where(user.IDIn(userIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			grantors[u.ID] = u
		}
	}
	out := make([]*ClientAccessEntry, 0, len(entries))
	for _, e := range entries {
		entry := &ClientAccessEntry{User: e.User, Paths: []*AccessPath{}}
		for _, p := range e.Paths {
			ap := &AccessPath{Kind: AccessPathKind(p.Kind), GrantedAt: p.GrantedAt, ExpiresAt: p.ExpiresAt, Roles: []*ent.Role{},
				BusinessUnit: units[p.BusinessUnitID], GrantedBy: grantors[p.GrantedByID]}
			if p.Privilege != "" {
				s := string(p.Privilege)
				ap.Privilege = &s
			}
			if p.Reason != "" {
				ap.Reason = &p.Reason
			}
			for _, id := range p.RoleIDs {
				if r := roles[id]; r != nil {
					ap.Roles = append(ap.Roles, r)
				}
			}
			if pa := p.Portal; pa != nil {
				ap.PortalPermissions = &PortalPermissions{Documents: pa.Documents, SessionsHomework: pa.SessionsHomework,
					Billing: pa.Billing, Surveys: pa.Surveys, AlertRecipient: pa.AlertRecipient}
			}
			entry.Paths = append(entry.Paths, ap)
		}
		out = append(out, entry)
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func portalPermissions(p *PortalPermissionsInput) portal.Permissions {
	if p == nil {
		return portal.Permissions{}
	}
	return portal.Permissions{Documents: p.Documents, SessionsHomework: p.SessionsHomework, Billing: p.Billing, Surveys: p.Surveys}
}

func addPortalInput(in AddPortalUserInput) portal.AddInput {
	return portal.AddInput{ClientID: in.ClientID, ContactID: deref(in.ContactID), Email: deref(in.Email),
		DisplayName: deref(in.DisplayName), Permissions: portalPermissions(in.Permissions), AlertRecipient: deref(in.AlertRecipient)}
}

func contactInput(in *ClientContactInput) portal.ContactInput {
	if in == nil {
		return portal.ContactInput{}
	}
	return portal.ContactInput{Name: in.Name, Relationship: deref(in.Relationship), Email: deref(in.Email), Phone: deref(in.Phone)}
}

// wrap turns a domain result into its GraphQL payload, passing errors
// through: wrap(toPayload)(operation(...)).
func wrap[T, P any](toPayload func(T) *P) func(T, error) (*P, error) {
	return func(v T, err error) (*P, error) {
		if err != nil {
			return nil, err
		}
		return toPayload(v), nil
	}
}

// accessListPage pages a client's access list (see Client.accessList):
// the whole list is computed in a fixed number of queries, then sliced;
// the cursor is the entry's user id.
func accessListPage(ctx context.Context, c *ent.Client, clientID pulid.ID, after *entgql.Cursor[pulid.ID], first *int,
	before *entgql.Cursor[pulid.ID], last *int) (*ClientAccessEntryConnection, error) {
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && (*n < 1 || *n > 100) {
			return nil, apperr.InvalidField(name, "%s must be between 1 and 100", name)
		}
	}
	all, err := accessList(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	lo, hi := 0, len(all)
	index := func(cur *entgql.Cursor[pulid.ID]) int {
		for i, e := range all {
			if e.User.ID == cur.ID {
				return i
			}
		}
		return -1
	}
	if after != nil {
		if i := index(after); i >= 0 {
			lo = i + 1
		}
	}
	if before != nil {
		if i := index(before); i >= 0 && i < hi {
			hi = i
		}
	}
	if lo > hi {
		lo = hi
	}
	page := all[lo:hi]
	info := entgql.PageInfo[pulid.ID]{HasPreviousPage: lo > 0, HasNextPage: hi < len(all)}
	switch {
	case first != nil || last == nil:
		n := 20
		if first != nil {
			n = *first
		}
		if len(page) > n {
			page, info.HasNextPage = page[:n], true
		}
	default:
		if len(page) > *last {
			page, info.HasPreviousPage = page[len(page)-*last:], true
		}
	}
	conn := &ClientAccessEntryConnection{Edges: make([]*ClientAccessEntryEdge, len(page)), PageInfo: &info, TotalCount: len(all)}
	for i, e := range page {
		conn.Edges[i] = &ClientAccessEntryEdge{Node: e, Cursor: entgql.Cursor[pulid.ID]{ID: e.User.ID}}
	}
	if len(page) > 0 {
		info.StartCursor, info.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[len(page)-1].Cursor
	}
	return conn, nil
}
