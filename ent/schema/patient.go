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
		field.String("given_name").NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("GIVEN_NAME"), recordRead("CLIENT_PROFILE")),
		field.String("family_name").NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("FAMILY_NAME"), recordRead("CLIENT_PROFILE")),
		field.String("preferred_name").Default("").MaxLen(200).Annotations(recordRead("CLIENT_PROFILE")),
		field.Enum("status").NamedValues("Active", "ACTIVE", "Discharged", "DISCHARGED", "Archived", "ARCHIVED").
			Default("ACTIVE"),
		// restricted clients are reached only through explicit links,
		// emergency access and portal access.
		field.Bool("restricted").Default(false),
		// Protected health information below.
		field.Time("date_of_birth").Optional().Nillable().
			Annotations(phi()...),
		field.String("phone").Optional().MaxLen(50).Annotations(recordRead("CLIENT_PROFILE")),
		field.String("address").Optional().MaxLen(1000).Annotations(recordRead("CLIENT_PROFILE")),
		field.String("gender").Optional().MaxLen(50).
			Annotations(phi()...),
		field.String("medical_record_number").Optional().MaxLen(100).
			Annotations(phi()...),
		field.Text("diagnosis").Optional().
			Annotations(phi()...),
		field.String("business_unit_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Patient) Edges() []ent.Edge {
	return []ent.Edge{
		// A client belongs to at most one business unit: a single column.
		edge.To("business_unit", BusinessUnit.Type).Field("business_unit_id").Unique(),
		edge.From("accesses", ClientAccess.Type).Ref("client").
			Annotations(entgql.RelayConnection()),
		edge.From("portal_accesses", PortalAccess.Type).Ref("client").
			Annotations(entgql.RelayConnection()),
		// Contact Info: the client's email lives here, one row per contact.
		edge.From("contacts", ClientContact.Type).Ref("client").
			Comment("The client's contacts (Contact Info), the client themself among them when known.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.From("appointments", Appointment.Type).Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("documents", Document.Type).Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("invoices", Invoice.Type).Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("survey_responses", SurveyResponse.Type).Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("homework", Homework.Type).Ref("client").Annotations(entgql.RelayConnection()),
		edge.From("emergency_accesses", EmergencyAccess.Type).Ref("client"),
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
		// GraphQL calls this type Client: see renameType in ent/entc.go.
		entgql.Implements("Client"),
		entgql.RelayConnection(),
		entgql.QueryField("clients"),
	}
}
