package authz_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Minimum necessary per record kind: reaching a client opens its profile;
// documents, homework and survey responses each need their own privilege.
// The built-in roles hold what their work needs and no more.
func TestEachRecordKindNeedsItsOwnPrivilege(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		f := newFixture(t, db.Client)
		cl := f.client(nil, false)
		doc, hw, sv, inv := f.document(cl), f.homework(cl), f.survey(cl), f.invoice(cl)
		kinds := []struct {
			name string
			priv authz.Privilege
			id   pulid.ID
			list func(context.Context) ([]pulid.ID, error)
		}{
			{"documents", authz.DocumentsView, doc.ID, func(ctx context.Context) ([]pulid.ID, error) { return c.Document.Query().IDs(ctx) }},
			{"homework", authz.HomeworkView, hw.ID, func(ctx context.Context) ([]pulid.ID, error) { return c.Homework.Query().IDs(ctx) }},
			{"survey responses", authz.SurveysView, sv.ID, func(ctx context.Context) ([]pulid.ID, error) { return c.SurveyResponse.Query().IDs(ctx) }},
			{"invoices", authz.BillingView, inv.ID, func(ctx context.Context) ([]pulid.ID, error) { return c.Invoice.Query().IDs(ctx) }},
		}

		// One privilege opens its kind and no other; reaching the client
		// alone opens none.
		bare := f.staff()
		f.link(bare, cl, nil, nil)
		if ok := must(authz.CanReadClient(f.as(bare), c, cl.ID)).get(t); !ok {
			t.Fatal("the linked user does not reach the client")
		}
		for _, k := range kinds {
			got, err := k.list(f.as(bare))
			seesNone(t, "reaching the client only: "+k.name, got, err)
			holder := f.staff(withRoles(f.role(k.priv)))
			f.link(holder, cl, nil, nil)
			for _, other := range kinds {
				got, err := other.list(f.as(holder))
				if other.name == k.name {
					seesOnly(t, string(k.priv)+" lists "+other.name, got, err, k.id)
				} else {
					seesNone(t, string(k.priv)+" lists "+other.name, got, err)
				}
			}
			// The privilege without a path to the client opens nothing.
			distant := f.staff(withRoles(f.role(k.priv)))
			got, err = k.list(f.as(distant))
			seesNone(t, string(k.priv)+" without reaching the client", got, err)
		}

		// The built-in roles, each linked to the client.
		office := f.officeRole()
		want := map[string]map[string]bool{
			"office staff (dashboard, reports)": {},
			"office staff (billing tab)":        {"invoices": true},
			"teacher":                           {"documents": true, "homework": true},
			"clinician":                         {"documents": true, "homework": true, "survey responses": true},
			"supervisor":                        {"documents": true, "homework": true, "survey responses": true},
			"administrator":                     {"documents": true, "homework": true, "survey responses": true, "invoices": true},
		}
		users := map[string]*ent.User{
			"office staff (dashboard, reports)": f.staff(withRoles(office), withTabs(authz.DefaultTabs...)),
			"office staff (billing tab)":        f.staff(withRoles(office), withTabs(authz.TabDashboard, authz.TabBilling)),
			"teacher":                           f.staff(withRoles(f.role(builtin("TEACHER")...))),
			"clinician":                         f.staff(withRoles(f.role(builtin("CLINICIAN")...))),
			"supervisor":                        f.staff(withRoles(f.role(builtin("SUPERVISOR")...))),
			"administrator":                     f.staff(withRoles(f.role(builtin("ADMINISTRATOR")...))),
		}
		for name, u := range users {
			f.link(u, cl, nil, nil)
			for _, k := range kinds {
				got, err := k.list(f.as(u))
				if want[name][k.name] {
					seesOnly(t, name+" lists "+k.name, got, err, k.id)
				} else {
					seesNone(t, name+" lists "+k.name, got, err)
				}
			}
		}

		// Portal users keep their portal permissions, whatever the
		// staff privileges.
		parent := f.portalUser()
		f.portalLink(parent, cl, perms{documents: true, surveys: true}, nil)
		for _, k := range kinds {
			got, err := k.list(f.as(parent))
			switch k.name {
			case "documents", "survey responses":
				seesOnly(t, "portal user lists "+k.name, got, err, k.id)
			default:
				seesNone(t, "portal user lists "+k.name, got, err)
			}
		}
		kid := f.portalUser()
		f.portalLink(kid, cl, perms{sessionsHomework: true, billing: true}, nil)
		for _, k := range kinds {
			got, err := k.list(f.as(kid))
			switch k.name {
			case "homework", "invoices":
				seesOnly(t, "portal user (sessions, billing) lists "+k.name, got, err, k.id)
			default:
				seesNone(t, "portal user (sessions, billing) lists "+k.name, got, err)
			}
		}
	})
}

// Relation filters use RowScope, which carries the same rule: a client is
// never matched by records of a kind the viewer may not read.
func TestRecordKindPrivilegesHoldInRowScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		f := newFixture(t, db.Client)
		cl := f.client(nil, false)
		doc, hw, sv := f.document(cl), f.homework(cl), f.survey(cl)
		bare := f.staff()
		f.link(bare, cl, nil, nil)
		reader := f.staff(withRoles(f.role(authz.DocumentsView, authz.HomeworkView, authz.SurveysView)))
		f.link(reader, cl, nil, nil)
		for _, u := range []*ent.User{bare, reader} {
			ctx := f.as(u)
			scoped := map[string]func() ([]pulid.ID, error){
				"documents": func() ([]pulid.ID, error) {
					return c.Document.Query().Where(predicate.Document(authz.RowScope(ctx, "Document"))).IDs(f.system())
				},
				"homework": func() ([]pulid.ID, error) {
					return c.Homework.Query().Where(predicate.Homework(authz.RowScope(ctx, "Homework"))).IDs(f.system())
				},
				"survey responses": func() ([]pulid.ID, error) {
					return c.SurveyResponse.Query().Where(predicate.SurveyResponse(authz.RowScope(ctx, "SurveyResponse"))).IDs(f.system())
				},
			}
			want := map[string]pulid.ID{"documents": doc.ID, "homework": hw.ID, "survey responses": sv.ID}
			for name, list := range scoped {
				got, err := list()
				if u == reader {
					seesOnly(t, "reader's scope of "+name, got, err, want[name])
				} else {
					seesNone(t, "bare staff's scope of "+name, got, err)
				}
			}
		}
	})
}
