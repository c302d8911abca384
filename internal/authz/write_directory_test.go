package authz

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

var directoryActions = []Action{
	EditUserProfile, ChangeUserEmail, SuspendUser, ReactivateUser, RemoveUser, SignOutUser, ResetUserPassword,
	CreateEmployeeUser, EditEmployeeAccess, CreateBusinessUnit, UpdateBusinessUnit, DeleteBusinessUnit, AssignClientBusinessUnit,
	SetUserBusinessUnits, ProvisionUser,
}

// refDirectory is the reference of the directory decision, written as the
// seeds state it: which privilege each action needs, which target must be
// known, and the owner, self and escalation rules. The first applicable
// refusal wins.
func refDirectory(v *viewer.Viewer, a Action, f directoryFacts) apperr.Kind {
	has := func(p Privilege) bool { return !v.Portal && v.Privileges[string(p)] }
	type rule struct {
		applies bool
		refuse  apperr.Kind
	}
	userAction := slices.Contains([]Action{EditUserProfile, ChangeUserEmail, SuspendUser, ReactivateUser, RemoveUser, ResetUserPassword}, a)
	unitAction := slices.Contains([]Action{CreateBusinessUnit, UpdateBusinessUnit, DeleteBusinessUnit}, a)
	handsOutUnheld := false
	for _, p := range f.handed {
		if !refMayHandOut(v, p) {
			handsOutUnheld = true
		}
	}
	scim := v.Kind == viewer.SCIM
	provisions := slices.Contains([]Action{SuspendUser, ReactivateUser, RemoveUser, SetUserBusinessUnits}, a)
	rules := []rule{
		// An identity provider provisions status and units, and never
		// takes the owner out.
		// ... and creates or updates staff users, never the owner.
		{scim && a == ProvisionUser && f.userGiven && !f.userFound, apperr.NotFound},
		{scim && a == ProvisionUser && f.userGiven && f.targetOwner, apperr.Forbidden},
		{scim && a == ProvisionUser, ""},
		{scim && !provisions, apperr.Forbidden},
		{scim && !f.userFound, apperr.NotFound},
		{scim && f.targetOwner && (a == SuspendUser || a == RemoveUser), apperr.Forbidden},
		{scim && !f.unitsFound, apperr.NotFound},
		{scim, ""},

		// Sign out everywhere: the target first (it is one's own or not).
		{a == SignOutUser && !f.userFound, apperr.NotFound},
		{a == SignOutUser && !f.self && !has(UsersManage), apperr.Forbidden},
		{a == SignOutUser, ""},

		{userAction && !has(UsersManage), apperr.Forbidden},
		{userAction && !f.userFound, apperr.NotFound},
		// Nobody suspends or removes themself or the account owner.
		{(a == SuspendUser || a == RemoveUser) && (f.self || f.targetOwner), apperr.Forbidden},
		{a == ReactivateUser && f.self, apperr.Forbidden},
		// The owner's sign-in (email, password) is the owner's.
		{(a == ChangeUserEmail || a == ResetUserPassword) && f.targetOwner && !f.self, apperr.Forbidden},
		{a == ResetUserPassword && f.self, apperr.Forbidden},
		{userAction, ""},

		{a == CreateEmployeeUser && !has(StaffProfilesManage), apperr.Forbidden},
		{a == CreateEmployeeUser && (!f.rowFound || !f.rolesFound), apperr.NotFound},
		{a == CreateEmployeeUser && (f.handedOwnerOnly || handsOutUnheld), apperr.Forbidden},
		{a == CreateEmployeeUser, ""},

		{a == EditEmployeeAccess && !has(StaffProfilesManage), apperr.Forbidden},
		{a == EditEmployeeAccess && !f.userFound, apperr.NotFound},
		{a == EditEmployeeAccess && (f.self || f.targetOwner || handsOutUnheld), apperr.Forbidden},
		{a == EditEmployeeAccess, ""},

		{unitAction && !has(BusinessUnitsManage), apperr.Forbidden},
		{unitAction && a != CreateBusinessUnit && !f.rowFound, apperr.NotFound},
		{unitAction && !f.unitsFound, apperr.NotFound},
		{unitAction, ""},

		{a == AssignClientBusinessUnit && !has(ClientsEdit), apperr.Forbidden},
		{a == AssignClientBusinessUnit && (!f.clientFound || !f.unitsFound), apperr.NotFound},
		{a == AssignClientBusinessUnit, ""},

		{a == SetUserBusinessUnits && !has(UsersManage), apperr.Forbidden},
		{a == SetUserBusinessUnits && (!f.userFound || !f.unitsFound), apperr.NotFound},
		{a == SetUserBusinessUnits && !f.unitsReached, apperr.Forbidden},
		{a == SetUserBusinessUnits, ""},

		// Only an identity provider provisions.
		{a == ProvisionUser, apperr.Forbidden},
	}
	for _, r := range rules {
		if r.applies {
			return r.refuse
		}
	}
	return apperr.Forbidden
}

