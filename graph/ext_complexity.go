package graph

import (
	"context"
	"encoding/json"
	"math"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// ComplexityLimitExceeded is the extensions.code gqlgen's
// extension.ComplexityLimit gives an operation refused for its cost.
const ComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"

// defaultPageEstimate is how many rows a connection queried without first
// or last is assumed to return: entgql then returns them all.
const defaultPageEstimate = 100

// pagedComplexity makes gqlgen's complexity count rows, not fields: a field
// costs 1 plus its selection times the rows it can return, so that nested
// lists multiply.
//
//   - A Relay connection (a field taking first and last) returns the page
//     size asked for.
//   - A list edge (see listBounds) returns at most its bound, which
//     ListLimits enforces; nodes(ids:) returns one row per id asked for.
//   - Any other field returns one row: gqlgen's default, 1 plus its
//     selection.
//
// The generated schema has no complexity functions of its own
// (Config.Complexity is empty); any added later win over this estimate.
type pagedComplexity struct {
	graphql.ExecutableSchema
	lists listBounds
}

func newPagedComplexity(es graphql.ExecutableSchema) pagedComplexity {
	return pagedComplexity{ExecutableSchema: es, lists: newListBounds(es.Schema())}
}

func (p pagedComplexity) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if c, ok := p.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return c, true
	}
	if bound, ok := p.lists[fieldKey{typeName, field}]; ok {
		rows := int64(bound)
		if ids := reflect.ValueOf(args["ids"]); ids.Kind() == reflect.Slice {
			// Asked for by id: as many rows as ids (more are refused).
			rows = int64(max(ids.Len(), 1))
		}
		return times(rows, child), true
	}
	def := p.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	f := def.Fields.ForName(field)
	if f == nil || !isConnectionField(f) {
		return 0, false
	}
	rows := int64(defaultPageEstimate)
	if n, ok := pageSize(args["first"]); ok {
		rows = n
	} else if n, ok := pageSize(args["last"]); ok {
		rows = n
	}
	return times(rows, child), true
}

// times is the cost of rows rows of child each: 1 + rows×child, saturating
// rather than overflowing, as gqlgen's own sums do.
func times(rows int64, child int) int {
	if child > 0 && rows > (math.MaxInt32-1)/int64(child) {
		return math.MaxInt32
	}
	return int(1 + rows*int64(child))
}

// pageSize reads first or last as the request gave it: an int64 from a
// literal, a json.Number or int from a variable.
func pageSize(v any) (int64, bool) {
	var n int64
	switch v := v.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case json.Number:
		var err error
		if n, err = v.Int64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	// Negative sizes fail validation in the resolver; cost them as one row.
	return max(n, 1), true
}
