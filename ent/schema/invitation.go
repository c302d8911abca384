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

// Invitation is an email invite carrying everything the new member gets.
type Invitation struct{ ent.Schema }

func (Invitation) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("inv"), TenantMixin{}, TimeMixin{}}
}

func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			Comment("The address the invitation was sent to.").
			NotEmpty().MaxLen(320),
		field.String("email_normalized").NotEmpty().MaxLen(320).Annotations(entgql.Skip(entgql.SkipAll)),
		// token_hash is the SHA-256 of the emailed token; the token itself is
		// never stored.
		field.Bytes("token_hash").Sensitive().Unique(),
		field.Enum("status").
			Comment("Whether the invitation is pending, accepted, revoked or expired.").
			NamedValues("Pending", "PENDING", "Accepted", "ACCEPTED",
				"Revoked", "REVOKED", "Expired", "EXPIRED").Default("PENDING"),
		field.Bool("require_mfa").
			Comment("Whether the new member will have to use multi-factor authentication.").
			Default(false),
		field.Enum("sign_in_method").
			Comment("The sign-in method the new member will have to use.").
			NamedValues("Any", "ANY", "Password", "PASSWORD", "SSO", "SSO").Default("ANY"),
		field.Time("expires_at").
			Comment("When the invitation's link stops working."),
		// delivery_seq counts the links sent: a resend increments it, and a
		// queued email carrying an older number is dropped, so only the
		// latest link is ever minted.
		field.Int("delivery_seq").Default(0).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("accepted_at").
			Comment("When the invitation was accepted; null until then.").
			Optional().Nillable(),
		// batch_id groups the invitations of one bulk invite.
		field.String("batch_id").
			Comment("Groups the invitations sent in one bulk invite; empty for a single invite.").
			Optional().MaxLen(40),
		field.String("invited_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("user_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Invitation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("invited_by", User.Type).
			Comment("Who sent the invitation; null if they have since been removed.").
			Field("invited_by_id").Unique().Immutable(),
		edge.To("user", User.Type).
			Comment("The user the invitation created or will activate.").
			Field("user_id").Unique(),
		edge.To("roles", Role.Type).
			Comment("The roles the new member gets."),
		edge.To("business_units", BusinessUnit.Type).
			Comment("The business units the new member joins."),
		edge.To("clients", Patient.Type).
			Comment("The clients the new member is linked to.").
			Annotations(noClientFilter()),
		edge.To("staff_profiles", StaffProfile.Type).
			Comment("The staff profiles the new member gets access to."),
	}
}

func (Invitation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "email_normalized"),
		// One pending invitation per address: duplicates in a bulk invite
		// collapse into one.
		index.Fields("organization_id", "email_normalized").Unique().
			Annotations(entsql.IndexWhere("status = 'PENDING'")).
			StorageKey("invitation_one_pending_per_email"),
	}
}

func (Invitation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An email invitation to join the organization, carrying the roles, business units and access the new member gets."),
		entgql.RelayConnection(),
	}
}
