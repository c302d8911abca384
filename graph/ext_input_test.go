package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// nested is a where filter of n nots around a predicate, as JSON.
func nestedNots(n int) map[string]any {
	w := map[string]any{"givenName": "Ada"}
	for range n {
		w = map[string]any{"not": w}
	}
	return w
}

// nestedNotsLiteral is the same filter written in the document.
func nestedNotsLiteral(n int) string {
	return strings.Repeat("{not: ", n) + `{givenName: "Ada"}` + strings.Repeat("}", n)
}

func ors(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"givenName": fmt.Sprint(i)}
	}
	return out
}

func names(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprint("n", i)
	}
	return out
}

func quoted(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `"n%d" `, i)
	}
	return b.String()
}

// Oversized and malformed inputs are refused with BAD_USER_INPUT before
// anything runs, naming the variable or argument; the same inputs at their
// limits run.
func TestInputLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		h := graph.NewHandler(db.Client, graph.HandlerConfig{})
		const byVariable = `query($w: ClientWhereInput) { clients(where: $w) { totalCount } }`
		lim := graph.DefaultInputLimit()
		tests := []struct {
			name    string
			query   string
			where   map[string]any // the $w variable, when set
			field   string         // "": runs
			message string
		}{
			{"120,000 In values in a variable", byVariable, map[string]any{"familyNameIn": names(120_000)}, "w", "a list has 120000 items, over the limit of 1000"},
			{"30,000 ors in a variable", byVariable, map[string]any{"or": ors(30_000)}, "w", "a list has 30000 items"},
			{"200 ors in a variable (201 objects with the where)", byVariable, map[string]any{"or": ors(lim.MaxObjects)}, "w", "more than 200 input objects"},
			{"nots nested 200 deep in a variable", byVariable, nestedNots(200), "w", "nest deeper than 12 levels"},
			{"a NUL in a variable", byVariable, map[string]any{"givenName": "Ada\x00"}, "w", "a string holds a NUL character"},
			{"a NUL in an input object's key", byVariable, map[string]any{"givenName\x00": "Ada"}, "w", "NUL"},
			{"1,001 In values in the document", fmt.Sprintf(`{ clients(where: {familyNameIn: [%s]}) { totalCount } }`, quoted(1001)), nil, "where", "a list has 1001 items"},
			{"201 ors in the document", `{ clients(where: {or: [` + strings.Repeat(`{givenName: "x"} `, lim.MaxObjects) + `]}) { totalCount } }`, nil, "where", "more than 200 input objects"},
			{"12 nots in the document (13 levels with the where)", `{ clients(where: ` + nestedNotsLiteral(12) + `) { totalCount } }`, nil, "where", "nest deeper than 12 levels"},
			{"a NUL in the document", `{ clients(where: {givenName: "Ada\u0000"}) { totalCount } }`, nil, "where", "a string holds a NUL character"},
			{"a NUL in a variable's default", `query($w: ClientWhereInput = {givenName: "\u0000"}) { clients(where: $w) { totalCount } }`, nil, "w", "NUL"},
			{"a NUL in a mutation's input", `mutation { openEmergencyAccess(input: {clientId: "x", reason: "\u0000 ten characters"}) { id } }`, nil, "input", "NUL"},
			{"1,000 In values run", byVariable, map[string]any{"familyNameIn": names(lim.MaxListLength)}, "", ""},
			{"199 ors run (200 objects with the where)", byVariable, map[string]any{"or": ors(lim.MaxObjects - 1)}, "", ""},
			{"11 nots in a variable run (12 levels)", byVariable, nestedNots(lim.MaxDepth - 1), "", ""},
			{"and in the document", `{ clients(where: ` + nestedNotsLiteral(lim.MaxDepth-1) + `) { totalCount } }`, nil, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := map[string]any{"query": tt.query}
				if tt.where != nil {
					body["variables"] = map[string]any{"w": tt.where}
				}
				_, r := post(t, h, a.viewer(), body)
				if tt.field == "" {
					if len(r.Errors) > 0 {
						t.Fatalf("refused: %+v", r.Errors)
					}
					return
				}
				if got := codes(r); len(got) != 1 || got[0] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tt.field ||
					!strings.Contains(r.Errors[0].Message, tt.message) || r.Data != nil {
					t.Fatalf("%s %+v, want BAD_USER_INPUT on %s with %q", r.Data, r.Errors, tt.field, tt.message)
				}
			})
		}
	})
}

func TestInputLimitsRejectLimitsBelowOne(t *testing.T) {
	if err := (graph.InputLimits{Limit: graph.DefaultInputLimit()}).Validate(nil); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	l := graph.DefaultInputLimit()
	l.MaxValues = 0
	if err := (graph.InputLimits{Limit: l}).Validate(nil); err == nil {
		t.Error("MaxValues 0 accepted")
	}
}
