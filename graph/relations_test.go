package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The break-glass reason of the outside probe, which a portal parent spelled
// out one character at a time through hasEmergencyAccessesWith.
const hiddenReason = "Suspected child abuse disclosure at school"

// relWorld is the demo organization with a break-glass window on the
// portal parent's child, served by one GraphQL handler that takes its
// viewer from a test header.
type relWorld struct {
	db      *store.DB
	org     pulid.ID
	srv     *httptest.Server
	viewers map[string]*viewer.Viewer // by demo email
	ids     map[string]pulid.ID       // a few rows by name
}

func newRelWorld(t *testing.T, db *store.DB) *relWorld {
	t.Helper()
	ctx := context.Background()
	cheap := password.Hasher{Params: password.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}}
	if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: "correct horse battery staple",
		Hasher: cheap}); err != nil {
		t.Fatal(err)
	}
	w := &relWorld{db: db, viewers: map[string]*viewer.Viewer{}, ids: map[string]pulid.ID{}}
	w.org = db.Client.Organization.Query().Where(organization.Slug(demo.Slug)).OnlyIDX(allowCtx())
	sys := sysCtx(w.org)
	for _, du := range demo.Users() {
		u := db.Client.User.Query().Where(user.EmailNormalized(du.Email)).OnlyX(sys)
		w.viewers[du.Email] = viewerOf(t, db.Client, u)
		w.ids[du.Email] = u.ID
	}
	liam := db.Client.Patient.Query().Where(patient.GivenName("Liam"), patient.FamilyName("Carter")).OnlyX(sys)
	w.ids["liam"] = liam.ID
	// Break-glass windows the parent and most staff may not read: one by
	// the second clinician on the parent's child, one by the supervisor.
	now := time.Now()
	for _, who := range []string{"clinician2@demo.clinic", "supervisor@demo.clinic"} {
		db.Client.EmergencyAccess.Create().SetOrganizationID(w.org).SetUserID(w.ids[who]).SetClientID(liam.ID).
			SetReason(hiddenReason).SetStartedAt(now).SetExpiresAt(now.Add(time.Hour)).SaveX(allowCtx())
	}

	h := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: true})
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if v := w.viewers[r.Header.Get("X-Test-Viewer")]; v != nil {
			r = r.WithContext(viewer.NewContext(r.Context(), v))
		}
		h.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *relWorld) do(t *testing.T, as, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Viewer", as)
	res, err := http.DefaultClient.Do(req)
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

// clientNames runs a clients query with where as the viewer and returns the
// given names found.
func (w *relWorld) clientNames(t *testing.T, as string, where map[string]any) []string {
	t.Helper()
	r := w.do(t, as, `query($w: ClientWhereInput) { clients(where: $w, first: 100) { edges { node { givenName } } } }`,
		map[string]any{"w": where})
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %v", as, r.Errors)
	}
	var out struct {
		Edges []struct{ Node struct{ GivenName string } }
	}
	if err := json.Unmarshal(r.Data["clients"], &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range out.Edges {
		names = append(names, e.Node.GivenName)
	}
	return names
}

func TestRelationFiltersCannotSpellOutABreakGlassReasonTheViewerCannotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newRelWorld(t, db)
		parent := "parent@demo.clinic"
		if got := w.clientNames(t, parent, nil); !slices.Equal(got, []string{"Liam"}) {
			t.Fatalf("the parent sees %v, want [Liam]", got)
		}
		for _, prefix := range []string{"S", "Suspected child", hiddenReason} {
			if got := w.clientNames(t, parent, map[string]any{
				"hasEmergencyAccessesWith": []any{map[string]any{"reasonHasPrefix": prefix}},
			}); len(got) != 0 {
				t.Errorf("prefix %q matched %v through windows the parent cannot read", prefix, got)
			}
		}
		if got := w.clientNames(t, parent, map[string]any{"hasEmergencyAccesses": true}); len(got) != 0 {
			t.Errorf("hasEmergencyAccesses: true matched %v", got)
		}
		if got := w.clientNames(t, parent, map[string]any{"hasEmergencyAccesses": false}); !slices.Equal(got, []string{"Liam"}) {
			t.Errorf("hasEmergencyAccesses: false = %v, want [Liam], as if the child had no window", got)
		}
		if got := w.clientNames(t, parent, map[string]any{"hasEmergencyAccessesWith": []any{map[string]any{}}}); len(got) != 0 {
			t.Errorf("hasEmergencyAccessesWith: [{}] matched %v", got)
		}
		// The administrator holds audit.view and reads every window: the
		// same filter finds the child.
		if got := w.clientNames(t, "admin@demo.clinic", map[string]any{
			"hasEmergencyAccessesWith": []any{map[string]any{"reasonHasPrefix": "Suspected child"}},
		}); !slices.Contains(got, "Liam") {
			t.Errorf("the administrator's filter found %v, want Liam among them", got)
		}
		// The second clinician reads their own window, not the supervisor's.
		if got := w.clientNames(t, "clinician2@demo.clinic", map[string]any{
			"hasEmergencyAccessesWith": []any{map[string]any{"hasUserWith": []any{map[string]any{"emailHasPrefix": "supervisor"}}}},
		}); len(got) != 0 {
			t.Errorf("clinician2 matched the supervisor's window: %v", got)
		}
	})
}

