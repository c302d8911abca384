package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// send posts body to h behind the edge's body limit, chunked (no
// Content-Length: only the read finds an oversized body), and decodes the
// answer.
func send(t *testing.T, h http.Handler, limit int64, body string) (int, gqlResponse, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = -1
	w := httptest.NewRecorder()
	edge.LimitBody(limit)(h).ServeHTTP(w, r)
	var out gqlResponse
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode %q: %v", w.Body, err)
	}
	return w.Code, out, w.Body.String()
}

func TestAnOversizedChunkedBodyGets413(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	const q = `{ __typename }`
	for name, cfg := range map[string]graph.HandlerConfig{
		"gqlgen's transport":               {},
		"the trusted documents' transport": {TrustedDocuments: map[string]string{sha256Hex(q): q}},
	} {
		h := graph.NewHandler(db.Client, cfg)
		body := `{"query": "` + q + `"}`
		status, r, raw := send(t, h, int64(len(body)-1), body)
		if got := codes(r); status != http.StatusRequestEntityTooLarge || len(got) != 1 || got[0] != graph.RequestTooLarge || r.Data != nil {
			t.Errorf("%s: %d %s", name, status, raw)
		}
		if status, r, raw := send(t, h, int64(len(body)), body); status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("%s: at the limit: %d %s", name, status, raw)
		}
	}
}

// A body gqlgen cannot decode is answered with a fixed message: gqlgen's
// own held the decoder's error, with Go type names, and the whole body.
func TestABodyThatDoesNotDecodeIsNotEchoed(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{})
	for _, body := range []string{
		`{"query": 12345, "password": "hunter2"}`,
		`{"query": "{ __typename }", "variables": ["hunter2"]}`,
		`{"query": "hunter2`,
		`hunter2`,
	} {
		status, r, raw := send(t, h, 1<<20, body)
		if got := codes(r); status != http.StatusBadRequest || len(got) != 1 || got[0] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %d %s", body, status, raw)
		}
		for _, leak := range []string{"hunter2", "RawParams", "Go ", "map[string]", "unmarshal"} {
			if strings.Contains(raw, leak) {
				t.Errorf("%s: the answer holds %q: %s", body, leak, raw)
			}
		}
	}
}

// encoding/json would quietly replace invalid UTF-8 with U+FFFD: the
// request is refused instead, as it was not what the caller meant.
func TestABodyThatIsNotUTF8IsRefused(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{})
	body := "{\"query\": \"{ clients(where: {givenName: \\\"\xff\xfe\\\"}) { totalCount } }\"}"
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r = r.WithContext(viewer.NewContext(r.Context(), a.viewer()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out gqlResponse
	json.Unmarshal(w.Body.Bytes(), &out)
	if got := codes(out); w.Code != http.StatusBadRequest || len(got) != 1 || got[0] != "BAD_USER_INPUT" || out.Data != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
