package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// AuditEvent is an append-only record of who did what to whom, when and
// from where. Organization, actor and target are plain columns, not foreign
// keys, so the trail outlives anything it mentions (TenantMixin's record).
//
// Events are inserted unsealed (chain_seq and chain_hash null) in the
// transaction of the change they describe, and sealed shortly after by
// internal/audit's sealer, which links each organization's events into a
// hash chain. Sealing is the one change the database lets through
// (triggers of the audit_chain migration); ent refuses every update and
// delete (policy.go), and the sealer writes with SQL of its own.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("aud"), TenantMixin{record: true}}
}

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("occurred_at").
			Comment("When it happened.").
			Immutable().Annotations(entgql.OrderField("OCCURRED_AT")),
		field.Enum("actor_kind").
			Comment("Who did it: a user, the system, an identity provider (SCIM) or someone not signed in.").
			NamedValues("User", "USER", "System", "SYSTEM", "SCIM", "SCIM", "Anonymous", "ANONYMOUS").Immutable(),
		field.String("actor_id").
			Comment("The ID of the acting user or SCIM token; null for the system and anonymous actors.").
			GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
		field.String("action").
			Comment("What happened, as a dotted name (for example user.invite or client.read).").
			NotEmpty().MaxLen(100).Immutable(),
		field.String("target_type").
			Comment("The type of the object acted on; empty if none.").
			Default("").MaxLen(50).Immutable(),
		field.String("target_id").
			Comment("The ID of the object acted on; empty if none.").
			Default("").MaxLen(64).Immutable(),
		field.String("client_id").
			Comment("The client whose record was touched, if any.").
			GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
		field.JSON("client_ids", []pulid.ID{}).
			Comment("Every client whose record the event concerns, when it concerns records: a request's reads are one event naming each client read (client_id is set too when there is exactly one).").
			Optional().Immutable().Annotations(entgql.Type("[ID!]")),
		field.String("ip").
			Comment("The IP address the request came from.").
			Default("").MaxLen(64).Immutable(),
		field.String("user_agent").
			Comment("The user agent of the request.").
			Default("").MaxLen(512).Immutable(),
		field.String("request_id").
			Comment("The ID of the request, to find the other events of the same request.").
			Default("").MaxLen(64).Immutable(),
		field.JSON("details", map[string]any{}).
			Comment("Further details of the event, depending on the action.").
			Optional().Immutable().Annotations(entgql.Type("Map")),
		field.Int64("chain_seq").
			Comment("The event's place in its organization's hash chain, from 1; null until the sealer links it.").
			Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("chain_hash").
			Comment("Hex SHA-256 of the previous event's chain_hash and this event's canonical encoding (internal/audit chain.go); null until sealed.").
			Optional().Nillable().MaxLen(64).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "occurred_at"),
		index.Fields("organization_id", "actor_id", "occurred_at"),
		index.Fields("organization_id", "client_id", "occurred_at"),
		// Events that concern a client, among several: "who read this
		// client's record" (the auditEvents clientID filter) looks here as
		// well as at client_id. GIN on PostgreSQL, for jsonb containment.
		index.Fields("client_ids").Annotations(
			entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}),
			entsql.OpClass("jsonb_path_ops")),
		// One event per place in a chain; partial, so that inserting an
		// (unsealed) event costs no entry here.
		index.Fields("organization_id", "chain_seq").Unique().
			Annotations(entsql.IndexWhere("chain_seq IS NOT NULL")),
		// The sealer's work list, in the order it seals: small, since
		// events leave it within about a second.
		index.Fields("organization_id", "occurred_at", "id").
			Annotations(entsql.IndexWhere("chain_seq IS NULL")).StorageKey("auditevent_unsealed"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A record of something that happened in the organization: who did what, to what, when and from where."),
		entgql.RelayConnection(), entgql.QueryField("auditEvents").Description("The organization's audit trail, newest first unless ordered otherwise."),
	}
}
