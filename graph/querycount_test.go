package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// listClients is the clients page a client list screen asks for.
func listClients(first int) string {
	return fmt.Sprintf(`{ clients(first: %d) { totalCount edges { node {
		id givenName businessUnit { name }
		accesses(first: 5) { totalCount edges { node { user { email } } } }
		portalAccesses(first: 5) { edges { node { user { email } } } }
	} } } }`, first)
}

// links is a page of a client's access links with their users.
type links struct {
	TotalCount int
	Edges      []struct {
		Node struct{ User struct{ Email string } }
	}
}

// seedClients gives tn's organization n more clients, each in a business
// unit of its own, linked to two or three staff users and one portal user.
func seedClients(t *testing.T, c *ent.Client, tn tenant, n int) {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := tn.org.ID
	var staff []*ent.User
	for i := range 5 {
		staff = append(staff, c.User.Create().SetOrganizationID(org).SetEmail(fmt.Sprintf("staff%d@x.test", i)).
			SetDisplayName(fmt.Sprintf("Staff %d", i)).SetStatus(user.StatusActive).SaveX(ctx))
	}
	for i := range n {
		unit := c.BusinessUnit.Create().SetOrganizationID(org).SetName(fmt.Sprintf("Unit %03d", i)).SaveX(ctx)
		p := c.Patient.Create().SetOrganizationID(org).SetGivenName(fmt.Sprintf("Client %03d", i)).
			SetFamilyName("Seeded").SetBusinessUnit(unit).SaveX(ctx)
		for j := range 2 + i%2 {
			c.ClientAccess.Create().SetOrganizationID(org).SetUserID(staff[(i+j)%len(staff)].ID).SetClientID(p.ID).SaveX(ctx)
		}
		portal := c.User.Create().SetOrganizationID(org).SetEmail(fmt.Sprintf("portal%03d@x.test", i)).
			SetDisplayName(fmt.Sprintf("Portal %03d", i)).SetKind(user.KindPortal).SetStatus(user.StatusActive).SaveX(ctx)
		c.PortalAccess.Create().SetOrganizationID(org).SetUserID(portal.ID).SetClientID(p.ID).SaveX(ctx)
	}
}

// TestClientListQueriesDoNotGrowWithThePage counts the SQL statements a
// page of clients with nested edges costs: entgql's field collection loads
// each edge for the whole page at once, so a page of 50 costs what a page
// of 10 does.
func TestClientListQueriesDoNotGrowWithThePage(t *testing.T) {
	const maxStatements = 12
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		seedClients(t, db.Client, a, 120)
		client, rec := storetest.Record(db)
		h := graph.NewHandler(client, graph.HandlerConfig{})

		counts := map[int]int{}
		for _, first := range []int{10, 50} {
			rec.Take()
			status, r := post(t, h, a.viewer(), map[string]any{"query": listClients(first)})
			statements := rec.Take()
			if status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("first %d: %d %+v", first, status, r.Errors)
			}
			var page struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						GivenName      string
						BusinessUnit   *struct{ Name string }
						Accesses       links
						PortalAccesses links
					}
				}
			}
			if err := json.Unmarshal(r.Data["clients"], &page); err != nil {
				t.Fatal(err)
			}
			if page.TotalCount != 123 || len(page.Edges) != first {
				t.Fatalf("first %d: totalCount %d, %d edges", first, page.TotalCount, len(page.Edges))
			}
			for _, e := range page.Edges {
				n := e.Node
				if !strings.HasPrefix(n.GivenName, "Client ") {
					continue // one of newTenant's three
				}
				if n.BusinessUnit == nil || len(n.Accesses.Edges) < 2 || n.Accesses.TotalCount != len(n.Accesses.Edges) ||
					len(n.PortalAccesses.Edges) != 1 ||
					n.Accesses.Edges[0].Node.User.Email == "" || n.PortalAccesses.Edges[0].Node.User.Email == "" {
					t.Fatalf("first %d: %s is missing edges: %+v", first, n.GivenName, n)
				}
			}
			counts[first] = len(statements)
			t.Logf("first %d: %d statements:\n\t%s", first, len(statements), strings.Join(statements, "\n\t"))
		}
		if counts[10] != counts[50] || counts[50] > maxStatements {
			t.Errorf("statements: %d for 10 clients, %d for 50; want the same, at most %d", counts[10], counts[50], maxStatements)
		}
	})
}

