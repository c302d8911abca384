package scim_test

import (
	"net/url"
	"testing"

	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Findings of the fuzz targets (filter_fuzz_test.go, patch_fuzz_test.go),
// kept as named tests; their inputs are also in testdata/fuzz.

func TestAFilterThatIsNotUTF8OrHoldsNULIsAnInvalidFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("acme")
		for _, f := range []string{"name.familyName eq \"\x8c\"", "userName eq \"a\x00b\""} {
			r := p.do("GET", "/Users?filter="+url.QueryEscape(f), nil)
			expect(t, f, r, 400, "invalidFilter") // was 500 on PostgreSQL
		}
	})
}

func TestTextFiltersMatchAlikeOnBothDatabases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("acme")
		r := p.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"ada@acme.test","externalId":"00u1okta","name":{"givenName":"Ada","familyName":"Ōtomo"}}`)
		expect(t, "create", r, 201, "")
		r = p.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Nurses","externalId":"8a1f-entra"}`)
		expect(t, "create group", r, 201, "")
		for f, want := range map[string]int{
			`externalId co "okta"`:       1,
			`externalId co "OKTA"`:       0, // caseExact: SQLite's LIKE matched it
			`externalId sw "00u*"`:       0, // GLOB's * is no wildcard here
			`name.familyName eq "Ōtomo"`: 1, // spelled as stored: SQLite missed it
			`name.familyName eq "ŌTOMO"`: 1,
			`name.familyName sw "ōt"`:    -1, // SQLite folds ASCII only: not asserted
			`name.familyName co "TOM"`:   1,
		} {
			r := p.do("GET", "/Users?count=0&filter="+url.QueryEscape(f), nil)
			expect(t, f, r, 200, "")
			if want >= 0 && total(r) != want {
				t.Errorf("%s: %d users, want %d", f, total(r), want)
			}
		}
		for f, want := range map[string]int{
			`displayName sw "nur"`:  1, // caseExact false: PostgreSQL missed it
			`displayName ew "SES"`:  1,
			`externalId ew "ENTRA"`: 0,
		} {
			r := p.do("GET", "/Groups?count=0&filter="+url.QueryEscape(f), nil)
			expect(t, f, r, 200, "")
			if total(r) != want {
				t.Errorf("%s: %d groups, want %d", f, total(r), want)
			}
		}
	})
}

func TestARefusedGroupPatchIsA400NotA500(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("acme")
		r := p.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Nurses"}`)
		expect(t, "create group", r, 201, "")
		id := r.body["id"].(string)
		r = p.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "remove", "path": "displayName"}))
		expect(t, "remove displayName", r, 400, "mutability")
		r = p.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "replace", "path": `members[value eq "x"]`, "value": map[string]any{"value": "y"}}))
		expect(t, "replace with a member filter", r, 400, "invalidPath")
		r = p.do("PATCH", "/Groups/"+id, patch(map[string]any{"op": "add", "path": "roles", "value": []any{}}))
		if r.status != 400 {
			t.Errorf("add roles: %d %v", r.status, r.body)
		}
	})
}

func TestAValueHoldingNULIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("acme")
		r := p.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.test","title":"a\u0000b"}`)
		expect(t, "create", r, 400, "invalidValue")
		r = p.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.test","title":"a\\u0000b"}`)
		expect(t, "a backslash and u0000 is no NUL", r, 201, "")
		id := r.body["id"].(string)
		r = p.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "a\x00b"}))
		expect(t, "patch", r, 400, "invalidValue") // was 500 on PostgreSQL
	})
}
