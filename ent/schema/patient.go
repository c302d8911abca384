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

// Patient is the person receiving care, called a client throughout the
// product and in GraphQL. The Go name differs only because ent reserves
// "Client" for its generated database client.
type Patient struct{ ent.Schema }

func (Patient) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("cli"), TenantMixin{}, TimeMixin{}}
}

func (Patient) Fields() []ent.Field {
	return []ent.Field{
		// Names and contact details are part of the record: every read is
		// audited.
		field.String("given_name").
			Comment("The client's given (first) name. Every read is audited.").
			NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("GIVEN_NAME"), recordRead("CLIENT_PROFILE")),
		field.String("family_name").
			Comment("The client's family (last) name. Every read is audited.").
			NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("FAMILY_NAME"), recordRead("CLIENT_PROFILE")),
		field.String("preferred_name").
			Comment("The name the client prefers to be called; empty when not given. Every read is audited.").
			Default("").MaxLen(200).Annotations(recordRead("CLIENT_PROFILE")),
		field.Enum("status").
			Comment("Whether the client is active, discharged or archived.").
			NamedValues("Active", "ACTIVE", "Discharged", "DISCHARGED", "Archived", "ARCHIVED").
			Default("ACTIVE"),
		// restricted clients are reached only through explicit links,
		// emergency access and portal access.
		field.Bool("restricted").
			Comment("A restricted client is reached only through explicit links, emergency access and portal access, not through business units.").
			Default(false),
		// Protected health information below.
		field.Time("date_of_birth").
			Comment("The client's date of birth. Protected health information: staff who reach the client only, every read is audited.").
			Optional().Nillable().
			Annotations(phi()...),
		field.String("phone").
			Comment("The client's phone number. Every read is audited.").
			Optional().MaxLen(50).Annotations(recordRead("CLIENT_PROFILE")),
		field.String("address").
			Comment("The client's postal address. Every read is audited.").
			Optional().MaxLen(1000).Annotations(recordRead("CLIENT_PROFILE")),
		field.String("gender").
			Comment("The client's gender. Protected health information: staff who reach the client only, every read is audited.").
			Optional().MaxLen(50).
			Annotations(phi()...),
		field.String("medical_record_number").
			Comment("The client's medical record number. Protected health information: staff who reach the client only, every read is audited.").
			Optional().MaxLen(100).
			Annotations(phi()...),
		field.Text("diagnosis").
			Comment("The client's diagnosis. Protected health information: staff who reach the client only, every read is audited.").
			Optional().
			Annotations(phi()...),
		field.String("business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Patient) Edges() []ent.Edge {
	return []ent.Edge{
		// A client belongs to at most one business unit: a single column.
		edge.To("business_unit", BusinessUnit.Type).
			Comment("The business unit that looks after the client, if any.").
			Field("business_unit_id").Unique(),
		edge.From("accesses", ClientAccess.Type).
			Comment("The explicit links giving users access to the client.").
			Ref("client").
			Annotations(entgql.RelayConnection()),
		edge.From("portal_accesses", PortalAccess.Type).
			Comment("The portal users who may see the client, with their permissions.").
			Ref("client").
			Annotations(entgql.RelayConnection()),
		// Contact Info: the client's email lives here, one row per contact.
		edge.From("contacts", ClientContact.Type).Ref("client").
			Comment("The client's contacts (Contact Info), the client themself among them when known.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.From("appointments", Appointment.Type).
			Comment("The client's sessions, scheduled or held.").
			Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("documents", Document.Type).
			Comment("The files in the client's document centre.").
			Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("invoices", Invoice.Type).
			Comment("The client's invoices.").
			Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("survey_responses", SurveyResponse.Type).
			Comment("The surveys completed about the client.").
			Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("homework", Homework.Type).
			Comment("The assignments given to the client.").
			Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("emergency_accesses", EmergencyAccess.Type).
			Comment("The break-glass windows opened on the client.").
			Ref("client"),
		edge.From("invitations", Invitation.Type).Ref("clients").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// phi marks protected health information: staff who reach the client read
// it, portal users never, every read is audited, and it is not filterable
// (a filter would let a viewer refused the field probe its value).
func phi() []schema.Annotation {
	return []schema.Annotation{
		entgql.Directives(accessDirective("CLIENT_PHI"), auditDirective("CLIENT_PROFILE")),
		entgql.Skip(entgql.SkipWhereInput),
	}
}

func (Patient) Indexes() []ent.Index {
	return []ent.Index{
		// A business unit's unrestricted clients in id order, and their
		// count, straight from the index (internal/authz.ClientsVisible).
		index.Fields("organization_id", "business_unit_id", "restricted", "id"),
		index.Fields("organization_id", "family_name", "given_name"),
	}
}

func (Patient) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The person receiving care. Staff reach a client through business units, explicit links or emergency access; portal users through portal access."),
		// GraphQL calls this type Client: see renameType in ent/entc.go.
		entgql.Implements("Client"),
		entgql.RelayConnection(),
		entgql.QueryField("clients").Description("The clients the viewer may reach."),
	}
}
