//go:build ignore

// entc generates the ent client, its GraphQL schema (graph/ent.graphql) and
// the gqlgen glue from the schemas in ent/schema.
package main

import (
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("graph/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(renameType("Patient", "Client"), scopeRelationFilters, describeGenerated),
	)
	if err != nil {
		log.Fatalf("entgql extension: %v", err)
	}
	templates := append(entgql.AllTemplates,
		gen.MustParse(gen.NewTemplate("pulid").ParseFiles("ent/template/pulid.tmpl")),
		gen.MustParse(gen.NewTemplate("dialect").ParseFiles("ent/template/dialect.tmpl")))
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:    "./ent",
		Package:   "github.com/clinicgate/clinicgate/ent",
		Templates: templates,
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureVersionedMigration,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("ent codegen: %v", err)
	}
}

// renameType renames an ent type in the GraphQL schema. The domain calls a
// patient a client, but ent reserves the Go name Client for its database
// client, and entgql.Type("Client") would generate a Go alias that clashes
// with it. So the ent type is Patient, and this hook renames Patient and its
// Relay types (PatientConnection, PatientWhereInput, ...) to Client... in the
// GraphQL schema only, binding each to its Go type with @goModel. The ent
// schema also declares entgql.Implements(to), which puts the GraphQL name
// into the generated implementors list so that fragments "... on Client"
// are collected; the hook removes that pseudo-interface again.
func renameType(from, to string) entgql.SchemaHook {
	const pkg = "github.com/clinicgate/clinicgate/ent"
	rename := func(name string) string {
		if strings.HasPrefix(name, from) {
			return to + strings.TrimPrefix(name, from)
		}
		return name
	}
	var renameRef func(t *ast.Type)
	renameRef = func(t *ast.Type) {
		if t == nil {
			return
		}
		t.NamedType = rename(t.NamedType)
		renameRef(t.Elem)
	}
	return func(_ *gen.Graph, s *ast.Schema) error {
		for name, def := range s.Types {
			newName := rename(name)
			if newName != name {
				delete(s.Types, name)
				def.Name = newName
				if def.Directives.ForName("goModel") == nil {
					def.Directives = append(def.Directives, &ast.Directive{
						Name: "goModel",
						Arguments: ast.ArgumentList{{
							Name:  "model",
							Value: &ast.Value{Kind: ast.StringValue, Raw: pkg + "." + name},
						}},
					})
				}
				s.Types[newName] = def
			}
			ifaces := def.Interfaces[:0]
			for _, i := range def.Interfaces {
				if i != to {
					ifaces = append(ifaces, i)
				}
			}
			def.Interfaces = ifaces
			for _, f := range def.Fields {
				renameRef(f.Type)
				for _, a := range f.Arguments {
					renameRef(a.Type)
				}
			}
		}
		return nil
	}
}

// scopeRelationFilters puts @scopedRelations on every where input that
// filters by relations (has<Edge>, has<Edge>With). The directive (graph,
// internal/authz.RowScope) confines each relation's subquery to the related
// rows the viewer may read: ent's privacy rules filter the rows a query
// returns, not the rows a predicate's subquery matches, so without it a
// viewer could filter clients by break-glass reasons, invoices or staff
// profiles they cannot see. Marking the input type rather than each field
// covers every edge, including those added later.
func scopeRelationFilters(_ *gen.Graph, s *ast.Schema) error {
	const name = "scopedRelations"
	s.Directives[name] = &ast.DirectiveDefinition{
		Name: name,
		Description: "The relation filters of this input (has<Edge>, has<Edge>With) match only " +
			"related rows the viewer may read, as if the others did not exist.",
		Locations: []ast.DirectiveLocation{ast.LocationInputObject},
	}
	for _, def := range s.Types {
		if def.Kind != ast.InputObject || !strings.HasSuffix(def.Name, "WhereInput") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "has") {
				def.Directives = append(def.Directives, &ast.Directive{Name: name})
				break
			}
		}
	}
	return nil
}
