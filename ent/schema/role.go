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
		field.String("name").
			Comment("The role's name, unique in the organization.").
			NotEmpty().MaxLen(100).Annotations(entgql.OrderField("NAME")),
		field.String("description").
			Comment("What the role is for, in the organization's words.").
			Default("").MaxLen(1000),
		// builtin names the seeded role this row is; custom roles have none.
		field.Enum("builtin").
			Comment("Which seeded role this is; null for the organization's custom roles.").
			NamedValues("AccountOwner", "ACCOUNT_OWNER", "Administrator", "ADMINISTRATOR",
				"Supervisor", "SUPERVISOR", "Clinician", "CLINICIAN", "Teacher", "TEACHER",
				"OfficeStaff", "OFFICE_STAFF").
			Optional().Nillable().Immutable(),
		// privileges are keys of the catalogue in internal/authz; the domain
		// validates them on write.
		field.Strings("privileges").
			Comment("The privilege keys the role grants (see the privileges query for the catalogue).").
			Default([]string{}),
		// require_mfa makes MFA required of every holder of the role (with
		// the organization's and the user's own setting: any one suffices;
		// authz.MFARequired decides).
		field.Bool("require_mfa").
			Comment("Whether every holder of the role must use multi-factor authentication.").
			Default(false),
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
		edge.From("users", User.Type).
			Comment("The users who hold the role.").
			Ref("roles"),
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
	return []schema.Annotation{
		schema.Comment("A named set of privileges. Built-in roles are seeded for every organization; custom roles are the organization's own."),
		entgql.RelayConnection(), entgql.QueryField().Description("The organization's roles, built-in and custom."),
	}
}
