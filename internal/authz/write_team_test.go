package authz

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The team decision held against a reference model written from the rules
// as the product states them (DOMAIN.md, seed 004), case by case.

var teamPrivs = []string{
	string(RolesManage), string(UsersManage), string(OrgSettingsManage),
	string(BillingView), string(SessionsManageOwn), string(AuditView), string(OrgDelete),
}

var teamRoleIDs = []pulid.ID{"rol_a", "rol_b", "rol_c", "rol_d"}

func genTeamRole(t *rapid.T, label string) teamRole {
	builtin := rapid.SampledFrom([]string{"", "", builtinAdmin, builtinOwner, "CLINICIAN"}).Draw(t, label+".builtin")
	return teamRole{builtin: builtin, privileges: rapid.SliceOfDistinct(rapid.SampledFrom(teamPrivs), rapid.ID[string]).Draw(t, label+".privs")}
}

// teamReference says what a decision must answer: "" (allowed) or the
// error kind.
func teamReference(v *viewer.Viewer, a Action, t Target, f teamFacts) apperr.Kind {
	holdsAll := func(ps []string) bool {
		for _, p := range ps {
			if !v.Privileges[p] {
				return false
			}
		}
		return true
	}
	// What may be given to others; one's own privileges need holdsAll.
	handsOut := func(ps []string) bool {
		for _, p := range ps {
			if !refMayHandOut(v, p) {
				return false
			}
		}
		return true
	}
	if v.Kind == viewer.SCIM {
		return scimTeamReference(a, t, f)
	}
	if v.Portal {
		return apperr.Forbidden
	}
	switch a {
	case CreateRole:
		if !v.Privileges[string(RolesManage)] || !handsOut(t.Privileges) {
			return apperr.Forbidden
		}
	case EditRole, DeleteRole:
		switch {
		case !v.Privileges[string(RolesManage)]:
			return apperr.Forbidden
		case f.role == nil:
			return apperr.NotFound
		case f.role.builtin == builtinOwner, !handsOut(t.Privileges):
			return apperr.Forbidden
		case slices.Contains(v.RoleIDs, t.Row) && !holdsAll(t.Privileges):
			return apperr.Forbidden
		}
	case SetUserRoles:
		if !v.Privileges[string(UsersManage)] {
			return apperr.Forbidden
		}
		if !f.userFound {
			return apperr.NotFound
		}
		for _, id := range t.Roles {
			if _, ok := f.handedRoles[id]; !ok {
				return apperr.NotFound
			}
		}
		if f.userIsOwner && t.User != v.UserID {
			return apperr.Forbidden
		}
		// Every role whose membership changes, either way.
		for _, id := range teamRoleIDs {
			_, before := f.currentRoles[id]
			after := slices.Contains(t.Roles, id)
			if before == after {
				continue
			}
			r := f.currentRoles[id]
			if after {
				r = f.handedRoles[id]
			}
			if r.builtin == builtinOwner || (t.User == v.UserID && !holdsAll(r.privileges)) || !handsOut(r.privileges) {
				return apperr.Forbidden
			}
		}
		admin := f.userActive && f.userIsOwner
		for _, id := range t.Roles {
			b := f.handedRoles[id].builtin
			admin = admin || (f.userActive && f.userStaff && (b == builtinAdmin || b == builtinOwner))
		}
		if f.otherAdmins+boolInt(admin) < 1 {
			return apperr.Conflict
		}
	case TransferOwnership:
		if !f.viewerIsOwner {
			return apperr.Forbidden
		}
		if !f.userFound {
			return apperr.NotFound
		}
	case ChangeTeamSettings:
		if !v.Privileges[string(OrgSettingsManage)] {
			return apperr.Forbidden
		}
		for _, id := range t.Roles {
			r, ok := f.handedRoles[id]
			if !ok {
				return apperr.NotFound
			}
			if r.builtin == builtinOwner && !f.viewerIsOwner {
				return apperr.Forbidden
			}
		}
	}
	return ""
}

