package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The extensions.code values of documents DocumentLimits refuses.
const (
	// QueryTooLarge: the document is longer than MaxBytes.
	QueryTooLarge = "QUERY_TOO_LARGE"
	// TokenLimitExceeded: the document has more than MaxTokens tokens.
	TokenLimitExceeded = "TOKEN_LIMIT_EXCEEDED"
	// FieldLimitExceeded: too many fields, aliases or repeated response names.
	FieldLimitExceeded = "FIELD_LIMIT_EXCEEDED"
	// FragmentLimitExceeded: too many fragment definitions.
	FragmentLimitExceeded = "FRAGMENT_LIMIT_EXCEEDED"
)

// DocumentLimit bounds one GraphQL document. Each limit is there because
// something before the depth and complexity limits costs more than the
// document's length: gqlparser's validation compares fields that share a
// response name pair by pair, walks every fragment once from each operation
// and again on its own, and compares the fragments spread together pair by
// pair; gqlgen's complexity count expands every fragment spread anew.
type DocumentLimit struct {
	// MaxBytes bounds the document's length, checked before anything reads it.
	MaxBytes int
	// MaxTokens bounds its tokens (punctuators, names and values; comments
	// do not count), counted by a lexer pass before parsing, as graphql-js's
	// maxTokens option does.
	MaxTokens int
	// MaxFields bounds the selections as validation and execution walk
	// them: every field, fragment spread and inline fragment counts one, in
	// each operation and in each fragment definition, and a fragment spread
	// counts again everything the fragment selects.
	MaxFields int
	// MaxAliases bounds the fields given a response name of their own.
	MaxAliases int
	// MaxRepeatedNames bounds the fields whose response name is already
	// selected at the same level of the response (through any fragment),
	// counted in each operation and fragment definition: validation
	// compares each such field with every other of the same name.
	MaxRepeatedNames int
	// MaxFragments bounds the fragment definitions.
	MaxFragments int
}

// DefaultDocumentLimit is what a signed-in caller may send: room for a
// frontend's largest page, far below what takes validation 50 ms (see
// BenchmarkWorstAcceptedDocument).
func DefaultDocumentLimit() DocumentLimit {
	return DocumentLimit{
		MaxBytes:         64 << 10,
		MaxTokens:        10_000,
		MaxFields:        2_000,
		MaxAliases:       200,
		MaxRepeatedNames: 200,
		MaxFragments:     100,
	}
}

// AnonymousDocumentLimit is what a caller who may not read data sends:
// without a viewer the guard refuses every root field but introspection,
// so GraphiQL's introspection query (about 1.5 KB, 3 fragments) is the
// largest document such a caller needs.
func AnonymousDocumentLimit() DocumentLimit {
	return DocumentLimit{
		MaxBytes:         4 << 10,
		MaxTokens:        1_000,
		MaxFields:        500,
		MaxAliases:       10,
		MaxRepeatedNames: 10,
		MaxFragments:     10,
	}
}

// orDefaults fills l's zero limits from d.
func (l DocumentLimit) orDefaults(d DocumentLimit) DocumentLimit {
	pick := func(v, dv int) int {
		if v == 0 {
			return dv
		}
		return v
	}
	return DocumentLimit{
		MaxBytes:         pick(l.MaxBytes, d.MaxBytes),
		MaxTokens:        pick(l.MaxTokens, d.MaxTokens),
		MaxFields:        pick(l.MaxFields, d.MaxFields),
		MaxAliases:       pick(l.MaxAliases, d.MaxAliases),
		MaxRepeatedNames: pick(l.MaxRepeatedNames, d.MaxRepeatedNames),
		MaxFragments:     pick(l.MaxFragments, d.MaxFragments),
	}
}

// atMost returns l with no limit above m's, so that lowering a signed-in
// limit lowers the anonymous one with it.
func (l DocumentLimit) atMost(m DocumentLimit) DocumentLimit {
	return DocumentLimit{
		MaxBytes:         min(l.MaxBytes, m.MaxBytes),
		MaxTokens:        min(l.MaxTokens, m.MaxTokens),
		MaxFields:        min(l.MaxFields, m.MaxFields),
		MaxAliases:       min(l.MaxAliases, m.MaxAliases),
		MaxRepeatedNames: min(l.MaxRepeatedNames, m.MaxRepeatedNames),
		MaxFragments:     min(l.MaxFragments, m.MaxFragments),
	}
}

