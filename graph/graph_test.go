package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// tenant is one organization with an administrator and a few rows.
type tenant struct {
	org     *ent.Organization
	admin   *ent.User
	session *ent.Session
	clients []*ent.Patient
	unit    *ent.BusinessUnit
	role    *ent.Role
}

func newTenant(t *testing.T, c *ent.Client, slug string) tenant {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := c.Organization.Create().SetName(slug + " clinic").SetSlug(slug).SaveX(ctx)
	var privs []string
	for _, p := range authz.Catalogue() {
		if !p.OwnerOnly {
			privs = append(privs, string(p.Key))
		}
	}
	role := c.Role.Create().SetOrganizationID(org.ID).SetName("Administrator").SetPrivileges(privs).SaveX(ctx)
	unit := c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("North").SaveX(ctx)
	admin := c.User.Create().SetOrganizationID(org.ID).SetEmail("admin@" + slug + ".test").
		SetDisplayName("Admin " + slug).SetStatus(user.StatusActive).AddRoles(role).SaveX(ctx)
	s := c.Session.Create().SetOrganizationID(org.ID).SetUserID(admin.ID).SetTokenHash([]byte(slug)).
		SetMethod("PASSWORD").SetExpiresAt(admin.CreatedAt.Add(1e12)).SetIdleTimeoutSeconds(1800).SaveX(ctx)
	var clients []*ent.Patient
	for _, n := range []string{"Ada", "Ben", "Cy"} {
		clients = append(clients, c.Patient.Create().SetOrganizationID(org.ID).
			SetGivenName(n).SetFamilyName(slug).SetBusinessUnit(unit).SaveX(ctx))
	}
	return tenant{org: org, admin: admin, session: s, clients: clients, unit: unit, role: role}
}

func (tn tenant) viewer() *viewer.Viewer {
	privs := map[string]bool{}
	for _, p := range tn.role.Privileges {
		privs[p] = true
	}
	return &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: tn.org.ID, UserID: tn.admin.ID,
		RoleIDs: nil, Privileges: privs, SessionID: tn.session.ID, AuthMethod: "PASSWORD"}
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// do runs one GraphQL request through the real handler over HTTP, as v
// (nil: anonymous).
func do(t *testing.T, db *store.DB, v *viewer.Viewer, query string, vars map[string]any) gqlResponse {
	t.Helper()
	h := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: true})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v != nil {
			r = r.WithContext(viewer.NewContext(r.Context(), v))
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

func codes(r gqlResponse) []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func TestAnonymousRequestsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newTenant(t, db.Client, "acme")
		for _, q := range []string{
			`{ viewer { user { email } } }`,
			`{ clients { totalCount } }`,
			`{ users { edges { node { email } } } }`,
			`{ node(id: "cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0V") { id } }`,
		} {
			r := do(t, db, nil, q, nil)
			if got := codes(r); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
				t.Errorf("%s: codes = %v, want [UNAUTHENTICATED]", q, got)
			}
			if string(r.Data["viewer"]) != "" && string(r.Data["viewer"]) != "null" {
				t.Errorf("%s: data leaked: %s", q, r.Data)
			}
		}
	})
}

func TestPasswordChangeRequiredBlocksData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		v := a.viewer()
		v.State = viewer.StatePasswordChangeRequired
		r := do(t, db, v, `{ clients { totalCount } }`, nil)
		if got := codes(r); len(got) != 1 || got[0] != "PASSWORD_CHANGE_REQUIRED" {
			t.Fatalf("codes = %v", got)
		}
	})
}

func TestMFARequiredBlocksDataUntilPassed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		for state, want := range map[viewer.State]string{
			"":               "UNAUTHENTICATED", // no state is no way in
			"something else": "UNAUTHENTICATED",
		} {
			v := a.viewer()
			v.State = state
			r := do(t, db, v, `{ viewer { user { id } } clients { totalCount } }`, nil)
			if got := codes(r); len(got) != 2 || got[0] != want || got[1] != want || r.Data["clients"] != nil && string(r.Data["clients"]) != "null" {
				t.Errorf("state %q: codes = %v, data = %s", state, got, r.Data)
			}
		}
	})
}