// scimTeamReference: an identity provider sets a user's roles only by
// giving and taking roles a mapped SCIM group names, never the owner's
// role, a role holding an owner-only privilege or the owner's roles, and
// the last administrator stays; nothing else of the team is its to do.
func scimTeamReference(a Action, t Target, f teamFacts) apperr.Kind {
	if a != SetUserRoles {
		return apperr.Forbidden
	}
	if !f.userFound {
		return apperr.NotFound
	}
	for _, id := range t.Roles {
		if _, ok := f.handedRoles[id]; !ok {
			return apperr.NotFound
		}
	}
	if f.userIsOwner {
		return apperr.Forbidden
	}
	for _, id := range teamRoleIDs {
		_, before := f.currentRoles[id]
		after := slices.Contains(t.Roles, id)
		if before == after {
			continue
		}
		r := f.currentRoles[id]
		if after {
			r = f.handedRoles[id]
		}
		if r.builtin == builtinOwner || !f.groupRoles[id] {
			return apperr.Forbidden
		}
		for _, p := range r.privileges {
			if OwnerOnlyPrivilege(p) {
				return apperr.Forbidden
			}
		}
	}
	admin := false
	for _, id := range t.Roles {
		b := f.handedRoles[id].builtin
		admin = admin || (f.userActive && f.userStaff && (b == builtinAdmin || b == builtinOwner))
	}
	if f.otherAdmins+boolInt(admin) < 1 {
		return apperr.Conflict
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestTeamDecisionMatchesTheReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: viewer.User, OrgID: "org_1", UserID: "usr_me", Privileges: map[string]bool{},
			Portal: rapid.Float64Range(0, 1).Draw(t, "portalDraw") < 0.1}
		for _, p := range rapid.SliceOfDistinct(rapid.SampledFrom(teamPrivs), rapid.ID[string]).Draw(t, "viewerPrivs") {
			v.Privileges[p] = true
		}
		v.RoleIDs = rapid.SliceOfDistinct(rapid.SampledFrom(teamRoleIDs), rapid.ID[pulid.ID]).Draw(t, "viewerRoles")
		if rapid.Float64Range(0, 1).Draw(t, "scimDraw") < 0.25 {
			// An identity provider's SCIM client: no user, no privileges.
			v = &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1"}
		}
		a := rapid.SampledFrom([]Action{CreateRole, EditRole, DeleteRole, SetUserRoles, TransferOwnership, ChangeTeamSettings}).Draw(t, "action")
		tg := Target{
			Row:        rapid.SampledFrom(teamRoleIDs).Draw(t, "row"),
			User:       rapid.SampledFrom([]pulid.ID{"usr_me", "usr_other"}).Draw(t, "user"),
			Roles:      rapid.SliceOfDistinct(rapid.SampledFrom(teamRoleIDs), rapid.ID[pulid.ID]).Draw(t, "roles"),
			Privileges: rapid.SliceOfDistinct(rapid.SampledFrom(teamPrivs), rapid.ID[string]).Draw(t, "privs"),
		}
		f := teamFacts{
			viewerIsOwner: rapid.Bool().Draw(t, "viewerIsOwner"),
			userFound:     rapid.Bool().Draw(t, "userFound"),
			userStaff:     rapid.Bool().Draw(t, "userStaff"),
			userActive:    rapid.Bool().Draw(t, "userActive"),
			userIsOwner:   rapid.Bool().Draw(t, "userIsOwner"),
			otherAdmins:   rapid.IntRange(0, 2).Draw(t, "otherAdmins"),
			currentRoles:  map[pulid.ID]teamRole{},
			handedRoles:   map[pulid.ID]teamRole{},
			groupRoles:    map[pulid.ID]bool{},
		}
		for _, id := range rapid.SliceOfDistinct(rapid.SampledFrom(teamRoleIDs), rapid.ID[pulid.ID]).Draw(t, "groupRoles") {
			f.groupRoles[id] = true
		}
		if rapid.Bool().Draw(t, "roleFound") {
			r := genTeamRole(t, "row")
			f.role = &r
		}
		// One organization: a role has the same builtin and privileges
		// whether the user holds it or it is handed out.
		for _, id := range teamRoleIDs {
			r := genTeamRole(t, string(id))
			if rapid.Bool().Draw(t, string(id)+".held") {
				f.currentRoles[id] = r
			}
			if rapid.Float64Range(0, 1).Draw(t, string(id)+".inOrg") < 0.9 {
				f.handedRoles[id] = r
			}
		}
		got := decideTeamWrite(v, a, tg, f)
		want := teamReference(v, a, tg, f)
		switch {
		case want == "" && got != nil:
			t.Fatalf("%s refused with %v; the reference allows it", a, got)
		case want != "" && apperr.KindOf(got) != want:
			t.Fatalf("%s answered %v; the reference wants %s", a, got, want)
		}
	})
}

