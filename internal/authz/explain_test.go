package authz_test

// explainAccess: every path by which a user reaches a client or staff
// profile, with what grants it, and notes on what blocks the others; asked
// by an administrator about anyone, or by a user about themself.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// pathOf returns the one path of kind k in e, failing the test unless
// there is exactly one.
func pathOf(t *testing.T, e *authz.Explanation, k authz.PathKind) authz.Path {
	t.Helper()
	var found []authz.Path
	for _, p := range e.Paths {
		if p.Kind == k {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s paths in %+v", len(found), k, e.Paths)
	}
	return found[0]
}

func hasNote(e *authz.Explanation, substr string) bool {
	return slices.ContainsFunc(e.Notes, func(n string) bool { return strings.Contains(n, substr) })
}

func kinds(e *authz.Explanation) []authz.PathKind {
	var ks []authz.PathKind
	for _, p := range e.Paths {
		ks = append(ks, p.Kind)
	}
	slices.Sort(ks)
	return ks
}

func TestExplain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("client: every path with what grants it", func(t *testing.T) {
			f := newFixture(t, db.Client)
			bu := f.unit()
			cl := f.client(bu, false)
			allA := f.role(authz.ClientsAccessAll, authz.BillingView)
			allB := f.role(authz.ClientsAccessAll, authz.ClientsAccessBusinessUnit)
			unrelated := f.role(authz.BillingView)
			admin := f.staff(withRoles(f.role(authz.UsersManage)))
			u := f.staff(withRoles(allA, allB, unrelated), inUnits(bu), primaryUnit(bu))
			exp := now.Add(2 * time.Hour)
			f.link(u, cl, &exp, admin)
			f.emergency(u, cl, now.Add(-5*time.Minute), now.Add(55*time.Minute), nil, "suicidal ideation reported by school")

			e := must(authz.ExplainClient(f.as(admin), f.c, u.ID, cl.ID)).get(t)
			if !e.Allowed || e.User.ID != u.ID {
				t.Fatalf("allowed %v for %s", e.Allowed, e.User.ID)
			}
			want := []authz.PathKind{authz.PathBusinessUnit, authz.PathEmergency, authz.PathExplicitLink, authz.PathOrganizationWide}
			if got := kinds(e); !slices.Equal(got, want) {
				t.Errorf("paths %v, want %v", got, want)
			}
			org := pathOf(t, e, authz.PathOrganizationWide)
			if org.Privilege != authz.ClientsAccessAll || !slices.Equal(sorted(org.RoleIDs), ids(allA.ID, allB.ID)) {
				t.Errorf("organization-wide path %+v: want %s held by %v", org, authz.ClientsAccessAll, ids(allA.ID, allB.ID))
			}
			unit := pathOf(t, e, authz.PathBusinessUnit)
			if unit.Privilege != authz.ClientsAccessBusinessUnit || !slices.Equal(unit.RoleIDs, []pulid.ID{allB.ID}) || unit.BusinessUnitID != bu.ID {
				t.Errorf("business-unit path %+v: want role %s, unit %s", unit, allB.ID, bu.ID)
			}
			link := pathOf(t, e, authz.PathExplicitLink)
			if link.GrantedByID != admin.ID || link.GrantedAt == nil || !link.GrantedAt.Equal(now.Add(-24*time.Hour)) ||
				link.ExpiresAt == nil || !link.ExpiresAt.Equal(exp) {
				t.Errorf("link path %+v: want granted by %s at %v, expiring %v", link, admin.ID, now.Add(-24*time.Hour), exp)
			}
			em := pathOf(t, e, authz.PathEmergency)
			if em.Reason != "suicidal ideation reported by school" || em.GrantedAt == nil || !em.GrantedAt.Equal(now.Add(-5*time.Minute)) ||
				em.ExpiresAt == nil || !em.ExpiresAt.Equal(now.Add(55*time.Minute)) {
				t.Errorf("emergency path %+v", em)
			}
			if len(e.Notes) != 0 {
				t.Errorf("notes %v", e.Notes)
			}
		})

		t.Run("client: restricted and expired are noted, not listed", func(t *testing.T) {
			f := newFixture(t, db.Client)
			bu := f.unit()
			cl := f.client(bu, true)
			u := f.staff(withRoles(f.role(authz.ClientsAccessAll, authz.ClientsAccessBusinessUnit)), inUnits(bu))
			f.link(u, cl, ptr(now), nil)                                                          // expires at now: gone
			f.emergency(u, cl, now.Add(-time.Hour), now.Add(-time.Minute), nil, "expired window") // not a path
			// The user, asking about themself, learns nothing of a client
			// they do not read: not that it exists, nor that it is restricted.
			if _, err := authz.ExplainClient(f.as(u), f.c, u.ID, cl.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("explaining oneself an unread client: %v, want NOT_FOUND as for an unknown id", err)
			}
			admin := f.staff(withRoles(f.role(authz.UsersManage)))
			e := must(authz.ExplainClient(f.as(admin), f.c, u.ID, cl.ID)).get(t)
			if e.Allowed || len(e.Paths) != 0 {
				t.Errorf("allowed %v by %+v", e.Allowed, e.Paths)
			}
			for _, n := range []string{
				"restricted: the organization-wide privilege does not apply",
				"restricted: the business-unit privilege does not apply",
				"explicit link expired at " + now.Format(time.RFC3339),
				"no path reaches this client",
			} {
				if !hasNote(e, n) {
					t.Errorf("notes %q lack %q", e.Notes, n)
				}
			}
			// The same user, once the client is lifted out of restriction.
			must(f.c.Patient.UpdateOneID(cl.ID).SetRestricted(false).Save(allow())).get(t)
			e = must(authz.ExplainClient(f.as(u), f.c, u.ID, cl.ID)).get(t)
			if !e.Allowed {
				t.Errorf("the user cannot explain their own access once the client is lifted out of restriction")
			}
			e = must(authz.ExplainClient(f.as(admin), f.c, u.ID, cl.ID)).get(t)
			if want := []authz.PathKind{authz.PathBusinessUnit, authz.PathOrganizationWide}; !e.Allowed || !slices.Equal(kinds(e), want) {
				t.Errorf("unrestricted: allowed %v by %v, want %v", e.Allowed, kinds(e), want)
			}
		})

		t.Run("client: portal path with its permissions", func(t *testing.T) {
			f := newFixture(t, db.Client)
			cl, other := f.client(nil, false), f.client(nil, false)
			manager := f.staff(withRoles(f.role(authz.PortalManage, authz.UsersManage)))
			parent := f.portalUser()
			f.portalLink(parent, cl, perms{documents: true, surveys: true}, manager)
			e := must(authz.ExplainClient(f.as(manager), f.c, parent.ID, cl.ID)).get(t)
			p := pathOf(t, e, authz.PathPortal)
			if !e.Allowed || p.GrantedByID != manager.ID || p.Portal == nil ||
				!p.Portal.Documents || p.Portal.SessionsHomework || p.Portal.Billing || !p.Portal.Surveys {
				t.Errorf("allowed %v, portal path %+v (%+v)", e.Allowed, p, p.Portal)
			}
			e = must(authz.ExplainClient(f.as(manager), f.c, parent.ID, other.ID)).get(t)
			if e.Allowed || len(e.Paths) != 0 {
				t.Errorf("unlinked client: allowed %v by %+v", e.Allowed, e.Paths)
			}
		})

		t.Run("staff profile: own, primary unit, link; no primary unit noted", func(t *testing.T) {
			f := newFixture(t, db.Client)
			a, b := f.unit(), f.unit()
			spRole := f.role(authz.StaffProfilesAccessPrimaryBusinessUnit)
			u := f.staff(withRoles(spRole), inUnits(a, b), primaryUnit(a))
			own := f.staffProfile(a, u)
			exp := now.Add(time.Hour)
			f.profileLink(u, own, &exp)
			e := must(authz.ExplainStaffProfile(f.as(u), f.c, u.ID, own.ID)).get(t)
			want := []authz.PathKind{authz.PathExplicitLink, authz.PathOwnProfile, authz.PathPrimaryBusinessUnit}
			if got := kinds(e); !e.Allowed || !slices.Equal(got, want) {
				t.Errorf("allowed %v by %v, want %v", e.Allowed, got, want)
			}
			pp := pathOf(t, e, authz.PathPrimaryBusinessUnit)
			if pp.BusinessUnitID != a.ID || !slices.Equal(pp.RoleIDs, []pulid.ID{spRole.ID}) || pp.Privilege != authz.StaffProfilesAccessPrimaryBusinessUnit {
				t.Errorf("primary-unit path %+v", pp)
			}
			if l := pathOf(t, e, authz.PathExplicitLink); l.ExpiresAt == nil || !l.ExpiresAt.Equal(exp) {
				t.Errorf("link path %+v", l)
			}
			// A profile in the user's other (non-primary) unit.
			// The user learns nothing of it; an administrator is told why.
			inB := f.staffProfile(b, nil)
			if _, err := authz.ExplainStaffProfile(f.as(u), f.c, u.ID, inB.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("explaining oneself an unread profile: %v, want NOT_FOUND", err)
			}
			admin := f.as(f.staff(withRoles(f.role(authz.AuditView))))
			e = must(authz.ExplainStaffProfile(admin, f.c, u.ID, inB.ID)).get(t)
			if e.Allowed || !hasNote(e, "no path reaches this staff profile") {
				t.Errorf("profile in a non-primary unit: allowed %v by %+v, notes %v", e.Allowed, e.Paths, e.Notes)
			}
			noPrimary := f.staff(withRoles(spRole), inUnits(a))
			e = must(authz.ExplainStaffProfile(admin, f.c, noPrimary.ID, inB.ID)).get(t)
			if e.Allowed || !hasNote(e, "user has no primary business unit") {
				t.Errorf("no primary unit: allowed %v, notes %v", e.Allowed, e.Notes)
			}
		})

		t.Run("a non-administrator may explain only themself", func(t *testing.T) {
			f := newFixture(t, db.Client)
			cl := f.client(nil, false)
			clinician := f.role(builtin("CLINICIAN")...)
			u, colleague := f.staff(withRoles(clinician)), f.staff(withRoles(clinician))
			f.link(u, cl, nil, nil)
			sp := f.staffProfile(nil, colleague)

			_, err := authz.ExplainClient(f.as(u), f.c, colleague.ID, cl.ID)
			if apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("explain a colleague's client access: %v, want FORBIDDEN", err)
			}
			_, err = authz.ExplainStaffProfile(f.as(u), f.c, colleague.ID, sp.ID)
			if apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("explain a colleague's staff-profile access: %v, want FORBIDDEN", err)
			}
			parent := f.portalUser()
			if _, err := authz.ExplainClient(f.as(parent), f.c, u.ID, cl.ID); apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("portal user explains staff: %v, want FORBIDDEN", err)
			}

			e, err := authz.ExplainClient(f.as(u), f.c, u.ID, cl.ID)
			if err != nil || !e.Allowed || pathOf(t, e, authz.PathExplicitLink).GrantedAt == nil {
				t.Errorf("explain oneself: %+v, %v", e, err)
			}
			admin := f.staff(withRoles(f.role(authz.UsersManage)))
			e, err = authz.ExplainClient(f.as(admin), f.c, colleague.ID, cl.ID)
			if err != nil || e.Allowed {
				t.Errorf("administrator explains the colleague (no path): %+v, %v", e, err)
			}
		})
	})
}
