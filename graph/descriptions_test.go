package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clinicgate/clinicgate/graph"
)

// builtinScalars and builtinDirectives come from the GraphQL prelude
// (gqlparser), not from our schema. They are checked only if the prelude
// describes them; our own scalars and directives always need a description.
var (
	builtinScalars    = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
	builtinDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true}
)

// TestEverySchemaElementIsDescribed walks the schema the server serves and
// fails, listing all of them, when a type, field, argument, input field,
// enum value or directive of ours has no description. Descriptions of the
// ent-generated parts come from ent/schema (field and edge comments,
// schema.Comment) and from the describeGenerated hook in ent/describe.go;
// the others are written in graph/*.graphql.
func TestEverySchemaElementIsDescribed(t *testing.T) {
	// The schema the server serves (graph.NewSchema is what the handler wraps).
	s := graph.NewSchema(nil).Schema()
	missing := undescribed(s)
	if len(missing) > 0 {
		t.Fatalf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

func undescribed(s *ast.Schema) []string {
	var missing []string
	need := func(desc string, format string, args ...any) {
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, fmt.Sprintf(format, args...))
		}
	}
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			need(a.Description, "%s(%s:)", owner, a.Name)
		}
	}
	for name, def := range s.Types {
		if strings.HasPrefix(name, "__") {
			continue
		}
		if def.Kind == ast.Scalar && builtinScalars[name] && def.Description == "" {
			continue
		}
		need(def.Description, "%s %s", strings.ToLower(string(def.Kind)), name)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			need(f.Description, "%s.%s", name, f.Name)
			args(name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			need(v.Description, "%s.%s", name, v.Name)
		}
	}
	for name, d := range s.Directives {
		if builtinDirectives[name] && d.Description == "" {
			continue
		}
		need(d.Description, "directive @%s", name)
		args("@"+name, d.Arguments)
	}
	sort.Strings(missing)
	return missing
}
