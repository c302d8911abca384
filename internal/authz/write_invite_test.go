package authz

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// refInvite is the reference of the invitation decisions, written from
// seed 000 and DOMAIN.md: "" (allowed), FORBIDDEN or NOT_FOUND.
func refInvite(v *viewer.Viewer, a Action, f inviteFacts) apperr.Kind {
	has := func(p Privilege) bool { return v.Privileges[string(p)] }
	manager := has(UsersInvite) || has(UsersManage)
	if v.Portal {
		return apperr.Forbidden
	}
	switch a {
	case ViewSeats:
		if has(OrgSettingsManage) || has(UsersManage) {
			return ""
		}
		return apperr.Forbidden
	case ResendInvitation, RevokeInvitation:
		switch {
		case !manager && !has(ClientsShare):
			return apperr.Forbidden
		case !f.rowFound:
			return apperr.NotFound
		case manager:
			return ""
		case f.ownRow && f.rowReached:
			return ""
		}
		return apperr.NotFound
	case InviteUsers:
		// The way in: the settings page for managers; a client's page
		// (reached) for managers and sharers.
		if !f.fromClientPage && !manager {
			return apperr.Forbidden
		}
		if f.fromClientPage && !manager && !has(ClientsShare) {
			return apperr.Forbidden
		}
		if f.fromClientPage && !(f.pageClient.found && f.pageClient.reached) {
			return apperr.NotFound
		}
		// Every handed-out thing exists and is no more than the inviter's.
		handed := map[string]bool{}
		for _, r := range f.roles {
			if !r.found {
				return apperr.NotFound
			}
			for _, p := range r.privileges {
				handed[p] = true
			}
		}
		for p := range handed {
			if !refMayHandOut(v, p) {
				return apperr.Forbidden
			}
		}
		for _, cl := range slices.Concat(f.clients, f.profiles) {
			if !cl.found || !cl.reached {
				return apperr.NotFound
			}
		}
		for _, u := range f.units {
			if !u.found {
				return apperr.NotFound
			}
			if !u.clientsReached || (handed[string(StaffProfilesAccessPrimaryBusinessUnit)] && !u.profilesReached) {
				return apperr.Forbidden
			}
		}
		return ""
	}
	return "unknown action"
}

func TestInviteDecisionsFollowTheReference(t *testing.T) {
	privs := []Privilege{UsersInvite, UsersManage, ClientsShare, OrgSettingsManage, ClientsAccessAll,
		ClientsAccessBusinessUnit, StaffProfilesAccessPrimaryBusinessUnit, BillingView, OrgDelete}
	actions := []Action{InviteUsers, ResendInvitation, RevokeInvitation, ViewSeats}
	reach := func(t *rapid.T, label string) reachFact {
		return reachFact{found: rapid.Bool().Draw(t, label+".found"), reached: rapid.Bool().Draw(t, label+".reached")}
	}
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: viewer.User, Portal: rapid.Bool().Draw(t, "portal"), Privileges: map[string]bool{}}
		for _, p := range privs {
			if rapid.Bool().Draw(t, string(p)) {
				v.Privileges[string(p)] = true
			}
		}
		f := inviteFacts{
			fromClientPage: rapid.Bool().Draw(t, "fromClientPage"), pageClient: reach(t, "page"),
			rowFound: rapid.Bool().Draw(t, "rowFound"), ownRow: rapid.Bool().Draw(t, "ownRow"),
			rowReached: rapid.Bool().Draw(t, "rowReached"),
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "roles") {
			f.roles = append(f.roles, roleFact{found: rapid.Bool().Draw(t, "role.found")})
			for _, p := range rapid.SliceOfN(rapid.SampledFrom(privs), 0, 3).Draw(t, "role.privs") {
				f.roles[i].privileges = append(f.roles[i].privileges, string(p))
			}
		}
		for range rapid.IntRange(0, 3).Draw(t, "clients") {
			f.clients = append(f.clients, reach(t, "client"))
		}
		for range rapid.IntRange(0, 2).Draw(t, "profiles") {
			f.profiles = append(f.profiles, reach(t, "profile"))
		}
		for range rapid.IntRange(0, 2).Draw(t, "units") {
			f.units = append(f.units, unitFact{found: rapid.Bool().Draw(t, "unit.found"),
				clientsReached: rapid.Bool().Draw(t, "unit.clients"), profilesReached: rapid.Bool().Draw(t, "unit.profiles")})
		}
		a := rapid.SampledFrom(actions).Draw(t, "action")
		want := refInvite(v, a, f)
		err := decideInviteWrite(v, a, f)
		got := apperr.Kind("")
		if err != nil {
			got = apperr.KindOf(err)
		}
		if got != want {
			t.Fatalf("%s by %v with %+v: %v (%s), reference %q", a, v.Privileges, f, err, got, want)
		}
	})
}

func TestInviteRefusalsSayWhy(t *testing.T) {
	sharer := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{string(ClientsShare): true, string(ClientsAccessBusinessUnit): true}}
	manager := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{string(UsersInvite): true, string(ClientsAccessAll): true}}
	reached := reachFact{found: true, reached: true}
	for _, tc := range []struct {
		name string
		v    *viewer.Viewer
		f    inviteFacts
		want apperr.Kind
	}{
		{"a sharer from the settings page", sharer, inviteFacts{}, apperr.Forbidden},
		{"a sharer from a reached client's page", sharer, inviteFacts{fromClientPage: true, pageClient: reached}, ""},
		{"a sharer from an unreached client's page", sharer, inviteFacts{fromClientPage: true, pageClient: reachFact{found: true}}, apperr.NotFound},
		{"a sharer handing out a custom role with a privilege they lack", sharer, inviteFacts{fromClientPage: true, pageClient: reached,
			roles: []roleFact{{found: true, privileges: []string{string(BillingView)}}}}, apperr.Forbidden},
		{"a sharer granting a client they do not reach", sharer, inviteFacts{fromClientPage: true, pageClient: reached,
			clients: []reachFact{reached, {found: true}}}, apperr.NotFound},
		{"a sharer inviting into a unit whose clients they do not reach", sharer, inviteFacts{fromClientPage: true, pageClient: reached,
			units: []unitFact{{found: true, profilesReached: true}}}, apperr.Forbidden},
		{"a manager handing out an owner-only privilege they hold", &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{
			string(UsersInvite): true, string(OrgDelete): true}},
			inviteFacts{roles: []roleFact{{found: true, privileges: []string{string(OrgDelete)}}}}, apperr.Forbidden},
		{"a manager handing out the privileges they hold", manager, inviteFacts{roles: []roleFact{{found: true,
			privileges: []string{string(ClientsAccessAll)}}}}, ""},
		{"a manager handing out another organization's role", manager, inviteFacts{roles: []roleFact{{}}}, apperr.NotFound},
	} {
		err := decideInviteWrite(tc.v, InviteUsers, tc.f)
		if got := apperr.KindOf(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
