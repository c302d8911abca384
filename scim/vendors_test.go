package scim_test

import (
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// fill replaces {{key}} in a literal body.
func fill(body string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		body = strings.ReplaceAll(body, "{{"+kv[i]+"}}", kv[i+1])
	}
	return body
}

// The request bodies of Microsoft's "SCIM protocol compliance" samples for
// the Entra provisioning service, sent as they are (ids filled in): a
// userName that is not an email (Test_User_…) with the work email apart,
// the probe by userName and by the work email, Replace of the work
// email's value, of userName, active false as a boolean, the manager as a
// bare id, a group with Microsoft's extra schema, Add and Remove of
// members with "$ref": null, Replace of displayName by path.
func TestEntrasPublishedRequestsAreServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		entra := newIdP("entra-literal")

		r := entra.do("GET", q(`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`), nil)
		if r.status != 200 || total(r) != 0 {
			t.Fatalf("probe: %d %v", r.status, r.body)
		}
		r = entra.do("POST", "/Users", `{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}`)
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)
		mgr := entra.do("POST", "/Users", coreUser(map[string]any{"userName": "manager@testuser.com"}))
		expect(t, "create manager", mgr, 201, "")

		for _, f := range []string{
			`userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"`,
			`emails[type eq "work" and value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"]`,
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			// Entra's lookup by work email (outside RFC 7644's grammar).
			`emails[type eq "work"].value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"`,
		} {
			if r := entra.do("GET", q(f), nil); r.status != 200 || total(r) != 1 {
				t.Errorf("query %s: %d %v", f, r.status, r.body)
			}
		}

		for what, body := range map[string]string{
			"multi-valued": `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}`,
			"single-valued": `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}`,
			"manager": fill(`{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": "{{manager}}"
        }
    ]
}`, "manager", mgr.body["id"].(string)),
		} {
			expect(t, what, entra.do("PATCH", "/Users/"+id, body), 200, "")
		}
		u := c.User.GetX(allow(), pulid.ID(id))
		if u.Email != "updatedEmail@microsoft.com" || u.FamilyName != "updatedFamilyName" ||
			*u.ScimUserName != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" || u.ManagerRef != mgr.body["id"] {
			t.Errorf("after Entra's patches: email %q family %q userName %v manager %q", u.Email, u.FamilyName, *u.ScimUserName, u.ManagerRef)
		}
		r = entra.do("PATCH", "/Users/"+id, `{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}`)
		expect(t, "disable", r, 200, "")
		if u := c.User.GetX(allow(), pulid.ID(id)); u.Status != user.StatusSuspended || r.body["active"] != false {
			t.Errorf("disable: %s %v", u.Status, r.body["active"])
		}

		g := entra.do("POST", "/Groups", `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}`)
		expect(t, "create group", g, 201, "")
		gid := g.body["id"].(string)
		if r := entra.do("GET", "/Groups?excludedAttributes=members&filter="+urlq(`displayName eq "displayName"`), nil); r.status != 200 || total(r) != 1 {
			t.Errorf("group query: %d %v", r.status, r.body)
		}
		for what, body := range map[string]string{
			"rename": `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}`,
			"add members": fill(`{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "{{user}}"
        }]
    }]
}`, "user", mgr.body["id"].(string)),
		} {
			if r := entra.do("PATCH", "/Groups/"+gid, body); r.status != 200 && r.status != 204 {
				t.Errorf("%s: %d %v", what, r.status, r.body)
			}
		}
		r = entra.do("GET", "/Groups/"+gid, nil)
		if r.body["displayName"] != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" || len(r.body["members"].([]any)) != 1 {
			t.Errorf("group after Entra's patches: %v", r.body)
		}
		r = entra.do("PATCH", "/Groups/"+gid, fill(`{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Remove",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "{{user}}"
        }]
    }]
}`, "user", mgr.body["id"].(string)))
		if r.status != 204 {
			t.Errorf("remove members: %d %v", r.status, r.body)
		}
		if r := entra.do("GET", "/Groups/"+gid, nil); len(r.body["members"].([]any)) != 0 {
			t.Errorf("member kept: %v", r.body)
		}
	})
}

