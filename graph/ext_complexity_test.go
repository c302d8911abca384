package graph_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestComplexityCountsRowsThroughConnections(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	// With a limit of 1 everything but a lone scalar is refused, and the
	// message tells the cost.
	h := graph.NewHandler(db.Client, graph.HandlerConfig{ComplexityLimit: 1})
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		cost  int
	}{
		{"fields cost one each", `{ viewer { privileges user { email } } }`, nil, 4},
		{"a connection multiplies by first", `{ clients(first: 10) { totalCount } }`, nil, 11},
		{"or by last", `{ clients(last: 3) { edges { node { id } } } }`, nil, 10},
		{"or by a variable", `query($n: Int) { clients(first: $n) { totalCount } }`, map[string]any{"n": 7}, 8},
		{"or assumes 100 rows without either", `{ clients { totalCount } }`, nil, 101},
		{"a list edge multiplies by its bound", `{ clients(first: 2) { edges { node { businessUnit { users { id } } } } } }`, nil, 1 + 2*(1+1+1+(1+graph.DefaultListBound*1))},
		{"a list edge with a declared bound multiplies by it", `{ viewer { roles { name } } }`, nil, 1 + (1 + 30*1)},
		{"a connection's edges are its page, not multiplied again", `{ roles(first: 3) { edges { node { name } } } }`, nil, 1 + 3*(1+1+1)},
		{"nodes multiplies by the ids it asks for", `{ nodes(ids: ["a", "b", "c"]) { id } }`, nil, 1 + 3*1},
		{"or by the ids of a variable", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{"a", "b", "c", "d"}}, 1 + 4*1},
		{"and aliases add up", `{ a: nodes(ids: ["a", "b"]) { id } b: nodes(ids: ["c", "d"]) { id } }`, nil, 2 * (1 + 2*1)},
		{"nested connections multiply", `{ clients(first: 10) { edges { node { appointments(first: 10) { totalCount } } } } }`, nil, 1 + 10*(1+1+(1+10*1))},
	}
	for _, tt := range tests {
		status, r := post(t, h, a.viewer(), map[string]any{"query": tt.query, "variables": tt.vars})
		want := fmt.Sprintf("operation has complexity %d, which exceeds the limit of 1", tt.cost)
		if got := codes(r); status != http.StatusOK || len(got) != 1 || got[0] != graph.ComplexityLimitExceeded || r.Errors[0].Message != want {
			t.Errorf("%s: %d %+v, want %q", tt.name, status, r.Errors, want)
		}
	}
}

func TestComplexityLimit(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	const expensive = `{ clients(first: 1000) { edges { node { appointments(first: 1000) { edges { node { id } } } } } } }`
	for _, tt := range []struct {
		name    string
		limit   int // 0: the default
		query   string
		refused bool
	}{
		{"a page of 50 clients with their links passes by default", 0, listClients(50), false},
		{"nested connections of 1000 are refused by default", 0, expensive, true},
		{"a saturated cost is refused too", 0, `{ clients(first: 2147483647) { edges { node { appointments(first: 2147483647) { totalCount } } } } }`, true},
		{"the limit is configurable", 600, listClients(50), true},
	} {
		h := graph.NewHandler(db.Client, graph.HandlerConfig{ComplexityLimit: tt.limit})
		_, r := post(t, h, a.viewer(), map[string]any{"query": tt.query})
		switch got := codes(r); {
		case tt.refused && (len(got) != 1 || got[0] != graph.ComplexityLimitExceeded || r.Data != nil):
			t.Errorf("%s: %s %+v, want %s", tt.name, r.Data, r.Errors, graph.ComplexityLimitExceeded)
		case !tt.refused && len(got) > 0:
			t.Errorf("%s: %+v", tt.name, r.Errors)
		}
	}
}
