package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// aliasBomb is the document of the security report: 3,000 copies of one
// aliased field (69 KB), which took validation 21 s, anonymously.
func aliasBomb() string { return "{ " + strings.Repeat("a:viewer{user{id}} ", 3000) + "}" }

// manyFragments is n fragments spread at one level, each selecting sel.
func manyFragments(n int, sel string) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "...F%d ", i)
	}
	b.WriteString("}\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", i, sel)
	}
	return b.String()
}

// doubling is n fragments each spreading the next twice: 2^n selections
// once expanded, as gqlgen's complexity walk expands them.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: __typename ", i)
	}
	b.WriteString("}")
	return b.String()
}

func TestDocumentLimitsRefuseHostileDocumentsBeforeValidation(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	h := graph.NewHandler(db.Client, graph.HandlerConfig{Introspection: true})
	def := graph.DefaultDocumentLimit()
	mustChange := a.viewer()
	mustChange.State = viewer.StatePasswordChangeRequired
	// 5 KB of a valid document: over the anonymous length limit only.
	mid := "{ viewer { privileges } }" + "\n#" + strings.Repeat("x", 5<<10)
	pages := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&b, "c%d: clients(first: 1) { totalCount edges { cursor node { id givenName familyName createdAt updatedAt } } pageInfo { hasNextPage endCursor } } ", i)
		}
		return b.String() + "}"
	}
	tests := []struct {
		name      string
		anonymous bool
		query     string
		code      string // "" when it passes every document limit
		message   string // part of the message
	}{
		{"the reported 3,000-alias document is refused anonymously for its length", true, aliasBomb(), graph.QueryTooLarge, "for a caller who is not signed in"},
		{"and signed in for its tokens", false, aliasBomb(), graph.TokenLimitExceeded, "more than 10000 tokens"},
		{"a document over the length limit is refused", false, "{ __typename }\n#" + strings.Repeat("x", def.MaxBytes), graph.QueryTooLarge, "over the limit of 65536"},
		// Unclosed, so that parsing it would report a syntax error instead.
		{"a document over the token limit is refused before it is parsed", false, "{ " + strings.Repeat("a ", def.MaxTokens), graph.TokenLimitExceeded, ""},
		{"comments are not tokens", false, "{ viewer { privileges } }\n" + strings.Repeat("# comment\n", 5000), "", ""},
		{"a document selecting over 2,000 fields is refused", false, pages(160), graph.FieldLimitExceeded, "more than 2000 fields"},
		{"fragments count wherever they are spread", false, doubling(30), graph.FieldLimitExceeded, "a fragment counts wherever it is spread"},
		{"a document with over 200 aliases is refused", false, aliases(201), graph.FieldLimitExceeded, "201 aliases"},
		{"a response name repeated over 200 times at one level is refused", false, "{ " + strings.Repeat("__typename ", 202) + "}", graph.FieldLimitExceeded, `repeats response names more than 200 times`},
		{"repeats through fragments and below them count", false, manyFragments(100, "__typename viewer { privileges }"), graph.FieldLimitExceeded, `"privileges" is selected more than once`},
		{"a document defining over 100 fragments is refused", false, manyFragments(101, "__typename"), graph.FragmentLimitExceeded, "101 fragments"},
		{"a signed-in user may send 5 KB", false, mid, "", ""},
		{"an anonymous caller may not", true, mid, graph.QueryTooLarge, "over the limit of 4096 for a caller who is not signed in"},
		{"GraphiQL's introspection query passes anonymously", true, graphiqlIntrospection, "", ""},
		{"anonymous callers get small limits on every count", true, "{ " + strings.Repeat("__typename ", 12) + "}", graph.FieldLimitExceeded, "more than 10 times, the most allowed for a caller who is not signed in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := a.viewer()
			if tt.anonymous {
				v = nil
			}
			status, r := post(t, h, v, map[string]any{"query": tt.query})
			got := codes(r)
			if tt.code == "" {
				for _, c := range got {
					if c == graph.QueryTooLarge || c == graph.TokenLimitExceeded || c == graph.FieldLimitExceeded || c == graph.FragmentLimitExceeded {
						t.Fatalf("refused: %+v", r.Errors)
					}
				}
				return
			}
			if status != http.StatusOK || len(got) != 1 || got[0] != tt.code || !strings.Contains(r.Errors[0].Message, tt.message) || r.Data != nil {
				t.Fatalf("%d %s %+v, want %s with %q", status, r.Data, r.Errors, tt.code, tt.message)
			}
		})
	}
	// Whoever the guard refuses gets the anonymous limits.
	if _, r := post(t, h, mustChange, map[string]any{"query": mid}); len(codes(r)) != 1 || codes(r)[0] != graph.QueryTooLarge {
		t.Errorf("a viewer who must change their password: %+v", r.Errors)
	}
}

