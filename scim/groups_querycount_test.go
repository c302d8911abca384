package scim_test

import (
	"fmt"
	"testing"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/team"
)

// TestAddingMembersToAMappedGroupTakesTheSameStatementsForOneOrMany holds
// the statements of a PATCH adding members to a group mapped to a unit or
// a role flat in the number of members: the grant is one batch through
// the directory or team operation, not one per member. Every added member
// still gets the grant (the engine sees it at once) and their own audit
// event; removing them takes it away the same way.
func TestAddingMembersToAMappedGroupTakesTheSameStatementsForOneOrMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, kind := range []string{"unit", "role"} {
			client, rec := storetest.Record(db)
			f := newGroupFixture(t, client, "qc-"+kind)
			status, body, _ := f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Mapped " + kind})
			f.mustStatus(201, status, body, "create")
			id := pulid.ID(body["id"].(string))
			var err error
			if kind == "unit" {
				_, err = provision.MapGroup(f.adminCtx, f.c, id, &f.unit.ID, nil)
			} else {
				_, err = provision.MapGroup(f.adminCtx, f.c, id, nil, &f.nurse.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			statements := func(n int) (int, []pulid.ID) {
				var ids []pulid.ID
				for range n {
					ids = append(ids, f.staff().ID)
				}
				rec.Reset()
				status, body, _ := f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{"op": "add", "path": "members", "value": members(ids...)}))
				f.mustStatus(204, status, body, "add members")
				return len(rec.Take()), ids
			}
			one, _ := statements(1)
			many, ids := statements(25)
			if many > one {
				t.Errorf("%s: adding 1 member took %d statements, adding 25 took %d", kind, one, many)
			}
			for _, u := range ids {
				got := f.unitsOf(f.c.User.GetX(allowCtx(), u))
				want := f.unit.ID
				if kind == "role" {
					got, want = f.rolesOf(f.c.User.GetX(allowCtx(), u)), f.nurse.ID
				}
				if !has(got, want) {
					t.Fatalf("%s: member %s was not given it: %v", kind, u, got)
				}
			}
			action := directory.ActionBusinessUnitsSet
			if kind == "role" {
				action = team.UserRolesChanged
			}
			n := f.c.AuditEvent.Query().Where(auditevent.Action(action), auditevent.TargetIDIn(idStrs(ids)...)).CountX(allowCtx())
			if n != len(ids) {
				t.Errorf("%s: %d audit events for %d members", kind, n, len(ids))
			}
			var ops []map[string]any
			for _, u := range ids {
				ops = append(ops, map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, u)})
			}
			rec.Reset()
			status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(ops...))
			f.mustStatus(204, status, body, "remove members")
			if got := len(rec.Take()); got > one+2 {
				t.Errorf("%s: removing 25 members took %d statements (adding 1: %d)", kind, got, one)
			}
			for _, u := range ids {
				got := f.unitsOf(f.c.User.GetX(allowCtx(), u))
				lost := f.unit.ID
				if kind == "role" {
					got, lost = f.rolesOf(f.c.User.GetX(allowCtx(), u)), f.nurse.ID
				}
				if has(got, lost) {
					t.Fatalf("%s: removed member %s kept it", kind, u)
				}
			}
		}
	})
}

func idStrs(ids []pulid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
