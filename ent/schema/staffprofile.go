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
		field.String("given_name").
			Comment("The employee's given (first) name.").
			NotEmpty().MaxLen(200),
		field.String("family_name").
			Comment("The employee's family (last) name.").
			NotEmpty().MaxLen(200).Annotations(entgql.OrderField("FAMILY_NAME")),
		// email is the source of the user's email when a user is created
		// from this profile.
		field.String("email").
			Comment("The employee's email; a user created from this profile gets it.").
			NotEmpty().MaxLen(320),
		field.String("phone").
			Comment("The employee's phone number.").
			Optional().MaxLen(50),
		field.String("job_title").
			Comment("The employee's job title.").
			Optional().MaxLen(200),
		field.String("employee_number").
			Comment("The organization's own number for the employee.").
			Optional().MaxLen(100),
		field.Enum("status").
			Comment("Whether the employee is current or archived.").
			NamedValues("Active", "ACTIVE", "Archived", "ARCHIVED").Default("ACTIVE"),
		// business_unit is the employee's primary business unit.
		field.String("business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("user_id").GoType(pulid.ID("")).Optional().Nillable().Unique().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (StaffProfile) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("business_unit", BusinessUnit.Type).
			Comment("The employee's primary business unit.").
			Field("business_unit_id").Unique(),
		edge.From("user", User.Type).
			Comment("The user created for this employee, if any.").
			Ref("staff_profile").Field("user_id").Unique(),
		edge.From("accesses", StaffProfileAccess.Type).
			Comment("The explicit links giving users access to this profile.").
			Ref("staff_profile"),
		edge.From("invitations", Invitation.Type).Ref("staff_profiles").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (StaffProfile) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "business_unit_id")}
}

func (StaffProfile) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An employee record. A user for the employee can be created from it, and users can be given access to it as to a client."),
		entgql.RelayConnection(), entgql.QueryField().Description("The employee records the viewer may reach."),
	}
}
