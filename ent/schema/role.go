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

// Role is a named set of privileges. Built-in roles are seeded per
// organization; custom roles are the organization's own.
type Role struct{ ent.Schema }

func (Role) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("rol"), TenantMixin{}, TimeMixin{}}
}

func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Annotations(entgql.OrderField("NAME")),
		field.String("description").Default("").MaxLen(1000),
		// builtin names the seeded role this row is; custom roles have none.
		field.Enum("builtin").
			NamedValues("AccountOwner", "ACCOUNT_OWNER", "Administrator", "ADMINISTRATOR",
				"Supervisor", "SUPERVISOR", "Clinician", "CLINICIAN", "Teacher", "TEACHER",
				"OfficeStaff", "OFFICE_STAFF").
			Optional().Nillable().Immutable(),
		// privileges are keys of the catalogue in internal/authz; the domain
		// validates them on write.
		field.Strings("privileges").Default([]string{}),
		// require_mfa makes MFA required of every holder of the role (with
		// the organization's and the user's own setting: any one suffices;
		// authz.MFARequired decides).
		field.Bool("require_mfa").Default(false),
		field.String("external_id").Optional().Nillable().MaxLen(255).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Role) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("users", User.Type).Ref("roles"),
		edge.From("invitations", Invitation.Type).Ref("roles").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Role) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "name").Unique(),
		index.Fields("organization_id", "builtin").Unique(),
	}
}

func (Role) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