func TestTeamRefusals(t *testing.T) {
	admin := &viewer.Viewer{Kind: viewer.User, UserID: "usr_admin", Privileges: map[string]bool{
		string(RolesManage): true, string(UsersManage): true, string(OrgSettingsManage): true,
	}}
	viewerOnly := &viewer.Viewer{Kind: viewer.User, UserID: "usr_viewer", Privileges: map[string]bool{string(AuditView): true}}
	clinician := teamRole{builtin: "CLINICIAN", privileges: []string{string(SessionsManageOwn)}}
	adminRole := teamRole{builtin: builtinAdmin, privileges: []string{string(RolesManage), string(UsersManage)}}
	ownerRole := teamRole{builtin: builtinOwner}
	cases := []struct {
		name string
		v    *viewer.Viewer
		a    Action
		t    Target
		f    teamFacts
		want apperr.Kind
	}{
		{"a viewer without roles.manage does not create a role", viewerOnly, CreateRole, Target{}, teamFacts{}, apperr.Forbidden},
		{"a role manager does not create a role holding a privilege they lack", admin, CreateRole,
			Target{Privileges: []string{string(AuditView)}}, teamFacts{}, apperr.Forbidden},
		{"a role manager without users.manage does not create a role with a job function they lack", &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{string(RolesManage): true}}, CreateRole,
			Target{Privileges: []string{string(BillingView)}}, teamFacts{}, apperr.Forbidden},
		{"an administrator does not add a job function to a role they hold", &viewer.Viewer{Kind: viewer.User, UserID: "usr_admin", RoleIDs: []pulid.ID{"rol_a"}, Privileges: map[string]bool{
			string(RolesManage): true, string(UsersManage): true}}, EditRole,
			Target{Row: "rol_a", Privileges: []string{string(RolesManage), string(UsersManage), string(SessionsManageOwn)}},
			teamFacts{role: &adminRole}, apperr.Forbidden},
		{"an administrator does not give themself the clinician role", admin, SetUserRoles,
			Target{User: "usr_admin", Roles: []pulid.ID{"rol_a", "rol_c"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1,
				currentRoles: map[pulid.ID]teamRole{"rol_a": adminRole}, handedRoles: map[pulid.ID]teamRole{"rol_a": adminRole, "rol_c": clinician}}, apperr.Forbidden},
		{"an administrator gives another user the clinician role", admin, SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_c"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1,
				currentRoles: map[pulid.ID]teamRole{}, handedRoles: map[pulid.ID]teamRole{"rol_c": clinician}}, ""},
		{"nobody edits the account owner's role", admin, EditRole, Target{Row: "rol_o"},
			teamFacts{role: &ownerRole}, apperr.Forbidden},
		{"a role of another organization is not found", admin, EditRole, Target{Row: "rol_x"}, teamFacts{}, apperr.NotFound},
		{"a user manager does not hand out a role holding a privilege they lack", admin, SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_d"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1,
				currentRoles: map[pulid.ID]teamRole{}, handedRoles: map[pulid.ID]teamRole{"rol_d": {privileges: []string{string(AuditView)}}}}, apperr.Forbidden},
		{"an administrator does not change the owner's roles", admin, SetUserRoles,
			Target{User: "usr_owner", Roles: []pulid.ID{"rol_o", "rol_a"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, userIsOwner: true, otherAdmins: 1,
				currentRoles: map[pulid.ID]teamRole{"rol_o": ownerRole}, handedRoles: map[pulid.ID]teamRole{"rol_o": ownerRole, "rol_a": adminRole}}, apperr.Forbidden},
		{"the account owner's role is not assigned", admin, SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_o"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1,
				currentRoles: map[pulid.ID]teamRole{}, handedRoles: map[pulid.ID]teamRole{"rol_o": ownerRole}}, apperr.Forbidden},
		{"the last administrator keeps the administrator role", admin, SetUserRoles,
			Target{User: "usr_admin", Roles: []pulid.ID{"rol_x"}},
			teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 0,
				currentRoles: map[pulid.ID]teamRole{"rol_a": adminRole}, handedRoles: map[pulid.ID]teamRole{"rol_x": {}}}, apperr.Conflict},
		{"an administrator does not transfer ownership", admin, TransferOwnership, Target{User: "usr_u"},
			teamFacts{userFound: true}, apperr.Forbidden},
		{"an administrator does not change the owner role's policies", admin, ChangeTeamSettings,
			Target{Roles: []pulid.ID{"rol_o"}}, teamFacts{handedRoles: map[pulid.ID]teamRole{"rol_o": ownerRole}}, apperr.Forbidden},
		{"a viewer without org.settings.manage does not change settings", viewerOnly, ChangeTeamSettings, Target{}, teamFacts{}, apperr.Forbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := apperr.KindOf(decideTeamWrite(c.v, c.a, c.t, c.f)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	// Taking the administrator role from the only non-owner administrator
	// is fine while the owner (an administrator too) remains.
	err := decideTeamWrite(admin, SetUserRoles, Target{User: "usr_u", Roles: []pulid.ID{"rol_x"}},
		teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1,
			currentRoles: map[pulid.ID]teamRole{"rol_a": adminRole}, handedRoles: map[pulid.ID]teamRole{"rol_x": {}}})
	if err != nil {
		t.Fatalf("removing an administrator while the owner remains: %v", err)
	}
}

