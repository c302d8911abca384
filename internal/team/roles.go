package team

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"sync"
)

// Limits of a role's text, as the schema's validators count them.
const (
	MaxRoleNameLen        = 100
	MaxRoleDescriptionLen = 1000
)

// NewRole is a custom role to create.
type NewRole struct {
	Name        string
	Description string
	// Privileges are catalogue keys (authz.Catalogue); duplicates collapse.
	Privileges []string
}

// RoleChange changes a role; nil fields are left alone.
type RoleChange struct {
	Name        *string
	Description *string
	// Privileges replace the role's privileges.
	Privileges *[]string
}

// CreateRole creates a custom role. Its holders are not covered by session
// view until the team settings name it. The viewer needs roles.manage and
// every privilege the role will hold.
func CreateRole(ctx context.Context, c *ent.Client, in NewRole) (*ent.Role, error) {
	privs, err := checkPrivileges(in.Privileges)
	if err != nil {
		return nil, err
	}
	ctx, err = authz.Require(ctx, c, authz.CreateRole, authz.Target{Privileges: privs})
	if err != nil {
		return nil, err
	}
	name, err := checkName(in.Name)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	if err := nameFree(ctx, c, v.OrgID, name, ""); err != nil {
		return nil, err
	}
	r, err := c.Role.Create().
		SetOrganizationID(v.OrgID).
		SetName(name).
		SetDescription(desc).
		SetPrivileges(privs).
		SetSessionView(false).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.InvalidField("name", "a role named %q already exists", name)
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: RoleCreated, TargetType: "role", TargetID: string(r.ID),
		Details: map[string]any{"name": name, "privileges": privs},
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole renames a custom role, changes its description, or replaces
// its privileges (built-in roles too, the account owner's excepted). The
// change is in force for every holder on their next request: privileges
// are loaded per request (authz.LoadEffective). The viewer needs
// roles.manage and every privilege the change adds.
func UpdateRole(ctx context.Context, c *ent.Client, id pulid.ID, ch RoleChange) (*ent.Role, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	before, err := c.Role.Query().Where(role.ID(id)).Only(viewer.ForSystem(ctx, v.OrgID))
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	// What the change adds is checked against the catalogue and the
	// viewer; what the role already holds stays as it is.
	var privs, added []string
	if before != nil && ch.Privileges != nil {
		privs = dedupeStrings(*ch.Privileges)
		if added, err = checkPrivileges(authz.AddedPrivileges(before.Privileges, privs)); err != nil {
			return nil, err
		}
	}
	ctx, err = authz.Require(ctx, c, authz.EditRole, authz.Target{Row: id, Privileges: added})
	if err != nil {
		return nil, err
	}
	upd := c.Role.UpdateOneID(id)
	details := map[string]any{}
	if ch.Name != nil {
		name, err := checkName(*ch.Name)
		if err != nil {
			return nil, err
		}
		if name != before.Name {
			if before.Builtin != nil {
				return nil, apperr.InvalidField("name", "built-in roles keep their names")
			}
			if err := nameFree(ctx, c, v.OrgID, name, id); err != nil {
				return nil, err
			}
			upd.SetName(name)
			details["name"] = map[string]any{"from": before.Name, "to": name}
		}
	}
	if ch.Description != nil {
		desc, err := checkDescription(*ch.Description)
		if err != nil {
			return nil, err
		}
		if desc != before.Description {
			upd.SetDescription(desc)
			details["description"] = map[string]any{"from": before.Description, "to": desc}
		}
	}
	if ch.Privileges != nil {
		removed := authz.AddedPrivileges(privs, before.Privileges)
		if len(added) > 0 || len(removed) > 0 {
			upd.SetPrivileges(privs)
			details["privileges_added"] = nonNil(added)
			details["privileges_removed"] = nonNil(removed)
		}
	}
	if len(details) == 0 {
		return before, nil
	}
	r, err := upd.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.InvalidField("name", "a role with that name already exists")
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: RoleUpdated, TargetType: "role", TargetID: string(r.ID), Details: details,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// SetRolePrivilege turns one privilege of a role on or off ("Managing User
// Privileges"), as UpdateRole does.
func SetRolePrivilege(ctx context.Context, c *ent.Client, id pulid.ID, privilege string, enabled bool) (*ent.Role, error) {
	if _, err := checkPrivileges([]string{privilege}); err != nil {
		return nil, apperr.InvalidField("privilege", "%s", apperr.Message(err))
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	r, err := c.Role.Query().Where(role.ID(id)).Only(viewer.ForSystem(ctx, v.OrgID))
	if ent.IsNotFound(err) {
		// Let authz answer (NOT_FOUND, or FORBIDDEN first for a viewer
		// without the privilege).
		_, err = authz.Require(ctx, c, authz.EditRole, authz.Target{Row: id})
		if err == nil {
			err = apperr.New(apperr.NotFound, "role not found")
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	privs := slices.DeleteFunc(slices.Clone(r.Privileges), func(p string) bool { return p == privilege })
	if enabled {
		privs = append(privs, privilege)
	}
	return UpdateRole(ctx, c, id, RoleChange{Privileges: &privs})
}

// DeleteRole deletes a custom role. It is refused (CONFLICT) while any
// user — suspended ones included, whose roles come back on reactivation —
// or any pending invitation names it: removing it from its holders would quietly
// change what many people may do; the administrator moves them to other
// roles first, each change audited.
func DeleteRole(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Role, error) {
	ctx, err := authz.Require(ctx, c, authz.DeleteRole, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	r, err := c.Role.Query().Where(role.ID(id)).Only(sys)
	if err != nil {
		return nil, err
	}
	if r.Builtin != nil {
		return nil, apperr.New(apperr.Conflict, "built-in roles cannot be deleted")
	}
	holders, err := c.User.Query().Where(user.HasRolesWith(role.ID(id))).Count(sys)
	if err != nil {
		return nil, err
	}
	// Pending invitations would hand the role out on acceptance; accepted,
	// revoked and lapsed ones are history (their links go with the role).
	invited, err := c.Invitation.Query().Where(invitation.HasRolesWith(role.ID(id)),
		invitation.StatusEQ(invitation.StatusPending), invitation.ExpiresAtGT(authz.Now(ctx))).Count(sys)
	if err != nil {
		return nil, err
	}
	if holders > 0 || invited > 0 {
		return nil, apperr.New(apperr.Conflict,
			"the role is held by %d user(s) and %d invitation(s); give them other roles first", holders, invited)
	}
	if err := c.Role.DeleteOneID(id).Exec(ctx); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: RoleDeleted, TargetType: "role", TargetID: string(r.ID),
		Details: map[string]any{"name": r.Name, "privileges": r.Privileges},
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// SetUserRoles replaces the roles of a staff user (several at once:
// "Both Clinician & Administrator"). The viewer needs users.manage and
// every privilege of each role given or taken; the account-owner role
// moves only by transfer; the owner's roles are the owner's to change; at
// least one administrator remains.
func SetUserRoles(ctx context.Context, c *ent.Client, userID pulid.ID, roleIDs []pulid.ID) (*ent.User, error) {
	ids := dedupe(roleIDs)
	if len(ids) == 0 {
		return nil, apperr.InvalidField("roleIds", "a staff member holds at least one role")
	}
	ctx, err := authz.Require(ctx, c, authz.SetUserRoles, authz.Target{User: userID, Roles: ids})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	u, err := c.User.Query().Where(user.ID(userID)).WithRoles().Only(sys)
	if err != nil {
		return nil, err
	}
	if u.Kind != user.KindStaff {
		return nil, apperr.InvalidField("userId", "portal users hold no roles")
	}
	var current []pulid.ID
	for _, r := range u.Edges.Roles {
		current = append(current, r.ID)
	}
	added := diffIDs(ids, current)
	removed := diffIDs(current, ids)
	if len(added) == 0 && len(removed) == 0 {
		return u, nil
	}
	u, err = c.User.UpdateOneID(userID).AddRoleIDs(added...).RemoveRoleIDs(removed...).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: UserRolesChanged, TargetType: "user", TargetID: string(userID),
		Details: map[string]any{"from": idStrings(current), "to": idStrings(ids),
			"added": idStrings(added), "removed": idStrings(removed)},
	}); err != nil {
		return nil, err
	}
	return u, nil
}

// RoleHolderCount counts the users holding r that the viewer may see. In
// a context prepared by WithHolderCounts (one per GraphQL operation) the
// counts of every role of the organization are loaded once, with c, so a
// page of roles costs the same statements as one role.
func RoleHolderCount(ctx context.Context, c *ent.Client, r *ent.Role) (int, error) {
	hc, _ := ctx.Value(holderCountsKey{}).(*holderCounts)
	if hc == nil {
		return r.QueryUsers().Count(ctx)
	}
	if tx := ent.FromContext(ctx); tx != nil {
		c = tx // a mutation's own changes count
	}
	hc.once.Do(func() {
		// The users each role's holders are, as the viewer may read them.
		roles, err := c.Role.Query().
			Select(role.FieldID).
			WithUsers(func(q *ent.UserQuery) { q.Select(user.FieldID) }).
			All(ctx)
		if err != nil {
			hc.err = err
			return
		}
		hc.counts = make(map[pulid.ID]int, len(roles))
		for _, ro := range roles {
			hc.counts[ro.ID] = len(ro.Edges.Users)
		}
	})
	if hc.err != nil {
		return 0, hc.err
	}
	if n, ok := hc.counts[r.ID]; ok {
		return n, nil
	}
	// A role created in this very operation, after the counts were read.
	return r.QueryUsers().Count(ctx)
}

type holderCountsKey struct{}

type holderCounts struct {
	once   sync.Once
	counts map[pulid.ID]int
	err    error
}

// WithHolderCounts prepares ctx for RoleHolderCount to load every count at
// most once.
func WithHolderCounts(ctx context.Context) context.Context {
	return context.WithValue(ctx, holderCountsKey{}, &holderCounts{})
}

func checkPrivileges(keys []string) ([]string, error) {
	out := []string{}
	for _, k := range keys {
		if _, ok := authz.Lookup(authz.Privilege(k)); !ok {
			return nil, apperr.InvalidField("privileges", "%q is not a privilege of the catalogue", k)
		}
		if authz.OwnerOnlyPrivilege(k) {
			return nil, apperr.InvalidField("privileges", "%q belongs to the account owner alone and cannot be put into a role", k)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", apperr.InvalidField("name", "give the role a name")
	case len(name) > MaxRoleNameLen || !utf8.ValidString(name):
		return "", apperr.InvalidField("name", "a role name has at most %d bytes of valid text", MaxRoleNameLen)
	}
	return name, nil
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if len(d) > MaxRoleDescriptionLen || !utf8.ValidString(d) {
		return "", apperr.InvalidField("description", "a description has at most %d bytes of valid text", MaxRoleDescriptionLen)
	}
	return d, nil
}

// nameFree refuses a name another role of the organization has
// (case-insensitively, as people read them).
func nameFree(ctx context.Context, c *ent.Client, org pulid.ID, name string, except pulid.ID) error {
	rs, err := c.Role.Query().Where(role.IDNEQ(except)).Select(role.FieldName).All(viewer.ForSystem(ctx, org))
	if err != nil {
		return err
	}
	for _, r := range rs {
		if strings.EqualFold(r.Name, name) {
			return apperr.InvalidField("name", "a role named %q already exists", r.Name)
		}
	}
	return nil
}

func dedupeStrings(xs []string) []string {
	out := []string{}
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func dedupe(ids []pulid.ID) []pulid.ID {
	out := []pulid.ID{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// diffIDs returns the ids of a that b lacks.
func diffIDs(a, b []pulid.ID) []pulid.ID {
	var out []pulid.ID
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func idStrings(ids []pulid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	slices.Sort(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
