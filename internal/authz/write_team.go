package authz

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimgroupmapping"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The team concern of the write vocabulary (see concern in write.go):
// roles and their privileges, ownership, team settings and seats.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideTeam); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

const (
	// CreateRole creates a custom role holding Target.Privileges.
	CreateRole Action = "role.create"
	// EditRole renames the role Target.Row or changes its privileges;
	// Target.Privileges are the privileges the change adds.
	EditRole Action = "role.edit"
	// DeleteRole deletes the custom role Target.Row.
	DeleteRole Action = "role.delete"
	// SetUserRoles replaces the roles of Target.User with Target.Roles.
	SetUserRoles Action = "user.set_roles"
	// TransferOwnership makes Target.User the account owner; the viewer
	// (the owner) becomes an administrator.
	TransferOwnership Action = "org.transfer_ownership"
	// ChangeTeamSettings changes the organization's security settings and
	// the per-role policies (MFA, sign-in method, session view) of
	// Target.Roles.
	ChangeTeamSettings Action = "org.change_settings"
)

func teamConcern() concern {
	return concern{
		name:   "team",
		stepUp: []Action{CreateRole, EditRole, DeleteRole, SetUserRoles, TransferOwnership, ChangeTeamSettings},
		writes: map[Action][]write{
			CreateRole:         {{"Role", ent.OpCreate}, audited},
			EditRole:           {{"Role", ent.OpUpdateOne}, audited},
			DeleteRole:         {{"Role", ent.OpDeleteOne}, audited},
			SetUserRoles:       {{"User", ent.OpUpdateOne}, audited},
			TransferOwnership:  {{"User", ent.OpUpdateOne}, audited},
			ChangeTeamSettings: {{"Organization", ent.OpUpdateOne}, {"Role", ent.OpUpdateOne}, audited},
		},
		decide:     decideTeam,
		decideEach: decideTeamEach,
		// An identity provider sets roles a mapped SCIM group names
		// (decideSCIMTeam); every other team action is refused it.
		scim: true,
	}
}

func decideTeam(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	f, err := loadTeamFacts(ctx, c, v, a, t)
	if err != nil {
		return err
	}
	return decideTeamWrite(v, a, t, f)
}

// teamRole is what a decision needs of a role.
type teamRole struct {
	builtin    string // "" for a custom role
	privileges []string
}

// teamFacts are what decideTeamWrite needs beyond the viewer and target,
// loaded once as the server.
type teamFacts struct {
	viewerIsOwner bool
	// role is Target.Row's role (EditRole, DeleteRole); nil when it is not
	// in the organization.
	role *teamRole
	// userFound: Target.User exists in the organization; userStaff and
	// userActive describe them; userIsOwner marks the account owner.
	userFound, userStaff, userActive, userIsOwner bool
	// currentRoles are Target.User's roles now, by id; handedRoles the
	// roles of Target.Roles found in the organization, by id.
	currentRoles map[pulid.ID]teamRole
	handedRoles  map[pulid.ID]teamRole
	// otherAdmins counts the active administrators (the owner included)
	// other than Target.User.
	otherAdmins int
	// groupRoles are the roles some SCIM group of the organization is
	// mapped to (loaded for a SCIM viewer only).
	groupRoles map[pulid.ID]bool
}

func loadTeamFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) (teamFacts, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	var f teamFacts
	me, err := c.User.Query().Where(user.ID(v.UserID)).Select(user.FieldIsAccountOwner).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return f, fmt.Errorf("authz: team facts: %w", err)
	}
	f.viewerIsOwner = me != nil && me.IsAccountOwner
	rolesOf := func(q *ent.RoleQuery) (map[pulid.ID]teamRole, error) {
		rs, err := q.Select(role.FieldID, role.FieldBuiltin, role.FieldPrivileges).All(sys)
		if err != nil {
			return nil, err
		}
		out := make(map[pulid.ID]teamRole, len(rs))
		for _, r := range rs {
			out[r.ID] = toTeamRole(r)
		}
		return out, nil
	}
	if t.Row != "" && (a == EditRole || a == DeleteRole) {
		r, err := c.Role.Query().Where(role.ID(t.Row)).Only(sys)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return f, fmt.Errorf("authz: team facts: %w", err)
		default:
			tr := toTeamRole(r)
			f.role = &tr
		}
	}
	if len(t.Roles) > 0 {
		if f.handedRoles, err = rolesOf(c.Role.Query().Where(role.IDIn(t.Roles...))); err != nil {
			return f, fmt.Errorf("authz: team facts: %w", err)
		}
	}
	if t.User != "" && (a == SetUserRoles || a == TransferOwnership) {
		u, err := c.User.Query().Where(user.ID(t.User)).Only(sys)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return f, fmt.Errorf("authz: team facts: %w", err)
		default:
			f.userFound = true
			f.userStaff = u.Kind == user.KindStaff
			f.userActive = u.Status == user.StatusActive
			f.userIsOwner = u.IsAccountOwner
			if f.currentRoles, err = rolesOf(c.Role.Query().Where(role.HasUsersWith(user.ID(u.ID)))); err != nil {
				return f, fmt.Errorf("authz: team facts: %w", err)
			}
		}
	}
	if a == SetUserRoles && f.userFound {
		n, err := c.User.Query().Where(
			user.IDNEQ(t.User), user.StatusEQ(user.StatusActive), user.KindEQ(user.KindStaff),
			user.Or(user.IsAccountOwner(true), user.HasRolesWith(role.BuiltinIn(role.BuiltinAdministrator, role.BuiltinAccountOwner))),
		).Count(sys)
		if err != nil {
			return f, fmt.Errorf("authz: team facts: %w", err)
		}
		f.otherAdmins = n
	}
	if v.Kind == viewer.SCIM && a == SetUserRoles {
		ids, err := c.SCIMGroupMapping.Query().
			Where(scimgroupmapping.TargetEQ(scimgroupmapping.TargetRole), scimgroupmapping.RoleIDNotNil()).
			Select(scimgroupmapping.FieldRoleID).Strings(sys)
		if err != nil {
			return f, fmt.Errorf("authz: team facts: %w", err)
		}
		f.groupRoles = map[pulid.ID]bool{}
		for _, id := range ids {
			f.groupRoles[pulid.ID(id)] = true
		}
	}
	return f, nil
}

func toTeamRole(r *ent.Role) teamRole {
	tr := teamRole{privileges: r.Privileges}
	if r.Builtin != nil {
		tr.builtin = string(*r.Builtin)
	}
	return tr
}

const (
	builtinOwner = string(role.BuiltinAccountOwner)
	builtinAdmin = string(role.BuiltinAdministrator)
)

// isAdminRole reports whether holding r makes one an administrator.
func isAdminRole(r teamRole) bool { return r.builtin == builtinAdmin || r.builtin == builtinOwner }

