package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const (
	grantClientAccessM  = `mutation($in: GrantClientAccessInput!) { grantClientAccess(input: $in) { clientAccess { id expiresAt user { email } client { id } } } }`
	revokeClientAccessM = `mutation($in: RevokeClientAccessInput!) { revokeClientAccess(input: $in) { clientAccessId } }`
	addChartM           = `mutation($in: AddChartProfessionalsInput!) { addChartProfessionals(input: $in) { clientAccesses { id user { email } } } }`
	grantProfileM       = `mutation($in: GrantStaffProfileAccessInput!) { grantStaffProfileAccess(input: $in) { staffProfileAccess { id } } }`
	revokeProfileM      = `mutation($in: RevokeStaffProfileAccessInput!) { revokeStaffProfileAccess(input: $in) { staffProfileAccessId } }`
	accessListQ         = `query($id: ID!) { node(id: $id) { ... on Client { accessList(first: 20) { totalCount edges { node { user { email } paths { kind privilege roles { name } businessUnit { name } grantedBy { email } expiresAt portalPermissions { documents alertRecipient } } } } } } } }`
)

// eventsOf returns org's audit events with action.
func eventsOf(t *testing.T, c *ent.Client, org pulid.ID, action string) []*ent.AuditEvent {
	t.Helper()
	return c.AuditEvent.Query().Where(auditevent.Action(action)).AllX(sysCtx(org))
}

// wantCodeField fails unless r has one error with code and extensions.field.
func wantCodeField(t *testing.T, r gqlResponse, code, field string) {
	t.Helper()
	wantCodes(t, r, code)
	if got, _ := r.Errors[0].Extensions["field"].(string); got != field {
		t.Fatalf("extensions.field = %q, want %q (%+v)", got, field, r.Errors)
	}
}

func TestGrantingAndRevokingClientAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		other := newTenant(t, db.Client, "other")
		ada := a.clients[0]
		sharer := addUser(t, db.Client, a.org.ID, "sup@acme.test", user.KindStaff, addRole(t, db.Client, a.org.ID, "Sharer", authz.ClientsShare))
		linkClient(t, db.Client, sharer, ada)
		colleague := addUser(t, db.Client, a.org.ID, "ther@acme.test", user.KindStaff)
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		nobody := addUser(t, db.Client, a.org.ID, "nobody@acme.test", user.KindStaff)
		v := viewerOf(t, db.Client, sharer)

		until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		r := gqlDo(t, db, v, grantClientAccessM, map[string]any{"in": map[string]any{"userId": colleague.ID, "clientId": ada.ID, "expiresAt": until}})
		wantCodes(t, r)
		var got struct {
			ClientAccess struct {
				ID        string
				ExpiresAt time.Time
				User      struct{ Email string }
			}
		}
		dataField(t, r, "grantClientAccess", &got)
		if got.ClientAccess.User.Email != "ther@acme.test" || !got.ClientAccess.ExpiresAt.Equal(until) {
			t.Fatalf("granted %+v", got)
		}
		if evs := eventsOf(t, db.Client, a.org.ID, audit.AccessGranted); len(evs) != 1 || evs[0].ClientID == nil || *evs[0].ClientID != ada.ID {
			t.Fatalf("access.granted events = %+v", evs)
		}
		// Granting again changes the expiry of the one link (before/after audited).
		wantCodes(t, gqlDo(t, db, v, grantClientAccessM, map[string]any{"in": map[string]any{"userId": colleague.ID, "clientId": ada.ID}}))
		links := db.Client.ClientAccess.Query().Where(clientaccess.UserID(colleague.ID)).AllX(sysCtx(a.org.ID))
		if len(links) != 1 || links[0].ExpiresAt != nil {
			t.Fatalf("links after re-grant = %+v", links)
		}
		if evs := eventsOf(t, db.Client, a.org.ID, audit.AccessGranted); len(evs) != 2 || evs[1].Details["before"] == nil {
			t.Fatalf("second access.granted = %+v", evs)
		}

		for _, tc := range []struct {
			name        string
			in          map[string]any
			code, field string
		}{
			{"a client the sharer does not reach", map[string]any{"userId": colleague.ID, "clientId": a.clients[1].ID}, "NOT_FOUND", ""},
			{"another organization's client", map[string]any{"userId": colleague.ID, "clientId": other.clients[0].ID}, "NOT_FOUND", ""},
			{"another organization's user", map[string]any{"userId": other.admin.ID, "clientId": ada.ID}, "NOT_FOUND", ""},
			{"a missing user", map[string]any{"userId": "usr_missing", "clientId": ada.ID}, "NOT_FOUND", ""},
			{"a portal user", map[string]any{"userId": parent.ID, "clientId": ada.ID}, "BAD_USER_INPUT", "userId"},
			{"an expiry in the past", map[string]any{"userId": colleague.ID, "clientId": ada.ID, "expiresAt": time.Now().Add(-time.Hour)}, "BAD_USER_INPUT", "expiresAt"},
		} {
			r := gqlDo(t, db, v, grantClientAccessM, map[string]any{"in": tc.in})
			if tc.field != "" {
				wantCodeField(t, r, tc.code, tc.field)
			} else if c := codes(r); len(c) != 1 || c[0] != tc.code {
				t.Errorf("%s: codes %v, want %s", tc.name, c, tc.code)
			}
		}
		// Without the sharing privilege: FORBIDDEN for every access mutation.
		nv := viewerOf(t, db.Client, nobody)
		for name, q := range map[string]struct {
			m  string
			in map[string]any
		}{
			"grant":  {grantClientAccessM, map[string]any{"userId": colleague.ID, "clientId": ada.ID}},
			"revoke": {revokeClientAccessM, map[string]any{"userId": colleague.ID, "clientId": ada.ID}},
			"chart":  {addChartM, map[string]any{"clientId": ada.ID, "userIds": []any{colleague.ID}}},
		} {
			if c := codes(gqlDo(t, db, nv, q.m, map[string]any{"in": q.in})); len(c) != 1 || c[0] != "FORBIDDEN" {
				t.Errorf("%s without the privilege: %v", name, c)
			}
		}

		r = gqlDo(t, db, v, revokeClientAccessM, map[string]any{"in": map[string]any{"userId": colleague.ID, "clientId": ada.ID}})
		wantCodes(t, r)
		if n := db.Client.ClientAccess.Query().Where(clientaccess.UserID(colleague.ID)).CountX(sysCtx(a.org.ID)); n != 0 {
			t.Fatalf("%d links left", n)
		}
		if evs := eventsOf(t, db.Client, a.org.ID, audit.AccessRevoked); len(evs) != 1 {
			t.Fatalf("access.revoked events = %d", len(evs))
		}
		// Revoking what is not there: NOT_FOUND.
		wantCodes(t, gqlDo(t, db, v, revokeClientAccessM, map[string]any{"in": map[string]any{"userId": colleague.ID, "clientId": ada.ID}}), "NOT_FOUND")
	})
}

