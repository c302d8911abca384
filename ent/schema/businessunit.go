package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// BusinessUnit is a location, department or programme.
type BusinessUnit struct{ ent.Schema }

func (BusinessUnit) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("bun"), TenantMixin{}, TimeMixin{}}
}

func (BusinessUnit) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Comment("The business unit's name, unique in the organization.").
			NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.String("address").
			Comment("The business unit's postal address; empty when not given.").
			Default("").MaxLen(1000),
		field.String("external_id").
			Comment("The identity provider's ID for the unit (SCIM), if it is provisioned.").
			Optional().Nillable().MaxLen(255),
	}
}

func (BusinessUnit) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("users", User.Type).
			Comment("The users who belong to the business unit.").
			Ref("business_units"),
		edge.From("primary_users", User.Type).Ref("primary_business_unit").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("clients", Patient.Type).
			Comment("The clients the business unit looks after.").
			Ref("business_unit").
			Annotations(entgql.RelayConnection(), noClientFilter()),
		edge.From("staff_profiles", StaffProfile.Type).
			Comment("The employees whose primary business unit this is.").
			Ref("business_unit"),
		edge.From("invitations", Invitation.Type).Ref("business_units").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (BusinessUnit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "name").Unique(),
		index.Fields("organization_id", "external_id").Unique(),
	}
}

func (BusinessUnit) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A location, department or programme of the organization. Members of a unit reach its unrestricted clients."),
		entgql.RelayConnection(), entgql.QueryField().Description("The organization's business units."),
	}
}
