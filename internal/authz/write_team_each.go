package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimgroupmapping"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// decideTeamEach is the batch form of decideTeam for SetUserRoles
// (RequireEach): every target's user and current roles are read in one
// go, the handed roles, the other administrators and the roles of mapped
// groups once, then each target is decided by decideTeamWrite. Other
// actions, and batches naming a user twice, are decided one by one.
//
// The one difference from deciding each alone is the administrator
// count: the batch is applied together, so the administrators other than
// a target's user are those outside the batch plus the batch's other
// users as they will be after it (active staff who are the owner or hold
// an administrator role). Removing the last administrators in one batch
// is refused as it would be one at a time.
func decideTeamEach(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, ts []Target) error {
	users := map[pulid.ID]bool{}
	batchable := a == SetUserRoles
	var handed []pulid.ID
	for _, t := range ts {
		if t.User == "" || users[t.User] || t.Row != "" || t.Client != "" || len(t.BusinessUnits) > 0 || len(t.Privileges) > 0 {
			batchable = false
		}
		users[t.User] = true
		handed = append(handed, t.Roles...)
	}
	if !batchable {
		for _, t := range ts {
			if err := decideTeam(ctx, c, v, a, t); err != nil {
				return err
			}
		}
		return nil
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	fail := func(err error) error { return fmt.Errorf("authz: team facts: %w", err) }
	var shared teamFacts
	if v.UserID != "" {
		me, err := c.User.Query().Where(user.ID(v.UserID)).Select(user.FieldIsAccountOwner).Only(sys)
		if err != nil && !ent.IsNotFound(err) {
			return fail(err)
		}
		shared.viewerIsOwner = me != nil && me.IsAccountOwner
	}
	rs, err := c.Role.Query().Where(role.IDIn(uniq(handed)...)).
		Select(role.FieldID, role.FieldBuiltin, role.FieldPrivileges).All(sys)
	if err != nil {
		return fail(err)
	}
	shared.handedRoles = make(map[pulid.ID]teamRole, len(rs))
	for _, r := range rs {
		shared.handedRoles[r.ID] = toTeamRole(r)
	}
	ids := make([]pulid.ID, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	us, err := c.User.Query().Where(user.IDIn(ids...)).
		WithRoles(func(q *ent.RoleQuery) { q.Select(role.FieldID, role.FieldBuiltin, role.FieldPrivileges) }).All(sys)
	if err != nil {
		return fail(err)
	}
	byID := make(map[pulid.ID]*ent.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	outside, err := c.User.Query().Where(
		user.IDNotIn(ids...), user.StatusEQ(user.StatusActive), user.KindEQ(user.KindStaff),
		user.Or(user.IsAccountOwner(true), user.HasRolesWith(role.BuiltinIn(role.BuiltinAdministrator, role.BuiltinAccountOwner))),
	).Count(sys)
	if err != nil {
		return fail(err)
	}
	if v.Kind == viewer.SCIM {
		mapped, err := c.SCIMGroupMapping.Query().
			Where(scimgroupmapping.TargetEQ(scimgroupmapping.TargetRole), scimgroupmapping.RoleIDNotNil()).
			Select(scimgroupmapping.FieldRoleID).Strings(sys)
		if err != nil {
			return fail(err)
		}
		shared.groupRoles = map[pulid.ID]bool{}
		for _, id := range mapped {
			shared.groupRoles[pulid.ID(id)] = true
		}
	}
	// Who is an administrator once the batch is applied.
	adminAfter := map[pulid.ID]bool{}
	admins := 0
	for _, t := range ts {
		u := byID[t.User]
		if u == nil || u.Status != user.StatusActive || u.Kind != user.KindStaff {
			continue
		}
		after := u.IsAccountOwner
		for _, id := range t.Roles {
			if r, ok := shared.handedRoles[id]; ok && isAdminRole(r) {
				after = true
			}
		}
		if after {
			adminAfter[t.User] = true
			admins++
		}
	}
	for _, t := range ts {
		f := shared
		if u := byID[t.User]; u != nil {
			f.userFound = true
			f.userStaff = u.Kind == user.KindStaff
			f.userActive = u.Status == user.StatusActive
			f.userIsOwner = u.IsAccountOwner
			f.currentRoles = make(map[pulid.ID]teamRole, len(u.Edges.Roles))
			for _, r := range u.Edges.Roles {
				f.currentRoles[r.ID] = toTeamRole(r)
			}
			f.otherAdmins = outside + admins
			if adminAfter[t.User] {
				f.otherAdmins--
			}
		}
		if err := decideTeamWrite(v, a, t, f); err != nil {
			return err
		}
	}
	return nil
}