func TestDirectoryDecisionsFollowTheReference(t *testing.T) {
	privs := []Privilege{UsersManage, StaffProfilesManage, BusinessUnitsManage, ClientsEdit, ReportsView, BillingView, UsersInvite}
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: rapid.SampledFrom([]viewer.Kind{viewer.User, viewer.SCIM}).Draw(t, "kind"),
			Portal: rapid.Bool().Draw(t, "portal"), Privileges: map[string]bool{}}
		for _, p := range privs {
			if rapid.Bool().Draw(t, string(p)) {
				v.Privileges[string(p)] = true
			}
		}
		f := directoryFacts{
			userGiven: rapid.Bool().Draw(t, "userGiven"), userFound: rapid.Bool().Draw(t, "userFound"), self: rapid.Bool().Draw(t, "self"),
			targetOwner: rapid.Bool().Draw(t, "targetOwner"), rowFound: rapid.Bool().Draw(t, "rowFound"),
			clientFound: rapid.Bool().Draw(t, "clientFound"), unitsFound: rapid.Bool().Draw(t, "unitsFound"),
			unitsReached: rapid.Bool().Draw(t, "unitsReached"), rolesFound: rapid.Bool().Draw(t, "rolesFound"),
			handedOwnerOnly: rapid.Bool().Draw(t, "handedOwnerOnly"),
			handed:          rapid.SliceOfDistinct(rapid.SampledFrom([]string{string(ReportsView), string(BillingView), string(UsersManage)}), rapid.ID[string]).Draw(t, "handed"),
		}
		a := rapid.SampledFrom(directoryActions).Draw(t, "action")
		want := refDirectory(v, a, f)
		err := decideDirectoryWrite(v, a, f)
		got := apperr.Kind("")
		if err != nil {
			got = apperr.KindOf(err)
		}
		if got != want {
			t.Fatalf("%s by %+v with %+v: %v (%s), reference %q", a, v.Privileges, f, err, got, want)
		}
	})
}

func TestDirectoryDecisionRefusals(t *testing.T) {
	admin := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{}}
	for _, p := range Catalogue() {
		if !p.OwnerOnly {
			admin.Privileges[string(p.Key)] = true
		}
	}
	portal := &viewer.Viewer{Kind: viewer.User, Portal: true, Privileges: admin.Privileges}
	idp := &viewer.Viewer{Kind: viewer.SCIM}
	found := directoryFacts{userFound: true, rowFound: true, clientFound: true, unitsFound: true, unitsReached: true, rolesFound: true}
	with := func(edit func(*directoryFacts)) directoryFacts { f := found; edit(&f); return f }
	for _, c := range []struct {
		name string
		v    *viewer.Viewer
		a    Action
		f    directoryFacts
		want apperr.Kind
	}{
		{"an administrator suspends another user", admin, SuspendUser, found, ""},
		{"nobody suspends themself", admin, SuspendUser, with(func(f *directoryFacts) { f.self = true }), apperr.Forbidden},
		{"nobody suspends the owner", admin, SuspendUser, with(func(f *directoryFacts) { f.targetOwner = true }), apperr.Forbidden},
		{"nobody removes the owner", admin, RemoveUser, with(func(f *directoryFacts) { f.targetOwner = true }), apperr.Forbidden},
		{"a user of another organization is unknown", admin, RemoveUser, with(func(f *directoryFacts) { f.userFound = false }), apperr.NotFound},
		{"a portal user manages no one", portal, SuspendUser, found, apperr.Forbidden},
		{"an administrator does not reset the owner's password", admin, ResetUserPassword, with(func(f *directoryFacts) { f.targetOwner = true }), apperr.Forbidden},
		{"the owner edits their own email", admin, ChangeUserEmail, with(func(f *directoryFacts) { f.targetOwner = true; f.self = true }), ""},
		{"a tab whose privilege the viewer lacks is not handed out", &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{string(StaffProfilesManage): true}},
			CreateEmployeeUser, with(func(f *directoryFacts) { f.handed = []string{string(ReportsView)} }), apperr.Forbidden},
		{"the owner's role is not handed out", admin, CreateEmployeeUser, with(func(f *directoryFacts) { f.handedOwnerOnly = true }), apperr.Forbidden},
		{"a unit whose clients the viewer does not reach is not given", admin, SetUserBusinessUnits, with(func(f *directoryFacts) { f.unitsReached = false }), apperr.Forbidden},
		{"a client the viewer does not reach is unknown", admin, AssignClientBusinessUnit, with(func(f *directoryFacts) { f.clientFound = false }), apperr.NotFound},
		{"a unit of another organization is unknown", admin, DeleteBusinessUnit, with(func(f *directoryFacts) { f.rowFound = false }), apperr.NotFound},
		{"anyone signs themself out", &viewer.Viewer{Kind: viewer.User}, SignOutUser, with(func(f *directoryFacts) { f.self = true }), ""},
		{"only a user manager signs another out", &viewer.Viewer{Kind: viewer.User}, SignOutUser, found, apperr.Forbidden},
		{"an identity provider creates a user", idp, ProvisionUser, directoryFacts{}, ""},
		{"an identity provider updates a user it finds", idp, ProvisionUser, with(func(f *directoryFacts) { f.userGiven = true }), ""},
		{"an identity provider does not overwrite the owner", idp, ProvisionUser, with(func(f *directoryFacts) { f.userGiven = true; f.targetOwner = true }), apperr.Forbidden},
		{"a user of another organization is unknown to the provider", idp, ProvisionUser, directoryFacts{userGiven: true}, apperr.NotFound},
		{"an administrator does not provision", admin, ProvisionUser, found, apperr.Forbidden},
		{"an identity provider edits no access", idp, EditEmployeeAccess, found, apperr.Forbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := decideDirectoryWrite(c.v, c.a, c.f)
			got := apperr.Kind("")
			if err != nil {
				got = apperr.KindOf(err)
			}
			if got != c.want {
				t.Fatalf("%s: %v, want %q", c.a, err, c.want)
			}
		})
	}
}
