package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// TimeMixin records when a row was created and last changed.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Comment("When the record was created.").
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").
			Comment("When the record was last changed.").
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// TenantMixin ties a row to its organization. The column is immutable: rows
// never move between tenants, and the privacy layer filters every query and
// mutation by the viewer's organization through it.
type TenantMixin struct {
	mixin.Schema
	// record marks a type whose id columns record what happened (audit
	// events) rather than reference rows: they are not checked to stay in
	// the organization, and its organization_id is not a foreign key.
	record bool
}

func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").GoType(pulid.ID("")).Immutable().NotEmpty().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (m TenantMixin) Edges() []ent.Edge {
	if m.record {
		// A record's organization is a plain column, like its actor and
		// target (the trail outlives what it mentions; the tenant filter
		// needs only the column). As a foreign key it cost every inserted
		// event a lookup of the organization row and a FOR KEY SHARE lock
		// on it, which concurrent requests of one organization turn into
		// shared multixacts: a third of the insert of a page's fifty read
		// events.
		return nil
	}
	return []ent.Edge{
		edge.To("organization", Organization.Type).
			Field("organization_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (m TenantMixin) Indexes() []ent.Index {
	if m.record {
		// A record type's own indexes start with organization_id
		// (TestEveryTenantTableHasAnIndexLedByItsOrganization in
		// ent/migrate holds it), and records are written far more than
		// read (fifty read events for a page of clients): this index
		// would be one more entry on every insert that no query needs.
		return nil
	}
	return []ent.Index{index.Fields("organization_id")}
}

// hidden keeps an auth or bookkeeping type out of the GraphQL schema.
func hidden() entgql.Annotation { return entgql.Skip(entgql.SkipAll) }

// accessDirective puts a field rule of internal/authz on a GraphQL field:
// a viewer it refuses gets null and a FORBIDDEN error. Only for nullable
// fields.
func accessDirective(rule string) entgql.Directive {
	return entgql.NewDirective("access", &ast.Argument{
		Name: "rule", Value: &ast.Value{Raw: rule, Kind: ast.EnumValue},
	})
}

// recordRead audits every read of a field of a client record, as the
// record kind named.
func recordRead(record string) entschema.Annotation { return entgql.Directives(auditDirective(record)) }

// auditDirective records a read of a client record field in the request's
// audit batch.
func auditDirective(record string) entgql.Directive {
	return entgql.NewDirective("audit", &ast.Argument{
		Name: "record", Value: &ast.Value{Raw: record, Kind: ast.EnumValue},
	})
}
