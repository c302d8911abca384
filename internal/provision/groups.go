// Package provision holds what identity providers provision over SCIM:
// groups and their members here (users in users.go), and the mapping
// administrators give a group. The SCIM transport (package scim) and the
// GraphQL resolvers call these operations; every write is decided by
// internal/authz and audited in the caller's transaction.
//
// # Groups and what they grant
//
// A SCIM group is kept whether or not it is mapped. An unmapped group
// grants nothing. A group mapped to a business unit or a role grants it to
// every member: joining gives it at once, leaving takes it away unless
// another mapped group the user is still a member of gives the same unit
// or role. The grant is made with the same domain operations as the
// administration API (directory.SetUserBusinessUnits, team.SetUserRoles),
// decided for the caller (the identity provider, or the administrator who
// maps a group) and audited there.
//
// What this does not track: where a unit or role came from. A unit or
// role an administrator gave by hand that a mapped group also gives is
// taken away when the user leaves the last such group. A role is never
// taken when it is the user's last (a staff member holds at least one
// role): the removal is skipped and recorded in the group's audit event.
package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimgroupmapping"
	"github.com/clinicgate/clinicgate/ent/scimgroupmember"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/team"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of groups.
const (
	GroupCreated        = "scim.group_created"
	GroupUpdated        = "scim.group_updated"
	GroupMembersChanged = "scim.group_members_changed"
	GroupDeleted        = "scim.group_deleted"
	GroupMapped         = "scim.group_mapped"
	GroupUnmapped       = "scim.group_unmapped"
)

// GroupInput is a group as the identity provider sends it in a create or a
// replace.
type GroupInput struct {
	DisplayName string
	ExternalID  *string
	Members     []pulid.ID
}

// MemberOpKind says what a MemberOp does.
type MemberOpKind int

const (
	// AddMembers adds MemberOp.Users (already members are ignored).
	AddMembers MemberOpKind = iota
	// RemoveMembers removes MemberOp.Users (non-members are ignored).
	RemoveMembers
	// RemoveAllMembers empties the group.
	RemoveAllMembers
	// ReplaceMembers makes MemberOp.Users the members.
	ReplaceMembers
)

// MemberOp is one change of a group's members.
type MemberOp struct {
	Kind  MemberOpKind
	Users []pulid.ID
}

// GroupPatch is a PATCH of a group: an optional rename, an optional new
// external id, and member changes applied in order.
type GroupPatch struct {
	DisplayName *string
	ExternalID  *string
	Members     []MemberOp
}

func notFound() error { return apperr.New(apperr.NotFound, "group not found") }

// GetGroup returns the group id of the viewer's organization.
func GetGroup(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.SCIMGroupMapping, error) {
	if viewer.FromContext(ctx) == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	g, err := c.SCIMGroupMapping.Query().Where(scimgroupmapping.ID(id)).Only(sys(ctx))
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	return g, err
}

// Members returns the user ids of the members of the group, in id order.
func Members(ctx context.Context, c *ent.Client, groupID pulid.ID) ([]pulid.ID, error) {
	var ids []pulid.ID
	err := c.SCIMGroupMember.Query().Where(scimgroupmember.GroupID(groupID)).
		Order(ent.Asc(scimgroupmember.FieldUserID)).
		Select(scimgroupmember.FieldUserID).Scan(sys(ctx), &ids)
	if err != nil {
		return nil, fmt.Errorf("provision: members: %w", err)
	}
	return ids, nil
}

// scanIDs scans one id column.
func userIDs(ctx context.Context, q *ent.SCIMGroupMemberQuery) ([]pulid.ID, error) {
	var out []pulid.ID
	if err := q.Select(scimgroupmember.FieldUserID).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("provision: members: %w", err)
	}
	return out, nil
}

// MemberCount counts the members of the group.
func MemberCount(ctx context.Context, c *ent.Client, groupID pulid.ID) (int, error) {
	return c.SCIMGroupMember.Query().Where(scimgroupmember.GroupID(groupID)).Count(sys(ctx))
}