// Each count, exactly: a document at a limit passes, one over is refused.
func TestDocumentLimitsCountAsDocumented(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	a := newTenant(t, db.Client, "acme")
	const frag = `{ ...V } fragment V on Query { viewer { privileges } }`
	tests := []struct {
		name  string
		query string
		limit func(n int) graph.DocumentLimit
		n     int
		code  string
	}{
		{"bytes", `{ viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxBytes: n} }, 25, graph.QueryTooLarge},
		{"tokens: punctuators and names", `{ viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxTokens: n} }, 6, graph.TokenLimitExceeded},
		{"tokens: not comments", "# a comment\n{ viewer { privileges } } # another", func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxTokens: n} }, 6, graph.TokenLimitExceeded},
		{"fields", `{ viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxFields: n} }, 2, graph.FieldLimitExceeded},
		// The operation: the spread and what it brings; the fragment on its own.
		{"fields through a fragment", frag, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxFields: n} }, 3 + 2, graph.FieldLimitExceeded},
		{"fields through an inline fragment", `{ ... on Query { viewer { privileges } } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxFields: n} }, 3, graph.FieldLimitExceeded},
		{"aliases", `{ a: viewer { privileges } b: viewer { p: privileges } viewer: viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxAliases: n} }, 3, graph.FieldLimitExceeded},
		// a twice at the top, and so privileges twice below it.
		{"repeated names", `{ a: viewer { privileges } a: viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxRepeatedNames: n} }, 2, graph.FieldLimitExceeded},
		// In the operation, and in the fragment on its own.
		{"repeated names through a fragment", `{ viewer { privileges } ...V } fragment V on Query { viewer { privileges } }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxRepeatedNames: n} }, 2, graph.FieldLimitExceeded},
		{"fragments", `{ ...V ...W } fragment V on Query { viewer { privileges } } fragment W on Query { __typename }`, func(n int) graph.DocumentLimit { return graph.DocumentLimit{MaxFragments: n} }, 2, graph.FragmentLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{tt.n, tt.n - 1} {
				lim := tt.limit(n)
				if n == 0 {
					// Zero takes the default: the smallest limit below 1 is none at all.
					continue
				}
				h := graph.NewHandler(db.Client, graph.HandlerConfig{Documents: lim})
				_, r := post(t, h, a.viewer(), map[string]any{"query": tt.query})
				refused := len(r.Errors) == 1 && codes(r)[0] == tt.code
				if refused != (n < tt.n) || (!refused && len(r.Errors) > 0) {
					t.Errorf("limit %d: %s %+v", n, r.Data, r.Errors)
				}
			}
		})
	}
}

func TestDocumentLimitsRejectLimitsBelowOne(t *testing.T) {
	good := graph.DocumentLimits{Viewer: graph.DefaultDocumentLimit(), Anonymous: graph.AnonymousDocumentLimit(), Inputs: graph.DefaultInputLimit()}
	if err := good.Validate(nil); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for name, mutate := range map[string]func(*graph.DocumentLimits){
		"bytes":  func(d *graph.DocumentLimits) { d.Viewer.MaxBytes = 0 },
		"tokens": func(d *graph.DocumentLimits) { d.Anonymous.MaxTokens = -1 },
		"fields": func(d *graph.DocumentLimits) { d.Viewer.MaxFields = 0 },
		"inputs": func(d *graph.DocumentLimits) { d.Inputs.MaxDepth = 0 },
	} {
		d := good
		mutate(&d)
		if err := d.Validate(nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
