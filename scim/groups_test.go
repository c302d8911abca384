package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	scimlib "github.com/elimity-com/scim"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
)

const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func allowCtx() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// groupFixture is an organization with a SCIM token, a test server built
// from GroupResourceType behind the real token middleware, an
// administrator, a base staff role, a role and a unit to map groups to.
type groupFixture struct {
	t        testing.TB
	c        *ent.Client
	org      pulid.ID
	srv      http.Handler
	token    string
	adminCtx context.Context
	base     *ent.Role // every staff user's role: reaches clients of their units
	nurse    *ent.Role
	unit     *ent.BusinessUnit
}

func newGroupFixture(t testing.TB, c *ent.Client, slug string) *groupFixture {
	t.Helper()
	ctx := admin(t.(*testing.T), c, slug, authz.OrgSettingsManage, authz.UsersManage, authz.RolesManage,
		authz.ClientsAccessBusinessUnit, authz.ClientsAccessAll, authz.AuditView)
	return fixtureFrom(t, c, ctx)
}

func fixtureFrom(t testing.TB, c *ent.Client, ctx context.Context) *groupFixture {
	org := viewer.FromContext(ctx).OrgID
	plain, _, err := scimtoken.Issue(ctx, c, "Okta", nil)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := scimlib.NewServer(&scimlib.ServerArgs{
		ServiceProviderConfig: &scimlib.ServiceProviderConfig{},
		ResourceTypes:         []scimlib.ResourceType{scim.GroupResourceType(c)},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &scim.Authenticator{Client: c}
	f := &groupFixture{t: t, c: c, org: org, token: plain, adminCtx: ctx,
		srv: a.Middleware(http.StripPrefix("/scim", lib))}
	// An owner keeps the organization administered.
	c.User.Create().SetOrganizationID(org).SetEmail("owner-" + string(org) + "@x.test").SetStatus(user.StatusActive).
		SetIsAccountOwner(true).ExecX(allowCtx())
	f.base = c.Role.Create().SetOrganizationID(org).SetName("Staff").
		SetPrivileges([]string{string(authz.ClientsAccessBusinessUnit)}).SaveX(allowCtx())
	f.nurse = c.Role.Create().SetOrganizationID(org).SetName("Nurse").
		SetPrivileges([]string{string(authz.AuditView)}).SaveX(allowCtx())
	f.unit = c.BusinessUnit.Create().SetOrganizationID(org).SetName("North").SaveX(allowCtx())
	return f
}

var userSeq int

func (f *groupFixture) staff() *ent.User {
	userSeq++
	return f.c.User.Create().SetOrganizationID(f.org).SetEmail(fmt.Sprintf("u%d@x.test", userSeq)).
		SetStatus(user.StatusActive).AddRoles(f.base).SaveX(allowCtx())
}

func (f *groupFixture) portal() *ent.User {
	userSeq++
	return f.c.User.Create().SetOrganizationID(f.org).SetEmail(fmt.Sprintf("p%d@x.test", userSeq)).
		SetStatus(user.StatusActive).SetKind(user.KindPortal).SaveX(allowCtx())
}

// do sends one SCIM request with the fixture's token.
func (f *groupFixture) do(method, path string, body any, header ...string) (int, map[string]any, http.Header) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			f.t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return rec.Code, out, rec.Header()
}

func members(ids ...pulid.ID) []map[string]any {
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": string(id)}
	}
	return out
}

func (f *groupFixture) rolesOf(u *ent.User) []pulid.ID {
	return f.c.User.GetX(allowCtx(), u.ID).QueryRoles().IDsX(allowCtx())
}

func (f *groupFixture) unitsOf(u *ent.User) []pulid.ID {
	return f.c.User.GetX(allowCtx(), u.ID).QueryBusinessUnits().IDsX(allowCtx())
}

