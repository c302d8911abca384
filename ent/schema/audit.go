package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// AuditEvent is an append-only record of who did what to whom, when and
// from where. Actor and target are plain columns, not foreign keys, so the
// trail outlives anything it mentions.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("aud"), TenantMixin{record: true}}
}

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("occurred_at").Immutable().Annotations(entgql.OrderField("OCCURRED_AT")),
		field.Enum("actor_kind").NamedValues("User", "USER", "System", "SYSTEM", "SCIM", "SCIM", "Anonymous", "ANONYMOUS").Immutable(),
		field.String("actor_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
		field.String("action").NotEmpty().MaxLen(100).Immutable(),
		field.String("target_type").Default("").MaxLen(50).Immutable(),
		field.String("target_id").Default("").MaxLen(64).Immutable(),
		field.String("client_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
		field.String("ip").Default("").MaxLen(64).Immutable(),
		field.String("user_agent").Default("").MaxLen(512).Immutable(),
		field.String("request_id").Default("").MaxLen(64).Immutable(),
		field.JSON("details", map[string]any{}).Optional().Immutable().Annotations(entgql.Type("Map")),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "occurred_at"),
		index.Fields("organization_id", "actor_id", "occurred_at"),
		index.Fields("organization_id", "client_id", "occurred_at"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("auditEvents")}
}