func TestSCIMTeamRefusals(t *testing.T) {
	idp := &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1"}
	nurse := teamRole{builtin: "", privileges: []string{string(SessionsManageOwn)}}
	adminRole := teamRole{builtin: builtinAdmin, privileges: []string{string(RolesManage), string(UsersManage)}}
	ownerRole := teamRole{builtin: builtinOwner}
	ownerOnly := teamRole{privileges: []string{string(OrgDelete)}}
	facts := func(current map[pulid.ID]teamRole, mapped ...pulid.ID) teamFacts {
		f := teamFacts{userFound: true, userStaff: true, userActive: true, otherAdmins: 1, currentRoles: current,
			handedRoles: map[pulid.ID]teamRole{"rol_n": nurse, "rol_a": adminRole, "rol_o": ownerRole, "rol_x": ownerOnly},
			groupRoles:  map[pulid.ID]bool{}}
		for _, id := range mapped {
			f.groupRoles[id] = true
		}
		return f
	}
	cases := []struct {
		name string
		a    Action
		t    Target
		f    teamFacts
		want apperr.Kind
	}{
		{"the identity provider gives a role a mapped group names", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_n"}}, facts(map[pulid.ID]teamRole{}, "rol_n"), ""},
		{"the identity provider does not give a role no group names", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_n"}}, facts(map[pulid.ID]teamRole{}), apperr.Forbidden},
		{"the identity provider does not take a role no group names", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_n"}}, facts(map[pulid.ID]teamRole{"rol_n": nurse, "rol_a": adminRole}, "rol_n"), apperr.Forbidden},
		{"the identity provider never gives the owner's role", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_o"}}, facts(map[pulid.ID]teamRole{}, "rol_o"), apperr.Forbidden},
		{"the identity provider never gives an owner-only privilege", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_x"}}, facts(map[pulid.ID]teamRole{}, "rol_x"), apperr.Forbidden},
		{"the identity provider does not change the owner's roles", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_n"}}, func() teamFacts {
				f := facts(map[pulid.ID]teamRole{}, "rol_n")
				f.userIsOwner = true
				return f
			}(), apperr.Forbidden},
		{"the identity provider does not take the last administrator's role", SetUserRoles,
			Target{User: "usr_u", Roles: []pulid.ID{"rol_n"}}, func() teamFacts {
				f := facts(map[pulid.ID]teamRole{"rol_a": adminRole, "rol_n": nurse}, "rol_a", "rol_n")
				f.otherAdmins = 0
				return f
			}(), apperr.Conflict},
		{"the identity provider does not create roles", CreateRole, Target{}, teamFacts{}, apperr.Forbidden},
		{"the identity provider does not transfer ownership", TransferOwnership, Target{User: "usr_u"}, teamFacts{userFound: true}, apperr.Forbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := apperr.KindOf(decideTeamWrite(idp, c.a, c.t, c.f)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