func TestAnMFAPendingSessionIsAnsweredOnlyItsMFAState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		v := a.viewer()
		v.State, v.MFARequired = viewer.StateMFARequired, true
		r := do(t, db, v, `{ clients { totalCount } }`, nil)
		if got := codes(r); len(got) != 1 || got[0] != "MFA_REQUIRED" {
			t.Fatalf("clients while MFA pending: codes = %v, data = %s", got, r.Data)
		}
		r = do(t, db, v, `{ viewer { mfa { required enrolled } roles { id } privileges businessUnits { id } } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("viewer while MFA pending: %+v", r.Errors)
		}
		var got struct {
			Viewer struct {
				Mfa                  struct{ Required, Enrolled bool }
				Roles, BusinessUnits []struct{ ID string }
				Privileges           []string
			}
		}
		if err := json.Unmarshal(r.Data["viewer"], &got.Viewer); err != nil {
			t.Fatal(err)
		}
		if !got.Viewer.Mfa.Required || got.Viewer.Mfa.Enrolled || len(got.Viewer.Roles)+len(got.Viewer.Privileges)+len(got.Viewer.BusinessUnits) != 0 {
			t.Errorf("viewer while MFA pending = %+v, want the MFA state and nothing it may reach", got.Viewer)
		}
	})
}

func TestViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		r := do(t, db, a.viewer(), `{ viewer { user { id email } organization { slug } roles { name } privileges session { id authMethod passwordChangeRequired } } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var got struct {
			User         struct{ ID, Email string }
			Organization struct{ Slug string }
			Roles        []struct{ Name string }
			Privileges   []string
			Session      struct {
				ID, AuthMethod         string
				PasswordChangeRequired bool
			}
		}
		if err := json.Unmarshal(r.Data["viewer"], &got); err != nil {
			t.Fatal(err)
		}
		if got.User.ID != string(a.admin.ID) || got.User.Email != "admin@acme.test" || got.Organization.Slug != "acme" {
			t.Errorf("viewer = %+v", got)
		}
		if len(got.Roles) != 1 || got.Roles[0].Name != "Administrator" || len(got.Privileges) != len(a.role.Privileges) {
			t.Errorf("roles/privileges = %+v %v", got.Roles, got.Privileges)
		}
		if got.Session.ID != string(a.session.ID) || got.Session.AuthMethod != "PASSWORD" {
			t.Errorf("session = %+v", got.Session)
		}
	})
}

func TestNodeOfAnotherOrganizationIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		b := newTenant(t, db.Client, "bravo")
		const q = `query($id: ID!) { node(id: $id) { id ... on Client { givenName } ... on User { email } } }`

		// Own rows resolve, with fields collected through the Client fragment.
		r := do(t, db, a.viewer(), q, map[string]any{"id": a.clients[0].ID})
		if len(r.Errors) > 0 || !bytes.Contains(r.Data["node"], []byte(`"givenName":"Ada"`)) {
			t.Fatalf("own client: %s %+v", r.Data["node"], r.Errors)
		}
		// Every kind of row of the other organization answers exactly like
		// an ID that never existed.
		for _, id := range []any{b.clients[0].ID, b.admin.ID, b.unit.ID, b.role.ID, b.org.ID,
			"cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", "not-an-id", "zzz_01JD7W5Q4B9D8Q3Y6C1R2S7T0V"} {
			r := do(t, db, a.viewer(), q, map[string]any{"id": id})
			if len(r.Errors) > 0 || string(r.Data["node"]) != "null" {
				t.Errorf("node(%v) = %s %+v, want null without errors", id, r.Data["node"], r.Errors)
			}
		}
		r = do(t, db, a.viewer(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []any{a.clients[1].ID, b.clients[1].ID}})
		if len(r.Errors) > 0 || string(r.Data["nodes"]) != `[{"id":"`+string(a.clients[1].ID)+`"},null]` {
			t.Errorf("nodes = %s %+v", r.Data["nodes"], r.Errors)
		}
	})
}

func TestConnectionsStayInsideTheOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		newTenant(t, db.Client, "bravo")
		r := do(t, db, a.viewer(), `{
			clients(first: 2, orderBy: {field: GIVEN_NAME, direction: DESC}) { totalCount edges { node { givenName familyName businessUnit { name } } } pageInfo { hasNextPage } }
			users { totalCount edges { node { email } } }
			businessUnits { totalCount }
			roles { totalCount }
			staffProfiles { totalCount }
		}`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var clients struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					GivenName, FamilyName string
					BusinessUnit          struct{ Name string }
				}
			}
			PageInfo struct{ HasNextPage bool }
		}
		json.Unmarshal(r.Data["clients"], &clients)
		if clients.TotalCount != 3 || len(clients.Edges) != 2 || !clients.PageInfo.HasNextPage {
			t.Fatalf("clients = %+v", clients)
		}
		if n := clients.Edges[0].Node; n.GivenName != "Cy" || n.FamilyName != "acme" || n.BusinessUnit.Name != "North" {
			t.Errorf("first client = %+v", n)
		}
		for field, want := range map[string]string{"users": "1", "businessUnits": "1", "roles": "1", "staffProfiles": "0"} {
			var c struct{ TotalCount json.Number }
			json.Unmarshal(r.Data[field], &c)
			if string(c.TotalCount) != want {
				t.Errorf("%s.totalCount = %s, want %s", field, c.TotalCount, want)
			}
		}
		// where filters cannot reach across either.
		r = do(t, db, a.viewer(), `{ clients(where: {familyName: "bravo"}) { totalCount } }`, nil)
		if string(r.Data["clients"]) != `{"totalCount":0}` {
			t.Errorf("filtered to other org: %s %+v", r.Data["clients"], r.Errors)
		}
	})
}