func TestChartProfessionalsAndTheAccessList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		admin := a.viewer()
		one := addUser(t, db.Client, a.org.ID, "one@acme.test", user.KindStaff)
		two := addUser(t, db.Client, a.org.ID, "two@acme.test", user.KindStaff)
		buRole := addRole(t, db.Client, a.org.ID, "Unit clinician", authz.ClientsAccessBusinessUnit)
		unitUser := addUser(t, db.Client, a.org.ID, "unit@acme.test", user.KindStaff, buRole)
		db.Client.User.UpdateOne(unitUser).AddBusinessUnits(a.unit).ExecX(allowCtx())
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, ada, portalPerms{documents: true})

		r := gqlDo(t, db, admin, addChartM, map[string]any{"in": map[string]any{"clientId": ada.ID, "userIds": []any{one.ID, two.ID, one.ID}}})
		wantCodes(t, r)
		if evs := eventsOf(t, db.Client, a.org.ID, audit.AccessGranted); len(evs) != 2 {
			t.Fatalf("one event per professional: %d", len(evs))
		}
		// All or nothing: one unknown user refuses the whole change.
		three := addUser(t, db.Client, a.org.ID, "three@acme.test", user.KindStaff)
		wantCodes(t, gqlDo(t, db, admin, addChartM, map[string]any{"in": map[string]any{"clientId": ada.ID, "userIds": []any{three.ID, "usr_missing"}}}), "NOT_FOUND")
		if n := db.Client.ClientAccess.Query().Where(clientaccess.UserID(three.ID)).CountX(sysCtx(a.org.ID)); n != 0 {
			t.Fatal("half applied")
		}
		wantField(t, gqlDo(t, db, admin, addChartM, map[string]any{"in": map[string]any{"clientId": ada.ID, "userIds": []any{}}}), "userIds")

		r = gqlDo(t, db, admin, accessListQ, map[string]any{"id": ada.ID})
		wantCodes(t, r)
		type entry struct {
			User  struct{ Email string }
			Paths []struct {
				Kind         string
				Privilege    *string
				Roles        []struct{ Name string }
				BusinessUnit *struct{ Name string }
				GrantedBy    *struct{ Email string }
			}
		}
		var node struct {
			AccessList struct {
				TotalCount int
				Edges      []struct{ Node entry }
			}
		}
		dataField(t, r, "node", &node)
		var list []entry
		for _, e := range node.AccessList.Edges {
			list = append(list, e.Node)
		}
		kinds := map[string]string{}
		for _, e := range list {
			var ks []string
			for _, p := range e.Paths {
				ks = append(ks, p.Kind)
			}
			kinds[e.User.Email] = strings.Join(ks, ",")
		}
		want := map[string]string{
			"admin@acme.test": "ORGANIZATION_WIDE", "one@acme.test": "EXPLICIT_LINK", "two@acme.test": "EXPLICIT_LINK",
			"unit@acme.test": "BUSINESS_UNIT", "parent@acme.test": "PORTAL",
		}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("access list = %v, want %v", kinds, want)
		}
		for _, e := range list {
			if e.User.Email == "one@acme.test" && (e.Paths[0].GrantedBy == nil || e.Paths[0].GrantedBy.Email != "admin@acme.test") {
				t.Errorf("granted by = %+v", e.Paths[0].GrantedBy)
			}
			if e.User.Email == "unit@acme.test" && (e.Paths[0].BusinessUnit == nil || e.Paths[0].BusinessUnit.Name != "North" || len(e.Paths[0].Roles) != 1) {
				t.Errorf("business unit path = %+v", e.Paths[0])
			}
		}
		// Refused: without the privilege, and for a client not reached.
		wantCodes(t, gqlDo(t, db, viewerOf(t, db.Client, one), accessListQ, map[string]any{"id": ada.ID}), "FORBIDDEN")
		sharer := addUser(t, db.Client, a.org.ID, "sharer@acme.test", user.KindStaff, addRole(t, db.Client, a.org.ID, "S", authz.ClientsShare))
		r = gqlDo(t, db, viewerOf(t, db.Client, sharer), accessListQ, map[string]any{"id": ada.ID})
		if string(r.Data["node"]) != "null" {
			t.Errorf("a sharer who does not reach the client reads its access list: %s", dataOf(r))
		}
	})
}

