package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/bootstrap"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// The isolation sweep (issue 13, "Hostile input"): every node type, query,
// mutation and SCIM endpoint the running server offers is asked, over HTTP,
// about another organization's objects by an administrator of the first,
// and every mutation is asked by a staff member lacking the privilege.
// Which operations exist comes from introspection and from /ResourceTypes,
// so a new one is swept as soon as it exists, and one the sweep cannot
// classify (an unknown ID field, a node type without fixture data, a
// mutation a plain user may call) fails it until someone does.

// selfService are the mutations any staff member may call on their own
// account, whatever their role (the @mfaPending enrolment and verification
// mutations, and the management of their own factors and sessions). The
// sweep hands them another user's objects, which they must not find; those
// taking no object may write only the caller's own rows.
var selfService = map[string]string{
	"enrollAuthenticatorApp":    "starts the caller's own authenticator app",
	"confirmAuthenticatorApp":   "confirms the caller's own pending app (factorId)",
	"verifyMfa":                 "passes MFA in the caller's own session",
	"removeAuthenticatorApp":    "removes one of the caller's own apps",
	"regenerateRecoveryCodes":   "replaces the caller's own recovery codes",
	"beginPasskeyRegistration":  "starts registering the caller's own passkey",
	"finishPasskeyRegistration": "finishes it",
	"beginPasskeyVerification":  "starts verifying with the caller's own passkey",
	"finishPasskeyVerification": "finishes it",
	"renamePasskey":             "renames one of the caller's own passkeys",
	"removePasskey":             "removes one of the caller's own passkeys",
	"revokeSession":             "ends one of the caller's own sessions",
	"endEmergencyAccess":        "ends the caller's own break-glass window",
}

// clinicianHolds are the mutations the clinician role's own privileges
// open; the sweep asks them of the demo teacher, whose role lacks those
// privileges, instead.
var clinicianHolds = map[string]string{
	"openEmergencyAccess": "emergency_access.use",
}

// refusals are the codes a refused mutation may answer with: the
// privilege is missing, or the object is outside the caller's reach.
var refusals = []string{"FORBIDDEN", "NOT_FOUND"}

var idPattern = regexp.MustCompile(`\b[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}\b`)

const (
	sweepPassword = "correct horse battery staple"
	bravoSlug     = "bravo"
)

// sweep is the running server with its two organizations: A (the demo
// organization, whose owner, administrator, clinician and teacher call)
// and B (bootstrapped, whose objects they are handed).
type sweep struct {
	db     *store.DB
	url    string
	schema gqlSchema
	a, b   sweepOrg

	admin, owner, clinician, teacher, ownerB string // session tokens
	clinicianID                              string

	bIDs     map[string]string // every id of B → its table
	aIDs     map[string]string
	bType    map[string]string // B ids that are nodes → their GraphQL type
	aType    map[string]string
	bBefore  snapshot // B as it was before the sweep asked anything
	problems []string
	level    map[string]int // of selections, by root field
}

// doc is the operation calling root field f, with the richest selection
// the server's limits let through (found by ask).
func (s *sweep) doc(f gqlField) string {
	op := "query"
	if slices.ContainsFunc(s.schema.root(s.schema.Mutation), func(m gqlField) bool { return m.Name == f.Name }) {
		op = "mutation"
	}
	return s.schema.document(op, f, s.level[f.Name])
}

// ask calls root field f as token. A selection over the complexity or
// depth limit is refused before anything runs, so a poorer one is tried
// then, and remembered for the field.
func (s *sweep) ask(t *testing.T, token string, f gqlField, vars map[string]any) gqlResult {
	t.Helper()
	for {
		r := gql(t, s.url, token, s.doc(f), vars)
		if c := r.codes(); len(c) == 0 || c[0] != "COMPLEXITY_LIMIT_EXCEEDED" && c[0] != "DEPTH_LIMIT_EXCEEDED" || s.level[f.Name] == len(selections)-1 {
			return r
		}
		s.level[f.Name]++
	}
}

// refusedMayTouch is what a refused request may still write in its own
// organization: its audit trail and the caller's session's last activity.
var refusedMayTouch = ignore{"audit_events": true, "sessions.last_seen_at": true}

