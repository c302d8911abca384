package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The field directives (@access) over the real handler: a refused field is
// null with a FORBIDDEN error at its path; the rest of the row resolves.

func TestClientPHIField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		setPHI(t, db.Client, a.clients...)
		ada := a.clients[0].ID
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, a.clients[0], portalPerms{documents: true, sessionsHomework: true, billing: true, surveys: true})
		linked := addUser(t, db.Client, a.org.ID, "teacher@acme.test", user.KindStaff,
			addRole(t, db.Client, a.org.ID, "Teacher", authz.HomeworkManage))
		linkClient(t, db.Client, linked, a.clients[0])
		const q = `query($id: ID!) { node(id: $id) { ... on Client { givenName dateOfBirth } } }`
		vars := map[string]any{"id": ada}

		// Portal: the name, never the date of birth, whatever permissions.
		r := gqlDo(t, db, viewerOf(t, db.Client, parent), q, vars)
		wantCodes(t, r, "FORBIDDEN")
		if got := string(r.Data["node"]); got != `{"givenName":"Ada","dateOfBirth":null}` {
			t.Errorf("portal: node = %s", got)
		}
		if p := r.Errors[0].Path; !slices.Equal(p, []any{"node", "dateOfBirth"}) {
			t.Errorf("portal: error path = %v", p)
		}
		// Every PHI field is refused the same way, each with its own path.
		r = gqlDo(t, db, viewerOf(t, db.Client, parent),
			`query($id: ID!) { node(id: $id) { ... on Client { givenName gender medicalRecordNumber diagnosis } } }`, vars)
		wantCodes(t, r, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN")
		if got := string(r.Data["node"]); got != `{"givenName":"Ada","gender":null,"medicalRecordNumber":null,"diagnosis":null}` {
			t.Errorf("portal: node = %s", got)
		}

		// Staff who reach the client, by any path, read it.
		for name, v := range map[string]*viewer.Viewer{
			"administrator": a.viewer(),
			"linked staff":  viewerOf(t, db.Client, linked),
		} {
			r := gqlDo(t, db, v, q, vars)
			wantCodes(t, r)
			if got := string(r.Data["node"]); got != `{"givenName":"Ada","dateOfBirth":"1990-04-01T00:00:00Z"}` {
				t.Errorf("%s: node = %s", name, got)
			}
		}
		// Staff who do not reach the client see no row at all.
		r = gqlDo(t, db, viewerOf(t, db.Client, linked), q, map[string]any{"id": a.clients[1].ID})
		wantCodes(t, r)
		if string(r.Data["node"]) != "null" {
			t.Errorf("unlinked client: %s", r.Data["node"])
		}
	})
}

