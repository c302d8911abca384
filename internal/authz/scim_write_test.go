package authz_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// An identity provider's SCIM client is decided by the directory concern
// alone: it suspends, reactivates and removes users and sets their units,
// never the account owner's status, and it is refused every action of the
// other concerns and of the core as if it were not signed in.
func TestASCIMClientProvisionsUsersAndNothingElse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		u := f.staff()
		owner := f.staff()
		db.Client.User.UpdateOne(owner).SetIsAccountOwner(true).ExecX(privacy.DecisionContext(context.Background(), privacy.Allow))
		cl := f.client(nil, false)
		idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org.ID})

		for _, a := range []authz.Action{authz.SuspendUser, authz.ReactivateUser, authz.RemoveUser} {
			if _, err := authz.Require(idp, f.c, a, authz.Target{User: u.ID}); err != nil {
				t.Errorf("%s of a user: %v", a, err)
			}
		}
		if _, err := authz.Require(idp, f.c, authz.SuspendUser, authz.Target{User: owner.ID}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("suspending the account owner: %v, want FORBIDDEN", err)
		}
		for a, tg := range map[authz.Action]authz.Target{
			authz.InviteUsers:       {},
			authz.GrantClientAccess: {Client: cl.ID, User: u.ID},
			authz.IssueSCIMToken:    {},
		} {
			if _, err := authz.Require(idp, f.c, a, tg); apperr.KindOf(err) != apperr.Unauthenticated {
				t.Errorf("%s: %v, want UNAUTHENTICATED", a, err)
			}
		}
		// Roles: only those a mapped SCIM group names (write_team.go).
		unmapped := f.role(authz.AuditView)
		if _, err := authz.Require(idp, f.c, authz.SetUserRoles, authz.Target{User: u.ID, Roles: []pulid.ID{unmapped.ID}}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("SetUserRoles with a role no group names: %v, want FORBIDDEN", err)
		}
		db.Client.SCIMGroupMapping.Create().SetOrganizationID(f.org.ID).SetDisplayName("Auditors").
			SetTarget("ROLE").SetRoleID(unmapped.ID).ExecX(privacy.DecisionContext(context.Background(), privacy.Allow))
		if _, err := authz.Require(idp, f.c, authz.SetUserRoles, authz.Target{User: u.ID, Roles: []pulid.ID{unmapped.ID}}); err != nil {
			t.Errorf("SetUserRoles with a role a mapped group names: %v", err)
		}
		if got := db.Client.User.GetX(privacy.DecisionContext(context.Background(), privacy.Allow), u.ID).Status; got != user.StatusActive {
			t.Errorf("a decision alone changed the user: %s", got)
		}
	})
}
