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
	return edge.To("client", Patient.Type).
		Comment("The client this record belongs to.").
		Field("client_id").Unique().Required().Immutable().
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
		field.Time("starts_at").
			Comment("When the session starts. Every read is audited.").
			Annotations(entgql.OrderField("STARTS_AT"), recordRead("APPOINTMENT")),
		field.Time("ends_at").
			Comment("When the session ends. Every read is audited.").
			Annotations(recordRead("APPOINTMENT")),
		field.Enum("status").
			Comment("Whether the session is scheduled, completed, missed or cancelled.").
			NamedValues("Scheduled", "SCHEDULED", "Completed", "COMPLETED",
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
		field.String("location").
			Comment("Where the session takes place; empty when not given. Every read is audited.").
			Default("").MaxLen(200).Annotations(recordRead("APPOINTMENT")),
	}
}

func (Appointment) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("provider", User.Type).
			Comment("The clinician who provides the session.").
			Field("provider_id").Unique().Required(),
		// Not filterable: "hasNotesWith" would probe notes the viewer may
		// not read.
		edge.From("notes", SessionNote.Type).
			Comment("The notes written on the session that the viewer may read.").
			Ref("appointment").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.From("homework", Homework.Type).
			Comment("The homework given at the session.").
			Ref("appointment"),
	}
}

func (Appointment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "starts_at"),
		index.Fields("provider_id", "starts_at"),
	}
}

func (Appointment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A scheduled or held session with a client."),
		entgql.RelayConnection(),
	}
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
		field.Text("body").
			Comment("The note's text. Every read is audited.").
			Default("").
			Annotations(recordRead("SESSION_NOTE"), entgql.Skip(entgql.SkipWhereInput)),
		field.Text("transcript").
			Comment("The session's transcript; empty when there is none. Every read is audited.").
			Default("").
			Annotations(recordRead("SESSION_NOTE"), entgql.Skip(entgql.SkipWhereInput)),
		// private notes are for their author alone, session view or not.
		field.Bool("private").
			Comment("A private note is for its author alone, even under the session view.").
			Default(false),
	}
}

func (SessionNote) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("appointment", Appointment.Type).
			Comment("The session the note is about.").
			Field("appointment_id").Unique().Required().Immutable(),
		edge.To("author", User.Type).
			Comment("The clinician who wrote the note.").
			Field("author_id").Unique().Required().Immutable(),
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
		field.String("title").
			Comment("The assignment's title. Every read is audited.").
			NotEmpty().MaxLen(200).Annotations(recordRead("HOMEWORK")),
		field.Text("instructions").
			Comment("What the client is asked to do. Every read is audited.").
			Default("").Annotations(recordRead("HOMEWORK")),
		field.Time("due_at").
			Comment("When the assignment is due; null if no date.").
			Optional().Nillable(),
		field.Time("completed_at").
			Comment("When the client completed it; null until then.").
			Optional().Nillable(),
	}
}

func (Homework) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("appointment", Appointment.Type).
			Comment("The session the homework was given at, if any.").
			Field("appointment_id").Unique(),
	}
}

func (Homework) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An assignment a provider gives the client."),
		entgql.RelayConnection(),
	}
}

// Document is a file in the client's document centre.
type Document struct{ ent.Schema }

func (Document) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("doc"), TenantMixin{}, TimeMixin{}}
}

func (Document) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("title").
			Comment("The document's title. Every read is audited.").
			NotEmpty().MaxLen(300).Annotations(recordRead("DOCUMENT")),
		field.String("file_name").
			Comment("The name of the uploaded file. Every read is audited.").
			NotEmpty().MaxLen(300).Annotations(recordRead("DOCUMENT")),
		field.String("content_type").
			Comment("The file's media type (for example application/pdf).").
			Default("application/octet-stream").MaxLen(200),
		field.Int64("size_bytes").
			Comment("The file's size in bytes.").
			NonNegative().Default(0),
		field.String("storage_key").NotEmpty().MaxLen(500).Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("uploaded_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Document) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("uploaded_by", User.Type).
			Comment("Who uploaded the file; null if unknown.").
			Field("uploaded_by_id").Unique().Immutable(),
	}
}

func (Document) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A file in the client's document centre."),
		entgql.RelayConnection(),
	}
}

// Invoice is a bill for a client's sessions.
type Invoice struct{ ent.Schema }

func (Invoice) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ivc"), TenantMixin{}, TimeMixin{}}
}

func (Invoice) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("number").
			Comment("The invoice number, unique in the organization. Every read is audited.").
			NotEmpty().MaxLen(50).Annotations(recordRead("INVOICE")),
		field.Int64("amount_cents").
			Comment("The amount due, in cents of the currency. Every read is audited.").
			NonNegative().Annotations(recordRead("INVOICE")),
		field.String("currency").
			Comment("The ISO 4217 currency code (for example USD).").
			Default("USD").MaxLen(3).MinLen(3),
		field.Enum("status").
			Comment("Whether the invoice is a draft, issued, paid or void.").
			NamedValues("Draft", "DRAFT", "Issued", "ISSUED", "Paid", "PAID", "Void", "VOID").
			Default("DRAFT"),
		field.Time("issued_at").
			Comment("When the invoice was issued; null while a draft.").
			Optional().Nillable(),
		field.Time("due_at").
			Comment("When payment is due; null if no date.").
			Optional().Nillable(),
	}
}

func (Invoice) Edges() []ent.Edge { return []ent.Edge{clientEdge()} }

func (Invoice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "number").Unique()}
}

func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A bill for a client's sessions."),
		entgql.RelayConnection(),
	}
}

// SurveyResponse is a completed survey about a client.
type SurveyResponse struct{ ent.Schema }

func (SurveyResponse) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("svr"), TenantMixin{}, TimeMixin{}}
}

func (SurveyResponse) Fields() []ent.Field {
	return []ent.Field{
		clientRef(),
		field.String("survey_name").
			Comment("The name of the survey. Every read is audited.").
			NotEmpty().MaxLen(200).Annotations(recordRead("SURVEY_RESPONSE")),
		field.JSON("answers", map[string]any{}).
			Comment("The answers, keyed by question. Every read is audited.").
			Optional().
			Annotations(entgql.Type("Map"), recordRead("SURVEY_RESPONSE")),
		field.String("submitted_by_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("submitted_at").
			Comment("When the survey was submitted."),
	}
}

func (SurveyResponse) Edges() []ent.Edge {
	return []ent.Edge{
		clientEdge(),
		edge.To("submitted_by", User.Type).
			Comment("Who submitted the survey; null if unknown.").
			Field("submitted_by_id").Unique().Immutable(),
	}
}

func (SurveyResponse) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A completed survey about a client."),
		entgql.RelayConnection(),
	}
}

func (SessionNote) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A clinician's note, and the transcript, on a session."),
	}
}