func TestRelationFiltersSeeInvoicesOnlyWithTheBillingTab(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newRelWorld(t, db)
		if len(w.clientNames(t, "office@demo.clinic", map[string]any{"hasInvoices": true})) == 0 {
			t.Fatal("the office staff's billing tab finds no client with invoices: the fixture has none")
		}
		if got := w.clientNames(t, "clinician@demo.clinic", map[string]any{"hasInvoices": true}); len(got) != 0 {
			t.Errorf("a clinician without billing.view learns that %v have invoices", got)
		}
		if got := w.clientNames(t, "parent@demo.clinic", map[string]any{
			"hasInvoicesWith": []any{map[string]any{"amountCentsGT": 0}},
		}); len(got) != 0 {
			t.Errorf("a parent without the billing permission matched invoices of %v", got)
		}
	})
}

func TestRelationFiltersCannotMatchStaffProfilesTheViewerCannotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newRelWorld(t, db)
		q := `query($w: UserWhereInput) { users(where: $w) { edges { node { email } } } }`
		where := map[string]any{"w": map[string]any{"hasStaffProfileWith": []any{map[string]any{"employeeNumber": "E-004"}}}}
		emails := func(as string) []string {
			r := w.do(t, as, q, where)
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %v", as, r.Errors)
			}
			var out struct {
				Edges []struct{ Node struct{ Email string } }
			}
			if err := json.Unmarshal(r.Data["users"], &out); err != nil {
				t.Fatal(err)
			}
			var es []string
			for _, e := range out.Edges {
				es = append(es, e.Node.Email)
			}
			return es
		}
		if got := emails("admin@demo.clinic"); !slices.Equal(got, []string{"clinician@demo.clinic"}) {
			t.Fatalf("the administrator matched %v, want the clinician (employee E-004)", got)
		}
		if got := emails("teacher@demo.clinic"); len(got) != 0 {
			t.Errorf("the teacher matched a hidden employee number to %v", got)
		}
	})
}

func TestNestedEdgeFiltersLoadedWithTheirParentAreScopedToo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newRelWorld(t, db)
		// entgql loads Client.appointments together with the clients page,
		// decoding its where input itself: the scope must apply there too.
		q := `query($w: AppointmentWhereInput) { clients(first: 20) { edges { node { givenName
			appointments(where: $w, first: 20) { totalCount } } } } }`
		count := func(as string, where map[string]any) int {
			r := w.do(t, as, q, map[string]any{"w": where})
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %v", as, r.Errors)
			}
			var out struct {
				Edges []struct {
					Node struct{ Appointments struct{ TotalCount int } }
				}
			}
			if err := json.Unmarshal(r.Data["clients"], &out); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range out.Edges {
				n += e.Node.Appointments.TotalCount
			}
			return n
		}
		// The parent reads their child's sessions and who provides them, but
		// no staff profile; the administrator reads them all.
		profiled := func(has bool) map[string]any {
			return map[string]any{"hasProviderWith": []any{map[string]any{"hasStaffProfile": has}}}
		}
		if count("admin@demo.clinic", profiled(true)) == 0 {
			t.Fatal("no session by a provider with a staff profile: the fixture has none")
		}
		parent := "parent@demo.clinic"
		all := count(parent, nil)
		if all == 0 {
			t.Fatal("the parent sees no session of their child: the fixture has none")
		}
		if got := count(parent, profiled(true)); got != 0 {
			t.Errorf("the parent found %d sessions by providers with staff profiles they cannot read", got)
		}
		if got := count(parent, profiled(false)); got != all {
			t.Errorf("hasStaffProfile: false gave %d of %d sessions", got, all)
		}
	})
}

