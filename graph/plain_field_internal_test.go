package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// resolvePlainField skips the field interceptors for fields without
// arguments whose type is a scalar or an enum, not a list: that is safe
// only while the handler's one interceptor leaves every such field alone.
// Checked for every such field of the schema, so a new one is covered.
func TestFieldChecksLeavePlainFieldsAlone(t *testing.T) {
	es := newPagedComplexity(NewSchema(nil))
	schema := es.Schema()
	checks := fieldChecks{lists: ListLimits{bounds: es.lists}}
	plain := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			kind := schema.Types[f.Type.Name()].Kind
			if f.Type.Elem != nil || len(f.Arguments) > 0 || (kind != ast.Scalar && kind != ast.Enum) {
				continue
			}
			plain++
			fc := &graphql.FieldContext{
				Object: name,
				Field: graphql.CollectedField{Field: &ast.Field{
					Name: f.Name, Alias: f.Name, Definition: f, ObjectDefinition: def,
				}},
				Args: map[string]any{},
			}
			ctx := graphql.WithFieldContext(context.Background(), fc)
			want := struct{ v string }{"the value read"}
			calls := 0
			got, err := checks.InterceptField(ctx, func(context.Context) (any, error) {
				calls++
				return want, nil
			})
			if err != nil || got != want || calls != 1 {
				t.Errorf("%s.%s: the field checks changed a plain field (result %v, error %v, resolver called %d times)",
					name, f.Name, got, err, calls)
			}
		}
	}
	if plain < 100 {
		t.Fatalf("only %d plain fields found: is the schema loaded?", plain)
	}
}
