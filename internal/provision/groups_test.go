package provision_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A role a mapped group gave is not taken when it is the user's last
// (a staff member holds a role); the group's audit event says so. A
// member who was removed from the organization is skipped.
func TestLeavingAGroupKeepsAUsersLastRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := c.Organization.Create().SetName("p").SetSlug("p").SaveX(allow())
		c.User.Create().SetOrganizationID(org.ID).SetEmail("o@p.test").SetStatus(user.StatusActive).SetIsAccountOwner(true).ExecX(allow())
		nurse := c.Role.Create().SetOrganizationID(org.ID).SetName("Nurse").SetPrivileges([]string{string(authz.AuditView)}).SaveX(allow())
		admin := c.User.Create().SetOrganizationID(org.ID).SetEmail("a@p.test").SetStatus(user.StatusActive).SaveX(allow())
		adminCtx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: admin.ID,
			Privileges: map[string]bool{string(authz.OrgSettingsManage): true, string(authz.UsersManage): true, string(authz.AuditView): true}})
		idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: org.ID})
		u := c.User.Create().SetOrganizationID(org.ID).SetEmail("u@p.test").SetStatus(user.StatusActive).SaveX(allow())
		gone := c.User.Create().SetOrganizationID(org.ID).SetEmail("g@p.test").SetStatus(user.StatusActive).SaveX(allow())

		g, err := provision.CreateGroup(idp, c, provision.GroupInput{DisplayName: "Nurses", Members: []pulid.ID{u.ID, gone.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provision.MapGroup(adminCtx, c, g.ID, nil, &nurse.ID); err != nil {
			t.Fatal(err)
		}
		if ids := c.User.GetX(allow(), u.ID).QueryRoles().IDsX(allow()); len(ids) != 1 || ids[0] != nurse.ID {
			t.Fatalf("roles after mapping: %v", ids)
		}
		c.User.UpdateOne(gone).SetStatus(user.StatusDeleted).ExecX(allow())
		if _, err := provision.PatchGroup(idp, c, g.ID, provision.GroupPatch{Members: []provision.MemberOp{{Kind: provision.RemoveAllMembers}}}); err != nil {
			t.Fatal(err)
		}
		if ids := c.User.GetX(allow(), u.ID).QueryRoles().IDsX(allow()); len(ids) != 1 {
			t.Errorf("the last role was taken: %v", ids)
		}
		ev := c.AuditEvent.Query().Where(auditevent.Action(provision.GroupMembersChanged)).Order(auditevent.ByOccurredAt()).AllX(allow())
		if len(ev) == 0 || ev[len(ev)-1].Details["last_role_kept"] == nil {
			t.Errorf("the kept role is not recorded: %+v", ev)
		}
		// A removed user is not added back.
		if _, err := provision.PatchGroup(idp, c, g.ID, provision.GroupPatch{Members: []provision.MemberOp{{Kind: provision.AddMembers, Users: []pulid.ID{gone.ID}}}}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("adding a removed user: %v", err)
		}
		// Without a viewer nothing is read.
		if _, err := provision.GetGroup(context.Background(), c, g.ID); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("no viewer: %v", err)
		}
	})
}