// TestAccessListQueriesDoNotGrowWithTheUsers counts the SQL statements of
// a client's access list at 5 and at 40 linked users.
func TestAccessListQueriesDoNotGrowWithTheUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		client, rec := storetest.Record(db)
		h := graph.NewHandler(client, graph.HandlerConfig{})
		counts := map[int]int{}
		added := 0
		for _, n := range []int{5, 40} {
			for ; added < n; added++ {
				u := addUser(t, db.Client, a.org.ID, fmt.Sprintf("u%02d@acme.test", added), user.KindStaff,
					addRole(t, db.Client, a.org.ID, fmt.Sprintf("R%02d", added), authz.ClientsAccessAll))
				db.Client.ClientAccess.Create().SetOrganizationID(a.org.ID).SetUserID(u.ID).SetClientID(ada.ID).
					SetGrantedAt(time.Now()).SetGrantedByID(a.admin.ID).SaveX(allowCtx())
				p := addUser(t, db.Client, a.org.ID, fmt.Sprintf("p%02d@acme.test", added), user.KindPortal)
				linkPortal(t, db.Client, p, ada, portalPerms{})
			}
			rec.Take()
			status, r := post(t, h, a.viewer(), map[string]any{"query": accessListQ, "variables": map[string]any{"id": ada.ID}})
			if status != 200 || len(r.Errors) > 0 {
				t.Fatalf("status %d, errors %+v", status, r.Errors)
			}
			var node struct{ AccessList struct{ TotalCount int } }
			dataField(t, r, "node", &node)
			if node.AccessList.TotalCount != 2*n+1 {
				t.Fatalf("%d entries, want %d", node.AccessList.TotalCount, 2*n+1)
			}
			counts[n] = len(rec.Take())
		}
		if counts[5] != counts[40] {
			t.Fatalf("statements: %v; the access list grows with its users", counts)
		}
		t.Logf("statements for the access list: %v", counts)
	})
}

func TestGrantingAndRevokingStaffProfileAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		other := newTenant(t, db.Client, "other")
		profile := db.Client.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Sam").SetFamilyName("Lee").
			SetEmail("sam@acme.test").SaveX(allowCtx())
		foreign := db.Client.StaffProfile.Create().SetOrganizationID(other.org.ID).SetGivenName("Kim").SetFamilyName("O").
			SetEmail("kim@other.test").SaveX(allowCtx())
		colleague := addUser(t, db.Client, a.org.ID, "ther@acme.test", user.KindStaff)
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		admin := a.viewer()
		in := map[string]any{"userId": colleague.ID, "staffProfileId": profile.ID}
		wantCodes(t, gqlDo(t, db, admin, grantProfileM, map[string]any{"in": in}))
		if ok, err := authz.CanReadStaffProfile(viewer.NewContext(context.Background(), viewerOf(t, db.Client, colleague)), db.Client, profile.ID); err != nil || !ok {
			t.Fatalf("the colleague does not reach the profile: %v", err)
		}
		wantCodes(t, gqlDo(t, db, admin, grantProfileM, map[string]any{"in": map[string]any{"userId": colleague.ID, "staffProfileId": foreign.ID}}), "NOT_FOUND")
		wantField(t, gqlDo(t, db, admin, grantProfileM, map[string]any{"in": map[string]any{"userId": parent.ID, "staffProfileId": profile.ID}}), "userId")
		wantCodes(t, gqlDo(t, db, viewerOf(t, db.Client, colleague), grantProfileM, map[string]any{"in": in}), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, viewerOf(t, db.Client, colleague), revokeProfileM, map[string]any{"in": in}), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, admin, revokeProfileM, map[string]any{"in": in}))
		wantCodes(t, gqlDo(t, db, admin, revokeProfileM, map[string]any{"in": in}), "NOT_FOUND")
		if n := len(eventsOf(t, db.Client, a.org.ID, audit.AccessGranted)) + len(eventsOf(t, db.Client, a.org.ID, audit.AccessRevoked)); n != 2 {
			t.Fatalf("%d access events, want 2", n)
		}
	})
}
