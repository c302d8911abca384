package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// User is a person who signs in: staff, or a portal user (parent, guardian,
// the client themself).
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("usr"), TenantMixin{}, TimeMixin{}}
}

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().MaxLen(320).
			Annotations(entgql.OrderField("EMAIL")),
		// email_normalized is the lower-cased email; the unique index on it
		// makes emails unique per organization case-insensitively on both
		// dialects.
		field.String("email_normalized").NotEmpty().MaxLen(320).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("given_name").Default("").MaxLen(200),
		field.String("family_name").Default("").MaxLen(200).
			Annotations(entgql.OrderField("FAMILY_NAME")),
		field.String("display_name").Default("").MaxLen(200).
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.Enum("kind").NamedValues("Staff", "STAFF", "Portal", "PORTAL").Default("STAFF").Immutable(),
		field.Enum("status").
			NamedValues("Invited", "INVITED", "Active", "ACTIVE", "Suspended", "SUSPENDED", "Deleted", "DELETED").
			Default("INVITED").
			Annotations(entgql.OrderField("STATUS")),
		// is_account_owner marks the one account owner; a partial unique
		// index keeps it to at most one per organization.
		field.Bool("is_account_owner").Default(false),
		field.String("external_id").Optional().Nillable().MaxLen(255).
			Comment("identity provider's id (SCIM externalId)"),
		// schedule_access is a provider's schedule level (seed 003, A–D),
		// or NONE: no session dates at all. NONE is the default, so that a
		// user sees no schedule until a level is chosen for them (minimum
		// necessary); office staff see the schedule through the scheduler
		// tab instead.
		field.Enum("schedule_access").
			NamedValues("None", "NONE", "OwnOnly", "OWN_ONLY", "EditOwn", "EDIT_OWN", "EditOwnViewAll", "EDIT_OWN_VIEW_ALL", "ViewEditAll", "VIEW_EDIT_ALL").
			Default("NONE"),
		field.Strings("tab_access").Optional().
			Comment("tabs an office-staff user may open"),
		field.Bool("require_mfa").Default(false),
		field.Enum("sign_in_method").NamedValues("Any", "ANY", "Password", "PASSWORD", "SSO", "SSO").Default("ANY"),
		field.String("phone").Optional().MaxLen(50),
		field.String("title").Optional().MaxLen(200),
		field.String("primary_business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_sign_in_at").Optional().Nillable(),
		field.Time("suspended_at").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("roles", Role.Type),
		edge.To("business_units", BusinessUnit.Type),
		edge.To("primary_business_unit", BusinessUnit.Type).
			Field("primary_business_unit_id").Unique().
			Comment("grants no client access on its own; staff-profile access only"),
		edge.To("staff_profile", StaffProfile.Type).Unique(),
		edge.From("client_accesses", ClientAccess.Type).Ref("user").
			Annotations(entgql.RelayConnection()),
		edge.From("staff_profile_accesses", StaffProfileAccess.Type).Ref("user"),
		edge.From("portal_accesses", PortalAccess.Type).Ref("user"),
		edge.To("password_credential", PasswordCredential.Type).Unique().Annotations(hidden()),
		edge.From("sessions", Session.Type).Ref("user").Annotations(hidden()),
		edge.From("totp_factors", TOTPFactor.Type).Ref("user").Annotations(hidden()),
		edge.From("recovery_codes", RecoveryCode.Type).Ref("user").Annotations(hidden()),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "email_normalized").Unique(),
		index.Fields("organization_id", "external_id").Unique(),
		index.Fields("organization_id").Unique().
			Annotations(entsql.IndexWhere("is_account_owner")).
			StorageKey("user_one_account_owner"),
		index.Fields("organization_id", "status"),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