func has(ids []pulid.ID, id pulid.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// reaches reports whether authz, with u's viewer loaded afresh, lets u
// read the client cl.
func (f *groupFixture) reaches(u *ent.User, cl *ent.Patient) bool {
	f.t.Helper()
	sys := viewer.ForSystem(context.Background(), f.org)
	v, err := authz.LoadViewer(sys, f.c, f.c.User.GetX(sys, u.ID))
	if err != nil {
		f.t.Fatal(err)
	}
	ok, err := authz.CanReadClient(viewer.NewContext(context.Background(), v), f.c, cl.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

func (f *groupFixture) mustStatus(want, got int, body map[string]any, what string) {
	f.t.Helper()
	if got != want {
		f.t.Fatalf("%s: status %d, want %d (%v)", what, got, want, body)
	}
}

// Okta pushes a group, an administrator maps it to a business unit, and
// membership changes grant and take the unit, seen by authz at once.
func TestOktaGroupPushGrantsAndTakesAMappedUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newGroupFixture(t, db.Client, "okta-unit")
		u1, u2 := f.staff(), f.staff()
		cl := f.c.Patient.Create().SetOrganizationID(f.org).SetGivenName("Ada").SetFamilyName("North").
			SetBusinessUnitID(f.unit.ID).SaveX(allowCtx())

		status, body, hdr := f.do("POST", "/Groups", map[string]any{
			"schemas": []string{groupSchema}, "displayName": "North clinic", "externalId": "00g1okta",
			"members": members(u1.ID),
		})
		f.mustStatus(201, status, body, "create")
		id := pulid.ID(body["id"].(string))
		if hdr.Get("Etag") == "" || body["meta"].(map[string]any)["version"] == nil {
			t.Errorf("no version: %v %v", hdr, body["meta"])
		}
		// Unmapped: grants nothing.
		if len(f.unitsOf(u1)) != 0 || f.reaches(u1, cl) {
			t.Fatalf("an unmapped group granted something")
		}

		// The administrator maps it: the current member gets the unit at once.
		if _, err := provision.MapGroup(f.adminCtx, f.c, id, &f.unit.ID, nil); err != nil {
			t.Fatal(err)
		}
		if !f.reaches(u1, cl) {
			t.Fatalf("mapping did not give the member the unit: %v", f.unitsOf(u1))
		}

		// Okta adds a member.
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{
			"op": "add", "path": "members", "value": members(u2.ID),
		}))
		f.mustStatus(204, status, body, "okta add")
		if !f.reaches(u2, cl) {
			t.Fatalf("the added member does not reach the unit's client")
		}
		// Okta removes one by value filter.
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{
			"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, u1.ID),
		}))
		f.mustStatus(204, status, body, "okta remove")
		if f.reaches(u1, cl) || has(f.unitsOf(u1), f.unit.ID) {
			t.Fatalf("the removed member kept the unit")
		}
		// Okta renames with a replace carrying the id.
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{
			"op": "replace", "value": map[string]any{"id": string(id), "displayName": "North clinic (all)"},
		}))
		f.mustStatus(200, status, body, "okta rename")
		if body["displayName"] != "North clinic (all)" {
			t.Errorf("renamed to %v", body["displayName"])
		}
		// GET lists the members.
		status, body, _ = f.do("GET", "/Groups/"+string(id), nil)
		f.mustStatus(200, status, body, "get")
		if ms, _ := body["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != string(u2.ID) {
			t.Errorf("members %v", body["members"])
		}
		// Delete: the member loses the unit.
		status, body, _ = f.do("DELETE", "/Groups/"+string(id), nil)
		f.mustStatus(204, status, body, "delete")
		if f.reaches(u2, cl) {
			t.Errorf("a deleted group's member kept the unit")
		}
		status, _, _ = f.do("GET", "/Groups/"+string(id), nil)
		if status != 404 {
			t.Errorf("deleted group: %d", status)
		}
		// Every change is audited with the SCIM client as actor.
		sys := viewer.ForSystem(context.Background(), f.org)
		for _, a := range []string{provision.GroupCreated, provision.GroupMembersChanged, provision.GroupUpdated, provision.GroupDeleted} {
			if n := f.c.AuditEvent.Query().Where(auditevent.Action(a), auditevent.ActorKindEQ(auditevent.ActorKindSCIM)).CountX(sys); n == 0 {
				t.Errorf("no %s event by the SCIM client", a)
			}
		}
		if n := f.c.AuditEvent.Query().Where(auditevent.Action("user.business_units_set"), auditevent.ActorKindEQ(auditevent.ActorKindSCIM)).CountX(sys); n < 2 {
			t.Errorf("%d unit changes audited as the SCIM client", n)
		}
	})
}

