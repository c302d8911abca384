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

// StaffProfile is the employee record (premium staff licences). A user for
// an employee is created from it, and users can be given access to it like
// to a client.
type StaffProfile struct{ ent.Schema }

func (StaffProfile) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("stf"), TenantMixin{}, TimeMixin{}}
}

func (StaffProfile) Fields() []ent.Field {
	return []ent.Field{
		field.String("given_name").NotEmpty().MaxLen(200),
		field.String("family_name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("FAMILY_NAME")),
		// email is the source of the user's email when a user is created
		// from this profile.
		field.String("email").NotEmpty().MaxLen(320),
		field.String("phone").Optional().MaxLen(50),
		field.String("job_title").Optional().MaxLen(200),
		field.String("employee_number").Optional().MaxLen(100),
		field.Enum("status").NamedValues("Active", "ACTIVE", "Archived", "ARCHIVED").Default("ACTIVE"),
		// business_unit is the employee's primary business unit.
		field.String("business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("user_id").GoType(pulid.ID("")).Optional().Nillable().Unique().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (StaffProfile) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("business_unit", BusinessUnit.Type).Field("business_unit_id").Unique(),
		edge.From("user", User.Type).Ref("staff_profile").Field("user_id").Unique(),
		edge.From("accesses", StaffProfileAccess.Type).Ref("staff_profile"),
		edge.From("invitations", Invitation.Type).Ref("staff_profiles").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (StaffProfile) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "business_unit_id")}
}

func (StaffProfile) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
