package authz_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// refAccess is the reference of the access concern's decisions, written
// from seeds 000 and 002 and DOMAIN.md: "" (allowed) or the refusal's kind.
func refAccess(v *viewer.Viewer, a authz.Action, f authz.AccessFacts) apperr.Kind {
	has := func(p authz.Privilege) bool { return v.Privileges[string(p)] }
	if v.Portal {
		return apperr.Forbidden
	}
	switch a {
	case authz.GrantClientAccess, authz.RevokeClientAccess:
		switch {
		case !has(authz.ClientsShare) && !has(authz.UsersManage):
			return apperr.Forbidden
		case !f.ClientFound || !f.ReachesClient: // share only what you reach
			return apperr.NotFound
		case !f.UserFound:
			return apperr.NotFound
		case a == authz.GrantClientAccess && f.UserPortal: // portal users get portal links
			return apperr.Invalid
		}
		return ""
	case authz.GrantStaffProfileAccess, authz.RevokeStaffProfileAccess:
		switch {
		case !has(authz.StaffProfilesManage):
			return apperr.Forbidden
		case !f.ProfileFound || !f.ReachesProfile:
			return apperr.NotFound
		case !f.UserFound:
			return apperr.NotFound
		case a == authz.GrantStaffProfileAccess && f.UserPortal:
			return apperr.Invalid
		}
		return ""
	case authz.EditClientContacts:
		switch {
		case !has(authz.ClientsEdit):
			return apperr.Forbidden
		case !f.ClientFound || !f.ReachesClient:
			return apperr.NotFound
		}
		return ""
	case authz.ManagePortalAccess:
		switch {
		case !has(authz.PortalManage):
			return apperr.Forbidden
		case !f.ClientFound || !f.ReachesClient:
			return apperr.NotFound
		case f.UserNamed && !f.UserFound:
			return apperr.NotFound
		case f.UserNamed && !f.UserPortal:
			return apperr.Invalid
		}
		return ""
	}
	return "unknown action"
}

func accessActions() []authz.Action {
	var out []authz.Action
	for _, a := range authz.Actions() {
		if authz.ConcernOf(a) == "access" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

func TestAccessDecisionsFollowTheReference(t *testing.T) {
	privs := []authz.Privilege{authz.ClientsShare, authz.UsersManage, authz.StaffProfilesManage,
		authz.ClientsEdit, authz.PortalManage, authz.ClientsAccessAll}
	actions := accessActions()
	if len(actions) != 6 {
		t.Fatalf("access actions = %v", actions)
	}
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: viewer.User, Portal: rapid.Bool().Draw(t, "portal"), Privileges: map[string]bool{}}
		for _, p := range privs {
			if rapid.Bool().Draw(t, string(p)) {
				v.Privileges[string(p)] = true
			}
		}
		f := authz.AccessFacts{
			ClientFound: rapid.Bool().Draw(t, "clientFound"), ReachesClient: rapid.Bool().Draw(t, "reachesClient"),
			ProfileFound: rapid.Bool().Draw(t, "profileFound"), ReachesProfile: rapid.Bool().Draw(t, "reachesProfile"),
			UserNamed: rapid.Bool().Draw(t, "userNamed"), UserFound: rapid.Bool().Draw(t, "userFound"),
			UserPortal: rapid.Bool().Draw(t, "userPortal"),
		}
		a := rapid.SampledFrom(actions).Draw(t, "action")
		want := refAccess(v, a, f)
		got := apperr.Kind("")
		if err := authz.DecideAccess(v, a, f); err != nil {
			got = apperr.KindOf(err)
		}
		if got != want {
			t.Fatalf("%s by %+v with %+v: %q, reference %q", a, v, f, got, want)
		}
	})
}

func TestAccessRequireRefusesWhatTheViewerMayNotHandOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		other := newFixture(t, db.Client)
		reached, unreached := f.client(nil, false), f.client(nil, false)
		sharer := f.staff(withRoles(f.role(authz.ClientsShare, authz.PortalManage, authz.ClientsEdit)))
		f.link(sharer, reached, nil, nil)
		colleague := f.staff()
		parent := f.portalUser()
		for _, tc := range []struct {
			name   string
			action authz.Action
			target authz.Target
			want   apperr.Kind
		}{
			{"sharing a reached client with a colleague", authz.GrantClientAccess, authz.Target{Client: reached.ID, User: colleague.ID}, ""},
			{"sharing a client the sharer does not reach", authz.GrantClientAccess, authz.Target{Client: unreached.ID, User: colleague.ID}, apperr.NotFound},
			{"sharing another organization's client", authz.GrantClientAccess, authz.Target{Client: other.client(nil, false).ID, User: colleague.ID}, apperr.NotFound},
			{"sharing with another organization's user", authz.GrantClientAccess, authz.Target{Client: reached.ID, User: other.staff().ID}, apperr.NotFound},
			{"giving a portal user staff client access", authz.GrantClientAccess, authz.Target{Client: reached.ID, User: parent.ID}, apperr.Invalid},
			{"managing the portal of a reached client", authz.ManagePortalAccess, authz.Target{Client: reached.ID, User: parent.ID}, ""},
			{"giving a staff user a portal link", authz.ManagePortalAccess, authz.Target{Client: reached.ID, User: colleague.ID}, apperr.Invalid},
			{"managing the portal of an unreached client", authz.ManagePortalAccess, authz.Target{Client: unreached.ID}, apperr.NotFound},
			{"editing contacts of an unreached client", authz.EditClientContacts, authz.Target{Client: unreached.ID}, apperr.NotFound},
			{"sharing a staff profile without the privilege", authz.GrantStaffProfileAccess, authz.Target{User: colleague.ID}, apperr.Forbidden},
		} {
			_, err := authz.Require(f.as(sharer), f.c, tc.action, tc.target)
			if got := apperr.KindOf(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("%s: %v (%s), want %q", tc.name, err, got, tc.want)
			}
		}
		if _, err := authz.Require(f.as(parent), f.c, authz.ManagePortalAccess, authz.Target{Client: reached.ID}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a portal user manages the portal: %v", err)
		}
	})
}
