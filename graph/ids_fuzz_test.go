package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// idSide is one database behind the real GraphQL handler, with an
// administrator of one organization and rows of another it must not see.
type idSide struct {
	dialect string
	h       http.Handler
	v       *viewer.Viewer
	fill    *strings.Replacer // {{user}}, {{client}}, {{foreign}} → ids
}

func newIDSide(f *testing.F, dialect string) *idSide {
	f.Helper()
	db := storetest.Open(f, dialect)
	c := db.Client
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	var privs []string
	for _, p := range authz.Catalogue() {
		if !p.OwnerOnly {
			privs = append(privs, string(p.Key))
		}
	}
	org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(ctx)
	role := c.Role.Create().SetOrganizationID(org.ID).SetName("Administrator").SetPrivileges(privs).SaveX(ctx)
	admin := c.User.Create().SetOrganizationID(org.ID).SetEmail("admin@acme.test").SetDisplayName("Admin").
		SetStatus(user.StatusActive).AddRoles(role).SaveX(ctx)
	c.User.Create().SetOrganizationID(org.ID).SetEmail("ben@acme.test").SetStatus(user.StatusActive).SaveX(ctx)
	s := c.Session.Create().SetOrganizationID(org.ID).SetUserID(admin.ID).SetTokenHash([]byte("acme")).
		SetMethod("PASSWORD").SetExpiresAt(admin.CreatedAt.Add(time.Hour)).SetIdleTimeoutSeconds(1800).SaveX(ctx)
	unit := c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("North").SaveX(ctx)
	client := c.Patient.Create().SetOrganizationID(org.ID).SetGivenName("Ada").SetFamilyName("Acme").SetBusinessUnit(unit).SaveX(ctx)
	c.Patient.Create().SetOrganizationID(org.ID).SetGivenName("Ben").SetFamilyName("Acme").SetBusinessUnit(unit).SaveX(ctx)
	other := c.Organization.Create().SetName("Bravo").SetSlug("bravo").SaveX(ctx)
	foreign := c.Patient.Create().SetOrganizationID(other.ID).SetGivenName("Cy").SetFamilyName("Bravo").SaveX(ctx)
	have := map[string]bool{}
	for _, p := range privs {
		have[p] = true
	}
	return &idSide{
		dialect: dialect,
		h:       graph.NewHandler(c, graph.HandlerConfig{}),
		v: &viewer.Viewer{Kind: viewer.User, State: viewer.StateActive, OrgID: org.ID, UserID: admin.ID,
			Privileges: have, SessionID: s.ID, AuthMethod: "PASSWORD"},
		fill: strings.NewReplacer("{{user}}", string(admin.ID), "{{client}}", string(client.ID), "{{foreign}}", string(foreign.ID)),
	}
}