func TestEveryNodeQueryMutationAndSCIMEndpointStaysInsideItsOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSweep(t, db)
		t.Run("nodes", s.nodes)
		t.Run("queries", s.queries)
		t.Run("mutations without the privilege", s.unprivileged)
		t.Run("mutations across organizations by the owner", func(t *testing.T) { s.acrossOrganizations(t, s.owner) })
		t.Run("mutations across organizations by the administrator", func(t *testing.T) { s.acrossOrganizations(t, s.admin) })
		t.Run("scim", s.scim)
		t.Run("signed out", s.signedOut)
		if d := diff(s.bBefore, takeSnapshot(t, db, s.b.org, nil)); len(d) > 0 {
			t.Errorf("organization B changed during the sweep: %v", d)
		}
	})
}

func newSweep(t *testing.T, db *store.DB) *sweep {
	t.Helper()
	ctx := context.Background()
	cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
	if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: sweepPassword, Hasher: cheap}); err != nil {
		t.Fatal(err)
	}
	res, err := bootstrap.Create(ctx, db.Client, bootstrap.Params{Name: "Bravo Care", Slug: bravoSlug,
		OwnerEmail: "owner@bravo.test", OwnerPassword: sweepPassword, Hasher: cheap})
	if err != nil {
		t.Fatal(err)
	}
	orgA, err := db.Organization.Query().Where(organization.Slug(demo.Slug)).Only(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		t.Fatal(err)
	}
	s := &sweep{db: db, level: map[string]int{}, a: populate(t, db.Client, orgA.ID, demo.Slug), b: populate(t, db.Client, res.Org.ID, bravoSlug)}

	cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(sqliteEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey = []byte("0123456789abcdef0123456789abcdef0123456789abcdef")
	api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System())
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	s.url = srv.URL

	signIn := func(org, email string) string {
		status, out := postJSON(t, s.url+"/auth/login", "", map[string]string{"organization": org, "email": email, "password": sweepPassword})
		tok, _ := out["token"].(string)
		if status != http.StatusOK || tok == "" || out["state"] != "active" {
			t.Fatalf("sign-in of %s: %d %v", email, status, out)
		}
		return tok
	}
	s.admin = signIn(demo.Slug, "admin@demo.clinic")
	s.owner = signIn(demo.Slug, "owner@demo.clinic")
	s.clinician = signIn(demo.Slug, "clinician@demo.clinic")
	s.teacher = signIn(demo.Slug, "teacher@demo.clinic")
	s.ownerB = signIn(bravoSlug, "owner@bravo.test")
	r := gql(t, s.url, s.clinician, `{ viewer { user { id } } }`, nil)
	s.clinicianID = idPattern.FindString(string(r.Data))
	s.schema = introspect(t, s.url, s.admin)

	// Which GraphQL type every id is, as its own organization's owner or
	// administrator sees it: node(id) answers with its __typename.
	s.bIDs = takeSnapshot(t, db, s.b.org, nil).ids()
	s.aIDs = takeSnapshot(t, db, s.a.org, nil).ids()
	s.bType = s.typesOf(t, s.ownerB, s.bIDs)
	s.aType = s.typesOf(t, s.admin, s.aIDs)
	s.bBefore = takeSnapshot(t, db, s.b.org, nil)
	return s
}

func (s *sweep) typesOf(t *testing.T, token string, ids map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id := range ids {
		r := gql(t, s.url, token, `query($id: ID!) { node(id: $id) { __typename } }`, map[string]any{"id": id})
		var d struct {
			Node *struct {
				Typename string `json:"__typename"`
			}
		}
		if err := json.Unmarshal(r.Data, &d); err == nil && d.Node != nil {
			out[id] = d.Node.Typename
		}
	}
	return out
}

