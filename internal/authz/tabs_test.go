package authz_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Office staff see the tabs ticked for them: the billing tab opens the
// invoices of clients they reach, and without it they see none.
func TestOfficeStaffTabsOpenWhatTheyShow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		office := f.role() // a role with no billing privilege
		cl := f.client(nil, false)
		f.invoice(cl)
		withTab := f.staff(withRoles(office), func(c *ent.UserCreate) { c.SetTabAccess([]string{authz.TabDashboard, authz.TabBilling}) })
		without := f.staff(withRoles(office), func(c *ent.UserCreate) { c.SetTabAccess([]string{authz.TabDashboard, authz.TabReports}) })
		f.link(withTab, cl, nil, nil)
		f.link(without, cl, nil, nil)

		if n := must(db.Client.Invoice.Query().Count(f.as(withTab))).get(t); n != 1 {
			t.Errorf("billing tab: %d invoices, want 1", n)
		}
		if n := must(db.Client.Invoice.Query().Count(f.as(without))).get(t); n != 0 {
			t.Errorf("no billing tab: %d invoices, want 0", n)
		}
		if v := must(viewerFor(f.as(without), db.Client, without.ID)).get(t); !v.Has(string(authz.ReportsView)) || v.Has(string(authz.BillingView)) {
			t.Errorf("reports tab privileges = %v", v.Privileges)
		}
	})
}
