package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

// leak matches what must never reach a client: a Go stack or file, SQL, a
// driver's or ent's error text.
var leak = regexp.MustCompile(`goroutine \d|\.go:\d|runtime\.|\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE FROM\b|\bpq:|\bpgx\b|\bpgconn\b|SQLSTATE|\bent:|\bsql:|sqlite|\bFATAL\b`)

// Errors forced on every surface (GraphQL syntax, validation and argument
// errors, a duplicate, a cancelled statement, a locked table, SCIM bad
// input, sign-in bad input, oversized bodies) are answered with a code and
// a fixed message, and no answer carries a stack, SQL or a driver's text.
func TestNoAnswerCarriesAStackOrSQL(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		kv["DEMO_PASSWORD"] = demoPassword
		kv["DB_STATEMENT_TIMEOUT"], kv["DB_LOCK_TIMEOUT"], kv["REQUEST_TIMEOUT"] = "300ms", "0", "5s"
		if code, out, errOut := runCmd(t, kv, "migrate"); code != 0 {
			t.Fatalf("migrate: %d %s %s", code, out, errOut)
		}
		base, _ := serveInBackground(t, kv, "--demo")
		_, scimOut, _ := runCmd(t, kv, "scim-token", "create", "--org", "demo", "--name", "idp")
		scimTok := strings.TrimSpace(scimOut)
		tok := signInDemo(t, base, "admin@demo.clinic")
		jsonCT := map[string]string{"Content-Type": "application/json"}
		gqlH := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tok}
		scimH := map[string]string{"Content-Type": "application/scim+json", "Authorization": "Bearer " + scimTok}
		big := `{"pad":"` + strings.Repeat("x", 2<<20) + `"}`

		type probe struct {
			name, method, path string
			headers            map[string]string
			body               string
		}
		probes := []probe{
			{"a GraphQL syntax error", "POST", "/graphql", gqlH, `{"query":"{ viewer { "}`},
			{"an unknown field", "POST", "/graphql", gqlH, `{"query":"{ viewer { password } }"}`},
			{"a body that is not JSON", "POST", "/graphql", gqlH, `{"query": SELECT`},
			{"invalid UTF-8", "POST", "/graphql", gqlH, "{\"query\":\"{ viewer { user { email } } }\",\"variables\":{\"a\":\"\xff\"}}"},
			{"a malformed id", "POST", "/graphql", gqlH, `{"query":"{ nodes(ids: [\"'; DROP TABLE users; --\"]) { id } }"}`},
			{"a malformed cursor", "POST", "/graphql", gqlH, `{"query":"{ clients(after: \"!!!\") { totalCount } }"}`},
			{"an Int out of range", "POST", "/graphql", gqlH, `{"query":"{ clients(first: 99999999999) { totalCount } }"}`},
			{"a duplicate business unit", "POST", "/graphql", gqlH, `{"query":"mutation { a: createBusinessUnit(input: {name: \"Twice\"}) { businessUnit { id } } }"}`},
			{"the duplicate again", "POST", "/graphql", gqlH, `{"query":"mutation { a: createBusinessUnit(input: {name: \"Twice\"}) { businessUnit { id } } }"}`},
			{"an oversized GraphQL body", "POST", "/graphql", gqlH, big},
			{"SCIM: a body that is not JSON", "POST", "/scim/v2/Users", scimH, `{"userName": SELECT 1`},
			{"SCIM: a bad filter", "GET", "/scim/v2/Users?filter=userName%20eq", scimH, ""},
			{"SCIM: an unknown user", "GET", "/scim/v2/Users/usr_nope'%20OR%201=1", scimH, ""},
			{"SCIM: a user without userName", "POST", "/scim/v2/Users", scimH, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`},
			{"SCIM: a bad PATCH", "PATCH", "/scim/v2/Groups/grp_nope", scimH, `{"Operations":[{"op":"explode"}]}`},
			{"SCIM: an oversized body", "POST", "/scim/v2/Users", scimH, big},
			{"SCIM: no token", "GET", "/scim/v2/Users", nil, ""},
			{"sign-in: not JSON", "POST", "/auth/login", jsonCT, `{"email":`},
			{"sign-in: a form post", "POST", "/auth/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "email=a"},
			{"sign-in: an oversized body", "POST", "/auth/login", jsonCT, big},
			{"password reset with a bad token", "POST", "/auth/password/reset", jsonCT, `{"token":"x","password":"y"}`},
			{"an SSO callback with a forged state", "GET", "/auth/oidc/callback?state=x&code=y", nil, ""},
		}
		check := func(p probe) response {
			t.Helper()
			res := send(t, p.method, base+p.path, p.headers, p.body)
			if m := leak.FindString(res.raw); m != "" {
				t.Errorf("%s: %d answer carries %q: %.500s", p.name, res.status, m, res.raw)
			}
			if res.status >= 500 && res.status != 503 {
				t.Errorf("%s: %d %.300s", p.name, res.status, res.raw)
			}
			return res
		}
		for _, p := range probes {
			check(p)
		}
		if kv["DATABASE_URL"] == "" {
			return
		}
		// A statement cancelled by statement_timeout, and a session lookup
		// stuck behind a lock: unavailable, in plain words.
		release := testdb.LockTable(t, kv["DATABASE_URL"], "business_units")
		if res := check(probe{"a cancelled statement", "POST", "/graphql", gqlH, `{"query":"{ businessUnits { totalCount } }"}`}); !strings.Contains(strings.ToUpper(res.raw), `"UNAVAILABLE"`) {
			t.Errorf("a cancelled statement: %d %s", res.status, res.raw)
		}
		release()
		release = testdb.LockTable(t, kv["DATABASE_URL"], "sessions")
		if res := check(probe{"a locked sessions table", "GET", "/auth/session", gqlH, ""}); res.status != 503 || res.code() != "unavailable" {
			t.Errorf("a locked sessions table: %d %s", res.status, res.raw)
		}
		release()
	})
}
