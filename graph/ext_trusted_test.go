package graph_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestTrustedDocuments(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	const (
		me     = `query Me { viewer { user { email } } }`
		client = `query Client($id: ID!) { node(id: $id) { id ... on Client { givenName } } }`
		other  = `query Other { viewer { privileges } }`
	)
	// APQ is configured too, and must not open a way around the list.
	h := graph.NewHandler(db.Client, graph.HandlerConfig{
		Introspection:    true,
		APQCacheSize:     10,
		TrustedDocuments: map[string]string{sha256Hex(me): me, sha256Hex(client): client},
	})
	vars := map[string]any{"id": a.clients[0].ID}
	allowed := []struct {
		name string
		body map[string]any
	}{
		{"the full text of a trusted document", map[string]any{"query": me}},
		{"its hash in the APQ shape", map[string]any{"extensions": apq(sha256Hex(me))}},
		{"its hash with its text in the APQ shape", map[string]any{"query": me, "extensions": apq(sha256Hex(me))}},
		{"a documentId with the sha256: prefix", map[string]any{"documentId": "sha256:" + sha256Hex(me)}},
		{"a bare documentId in upper case", map[string]any{"documentId": strings.ToUpper(sha256Hex(me))}},
		{"a documentId with variables and an operation name", map[string]any{"documentId": sha256Hex(client), "operationName": "Client", "variables": vars}},
	}
	for _, tt := range allowed {
		status, r := post(t, h, a.viewer(), tt.body)
		if status != http.StatusOK || len(r.Errors) > 0 || (!bytes.Contains(r.Data["viewer"], []byte("admin@acme.test")) && !bytes.Contains(r.Data["node"], []byte("Ada"))) {
			t.Errorf("%s: %d %s %+v", tt.name, status, r.Data, r.Errors)
		}
	}
	refused := []struct {
		name string
		body map[string]any
	}{
		{"a query not on the list", map[string]any{"query": other}},
		{"a trusted document reformatted", map[string]any{"query": strings.ReplaceAll(me, " ", "  ")}},
		{"an unknown hash", map[string]any{"extensions": apq(sha256Hex(other))}},
		{"an unknown query registered as an APQ", map[string]any{"query": other, "extensions": apq(sha256Hex(other))}},
		{"a trusted hash smuggling another query", map[string]any{"query": other, "extensions": apq(sha256Hex(me))}},
		{"a trusted documentId smuggling another query", map[string]any{"query": other, "documentId": sha256Hex(me)}},
		{"an unknown documentId", map[string]any{"documentId": "sha256:" + sha256Hex(other)}},
		{"introspection, though turned on", map[string]any{"query": `{ __schema { types { name } } }`}},
		{"a mutation", map[string]any{"query": `mutation { __typename }`}},
		{"no query at all", map[string]any{}},
		{"a query that does not even parse, before parsing", map[string]any{"query": `{ viewer {`}},
	}
	for _, tt := range refused {
		status, r := post(t, h, a.viewer(), tt.body)
		if got := codes(r); status != http.StatusOK || len(got) != 1 || got[0] != graph.PersistedQueryNotAllowed || r.Data != nil {
			t.Errorf("%s: %d %s %+v, want %s", tt.name, status, r.Data, r.Errors, graph.PersistedQueryNotAllowed)
		}
	}
}

func TestTrustedDocumentsRejectABadList(t *testing.T) {
	const q = `{ viewer { privileges } }`
	for name, docs := range map[string]map[string]string{
		"an empty list":            {},
		"a hash of another text":   {sha256Hex("{ x }"): q},
		"a hash in upper case":     {strings.ToUpper(sha256Hex(q)): q},
		"a name instead of a hash": {"Viewer": q},
	} {
		if err := (graph.TrustedDocuments{Documents: docs}).Validate(nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (graph.TrustedDocuments{Documents: map[string]string{sha256Hex(q): q}}).Validate(nil); err != nil {
		t.Errorf("a good list: %v", err)
	}
}

// The transport reads the body before gqlgen's POST transport does; a body
// over the size limit must still fail there, as without trusted documents.
func TestTrustedDocumentsTransportKeepsTheBodyLimit(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	const q = `{ viewer { privileges } }`
	h := graph.NewHandler(db.Client, graph.HandlerConfig{TrustedDocuments: map[string]string{sha256Hex(q): q}})
	for _, limit := range []int64{1 << 10, 10} {
		body := `{"documentId": "` + sha256Hex(q) + `"}`
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.ContentLength = -1 // as for a chunked body, which only MaxBytesReader catches
		r = r.WithContext(viewer.NewContext(r.Context(), a.viewer()))
		w := httptest.NewRecorder()
		edge.LimitBody(limit)(h).ServeHTTP(w, r)
		ran := strings.Contains(w.Body.String(), `"privileges"`)
		if ran != (limit > 10) {
			t.Errorf("limit %d: %d %s", limit, w.Code, w.Body)
		}
	}
}
