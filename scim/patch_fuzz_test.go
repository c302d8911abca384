package scim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// patchSeeds are PATCH operations as Okta and Entra send them
// (scim/vendors_test.go and the other SCIM tests), to users (group false)
// and to groups. {{u0}}, {{u1}} and {{g0}} stand for the seeded users' and
// group's ids on each side; value is JSON, or else sent as a JSON string.
var patchSeeds = []struct {
	group           bool
	op, path, value string
}{
	{false, "replace", "", `{"active":false}`},
	{false, "Replace", "active", `"False"`},
	{false, "replace", "name.givenName", `"Adeline"`},
	{false, "Replace", "name.familyName", `"Byron"`},
	{false, "Replace", `emails[type eq "work"].value`, `"ada.byron@acme.test"`},
	{false, "Add", `phoneNumbers[type eq "mobile"].value`, `"+44 20 7946 0000"`},
	{false, "remove", `phoneNumbers[type eq "work"]`, ``},
	{false, "Add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `"{{u1}}"`},
	{false, "Replace", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division", `"North"`},
	{false, "add", "", `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Ward 5","name.givenName":"Ada"}`},
	{false, "replace", "userName", `"Test_User_dfeef4c5"`},
	{false, "replace", "title", `"Charge nurse"`},
	{false, "remove", "title", ``},
	{false, "replace", "password", `"correct horse battery staple"`},
	{false, "replace", "id", `"usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V"`},
	{false, "replace", "urn:ietf:params:scim:schemas:core:2.0:User:id", `"x"`},
	{false, "replace", "meta.created", `"2011-05-13T04:42:34Z"`},
	{false, "add", "groups", `[{"value":"{{g0}}"}]`},
	{false, "replace", "", `{"id":"{{u0}}","displayName":"Ada L."}`},
	{false, "merge", "title", `"x"`},
	{false, "replace", `emails[type eq`, `"x"`},
	{false, "replace", "urn:clinicgate:params:scim:schemas:extension:2.0:User:requireMfa", `"True"`},
	{true, "Add", "members", `[{"$ref":null,"value":"{{u1}}"}]`},
	{true, "Remove", `members[value eq "{{u0}}"]`, ``},
	{true, "remove", "members", ``},
	{true, "replace", "members", `{"value":"{{u1}}"}`},
	{true, "Replace", "displayName", `"Ward nurses"`},
	{true, "replace", "", `{"id":"{{g0}}","displayName":"Nurses 2"}`},
	{true, "replace", "", `{"id":"grp_other","displayName":"x"}`},
	{true, "add", "externalId", `"8a1f-entra-2"`},
	{true, "remove", "displayName", ``},
	{true, "replace", `members[value eq "{{u0}}"]`, `"x"`},
	{true, "add", "members", `[{"value":"usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V"}]`},
}

// PATCH of /Users/{id} and /Groups/{id}: the library parses the path
// (filter-parser), readOnly refuses read-only targets from the raw body,
// applyPatch and groupPatch apply it, provision writes it. Whatever the
// operation, the answer is a success or a 4xx in the SCIM error schema —
// never a 500 or a panic —, a path naming id or meta is refused with
// mutability, and SQLite and PostgreSQL answer with the same status.
// Every run starts from the same resource (PUT back first), so a finding
// replays.
func FuzzPatchPath(f *testing.F) {
	for _, s := range patchSeeds {
		f.Add(s.group, s.op, s.path, s.value)
	}
	sides := fuzzSides(f)
	f.Fuzz(func(t *testing.T, group bool, op, path, value string) {
		var statuses []int
		for _, s := range sides {
			fill := strings.NewReplacer("{{u0}}", s.users[0], "{{u1}}", s.users[1], "{{g0}}", s.groups[0])
			resource, base := "/v2/Users/"+s.users[0], fuzzUsers[0]
			if group {
				resource, base = "/v2/Groups/"+s.groups[0], strings.ReplaceAll(fuzzGroups[0], "{{u0}}", s.users[0])
			}
			if status, body := s.do("PUT", resource, base); status != http.StatusOK {
				t.Fatalf("%s: restoring %s: %d %v", s.dialect, resource, status, body)
			}
			operation := map[string]any{"op": op}
			if path != "" {
				operation["path"] = fill.Replace(path)
			}
			if v := fill.Replace(value); json.Valid([]byte(v)) {
				operation["value"] = json.RawMessage(v)
			} else if value != "" {
				operation["value"] = v
			}
			body, err := json.Marshal(map[string]any{"schemas": []string{patchOp}, "Operations": []any{operation}})
			if err != nil {
				t.Fatal(err) // json.Valid checked the raw value
			}
			status, out := s.do("PATCH", resource, string(body))
			switch {
			case status == http.StatusOK:
				if out["id"] != resource[strings.LastIndexByte(resource, '/')+1:] {
					t.Fatalf("%s: PATCH %s %q %q answered another resource: %v", s.dialect, op, path, value, out)
				}
			case status == http.StatusNoContent:
			case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
			default:
				t.Fatalf("%s: PATCH %s %q %s: %d %v, want a success or a 4xx in the SCIM error schema", s.dialect, op, path, body, status, out)
			}
			if readOnlyTarget(path) && status < 400 {
				t.Fatalf("%s: PATCH %s %q changed a read-only attribute: %d %v", s.dialect, op, path, status, out)
			}
			statuses = append(statuses, status)
		}
		if statuses[0] != statuses[1] {
			t.Fatalf("PATCH group=%v %s %q %q: %s answers %d, %s answers %d", group, op, path, value,
				sides[0].dialect, statuses[0], sides[1].dialect, statuses[1])
		}
	})
}

// readOnlyTarget reports whether a PATCH path plainly names id or meta
// (with or without the core schema's URN), which must never be changed.
func readOnlyTarget(path string) bool {
	p := strings.ToLower(strings.TrimSpace(path))
	for _, urn := range []string{"urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"} {
		p = strings.TrimPrefix(p, urn)
	}
	return p == "id" || p == "meta" || strings.HasPrefix(p, "meta.")
}
