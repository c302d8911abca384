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

// ClientContact is one entry of a client's Contact Info: the client
// themself, a parent, a guardian, a carer. A portal user's email may be
// picked from them (seed 002); a new portal email is never added here.
// Part of the client's profile: staff who reach the client read it,
// portal users never, and every read is audited.
type ClientContact struct{ ent.Schema }

func (ClientContact) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("cct"), TenantMixin{}, TimeMixin{}}
}

func (ClientContact) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("name").NotEmpty().MaxLen(200).
			Comment("The contact's name.").
			Annotations(entgql.OrderField("NAME"), recordRead("CLIENT_PROFILE"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("relationship").Default("").MaxLen(100).
			Comment("How the contact relates to the client: SELF for the client themself, or free text (Mother, Guardian, Carer…).").
			Annotations(recordRead("CLIENT_PROFILE"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("email").Default("").MaxLen(320).
			Comment("The contact's email address, empty when unknown.").
			Annotations(recordRead("CLIENT_PROFILE"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("phone").Default("").MaxLen(50).
			Comment("The contact's phone number, empty when unknown.").
			Annotations(recordRead("CLIENT_PROFILE"), entgql.Skip(entgql.SkipWhereInput)),
	}
}

func (ClientContact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("client", Patient.Type).Field("client_id").Unique().Required().Immutable().
			Comment("The client whose contact this is.").
			Annotations(noClientFilter()),
	}
}

func (ClientContact) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_id")}
}

func (ClientContact) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One entry of a client's Contact Info: the client themself, a parent, a guardian, a carer."),
		entgql.Skip(entgql.SkipWhereInput),
	}
}
