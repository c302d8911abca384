package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// post sends one JSON request body to h as v (nil: anonymous) and returns
// the HTTP status and the decoded response.
func post(t *testing.T, h http.Handler, v *viewer.Viewer, body map[string]any) (int, gqlResponse) {
	t.Helper()
	data, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(data))
	r.Header.Set("Content-Type", "application/json")
	if v != nil {
		r = r.WithContext(viewer.NewContext(r.Context(), v))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out gqlResponse
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode %q: %v", w.Body, err)
	}
	return w.Code, out
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// apq is the extensions member of an automatic persisted query request.
func apq(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{APQCacheSize: 10})
	const q = `{ viewer { user { email } } }`
	hash := sha256Hex(q)
	steps := []struct {
		name     string
		body     map[string]any
		wantCode string // "" for success
		wantMsg  string
	}{
		{"an unknown hash alone asks for the query", map[string]any{"extensions": apq(hash)}, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"},
		{"the hash with its query runs and is remembered", map[string]any{"query": q, "extensions": apq(hash)}, "", ""},
		{"then the hash alone runs", map[string]any{"extensions": apq(hash)}, "", ""},
		{"a hash that is not the query's is refused", map[string]any{"query": `{ viewer { privileges } }`, "extensions": apq(hash)}, "GRAPHQL_VALIDATION_FAILED", "provided APQ hash does not match query"},
		{"the remembered query was not replaced", map[string]any{"extensions": apq(hash)}, "", ""},
	}
	for _, s := range steps {
		status, r := post(t, h, a.viewer(), s.body)
		if s.wantCode == "" {
			if status != http.StatusOK || len(r.Errors) > 0 || !bytes.Contains(r.Data["viewer"], []byte("admin@acme.test")) {
				t.Fatalf("%s: %d %s %+v", s.name, status, r.Data, r.Errors)
			}
			continue
		}
		if got := codes(r); len(got) != 1 || got[0] != s.wantCode || r.Errors[0].Message != s.wantMsg || r.Data != nil {
			t.Fatalf("%s: %d %s %+v, want %s %q", s.name, status, r.Data, r.Errors, s.wantCode, s.wantMsg)
		}
	}

	// Turned off, the hash means nothing.
	off := graph.NewHandler(db.Client, graph.HandlerConfig{})
	post(t, off, a.viewer(), map[string]any{"query": q, "extensions": apq(hash)})
	if _, r := post(t, off, a.viewer(), map[string]any{"extensions": apq(hash)}); r.Data != nil || len(r.Errors) != 1 {
		t.Fatalf("APQ off: %s %+v", r.Data, r.Errors)
	}
}

func TestIntrospectionCanBeTurnedOff(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "Client") { fields { name } } }`,
		`query { ...F } fragment F on Query { __schema { types { name } } }`,
	} {
		on := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: true})
		if _, r := post(t, on, nil, map[string]any{"query": q}); len(r.Errors) > 0 || r.Data == nil {
			t.Errorf("introspection on: %s: %s %+v", q, r.Data, r.Errors)
		}
		off := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: false})
		for _, v := range []*viewer.Viewer{nil, a.viewer()} {
			_, r := post(t, off, v, map[string]any{"query": q})
			if got := codes(r); len(got) != 1 || got[0] != "INTROSPECTION_DISABLED" || strings.Contains(string(r.Data["__schema"])+string(r.Data["__type"]), "{") {
				t.Errorf("introspection off, viewer %v: %s: %s %+v", v != nil, q, r.Data, r.Errors)
			}
		}
	}
	// __typename is not introspection of the schema, and stays available.
	off := graph.NewHandler(db.Client, graph.HandlerConfig{})
	if _, r := post(t, off, a.viewer(), map[string]any{"query": `{ __typename viewer { __typename } }`}); len(r.Errors) > 0 {
		t.Errorf("__typename: %s %+v", r.Data, r.Errors)
	}
}

// A resolver's unexpected error is logged, never sent: only arguments that
// fail to decode (TestBadInputGetsACode) show their cause to the client.
func TestDriverErrorsAreNotSent(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{})
	db.SQL.Close()
	_, r := post(t, h, a.viewer(), map[string]any{"query": `{ clients { totalCount } }`})
	if got := codes(r); len(got) != 1 || got[0] != "INTERNAL" || strings.Contains(r.Errors[0].Message, "sql") {
		t.Fatalf("errors = %+v, want INTERNAL without the cause", r.Errors)
	}
}

// gqlgen answers a body it cannot read before any operation exists; that
// answer must not trip the transaction extension.
func TestABodyThatIsNotJSONGetsACode(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{})
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": `))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out gqlResponse
	json.Unmarshal(w.Body.Bytes(), &out)
	if got := codes(out); w.Code != http.StatusBadRequest || len(got) != 1 || got[0] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// Validation errors name no field, argument, type or value the caller did
// not write, introspection on or off: suggestions would reveal a schema
// kept private, and computing them for every misspelt name is what made
// validation slow.
func TestValidationErrorsSuggestNoNames(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	for _, introspection := range []bool{false, true} {
		h := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: introspection})
		for _, q := range []string{
			`{ viewr { privileges } }`,
			`{ clients(firs: 1) { totalCount } }`,
			`{ clients(where: {familyNam: "x"}) { totalCount } }`,
			`{ clients(orderBy: {field: GIVEN_NAM, direction: ASC}) { totalCount } }`,
			`query($w: ClientWhereInpt) { clients(where: $w) { totalCount } }`,
			`{ viewer }`,
			`{ node(id: "x") { givenName } }`,
		} {
			_, r := post(t, h, a.viewer(), map[string]any{"query": q})
			if len(r.Errors) == 0 {
				t.Fatalf("%s: no error", q)
			}
			for _, e := range r.Errors {
				if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, "{ ... }") {
					t.Errorf("introspection %v: %s: %q", introspection, q, e.Message)
				}
			}
		}
	}
}
