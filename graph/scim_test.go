package graph_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const (
	scimGroupsQ = `{ scimGroups { id displayName externalId target memberCount role { name } businessUnit { name } } }`
	mapScimQ    = `mutation($in: MapScimGroupInput!) { mapScimGroup(input: $in) { scimGroup { id target memberCount role { name } businessUnit { name } } } }`
	unmapScimQ  = `mutation($in: UnmapScimGroupInput!) { unmapScimGroup(input: $in) { scimGroup { id target } } }`
)

type scimGroupsFixture struct {
	org          pulid.ID
	admin, clerk *viewer.Viewer
	member       *ent.User
	nurse        *ent.Role
	owner        *ent.Role
	unit         *ent.BusinessUnit
	group        pulid.ID
}

func newScimGroupsFixture(t *testing.T, c *ent.Client, slug string) scimGroupsFixture {
	org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(allowCtx())
	var f scimGroupsFixture
	f.org = org.ID
	adminRole := addRole(t, c, org.ID, "Admins", authz.OrgSettingsManage, authz.UsersManage, authz.ClientsAccessAll, authz.AuditView)
	clerkRole := addRole(t, c, org.ID, "Clerks", authz.UsersManage)
	base := addRole(t, c, org.ID, "Staff")
	f.nurse = addRole(t, c, org.ID, "Nurse", authz.AuditView)
	f.owner = c.Role.Create().SetOrganizationID(org.ID).SetName("Owner").SetBuiltin("ACCOUNT_OWNER").SaveX(allowCtx())
	f.unit = c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("North").SaveX(allowCtx())
	c.User.Create().SetOrganizationID(org.ID).SetEmail("owner@" + slug + ".test").SetStatus(user.StatusActive).
		SetIsAccountOwner(true).ExecX(allowCtx())
	f.admin = viewerOf(t, c, addUser(t, c, org.ID, "admin@"+slug+".test", user.KindStaff, adminRole))
	f.clerk = viewerOf(t, c, addUser(t, c, org.ID, "clerk@"+slug+".test", user.KindStaff, clerkRole))
	f.member = addUser(t, c, org.ID, "m@"+slug+".test", user.KindStaff, base)
	idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: org.ID})
	g, err := provision.CreateGroup(idp, c, provision.GroupInput{DisplayName: "Nurses", Members: []pulid.ID{f.member.ID}})
	if err != nil {
		t.Fatal(err)
	}
	f.group = g.ID
	return f
}

func TestAdministratorsMapScimGroupsToRolesAndUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		f := newScimGroupsFixture(t, c, "scimmap")
		r := gqlDo(t, db, f.admin, scimGroupsQ, nil)
		wantCodes(t, r)
		var list []struct {
			ID          pulid.ID
			Target      *string
			MemberCount int
		}
		dataField(t, r, "scimGroups", &list)
		if len(list) != 1 || list[0].ID != f.group || list[0].Target != nil || list[0].MemberCount != 1 {
			t.Fatalf("scimGroups = %+v", list)
		}

		r = gqlDo(t, db, f.admin, mapScimQ, map[string]any{"in": map[string]any{"groupId": f.group, "roleId": f.nurse.ID}})
		wantCodes(t, r)
		var mapped struct {
			ScimGroup struct {
				Target string
				Role   struct{ Name string }
			}
		}
		dataField(t, r, "mapScimGroup", &mapped)
		if mapped.ScimGroup.Target != "ROLE" || mapped.ScimGroup.Role.Name != "Nurse" {
			t.Fatalf("mapped = %+v", mapped)
		}
		// The current member holds the role in the same transaction, seen
		// by a viewer loaded afresh.
		if v := viewerOf(t, c, f.member); !v.Has(string(authz.AuditView)) {
			t.Fatalf("the member lacks the mapped role's privilege: %v", v.Privileges)
		}
		// Remapped to a unit: the role goes, the unit comes.
		r = gqlDo(t, db, f.admin, mapScimQ, map[string]any{"in": map[string]any{"groupId": f.group, "businessUnitId": f.unit.ID}})
		wantCodes(t, r)
		v := viewerOf(t, c, f.member)
		if v.Has(string(authz.AuditView)) || len(v.BusinessUnitIDs) != 1 || v.BusinessUnitIDs[0] != f.unit.ID {
			t.Fatalf("after remapping: privileges %v units %v", v.Privileges, v.BusinessUnitIDs)
		}
		r = gqlDo(t, db, f.admin, unmapScimQ, map[string]any{"in": map[string]any{"groupId": f.group}})
		wantCodes(t, r)
		if v := viewerOf(t, c, f.member); len(v.BusinessUnitIDs) != 0 {
			t.Fatalf("unmapping left the unit: %v", v.BusinessUnitIDs)
		}
		sys := sysCtx(f.org)
		for _, a := range []string{provision.GroupMapped, provision.GroupUnmapped} {
			if n := c.AuditEvent.Query().Where(auditevent.Action(a), auditevent.ActorID(f.admin.UserID)).CountX(sys); n == 0 {
				t.Errorf("no %s event by the administrator", a)
			}
		}
	})
}

func TestScimGroupMappingRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		f := newScimGroupsFixture(t, c, "scimref")
		other := newScimGroupsFixture(t, c, "scimref-other")
		in := func(m map[string]any) map[string]any { return map[string]any{"in": m} }
		// Without org.settings.manage: refused, the list too.
		wantCodes(t, gqlDo(t, db, f.clerk, mapScimQ, in(map[string]any{"groupId": f.group, "roleId": f.nurse.ID})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, f.clerk, unmapScimQ, in(map[string]any{"groupId": f.group})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, f.clerk, scimGroupsQ, nil), "FORBIDDEN")
		// The owner's role is granted by no group.
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": f.group, "roleId": f.owner.ID})), "FORBIDDEN")
		// Exactly one target.
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": f.group, "roleId": f.nurse.ID, "businessUnitId": f.unit.ID})), "BAD_USER_INPUT")
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": f.group})), "BAD_USER_INPUT")
		// Another organization's group, role or unit is not found.
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": other.group, "roleId": f.nurse.ID})), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": f.group, "roleId": other.nurse.ID})), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, f.admin, mapScimQ, in(map[string]any{"groupId": f.group, "businessUnitId": other.unit.ID})), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, f.admin, unmapScimQ, in(map[string]any{"groupId": "sgm_01AAAAAAAAAAAAAAAAAAAAAAAA"})), "NOT_FOUND")
		// Nothing changed.
		if v := viewerOf(t, c, f.member); v.Has(string(authz.AuditView)) || len(v.BusinessUnitIDs) != 0 {
			t.Errorf("a refused mapping changed the member")
		}
	})
}
