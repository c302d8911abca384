package team

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// GrantRole gives the role to each of users who lacks it: the batch form
// of SetUserRoles (what a SCIM group mapped to the role does to members
// it gains). Each user is decided as SetUserRoles decides them
// (authz.RequireEach, SetUserRoles, their roles with this one) and gets
// the same audit event, in a fixed number of statements whatever the
// number of users. Removed users and holders of the role are left alone.
func GrantRole(ctx context.Context, c *ent.Client, roleID pulid.ID, users []pulid.ID) error {
	_, err := changeRoleOfUsers(ctx, c, roleID, users, true)
	return err
}

// RevokeRole takes the role from each of users who holds it, as
// GrantRole gives it, except from a user for whom it is the last role (a
// staff member holds at least one): those keep it and are returned.
func RevokeRole(ctx context.Context, c *ent.Client, roleID pulid.ID, users []pulid.ID) (kept []pulid.ID, err error) {
	return changeRoleOfUsers(ctx, c, roleID, users, false)
}

func changeRoleOfUsers(ctx context.Context, c *ent.Client, roleID pulid.ID, users []pulid.ID, give bool) ([]pulid.ID, error) {
	if len(users) == 0 {
		return nil, nil
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	us, err := c.User.Query().Where(user.IDIn(dedupe(users)...), user.StatusNEQ(user.StatusDeleted)).
		Select(user.FieldID, user.FieldKind).WithRoles(func(q *ent.RoleQuery) { q.Select(role.FieldID) }).
		Order(ent.Asc(user.FieldID)).All(sys)
	if err != nil {
		return nil, fmt.Errorf("team: users' roles: %w", err)
	}
	type change struct {
		id            pulid.ID
		before, after []pulid.ID
	}
	var changes []change
	var targets []authz.Target
	var ids, kept []pulid.ID
	for _, u := range us {
		current := make([]pulid.ID, 0, len(u.Edges.Roles))
		for _, r := range u.Edges.Roles {
			current = append(current, r.ID)
		}
		slices.Sort(current)
		if slices.Contains(current, roleID) == give {
			continue
		}
		if u.Kind != user.KindStaff {
			return nil, apperr.InvalidField("userId", "portal users hold no roles")
		}
		var after []pulid.ID
		if give {
			after = dedupe(append(slices.Clone(current), roleID))
		} else {
			after = slices.DeleteFunc(slices.Clone(current), func(id pulid.ID) bool { return id == roleID })
			if len(after) == 0 {
				kept = append(kept, u.ID)
				continue
			}
		}
		slices.Sort(after)
		changes = append(changes, change{id: u.ID, before: current, after: after})
		targets = append(targets, authz.Target{User: u.ID, Roles: after})
		ids = append(ids, u.ID)
	}
	if len(changes) == 0 {
		return kept, nil
	}
	ctx, err = authz.RequireEach(ctx, c, authz.SetUserRoles, targets)
	if err != nil {
		return nil, err
	}
	upd := c.User.Update().Where(user.IDIn(ids...))
	if give {
		upd.AddRoleIDs(roleID)
	} else {
		upd.RemoveRoleIDs(roleID)
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, fmt.Errorf("team: set roles: %w", err)
	}
	events := make([]audit.Event, 0, len(changes))
	for _, ch := range changes {
		added, removed := diffIDs(ch.after, ch.before), diffIDs(ch.before, ch.after)
		events = append(events, audit.Event{
			Action: UserRolesChanged, TargetType: "user", TargetID: string(ch.id),
			Details: map[string]any{"from": idStrings(ch.before), "to": idStrings(ch.after),
				"added": idStrings(added), "removed": idStrings(removed)},
		})
	}
	return kept, audit.RecordBatch(ctx, c, events)
}