// ListGroups returns the groups matching where, ordered by creation, from
// offset (0-based), at most limit of them (none when limit is 0, all when
// negative), and how many match in all.
func ListGroups(ctx context.Context, c *ent.Client, where []predicate.SCIMGroupMapping, offset, limit int) ([]*ent.SCIMGroupMapping, int, error) {
	if viewer.FromContext(ctx) == nil {
		return nil, 0, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	s := sys(ctx)
	total, err := c.SCIMGroupMapping.Query().Where(where...).Count(s)
	if err != nil {
		return nil, 0, fmt.Errorf("provision: count groups: %w", err)
	}
	if limit == 0 || offset >= total {
		return []*ent.SCIMGroupMapping{}, total, nil
	}
	q := c.SCIMGroupMapping.Query().Where(where...).
		Order(ent.Asc(scimgroupmapping.FieldCreatedAt), ent.Asc(scimgroupmapping.FieldID)).Offset(offset)
	if limit > 0 {
		q.Limit(limit)
	}
	gs, err := q.All(s)
	if err != nil {
		return nil, 0, fmt.Errorf("provision: list groups: %w", err)
	}
	return gs, total, nil
}

// checkNames validates a display name and external id and that neither is
// taken by another group of the organization (409).
func checkNames(ctx context.Context, c *ent.Client, name string, externalID *string, except pulid.ID) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", apperr.InvalidField("displayName", "a group needs a displayName")
	case len(name) > 255:
		return "", apperr.InvalidField("displayName", "displayName is at most 255 characters")
	case externalID != nil && len(*externalID) > 255:
		return "", apperr.InvalidField("externalId", "externalId is at most 255 characters")
	}
	s := sys(ctx)
	taken, err := c.SCIMGroupMapping.Query().Where(scimgroupmapping.DisplayNameEqualFold(name), scimgroupmapping.IDNEQ(except)).Exist(s)
	if err != nil {
		return "", err
	}
	if taken {
		return "", apperr.New(apperr.Conflict, "a group named %q exists", name)
	}
	if externalID != nil && *externalID != "" {
		taken, err := c.SCIMGroupMapping.Query().Where(scimgroupmapping.ExternalID(*externalID), scimgroupmapping.IDNEQ(except)).Exist(s)
		if err != nil {
			return "", err
		}
		if taken {
			return "", apperr.New(apperr.Conflict, "a group with externalId %q exists", *externalID)
		}
	}
	return name, nil
}

