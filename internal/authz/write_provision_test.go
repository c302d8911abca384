package authz

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// provisionReference: the identity provider pushes groups and members and
// maps nothing; a staff administrator with org.settings.manage maps a
// group of the organization to one unit or one role of it (never the
// owner's role), and pushes nothing.
func provisionReference(v *viewer.Viewer, a Action, t Target, f provisionFacts) apperr.Kind {
	switch a {
	case ProvisionSCIMGroup:
		if v.Kind != viewer.SCIM {
			return apperr.Forbidden
		}
		if t.Row != "" && !f.groupFound {
			return apperr.NotFound
		}
		return ""
	case MapSCIMGroup:
		switch {
		case v.Kind != viewer.User || v.Portal || !v.Privileges[string(OrgSettingsManage)]:
			return apperr.Forbidden
		case !f.groupFound:
			return apperr.NotFound
		case len(t.BusinessUnits) > 0 && len(t.Roles) > 0:
			return apperr.Invalid
		case len(t.BusinessUnits) > 0 && !f.unitFound, len(t.Roles) > 0 && !f.roleFound:
			return apperr.NotFound
		case len(t.Roles) > 0 && f.roleOwner:
			return apperr.Forbidden
		}
		return ""
	}
	return apperr.Forbidden
}

func TestProvisionDecisionMatchesTheReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var v *viewer.Viewer
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			v = &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1"}
		default:
			v = &viewer.Viewer{Kind: viewer.User, OrgID: "org_1", UserID: "usr_me", Privileges: map[string]bool{},
				Portal: rapid.Float64Range(0, 1).Draw(t, "portal") < 0.1}
			for _, p := range rapid.SliceOfDistinct(rapid.SampledFrom(teamPrivs), rapid.ID[string]).Draw(t, "privs") {
				v.Privileges[p] = true
			}
		}
		a := rapid.SampledFrom([]Action{ProvisionSCIMGroup, MapSCIMGroup, SetUserRoles}).Draw(t, "action")
		tg := Target{Row: rapid.SampledFrom([]pulid.ID{"", "sgm_1"}).Draw(t, "row")}
		if rapid.Bool().Draw(t, "unit") {
			tg.BusinessUnits = []pulid.ID{"bun_1"}
		}
		if rapid.Bool().Draw(t, "role") {
			tg.Roles = []pulid.ID{"rol_1"}
		}
		f := provisionFacts{
			groupFound: rapid.Bool().Draw(t, "groupFound"), unitFound: rapid.Bool().Draw(t, "unitFound"),
			roleFound: rapid.Bool().Draw(t, "roleFound"), roleOwner: rapid.Bool().Draw(t, "roleOwner"),
		}
		got := decideProvisionWrite(v, a, tg, f)
		want := provisionReference(v, a, tg, f)
		switch {
		case want == "" && got != nil:
			t.Fatalf("%s refused with %v; the reference allows it", a, got)
		case want != "" && apperr.KindOf(got) != want:
			t.Fatalf("%s answered %v; the reference wants %s", a, got, want)
		}
	})
}

func TestProvisionRefusals(t *testing.T) {
	idp := &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1"}
	admin := &viewer.Viewer{Kind: viewer.User, UserID: "usr_a", Privileges: map[string]bool{string(OrgSettingsManage): true}}
	manager := &viewer.Viewer{Kind: viewer.User, UserID: "usr_m", Privileges: map[string]bool{string(UsersManage): true}}
	found := provisionFacts{groupFound: true, unitFound: true, roleFound: true}
	for _, c := range []struct {
		name string
		v    *viewer.Viewer
		a    Action
		t    Target
		f    provisionFacts
		want apperr.Kind
	}{
		{"the identity provider pushes a group", idp, ProvisionSCIMGroup, Target{}, provisionFacts{}, ""},
		{"the identity provider does not map groups", idp, MapSCIMGroup, Target{Row: "sgm_1", Roles: []pulid.ID{"rol_1"}}, found, apperr.Forbidden},
		{"an administrator does not push groups", admin, ProvisionSCIMGroup, Target{}, found, apperr.Forbidden},
		{"an administrator maps a group to a role", admin, MapSCIMGroup, Target{Row: "sgm_1", Roles: []pulid.ID{"rol_1"}}, found, ""},
		{"a user manager without org.settings.manage does not map", manager, MapSCIMGroup, Target{Row: "sgm_1", Roles: []pulid.ID{"rol_1"}}, found, apperr.Forbidden},
		{"no group grants the owner's role", admin, MapSCIMGroup, Target{Row: "sgm_1", Roles: []pulid.ID{"rol_1"}},
			provisionFacts{groupFound: true, roleFound: true, roleOwner: true}, apperr.Forbidden},
		{"a group of another organization is not found", admin, MapSCIMGroup, Target{Row: "sgm_x"}, provisionFacts{}, apperr.NotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := apperr.KindOf(decideProvisionWrite(c.v, c.a, c.t, c.f)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
