package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// Subscription is the organization's annual per-seat plan.
type Subscription struct{ ent.Schema }

func (Subscription) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sub"), TenantMixin{}, TimeMixin{}}
}

func (Subscription) Fields() []ent.Field {
	return []ent.Field{
		field.Time("term_start"),
		field.Time("term_end"),
		field.Int64("seat_price_cents").NonNegative().Comment("price of one seat for a whole term"),
		field.String("currency").Default("USD").MinLen(3).MaxLen(3),
		field.Int("seats").NonNegative().Default(0),
		field.Enum("status").NamedValues("Trial", "TRIAL", "Active", "ACTIVE", "Cancelled", "CANCELLED").Default("ACTIVE"),
	}
}

func (Subscription) Edges() []ent.Edge {
	return []ent.Edge{edge.From("charges", SeatCharge.Type).Ref("subscription")}
}

func (Subscription) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// SeatCharge bills one seat, pro-rated over the days left in the term.
type SeatCharge struct{ ent.Schema }

func (SeatCharge) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sch"), TenantMixin{}}
}

func (SeatCharge) Fields() []ent.Field {
	return []ent.Field{
		field.String("subscription_id").GoType(pulid.ID("")).Immutable(),
		field.String("user_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		// invitation_id names the invitation that added the member (the
		// user does not exist until it is accepted).
		field.String("invitation_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.Int64("amount_cents").Immutable(),
		field.Int("days_remaining").NonNegative().Immutable(),
		field.Int("days_in_term").Positive().Immutable(),
		field.Enum("reason").NamedValues("MemberAdded", "MEMBER_ADDED", "Adjustment", "ADJUSTMENT").Immutable(),
		field.Time("charged_at").Immutable(),
	}
}

func (SeatCharge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("subscription", Subscription.Type).Field("subscription_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Immutable(),
	}
}

func (SeatCharge) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
