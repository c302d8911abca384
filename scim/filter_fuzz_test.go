package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
)

// A fuzz side is one database (SQLite or PostgreSQL) behind the real SCIM
// handler, called in process (no socket: the fuzzer runs thousands of
// requests a second), with an organization, its token and a few users and
// groups whose attributes exercise folding, LIKE escapes, NULLs and
// non-ASCII letters. The same requests go to both sides: they must answer
// alike, since a provider cannot know which database is behind us.
type fuzzSide struct {
	dialect string
	h       http.Handler
	token   string
	users   []string // ids of the seeded users, in the order of fuzzUsers
	groups  []string // ids of the seeded groups, in the order of fuzzGroups
}

// fuzzUsers are POSTed to /Users on each side, in this order.
var fuzzUsers = []string{
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "userName":"ada@acme.test","externalId":"00u1okta","displayName":"Ada Lovelace","title":"Nurse",
	  "name":{"givenName":"Ada","familyName":"Lovelace"},
	  "emails":[{"value":"ada@acme.test","type":"work","primary":true}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ward 4","employeeNumber":"E-1","costCenter":"CC_10%"}}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName":"Test_User_dfeef4c5","externalId":"0a21f0f2-8d2a","displayName":"Ben 50% off_sale\\",
	  "name":{"givenName":"Ben","familyName":"Ōtomo"},
	  "emails":[{"value":"BEN@Acme.Test","type":"work","primary":true}]}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName":"cy@acme.test","displayName":"Cy","active":false,
	  "emails":[{"value":"cy@acme.test","type":"work"}]}`,
}

// fuzzGroups are POSTed to /Groups; {{u0}} is the first user's id.
var fuzzGroups = []string{
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Nurses","externalId":"8a1f-entra","members":[{"value":"{{u0}}"}]}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Ward_4 100%"}`,
}

// fuzzSides opens both databases and seeds them. It runs once per fuzz
// worker process (f.Fuzz's body runs many times).
func fuzzSides(f *testing.F) []*fuzzSide {
	f.Helper()
	var sides []*fuzzSide
	for _, d := range storetest.Dialects {
		db := storetest.Open(f, d)
		sides = append(sides, newFuzzSide(f, d, db))
	}
	return sides
}

func newFuzzSide(f *testing.F, dialect string, db *store.DB) *fuzzSide {
	f.Helper()
	c := db.Client
	org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(allow())
	admin := c.User.Create().SetOrganizationID(org.ID).SetEmail("it@acme.test").SetStatus(user.StatusActive).SaveX(allow())
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: admin.ID,
		Privileges: map[string]bool{string(authz.OrgSettingsManage): true}})
	plain, _, err := scimtoken.Issue(ctx, c, "fuzz", nil)
	if err != nil {
		f.Fatal(err)
	}
	// The pace limit is not under test: the fuzzer outruns any real one.
	h := scim.NewHandler(c, scim.Config{RateLimit: scim.RateLimitConfig{PerSecond: 1e9, Burst: 1 << 30}})
	s := &fuzzSide{dialect: dialect, h: h, token: plain}
	for _, body := range fuzzUsers {
		status, out := s.do("POST", "/v2/Users", body)
		if status != http.StatusCreated {
			f.Fatalf("%s: seeding a user: %d %v", dialect, status, out)
		}
		s.users = append(s.users, out["id"].(string))
	}
	for _, body := range fuzzGroups {
		status, out := s.do("POST", "/v2/Groups", strings.ReplaceAll(body, "{{u0}}", s.users[0]))
		if status != http.StatusCreated {
			f.Fatalf("%s: seeding a group: %d %v", dialect, status, out)
		}
		s.groups = append(s.groups, out["id"].(string))
	}
	return s
}

// do sends one request through the handler as the identity provider and
// returns the status and the JSON body (nil when there is none). A body
// that is not JSON, or not in the SCIM error schema on an error, is a
// failure of the server, reported as status 0 with the raw text.
func (s *fuzzSide) do(method, path, body string) (int, map[string]any) {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Body.Len() == 0 {
		return rec.Code, nil
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return 0, map[string]any{"raw": rec.Body.String(), "status": rec.Code}
	}
	if rec.Code >= 400 {
		if sch, _ := out["schemas"].([]any); len(sch) != 1 || sch[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			return 0, map[string]any{"raw": rec.Body.String(), "status": rec.Code}
		}
	}
	return rec.Code, out
}