func (s *idSide) do(query string, vars map[string]any) gqlResponse {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequestWithContext(viewer.NewContext(context.Background(), s.v), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil {
		out.Errors = append(out.Errors, struct {
			Message    string         `json:"message"`
			Path       []any          `json:"path"`
			Extensions map[string]any `json:"extensions"`
		}{Message: "not JSON: " + rec.Body.String(), Extensions: map[string]any{"code": "NOT_JSON"}})
	}
	return out
}

// The orders a cursor may be decoded against: its value is compared with
// the column (a time, a string, an enum).
var idFuzzOrders = []string{"CREATED_AT", "EMAIL", "STATUS", "DISPLAY_NAME"}

const idFuzzQuery = `query($id: ID!, $after: Cursor, $before: Cursor, $field: UserOrderField!) {
	node(id: $id) { id }
	users(first: 2, after: $after, orderBy: {field: $field}) { edges { cursor node { id } } }
	clients(last: 2, before: $before) { edges { cursor node { id } } }
}`

// Global IDs (pulid: prefix_ULID, routed to a table by their prefix) and
// connection cursors (entgql: base64 of msgpack {id, value}) come from
// clients as they like. Properties:
//
//   - pure: an ID is valid only as prefix_ULID and a fresh one of any
//     prefix keeps it; a cursor made by the server decodes to itself, and
//     any cursor that decodes re-encodes to one that decodes alike;
//   - through the real handler, on SQLite and PostgreSQL: node(id:) is
//     the row of the viewer's organization or null (never another
//     organization's), a hostile cursor is refused or pages, and nothing
//     is an INTERNAL error; both dialects answer with the same codes and
//     the same nulls.
func FuzzGlobalIDsAndCursors(f *testing.F) {
	cur := func(id string, v any) string {
		var b bytes.Buffer
		entgql.Cursor[pulid.ID]{ID: pulid.ID(id), Value: v}.MarshalGQL(&b)
		return strings.Trim(b.String(), `"`)
	}
	for _, s := range []struct {
		id, cursor string
		order      uint8
	}{
		{"{{user}}", "", 0},
		{"{{client}}", cur("{{user}}", nil), 1},
		{"{{foreign}}", cur("usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", "admin@acme.test"), 1},
		{"cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", cur("usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)), 0},
		{"usr_01jd7w5q4b9d8q3y6c1r2s7t0v", cur("x", map[string]any{"a": []any{1, "b"}}), 0},
		{"xyz_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", cur("", []byte{0, 1}), 2},
		{"usr_", cur("usr_x", 12.5), 3},
		{"_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", "gqFp2SB1c3JfMDFKRDdXNVE0QjlEOFEzWTZDMVIyUzdUMFY", 0},
		{"", "!!!", 1},
		{"usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V\x00", "AAAA", 2},
	} {
		f.Add(s.id, s.cursor, s.order)
	}
	sides := []*idSide{newIDSide(f, "sqlite"), newIDSide(f, "postgres")}
	f.Fuzz(func(t *testing.T, id, cursor string, order uint8) {
		checkIDAndCursorValues(t, id, cursor)

		field := idFuzzOrders[int(order)%len(idFuzzOrders)]
		var answers []string
		for _, s := range sides {
			vars := map[string]any{"id": s.fill.Replace(id), "field": field}
			if cursor != "" {
				c := s.fill.Replace(cursor)
				vars["after"], vars["before"] = c, c
			}
			r := s.do(idFuzzQuery, vars)
			for _, e := range r.Errors {
				if code, _ := e.Extensions["code"].(string); code == "" || code == "INTERNAL" || code == "NOT_JSON" {
					t.Fatalf("%s: id %q cursor %q order %s: error %q with code %q", s.dialect, id, cursor, field, e.Message, code)
				}
			}
			var node struct {
				ID string `json:"id"`
			}
			if raw := r.Data["node"]; len(raw) > 0 && string(raw) != "null" {
				if err := json.Unmarshal(raw, &node); err != nil {
					t.Fatal(err)
				}
				if node.ID != s.fill.Replace(id) {
					t.Fatalf("%s: node(id: %q) answered %q", s.dialect, id, node.ID)
				}
				if strings.Contains(id, "{{foreign}}") {
					t.Fatalf("%s: node(id: %q) answered another organization's row", s.dialect, id)
				}
			}
			answers = append(answers, answerShape(r))
		}
		if answers[0] != answers[1] {
			t.Fatalf("id %q cursor %q order %s: %s answers %s, %s answers %s", id, cursor, field,
				sides[0].dialect, answers[0], sides[1].dialect, answers[1])
		}
	})
}

// answerShape is what two dialects must agree on: the error codes and
// which fields are null.
func answerShape(r gqlResponse) string {
	var b strings.Builder
	for _, c := range codes(r) {
		b.WriteString(c + " ")
	}
	for _, k := range []string{"node", "users", "clients"} {
		raw := r.Data[k]
		b.WriteString(k + ":" + map[bool]string{true: "null ", false: "set "}[len(raw) == 0 || string(raw) == "null"])
	}
	return b.String()
}

// checkIDAndCursorValues are the properties of IDs and cursors that need
// no database.
func checkIDAndCursorValues(t *testing.T, id, cursor string) {
	t.Helper()
	p := pulid.ID(id)
	if prefix := p.Prefix(); prefix != "" {
		if !strings.HasPrefix(id, prefix+"_") || len(id) != len(prefix)+1+26 || !p.Valid() {
			t.Fatalf("ID %q: prefix %q", id, prefix)
		}
		if typ, err := ent.IDToType(context.Background(), p); err == nil && typ == "" {
			t.Fatalf("ID %q routes to no table without an error", id)
		}
	} else if p.Valid() {
		t.Fatalf("ID %q is valid without a prefix", id)
	}
	if prefix, _, _ := strings.Cut(id, "_"); prefix != "" && !strings.ContainsAny(prefix, "_") {
		if fresh := pulid.New(prefix); fresh.Prefix() != prefix {
			t.Fatalf("a new ID of prefix %q has prefix %q (%s)", prefix, fresh.Prefix(), fresh)
		}
	}

	// A cursor the server makes decodes to itself (an empty value is
	// left out, as the cursor of an order by id has none).
	var value any
	if cursor != "" {
		value = cursor
	}
	made := entgql.Cursor[pulid.ID]{ID: p, Value: value}
	var b bytes.Buffer
	made.MarshalGQL(&b)
	var back entgql.Cursor[pulid.ID]
	if err := back.UnmarshalGQL(strings.Trim(b.String(), `"`)); err != nil || back.ID != made.ID || back.Value != made.Value {
		t.Fatalf("cursor {%q, %q} came back as {%q, %#v} (%v)", id, cursor, back.ID, back.Value, err)
	}

	// Any cursor that decodes re-encodes to one that decodes alike.
	var got entgql.Cursor[pulid.ID]
	if !decodeCursor(&got, cursor) {
		return
	}
	b.Reset()
	got.MarshalGQL(&b)
	var again entgql.Cursor[pulid.ID]
	err := again.UnmarshalGQL(strings.Trim(b.String(), `"`))
	// msgpack's omitempty drops a zero value ("" or 0): such a cursor
	// comes back without one.
	zero := got.Value != nil && again.Value == nil && emptyValue(reflect.ValueOf(got.Value))
	if err != nil || again.ID != got.ID || (!zero && !reflect.DeepEqual(again.Value, got.Value)) {
		t.Fatalf("cursor %q decoded to {%q, %#v}, which re-encodes to %s: {%q, %#v} (%v)", cursor, got.ID, got.Value, b.String(), again.ID, again.Value, err)
	}
}

// decodeCursor decodes s into c, reporting a panic of the msgpack decoder
// (which the server refuses, CursorCheck) as a failure.
func decodeCursor(c *entgql.Cursor[pulid.ID], s string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.UnmarshalGQL(s) == nil
}

// emptyValue is msgpack's omitempty: a zero value, or an empty map, list
// or string.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.String:
		return v.Len() == 0
	}
	return v.IsZero()
}