// leaks returns the ids of B found anywhere in an answer.
func (s *sweep) leaks(raw string) []string {
	var out []string
	for _, id := range idPattern.FindAllString(raw, -1) {
		if _, ok := s.bIDs[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

func (s *sweep) ownIDs(raw string) int {
	n := 0
	for _, id := range idPattern.FindAllString(raw, -1) {
		if _, ok := s.aIDs[id]; ok {
			n++
		}
	}
	return n
}

func (s *sweep) checkB(t *testing.T, what string) {
	t.Helper()
	if d := diff(s.bBefore, takeSnapshot(t, s.db, s.b.org, nil)); len(d) > 0 {
		t.Errorf("%s changed organization B: %v", what, d)
		s.bBefore = takeSnapshot(t, s.db, s.b.org, nil) // report each change once
	}
}

// missing is an id of the same type as id that names nothing.
func missing(id string) string { return string(pulid.New(pulid.ID(id).Prefix())) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// nodes: every node type has objects in both organizations; every id of B,
// of any type, is to A's administrator exactly what a never-issued id is.
func (s *sweep) nodes(t *testing.T) {
	types := map[string]bool{}
	for _, p := range s.schema.types["Node"].PossibleTypes {
		types[p.Name] = true
	}
	for ty := range types {
		if !slices.Contains(mapValues(s.bType), ty) {
			t.Errorf("node type %s has no object organization B's owner can see: add one to populate", ty)
		}
		if !slices.Contains(mapValues(s.aType), ty) {
			t.Errorf("node type %s has no object organization A's administrator can see: add one to populate", ty)
		}
	}
	q := `query($id: ID!) { node(id: $id) ` + s.schema.selection(gqlType{Kind: "INTERFACE", Name: "Node"}, 0, false) + ` }`
	var all []string
	for _, id := range sortedKeys(s.bIDs) {
		all = append(all, id)
		r := gql(t, s.url, s.admin, q, map[string]any{"id": id})
		m := gql(t, s.url, s.admin, q, map[string]any{"id": missing(id)})
		if string(r.Data) != `{"node":null}` || len(r.Errors) > 0 || len(s.leaks(r.raw)) > 0 {
			t.Errorf("node(%s) of B's %s (%s) = %s, want null", id, s.bIDs[id], s.bType[id], r.raw)
		} else if r.shape(id) != m.shape(missing(id)) {
			t.Errorf("node(%s) of B's %s answers %q, a missing id %q", id, s.bIDs[id], r.shape(id), m.shape())
		}
	}
	const chunk = 50
	qs := `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`
	for i := 0; i < len(all); i += chunk {
		ids := all[i:min(i+chunk, len(all))]
		r := gql(t, s.url, s.admin, qs, map[string]any{"ids": ids})
		if len(r.Errors) > 0 || len(s.leaks(r.raw)) > 0 || strings.Count(string(r.Data), "null") != len(ids) {
			t.Errorf("nodes(%d ids of B) = %s", len(ids), r.raw)
		}
	}
	t.Logf("%d node types; %d ids of B (%d of them nodes) refused", len(types), len(all), len(s.bType))
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// queries: every root query field, asked by A's administrator about B's
// objects where it takes ids, and without arguments (or filtered to B's
// ids) where it lists: no id of B comes back.
func (s *sweep) queries(t *testing.T) {
	b := argBuilder{s: s.schema, problems: &s.problems}
	for _, f := range s.schema.root(s.schema.Query) {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if f.Name == "node" || f.Name == "nodes" {
			continue // swept over every id of B in nodes
		}
		slots := b.slots(s.schema.Query, f)
		if len(slots) > 0 {
			for _, sl := range slots {
				bid := s.b.ids[sl.kind]
				miss := missing(string(bid))
				with := func(id string) map[string]any {
					b.ids = func(kind, path string) string {
						if path == sl.path {
							return id
						}
						return string(s.a.ids[kind])
					}
					return b.args(s.schema.Query, f, sl.path)
				}
				r := s.ask(t, s.admin, f, with(string(bid)))
				m := s.ask(t, s.admin, f, with(miss))
				if l := s.leaks(r.raw); len(l) > 0 {
					t.Errorf("%s with B's %s as %s leaks %v: %s", f.Name, sl.kind, sl.path, l, r.raw)
				}
				if r.shape(string(bid)) != m.shape(miss) {
					t.Errorf("%s with B's %s as %s answers %q, with a missing id %q", f.Name, sl.kind, sl.path, r.shape(string(bid)), m.shape(miss))
				}
				t.Logf("%s with B's %s as %s: %s", f.Name, sl.kind, sl.path, r.shape(string(bid)))
				if got := r.codes(); len(got) > 0 && !slices.Contains(refusals, got[0]) {
					t.Errorf("%s with B's %s as %s: codes %v, want a refusal or null", f.Name, sl.kind, sl.path, got)
				}
			}
			continue
		}
		if !onlyOptional(f) {
			s.problems = append(s.problems, "query "+f.Name+" has a required argument that is not an id")
			continue
		}
		r := s.ask(t, s.admin, f, nil)
		t.Logf("%s (selection %d): %d of A's ids", f.Name, s.level[f.Name], s.ownIDs(r.raw))
		if len(r.Errors) > 0 {
			t.Errorf("%s: %s", f.Name, r.raw)
		}
		if l := s.leaks(r.raw); len(l) > 0 {
			t.Errorf("%s leaks B's %v", f.Name, l)
		}
		if strings.Contains(s.doc(f), " id ") && s.ownIDs(r.raw) == 0 {
			t.Errorf("%s returned none of A's own objects, so the sweep proves nothing: %s", f.Name, r.raw)
		}
		// A filter naming B's ids finds nothing.
		if where := whereArg(s.schema, f); where != "" {
			node := connectionNode(s.schema, f)
			var ids []string
			for id, ty := range s.bType {
				if ty == node {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				t.Errorf("%s lists %s, of which B has none", f.Name, node)
				continue
			}
			r := s.ask(t, s.admin, f, map[string]any{"where": map[string]any{where: ids}})
			if len(r.Errors) > 0 || len(s.leaks(r.raw)) > 0 || s.ownIDs(r.raw) > 0 {
				t.Errorf("%s(where: {%s: B's ids}) = %s, want nothing", f.Name, where, r.raw)
			}
		}
	}
	s.reportProblems(t)
}

func onlyOptional(f gqlField) bool {
	for _, a := range f.Args {
		if a.Type.required() {
			return false
		}
	}
	return true
}

// whereArg is the id filter of a connection's where input (idIn), if any.
func whereArg(s gqlSchema, f gqlField) string {
	for _, a := range f.Args {
		if a.Name != "where" {
			continue
		}
		for _, in := range s.types[a.Type.named().Name].InputFields {
			if in.Name == "idIn" {
				return in.Name
			}
		}
	}
	return ""
}

// connectionNode is the node type of a connection field.
func connectionNode(s gqlSchema, f gqlField) string {
	for _, e := range s.types[f.Type.named().Name].Fields {
		if e.Name != "edges" {
			continue
		}
		for _, n := range s.types[e.Type.named().Name].Fields {
			if n.Name == "node" {
				return n.Type.named().Name
			}
		}
	}
	return ""
}

func (s *sweep) reportProblems(t *testing.T) {
	t.Helper()
	slices.Sort(s.problems)
	for _, p := range slices.Compact(s.problems) {
		t.Error(p)
	}
	s.problems = nil
}

// refusedReference reports whether r refuses the id in slot sl: with a
// refusal code, or as invalid input on that very field (a reference the
// caller may not make, "no such contact of this client"). Either way the
// sweep also holds the answer to the one about an id never issued.
func refusedReference(r gqlResult, sl slot) bool {
	c := r.codes()
	if len(c) == 0 {
		return false
	}
	if slices.Contains(refusals, c[0]) {
		return true
	}
	field, _ := r.Errors[0].Extensions["field"].(string)
	return c[0] == "BAD_USER_INPUT" && field != "" && strings.HasSuffix(sl.path, "."+field)
}

// unprivileged: every mutation, asked by a staff member of A whose role
// lacks its privilege, about A's own objects (owned by someone else), is
// refused and writes nothing.
func (s *sweep) unprivileged(t *testing.T) {
	// The lists name mutations that exist: a renamed or removed one is
	// taken off them, not left to excuse a newcomer of the same name.
	for _, list := range []map[string]string{selfService, clinicianHolds} {
		for name := range list {
			if !slices.ContainsFunc(s.schema.root(s.schema.Mutation), func(f gqlField) bool { return f.Name == name }) {
				t.Errorf("%s is classified but is no mutation of the schema", name)
			}
		}
	}
	b := argBuilder{s: s.schema, problems: &s.problems, ids: func(kind, _ string) string { return string(s.a.ids[kind]) }}
	for _, f := range s.schema.root(s.schema.Mutation) {
		who, caller := s.clinician, "clinician"
		if _, ok := clinicianHolds[f.Name]; ok {
			who, caller = s.teacher, "teacher"
		}
		vars := b.args(s.schema.Mutation, f, "")
		before := takeSnapshot(t, s.db, s.a.org, refusedMayTouch)
		r := s.ask(t, who, f, vars)
		changed := diff(before, takeSnapshot(t, s.db, s.a.org, refusedMayTouch))
		_, self := selfService[f.Name]
		if self && len(b.slots(s.schema.Mutation, f)) == 0 {
			// It acts on the caller alone: whatever it wrote is theirs.
			after := takeSnapshot(t, s.db, s.a.org, refusedMayTouch)
			for _, c := range changed {
				key := c[strings.IndexByte(c, ' ')+1:]
				owner := after[key].user
				if owner == "" {
					owner = before[key].user
				}
				if table, id, _ := strings.Cut(key, "/"); table == "users" {
					owner = id // a user's own row
				}
				if owner != s.clinicianID {
					t.Errorf("self-service %s by the %s wrote another user's row %s", f.Name, caller, c)
				}
			}
			continue
		}
		t.Logf("%s by the %s: %s", f.Name, caller, r.shape())
		if got := r.codes(); len(got) == 0 || !slices.Contains(refusals, got[0]) {
			t.Errorf("%s by the %s (%s): codes %v, want %v: %s", f.Name, caller, mustJSON(vars), got, refusals, r.raw)
		}
		if len(changed) > 0 {
			t.Errorf("refused %s by the %s wrote %v", f.Name, caller, changed)
		}
	}
	s.reportProblems(t)
}

// acrossOrganizations: every mutation, asked by A's account owner (who
// holds every privilege, so that no privilege check answers before the
// reference is looked up: transferOwnership is the owner's alone) or by
// A's administrator, with each of its ids in turn naming B's object (the
// others naming A's), is refused exactly as if the id named nothing, and B
// is unchanged. A mutation taking no id may do what it does, in A only.
func (s *sweep) acrossOrganizations(t *testing.T, caller string) {
	b := argBuilder{s: s.schema, problems: &s.problems}
	variants := 0
	for _, f := range s.schema.root(s.schema.Mutation) {
		slots := b.slots(s.schema.Mutation, f)
		if len(slots) == 0 {
			b.ids = func(kind, _ string) string { return string(s.a.ids[kind]) }
			r := s.ask(t, caller, f, b.args(s.schema.Mutation, f, ""))
			if l := s.leaks(r.raw); len(l) > 0 {
				t.Errorf("%s leaks B's %v", f.Name, l)
			}
			s.checkB(t, f.Name)
			continue
		}
		for _, sl := range slots {
			variants++
			bid := string(s.b.ids[sl.kind])
			miss := missing(bid)
			with := func(id string) map[string]any {
				b.ids = func(kind, path string) string {
					if path == sl.path {
						return id
					}
					return string(s.a.ids[kind])
				}
				return b.args(s.schema.Mutation, f, sl.path)
			}
			vars := with(bid)
			r := s.ask(t, caller, f, vars)
			m := s.ask(t, caller, f, with(miss))
			if !refusedReference(r, sl) {
				t.Errorf("%s with B's %s as %s (%s): codes %v, want %v: %s", f.Name, sl.kind, sl.path, mustJSON(vars), r.codes(), refusals, r.raw)
			}
			t.Logf("%s with B's %s as %s: %s", f.Name, sl.kind, sl.path, r.shape(bid))
			if r.shape(bid) != m.shape(miss) {
				t.Errorf("%s with B's %s as %s answers %q, with a missing id %q", f.Name, sl.kind, sl.path, r.shape(bid), m.shape(miss))
			}
			if l := s.leaks(r.raw); len(l) > 0 {
				t.Errorf("%s with B's %s as %s leaks %v", f.Name, sl.kind, sl.path, l)
			}
			s.checkB(t, f.Name+" with B's "+sl.kind+" as "+sl.path)
		}
	}
	t.Logf("%d mutations, %d variants naming B's objects", len(s.schema.root(s.schema.Mutation)), variants)
	s.reportProblems(t)
}

// signedOut: after sign-out the session reaches nothing: every root query
// and mutation answers UNAUTHENTICATED and writes nothing.
func (s *sweep) signedOut(t *testing.T) {
	if status, out := postJSON(t, s.url+"/auth/logout", s.teacher, nil); status >= 300 {
		t.Fatalf("sign-out: %d %v", status, out)
	}
	b := argBuilder{s: s.schema, problems: &s.problems, ids: func(kind, _ string) string { return string(s.a.ids[kind]) }}
	before := takeSnapshot(t, s.db, s.a.org, refusedMayTouch)
	n := 0
	for _, root := range []string{s.schema.Query, s.schema.Mutation} {
		for _, f := range s.schema.root(root) {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			n++
			// The poorest selection: a caller not signed in is held to
			// small documents (a larger one is refused as too large).
			op := map[string]string{s.schema.Query: "query", s.schema.Mutation: "mutation"}[root]
			r := gql(t, s.url, s.teacher, s.schema.document(op, f, len(selections)-1), b.args(root, f, ""))
			if c := r.codes(); len(c) == 0 || c[0] != "UNAUTHENTICATED" || len(s.leaks(r.raw)) > 0 || s.ownIDs(r.raw) > 0 {
				t.Errorf("%s after sign-out: %s", f.Name, r.raw)
			}
		}
	}
	if d := diff(before, takeSnapshot(t, s.db, s.a.org, refusedMayTouch)); len(d) > 0 {
		t.Errorf("a signed-out session wrote %v", d)
	}
	t.Logf("%d root fields refused after sign-out", n)
	s.reportProblems(t)
}
