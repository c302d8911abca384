package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// Two replicas over one PostgreSQL database, each with its own connection
// pool and its own kept viewers: every access change made through one is
// in force for the next request through the other, with no sleep and no
// message between them. The viewers the second replica keeps are proven
// current by the organization's access epoch it reads with each session.
func TestAnAccessChangeThroughOneReplicaIsInForceOnTheOtherAtTheNextRequest(t *testing.T) {
	a, b, dbA := twoReplicas(t)

	owner := a.signIn("owner@demo.clinic")
	sup := b.signIn("supervisor@demo.clinic")
	clin := b.signIn("clinician@demo.clinic")

	type seen struct {
		privileges []string
		units      int
		clients    int
	}
	look := func(tok string) seen {
		t.Helper()
		d := b.ok(tok, `{ viewer { privileges businessUnits { id } } clients(first: 100) { totalCount } }`, nil)
		v := d["viewer"].(map[string]any)
		var s seen
		for _, p := range v["privileges"].([]any) {
			s.privileges = append(s.privileges, p.(string))
		}
		s.units = len(v["businessUnits"].([]any))
		s.clients = int(d["clients"].(map[string]any)["totalCount"].(float64))
		return s
	}
	// Warm: the second replica now keeps both viewers.
	start := look(sup)
	look(sup)
	if start.units == 0 || start.clients == 0 || !slices.Contains(start.privileges, string(authz.ClientsAccessBusinessUnit)) {
		t.Fatalf("supervisor before: %+v", start)
	}

	allow := a.allow()
	supUser := dbA.User.Query().Where(user.EmailNormalized("supervisor@demo.clinic")).OnlyX(allow)
	supRole := supUser.QueryRoles().Where(role.BuiltinEQ(role.BuiltinSupervisor)).OnlyX(allow)

	// A role's privilege toggled off, then on again.
	setPrivilege := func(enabled bool) {
		a.ok(owner, `mutation($r: ID!, $p: String!, $e: Boolean!) { setRolePrivilege(input: {roleId: $r, privilege: $p, enabled: $e}) { role { id } } }`,
			map[string]any{"r": supRole.ID, "p": string(authz.ClientsAccessBusinessUnit), "e": enabled})
	}
	setPrivilege(false)
	if s := look(sup); slices.Contains(s.privileges, string(authz.ClientsAccessBusinessUnit)) || s.clients >= start.clients {
		t.Fatalf("after the privilege was toggled off through the other replica: %+v (before %+v)", s, start)
	}
	setPrivilege(true)
	if s := look(sup); s.clients != start.clients {
		t.Fatalf("after the privilege came back: %+v, want %d clients", s, start.clients)
	}

	// Every business unit removed.
	a.ok(owner, `mutation($u: ID!) { setUserBusinessUnits(input: {userId: $u, businessUnitIds: []}) { user { id } } }`,
		map[string]any{"u": supUser.ID})
	if s := look(sup); s.units != 0 || s.clients >= start.clients {
		t.Fatalf("after the units were removed through the other replica: %+v", s)
	}

	// A link revoked: decided in SQL on every request.
	clinUser := dbA.User.Query().Where(user.EmailNormalized("clinician@demo.clinic")).OnlyX(allow)
	first := b.ok(clin, `{ clients(first: 1) { edges { node { id } } } }`, nil)["clients"].(map[string]any)["edges"].([]any)
	if len(first) != 1 {
		t.Fatalf("clinician reaches no client")
	}
	linked := first[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	a.ok(owner, `mutation($u: ID!, $c: ID!) { revokeClientAccess(input: {userId: $u, clientId: $c}) { clientAccessId } }`,
		map[string]any{"u": clinUser.ID, "c": linked})
	if d := b.ok(clin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": linked}); d["node"] != nil {
		t.Fatalf("the revoked link still shows the client through the other replica: %v", d)
	}
	// And granted again.
	a.ok(owner, `mutation($u: ID!, $c: ID!) { grantClientAccess(input: {userId: $u, clientId: $c}) { clientAccess { id } } }`,
		map[string]any{"u": clinUser.ID, "c": linked})
	if d := b.ok(clin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": linked}); d["node"] == nil {
		t.Fatalf("a link granted through one replica does not show the client on the other")
	}

	// A session revoked.
	a.ok(owner, `mutation($u: ID!) { signOutEverywhere(input: {userId: $u}) { sessionsEnded } }`, map[string]any{"u": clinUser.ID})
	// a session ended through one replica: refused on the other replica.
	b.refused(clin, "UNAUTHENTICATED", `{ viewer { user { id } } }`, nil)

	// A suspension over GraphQL.
	a.ok(owner, `mutation($u: ID!) { suspendUser(input: {userId: $u}) { user { id } } }`, map[string]any{"u": supUser.ID})
	// a user suspended through one replica: refused on the other replica.
	b.refused(sup, "UNAUTHENTICATED", `{ viewer { user { id } } }`, nil)

	// A suspension over SCIM.
	office := b.signIn("office@demo.clinic")
	b.ok(office, `{ viewer { user { id } } }`, nil)
	scimTok := a.ok(owner, `mutation { createScimToken(input: {name: "replicas"}) { token } }`, nil)["createScimToken"].(map[string]any)["token"].(string)
	officeUser := dbA.User.Query().Where(user.EmailNormalized("office@demo.clinic")).OnlyX(allow)
	patch, _ := json.Marshal(map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
	})
	req, _ := http.NewRequest(http.MethodPatch, a.url+"/scim/v2/Users/"+string(officeUser.ID), bytes.NewReader(patch))
	req.Header.Set("Authorization", "Bearer "+scimTok)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("SCIM deactivation: %d", res.StatusCode)
	}
	// a user deactivated over SCIM through one replica: refused on the other replica.
	b.refused(office, "UNAUTHENTICATED", `{ viewer { user { id } } }`, nil)
}