func (l DocumentLimit) validate() error {
	if l.MaxBytes < 1 || l.MaxTokens < 1 || l.MaxFields < 1 || l.MaxAliases < 0 || l.MaxRepeatedNames < 0 || l.MaxFragments < 0 {
		return fmt.Errorf("DocumentLimit %+v: sizes must be at least 1, counts at least 0", l)
	}
	return nil
}

// DocumentLimits refuses documents over their DocumentLimit before gqlgen
// parses and validates them, and so before the session check, which
// happens only once fields resolve: callers who may not read data (see
// Viewer.Active) get the Anonymous limit, the others Viewer. Length and tokens
// are counted without parsing; the rest on a parse of the document's
// own. A document the viewer's query cache holds (Cache) passed them all
// before, and is neither lexed nor parsed again.
//
// It must run after the extensions that supply the query text (automatic
// persisted queries, trusted documents), so that a document named by its
// hash is measured too.
type DocumentLimits struct {
	Viewer    DocumentLimit
	Anonymous DocumentLimit
	// Inputs bounds the values written in the document (see InputLimit),
	// checked on the same parse: validation is quadratic in how deep input
	// objects nest.
	Inputs InputLimit
	// Cache, when set, is gqlgen's query cache: a document it holds for
	// this viewer passed these limits already.
	Cache *QueryCache
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = DocumentLimits{}

func (DocumentLimits) ExtensionName() string { return "DocumentLimits" }

func (d DocumentLimits) Validate(graphql.ExecutableSchema) error {
	return errors.Join(d.Viewer.validate(), d.Anonymous.validate(), d.Inputs.validate())
}

func (d DocumentLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	lim, who := d.Viewer, ""
	if !viewer.FromContext(ctx).Active() {
		lim, who = d.Anonymous, " for a caller who is not signed in"
	}
	return d.check(ctx, p.Query, lim, who)
}

// check applies lim to query; who ends the messages.
func (d DocumentLimits) check(ctx context.Context, query string, lim DocumentLimit, who string) *gqlerror.Error {
	if len(query) > lim.MaxBytes {
		return docRefused(nil, QueryTooLarge, "the document is %d bytes long, over the limit of %d%s", len(query), lim.MaxBytes, who)
	}
	if d.Cache != nil && d.Cache.holds(ctx, query) {
		return nil
	}
	if !fewTokens(query, lim.MaxTokens) {
		return docRefused(nil, TokenLimitExceeded, "the document has more than %d tokens, the most allowed%s", lim.MaxTokens, who)
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil // gqlgen parses it again and reports the error where it is
	}
	if err := measure(doc, lim, who); err != nil {
		return err
	}
	return d.Inputs.checkLiterals(doc)
}

// docRefused returns the refusal, located at pos when there is one.
func docRefused(pos *ast.Position, code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	if pos != nil {
		err = gqlerror.ErrorPosf(pos, format, args...)
	}
	errcode.Set(err, code)
	return err
}

// fewTokens reports whether query has at most limit tokens. It stops at
// the first token over the limit, and at a lexical error, which the parser
// then reports.
func fewTokens(query string, limit int) bool {
	lx := lexer.New(&ast.Source{Input: query})
	for n := 0; ; {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return true
		}
		if tok.Kind == lexer.Comment {
			continue
		}
		if n++; n > limit {
			return false
		}
	}
}

