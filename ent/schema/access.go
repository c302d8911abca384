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

// grantFields are shared by explicit access links: who granted them, when,
// and until when (exclusive).
func grantFields() []ent.Field {
	return []ent.Field{
		field.Time("granted_at").
			Comment("When the access was granted.").
			Immutable(),
		field.Time("expires_at").Optional().Nillable().
			Comment("exclusive: at expires_at the access is gone"),
		field.String("granted_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// ClientAccess is an explicit link user → client (the ACCESS tab, the
// Professionals tab on a chart).
type ClientAccess struct{ ent.Schema }

func (ClientAccess) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("cla"), TenantMixin{}}
}

func (ClientAccess) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("user_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("client_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}, grantFields()...)
}

func (ClientAccess) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).
			Comment("The user given access.").
			Field("user_id").Unique().Required().Immutable(),
		edge.To("client", Patient.Type).
			Comment("The client the user may reach.").
			Field("client_id").Unique().Required().Immutable().
			Annotations(noClientFilter()),
		edge.To("granted_by", User.Type).
			Comment("Who granted the access; null if unknown.").
			Field("granted_by_id").Unique().Immutable(),
	}
}

func (ClientAccess) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "client_id").Unique(),
		index.Fields("client_id"),
	}
}

func (ClientAccess) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An explicit link giving a user access to a client (the Access tab, the Professionals tab on a chart)."),
		entgql.RelayConnection(),
	}
}

func (PortalAccess) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A portal user's access to a client, with separate permissions for documents, sessions and homework, billing and surveys."),
		entgql.RelayConnection(),
	}
}

// StaffProfileAccess is an explicit link user → staff profile.
type StaffProfileAccess struct{ ent.Schema }

func (StaffProfileAccess) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("spa"), TenantMixin{}}
}

func (StaffProfileAccess) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("user_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("staff_profile_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}, grantFields()...)
}

func (StaffProfileAccess) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).
			Comment("The user given access.").
			Field("user_id").Unique().Required().Immutable(),
		edge.To("staff_profile", StaffProfile.Type).
			Comment("The staff profile the user may reach.").
			Field("staff_profile_id").Unique().Required().Immutable(),
		edge.To("granted_by", User.Type).
			Comment("Who granted the access; null if unknown.").
			Field("granted_by_id").Unique().Immutable(),
	}
}

func (StaffProfileAccess) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "staff_profile_id").Unique(),
		index.Fields("staff_profile_id"),
	}
}

// PortalAccess links a portal user to a client with four separate
// permissions. One portal user per client receives alerts.
type PortalAccess struct{ ent.Schema }

func (PortalAccess) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("pta"), TenantMixin{}, TimeMixin{}}
}

func (PortalAccess) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("client_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("documents").
			Comment("Whether the portal user may see the client's documents.").
			Default(false),
		field.Bool("sessions_homework").
			Comment("Whether the portal user may see the client's sessions and homework.").
			Default(false),
		field.Bool("billing").
			Comment("Whether the portal user may see the client's invoices.").
			Default(false),
		field.Bool("surveys").
			Comment("Whether the portal user may see and fill in the client's surveys.").
			Default(false),
		field.Bool("alert_recipient").
			Comment("Whether the portal user receives the client's alerts; one portal user per client at most.").
			Default(false),
		field.String("granted_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (PortalAccess) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).
			Comment("The portal user.").
			Field("user_id").Unique().Required().Immutable(),
		edge.To("client", Patient.Type).
			Comment("The client the portal user may see.").
			Field("client_id").Unique().Required().Immutable().
			Annotations(noClientFilter()),
		edge.To("granted_by", User.Type).
			Comment("Who granted the portal access; null if unknown.").
			Field("granted_by_id").Unique().Immutable(),
	}
}

func (PortalAccess) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "client_id").Unique(),
		// At most one alert recipient per client.
		index.Fields("client_id").Unique().
			Annotations(entsql.IndexWhere("alert_recipient")).
			StorageKey("portal_access_one_alert_recipient"),
	}
}

// EmergencyAccess is a break-glass window: a clinician with no path to a
// client opens it for a fixed time, giving a reason.
type EmergencyAccess struct{ ent.Schema }

func (EmergencyAccess) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("eac"), TenantMixin{}}
}

func (EmergencyAccess) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("client_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("reason").
			Comment("Why the clinician broke the glass, as they wrote it.").
			NotEmpty().Immutable(),
		field.Time("started_at").
			Comment("When the window opened.").
			Immutable().
			Annotations(entgql.OrderField("STARTED_AT")),
		field.Time("expires_at").
			Comment("When the window closes on its own.").
			Immutable(),
		field.Time("ended_at").
			Comment("When the window was closed, early or at its expiry; null while open.").
			Optional().Nillable(),
	}
}

func (EmergencyAccess) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).
			Comment("The clinician who opened the window.").
			Field("user_id").Unique().Required().Immutable(),
		edge.To("client", Patient.Type).
			Comment("The client the window opens.").
			Field("client_id").Unique().Required().Immutable().
			Annotations(noClientFilter()),
	}
}

func (EmergencyAccess) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A break-glass window: a clinician with no path to a client opens access to them for a fixed time, giving a reason."),
		entgql.RelayConnection(), entgql.QueryField("emergencyAccesses").Description("The break-glass windows the viewer may see."),
	}
}

func (EmergencyAccess) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "client_id", "expires_at"),
		// One open window per user and client: two simultaneous opens
		// cannot both commit. A window that lapsed is closed (ended_at set
		// to its expiry) before a new one opens.
		index.Fields("user_id", "client_id").Unique().
			Annotations(entsql.IndexWhere("ended_at IS NULL")).StorageKey("emergency_accesses_one_open"),
	}
}

func (StaffProfileAccess) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An explicit link giving a user access to a staff profile."),
	}
}
