package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/schema/ssomapping"
)

// Authentication tables. None is exposed over GraphQL; secrets are stored
// only as hashes or sealed (encrypted) bytes, and ent marks them Sensitive
// so they never print.

func userRef() ent.Field {
	return field.String("user_id").GoType(pulid.ID("")).Immutable()
}

func userEdge() ent.Edge {
	return edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable()
}

// PasswordCredential is a user's password, argon2id-hashed.
type PasswordCredential struct{ ent.Schema }

func (PasswordCredential) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("pwd"), TenantMixin{}, TimeMixin{}}
}

func (PasswordCredential) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").GoType(pulid.ID("")).Immutable().Unique(),
		field.String("hash").Sensitive().NotEmpty(),
		// must_change marks a temporary password: it only lets its holder
		// set a new one.
		field.Bool("must_change").Default(false),
		field.Time("temporary_expires_at").Optional().Nillable(),
		field.Time("changed_at"),
		field.Int("failed_attempts").Default(0).NonNegative(),
		field.Time("locked_until").Optional().Nillable(),
	}
}

func (PasswordCredential) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("password_credential").Field("user_id").Unique().Required().Immutable(),
	}
}

func (PasswordCredential) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// Session is a signed-in browser or API client. The bearer token is stored
// only as its SHA-256.
type Session struct{ ent.Schema }

func (Session) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ses"), TenantMixin{}}
}

func (Session) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.Bytes("token_hash").Sensitive().Unique().Immutable(),
		field.Enum("method").NamedValues("Password", "PASSWORD", "SSO", "SSO").Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("last_seen_at"),
		field.Time("expires_at").Comment("absolute end of the session"),
		field.Int("idle_timeout_seconds").Positive(),
		// mfa_satisfied_at is when this session passed a second factor.
		field.Time("mfa_satisfied_at").Optional().Nillable(),
		// password_change_required restricts the session to changing the
		// password (signed in with a temporary one).
		field.Bool("password_change_required").Default(false),
		field.String("ip").Default("").MaxLen(64),
		field.String("user_agent").Default("").MaxLen(512),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_reason").Optional().MaxLen(100),
		// write_seq moves after every GraphQL mutation the session makes
		// (graph/ext_standby.go): a read standby that shows the primary's
		// value has the session's own writes.
		field.Int64("write_seq").Default(0).NonNegative(),
	}
}

func (Session) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "revoked_at")}
}

func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// TOTPFactor is an authenticator-app second factor.
type TOTPFactor struct{ ent.Schema }

func (TOTPFactor) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("tot"), TenantMixin{}, TimeMixin{}}
}

func (TOTPFactor) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.String("name").Default("Authenticator app").MaxLen(100),
		// secret_sealed is the TOTP secret encrypted under the server key,
		// bound to this row.
		field.Bytes("secret_sealed").Sensitive().NotEmpty(),
		field.Time("confirmed_at").Optional().Nillable(),
		// last_used_step blocks replaying a code within its window.
		field.Int64("last_used_step").Default(0),
	}
}

func (TOTPFactor) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (TOTPFactor) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// RecoveryCode is a single-use MFA fallback, stored hashed.
type RecoveryCode struct{ ent.Schema }

func (RecoveryCode) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("rec"), TenantMixin{}}
}

func (RecoveryCode) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.Bytes("code_hash").Sensitive().Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (RecoveryCode) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (RecoveryCode) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// SSOConnection is an organization's OIDC identity provider.
type SSOConnection struct{ ent.Schema }

func (SSOConnection) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sso"), TenantMixin{}, TimeMixin{}}
}

func (SSOConnection) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("issuer").NotEmpty().MaxLen(500),
		field.String("client_id").NotEmpty().MaxLen(500),
		field.Bytes("client_secret_sealed").Sensitive().Optional(),
		field.Strings("email_domains").Optional(),
		field.Bool("enabled").Default(true),
		// auto_provision creates a user at first sign-in instead of
		// requiring an invitation or SCIM.
		field.Bool("auto_provision").Default(false),
		// scopes are requested besides openid (empty: email and profile).
		field.Strings("scopes").Optional(),
		// trust_provider_mfa lets the ID token's amr/acr satisfy the
		// organization's MFA requirement when it shows a second factor.
		field.Bool("trust_provider_mfa").Default(false),
		// default_role_id and default_business_unit_id are given to a user
		// provisioned at first sign-in (auto_provision).
		field.String("default_role_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("default_business_unit_id").GoType(pulid.ID("")).Optional().Nillable(),
		// groups_claim names the claim the claim mappings read (empty:
		// "groups").
		field.String("groups_claim").Default("").MaxLen(100),
		// claim_mappings map a value of groups_claim to a role or a
		// business unit, applied at provisioning.
		field.JSON("claim_mappings", []ssomapping.Mapping{}).Optional(),
	}
}

