package authz_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// RequireEach decides a batch of SetUserBusinessUnits or SetUserRoles
// targets as Require decides each alone (loading the facts once): a
// batch is allowed exactly when every target alone is, for an identity
// provider and for administrators with and without the right, and a user
// of another organization is unknown in a batch as alone.
func TestABatchIsDecidedAsEachOfItsTargetsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		other := newFixture(t, db.Client)
		unit, foreignUnit := f.unit(), other.unit()
		mapped, unmapped := f.role(authz.AuditView), f.role(authz.AuditView)
		db.Client.SCIMGroupMapping.Create().SetOrganizationID(f.org.ID).SetDisplayName("Auditors").
			SetTarget("ROLE").SetRoleID(mapped.ID).ExecX(allow())
		owner := f.staff(accountOwner())
		a, b, stranger := f.staff(), f.staff(), other.staff()
		manager := f.staff(withRoles(f.role(authz.UsersManage, authz.ClientsAccessAll)))
		nobody := f.staff(withRoles(f.role(authz.AuditView)))
		viewers := map[string]context.Context{
			"identity provider": viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org.ID}),
		}
		for name, u := range map[string]pulid.ID{"user manager": manager.ID, "user without users.manage": nobody.ID} {
			v, err := viewerFor(context.Background(), db.Client, u)
			if err != nil {
				t.Fatal(err)
			}
			viewers[name] = viewer.NewContext(context.Background(), v)
		}
		type batch struct {
			action  authz.Action
			targets []authz.Target
		}
		units := func(us ...pulid.ID) []pulid.ID { return us }
		batches := map[string]batch{
			"units":               {authz.SetUserBusinessUnits, []authz.Target{{User: a.ID, BusinessUnits: units(unit.ID)}, {User: b.ID, BusinessUnits: units(unit.ID)}}},
			"units taken":         {authz.SetUserBusinessUnits, []authz.Target{{User: a.ID}, {User: b.ID}}},
			"another org's unit":  {authz.SetUserBusinessUnits, []authz.Target{{User: a.ID, BusinessUnits: units(foreignUnit.ID)}, {User: b.ID, BusinessUnits: units(foreignUnit.ID)}}},
			"another org's user":  {authz.SetUserBusinessUnits, []authz.Target{{User: a.ID, BusinessUnits: units(unit.ID)}, {User: stranger.ID, BusinessUnits: units(unit.ID)}}},
			"mapped role":         {authz.SetUserRoles, []authz.Target{{User: a.ID, Roles: units(mapped.ID)}, {User: b.ID, Roles: units(mapped.ID)}}},
			"unmapped role":       {authz.SetUserRoles, []authz.Target{{User: a.ID, Roles: units(mapped.ID)}, {User: b.ID, Roles: units(unmapped.ID)}}},
			"the owner's roles":   {authz.SetUserRoles, []authz.Target{{User: a.ID, Roles: units(mapped.ID)}, {User: owner.ID, Roles: units(mapped.ID)}}},
			"roles of a stranger": {authz.SetUserRoles, []authz.Target{{User: a.ID, Roles: units(mapped.ID)}, {User: stranger.ID, Roles: units(mapped.ID)}}},
		}
		for vname, ctx := range viewers {
			for bname, bt := range batches {
				var alone error
				for _, tg := range bt.targets {
					if _, err := authz.Require(ctx, db.Client, bt.action, tg); err != nil && alone == nil {
						alone = err
					}
				}
				_, together := authz.RequireEach(ctx, db.Client, bt.action, bt.targets)
				if apperr.KindOf(alone) != apperr.KindOf(together) {
					t.Errorf("%s, %s: alone %v, as a batch %v", vname, bname, alone, together)
				}
			}
		}
		if _, err := authz.RequireEach(viewers["user without users.manage"], db.Client, authz.SetUserBusinessUnits,
			batches["units"].targets); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a user without users.manage set units of a batch: %v", err)
		}
	})
}

// Taking the administrator role from the organization's last
// administrators in one batch is refused, though each alone would leave
// the other.
func TestABatchDoesNotTakeTheLastAdministrators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		adm := db.Client.Role.Create().SetOrganizationID(f.org.ID).SetName("Administrator").
			SetBuiltin(role.BuiltinAdministrator).SaveX(allow())
		staff := f.role(authz.AuditView)
		for _, r := range []pulid.ID{adm.ID, staff.ID} {
			db.Client.SCIMGroupMapping.Create().SetOrganizationID(f.org.ID).SetDisplayName(string(r)).
				SetTarget("ROLE").SetRoleID(r).ExecX(allow())
		}
		a, b := f.staff(withRoles(adm, staff)), f.staff(withRoles(adm, staff))
		idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org.ID})
		both := []authz.Target{{User: a.ID, Roles: []pulid.ID{staff.ID}}, {User: b.ID, Roles: []pulid.ID{staff.ID}}}
		for _, tg := range both {
			if _, err := authz.Require(idp, db.Client, authz.SetUserRoles, tg); err != nil {
				t.Fatalf("alone: %v", err)
			}
		}
		if _, err := authz.RequireEach(idp, db.Client, authz.SetUserRoles, both); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("the last administrators' role taken in one batch: %v, want CONFLICT", err)
		}
		if _, err := authz.RequireEach(idp, db.Client, authz.SetUserRoles, both[:1]); err != nil {
			t.Errorf("one of two administrators: %v", err)
		}
	})
}
