package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// The report's query: roles, their users, those users' roles and their
// users cost 37 and returned 90,601 objects in an organization of 301
// users. Through list edges priced by their bounds, it is refused.
func TestNestedListEdgesAreRefusedForTheirCost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		r := do(t, db, a.viewer(), `{ roles(first: 6) { edges { node { name users { email roles { name users { id } } } } } } }`, nil)
		if got := codes(r); len(got) != 1 || got[0] != graph.ComplexityLimitExceeded || r.Data != nil {
			t.Fatalf("%s %+v", r.Data, r.Errors)
		}
	})
}

// A list edge longer than its bound is an error on that field, with
// LIST_LIMIT_EXCEEDED, rather than a silently shortened list; at its bound
// it is answered whole.
func TestListEdgesAreHeldToTheirBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		const bound = 30 // User.roles
		roles := make([]*ent.Role, bound)
		for i := range roles {
			roles[i] = addRole(t, db.Client, a.org.ID, fmt.Sprint("role ", i))
		}
		held := addUser(t, db.Client, a.org.ID, "many@acme.test", user.KindStaff, roles...)
		const q = `query($e: String!) { users(where: {email: $e}) { edges { node { email roles { name } } } } }`

		r := do(t, db, a.viewer(), q, map[string]any{"e": held.Email})
		if len(r.Errors) > 0 || strings.Count(string(r.Data["users"]), `"name"`) != bound {
			t.Fatalf("at the bound: %s %+v", r.Data, r.Errors)
		}

		db.Client.User.UpdateOne(held).AddRoles(addRole(t, db.Client, a.org.ID, "one too many")).ExecX(allowCtx())
		r = do(t, db, a.viewer(), q, map[string]any{"e": held.Email})
		want := `{"edges":[{"node":{"email":"many@acme.test","roles":null}}]}`
		if got := codes(r); len(got) != 1 || got[0] != graph.ListLimitExceeded || string(r.Data["users"]) != want ||
			fmt.Sprint(r.Errors[0].Path) != "[users edges 0 node roles]" {
			t.Fatalf("over the bound: %s %+v", r.Data, r.Errors)
		}
	})
}