func TestBadInputGetsACode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		for q, want := range map[string]string{
			`{ clients(first: -1) { totalCount } }`:        "INVALID_PAGINATION",
			`{ nosuchfield }`:                              "GRAPHQL_VALIDATION_FAILED",
			`{ clients(after: "garbage") { totalCount } }`: "BAD_USER_INPUT",
		} {
			r := do(t, db, a.viewer(), q, nil)
			if got := codes(r); len(got) == 0 || got[0] != want {
				t.Errorf("%s: codes = %v (%+v), want %s", q, got, r.Errors, want)
			}
		}
	})
}

// Filters run inside other queries' SQL without the target's row rule, so
// the where inputs offer no way into clients, notes or PHI: a probe is a
// validation error, never an answer.
func TestFiltersCannotProbeWhatTheViewerCannotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		for _, q := range []string{
			`{ users(where: {hasClientAccessesWith: {hasClientWith: {familyName: "acme"}}}) { totalCount } }`,
			`{ businessUnits(where: {hasClientsWith: {givenName: "Ada"}}) { totalCount } }`,
			`{ clients(where: {diagnosis: "x"}) { totalCount } }`,
			`{ clients(where: {dateOfBirthLT: "2000-01-01T00:00:00Z"}) { totalCount } }`,
			`{ clients(where: {hasAppointmentsWith: {hasNotesWith: {bodyContains: "x"}}}) { totalCount } }`,
			`{ clients(where: {hasDocumentsWith: {hasClientWith: {givenName: "Ada"}}}) { totalCount } }`,
		} {
			r := do(t, db, a.viewer(), q, nil)
			if got := codes(r); len(got) == 0 || got[0] != "GRAPHQL_VALIDATION_FAILED" || len(r.Data) > 0 {
				t.Errorf("%s: codes %v data %s", q, got, r.Data)
			}
		}
	})
}

// A portal user's viewer works too: their own (empty) roles and units, no
// staff privileges.
func TestPortalViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		parent := db.Client.User.Create().SetOrganizationID(a.org.ID).SetEmail("mum@acme.test").
			SetKind(user.KindPortal).SetStatus(user.StatusActive).SaveX(ctx)
		s := db.Client.Session.Create().SetOrganizationID(a.org.ID).SetUserID(parent.ID).SetTokenHash([]byte("mum")).
			SetMethod("PASSWORD").SetExpiresAt(parent.CreatedAt.Add(1e12)).SetIdleTimeoutSeconds(1800).SaveX(ctx)
		v := &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: a.org.ID, UserID: parent.ID, Portal: true,
			Privileges: map[string]bool{}, SessionID: s.ID}
		r := do(t, db, v, `{ viewer { user { email kind } roles { name } businessUnits { name } privileges } }`, nil)
		want := `{"user":{"email":"mum@acme.test","kind":"PORTAL"},"roles":[],"businessUnits":[],"privileges":[]}`
		if len(r.Errors) > 0 || string(r.Data["viewer"]) != want {
			t.Errorf("portal viewer = %s %+v", r.Data["viewer"], r.Errors)
		}
		// But the organization's roles stay closed to them.
		r = do(t, db, v, `{ roles { totalCount } }`, nil)
		if got := codes(r); len(got) != 1 || got[0] != "FORBIDDEN" {
			t.Errorf("portal user lists roles: %v %s", got, r.Data["roles"])
		}
	})
}

func TestNodesIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ids := make([]any, graph.MaxNodes+1)
		for i := range ids {
			ids[i] = a.clients[0].ID
		}
		r := do(t, db, a.viewer(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		if got := codes(r); len(got) != 1 || got[0] != "BAD_USER_INPUT" {
			t.Errorf("%d ids: %v", len(ids), got)
		}
		r = do(t, db, a.viewer(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:graph.MaxNodes]})
		if len(r.Errors) > 0 {
			t.Errorf("%d ids: %+v", graph.MaxNodes, r.Errors)
		}
	})
}
