package authz

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ssoReference: only a staff user with org.settings.manage manages or
// tests connections; a named connection must be the organization's (a
// test always names one); every role and unit handed out must be the
// organization's, and never the owner's role.
func ssoReference(v *viewer.Viewer, a Action, t Target, f ssoFacts) apperr.Kind {
	switch {
	case a != ManageSSOConnection && a != TestSSOConnection:
		return apperr.Forbidden
	case v.Kind != viewer.User || v.Portal || !v.Privileges[string(OrgSettingsManage)]:
		return apperr.Forbidden
	case a == TestSSOConnection && !f.connectionFound:
		return apperr.NotFound
	case t.Row != "" && !f.connectionFound:
		return apperr.NotFound
	case !f.rolesFound || !f.unitsFound:
		return apperr.NotFound
	case f.roleOwner:
		return apperr.Forbidden
	}
	return ""
}

func TestSSODecisionMatchesTheReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var v *viewer.Viewer
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0:
			v = &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1"}
		default:
			v = &viewer.Viewer{Kind: viewer.User, OrgID: "org_1", UserID: "usr_me", Privileges: map[string]bool{},
				Portal: rapid.Float64Range(0, 1).Draw(t, "portal") < 0.1}
			for _, p := range rapid.SliceOfDistinct(rapid.SampledFrom(teamPrivs), rapid.ID[string]).Draw(t, "privs") {
				v.Privileges[p] = true
			}
		}
		a := rapid.SampledFrom([]Action{ManageSSOConnection, TestSSOConnection, MapSCIMGroup}).Draw(t, "action")
		tg := Target{Row: rapid.SampledFrom([]pulid.ID{"", "sso_1"}).Draw(t, "row")}
		f := ssoFacts{
			connectionFound: rapid.Bool().Draw(t, "connectionFound"), rolesFound: rapid.Bool().Draw(t, "rolesFound"),
			unitsFound: rapid.Bool().Draw(t, "unitsFound"), roleOwner: rapid.Bool().Draw(t, "roleOwner"),
		}
		got := decideSSOWrite(v, a, tg, f)
		want := ssoReference(v, a, tg, f)
		switch {
		case want == "" && got != nil:
			t.Fatalf("%s refused with %v; the reference allows it", a, got)
		case want != "" && apperr.KindOf(got) != want:
			t.Fatalf("%s answered %v; the reference wants %s", a, got, want)
		}
	})
}

func TestSSORefusals(t *testing.T) {
	admin := &viewer.Viewer{Kind: viewer.User, UserID: "usr_a", Privileges: map[string]bool{string(OrgSettingsManage): true}}
	manager := &viewer.Viewer{Kind: viewer.User, UserID: "usr_m", Privileges: map[string]bool{string(UsersManage): true}}
	portal := &viewer.Viewer{Kind: viewer.User, UserID: "usr_p", Portal: true, Privileges: map[string]bool{string(OrgSettingsManage): true}}
	found := ssoFacts{connectionFound: true, rolesFound: true, unitsFound: true}
	for _, c := range []struct {
		name string
		v    *viewer.Viewer
		a    Action
		t    Target
		f    ssoFacts
		want apperr.Kind
	}{
		{"an administrator creates a connection", admin, ManageSSOConnection, Target{}, found, ""},
		{"an administrator changes a connection", admin, ManageSSOConnection, Target{Row: "sso_1"}, found, ""},
		{"a user manager without org.settings.manage does not", manager, ManageSSOConnection, Target{}, found, apperr.Forbidden},
		{"a portal user does not", portal, ManageSSOConnection, Target{}, found, apperr.Forbidden},
		{"a connection of another organization is not found", admin, ManageSSOConnection, Target{Row: "sso_x"}, ssoFacts{rolesFound: true, unitsFound: true}, apperr.NotFound},
		{"testing names a connection", admin, TestSSOConnection, Target{}, ssoFacts{rolesFound: true, unitsFound: true}, apperr.NotFound},
		{"a role of another organization is not found", admin, ManageSSOConnection, Target{Roles: []pulid.ID{"rol_x"}}, ssoFacts{unitsFound: true}, apperr.NotFound},
		{"no connection grants the owner's role", admin, ManageSSOConnection, Target{Roles: []pulid.ID{"rol_o"}}, ssoFacts{rolesFound: true, unitsFound: true, roleOwner: true}, apperr.Forbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := apperr.KindOf(decideSSOWrite(c.v, c.a, c.t, c.f)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	if !StepUpRequired(ManageSSOConnection) {
		t.Fatal("managing SSO connections must need a recent second factor")
	}
}
