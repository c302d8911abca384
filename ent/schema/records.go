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

// The clinical record that access is about: small, but real enough that
// every field rule has something to protect.

func clientRef() ent.Field {
	return field.String("client_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll))
}

func clientEdge() ent.Edge {
	return edge.To("client", Patient.Type).Field("client_id").Unique().Required().Immutable().
		Annotations(noClientFilter())
}

// noClientFilter keeps an edge into clients out of GraphQL where inputs.
// Filters run inside other queries' SQL without the clients' row rule, so
// "hasClientWith" would let a viewer probe clients they do not reach.
func noClientFilter() entgql.Annotation { return entgql.Skip(entgql.SkipWhereInput) }

// Appointment is a scheduled or held session with a client.
type Appointment struct{ ent.Schema }

func (Appointment) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("apt"), TenantMixin{}, TimeMixin{}}
}

func (Appointment) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("provider_id").GoType(pulid.ID("")).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("starts_at").Annotations(entgql.OrderField("STARTS_AT"), recordRead("APPOINTMENT")),
		field.Time("ends_at").Annotations(recordRead("APPOINTMENT")),
		field.Enum("status").NamedValues("Scheduled", "SCHEDULED", "Completed", "COMPLETED",
			"Missed", "MISSED", "Cancelled", "CANCELLED").Default("SCHEDULED"),
		// Billing state: staff with the billing tab or the session's
		// provider; portal users with sessions & homework ("whether they've
		// been billed or missed"). Exposed by hand in graph/access.graphql
		// (nullable, under the field rule): as a resolver field it makes
		// GraphQL load whole rows, so the rule finds the provider and the
		// client without a query per row. Not filterable: a filter would
		// reveal what the rule refuses.
		field.Bool("billable").Default(true).
			Annotations(entgql.Skip(entgql.SkipType | entgql.SkipWhereInput)),
		field.Bool("billed").Default(false).
			Annotations(entgql.Skip(entgql.SkipType | entgql.SkipWhereInput)),
		field.String("location").Default("").MaxLen(200).Annotations(recordRead("APPOINTMENT")),
	}
}

func (Appointment) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("provider", User.Type).Field("provider_id").Unique().Required(),
		// Not filterable: "hasNotesWith" would probe notes the viewer may
		// not read.
		edge.From("notes", SessionNote.Type).Ref("appointment").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.From("homework", Homework.Type).Ref("appointment"),
	}
}

func (Appointment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "starts_at"),
		index.Fields("provider_id", "starts_at"),
	}
}

func (Appointment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// SessionNote is a clinician's note (and transcript) on a session.
type SessionNote struct{ ent.Schema }

func (SessionNote) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("not"), TenantMixin{}, TimeMixin{}}
}

func (SessionNote) Fields() []ent.Field {
	return []ent.Field{
		field.String("appointment_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("author_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("body").Default("").
			Annotations(recordRead("SESSION_NOTE"), entgql.Skip(entgql.SkipWhereInput)),
		field.Text("transcript").Default("").
			Annotations(recordRead("SESSION_NOTE"), entgql.Skip(entgql.SkipWhereInput)),
		// private notes are for their author alone, session view or not.
		field.Bool("private").Default(false),
	}
}

func (SessionNote) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("appointment", Appointment.Type).Field("appointment_id").Unique().Required().Immutable(),
		edge.To("author", User.Type).Field("author_id").Unique().Required().Immutable(),
	}
}

// Homework is an assignment a provider gives the client.
type Homework struct{ ent.Schema }

func (Homework) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("hwk"), TenantMixin{}, TimeMixin{}}
}

func (Homework) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("appointment_id").GoType(pulid.ID("")).Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("title").NotEmpty().MaxLen(200).Annotations(recordRead("HOMEWORK")),
		field.Text("instructions").Default("").Annotations(recordRead("HOMEWORK")),
		field.Time("due_at").Optional().Nillable(),
		field.Time("completed_at").Optional().Nillable(),
	}
}

func (Homework) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("appointment", Appointment.Type).Field("appointment_id").Unique(),
	}
}

func (Homework) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Document is a file in the client's document centre.
type Document struct{ ent.Schema }

func (Document) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("doc"), TenantMixin{}, TimeMixin{}}
}

func (Document) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("title").NotEmpty().MaxLen(300).Annotations(recordRead("DOCUMENT")),
		field.String("file_name").NotEmpty().MaxLen(300).Annotations(recordRead("DOCUMENT")),
		field.String("content_type").Default("application/octet-stream").MaxLen(200),
		field.Int64("size_bytes").NonNegative().Default(0),
		field.String("storage_key").NotEmpty().MaxLen(500).Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("uploaded_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Document) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("uploaded_by", User.Type).Field("uploaded_by_id").Unique().Immutable(),
	}
}

func (Document) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Invoice is a bill for a client's sessions.
type Invoice struct{ ent.Schema }

func (Invoice) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ivc"), TenantMixin{}, TimeMixin{}}
}

func (Invoice) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("number").NotEmpty().MaxLen(50).Annotations(recordRead("INVOICE")),
		field.Int64("amount_cents").NonNegative().Annotations(recordRead("INVOICE")),
		field.String("currency").Default("USD").MaxLen(3).MinLen(3),
		field.Enum("status").NamedValues("Draft", "DRAFT", "Issued", "ISSUED", "Paid", "PAID", "Void", "VOID").
			Default("DRAFT"),
		field.Time("issued_at").Optional().Nillable(),
		field.Time("due_at").Optional().Nillable(),
	}
}

func (Invoice) Edges() []ent.Edge { return []ent.Edge{clientEdge()} }

func (Invoice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "number").Unique()}
}

func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// SurveyResponse is a completed survey about a client.
type SurveyResponse struct{ ent.Schema }

func (SurveyResponse) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("svr"), TenantMixin{}, TimeMixin{}}
}

func (SurveyResponse) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("survey_name").NotEmpty().MaxLen(200).Annotations(recordRead("SURVEY_RESPONSE")),
		field.JSON("answers", map[string]any{}).Optional().
			Annotations(entgql.Type("Map"), recordRead("SURVEY_RESPONSE")),
		field.String("submitted_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("submitted_at"),
	}
}

func (SurveyResponse) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("submitted_by", User.Type).Field("submitted_by_id").Unique().Immutable(),
	}
}

func (SurveyResponse) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
