package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
)

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// idp is an identity provider talking to the SCIM server with an
// organization's token.
type idp struct {
	t     testing.TB
	base  string
	token string
	org   pulid.ID
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (p *idp) do(method, path string, body any, headers ...string) reply {
	p.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := reply{status: res.StatusCode, header: res.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			p.t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
		}
	}
	if ct := res.Header.Get("Content-Type"); len(raw) > 0 && ct != "application/scim+json" {
		p.t.Errorf("%s %s: content type %q", method, path, ct)
	}
	return out
}

// server starts the SCIM handler as mounted by the server and returns an
// identity provider of a new organization.
func server(t testing.TB, c *ent.Client) (*httptest.Server, func(slug string) *idp) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.StripPrefix("/scim", scim.NewHandler(c, scim.Config{BaseURL: "https://id.example/scim/v2"}))
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func(slug string) *idp {
		org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(allow())
		u := c.User.Create().SetOrganizationID(org.ID).SetEmail("it@" + slug + ".test").SetStatus(user.StatusActive).SaveX(allow())
		ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: u.ID,
			Privileges: map[string]bool{string(authz.OrgSettingsManage): true}})
		plain, tok, err := scimtoken.Issue(ctx, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		return &idp{t: t, base: srv.URL + "/scim/v2", token: plain, org: tok.OrganizationID}
	}
}

const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func patch(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{patchOp}, "Operations": list}
}

func ext(body map[string]any, urn string) map[string]any {
	m, _ := body[urn].(map[string]any)
	return m
}

func expect(t *testing.T, what string, r reply, status int, scimType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %v", what, r.status, status, r.body)
	}
	if scimType != "" && r.body["scimType"] != scimType {
		t.Errorf("%s: scimType %v, want %s (%v)", what, r.body["scimType"], scimType, r.body)
	}
	if status >= 400 {
		if s, _ := r.body["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("%s: not the SCIM error schema: %v", what, r.body)
		}
	}
}

func total(r reply) int {
	n, _ := r.body["totalResults"].(float64)
	return int(n)
}

func q(filter string) string { return "/Users?filter=" + url.QueryEscape(filter) }

func TestOktaProvisioningSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		okta := newIdP("okta-org")

		// The probe for a random userName finds nothing.
		r := okta.do("GET", q(`userName eq "a3f0c2e4-0000-4b1e-9c6e-3f1d2a7b9e11@okta.example"`)+"&startIndex=1&count=100", nil)
		expect(t, "probe", r, 200, "")
		if total(r) != 0 || r.body["Resources"] == nil && false {
			t.Fatalf("probe: %v", r.body)
		}

		r = okta.do("POST", "/Users", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":    "Ada.Lovelace@clinic.example",
			"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":      []any{map[string]any{"primary": true, "value": "Ada.Lovelace@clinic.example", "type": "work"}},
			"displayName": "Ada Lovelace",
			"locale":      "en-GB",
			"externalId":  "00u1abcd",
			"groups":      []any{},
			"password":    "correct horse battery staple",
			"active":      true,
		})
		expect(t, "create", r, 201, "")
		id, _ := r.body["id"].(string)
		if id == "" || r.header.Get("Location") != "https://id.example/scim/v2/Users/"+id || r.header.Get("Etag") == "" {
			t.Fatalf("create: %v %v", r.header, r.body)
		}
		if _, ok := r.body["password"]; ok {
			t.Error("the password is returned")
		}
		meta, _ := r.body["meta"].(map[string]any)
		if meta["version"] != r.header.Get("Etag") || meta["location"] == nil || meta["created"] == nil || meta["lastModified"] == nil {
			t.Errorf("meta %v", meta)
		}
		u := c.User.GetX(allow(), pulid.ID(id))
		if u.Status != user.StatusActive || u.Kind != user.KindStaff || *u.ExternalID != "00u1abcd" || u.GivenName != "Ada" {
			t.Errorf("stored user %+v", u)
		}
		if !c.PasswordCredential.Query().Where(passwordcredential.UserID(u.ID)).ExistX(allow()) {
			t.Error("the pushed password is not set")
		}

		r = okta.do("GET", "/Users/"+id, nil)
		expect(t, "get", r, 200, "")
		if r.body["userName"] != "Ada.Lovelace@clinic.example" || r.body["active"] != true {
			t.Errorf("get: %v", r.body)
		}
		// userName matches ignoring case.
		if r := okta.do("GET", q(`userName eq "ada.lovelace@CLINIC.example"`), nil); total(r) != 1 {
			t.Errorf("filter ignoring case: %v", r.body)
		}

		// Deactivation: suspended at once, sessions revoked, still visible.
		s := c.Session.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).SetTokenHash([]byte("ada")).
			SetMethod("PASSWORD").SetExpiresAt(time.Now().Add(time.Hour)).SetIdleTimeoutSeconds(1800).SaveX(allow())
		r = okta.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		expect(t, "deactivate", r, 200, "")
		if r.body["active"] != false {
			t.Errorf("deactivate: %v", r.body)
		}
		if got := c.Session.GetX(allow(), s.ID); got.RevokedAt == nil {
			t.Error("the session survived deactivation")
		}
		r = okta.do("GET", "/Users/"+id, nil)
		expect(t, "get suspended", r, 200, "")
		if r.body["active"] != false {
			t.Errorf("get suspended: %v", r.body)
		}
		if r := okta.do("GET", q(`active eq false`), nil); total(r) != 1 {
			t.Errorf("active eq false: %v", r.body)
		}
		// Only the organization's administrator is active.
		if r := okta.do("GET", q(`active eq true`), nil); total(r) != 1 {
			t.Errorf("active eq true: %v", r.body)
		}

		// Reactivation: the same account.
		r = okta.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{"active": true}}))
		expect(t, "reactivate", r, 200, "")
		if r.body["active"] != true || r.body["id"] != id {
			t.Errorf("reactivate: %v", r.body)
		}

		// PUT replaces the profile.
		r = okta.do("PUT", "/Users/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":   "ada@clinic.example",
			"externalId": "00u1abcd",
			"name":       map[string]any{"givenName": "Augusta Ada", "familyName": "King"},
			"title":      "Psychologist",
			"active":     true,
		})
		expect(t, "put", r, 200, "")
		if r.body["userName"] != "ada@clinic.example" || r.body["title"] != "Psychologist" || r.body["displayName"] != nil {
			t.Errorf("put: %v", r.body)
		}

		// A weak password is invalidValue, and nothing changes.
		r = okta.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "password", "value": "password"}))
		expect(t, "weak password", r, 400, "invalidValue")

		// DELETE soft-deletes; GET is 404; the record stays.
		expect(t, "delete", okta.do("DELETE", "/Users/"+id, nil), 204, "")
		expect(t, "get deleted", okta.do("GET", "/Users/"+id, nil), 404, "")
		if u := c.User.GetX(allow(), pulid.ID(id)); u.Status != user.StatusDeleted || u.DeletedAt == nil {
			t.Errorf("deleted user %v %v", u.Status, u.DeletedAt)
		}
		if n := c.AuditEvent.Query().Where(auditevent.TargetID(id)).CountX(allow()); n < 5 {
			t.Errorf("%d audit events for the user", n)
		}

		// Pushed again after deletion: the same row comes back, active.
		r = okta.do("POST", "/Users", map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "ADA@clinic.example", "externalId": "00u1abcd", "active": true,
		})
		expect(t, "re-create", r, 201, "")
		if r.body["id"] != id {
			t.Errorf("re-created as %v, was %s", r.body["id"], id)
		}
		if n := c.User.Query().Where(user.OrganizationID(okta.org), user.EmailNormalized("ada@clinic.example")).CountX(allow()); n != 1 {
			t.Errorf("%d rows for the userName", n)
		}
	})
}

func TestEntraProvisioningSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		entra := newIdP("entra-org")

		r := entra.do("GET", q(`userName eq "7c1b0f8e-5d2a-4a57-9d2b-1f6e0c3a8b44"`), nil)
		expect(t, "probe", r, 200, "")
		if total(r) != 0 {
			t.Fatalf("probe: %v", r.body)
		}
		r = entra.do("POST", "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			"externalId":  "8f6c7a3e-1111-4c2d-9e0f-aa11bb22cc33",
			"userName":    "grace@clinic.example",
			"active":      true,
			"displayName": "Grace Hopper",
			"emails":      []any{map[string]any{"primary": true, "type": "work", "value": "grace@clinic.example"}},
			"meta":        map[string]any{"resourceType": "User"},
			"name":        map[string]any{"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
			"roles":       []any{},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "E-1906", "department": "Neuropsychology", "costCenter": "CC-7",
			},
		})
		expect(t, "create", r, 201, "")
		id, _ := r.body["id"].(string)
		if e := ext(r.body, scim.EnterpriseURN); e["employeeNumber"] != "E-1906" || e["department"] != "Neuropsychology" {
			t.Errorf("enterprise: %v", r.body)
		}
		manager := c.User.Query().Where(user.OrganizationID(entra.org), user.EmailNEQ("grace@clinic.example")).FirstX(allow())

		r = entra.do("PATCH", "/Users/"+id, patch(
			map[string]any{"op": "Replace", "path": "displayName", "value": "Rear Admiral Hopper"},
			map[string]any{"op": "Replace", "path": "name.givenName", "value": "Grace B."},
			map[string]any{"op": "Add", "path": `emails[type eq "work"].value`, "value": "grace@clinic.example"},
			map[string]any{"op": "Add", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+44 20 7946 0000"},
			map[string]any{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": map[string]any{"value": string(manager.ID)}},
			map[string]any{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division", "value": "Research"},
			map[string]any{"op": "Replace", "path": scim.ExtensionURN + ":requireMfa", "value": "True"},
			map[string]any{"op": "Replace", "path": "active", "value": "False"},
		))
		expect(t, "patch", r, 200, "")
		name, _ := r.body["name"].(map[string]any)
		e := ext(r.body, scim.EnterpriseURN)
		m, _ := e["manager"].(map[string]any)
		if r.body["displayName"] != "Rear Admiral Hopper" || name["givenName"] != "Grace B." || r.body["active"] != false ||
			m["value"] != string(manager.ID) || e["division"] != "Research" || e["employeeNumber"] != "E-1906" ||
			ext(r.body, scim.ExtensionURN)["requireMfa"] != true {
			t.Errorf("patched: %v", r.body)
		}
		phones, _ := r.body["phoneNumbers"].([]any)
		if len(phones) != 1 || phones[0].(map[string]any)["value"] != "+44 20 7946 0000" {
			t.Errorf("phones: %v", r.body["phoneNumbers"])
		}
		if u := c.User.GetX(allow(), pulid.ID(id)); u.Status != user.StatusSuspended {
			t.Errorf("status %s", u.Status)
		}

		// Path-less PATCH with keys in any case, as Okta and Entra send.
		r = entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{
			"Active": "True", "name.familyName": "Hopper-Murray",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "CC-9",
		}}))
		expect(t, "path-less patch", r, 200, "")
		name, _ = r.body["name"].(map[string]any)
		if r.body["active"] != true || name["familyName"] != "Hopper-Murray" || ext(r.body, scim.EnterpriseURN)["costCenter"] != "CC-9" {
			t.Errorf("path-less: %v", r.body)
		}

		// A PUT without active leaves the status as it is.
		entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "Replace", "path": "active", "value": "False"}))
		r = entra.do("PUT", "/Users/"+id, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "grace@clinic.example",
			"externalId": "8f6c7a3e-1111-4c2d-9e0f-aa11bb22cc33", "name": map[string]any{"givenName": "Grace", "familyName": "Hopper-Murray"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"costCenter": "CC-9", "manager": map[string]any{"value": string(manager.ID)}},
		})
		expect(t, "put without active", r, 200, "")
		if r.body["active"] != false {
			t.Errorf("put without active: %v", r.body)
		}
		entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "Replace", "path": "active", "value": "True"}))

		// Remove by path.
		r = entra.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}))
		expect(t, "remove manager", r, 200, "")
		if ext(r.body, scim.EnterpriseURN)["manager"] != nil {
			t.Errorf("manager kept: %v", r.body)
		}

		// externalId filter, and a few more operators.
		for filter, want := range map[string]int{
			`externalId eq "8f6c7a3e-1111-4c2d-9e0f-aa11bb22cc33"`:                            1,
			`externalId eq "8F6C7A3E-1111-4C2D-9E0F-AA11BB22CC33"`:                            0,
			`userName sw "GRACE" and active eq true`:                                          1,
			`emails[type eq "work" and value co "@clinic"]`:                                   1,
			`emails.value ew "example"`:                                                       1,
			`name.familyName co "murray" or displayName eq "nobody"`:                          1,
			`not (userName eq "grace@clinic.example")`:                                        1,
			`USERNAME Eq "Grace@Clinic.Example"`:                                              1,
			`externalId pr`:                                                                   1,
			`meta.lastModified gt "2000-01-01T00:00:00Z"`:                                     2,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter eq "cc-9"`: 1,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`:        0,
			`meta.created lt "2000-01-01T00:00:00Z"`:                                          0,
			`(userName eq "grace@clinic.example" or userName eq "x@y.z") and title pr`:        0,
		} {
			r := entra.do("GET", q(filter), nil)
			expect(t, filter, r, 200, "")
			if total(r) != want {
				t.Errorf("%s: %d results, want %d", filter, total(r), want)
			}
		}
	})
}

func TestUsersRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		a, b := newIdP("org-a"), newIdP("org-b")
		create := func(p *idp, name string) reply {
			return p.do("POST", "/Users", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name,
			})
		}
		r := create(a, "lin@clinic.example")
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)
		etag := r.header.Get("Etag")

		expect(t, "duplicate userName", create(a, "LIN@Clinic.Example"), 409, "uniqueness")
		expect(t, "same userName elsewhere", create(b, "lin@clinic.example"), 201, "")
		expect(t, "not an email", create(a, "lin"), 400, "invalidValue")

		// If-Match.
		expect(t, "stale If-Match", a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "Dr"}),
			"If-Match", `W/"stale"`), 412, "")
		r = a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "Dr"}), "If-Match", etag)
		expect(t, "current If-Match", r, 200, "")
		expect(t, "old If-Match on PUT", a.do("PUT", "/Users/"+id, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "lin@clinic.example",
		}, "If-Match", etag), 412, "")
		expect(t, "old If-Match on DELETE", a.do("DELETE", "/Users/"+id, nil, "If-Match", etag), 412, "")

		// Filters.
		for _, f := range []string{`userName eq`, `nickName eq "x"`, `active gt true`, `meta.created gt "yesterday"`, `urn:foo:bar eq "x"`} {
			expect(t, f, a.do("GET", q(f), nil), 400, "invalidFilter")
		}
		// Malformed bodies.
		expect(t, "malformed JSON", a.do("POST", "/Users", `{"userName": `), 400, "invalidSyntax")
		expect(t, "malformed PATCH", a.do("PATCH", "/Users/"+id, `{"schemas":`), 400, "invalidSyntax")
		expect(t, "id is read-only", a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "id", "value": "usr_x"})), 400, "mutability")

		// Malformed input is a 400 in the SCIM schema, never a 500.
		for what, call := range map[string]func() reply{
			"empty body": func() reply { return a.do("POST", "/Users", "") },
			"array body": func() reply { return a.do("POST", "/Users", `[]`) },
			"userName a number": func() reply {
				return a.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":5}`)
			},
			"active not a bool": func() reply {
				return a.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"q@clinic.example","active":"maybe"}`)
			},
			"no PatchOp schema": func() reply {
				return a.do("PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","value":{"active":false}}]}`)
			},
			"Operations a string": func() reply { return a.do("PATCH", "/Users/"+id, `{"schemas":["`+patchOp+`"],"Operations":"x"}`) },
			"unknown op": func() reply {
				return a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "merge", "path": "title", "value": "x"}))
			},
			"bad path": func() reply {
				return a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "emails[type eq", "value": "x"}))
			},
			"path-less non-object": func() reply { return a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": "x"})) },
			"remove without path":  func() reply { return a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "remove"})) },
			"count not a number":   func() reply { return a.do("GET", "/Users?count=many", nil) },
			"signInMethod unknown": func() reply {
				return a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": scim.ExtensionURN + ":signInMethod", "value": "MAGIC"}))
			},
		} {
			r := call()
			if r.status != 400 {
				t.Errorf("%s: status %d: %v", what, r.status, r.body)
			}
		}

		// Another organization's token sees and touches nothing.
		expect(t, "other org get", b.do("GET", "/Users/"+id, nil), 404, "")
		expect(t, "other org patch", b.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "value": map[string]any{"active": false}})), 404, "")
		expect(t, "other org put", b.do("PUT", "/Users/"+id, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "lin@clinic.example",
		}), 404, "")
		expect(t, "other org delete", b.do("DELETE", "/Users/"+id, nil), 404, "")
		if r := b.do("GET", q(`userName eq "lin@clinic.example"`), nil); total(r) != 1 || r.body["Resources"].([]any)[0].(map[string]any)["id"] == id {
			t.Errorf("other org list: %v", r.body)
		}
		if u := c.User.GetX(allow(), pulid.ID(id)); u.Status != user.StatusActive {
			t.Errorf("touched from another organization: %s", u.Status)
		}

		expect(t, "remove matching nothing", a.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "remove", "path": `phoneNumbers[type eq "fax"]`})), 400, "noTarget")
		expect(t, "taken externalId", a.do("POST", "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ext1@clinic.example", "externalId": "same",
		}), 201, "")
		expect(t, "taken externalId again", a.do("POST", "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ext2@clinic.example", "externalId": "same",
		}), 409, "uniqueness")

		// Without a token: 401 in the SCIM schema.
		noTok := &idp{t: t, base: a.base, token: ""}
		expect(t, "no token", noTok.do("GET", "/Users", nil), 401, "")
	})
}

func TestListPagingProjectionAndDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		p := newIdP("paging")
		for i := range 5 {
			r := p.do("POST", "/Users", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": fmt.Sprintf("u%d@clinic.example", i),
				"name": map[string]any{"givenName": fmt.Sprint("G", i), "familyName": "F"}, "externalId": fmt.Sprint("x", i),
			})
			expect(t, "create", r, 201, "")
		}
		// Six staff users: the five and the organization's administrator.
		r := p.do("GET", "/Users?startIndex=2&count=2", nil)
		if total(r) != 6 || len(r.body["Resources"].([]any)) != 2 || r.body["startIndex"] != 2.0 {
			t.Errorf("page: %v", r.body)
		}
		if r := p.do("GET", "/Users?startIndex=6&count=2", nil); len(r.body["Resources"].([]any)) != 1 {
			t.Errorf("last page: %v", r.body)
		}
		if r := p.do("GET", "/Users?count=0", nil); total(r) != 6 {
			t.Errorf("count=0: %v", r.body)
		}

		r = p.do("GET", q(`userName eq "u1@clinic.example"`)+"&attributes=userName,name.givenName", nil)
		res := r.body["Resources"].([]any)[0].(map[string]any)
		name, _ := res["name"].(map[string]any)
		if res["userName"] != "u1@clinic.example" || name["givenName"] != "G1" || name["familyName"] != nil || res["externalId"] != nil || res["active"] != nil || res["id"] == nil {
			t.Errorf("attributes: %v", res)
		}
		r = p.do("GET", q(`userName eq "u1@clinic.example"`)+"&excludedAttributes=emails,"+scim.ExtensionURN, nil)
		res = r.body["Resources"].([]any)[0].(map[string]any)
		if res["emails"] != nil || res[scim.ExtensionURN] != nil || res["userName"] == nil {
			t.Errorf("excludedAttributes: %v", res)
		}

		r = p.do("GET", "/ServiceProviderConfig", nil)
		expect(t, "spc", r, 200, "")
		etag, _ := r.body["etag"].(map[string]any)
		filter, _ := r.body["filter"].(map[string]any)
		if etag["supported"] != true || filter["maxResults"] != 200.0 || r.body["bulk"].(map[string]any)["supported"] != false {
			t.Errorf("service provider config: %v", r.body)
		}
		r = p.do("GET", "/Schemas", nil)
		raw, _ := json.Marshal(r.body)
		for _, id := range []string{"urn:ietf:params:scim:schemas:core:2.0:User", scim.EnterpriseURN, scim.ExtensionURN, "signInMethod"} {
			if !strings.Contains(string(raw), id) {
				t.Errorf("schemas lack %s", id)
			}
		}
		r = p.do("GET", "/ResourceTypes", nil)
		if raw, _ := json.Marshal(r.body); !strings.Contains(string(raw), `"/Users"`) {
			t.Errorf("resource types: %s", raw)
		}
	})
}

