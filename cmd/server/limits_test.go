package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The GraphQL limits hold end to end, behind the session middleware and
// the edge's body limit, on both stores, and their variables set them.
func TestGraphQLLimitsHoldEndToEnd(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		kv["DEMO_PASSWORD"] = "correct horse battery staple"
		kv["GRAPHQL_MAX_TOKENS"] = "40"
		base, _ := serveInBackground(t, kv, "--demo")
		_, login := postJSON(t, base+"/auth/login", "", map[string]string{
			"organization": "demo", "email": "admin@demo.clinic", "password": "correct horse battery staple",
		})
		tok, _ := login["token"].(string)
		code := func(res map[string]any) string {
			errs, _ := res["errors"].([]any)
			if len(errs) != 1 {
				return mustJSON(res)
			}
			c, _ := errs[0].(map[string]any)["extensions"].(map[string]any)["code"].(string)
			return c
		}

		// The report's 3,000 aliases, anonymously: refused for its length.
		bomb := "{ " + strings.Repeat("a:viewer{user{id}} ", 3000) + "}"
		if _, res := postJSON(t, base+"/graphql", "", map[string]any{"query": bomb}); code(res) != "QUERY_TOO_LARGE" {
			t.Errorf("anonymous alias bomb: %s", code(res))
		}
		// GRAPHQL_MAX_TOKENS applies to a signed-in user.
		long := "{ viewer { privileges } " + strings.Repeat("a: __typename ", 20) + "}"
		if _, res := postJSON(t, base+"/graphql", tok, map[string]any{"query": long}); code(res) != "TOKEN_LIMIT_EXCEEDED" {
			t.Errorf("over GRAPHQL_MAX_TOKENS: %s", code(res))
		}
		if status, res := postJSON(t, base+"/graphql", tok, map[string]any{"query": `{ viewer { privileges } }`}); status != 200 || res["errors"] != nil {
			t.Errorf("a small document: %d %v", status, res)
		}
		// A NUL reaches neither store.
		q := `query($n: String) { clients(where: {givenName: $n}) { totalCount } }`
		if _, res := postJSON(t, base+"/graphql", tok, map[string]any{"query": q, "variables": map[string]any{"n": "a\x00b"}}); code(res) != "BAD_USER_INPUT" {
			t.Errorf("a NUL: %s", code(res))
		}
		// A chunked body over the edge's limit: 413, not 200.
		body := `{"query": "{ __typename }", "variables": {"pad": "` + strings.Repeat("x", 2<<20) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.ContentLength = -1
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(got, []byte(`"REQUEST_TOO_LARGE"`)) {
			t.Errorf("oversized chunked body: %d %.300s", res.StatusCode, got)
		}
		// A declared body over /auth/*'s limit: 413 in the sign-in
		// endpoints' error shape, like their own refusals.
		res, err = http.Post(base+"/auth/login", "application/json", strings.NewReader(`{"pad":"`+strings.Repeat("x", 100<<10)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(res.Body)
		res.Body.Close()
		var e struct {
			Error struct{ Code, Message, RequestID string } `json:"error"`
		}
		if err := json.Unmarshal(got, &e); err != nil || res.StatusCode != http.StatusRequestEntityTooLarge ||
			e.Error.Code != "request_too_large" || e.Error.Message == "" || e.Error.RequestID == "" {
			t.Errorf("oversized /auth/login body: %d %.300s", res.StatusCode, got)
		}
	})
}