// relStep is one relation of a where input: the Go field names of
// has<Edge> and has<Edge>With, their GraphQL names, and the related ent
// type.
type relStep struct {
	edge          string // Go edge name: Query<Edge> on the entity
	has, hasWith  string // GraphQL input field names
	from, related string // ent type names
}

// whereRelations lists the relations of the where input type t, by
// entgql's naming, as the directive finds them.
func whereRelations(t *testing.T, typ reflect.Type) []relStep {
	t.Helper()
	var out []relStep
	for i := range typ.NumField() {
		f := typ.Field(i)
		edge, ok := strings.CutPrefix(f.Name, "Has")
		if !ok {
			continue
		}
		if edge, ok = strings.CutSuffix(edge, "With"); !ok {
			continue
		}
		h, ok := typ.FieldByName("Has" + edge)
		if !ok {
			t.Fatalf("%s has %s but no Has%s", typ.Name(), f.Name, edge)
		}
		out = append(out, relStep{
			edge:    edge,
			has:     jsonName(h),
			hasWith: jsonName(f),
			from:    strings.TrimSuffix(typ.Name(), "WhereInput"),
			related: strings.TrimSuffix(f.Type.Elem().Elem().Name(), "WhereInput"),
		})
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// whereTypes walks the relations from the where inputs of the root
// connections to every where input reachable, by Go type name.
func whereTypes(t *testing.T) map[string]reflect.Type {
	t.Helper()
	todo := []reflect.Type{
		reflect.TypeFor[ent.PatientWhereInput](), reflect.TypeFor[ent.UserWhereInput](),
		reflect.TypeFor[ent.RoleWhereInput](), reflect.TypeFor[ent.BusinessUnitWhereInput](),
		reflect.TypeFor[ent.StaffProfileWhereInput](), reflect.TypeFor[ent.AuditEventWhereInput](),
		reflect.TypeFor[ent.EmergencyAccessWhereInput](),
	}
	seen := map[string]reflect.Type{}
	for len(todo) > 0 {
		typ := todo[0]
		todo = todo[1:]
		if _, ok := seen[typ.Name()]; ok {
			continue
		}
		seen[typ.Name()] = typ
		for i := range typ.NumField() {
			f := typ.Field(i)
			if strings.HasPrefix(f.Name, "Has") && strings.HasSuffix(f.Name, "With") {
				todo = append(todo, f.Type.Elem().Elem())
			}
		}
	}
	return seen
}

// goWhereName is the Go type behind a GraphQL where input: ClientWhereInput
// is bound to ent.PatientWhereInput by @goModel, the rest by name.
func goWhereName(def *ast.Definition) string {
	if d := def.Directives.ForName("goModel"); d != nil {
		if a := d.Arguments.ForName("model"); a != nil {
			return a.Value.Raw[strings.LastIndex(a.Value.Raw, ".")+1:]
		}
	}
	return def.Name
}

func TestEveryWhereInputWithRelationsIsScoped(t *testing.T) {
	schema := graph.NewSchema(nil).Schema()
	types := whereTypes(t)
	// The where inputs a request can reach: those of fields, and those
	// their relation filters lead to.
	var todo []string
	for _, def := range schema.Types {
		for _, f := range def.Fields {
			if a := f.Arguments.ForName("where"); a != nil && def.Kind == ast.Object {
				todo = append(todo, a.Type.Name())
			}
		}
	}
	reachable := map[string]bool{}
	n := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if reachable[name] {
			continue
		}
		reachable[name] = true
		def := schema.Types[name]
		typ, ok := types[goWhereName(def)]
		if !ok {
			t.Errorf("%s (%s) is not reachable from the sweep's root where inputs: add its root", def.Name, goWhereName(def))
			continue
		}
		rels := whereRelations(t, typ)
		if len(rels) > 0 && def.Directives.ForName("scopedRelations") == nil {
			t.Errorf("%s filters by relations without @scopedRelations", def.Name)
		}
		for _, r := range rels {
			n++
			if !authz.HasRowScope(r.related) {
				t.Errorf("%s.%s reaches %s, which has no row scope", def.Name, r.hasWith, r.related)
			}
			has, with := def.Fields.ForName(r.has), def.Fields.ForName(r.hasWith)
			if has == nil || with == nil {
				t.Errorf("%s: the Go input has %s/%s, the schema does not", def.Name, r.has, r.hasWith)
				continue
			}
			todo = append(todo, with.Type.Name())
		}
	}
	if n < 30 {
		t.Fatalf("only %d relation filters found: the sweep's reflection no longer matches entgql's inputs", n)
	}
}

// relField is a GraphQL field taking a where input: a root connection or
// a connection on a type reached by node id.
type relField struct {
	parent, name string // GraphQL object type and field
	whereGQL     string // the where input's GraphQL name
	whereGo      string // and its Go type name
}

// relCase is one relation filter to sweep: a field, a path of relations
// leading to the where input that has the relation under test, and that
// relation.
type relCase struct {
	field relField
	path  []relStep // path[len-1] is the relation under test
}

// relCases finds, for every relation of every reachable where input, the
// shortest path to it from a field that takes a where input.
func relCases(t *testing.T, schema *ast.Schema) []relCase {
	t.Helper()
	types := whereTypes(t)
	var fields []relField
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if a := f.Arguments.ForName("where"); a != nil {
				wd := schema.Types[a.Type.Name()]
				fields = append(fields, relField{parent: def.Name, name: f.Name, whereGQL: wd.Name, whereGo: goWhereName(wd)})
			}
		}
	}
	sort.Slice(fields, func(i, j int) bool { // root fields first, then by name, for stable shortest paths
		if (fields[i].parent == "Query") != (fields[j].parent == "Query") {
			return fields[i].parent == "Query"
		}
		return fields[i].parent+fields[i].name < fields[j].parent+fields[j].name
	})
	type state struct {
		field relField
		path  []relStep
		typ   string
	}
	var queue []state
	for _, f := range fields {
		queue = append(queue, state{field: f, typ: f.whereGo})
	}
	done := map[string]bool{} // where type name + relation
	visited := map[string]bool{}
	var cases []relCase
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if visited[s.typ] {
			continue
		}
		visited[s.typ] = true
		for _, r := range whereRelations(t, types[s.typ]) {
			key := s.typ + "." + r.has
			path := append(slices.Clone(s.path), r)
			if !done[key] {
				done[key] = true
				cases = append(cases, relCase{field: s.field, path: path})
			}
			queue = append(queue, state{field: s.field, path: path, typ: r.related + "WhereInput"})
		}
	}
	return cases
}

