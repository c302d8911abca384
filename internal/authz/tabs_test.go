package authz_test

import (
	"slices"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// officeRole is the organization's built-in office-staff role, with the
// privileges given (the seeded ones when none).
func (f *fixture) officeRole(privs ...authz.Privilege) *ent.Role {
	f.t.Helper()
	if privs == nil {
		privs = builtin("OFFICE_STAFF")
	}
	keys := make([]string, len(privs))
	for i, p := range privs {
		keys[i] = string(p)
	}
	return must(f.c.Role.Create().SetOrganizationID(f.org.ID).SetName(uniq("office-")).
		SetBuiltin(role.BuiltinOfficeStaff).SetPrivileges(keys).Save(allow())).get(f.t)
}

func withTabs(tabs ...string) userOpt {
	return func(c *ent.UserCreate) { c.SetTabAccess(tabs) }
}

// Office staff see the tabs ticked for them, each opening what it names:
// billing the invoices of clients they reach, scheduler the sessions of
// clients they reach, reports the reports privilege; without a tab, none.
func TestOfficeStaffTabsOpenWhatTheyName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		office := f.officeRole()
		cl := f.client(nil, false)
		inv := f.invoice(cl)
		apt := f.appointment(cl, f.staff())
		billing := f.staff(withRoles(office), withTabs(authz.TabDashboard, authz.TabBilling))
		scheduler := f.staff(withRoles(office), withTabs(authz.TabScheduler))
		defaults := f.staff(withRoles(office), withTabs(authz.DefaultTabs...))
		for _, u := range []*ent.User{billing, scheduler, defaults} {
			f.link(u, cl, nil, nil)
		}

		got, err := db.Client.Invoice.Query().IDs(f.as(billing))
		seesOnly(t, "billing tab: invoices", got, err, inv.ID)
		got, err = db.Client.Invoice.Query().IDs(f.as(defaults))
		seesOnly(t, "dashboard and reports: invoices", got, err)
		got, err = db.Client.Invoice.Query().IDs(f.as(scheduler))
		seesOnly(t, "scheduler tab: invoices", got, err)

		got, err = db.Client.Appointment.Query().IDs(f.as(scheduler))
		seesOnly(t, "scheduler tab: sessions", got, err, apt.ID)
		got, err = db.Client.Appointment.Query().IDs(f.as(defaults))
		seesOnly(t, "dashboard and reports: sessions", got, err)
		got, err = db.Client.Appointment.Query().IDs(f.as(billing))
		seesOnly(t, "billing tab: sessions", got, err)

		v := must(viewerFor(f.as(defaults), db.Client, defaults.ID)).get(t)
		if !v.Has(string(authz.ReportsView)) || v.Has(string(authz.BillingView)) || v.Has(string(authz.ScheduleViewAll)) {
			t.Errorf("dashboard and reports tabs: privileges %v", v.Privileges)
		}
		v = must(viewerFor(f.as(billing), db.Client, billing.ID)).get(t)
		if v.Has(string(authz.ReportsView)) || !v.Has(string(authz.BillingView)) || !v.Has(string(authz.BillingManage)) {
			t.Errorf("dashboard and billing tabs: privileges %v", v.Privileges)
		}
	})
}

// The tabs are exactly what was ticked: a tab-guarded privilege toggled
// onto the office-staff role opens nothing for its holders, and no tab is
// an addition to it. Other roles an office-staff user holds still count.
func TestOfficeStaffTabsAreExactlyTheTickedOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		office := f.officeRole(authz.ClientsCreate, authz.BillingView, authz.BillingManage, authz.ReportsView, authz.ScheduleViewAll)
		cl := f.client(nil, false)
		f.invoice(cl)
		f.appointment(cl, f.staff())
		none := f.staff(withRoles(office), withTabs())
		f.link(none, cl, nil, nil)
		v := must(viewerFor(f.as(none), db.Client, none.ID)).get(t)
		for _, p := range []authz.Privilege{authz.BillingView, authz.BillingManage, authz.ReportsView, authz.ScheduleViewAll} {
			if v.Has(string(p)) {
				t.Errorf("no tab ticked, yet %s from the office-staff role", p)
			}
		}
		if !v.Has(string(authz.ClientsCreate)) {
			t.Errorf("the office-staff role's other privileges are lost: %v", v.Privileges)
		}
		got, err := db.Client.Invoice.Query().IDs(f.as(none))
		seesOnly(t, "no tab: invoices", got, err)
		got, err = db.Client.Appointment.Query().IDs(f.as(none))
		seesOnly(t, "no tab: sessions", got, err)

		// A second, custom role with billing: the union holds.
		both := f.staff(withRoles(office, f.role(authz.BillingView)), withTabs(authz.TabDashboard))
		if v := must(viewerFor(f.as(both), db.Client, both.ID)).get(t); !v.Has(string(authz.BillingView)) || v.Has(string(authz.ReportsView)) {
			t.Errorf("office staff with a billing role: %v", v.Privileges)
		}

		// Tabs of someone who is not office staff open nothing.
		clinician := f.staff(withRoles(f.role(builtin("CLINICIAN")...)), withTabs(authz.TabBilling, authz.TabReports, authz.TabScheduler))
		if v := must(viewerFor(f.as(clinician), db.Client, clinician.ID)).get(t); v.Has(string(authz.BillingView)) || v.Has(string(authz.ReportsView)) || v.Has(string(authz.ScheduleViewAll)) {
			t.Errorf("a clinician's stray tabs grant %v", v.Privileges)
		}

		// explain agrees with the viewer: no path-opening privilege comes
		// from the office role's tab-guarded keys.
		e := must(authz.ExplainClient(f.system(), db.Client, none.ID, cl.ID)).get(t)
		if !e.Allowed {
			t.Errorf("explain: the linked office user does not reach the client: %+v", e)
		}
	})
}

// The dashboard and clients tabs guard nothing on this server: no
// privilege is opened by them.
func TestDashboardAndClientsTabsOpenNoPrivilege(t *testing.T) {
	for _, tab := range []string{authz.TabDashboard, authz.TabClients, "unknown"} {
		if ps := authz.TabPrivileges(tab); len(ps) != 0 {
			t.Errorf("tab %q opens %v", tab, ps)
		}
	}
	if ps := authz.TabPrivileges(authz.TabScheduler); !slices.Equal(ps, []authz.Privilege{authz.ScheduleViewAll}) {
		t.Errorf("scheduler tab opens %v", ps)
	}
}

// New users see no schedule until a level is picked; someone who runs
// sessions gets the lowest provider level by default.
func TestScheduleAccessDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		u := f.staff()
		if u.ScheduleAccess != user.ScheduleAccessNone {
			t.Errorf("a new user's schedule access is %s, want NONE", u.ScheduleAccess)
		}
	})
	if got := authz.DefaultScheduleAccess(builtin("CLINICIAN")); got != user.ScheduleAccessOwnOnly {
		t.Errorf("clinician default level %s", got)
	}
	if got := authz.DefaultScheduleAccess(builtin("OFFICE_STAFF")); got != user.ScheduleAccessNone {
		t.Errorf("office staff default level %s", got)
	}
}
