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
		field.String("email").
			Comment("The email address the user signs in with and receives mail at; unique in the organization, ignoring case.").
			NotEmpty().MaxLen(320).
			Annotations(entgql.OrderField("EMAIL")),
		// email_normalized is the lower-cased email; the unique index on it
		// makes emails unique per organization case-insensitively on both
		// dialects.
		field.String("email_normalized").NotEmpty().MaxLen(320).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("given_name").
			Comment("The user's given (first) name.").
			Default("").MaxLen(200),
		field.String("family_name").
			Comment("The user's family (last) name.").
			Default("").MaxLen(200).
			Annotations(entgql.OrderField("FAMILY_NAME")),
		field.String("display_name").
			Comment("The name shown for the user in lists and on records.").
			Default("").MaxLen(200).
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.Enum("kind").
			Comment("Whether the user is staff or a portal user (parent, guardian, the client themself); fixed at creation.").
			NamedValues("Staff", "STAFF", "Portal", "PORTAL").Default("STAFF").Immutable(),
		field.Enum("status").
			Comment("Where the user is in their membership: invited, active, suspended or deleted.").
			NamedValues("Invited", "INVITED", "Active", "ACTIVE", "Suspended", "SUSPENDED", "Deleted", "DELETED").
			Default("INVITED").
			Annotations(entgql.OrderField("STATUS")),
		// is_account_owner marks the one account owner; a partial unique
		// index keeps it to at most one per organization.
		field.Bool("is_account_owner").
			Comment("Whether the user is the organization's account owner; there is at most one.").
			Default(false),
		field.String("external_id").Optional().Nillable().MaxLen(255).
			Comment("identity provider's id (SCIM externalId)"),
		// scim_user_name is the identity provider's SCIM userName when it
		// differs from the email (Entra sends the user principal name,
		// Okta a login that need not be the email); nil means the userName
		// is the email. The user signs in with the email, never with this.
		// scim_user_name_normalized (lower-cased) makes it unique per
		// organization ignoring case; provision also refuses a userName
		// equal to another user's email.
		field.String("scim_user_name").Optional().Nillable().MaxLen(320).
			Comment("The identity provider's SCIM userName when it differs from the email; the user signs in with the email.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("scim_user_name_normalized").Optional().Nillable().MaxLen(320).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// schedule_access is a provider's schedule level (seed 003, A–D),
		// or NONE: no session dates at all. NONE is the default, so that a
		// user sees no schedule until a level is chosen for them (minimum
		// necessary); office staff see the schedule through the scheduler
		// tab instead.
		field.Enum("schedule_access").
			Comment("How much of the schedule the user sees and edits (levels A–D, or NONE).").
			NamedValues("None", "NONE", "OwnOnly", "OWN_ONLY", "EditOwn", "EDIT_OWN", "EditOwnViewAll", "EDIT_OWN_VIEW_ALL", "ViewEditAll", "VIEW_EDIT_ALL").
			Default("NONE"),
		field.Strings("tab_access").Optional().
			Comment("tabs an office-staff user may open"),
		field.Bool("require_mfa").
			Comment("Whether the user must use multi-factor authentication, whatever the organization and roles say.").
			Default(false),
		field.Enum("sign_in_method").
			Comment("The sign-in method the user must use (ANY: no requirement of their own).").
			NamedValues("Any", "ANY", "Password", "PASSWORD", "SSO", "SSO").Default("ANY"),
		field.String("phone").
			Comment("The user's phone number.").
			Optional().MaxLen(50),
		field.String("title").
			Comment("The user's job title or professional title.").
			Optional().MaxLen(200),
		field.String("primary_business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The SCIM enterprise extension's attributes (RFC 7643 §4.3), kept
		// as the identity provider sends them; not shown over GraphQL.
		field.String("employee_number").Optional().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("department").Optional().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("cost_center").Optional().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("organization_name").Optional().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("division").Optional().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// manager_ref is the enterprise manager's "value": the SCIM id the
		// provider sends (a user id of ours), not a foreign key.
		field.String("manager_ref").Optional().MaxLen(255).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_sign_in_at").
			Comment("When the user last signed in; null if never.").
			Optional().Nillable(),
		field.Time("suspended_at").
			Comment("When the user was suspended; null unless suspended.").
			Optional().Nillable(),
		field.Time("deleted_at").
			Comment("When the user was removed from the organization; null unless deleted.").
			Optional().Nillable(),
		// Second-factor lockout (internal/mfa): consecutive wrong codes
		// over all sessions, and the temporary lock they set.
		field.Int("mfa_failed_attempts").Default(0).NonNegative().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("mfa_locked_until").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("roles", Role.Type).
			Comment("The roles the user holds; their privileges add up."),
		edge.To("business_units", BusinessUnit.Type).
			Comment("The business units the user belongs to; they reach those units' unrestricted clients."),
		edge.To("primary_business_unit", BusinessUnit.Type).
			Field("primary_business_unit_id").Unique().
			Comment("grants no client access on its own; staff-profile access only"),
		edge.To("staff_profile", StaffProfile.Type).
			Comment("The employee record this user was created from, if any.").
			Unique(),
		edge.From("client_accesses", ClientAccess.Type).
			Comment("The user's explicit links to clients.").
			Ref("user").
			Annotations(entgql.RelayConnection()),
		edge.From("staff_profile_accesses", StaffProfileAccess.Type).
			Comment("The user's explicit links to staff profiles.").
			Ref("user"),
		edge.From("portal_accesses", PortalAccess.Type).
			Comment("For a portal user: the clients they may see in the portal, with what permissions.").
			Ref("user"),
		edge.To("password_credential", PasswordCredential.Type).Unique().Annotations(hidden()),
		edge.From("sessions", Session.Type).Ref("user").Annotations(hidden()),
		edge.From("totp_factors", TOTPFactor.Type).Ref("user").Annotations(hidden()),
		edge.From("recovery_codes", RecoveryCode.Type).Ref("user").Annotations(hidden()),
		edge.From("webauthn_credentials", WebAuthnCredential.Type).Ref("user").Annotations(hidden()),
		edge.From("password_reset_tokens", PasswordResetToken.Type).Ref("user").Annotations(hidden()),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "email_normalized").Unique(),
		index.Fields("organization_id", "external_id").Unique(),
		index.Fields("organization_id", "scim_user_name_normalized").Unique(),
		index.Fields("organization_id").Unique().
			Annotations(entsql.IndexWhere("is_account_owner")).
			StorageKey("user_one_account_owner"),
		index.Fields("organization_id", "status"),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A person who signs in: a member of staff, or a portal user (a parent, a guardian, the client themself)."),
		entgql.RelayConnection(), entgql.QueryField().Description("The organization's users, staff and portal, as far as the viewer may list them."),
	}
}
