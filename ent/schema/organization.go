package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// Organization is the tenant: a clinic, practice, school or care team.
// Nothing crosses organizations.
type Organization struct{ ent.Schema }

func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("org"), TimeMixin{}}
}

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Comment("The organization's name.").
			NotEmpty().MaxLen(200),
		// slug names the organization at sign-in and in URLs; unique across
		// the server.
		field.String("slug").
			Comment("The short name that identifies the organization at sign-in and in URLs; unique on the server and fixed.").
			NotEmpty().MaxLen(63).Unique().Immutable(),
		// session_view lets roles holding the "view others' session notes"
		// privilege read clinicians' notes (Heidi's "Session View").
		field.Bool("session_view_enabled").
			Comment("Whether holders of the \"view others' session notes\" privilege in covered roles may read other clinicians' notes.").
			Default(false),
		field.Bool("require_mfa").Default(false).
			Comment("every member must use MFA"),
		field.Enum("sign_in_method").
			Comment("The sign-in method every member must use (ANY: password or single sign-on).").
			NamedValues("Any", "ANY", "Password", "PASSWORD", "SSO", "SSO").Default("ANY"),
		field.Int("emergency_access_minutes").Default(60).Positive().
			Comment("length of a break-glass window"),
		field.Int("session_idle_minutes").Optional().Nillable().Positive().
			Comment("overrides the server's idle timeout when shorter"),
		// access_epoch moves with every change to what a viewer is made
		// of (access_epoch.go); cached viewers are current while it stays.
		field.Int64(FieldAccessEpoch).Default(0).NonNegative().
			Comment("moves with every change to a member's roles, units, status or MFA policy").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// access_seq moves with every change that can narrow what anyone
		// in the organization may read (access_epoch.go): a read standby
		// that shows the primary's value has replayed them all.
		field.Int64(FieldAccessSeq).Default(0).NonNegative().
			Comment("moves with every change to who may read what: the viewers' epoch, links, break-glass, a client's unit or restriction").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The tenant: a clinic, practice, school or care team. Nothing crosses organizations."),
		entgql.RelayConnection(),
	}
}
