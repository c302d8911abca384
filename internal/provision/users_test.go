package provision_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

func events(c *ent.Client, org pulid.ID, action string) int {
	return c.AuditEvent.Query().Where(auditevent.OrganizationID(org), auditevent.Action(action)).CountX(allow())
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestProvisioningWritesItsEventsAndRevivesRemovedUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(allow())
		owner := c.User.Create().SetOrganizationID(org.ID).SetEmail("owner@acme.test").SetStatus(user.StatusActive).
			SetIsAccountOwner(true).SaveX(allow())
		idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: org.ID})

		ext := "okta-1"
		u, err := provision.Create(idp, c, provision.User{UserName: "Sam@Acme.test", ExternalID: &ext, GivenName: "Sam",
			Enterprise: provision.Enterprise{Department: "Speech"}})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != user.StatusActive || u.Department != "Speech" || events(c, org.ID, provision.ActionProvisioned) != 1 {
			t.Fatalf("created %+v", u)
		}
		if _, err := provision.Create(idp, c, provision.User{UserName: "sam@acme.TEST"}); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("duplicate userName: %v", err)
		}
		if _, err := provision.Update(idp, c, u.ID, provision.User{UserName: "sam@acme.test", ExternalID: &ext, GivenName: "Samuel", Active: no()}); err != nil {
			t.Fatal(err)
		}
		if n := events(c, org.ID, provision.ActionUpdated); n != 1 {
			t.Errorf("%d update events", n)
		}
		if n := events(c, org.ID, directory.ActionSuspended); n != 1 {
			t.Errorf("%d suspension events", n)
		}
		// Nothing changed: no event.
		if _, err := provision.Update(idp, c, u.ID, provision.User{UserName: "sam@acme.test", ExternalID: &ext, GivenName: "Samuel"}); err != nil {
			t.Fatal(err)
		}
		if n := events(c, org.ID, provision.ActionUpdated); n != 1 {
			t.Errorf("%d update events after a no-op", n)
		}
		if err := provision.Remove(idp, c, u.ID); err != nil {
			t.Fatal(err)
		}
		back, err := provision.Create(idp, c, provision.User{UserName: "sam@acme.test", Active: yes()})
		if err != nil {
			t.Fatal(err)
		}
		if back.ID != u.ID || back.Status != user.StatusActive || back.DeletedAt != nil || back.ExternalID != nil || back.Department != "" {
			t.Errorf("revived %+v", back)
		}
		if n := events(c, org.ID, provision.ActionRevived); n != 1 {
			t.Errorf("%d revival events", n)
		}

		// The owner is not provisioned over, nor suspended.
		if _, err := provision.Update(idp, c, owner.ID, provision.User{UserName: "owner@acme.test", GivenName: "X"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("owner update: %v", err)
		}
		// A signed-in administrator does not provision.
		adm := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: owner.ID,
			Privileges: map[string]bool{string(authz.UsersManage): true, string(authz.StaffProfilesManage): true}})
		if _, err := provision.Create(adm, c, provision.User{UserName: "new@acme.test"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("administrator provisioning: %v", err)
		}
		// Another organization's provider does not find the user.
		other := c.Organization.Create().SetName("Other").SetSlug("other").SaveX(allow())
		them := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: other.ID})
		if _, err := provision.Update(them, c, u.ID, provision.User{UserName: "sam@acme.test"}); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("other organization: %v", err)
		}
	})
}
