package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// UserIdentity links a user to the subject an OpenID provider knows them
// by: (issuer, subject) is the stable key, never the email, which a
// provider may let its users change.
type UserIdentity struct{ ent.Schema }

func (UserIdentity) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("uid"), TenantMixin{}, TimeMixin{}}
}

func (UserIdentity) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.String("connection_id").GoType(pulid.ID("")),
		field.String("issuer").NotEmpty().MaxLen(500).Immutable(),
		field.String("subject").NotEmpty().MaxLen(255).Immutable(),
		// email is the address the provider gave at the last sign-in.
		field.String("email").Default("").MaxLen(320),
		field.Time("last_sign_in_at").Optional().Nillable(),
	}
}

func (UserIdentity) Edges() []ent.Edge {
	return []ent.Edge{
		userEdge(),
		edge.To("connection", SSOConnection.Type).Field("connection_id").Unique().Required(),
	}
}

func (UserIdentity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "issuer", "subject").Unique(),
		index.Fields("user_id"),
	}
}

func (UserIdentity) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
