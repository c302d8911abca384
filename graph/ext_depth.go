package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DepthLimitExceeded is the extensions.code of an operation refused for
// nesting too deep.
const DepthLimitExceeded = "DEPTH_LIMIT_EXCEEDED"

// DepthLimit refuses operations whose fields nest deeper than Limit, before
// anything runs. Root fields are at depth 1: { viewer { user { email } } }
// has depth 3. Fragment spreads and inline fragments add no depth of their
// own; their fields count where the fragment is used.
//
// Introspection is counted too, except __Type.ofType: GraphiQL's
// introspection query unwraps type modifiers in an ofType chain nine
// deep (depth 15 if counted, 6 as it is), and such chains end at the
// schema's own nesting of list and non-null. Every other introspection
// level counts; gqlparser's validation separately caps recursion through
// fields, interfaces, possibleTypes and inputFields at three.
type DepthLimit struct {
	Limit int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

func (DepthLimit) ExtensionName() string { return "DepthLimit" }

func (d DepthLimit) Validate(graphql.ExecutableSchema) error {
	if d.Limit < 1 {
		return errors.New("DepthLimit.Limit must be at least 1")
	}
	return nil
}

func (d DepthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	w := depthWalker{doc: opCtx.Doc, fragments: map[string]int{}}
	if depth := w.depth(opCtx.Operation.SelectionSet); depth > d.Limit {
		err := gqlerror.Errorf("operation is nested %d levels deep, which exceeds the limit of %d", depth, d.Limit)
		errcode.Set(err, DepthLimitExceeded)
		return err
	}
	return nil
}

// depthWalker measures a validated document. Each fragment is measured once
// (its depth does not depend on where it is spread), so the walk is linear
// in the document's size however often fragments are reused.
type depthWalker struct {
	doc       *ast.QueryDocument
	fragments map[string]int // measured depth; -1 while being measured
}

func (w depthWalker) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			d = w.depth(s.SelectionSet)
			if !(s.Name == "ofType" && s.ObjectDefinition != nil && s.ObjectDefinition.Name == "__Type") {
				d++
			}
		case *ast.InlineFragment:
			d = w.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w depthWalker) fragment(name string) int {
	if d, ok := w.fragments[name]; ok {
		return max(d, 0) // a cycle, which validation already refused
	}
	def := w.doc.Fragments.ForName(name)
	if def == nil {
		return 0
	}
	w.fragments[name] = -1
	d := w.depth(def.SelectionSet)
	w.fragments[name] = d
	return d
}