func TestAppointmentBillingField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		// The provider: a clinician linked to Ada, no billing tab.
		provider := newClinician(t, db.Client, a, "provider@acme.test")
		linkClient(t, db.Client, provider, ada)
		// A colleague who also reaches Ada and sees every schedule, but
		// has no billing tab.
		colleague := newClinician(t, db.Client, a, "colleague@acme.test")
		linkClient(t, db.Client, colleague, ada)
		db.Client.User.UpdateOne(colleague).SetScheduleAccess(user.ScheduleAccessViewEditAll).ExecX(allowCtx())
		// Office staff with the billing and scheduler privileges, linked
		// to Ada.
		office := addUser(t, db.Client, a.org.ID, "office@acme.test", user.KindStaff,
			addRole(t, db.Client, a.org.ID, "Office", authz.BillingView, authz.ScheduleViewAll))
		linkClient(t, db.Client, office, ada)
		withSessions := addUser(t, db.Client, a.org.ID, "mum@acme.test", user.KindPortal)
		linkPortal(t, db.Client, withSessions, ada, portalPerms{sessionsHomework: true})
		withoutSessions := addUser(t, db.Client, a.org.ID, "dad@acme.test", user.KindPortal)
		linkPortal(t, db.Client, withoutSessions, ada, portalPerms{documents: true, billing: true, surveys: true})

		start := time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)
		apt := db.Client.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetProviderID(provider.ID).
			SetStartsAt(start).SetEndsAt(start.Add(time.Hour)).SetBilled(true).SetBillable(true).SaveX(allowCtx())
		// The keys the rule needs are selected (client, and for staff the
		// provider; portal users do not see other users): without them the
		// row reaches the field rule without its keys, see
		// TestAppointmentBillingFieldWithoutEdges.
		const staffQ = `query($id: ID!) { node(id: $id) { ... on Appointment { startsAt billable billed client { id } provider { id } } } }`
		const portalQ = `query($id: ID!) { node(id: $id) { ... on Appointment { startsAt billable billed client { id } } } }`
		vars := map[string]any{"id": apt.ID}
		const head = `{"startsAt":"2025-05-05T09:00:00Z",`
		client := `"client":{"id":"` + string(ada.ID) + `"}`
		staffIDs := `,` + client + `,"provider":{"id":"` + string(provider.ID) + `"}}`
		full := head + `"billable":true,"billed":true` + staffIDs

		for _, tc := range []struct {
			name  string
			u     *ent.User
			v     *viewer.Viewer
			q     string
			want  string
			codes []string
		}{
			{"provider", provider, nil, staffQ, full, nil},
			{"office staff with billing.view", office, nil, staffQ, full, nil},
			{"administrator", nil, a.viewer(), staffQ, full, nil},
			{"colleague without billing.view", colleague, nil, staffQ,
				head + `"billable":null,"billed":null` + staffIDs, []string{"FORBIDDEN", "FORBIDDEN"}},
			{"portal with sessions & homework", withSessions, nil, portalQ, head + `"billable":true,"billed":true,` + client + `}`, nil},
			{"portal without sessions & homework", withoutSessions, nil, portalQ, `null`, nil},
		} {
			v := tc.v
			if v == nil {
				v = viewerOf(t, db.Client, tc.u)
			}
			r := gqlDo(t, db, v, tc.q, vars)
			if got := codes(r); !slices.Equal(got, tc.codes) {
				t.Errorf("%s: codes = %v, want %v", tc.name, got, tc.codes)
			}
			if got := string(r.Data["node"]); got != tc.want {
				t.Errorf("%s: node = %s, want %s", tc.name, got, tc.want)
			}
			for _, e := range r.Errors {
				if len(e.Path) != 2 || e.Path[0] != "node" || (e.Path[1] != "billed" && e.Path[1] != "billable") {
					t.Errorf("%s: error path %v", tc.name, e.Path)
				}
			}
		}

		// A portal user sees the provider of a session they see (the edge is
		// not nullable), and no other staff.
		r0 := gqlDo(t, db, viewerOf(t, db.Client, withSessions),
			`query($id: ID!) { node(id: $id) { ... on Appointment { provider { id } } } users { totalCount } }`, vars)
		wantCodes(t, r0)
		if got := string(r0.Data["node"]); got != `{"provider":{"id":"`+string(provider.ID)+`"}}` {
			t.Errorf("portal user's session provider: %s", got)
		}
		if got := string(r0.Data["users"]); got != `{"totalCount":2}` { // themself and the provider
			t.Errorf("portal user's directory: %s", got)
		}
		r0 = gqlDo(t, db, viewerOf(t, db.Client, withoutSessions), `{ users { totalCount } }`, nil)
		if got := string(r0.Data["users"]); got != `{"totalCount":1}` {
			t.Errorf("portal user without sessions sees: %s", got)
		}

		// Through the client's chart: the portal user without sessions &
		// homework sees the client but no sessions.
		r := gqlDo(t, db, viewerOf(t, db.Client, withoutSessions),
			`query($id: ID!) { node(id: $id) { ... on Client { givenName appointments(first: 10) { totalCount edges { node { billed } } } } } }`,
			map[string]any{"id": ada.ID})
		wantCodes(t, r)
		if got := string(r.Data["node"]); got != `{"givenName":"Ada","appointments":{"totalCount":0,"edges":[]}}` {
			t.Errorf("portal without sessions: %s", got)
		}
		// And the colleague gets the row with billed refused inside a list.
		r = gqlDo(t, db, viewerOf(t, db.Client, colleague),
			`query($id: ID!) { node(id: $id) { ... on Client { appointments(first: 10) { edges { node { startsAt billed } } } } } }`,
			map[string]any{"id": ada.ID})
		wantCodes(t, r, "FORBIDDEN")
		if p := r.Errors[0].Path; !slices.Equal(p, []any{"node", "appointments", "edges", float64(0), "node", "billed"}) {
			t.Errorf("error path = %v", p)
		}
	})
}

// The answer of a field rule must not depend on which other fields the
// query selects. GraphQL field collection loads only the selected columns,
// so an Appointment fetched for { startsAt billed } has no provider_id or
// client_id, and authz.FieldAllowed (APPOINTMENT_BILLING) then refuses the
// provider and the portal user it should allow.
func TestAppointmentBillingFieldWithoutEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		provider := newClinician(t, db.Client, a, "provider@acme.test")
		linkClient(t, db.Client, provider, ada)
		parent := addUser(t, db.Client, a.org.ID, "mum@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, ada, portalPerms{sessionsHomework: true})
		start := time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)
		apt := db.Client.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetProviderID(provider.ID).
			SetStartsAt(start).SetEndsAt(start.Add(time.Hour)).SetBilled(true).SaveX(allowCtx())
		for name, u := range map[string]*ent.User{"provider": provider, "portal with sessions & homework": parent} {
			r := gqlDo(t, db, viewerOf(t, db.Client, u),
				`query($id: ID!) { node(id: $id) { ... on Appointment { billed } } }`, map[string]any{"id": apt.ID})
			if len(r.Errors) > 0 || string(r.Data["node"]) != `{"billed":true}` {
				t.Errorf("%s: node = %s, codes %v", name, r.Data["node"], codes(r))
			}
			// Through the client's chart, the same.
			r = gqlDo(t, db, viewerOf(t, db.Client, u),
				`query($id: ID!) { node(id: $id) { ... on Client { appointments(first: 5) { edges { node { billed } } } } } }`,
				map[string]any{"id": ada.ID})
			if len(r.Errors) > 0 || string(r.Data["node"]) != `{"appointments":{"edges":[{"node":{"billed":true}}]}}` {
				t.Errorf("%s, chart: node = %s, codes %v", name, r.Data["node"], codes(r))
			}
		}
	})
}
