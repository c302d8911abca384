package pulid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// Mixin gives a schema a prefixed ULID primary key.
type Mixin struct {
	mixin.Schema
	prefix string
}

// MixinWithPrefix returns the ID mixin for a type with the given prefix.
func MixinWithPrefix(prefix string) Mixin { return Mixin{prefix: prefix} }

// Fields declares the id field.
func (m Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			Comment("The globally unique ID of the object; its prefix names the type.").
			GoType(ID("")).
			MaxLen(40).
			NotEmpty().
			Immutable().
			DefaultFunc(func() ID { return New(m.prefix) }),
	}
}

// Annotation records the prefix so the generated prefix map can route IDs.
type Annotation struct{ Prefix string }

// Name implements schema.Annotation.
func (Annotation) Name() string { return "PULID" }

// Annotations returns the prefix annotation.
func (m Mixin) Annotations() []schema.Annotation {
	return []schema.Annotation{Annotation{Prefix: m.prefix}}
}
