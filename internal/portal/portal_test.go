package portal_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/portal"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// manager returns a context signed in as a staff user holding privs, who
// reaches every client, and a client of the organization.
func manager(t *testing.T, c *ent.Client, privs ...authz.Privilege) (context.Context, *ent.Patient) {
	t.Helper()
	org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(allow())
	u := c.User.Create().SetOrganizationID(org.ID).SetEmail("m@acme.test").SetDisplayName("M").
		SetStatus(user.StatusActive).SaveX(allow())
	cl := c.Patient.Create().SetOrganizationID(org.ID).SetGivenName("Ada").SetFamilyName("L").SaveX(allow())
	v := &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: org.ID, UserID: u.ID,
		Privileges: map[string]bool{string(authz.ClientsAccessAll): true}}
	for _, p := range privs {
		v.Privileges[string(p)] = true
	}
	return viewer.NewContext(context.Background(), v), cl
}

func recipients(t *testing.T, c *ent.Client, cl *ent.Patient) []*ent.PortalAccess {
	t.Helper()
	return c.PortalAccess.Query().Where(portalaccess.ClientID(cl.ID), portalaccess.AlertRecipient(true)).
		AllX(viewer.ForSystem(context.Background(), cl.OrganizationID))
}

func TestAClientWithPortalUsersHasExactlyOneAlertRecipient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cl := manager(t, db.Client, authz.PortalManage)
		var links []*ent.PortalAccess
		for i, email := range []string{"mum@x.test", "dad@x.test", "gran@x.test"} {
			a, err := portal.AddUser(ctx, db.Client, portal.AddInput{ClientID: cl.ID, Email: email, AlertRecipient: i == 2})
			if err != nil {
				t.Fatal(err)
			}
			links = append(links, a.Access)
			want := links[0].ID
			if i == 2 {
				want = a.Access.ID
			}
			if rs := recipients(t, db.Client, cl); len(rs) != 1 || rs[0].ID != want {
				t.Fatalf("after adding %s: recipients %v, want %s", email, rs, want)
			}
		}
		if _, err := portal.SetAlertRecipient(ctx, db.Client, links[1].ID); err != nil {
			t.Fatal(err)
		}
		// Removing the recipient moves the flag to the oldest remaining link.
		for _, step := range []struct{ remove, next *ent.PortalAccess }{{links[1], links[0]}, {links[0], links[2]}} {
			if _, err := portal.Remove(ctx, db.Client, step.remove.ID); err != nil {
				t.Fatal(err)
			}
			if rs := recipients(t, db.Client, cl); len(rs) != 1 || rs[0].ID != step.next.ID {
				t.Fatalf("after removing %s: recipients %v, want %s", step.remove.ID, rs, step.next.ID)
			}
		}
		if _, err := portal.Remove(ctx, db.Client, links[2].ID); err != nil {
			t.Fatal(err)
		}
		if rs := recipients(t, db.Client, cl); len(rs) != 0 {
			t.Fatalf("no portal users, recipients %v", rs)
		}
	})
}

func TestPortalOperationsNeedThePortalPrivilege(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cl := manager(t, db.Client)
		if _, err := portal.AddUser(ctx, db.Client, portal.AddInput{ClientID: cl.ID, Email: "mum@x.test"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("AddUser without portal.manage: %v", err)
		}
		if _, err := portal.AddContact(ctx, db.Client, cl.ID, portal.ContactInput{Name: "Mum"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("AddContact without clients.edit: %v", err)
		}
	})
}