// TestAccessDecisionsAreCachedPerOperation asks the same access question
// twice in each of two operations (on SQLite, whose quoting the filter
// below expects): each operation asks the database once.
func TestAccessDecisionsAreCachedPerOperation(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	client, rec := storetest.Record(db)
	srv := graph.NewHandler(client, graph.HandlerConfig{}).(*handler.Server)
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		for range 2 {
			if ok, err := authz.CanReadClient(ctx, client, a.clients[0].ID); !ok || err != nil {
				t.Errorf("CanReadClient = %v, %v", ok, err)
			}
		}
		return next(ctx)
	})
	for range 2 {
		rec.Take()
		if _, r := post(t, srv, a.viewer(), map[string]any{"query": `{ viewer { privileges } }`}); len(r.Errors) > 0 {
			t.Fatalf("%+v", r.Errors)
		}
		var asked []string
		for _, s := range rec.Take() {
			if strings.Contains(s, "FROM `patients`") {
				asked = append(asked, s)
			}
		}
		if len(asked) != 1 {
			t.Errorf("one operation asked %d times:\n\t%s", len(asked), strings.Join(asked, "\n\t"))
		}
	}
}

// The billing field rule is asked for every appointment of a list: for a
// portal user or a provider it costs the same statements for 5 rows as for
// 20 (whole rows are loaded, so the rule needs no query for the provider or
// the client, and a portal permission is decided once per request).
func TestBillingFieldRuleDoesNotQueryPerRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		provider := newClinician(t, db.Client, a, "provider@acme.test")
		linkClient(t, db.Client, provider, ada)
		parent := addUser(t, db.Client, a.org.ID, "mum@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, ada, portalPerms{sessionsHomework: true})
		start := time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)
		for i := range 20 {
			at := start.Add(time.Duration(i) * 24 * time.Hour)
			db.Client.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetProviderID(provider.ID).
				SetStartsAt(at).SetEndsAt(at.Add(time.Hour)).SetBilled(i%2 == 0).SaveX(allowCtx())
		}
		client, rec := storetest.Record(db)
		h := graph.NewHandler(client, graph.HandlerConfig{})
		for _, u := range []*ent.User{provider, parent} {
			v := viewerOf(t, db.Client, u)
			counts := map[int]int{}
			for _, first := range []int{5, 20} {
				rec.Take()
				_, r := post(t, h, v, map[string]any{
					"query":     fmt.Sprintf(`query($id: ID!) { node(id: $id) { ... on Client { appointments(first: %d) { edges { node { startsAt billed } } } } } }`, first),
					"variables": map[string]any{"id": ada.ID},
				})
				if len(r.Errors) > 0 || strings.Count(string(r.Data["node"]), `"billed":`) != first || strings.Contains(string(r.Data["node"]), `"billed":null`) {
					t.Fatalf("%s, first %d: %s %+v", u.Email, first, r.Data["node"], r.Errors)
				}
				counts[first] = len(rec.Take())
			}
			if counts[5] != counts[20] {
				t.Errorf("%s: %d statements for 5 appointments, %d for 20", u.Email, counts[5], counts[20])
			}
		}
	})
}

// A page of roles with their holder counts costs the same statements for
// 3 roles as for 12: the counts are loaded once per operation.
func TestRoleHolderCountsDoNotQueryPerRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		client, rec := storetest.Record(db)
		h := graph.NewHandler(client, graph.HandlerConfig{})
		count := func(want int) (int, string) {
			t.Helper()
			rec.Take()
			status, r := post(t, h, a.viewer(), map[string]any{"query": `{ roles(first: 50) { edges { node { name holderCount } } } }`})
			statements := rec.Take()
			if status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("%d %+v", status, r.Errors)
			}
			var page struct {
				Edges []struct{ Node struct{ HolderCount int } }
			}
			if err := json.Unmarshal(r.Data["roles"], &page); err != nil {
				t.Fatal(err)
			}
			held := 0
			for _, e := range page.Edges {
				held += e.Node.HolderCount
			}
			if len(page.Edges) != want {
				t.Fatalf("%d roles, want %d", len(page.Edges), want)
			}
			return len(statements), fmt.Sprint(held)
		}
		few, heldFew := count(1)
		for i := range 11 {
			r := addRole(t, db.Client, a.org.ID, fmt.Sprintf("Role %d", i), authz.ReportsView)
			addUser(t, db.Client, a.org.ID, fmt.Sprintf("holder%d@acme.test", i), user.KindStaff, r)
		}
		many, heldMany := count(12)
		if few != many || heldFew != "1" || heldMany != "12" {
			t.Errorf("statements %d for 1 role, %d for 12; holders %s and %s, want 1 and 12", few, many, heldFew, heldMany)
		}
	})
}