// The request bodies of Okta's SCIM 2.0 reference, sent as they are: the
// probe with startIndex and count, a create carrying groups and locale
// (and its sample password, which our password policy refuses), the full
// PUT with id, groups and meta, deactivation by a path-less replace, and
// the group sequence (create with no members, rename with its own id, add
// with display, remove by value filter).
func TestOktasPublishedRequestsAreServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		okta := newIdP("okta-literal")

		r := okta.do("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", nil)
		if r.status != 200 || total(r) != 0 {
			t.Fatalf("probe: %d %v", r.status, r.body)
		}
		create := `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {
    "givenName": "Test",
    "familyName": "User"
  },
  "emails": [{
    "primary": true,
    "value": "test.user@okta.local",
    "type": "work"
  }],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  {{password}}
  "active": true
}`
		expect(t, "the sample's weak password", okta.do("POST", "/Users", fill(create, "password", `"password": "1mz050nq",`)), 400, "invalidValue")
		r = okta.do("POST", "/Users", fill(create, "password", ""))
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)
		if r := okta.do("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", nil); total(r) != 1 {
			t.Errorf("lookup: %v", r.body)
		}
		r = okta.do("PUT", "/Users/"+id, fill(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "{{id}}",
  "userName": "test.user@okta.local",
  "name": {
    "givenName": "Another",
    "familyName": "User"
  },
  "emails": [{
    "primary": true,
    "value": "test.user@okta.local",
    "type": "work"
  }],
  "displayName": "Another User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "active": true,
  "meta": {
    "resourceType": "User",
    "created": "2019-04-25T17:33:57.000Z",
    "lastModified": "2019-04-25T17:33:57.000Z"
  }
}`, "id", id))
		expect(t, "PUT", r, 200, "")
		if r.body["displayName"] != "Another User" {
			t.Errorf("PUT: %v", r.body)
		}
		r = okta.do("PATCH", "/Users/"+id, `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{
    "op": "replace",
    "value": {
      "active": false
    }
  }]
}`)
		expect(t, "deactivate", r, 200, "")
		if r.body["active"] != false {
			t.Errorf("deactivate: %v", r.body)
		}
		// Still found (Okta treats a 404 as an error).
		if r := okta.do("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", nil); total(r) != 1 {
			t.Errorf("deactivated user not found: %v", r.body)
		}

		g := okta.do("POST", "/Groups", `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "displayName": "Test SCIMv2",
  "members": []
}`)
		expect(t, "create group", g, 201, "")
		gid := g.body["id"].(string)
		r = okta.do("PATCH", "/Groups/"+gid, fill(`{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{
    "op": "replace",
    "value": {
      "id": "{{gid}}",
      "displayName": "Test SCIMv2 renamed"
    }
  }]
}`, "gid", gid))
		expect(t, "rename", r, 200, "")
		add := fill(`{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{
    "op": "add",
    "path": "members",
    "value": [{
      "value": "{{id}}",
      "display": "test.user@okta.local"
    }]
  }]
}`, "id", id)
		if r := okta.do("PATCH", "/Groups/"+gid, add); r.status != 204 {
			t.Errorf("add member: %d %v", r.status, r.body)
		}
		if r := okta.do("GET", "/Groups?filter="+urlq(`displayName eq "Test SCIMv2 renamed"`)+"&startIndex=1&count=100", nil); total(r) != 1 {
			t.Errorf("group lookup: %v", r.body)
		}
		r = okta.do("PATCH", "/Groups/"+gid, fill(`{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{
    "op": "remove",
    "path": "members[value eq \"{{id}}\"]"
  }]
}`, "id", id))
		if r.status != 204 {
			t.Errorf("remove member: %d %v", r.status, r.body)
		}
		if r := okta.do("GET", "/Groups/"+gid, nil); len(r.body["members"].([]any)) != 0 {
			t.Errorf("member kept: %v", r.body)
		}
	})
}