// measure checks a parsed document's shape against lim. Every count is
// linear in the document's length: fragments are expanded through a memo,
// and the repeated-name walk runs only once the expanded count is known
// to be within MaxFields, which bounds it.
func measure(doc *ast.QueryDocument, lim DocumentLimit, who string) *gqlerror.Error {
	if n := len(doc.Fragments); n > lim.MaxFragments {
		return docRefused(doc.Fragments[lim.MaxFragments].Position, FragmentLimitExceeded,
			"the document defines %d fragments, over the limit of %d%s", n, lim.MaxFragments, who)
	}
	s := shape{fragments: map[string]*ast.FragmentDefinition{}, expanded: map[string]int{}, cap: lim.MaxFields + 1}
	for _, f := range doc.Fragments {
		if _, dup := s.fragments[f.Name]; !dup { // as gqlparser: the first of duplicate names
			s.fragments[f.Name] = f
		}
	}
	var sets []ast.SelectionSet
	for _, op := range doc.Operations {
		sets = append(sets, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		sets = append(sets, f.SelectionSet)
	}

	aliases := 0
	var firstOver *ast.Position
	for _, set := range sets {
		s.eachField(set, func(f *ast.Field) {
			if f.Alias != f.Name {
				if aliases++; aliases == lim.MaxAliases+1 {
					firstOver = f.Position
				}
			}
		})
	}
	if aliases > lim.MaxAliases {
		return docRefused(firstOver, FieldLimitExceeded, "the document has %d aliases, over the limit of %d%s", aliases, lim.MaxAliases, who)
	}

	fields := 0
	for _, set := range sets {
		fields = s.add(fields, s.count(set))
	}
	if fields > lim.MaxFields {
		return docRefused(nil, FieldLimitExceeded,
			"the document selects more than %d fields, the most allowed%s (a fragment counts wherever it is spread)", lim.MaxFields, who)
	}

	r := repeats{shape: &s, max: lim.MaxRepeatedNames, budget: lim.MaxFields + 1}
	for _, set := range sets {
		if r.level([]ast.SelectionSet{set}) {
			return docRefused(r.at.Position, FieldLimitExceeded,
				"the document repeats response names more than %d times, the most allowed%s (%q is selected more than once at one level; validation compares each repeat with the others)",
				lim.MaxRepeatedNames, who, r.at.Alias)
		}
	}
	return nil
}

// shape measures a document before validation, so nothing in it may be
// assumed valid: fragments may be unknown, duplicated or cyclic.
type shape struct {
	fragments map[string]*ast.FragmentDefinition
	expanded  map[string]int // a fragment's count; -1 while it is being counted
	cap       int            // counts saturate here
}

func (s *shape) add(a, b int) int { return min(a+b, s.cap) }

// count returns the selections in set with every fragment spread expanded,
// as gqlgen's complexity walk visits them. Each fragment is counted once;
// a cycle counts as nothing more (validation refuses it).
func (s *shape) count(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		n = s.add(n, 1)
		switch sel := sel.(type) {
		case *ast.Field:
			n = s.add(n, s.count(sel.SelectionSet))
		case *ast.InlineFragment:
			n = s.add(n, s.count(sel.SelectionSet))
		case *ast.FragmentSpread:
			n = s.add(n, s.fragment(sel.Name))
		}
	}
	return n
}

func (s *shape) fragment(name string) int {
	if n, ok := s.expanded[name]; ok {
		return max(n, 0)
	}
	def := s.fragments[name]
	if def == nil {
		return 0
	}
	s.expanded[name] = -1
	n := s.count(def.SelectionSet)
	s.expanded[name] = n
	return n
}

// eachField calls f for every field written in set, not following spreads.
func (s *shape) eachField(set ast.SelectionSet, f func(*ast.Field)) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			f(sel)
			s.eachField(sel.SelectionSet, f)
		case *ast.InlineFragment:
			s.eachField(sel.SelectionSet, f)
		}
	}
}

// repeats counts fields whose response name is already selected at their
// level of the response: the fields gqlgen would merge into one, and that
// validation compares pairwise. A level is what gqlgen's CollectFields
// gathers: the selections of every same-named field above, through inline
// fragments and each fragment spread once.
type repeats struct {
	*shape
	max    int
	n      int
	at     *ast.Field // the first field over max
	budget int        // selections left to visit; only a cycle exhausts it
}

// level counts the repeats at the level made of sets and below it, and
// reports whether they went over max.
func (r *repeats) level(sets []ast.SelectionSet) bool {
	var names []string
	byName := map[string][]*ast.Field{}
	spread := map[string]bool{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if r.budget--; r.budget < 0 {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				fs, seen := byName[sel.Alias]
				if !seen {
					names = append(names, sel.Alias)
				} else if r.n++; r.n > r.max && r.at == nil {
					r.at = sel
				}
				byName[sel.Alias] = append(fs, sel)
			case *ast.InlineFragment:
				collect(sel.SelectionSet)
			case *ast.FragmentSpread:
				if def := r.fragments[sel.Name]; def != nil && !spread[sel.Name] {
					spread[sel.Name] = true
					collect(def.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	if r.at != nil {
		return true
	}
	for _, name := range names {
		var below []ast.SelectionSet
		for _, f := range byName[name] {
			if len(f.SelectionSet) > 0 {
				below = append(below, f.SelectionSet)
			}
		}
		if r.budget < 0 {
			// Only a fragment cycle gets here (an acyclic document visits
			// at most its expanded count); validation refuses it.
			return false
		}
		if len(below) > 0 && r.level(below) {
			return true
		}
	}
	return false
}