// filterSeeds are the filters Okta and Entra send (scim/vendors_test.go,
// their published samples), and edges of the grammar and of our rewrite
// of Entra's attr[filter].sub form.
var filterSeeds = []string{
	`userName eq "ada@acme.test"`,
	`userName eq "Test_User_dfeef4c5"`,
	`userName eq "BEN@acme.test"`,
	`externalId eq "0a21f0f2-8d2a"`,
	`emails[type eq "work" and value eq "ben@acme.test"]`,
	`emails[type eq "work"].value eq "BEN@Acme.Test"`,
	`emails[type eq "work" or primary eq true].value eq "ada@acme.test"`,
	`emails.value co "acme"`,
	`displayName eq "Nurses"`,
	`displayName co "50%"`,
	`displayName sw "Ben 50% off_"`,
	`displayName ew "sale\\"`,
	`name.familyName eq "ŌTOMO"`,
	`title pr and not (active eq false)`,
	`active eq true or active ne false`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`meta.created le "2099-01-01T00:00:00.000+02:00"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Ward 4"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter co "_10%"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ada"`,
	`members[value eq "usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V"]`,
	`members.value eq "usr_01JD7W5Q4B9D8Q3Y6C1R2S7T0V"`,
	`externalId eq "8a1f-entra" and members pr`,
	`id ne "x" and (displayName gt "M" or externalId pr)`,
	`userName eq "a\"b"`,
	`userName eq "\u0000"`,
	`displayName eq 12.5`,
	`emails[value eq "x"]`,
	`emails[type eq "work"].value eq null`,
	`roles eq "x"`,
	`((((userName pr))))`,
	` `,
}

// The SCIM filter of GET /Users and /Groups, from the query string to the
// database: the library parses and validates it, our rewrite and
// translation (scim/filter.go, groupFilter) turn it into SQL. Whatever the
// filter, the answer is a list (the SQL ran) or 400 invalidFilter in the
// SCIM error schema, never a 500 or a panic, and SQLite and PostgreSQL
// answer alike: same status, same totalResults over the same rows.
func FuzzFilterToSQL(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	sides := fuzzSides(f)
	f.Fuzz(func(t *testing.T, filter string) {
		for _, res := range []string{"Users", "Groups"} {
			path := "/v2/" + res + "?count=0&filter=" + url.QueryEscape(filter)
			var answers []string
			for _, s := range sides {
				status, body := s.do("GET", path, "")
				switch {
				case status == http.StatusOK:
					if _, ok := body["totalResults"].(float64); !ok {
						t.Fatalf("%s %s %q: 200 without totalResults: %v", s.dialect, res, filter, body)
					}
				case status == http.StatusBadRequest && body["scimType"] == "invalidFilter":
				default:
					t.Fatalf("%s %s %q: %d %v, want 200 or 400 invalidFilter", s.dialect, res, filter, status, body)
				}
				answers = append(answers, fmt.Sprint(status, " ", body["totalResults"]))
			}
			if answers[0] != answers[1] && !(hasNonASCIICase(filter) && sameStatus(answers)) {
				t.Fatalf("%s %q: %s answers %s, %s answers %s", res, filter,
					sides[0].dialect, answers[0], sides[1].dialect, answers[1])
			}
		}
	})
}

// hasNonASCIICase reports whether s holds a letter outside ASCII that has
// a case: SQLite's lower() folds only ASCII, so such a value may match on
// PostgreSQL alone (textMatch). The statuses must still agree.
func hasNonASCIICase(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII && (unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)) {
			return true
		}
	}
	return false
}

func sameStatus(answers []string) bool {
	a, _, _ := strings.Cut(answers[0], " ")
	b, _, _ := strings.Cut(answers[1], " ")
	return a == b
}