func TestPushedPasswordIsIgnoredWhenSSOIsRequired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		_, newIdP := server(t, c)
		p := newIdP("sso-user")
		post := func(p *idp, name string, extra map[string]any) reply {
			body := map[string]any{
				"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"userName": name, "password": "correct horse battery staple",
			}
			for k, v := range extra {
				body[k] = v
			}
			return p.do("POST", "/Users", body)
		}
		hasPassword := func(id any) bool {
			return c.PasswordCredential.Query().Where(passwordcredential.UserID(pulid.ID(fmt.Sprint(id)))).ExistX(allow())
		}
		// The user must use SSO (our extension).
		r := post(p, "sso@clinic.example", map[string]any{scim.ExtensionURN: map[string]any{"signInMethod": "SSO"}})
		expect(t, "create SSO user", r, 201, "")
		if hasPassword(r.body["id"]) || ext(r.body, scim.ExtensionURN)["signInMethod"] != "SSO" {
			t.Errorf("SSO user: password stored or method lost: %v", r.body)
		}
		// A weak password for such a user is not even checked: ignored.
		r = p.do("PATCH", fmt.Sprint("/Users/", r.body["id"]), patch(map[string]any{"op": "replace", "path": "password", "value": "x"}))
		expect(t, "password for SSO user", r, 200, "")

		// The organization requires SSO.
		q := newIdP("sso-org")
		c.Organization.UpdateOneID(c.User.Query().Where(user.OrganizationID(q.org)).FirstX(allow()).OrganizationID).
			SetSignInMethod("SSO").ExecX(allow())
		r = post(q, "member@clinic.example", nil)
		expect(t, "create in SSO organization", r, 201, "")
		if hasPassword(r.body["id"]) {
			t.Error("password stored in an SSO organization")
		}
		// Elsewhere it is set, and a weak one refused.
		r = post(p, "pw@clinic.example", nil)
		expect(t, "create with password", r, 201, "")
		if !hasPassword(r.body["id"]) {
			t.Error("password not set")
		}
		expect(t, "weak password on create", post(p, "weak@clinic.example", map[string]any{"password": "123456"}), 400, "invalidValue")
		if c.User.Query().Where(user.EmailNormalized("weak@clinic.example")).ExistX(allow()) {
			t.Error("a user with a refused password was created")
		}
	})
}
