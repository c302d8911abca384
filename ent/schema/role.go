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
		// session_view: while the organization's session view is on, this
		// role's holders who also hold the view-others privilege read other
		// clinicians' notes (the team settings name the covered roles; a
		// role created over GraphQL starts uncovered).
		field.Bool("session_view").Default(true).
			Comment("covered by the organization's session view"),
		// sign_in_method requires the role's holders to sign in with one
		// method (ANY: no requirement); authz.SignInMethodAllowed decides.
		field.Enum("sign_in_method").NamedValues("Any", "ANY", "Password", "PASSWORD", "SSO", "SSO").Default("ANY").
			Comment("the sign-in method the role's holders must use (ANY: no requirement)"),
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