// decideTeamWrite is the team concern's decision from the viewer, the
// target and the facts alone (held against a reference model in
// write_team_test.go).
//
//   - Roles: roles.manage; a role change may add only privileges the
//     viewer holds (no escalation); the account-owner role is edited by
//     nobody; built-in roles are neither renamed nor deleted (the domain
//     refuses those; authz refuses the owner role and escalation).
//   - A user's roles: users.manage; every role handed out or taken away
//     holds no privilege the viewer lacks; the account-owner role is
//     neither given nor taken (only by transfer); the owner's roles are
//     changed by the owner alone; at least one active administrator (the
//     owner counts) remains.
//   - Ownership: only the owner transfers it, to an active staff member
//     other than themself.
//   - Team settings: org.settings.manage; the account-owner role's
//     policies are changed by the owner alone.
func decideTeamWrite(v *viewer.Viewer, a Action, t Target, f teamFacts) error {
	forbidden := func(format string, args ...any) error { return apperr.New(apperr.Forbidden, format, args...) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	if v.Kind == viewer.SCIM {
		return decideSCIMTeam(a, t, f)
	}
	if v.Portal {
		return forbidden("portal users do not manage the team")
	}
	lacking := func(privs []string) string {
		for _, p := range privs {
			if !v.Has(p) {
				return p
			}
		}
		return ""
	}
	switch a {
	case CreateRole, EditRole, DeleteRole:
		if !v.Has(string(RolesManage)) {
			return forbidden("managing roles needs the roles.manage privilege")
		}
		if a != CreateRole {
			if f.role == nil {
				return notFound("role")
			}
			if f.role.builtin == builtinOwner {
				return forbidden("the account owner's role cannot be changed")
			}
		}
		// A role the viewer holds is their own privileges: the strict rule.
		handOut := FirstNotHandedOut(v, t.Privileges)
		if a != CreateRole && slices.Contains(v.RoleIDs, t.Row) {
			handOut = lacking(t.Privileges)
		}
		if handOut != "" {
			return forbidden("you cannot give a role the privilege %s, which you may not hand out", handOut)
		}
		return nil
	case SetUserRoles:
		if !v.Has(string(UsersManage)) {
			return forbidden("assigning roles needs the users.manage privilege")
		}
		if !f.userFound {
			return notFound("user")
		}
		for _, id := range t.Roles {
			if _, ok := f.handedRoles[id]; !ok {
				return notFound("role")
			}
		}
		if f.userIsOwner && t.User != v.UserID {
			return forbidden("only the account owner changes the account owner's roles")
		}
		after := map[pulid.ID]teamRole{}
		for _, id := range t.Roles {
			after[id] = f.handedRoles[id]
		}
		changed := map[pulid.ID]teamRole{}
		for id, r := range after {
			if _, had := f.currentRoles[id]; !had {
				changed[id] = r
			}
		}
		for id, r := range f.currentRoles {
			if _, keeps := after[id]; !keeps {
				changed[id] = r
			}
		}
		for _, r := range changed {
			if r.builtin == builtinOwner {
				return forbidden("the account owner's role moves only by ownership transfer")
			}
			handOut := FirstNotHandedOut(v, r.privileges)
			if t.User == v.UserID {
				handOut = lacking(r.privileges) // one's own roles: the strict rule
			}
			if handOut != "" {
				return forbidden("you cannot give or take a role holding %s, which you may not hand out", handOut)
			}
		}
		adminAfter := f.userIsOwner && f.userActive
		for _, r := range after {
			adminAfter = adminAfter || (isAdminRole(r) && f.userActive && f.userStaff)
		}
		if f.otherAdmins == 0 && !adminAfter {
			return apperr.New(apperr.Conflict, "the organization must keep at least one administrator")
		}
		return nil
	case TransferOwnership:
		if !f.viewerIsOwner {
			return forbidden("only the account owner transfers ownership")
		}
		if !f.userFound {
			return notFound("user")
		}
		return nil
	case ChangeTeamSettings:
		if !v.Has(string(OrgSettingsManage)) {
			return forbidden("changing team settings needs the org.settings.manage privilege")
		}
		for _, id := range t.Roles {
			r, ok := f.handedRoles[id]
			if !ok {
				return notFound("role")
			}
			if r.builtin == builtinOwner && !f.viewerIsOwner {
				return forbidden("only the account owner changes the account owner's role")
			}
		}
		return nil
	}
	return errNoDecision(a)
}

// decideSCIMTeam is the team decision of an identity provider (a SCIM
// client of the organization). It sets a user's roles only as far as its
// mapped groups name them:
//
//   - every role given or taken is a role some SCIM group is mapped to;
//   - never the account-owner role, never a role holding an owner-only
//     privilege, never the account owner's roles;
//   - the organization keeps at least one active administrator.
//
// Every other team action is refused.
func decideSCIMTeam(a Action, t Target, f teamFacts) error {
	forbidden := func(format string, args ...any) error { return apperr.New(apperr.Forbidden, format, args...) }
	if a != SetUserRoles {
		return forbidden("an identity provider may not %s", a)
	}
	if !f.userFound {
		return apperr.New(apperr.NotFound, "user not found")
	}
	for _, id := range t.Roles {
		if _, ok := f.handedRoles[id]; !ok {
			return apperr.New(apperr.NotFound, "role not found")
		}
	}
	if f.userIsOwner {
		return forbidden("an identity provider does not change the account owner's roles")
	}
	after := map[pulid.ID]teamRole{}
	for _, id := range t.Roles {
		after[id] = f.handedRoles[id]
	}
	changed := map[pulid.ID]teamRole{}
	for id, r := range after {
		if _, had := f.currentRoles[id]; !had {
			changed[id] = r
		}
	}
	for id, r := range f.currentRoles {
		if _, keeps := after[id]; !keeps {
			changed[id] = r
		}
	}
	for id, r := range changed {
		if r.builtin == builtinOwner {
			return forbidden("the account owner's role moves only by ownership transfer")
		}
		for _, p := range r.privileges {
			if OwnerOnlyPrivilege(p) {
				return forbidden("an identity provider does not give or take a role holding %s", p)
			}
		}
		if !f.groupRoles[id] {
			return forbidden("an identity provider gives and takes only roles a mapped SCIM group names")
		}
	}
	adminAfter := false
	for _, r := range after {
		adminAfter = adminAfter || (isAdminRole(r) && f.userActive && f.userStaff)
	}
	if f.otherAdmins == 0 && !adminAfter {
		return apperr.New(apperr.Conflict, "the organization must keep at least one administrator")
	}
	return nil
}

// OwnerOnlyPrivilege reports whether p belongs to the account owner alone
// and may be put into no other role.
func OwnerOnlyPrivilege(p string) bool {
	info, ok := Lookup(Privilege(p))
	return ok && info.OwnerOnly
}

// AddedPrivileges returns the privileges of after that before lacks, in
// after's order.
func AddedPrivileges(before, after []string) []string {
	var out []string
	for _, p := range after {
		if !slices.Contains(before, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