// where builds the where input of c with the relation under test set to
// has: {hasE0With: [{… {hasEk: has}}]}.
func (c relCase) where(has bool) map[string]any {
	w := map[string]any{c.path[len(c.path)-1].has: has}
	for i := len(c.path) - 2; i >= 0; i-- {
		w = map[string]any{c.path[i].hasWith: []any{w}}
	}
	return w
}

// query returns the GraphQL document for c's field: ids of the rows the
// field returns, as "parent/child" for fields of a type reached by id.
func (c relCase) query() string {
	sel := fmt.Sprintf("%s(where: $w, first: 1000) { edges { node { id } } }", c.field.name)
	if c.field.parent == "Query" {
		return fmt.Sprintf("query($w: %s) { %s }", c.field.whereGQL, sel)
	}
	return fmt.Sprintf("query($w: %s, $ids: [ID!]!) { nodes(ids: $ids) { ... on %s { id %s } } }",
		c.field.whereGQL, c.field.parent, sel)
}

// rowIDs runs c's query and returns the ids it lists (nil and the error
// codes when it is refused).
func (w *relWorld) rowIDs(t *testing.T, as string, c relCase, where map[string]any, parents []string) ([]string, []string) {
	t.Helper()
	vars := map[string]any{"w": where}
	if c.field.parent != "Query" {
		vars["ids"] = parents
	}
	r := w.do(t, as, c.query(), vars)
	if len(r.Errors) > 0 {
		return nil, codes(r)
	}
	type conn struct {
		Edges []struct{ Node struct{ ID string } }
	}
	var ids []string
	if c.field.parent == "Query" {
		var out conn
		if err := json.Unmarshal(r.Data[c.field.name], &out); err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Edges {
			ids = append(ids, e.Node.ID)
		}
	} else {
		var out []map[string]json.RawMessage
		if err := json.Unmarshal(r.Data["nodes"], &out); err != nil {
			t.Fatal(err)
		}
		for _, n := range out {
			var id string
			var cn conn
			_ = json.Unmarshal(n["id"], &id)
			if err := json.Unmarshal(n[c.field.name], &cn); err != nil {
				t.Fatal(err)
			}
			for _, e := range cn.Edges {
				ids = append(ids, id+"/"+e.Node.ID)
			}
		}
	}
	if len(ids) >= 1000 {
		t.Fatalf("%s: a full page; the sweep compares whole lists", c.field.name)
	}
	sort.Strings(ids)
	return ids, nil
}