// Entra sends capitalized op names with path "members" and value lists;
// a group mapped to a role gives and takes it, and a role another mapped
// group gives is kept.
func TestEntraGroupMembershipGivesAndTakesAMappedRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newGroupFixture(t, db.Client, "entra-role")
		u1, u2 := f.staff(), f.staff()
		_, body, _ := f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Nurses", "externalId": "8a1f-entra"})
		id := pulid.ID(body["id"].(string))
		_, body, _ = f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Ward nurses"})
		other := pulid.ID(body["id"].(string))
		for _, g := range []pulid.ID{id, other} {
			if _, err := provision.MapGroup(f.adminCtx, f.c, g, nil, &f.nurse.ID); err != nil {
				t.Fatal(err)
			}
		}
		status, body, _ := f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{
			"op": "Add", "path": "members", "value": members(u1.ID, u2.ID),
		}))
		f.mustStatus(204, status, body, "entra add")
		if !has(f.rolesOf(u1), f.nurse.ID) || !has(f.rolesOf(u2), f.nurse.ID) {
			t.Fatalf("members lack the mapped role")
		}
		// u2 is also in the other Nurse group.
		f.do("PATCH", "/Groups/"+string(other), patch(map[string]any{"op": "Add", "path": "members", "value": members(u2.ID)}))
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{
			"op": "Remove", "path": "members", "value": members(u1.ID, u2.ID),
		}))
		f.mustStatus(204, status, body, "entra remove")
		if has(f.rolesOf(u1), f.nurse.ID) {
			t.Errorf("u1 kept the role after leaving")
		}
		if !has(f.rolesOf(u2), f.nurse.ID) || !has(f.rolesOf(u2), f.base.ID) {
			t.Errorf("u2 lost a role another group gives or the base role: %v", f.rolesOf(u2))
		}
		// Entra's probe by externalId, and filters in SQL.
		for filter, want := range map[string]int{
			`externalId eq "8a1f-entra"`:                  1,
			`displayName eq "nurses"`:                     1,
			`displayName eq "nobody"`:                     0,
			fmt.Sprintf(`members.value eq "%s"`, u2.ID):   1,
			`displayName sw "Ward" or externalId pr`:      2,
			`not (displayName eq "Nurses")`:               1,
			`meta.lastModified gt "2000-01-01T00:00:00Z"`: 2,
		} {
			status, body, _ := f.do("GET", "/Groups?filter="+urlq(filter), nil)
			f.mustStatus(200, status, body, filter)
			if n := int(body["totalResults"].(float64)); n != want {
				t.Errorf("%s: %d results, want %d", filter, n, want)
			}
		}
		// Pagination.
		status, body, _ = f.do("GET", "/Groups?startIndex=2&count=1&excludedAttributes=members", nil)
		f.mustStatus(200, status, body, "page")
		if int(body["totalResults"].(float64)) != 2 || len(body["Resources"].([]any)) != 1 {
			t.Errorf("page: %v", body)
		}
		if _, listed := body["Resources"].([]any)[0].(map[string]any)["members"]; listed {
			t.Errorf("excludedAttributes=members listed members")
		}
		status, body, _ = f.do("GET", "/Groups?filter="+urlq(`title eq "x"`), nil)
		if status != 400 {
			t.Errorf("unknown filter attribute: %d %v", status, body)
		}
		// Replace (PUT) sets the members; remove of "members" empties it.
		status, body, _ = f.do("PUT", "/Groups/"+string(id), map[string]any{
			"schemas": []string{groupSchema}, "displayName": "Nurses", "members": members(u1.ID),
		})
		f.mustStatus(200, status, body, "put")
		if !has(f.rolesOf(u1), f.nurse.ID) {
			t.Errorf("PUT did not give the role")
		}
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{"op": "remove", "path": "members"}))
		f.mustStatus(204, status, body, "remove all")
		if has(f.rolesOf(u1), f.nurse.ID) {
			t.Errorf("emptying the group left the role")
		}
		// A stale If-Match is refused.
		status, body, _ = f.do("PATCH", "/Groups/"+string(id), patch(map[string]any{"op": "add", "path": "members", "value": members(u1.ID)}),
			"If-Match", `W/"1"`)
		if status != 412 {
			t.Errorf("stale If-Match: %d %v", status, body)
		}
		// Unmapping takes the role from current members.
		f.do("PATCH", "/Groups/"+string(other), patch(map[string]any{"op": "add", "path": "members", "value": members(u1.ID)}))
		if !has(f.rolesOf(u1), f.nurse.ID) {
			t.Fatalf("no role from the other group")
		}
		if _, err := provision.UnmapGroup(f.adminCtx, f.c, other); err != nil {
			t.Fatal(err)
		}
		if has(f.rolesOf(u1), f.nurse.ID) || has(f.rolesOf(u2), f.nurse.ID) {
			t.Errorf("unmapping left the role")
		}
	})
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22", "(", "%28", ")", "%29")
	return r.Replace(s)
}

