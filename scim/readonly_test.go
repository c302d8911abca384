package scim_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Read-only attributes (id, meta, a user's groups) are refused with
// mutability in PATCH, by path or inside a path-less value, and a PUT
// whose id differs is refused; nothing is changed. A PUT carrying the
// resource's own id and meta is accepted (read-only values are ignored),
// and Okta's group rename carrying the group's own id is no change of it.
func TestReadOnlyAttributesAreAMutabilityError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("readonly-org")
		r := p.do("POST", "/Users", coreUser(map[string]any{"userName": "ro@clinic.example", "name": map[string]any{"givenName": "Ro"}}))
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)
		g := p.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Readers"})
		expect(t, "create group", g, 201, "")
		gid := g.body["id"].(string)

		for what, body := range map[string]string{
			"path id":            `{"schemas":["` + patchOp + `"],"Operations":[{"op":"replace","path":"id","value":"usr_other"}]}`,
			"path with core URN": `{"schemas":["` + patchOp + `"],"Operations":[{"op":"Replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:id","value":"usr_other"}]}`,
			"id in a value":      `{"schemas":["` + patchOp + `"],"Operations":[{"op":"replace","value":{"id":"usr_other","displayName":"X"}}]}`,
			"meta path":          `{"schemas":["` + patchOp + `"],"Operations":[{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]}`,
			"meta in a value":    `{"schemas":["` + patchOp + `"],"Operations":[{"op":"add","value":{"meta":{"version":"W/\"1\""}}}]}`,
			"groups of a user":   `{"schemas":["` + patchOp + `"],"Operations":[{"op":"add","path":"groups","value":[{"value":"` + gid + `"}]}]}`,
			"groups in a value":  `{"schemas":["` + patchOp + `"],"Operations":[{"op":"add","value":{"groups":[{"value":"` + gid + `"}]}}]}`,
		} {
			expect(t, what, p.do("PATCH", "/Users/"+id, body), 400, "mutability")
		}
		expect(t, "PUT with another id", p.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"usr_other","userName":"ro@clinic.example"}`), 400, "mutability")
		expect(t, "group PATCH id path", p.do("PATCH", "/Groups/"+gid, patch(map[string]any{"op": "replace", "path": "id", "value": "x"})), 400, "mutability")
		expect(t, "group PUT with another id", p.do("PUT", "/Groups/"+gid, map[string]any{"schemas": []string{groupSchema}, "id": "grp_x", "displayName": "Readers"}), 400, "mutability")
		if r := p.do("GET", "/Users/"+id, nil); r.body["displayName"] != nil || r.body["id"] != id {
			t.Errorf("a refused PATCH changed the user: %v", r.body)
		}

		r = p.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"id": id, "meta": map[string]any{"resourceType": "User"}, "userName": "ro@clinic.example", "title": "Reader"})
		expect(t, "PUT with its own id and meta", r, 200, "")
		// Okta's rename: {"op":"replace","value":{"id":own,"displayName":…}}.
		r = p.do("PATCH", "/Groups/"+gid, `{"schemas":["`+patchOp+`"],"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Readers 2"}}]}`)
		expect(t, "Okta rename", r, 200, "")
		if r.body["displayName"] != "Readers 2" {
			t.Errorf("rename: %v", r.body)
		}
	})
}

// attributes and excludedAttributes shape the answers to POST, PUT and
// PATCH as they shape GET's; id is always returned.
func TestWriteAnswersHonourAttributes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("attrs-org")
		r := p.do("POST", "/Users?attributes=userName", coreUser(map[string]any{"userName": "at@clinic.example", "title": "Dr", "externalId": "x-1"}))
		expect(t, "create", r, 201, "")
		id, _ := r.body["id"].(string)
		if id == "" || r.body["userName"] != "at@clinic.example" || r.body["title"] != nil || r.body["externalId"] != nil || r.body["name"] != nil {
			t.Errorf("POST ?attributes=userName answered %v", r.body)
		}
		r = p.do("PUT", "/Users/"+id+"?excludedAttributes=title,emails", coreUser(map[string]any{"userName": "at@clinic.example", "title": "Prof"}))
		expect(t, "replace", r, 200, "")
		if r.body["title"] != nil || r.body["emails"] != nil || r.body["userName"] == nil || r.body["id"] != id {
			t.Errorf("PUT ?excludedAttributes=title,emails answered %v", r.body)
		}
		r = p.do("PATCH", "/Users/"+id+"?attributes=title", patch(map[string]any{"op": "replace", "path": "title", "value": "Nurse"}))
		expect(t, "patch", r, 200, "")
		if r.body["title"] != "Nurse" || r.body["userName"] != nil || r.body["id"] != id {
			t.Errorf("PATCH ?attributes=title answered %v", r.body)
		}
		g := p.do("POST", "/Groups?excludedAttributes=members", map[string]any{"schemas": []string{groupSchema}, "displayName": "G", "members": []any{map[string]any{"value": id}}})
		expect(t, "create group", g, 201, "")
		if g.body["members"] != nil || g.body["displayName"] != "G" {
			t.Errorf("group POST ?excludedAttributes=members: %v", g.body)
		}
		gid := g.body["id"].(string)
		g = p.do("PATCH", "/Groups/"+gid+"?attributes=members", patch(map[string]any{"op": "remove", "path": "members"}))
		expect(t, "members patch asking for attributes", g, 200, "")
		if g.body["displayName"] != nil || g.body["id"] != gid {
			t.Errorf("group PATCH ?attributes=members: %v", g.body)
		}
	})
}
