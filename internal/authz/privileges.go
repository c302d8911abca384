package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
)

// Effective is a user's effective privileges: the union over all their
// roles. It is loaded once per request, so a privilege turned off on a role
// stops working for every holder on their next request.
type Effective struct {
	RoleIDs    []pulid.ID
	Privileges map[string]bool
}

// LoadEffective computes u's effective privileges with one query. Portal
// users and users who are not active hold none.
func LoadEffective(ctx context.Context, c *ent.Client, u *ent.User) (Effective, error) {
	eff := Effective{Privileges: map[string]bool{}}
	if u.Kind != user.KindStaff || u.Status != user.StatusActive {
		return eff, nil
	}
	roles, err := c.Role.Query().
		Where(role.HasUsersWith(user.ID(u.ID))).
		Select(role.FieldID, role.FieldPrivileges, role.FieldBuiltin).
		All(ctx)
	if err != nil {
		return eff, fmt.Errorf("authz: load roles of %s: %w", u.ID, err)
	}
	for _, r := range roles {
		eff.RoleIDs = append(eff.RoleIDs, r.ID)
		for _, p := range r.Privileges {
			info, ok := Lookup(Privilege(p))
			if !ok {
				continue // unknown keys grant nothing
			}
			// Owner-only privileges count only for the account owner,
			// whatever role they were (wrongly) put into.
			if info.OwnerOnly && !u.IsAccountOwner {
				continue
			}
			eff.Privileges[p] = true
		}
	}
	return eff, nil
}