// Unknown users, portal users and groups are not members; nothing is
// half-applied.
func TestBadMembersAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newGroupFixture(t, db.Client, "bad-members")
		u := f.staff()
		p := f.portal()
		_, body, _ := f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Team"})
		id := body["id"].(string)
		for name, m := range map[string]pulid.ID{
			"an unknown user": "usr_01AAAAAAAAAAAAAAAAAAAAAAAA", "a portal user": p.ID, "a group (nested)": pulid.ID(id),
		} {
			status, body, _ := f.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "add", "path": "members", "value": members(u.ID, m)}))
			if status != 400 || body["scimType"] != "invalidValue" {
				t.Errorf("%s: %d %v", name, status, body)
			}
		}
		status, body, _ := f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Other", "members": members(p.ID)})
		if status != 400 {
			t.Errorf("create with a portal member: %d %v", status, body)
		}
		if n, _ := provision.MemberCount(viewer.ForSystem(context.Background(), f.org), f.c, pulid.ID(id)); n != 0 {
			t.Errorf("a refused patch added %d members", n)
		}
		status, body, _ = f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "team"})
		if status != 409 || body["scimType"] != "uniqueness" {
			t.Errorf("duplicate displayName: %d %v", status, body)
		}
		status, body, _ = f.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "x"}))
		if status != 400 {
			t.Errorf("unknown path: %d %v", status, body)
		}
	})
}

// Another organization's group is not found, and its token touches only
// its own organization.
func TestAnotherOrganizationsGroupIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newGroupFixture(t, db.Client, "org-a")
		b := newGroupFixture(t, db.Client, "org-b")
		ua := a.staff()
		_, body, _ := a.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Staff A", "members": members(ua.ID)})
		id := body["id"].(string)
		for _, m := range []string{"GET", "DELETE"} {
			if status, _, _ := b.do(m, "/Groups/"+id, nil); status != 404 {
				t.Errorf("%s another organization's group: %d", m, status)
			}
		}
		if status, _, _ := b.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "add", "path": "members", "value": members(b.staff().ID)})); status != 404 {
			t.Errorf("PATCH another organization's group: %d", status)
		}
		_, body, _ = b.do("GET", "/Groups", nil)
		if int(body["totalResults"].(float64)) != 0 {
			t.Errorf("org B lists %v", body["totalResults"])
		}
		// B's group cannot take A's user.
		_, body, _ = b.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "B"})
		status, _, _ := b.do("PATCH", "/Groups/"+body["id"].(string), patch(map[string]any{"op": "add", "path": "members", "value": members(ua.ID)}))
		if status != 400 {
			t.Errorf("adding another organization's user: %d", status)
		}
		// And B's administrator does not map A's group.
		if _, err := provision.MapGroup(b.adminCtx, b.c, pulid.ID(id), &b.unit.ID, nil); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("mapping another organization's group: %v", err)
		}
	})
}

// Mapping refusals (domain; GraphQL is not built).
func TestMappingRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newGroupFixture(t, db.Client, "map-refusals")
		_, body, _ := f.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "G"})
		id := pulid.ID(body["id"].(string))
		owner := f.c.Role.Create().SetOrganizationID(f.org).SetName("Owner").SetBuiltin("ACCOUNT_OWNER").SaveX(allowCtx())
		if _, err := provision.MapGroup(f.adminCtx, f.c, id, nil, &owner.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("mapping to the owner role: %v", err)
		}
		if _, err := provision.MapGroup(f.adminCtx, f.c, id, &f.unit.ID, &f.nurse.ID); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("mapping to both: %v", err)
		}
		if _, err := provision.MapGroup(f.adminCtx, f.c, id, nil, nil); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("mapping to nothing: %v", err)
		}
		clerk := admin(t, f.c, "map-refusals-2", authz.UsersManage)
		if _, err := provision.MapGroup(clerk, f.c, id, &f.unit.ID, nil); apperr.KindOf(err) == "" {
			t.Errorf("a user without org.settings.manage mapped a group")
		}
		idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org})
		if _, err := provision.MapGroup(idp, f.c, id, &f.unit.ID, nil); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("the identity provider mapped a group: %v", err)
		}
		if _, err := provision.CreateGroup(f.adminCtx, f.c, provision.GroupInput{DisplayName: "X"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("an administrator pushed a group: %v", err)
		}
	})
}