// CreateGroup creates a group pushed by the identity provider, with its
// members (which get what the group grants — nothing, as a new group is
// unmapped).
func CreateGroup(ctx context.Context, c *ent.Client, in GroupInput) (*ent.SCIMGroupMapping, error) {
	wctx, err := authz.Require(ctx, c, authz.ProvisionSCIMGroup, authz.Target{})
	if err != nil {
		return nil, err
	}
	name, err := checkNames(ctx, c, in.DisplayName, in.ExternalID, "")
	if err != nil {
		return nil, err
	}
	add := uniq(in.Members)
	if err := checkMembers(ctx, c, add); err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	cr := c.SCIMGroupMapping.Create().SetOrganizationID(viewer.FromContext(ctx).OrgID).
		SetDisplayName(name).SetCreatedAt(now).SetUpdatedAt(now)
	if in.ExternalID != nil && *in.ExternalID != "" {
		cr.SetExternalID(*in.ExternalID)
	}
	g, err := cr.Save(wctx)
	if err != nil {
		return nil, fmt.Errorf("provision: create group: %w", err)
	}
	if err := insertMembers(wctx, c, g, add); err != nil {
		return nil, err
	}
	if err := audit.Record(wctx, c, audit.Event{
		Action: GroupCreated, TargetType: "scim_group", TargetID: string(g.ID),
		Details: map[string]any{"display_name": name, "external_id": strOrNil(in.ExternalID), "members": idStrings(add)},
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// ReplaceGroup replaces the group's name, external id and members (PUT).
func ReplaceGroup(ctx context.Context, c *ent.Client, id pulid.ID, in GroupInput) (*ent.SCIMGroupMapping, error) {
	return PatchGroup(ctx, c, id, GroupPatch{
		DisplayName: &in.DisplayName, ExternalID: nonNilStr(in.ExternalID),
		Members: []MemberOp{{Kind: ReplaceMembers, Users: in.Members}},
	})
}

// PatchGroup renames the group, changes its external id and changes its
// members. Members gained get what the group grants and members lost lose
// it (see the package documentation).
func PatchGroup(ctx context.Context, c *ent.Client, id pulid.ID, p GroupPatch) (*ent.SCIMGroupMapping, error) {
	wctx, err := authz.Require(ctx, c, authz.ProvisionSCIMGroup, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	g, err := GetGroup(ctx, c, id)
	if err != nil {
		return nil, err
	}
	s := sys(ctx)
	// Fold the member operations into what to add and remove relative to
	// the stored members, without loading them unless the group is
	// emptied or replaced.
	cleared := false
	added, removed := map[pulid.ID]bool{}, map[pulid.ID]bool{}
	for _, op := range p.Members {
		switch op.Kind {
		case RemoveAllMembers, ReplaceMembers:
			cleared = true
			added, removed = map[pulid.ID]bool{}, map[pulid.ID]bool{}
		}
		for _, u := range op.Users {
			switch op.Kind {
			case AddMembers, ReplaceMembers:
				delete(removed, u)
				added[u] = true
			case RemoveMembers:
				delete(added, u)
				removed[u] = true
			}
		}
	}
	addIDs, removeIDs := keys(added), keys(removed)
	if err := checkMembers(ctx, c, addIDs); err != nil {
		return nil, err
	}
	var toAdd, toRemove []pulid.ID
	if cleared {
		current, err := Members(ctx, c, id)
		if err != nil {
			return nil, err
		}
		for _, u := range current {
			if !added[u] {
				toRemove = append(toRemove, u)
			}
		}
		for _, u := range addIDs {
			if !slices.Contains(current, u) {
				toAdd = append(toAdd, u)
			}
		}
	} else {
		var existing []pulid.ID
		if len(addIDs) > 0 {
			if existing, err = userIDs(s, c.SCIMGroupMember.Query().Where(scimgroupmember.GroupID(id), scimgroupmember.UserIDIn(addIDs...))); err != nil {
				return nil, err
			}
		}
		for _, u := range addIDs {
			if !slices.Contains(existing, u) {
				toAdd = append(toAdd, u)
			}
		}
		if len(removeIDs) > 0 {
			if toRemove, err = userIDs(s, c.SCIMGroupMember.Query().Where(scimgroupmember.GroupID(id), scimgroupmember.UserIDIn(removeIDs...))); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(toRemove)

	upd := c.SCIMGroupMapping.UpdateOne(g)
	changed := map[string]any{}
	if p.DisplayName != nil && strings.TrimSpace(*p.DisplayName) != g.DisplayName {
		name, err := checkNames(ctx, c, *p.DisplayName, nil, id)
		if err != nil {
			return nil, err
		}
		upd.SetDisplayName(name)
		changed["display_name"] = map[string]any{"before": g.DisplayName, "after": name}
	}
	if p.ExternalID != nil && !eqStr(g.ExternalID, *p.ExternalID) {
		if _, err := checkNames(ctx, c, g.DisplayName, p.ExternalID, id); err != nil {
			return nil, err
		}
		if *p.ExternalID == "" {
			upd.ClearExternalID()
		} else {
			upd.SetExternalID(*p.ExternalID)
		}
		changed["external_id"] = map[string]any{"before": strOrNil(g.ExternalID), "after": *p.ExternalID}
	}
	if len(changed) == 0 && len(toAdd) == 0 && len(toRemove) == 0 {
		return g, nil
	}
	if g, err = upd.AddVersion(1).SetUpdatedAt(clock.Now(ctx)).Save(wctx); err != nil {
		return nil, fmt.Errorf("provision: update group: %w", err)
	}
	if len(changed) > 0 {
		if err := audit.Record(wctx, c, audit.Event{
			Action: GroupUpdated, TargetType: "scim_group", TargetID: string(id), Details: changed,
		}); err != nil {
			return nil, err
		}
	}
	if len(toAdd) > 0 || len(toRemove) > 0 {
		if err := changeMembers(ctx, wctx, c, g, toAdd, toRemove); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// DeleteGroup deletes the group; its members lose what it granted.
func DeleteGroup(ctx context.Context, c *ent.Client, id pulid.ID) error {
	wctx, err := authz.Require(ctx, c, authz.ProvisionSCIMGroup, authz.Target{Row: id})
	if err != nil {
		return err
	}
	g, err := GetGroup(ctx, c, id)
	if err != nil {
		return err
	}
	members, err := Members(ctx, c, id)
	if err != nil {
		return err
	}
	if _, err := c.SCIMGroupMember.Delete().Where(scimgroupmember.GroupID(id)).Exec(wctx); err != nil {
		return fmt.Errorf("provision: delete members: %w", err)
	}
	kept, err := revokeAll(ctx, c, g, members)
	if err != nil {
		return err
	}
	if err := c.SCIMGroupMapping.DeleteOne(g).Exec(wctx); err != nil {
		return fmt.Errorf("provision: delete group: %w", err)
	}
	details := map[string]any{"display_name": g.DisplayName, "members": idStrings(members)}
	if len(kept) > 0 {
		details["last_role_kept"] = kept
	}
	return audit.Record(wctx, c, audit.Event{
		Action: GroupDeleted, TargetType: "scim_group", TargetID: string(id), Details: details,
	})
}

// MapGroup maps the group to the business unit unitID or the role roleID
// (exactly one), and applies the mapping to the current members in the
// same transaction: they lose the previous target (unless another group
// gives it) and gain the new one. The grants are decided for the viewer
// (an administrator), with the same rules as assigning them by hand.
func MapGroup(ctx context.Context, c *ent.Client, id pulid.ID, unitID, roleID *pulid.ID) (*ent.SCIMGroupMapping, error) {
	if (unitID == nil) == (roleID == nil) {
		return nil, apperr.InvalidField("businessUnitId", "give exactly one of businessUnitId and roleId")
	}
	t := authz.Target{Row: id}
	if unitID != nil {
		t.BusinessUnits = []pulid.ID{*unitID}
	} else {
		t.Roles = []pulid.ID{*roleID}
	}
	return remap(ctx, c, id, t, unitID, roleID)
}

// UnmapGroup removes the group's mapping: its members lose what it gave
// (unless another group gives it); the group and its members stay.
func UnmapGroup(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.SCIMGroupMapping, error) {
	return remap(ctx, c, id, authz.Target{Row: id}, nil, nil)
}

func remap(ctx context.Context, c *ent.Client, id pulid.ID, t authz.Target, unitID, roleID *pulid.ID) (*ent.SCIMGroupMapping, error) {
	wctx, err := authz.Require(ctx, c, authz.MapSCIMGroup, t)
	if err != nil {
		return nil, err
	}
	old, err := GetGroup(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if eqID(old.BusinessUnitID, unitID) && eqID(old.RoleID, roleID) {
		return old, nil
	}
	upd := c.SCIMGroupMapping.UpdateOne(old).SetUpdatedAt(clock.Now(ctx)).ClearBusinessUnitID().ClearRoleID()
	switch {
	case unitID != nil:
		upd.SetTarget(scimgroupmapping.TargetBusinessUnit).SetBusinessUnitID(*unitID)
	case roleID != nil:
		upd.SetTarget(scimgroupmapping.TargetRole).SetRoleID(*roleID)
	default:
		upd.ClearTarget()
	}
	g, err := upd.Save(wctx)
	if err != nil {
		return nil, fmt.Errorf("provision: map group: %w", err)
	}
	members, err := Members(ctx, c, id)
	if err != nil {
		return nil, err
	}
	kept, err := revokeAll(ctx, c, old, members)
	if err != nil {
		return nil, err
	}
	if err := grantAll(ctx, c, g, members); err != nil {
		return nil, err
	}
	action := GroupMapped
	if unitID == nil && roleID == nil {
		action = GroupUnmapped
	}
	details := map[string]any{
		"before":  map[string]any{"business_unit_id": idOrNil(old.BusinessUnitID), "role_id": idOrNil(old.RoleID)},
		"after":   map[string]any{"business_unit_id": idOrNil(unitID), "role_id": idOrNil(roleID)},
		"members": len(members),
	}
	if len(kept) > 0 {
		details["last_role_kept"] = kept
	}
	if err := audit.Record(wctx, c, audit.Event{
		Action: action, TargetType: "scim_group", TargetID: string(id), Details: details,
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// checkMembers refuses members that are not staff users of the
// organization: unknown ids, removed users, client portal users, groups.
func checkMembers(ctx context.Context, c *ent.Client, ids []pulid.ID) error {
	if len(ids) == 0 {
		return nil
	}
	s := sys(ctx)
	nested, err := c.SCIMGroupMapping.Query().Where(scimgroupmapping.IDIn(ids...)).IDs(s)
	if err != nil {
		return fmt.Errorf("provision: check members: %w", err)
	}
	if len(nested) > 0 {
		return apperr.InvalidField("members", "%s is a group; nested groups are not supported", nested[0])
	}
	us, err := c.User.Query().Where(user.IDIn(ids...), user.StatusNEQ(user.StatusDeleted)).
		Select(user.FieldID, user.FieldKind).All(s)
	if err != nil {
		return fmt.Errorf("provision: check members: %w", err)
	}
	kinds := make(map[pulid.ID]user.Kind, len(us))
	for _, u := range us {
		kinds[u.ID] = u.Kind
	}
	for _, id := range ids {
		k, ok := kinds[id]
		switch {
		case !ok:
			return apperr.InvalidField("members", "no user %q in this organization", id)
		case k != user.KindStaff:
			return apperr.InvalidField("members", "%s is a client portal user; only staff join groups", id)
		}
	}
	return nil
}

func insertMembers(wctx context.Context, c *ent.Client, g *ent.SCIMGroupMapping, ids []pulid.ID) error {
	if len(ids) == 0 {
		return nil
	}
	// The group and its new members are checked to be the organization's
	// once, not once per member row.
	wctx, err := authz.VerifyReferences(wctx, c, g.OrganizationID, append([]pulid.ID{g.ID}, ids...))
	if err != nil {
		return err
	}
	const batch = 1000
	now := clock.Now(wctx)
	for start := 0; start < len(ids); start += batch {
		end := min(start+batch, len(ids))
		bs := make([]*ent.SCIMGroupMemberCreate, 0, end-start)
		for _, u := range ids[start:end] {
			bs = append(bs, c.SCIMGroupMember.Create().SetOrganizationID(g.OrganizationID).
				SetGroupID(g.ID).SetUserID(u).SetCreatedAt(now))
		}
		if err := c.SCIMGroupMember.CreateBulk(bs...).Exec(wctx); err != nil {
			return fmt.Errorf("provision: add members: %w", err)
		}
	}
	return nil
}

// changeMembers writes the member changes, applies the group's grant to
// them and records the audit event. ctx is the caller's (grants are
// decided for its viewer); wctx carries the provisioning decision.
func changeMembers(ctx, wctx context.Context, c *ent.Client, g *ent.SCIMGroupMapping, add, remove []pulid.ID) error {
	if err := insertMembers(wctx, c, g, add); err != nil {
		return err
	}
	if len(remove) > 0 {
		if _, err := c.SCIMGroupMember.Delete().Where(scimgroupmember.GroupID(g.ID), scimgroupmember.UserIDIn(remove...)).Exec(wctx); err != nil {
			return fmt.Errorf("provision: remove members: %w", err)
		}
	}
	if err := grantAll(ctx, c, g, add); err != nil {
		return err
	}
	kept, err := revokeAll(ctx, c, g, remove)
	if err != nil {
		return err
	}
	details := map[string]any{"added": idStrings(add), "removed": idStrings(remove)}
	if len(kept) > 0 {
		details["last_role_kept"] = kept
	}
	return audit.Record(wctx, c, audit.Event{
		Action: GroupMembersChanged, TargetType: "scim_group", TargetID: string(g.ID), Details: details,
	})
}

// grantAll gives users what g grants (those lacking it), in one batch
// through the directory or team operation, whatever their number.
func grantAll(ctx context.Context, c *ent.Client, g *ent.SCIMGroupMapping, users []pulid.ID) error {
	switch {
	case len(users) == 0:
		return nil
	case g.BusinessUnitID != nil:
		return directory.GrantBusinessUnit(ctx, c, *g.BusinessUnitID, users)
	case g.RoleID != nil:
		return team.GrantRole(ctx, c, *g.RoleID, users)
	}
	return nil
}

// revokeAll takes from users what g granted, except from those another
// group they are a member of grants it too, in one batch. It returns the
// users who kept a role because it was their last.
func revokeAll(ctx context.Context, c *ent.Client, g *ent.SCIMGroupMapping, users []pulid.ID) ([]string, error) {
	if len(users) == 0 || (g.BusinessUnitID == nil && g.RoleID == nil) {
		return nil, nil
	}
	var same predicate.SCIMGroupMapping
	if g.BusinessUnitID != nil {
		same = scimgroupmapping.BusinessUnitID(*g.BusinessUnitID)
	} else {
		same = scimgroupmapping.RoleID(*g.RoleID)
	}
	still, err := userIDs(sys(ctx), c.SCIMGroupMember.Query().Where(scimgroupmember.UserIDIn(users...),
		scimgroupmember.GroupIDNEQ(g.ID), scimgroupmember.HasGroupWith(same)))
	if err != nil {
		return nil, fmt.Errorf("provision: revoke: %w", err)
	}
	keep := make(map[pulid.ID]bool, len(still))
	for _, u := range still {
		keep[u] = true
	}
	lose := slices.DeleteFunc(slices.Clone(users), func(u pulid.ID) bool { return keep[u] })
	if len(lose) == 0 {
		return nil, nil
	}
	if g.BusinessUnitID != nil {
		return nil, directory.RevokeBusinessUnit(ctx, c, *g.BusinessUnitID, lose)
	}
	kept, err := team.RevokeRole(ctx, c, *g.RoleID, lose)
	return idStrings(kept), err
}

func uniq(ids []pulid.ID) []pulid.ID {
	seen := map[pulid.ID]bool{}
	var out []pulid.ID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func keys(m map[pulid.ID]bool) []pulid.ID {
	out := make([]pulid.ID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func idStrings(ids []pulid.ID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, string(id))
	}
	return out
}

func idOrNil(id *pulid.ID) any {
	if id == nil {
		return nil
	}
	return string(*id)
}

func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func nonNilStr(s *string) *string {
	if s == nil {
		e := ""
		return &e
	}
	return s
}

func eqStr(a *string, b string) bool {
	if a == nil {
		return b == ""
	}
	return *a == b
}

func eqID(a, b *pulid.ID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// GroupSummary is a group as administrators see it: its mapping and how
// many members it has.
type GroupSummary struct {
	Group        *ent.SCIMGroupMapping
	BusinessUnit *ent.BusinessUnit
	Role         *ent.Role
	MemberCount  int
}

// ListGroupSummaries lists the organization's SCIM groups by name, read
// with the viewer's own read rule (org.settings.manage).
func ListGroupSummaries(ctx context.Context, c *ent.Client) ([]GroupSummary, error) {
	gs, err := c.SCIMGroupMapping.Query().WithBusinessUnit().WithRole().
		Order(ent.Asc(scimgroupmapping.FieldDisplayName)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("provision: list groups: %w", err)
	}
	return summaries(ctx, c, gs)
}

// Summary is one group's GroupSummary.
func Summary(ctx context.Context, c *ent.Client, g *ent.SCIMGroupMapping) (GroupSummary, error) {
	out, err := summaries(ctx, c, []*ent.SCIMGroupMapping{g})
	if err != nil {
		return GroupSummary{}, err
	}
	return out[0], nil
}

func summaries(ctx context.Context, c *ent.Client, gs []*ent.SCIMGroupMapping) ([]GroupSummary, error) {
	out := make([]GroupSummary, len(gs))
	if len(gs) == 0 {
		return out, nil
	}
	ids := make([]pulid.ID, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	var counts []struct {
		GroupID pulid.ID `json:"group_id"`
		Count   int      `json:"count"`
	}
	if err := c.SCIMGroupMember.Query().Where(scimgroupmember.GroupIDIn(ids...)).
		GroupBy(scimgroupmember.FieldGroupID).Aggregate(ent.Count()).Scan(sys(ctx), &counts); err != nil {
		return nil, fmt.Errorf("provision: count members: %w", err)
	}
	n := map[pulid.ID]int{}
	for _, x := range counts {
		n[x.GroupID] = x.Count
	}
	s := sys(ctx)
	for i, g := range gs {
		out[i] = GroupSummary{Group: g, MemberCount: n[g.ID]}
		if g.BusinessUnitID != nil {
			if out[i].BusinessUnit = g.Edges.BusinessUnit; out[i].BusinessUnit == nil {
				out[i].BusinessUnit, _ = c.BusinessUnit.Get(s, *g.BusinessUnitID)
			}
		}
		if g.RoleID != nil {
			if out[i].Role = g.Edges.Role; out[i].Role == nil {
				out[i].Role, _ = c.Role.Get(s, *g.RoleID)
			}
		}
	}
	return out, nil
}
