package demo_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Each demo account shows what its role, schedule level and tabs open:
// office staff the invoices and the schedule of their clients (billing and
// scheduler tabs) but no clinical record; the teacher documents and
// homework but neither surveys nor sessions (no schedule access); the
// clinicians their own sessions and their clients'; the supervisor every
// provider's schedule; the portal parent only what the portal link
// permits.
func TestDemoAccountsSeeWhatTheirRolesOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		must(demo.Seed(ctx, db.Client, params())).get(t)
		allow := privacy.DecisionContext(ctx, privacy.Allow)
		org := must(db.Organization.Query().Where(organization.Slug(demo.Slug)).Only(allow)).get(t)
		sys := viewer.ForSystem(ctx, org.ID)
		c := db.Client

		type seen struct{ documents, homework, surveys, invoices, appointments, others int }
		look := func(key string) seen {
			t.Helper()
			u := must(c.User.Query().Where(user.EmailNormalized(key + "@demo.clinic")).
				WithBusinessUnits(func(q *ent.BusinessUnitQuery) { q.Select(businessunit.FieldID) }).Only(sys)).get(t)
			v := must(authz.LoadViewer(sys, c, u)).get(t)
			as := viewer.NewContext(ctx, v)
			var s seen
			s.documents = must(c.Document.Query().Count(as)).get(t)
			s.homework = must(c.Homework.Query().Count(as)).get(t)
			s.surveys = must(c.SurveyResponse.Query().Count(as)).get(t)
			s.invoices = must(c.Invoice.Query().Count(as)).get(t)
			apts := must(c.Appointment.Query().All(as)).get(t)
			s.appointments = len(apts)
			for _, a := range apts {
				if a.ProviderID != u.ID {
					s.others++
				}
			}
			return s
		}

		office := look("office")
		if office.documents+office.homework+office.surveys != 0 {
			t.Errorf("office staff read clinical records: %+v", office)
		}
		if office.invoices == 0 || office.appointments == 0 {
			t.Errorf("office staff with the billing and scheduler tabs: %+v", office)
		}
		teacher := look("teacher")
		if teacher.surveys != 0 || teacher.appointments != 0 || teacher.invoices != 0 {
			t.Errorf("teacher: %+v", teacher)
		}
		if teacher.documents+teacher.homework == 0 {
			t.Errorf("teacher reads no documents or homework: %+v", teacher)
		}
		for _, key := range []string{"clinician", "clinician2"} {
			s := look(key)
			if s.appointments == 0 {
				t.Errorf("%s (own schedule): %+v", key, s)
			}
		}
		if s := look("supervisor"); s.others == 0 || s.surveys == 0 { // EDIT_OWN_VIEW_ALL
			t.Errorf("supervisor: %+v", s)
		}
		if s := look("admin"); s.appointments == 0 || s.documents == 0 || s.surveys == 0 || s.invoices == 0 {
			t.Errorf("administrator: %+v", s)
		}
		owner := look("owner")
		if owner.appointments == 0 || owner.others == 0 {
			t.Errorf("owner: %+v", owner)
		}
		parent := look("parent")
		if parent.surveys != 0 || parent.invoices != 0 || parent.appointments == 0 {
			t.Errorf("portal parent (documents, sessions & homework): %+v", parent)
		}
	})
}