func (SSOConnection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("default_role", Role.Type).Field("default_role_id").Unique(),
		edge.To("default_business_unit", BusinessUnit.Type).Field("default_business_unit_id").Unique(),
	}
}

func (SSOConnection) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "issuer").Unique()}
}

func (SSOConnection) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// SCIMToken authenticates an identity provider's SCIM client.
type SCIMToken struct{ ent.Schema }

func (SCIMToken) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sct"), TenantMixin{}}
}

func (SCIMToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.Bytes("token_hash").Sensitive().Unique().Immutable(),
		// hint is the token's last four characters, to tell tokens apart
		// in the list: too little to guess the rest (the token carries 256
		// random bits).
		field.String("hint").Default("").MaxLen(8).Immutable(),
		field.String("created_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (SCIMToken) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// SCIMGroupMapping is a group an identity provider pushed over SCIM and
// what it stands for here: nothing yet (target empty: an unmapped group is
// kept and grants nothing), a business unit or a role. Its members are
// SCIMGroupMember rows; membership in a mapped group grants its unit or
// role (internal/provision).
type SCIMGroupMapping struct{ ent.Schema }

func (SCIMGroupMapping) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sgm"), TenantMixin{}, TimeMixin{}}
}

func (SCIMGroupMapping) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty().MaxLen(255),
		field.String("external_id").Optional().Nillable().MaxLen(255),
		field.Enum("target").NamedValues("BusinessUnit", "BUSINESS_UNIT", "Role", "ROLE").Optional().Nillable(),
		field.String("business_unit_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("role_id").GoType(pulid.ID("")).Optional().Nillable(),
		// version changes with every change of the group or its members
		// (the SCIM ETag).
		field.Int("version").Default(1),
	}
}

func (SCIMGroupMapping) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("business_unit", BusinessUnit.Type).Field("business_unit_id").Unique(),
		edge.To("role", Role.Type).Field("role_id").Unique(),
		edge.To("members", SCIMGroupMember.Type),
	}
}

func (SCIMGroupMapping) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "display_name").Unique(),
		index.Fields("organization_id", "external_id").Unique(),
	}
}

func (SCIMGroupMapping) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// SCIMGroupMember is one user's membership in a SCIM group (the join of
// the group and its users).
type SCIMGroupMember struct{ ent.Schema }

func (SCIMGroupMember) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sgu"), TenantMixin{}}
}

func (SCIMGroupMember) Fields() []ent.Field {
	return []ent.Field{
		field.String("group_id").GoType(pulid.ID("")).Immutable(),
		userRef(),
		field.Time("created_at").Immutable(),
	}
}

func (SCIMGroupMember) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("group", SCIMGroupMapping.Type).Ref("members").Field("group_id").Unique().Required().Immutable(),
		userEdge(),
	}
}

func (SCIMGroupMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("group_id", "user_id").Unique(),
		index.Fields("user_id"),
	}
}

func (SCIMGroupMember) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// OutboxMessage is a side effect (an email now, webhooks later) committed
// with the change that causes it and delivered by a worker with retries.
type OutboxMessage struct{ ent.Schema }

func (OutboxMessage) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("obx"), TenantMixin{}}
}

func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(50),
		field.JSON("payload", map[string]any{}),
		field.Time("created_at").Immutable(),
		field.Time("available_at"),
		field.Int("attempts").Default(0),
		field.Time("delivered_at").Optional().Nillable(),
		field.String("last_error").Optional().MaxLen(1000),
		// Recipient is the address the rendered email went (or was to go)
		// to, recorded at delivery for administrators; never a secret.
		field.String("recipient").Optional().MaxLen(320),
		// DeadAt is set once the message exhausted its attempts (or its
		// kind has no renderer): the worker no longer tries it.
		field.Time("dead_at").Optional().Nillable(),
	}
}

func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("delivered_at", "available_at")}
}

func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
