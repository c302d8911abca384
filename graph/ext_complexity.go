package graph

import (
	"context"
	"encoding/json"
	"math"

	"github.com/99designs/gqlgen/graphql"
)

// ComplexityLimitExceeded is the extensions.code gqlgen's
// extension.ComplexityLimit gives an operation refused for its cost.
const ComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"

// defaultPageEstimate is how many rows a connection queried without first
// or last is assumed to return: entgql then returns them all.
const defaultPageEstimate = 100

// pagedComplexity makes gqlgen's complexity count rows, not fields: a
// Relay connection (a field taking first and last) costs 1 plus its
// selection times the page size asked for, so nested connections multiply.
// Other fields keep gqlgen's default, 1 plus their selection. The generated
// schema has no complexity functions of its own (Config.Complexity is
// empty); any added later win over this estimate.
type pagedComplexity struct {
	graphql.ExecutableSchema
}

func (p pagedComplexity) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if c, ok := p.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return c, true
	}
	def := p.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	f := def.Fields.ForName(field)
	if f == nil || f.Arguments.ForName("first") == nil || f.Arguments.ForName("last") == nil {
		return 0, false
	}
	rows := int64(defaultPageEstimate)
	if n, ok := pageSize(args["first"]); ok {
		rows = n
	} else if n, ok := pageSize(args["last"]); ok {
		rows = n
	}
	// Saturate rather than overflow, as gqlgen's own sums do.
	if child > 0 && rows > (math.MaxInt32-1)/int64(child) {
		return math.MaxInt32, true
	}
	return int(1 + rows*int64(child)), true
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
