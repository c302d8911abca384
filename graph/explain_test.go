package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestExplainAccessOverGraphQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		b := newTenant(t, db.Client, "bravo")
		ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
		c := db.Client
		clinician := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("cl@acme.test").
			SetStatus(user.StatusActive).SaveX(ctx)
		c.ClientAccess.Create().SetOrganizationID(a.org.ID).SetUserID(clinician.ID).
			SetClientID(a.clients[0].ID).SetGrantedByID(a.admin.ID).SaveX(ctx)
		const q = `query($u: ID!, $c: ID!) { explainAccess(userId: $u, clientId: $c) {
			allowed notes user { email }
			paths { kind privilege roles { name } businessUnit { name } grantedBy { email } grantedAt expiresAt }
		} }`

		// The administrator asks about the clinician: one explicit link,
		// granted by the administrator.
		r := do(t, db, a.viewer(), q, map[string]any{"u": clinician.ID, "c": a.clients[0].ID})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var got struct {
			Allowed bool
			Paths   []struct {
				Kind      string
				GrantedBy *struct{ Email string }
				GrantedAt *string
			}
		}
		json.Unmarshal(r.Data["explainAccess"], &got)
		if !got.Allowed || len(got.Paths) != 1 || got.Paths[0].Kind != "EXPLICIT_LINK" ||
			got.Paths[0].GrantedBy == nil || got.Paths[0].GrantedBy.Email != "admin@acme.test" || got.Paths[0].GrantedAt == nil {
			t.Errorf("explanation = %s", r.Data["explainAccess"])
		}

		// And about themself: organization-wide, through their role.
		r = do(t, db, a.viewer(), q, map[string]any{"u": a.admin.ID, "c": a.clients[1].ID})
		if !contains(r.Data["explainAccess"], `"kind":"ORGANIZATION_WIDE","privilege":"clients.access.all","roles":[{"name":"Administrator"}]`) {
			t.Errorf("admin's own explanation = %s %+v", r.Data["explainAccess"], r.Errors)
		}

		// The clinician (no administrator privilege) may ask about
		// themself, not about the administrator.
		cv := &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: a.org.ID, UserID: clinician.ID, Privileges: map[string]bool{}}
		r = do(t, db, cv, q, map[string]any{"u": clinician.ID, "c": a.clients[0].ID})
		if len(r.Errors) > 0 || !contains(r.Data["explainAccess"], `"allowed":true`) {
			t.Errorf("clinician about themself and a linked client: %s %+v", r.Data["explainAccess"], r.Errors)
		}
		// A client the clinician does not reach — restricted or not — is
		// answered exactly as an id that does not exist.
		c.Patient.UpdateOne(a.clients[2]).SetRestricted(true).ExecX(ctx)
		unknown := do(t, db, cv, q, map[string]any{"u": clinician.ID, "c": pulid.New("cli")})
		for _, id := range []pulid.ID{a.clients[1].ID, a.clients[2].ID} {
			r = do(t, db, cv, q, map[string]any{"u": clinician.ID, "c": id})
			if string(r.Data["explainAccess"]) != string(unknown.Data["explainAccess"]) || !slices.Equal(codes(r), codes(unknown)) {
				t.Errorf("clinician about an unreached client: %s %v, unknown id: %s %v",
					r.Data["explainAccess"], codes(r), unknown.Data["explainAccess"], codes(unknown))
			}
		}
		r = do(t, db, cv, q, map[string]any{"u": a.admin.ID, "c": a.clients[0].ID})
		if got := codes(r); len(got) != 1 || got[0] != "FORBIDDEN" || string(r.Data["explainAccess"]) != "null" {
			t.Errorf("clinician about the administrator: %v %s", got, r.Data["explainAccess"])
		}

		// Another organization's user or client: not found, like nothing.
		for _, vars := range []map[string]any{
			{"u": b.admin.ID, "c": a.clients[0].ID},
			{"u": clinician.ID, "c": b.clients[0].ID},
		} {
			r = do(t, db, a.viewer(), q, vars)
			if len(r.Errors) > 0 || string(r.Data["explainAccess"]) != "null" {
				t.Errorf("%v: %s %+v", vars, r.Data["explainAccess"], r.Errors)
			}
		}

		r = do(t, db, a.viewer(), `{ privilegeCatalogue { key ownerOnly } }`, nil)
		if !contains(r.Data["privilegeCatalogue"], `{"key":"org.delete","ownerOnly":true}`) ||
			!contains(r.Data["privilegeCatalogue"], `{"key":"clients.access.business_unit","ownerOnly":false}`) {
			t.Errorf("catalogue = %s", r.Data["privilegeCatalogue"])
		}
	})
}

func contains(b json.RawMessage, s string) bool { return strings.Contains(string(b), s) }

// Administrators see every break-glass window, also on restricted clients
// they do not reach: by the client's id, since the client stays closed.
func TestAdministratorsSeeWindowsOnRestrictedClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
		c := db.Client
		restricted := c.Patient.Create().SetOrganizationID(a.org.ID).SetGivenName("Rae").SetFamilyName("acme").
			SetRestricted(true).SaveX(ctx)
		clinician := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("cl@acme.test").SetStatus(user.StatusActive).SaveX(ctx)
		now := time.Now()
		c.EmergencyAccess.Create().SetOrganizationID(a.org.ID).SetUserID(clinician.ID).SetClientID(restricted.ID).
			SetReason("seizure at school, parent unreachable").SetStartedAt(now).SetExpiresAt(now.Add(time.Hour)).SaveX(ctx)

		r := do(t, db, a.viewer(), `{ emergencyAccesses { totalCount edges { node { clientId userId reason } } } }`, nil)
		want := `{"totalCount":1,"edges":[{"node":{"clientId":"` + string(restricted.ID) + `","userId":"` + string(clinician.ID) + `","reason":"seizure at school, parent unreachable"}}]}`
		if len(r.Errors) > 0 || string(r.Data["emergencyAccesses"]) != want {
			t.Errorf("windows = %s %+v", r.Data["emergencyAccesses"], r.Errors)
		}
		// The restricted client itself stays closed to the administrator.
		r = do(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": restricted.ID})
		if string(r.Data["node"]) != "null" {
			t.Errorf("restricted client opened to the administrator: %s", r.Data["node"])
		}
	})
}