// related returns the rows of typ related to the row id through edge, as ent
// reads them in ctx (privacy rules applied to the related type).
func related(t *testing.T, ctx context.Context, c *ent.Client, typ string, id pulid.ID, edge string) []pulid.ID {
	t.Helper()
	tc := reflect.ValueOf(c).Elem().FieldByName(typ)
	out := tc.MethodByName("Get").Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(id)})
	if err, _ := out[1].Interface().(error); err != nil {
		t.Fatalf("%s %s: %v", typ, id, err)
	}
	q := out[0].MethodByName("Query" + edge).Call(nil)[0]
	out = q.MethodByName("IDs").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if err, _ := out[1].Interface().(error); err != nil {
		if ent.IsNotFound(err) {
			return nil
		}
		if strings.Contains(err.Error(), "privacy") || strings.Contains(err.Error(), "authz") {
			return nil // a type the viewer may not read at all
		}
		t.Fatalf("%s %s.%s: %v", typ, id, edge, err)
	}
	return out[0].Interface().([]pulid.ID)
}

// reaches reports whether row id of typ has, along path, a related row at
// every step — read in ctx — ending in a relation that exists (has) or not.
func reaches(t *testing.T, ctx context.Context, c *ent.Client, typ string, id pulid.ID, path []relStep, has bool) bool {
	rel := related(t, ctx, c, typ, id, path[0].edge)
	if len(path) == 1 {
		return (len(rel) > 0) == has
	}
	for _, r := range rel {
		if reaches(t, ctx, c, path[0].related, r, path[1:], has) {
			return true
		}
	}
	return false
}

func TestEveryRelationFilterMatchesOnlyRelatedRowsTheViewerMayRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newRelWorld(t, db)
		cases := relCases(t, graph.NewSchema(db.Client).Schema())
		if len(cases) < 30 {
			t.Fatalf("only %d relation filters to sweep", len(cases))
		}
		sys := sysCtx(w.org)
		hidden := 0 // cases where a related row exists that the viewer may not read
		for as, v := range w.viewers {
			vctx := viewer.NewContext(context.Background(), v)
			for _, c := range cases {
				name := fmt.Sprintf("%s: %s.%s where %v", as, c.field.parent, c.field.name, c.where(true))
				var parents []string
				parentType := c.field.parent
				if parentType == "Client" {
					parentType = "Patient"
				}
				if c.field.parent != "Query" {
					for _, id := range allIDs(t, vctx, db.Client, parentType) {
						parents = append(parents, string(id))
					}
				}
				all, refused := w.rowIDs(t, as, c, nil, parents)
				rowType := c.path[0].from
				for _, has := range []bool{true, false} {
					got, gotRefused := w.rowIDs(t, as, c, c.where(has), parents)
					if refused != nil {
						if !slices.Equal(gotRefused, refused) {
							t.Errorf("%s (has=%v): codes %v, unfiltered %v", name, has, gotRefused, refused)
						}
						continue
					}
					if gotRefused != nil {
						t.Errorf("%s (has=%v): refused %v", name, has, gotRefused)
						continue
					}
					var want []string
					for _, row := range all {
						_, id, _ := strings.Cut(row, "/")
						if id == "" {
							id = row
						}
						if reaches(t, vctx, db.Client, rowType, pulid.ID(id), c.path, has) {
							want = append(want, row)
						}
						if has && reaches(t, sys, db.Client, rowType, pulid.ID(id), c.path, true) &&
							!reaches(t, vctx, db.Client, rowType, pulid.ID(id), c.path, true) {
							hidden++
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s (has=%v):\n got  %v\n want %v", name, has, got, want)
					}
				}
			}
		}
		if hidden == 0 {
			t.Fatal("no case had related rows hidden from its viewer: the sweep proves nothing")
		}
		t.Logf("%d relation filters × %d viewers; %d rows with related rows hidden from the viewer", len(cases), len(w.viewers), hidden)
	})
}

// allIDs returns the ids of the rows of typ ent reads in ctx.
func allIDs(t *testing.T, ctx context.Context, c *ent.Client, typ string) []pulid.ID {
	t.Helper()
	q := reflect.ValueOf(c).Elem().FieldByName(typ).MethodByName("Query").Call(nil)[0]
	out := q.MethodByName("IDs").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if err, _ := out[1].Interface().(error); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return out[0].Interface().([]pulid.ID)
}
