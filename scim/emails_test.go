package scim_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Entra sends the user principal name as userName and the mailbox as the
// work email: the user signs in with (and is invited at) the email, the
// userName is kept beside it, both unique per organization ignoring case,
// both filterable, and the email changes through Entra's PATCH shapes.
func TestTheWorkEmailIsKeptApartFromAUserPrincipalName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		entra, other := newIdP("upn-org"), newIdP("upn-other")

		// Entra's create, literally (userName is the UPN).
		r := entra.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId":"0a21f0f2-8d2a-4f8e-97fa-0f9c1e5e2f11","userName":"ada.lovelace@clinic.onmicrosoft.com","active":true,
			"displayName":"Ada Lovelace","emails":[{"primary":true,"type":"work","value":"Ada@Clinic.example"}],
			"meta":{"resourceType":"User"},"name":{"formatted":"Ada Lovelace","familyName":"Lovelace","givenName":"Ada"},"roles":[]}`)
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)
		if r.body["userName"] != "ada.lovelace@clinic.onmicrosoft.com" {
			t.Errorf("userName answered %v", r.body["userName"])
		}
		u := c.User.GetX(allow(), pulid.ID(id))
		if u.Email != "Ada@Clinic.example" || u.ScimUserName == nil || *u.ScimUserName != "ada.lovelace@clinic.onmicrosoft.com" {
			t.Fatalf("stored email %q userName %v", u.Email, u.ScimUserName)
		}

		// Filters: userName, emails.value, emails[type eq "work"].value, any case.
		for _, f := range []string{
			`userName eq "ADA.LOVELACE@clinic.onmicrosoft.com"`,
			`emails.value eq "ada@clinic.example"`,
			`emails[type eq "work" and value eq "ada@clinic.example"]`,
			`externalId eq "0a21f0f2-8d2a-4f8e-97fa-0f9c1e5e2f11"`,
		} {
			if r := entra.do("GET", q(f)+"&startIndex=1&count=100", nil); r.status != 200 || total(r) != 1 {
				t.Errorf("%s: %d %v", f, r.status, r.body)
			}
		}
		// The email alone is not the userName of a user who has their own.
		if r := entra.do("GET", q(`userName eq "ada@clinic.example"`), nil); total(r) != 0 {
			t.Errorf("userName eq the email: %v", r.body)
		}
		// Another organization sees none of it.
		if r := other.do("GET", q(`userName eq "ada.lovelace@clinic.onmicrosoft.com"`), nil); r.status != 200 || total(r) != 0 {
			t.Errorf("another organization's filter: %v", r.body)
		}
		if r := other.do("GET", "/Users/"+id, nil); r.status != 404 {
			t.Errorf("another organization read the user: %d", r.status)
		}

		// Uniqueness, ignoring case: the userName, and the email.
		expect(t, "same userName", entra.do("POST", "/Users", coreUser(map[string]any{
			"userName": "Ada.Lovelace@CLINIC.onmicrosoft.com",
			"emails":   []any{map[string]any{"type": "work", "value": "someone@clinic.example"}},
		})), 409, "uniqueness")
		expect(t, "same email", entra.do("POST", "/Users", coreUser(map[string]any{
			"userName": "ada2@clinic.onmicrosoft.com",
			"emails":   []any{map[string]any{"type": "work", "value": "ADA@clinic.example"}},
		})), 409, "uniqueness")
		expect(t, "userName equal to another user's email", entra.do("POST", "/Users", coreUser(map[string]any{
			"userName": "grace@clinic.example",
		})), 201, "")
		expect(t, "a userName that is another's email-as-userName", entra.do("POST", "/Users", coreUser(map[string]any{
			"userName": "GRACE@clinic.example",
			"emails":   []any{map[string]any{"type": "work", "value": "grace2@clinic.example"}},
		})), 409, "uniqueness")
		// A userName that is not an email needs a work email.
		expect(t, "no email", entra.do("POST", "/Users", coreUser(map[string]any{"userName": "jdoe"})), 400, "invalidValue")
		r = entra.do("POST", "/Users", coreUser(map[string]any{"userName": "jdoe",
			"emails": []any{map[string]any{"primary": true, "value": "jdoe@clinic.example"}}}))
		expect(t, "a login with a primary email", r, 201, "")
		if r.body["userName"] != "jdoe" {
			t.Errorf("login userName: %v", r.body)
		}

		// Entra changes the mailbox: Add (sic) then Replace of the work email's value.
		for _, body := range []string{
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"tester"},{"op":"Add","path":"emails[type eq \"work\"].value","value":"ada.l@clinic.example"}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada.k@clinic.example"}]}`,
		} {
			expect(t, "email patch", entra.do("PATCH", "/Users/"+id, body), 200, "")
		}
		u = c.User.GetX(allow(), pulid.ID(id))
		if u.Email != "ada.k@clinic.example" || *u.ScimUserName != "ada.lovelace@clinic.onmicrosoft.com" {
			t.Fatalf("after the email patches: email %q userName %v", u.Email, *u.ScimUserName)
		}
		// A patch of the email to another user's is refused, nothing changes.
		expect(t, "email taken", entra.do("PATCH", "/Users/"+id, patch(map[string]any{
			"op": "replace", "path": `emails[type eq "work"].value`, "value": "jdoe@clinic.example"})), 409, "uniqueness")
		// Okta-style: a userName replaced to equal the email stores one name.
		r = entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{"userName": "ada.k@clinic.example"}}))
		expect(t, "userName to the email", r, 200, "")
		if u = c.User.GetX(allow(), pulid.ID(id)); u.ScimUserName != nil || u.Email != "ada.k@clinic.example" {
			t.Errorf("userName equal to the email kept apart: %v %q", u.ScimUserName, u.Email)
		}
		// Removing the work email by value filter leaves the userName as the email.
		r = entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "remove", "path": `emails[value eq "ada.k@clinic.example"]`}))
		expect(t, "remove the email", r, 200, "")
	})
}

// coreUser is a User body with its schemas.
func coreUser(attrs map[string]any) map[string]any {
	attrs["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
	return attrs
}
