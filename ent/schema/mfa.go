package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// WebAuthnCredential is a passkey or security key registered as a second
// factor. Only the public key is stored; the private key never leaves the
// authenticator.
type WebAuthnCredential struct{ ent.Schema }

func (WebAuthnCredential) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("wac"), TenantMixin{}, TimeMixin{}}
}

func (WebAuthnCredential) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.String("name").Default("Security key").MaxLen(100),
		// credential_id is the authenticator's id for the key, unique
		// across the server (WebAuthn §6.1: a relying party refuses a
		// credential id registered to another user).
		field.Bytes("credential_id").NotEmpty().MaxLen(1023).Unique().Immutable(),
		// public_key is the COSE-encoded public key.
		field.Bytes("public_key").NotEmpty().Immutable(),
		field.String("attestation_type").Default("none").MaxLen(50).Immutable(),
		field.Bytes("aaguid").Optional().Immutable(),
		// sign_count is the authenticator's counter as last seen; an
		// assertion with a counter not above it (when either is non-zero)
		// is refused as a possible clone.
		field.Uint32("sign_count").Default(0),
		field.Strings("transports").Optional(),
		field.Bool("backup_eligible").Default(false),
		field.Bool("backup_state").Default(false),
		field.Bool("user_verified").Default(false),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

func (WebAuthnCredential) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (WebAuthnCredential) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

func (WebAuthnCredential) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// WebAuthnChallenge is one passkey ceremony in progress: the challenge the
// server sent, bound to the session that asked for it. It is deleted when
// the ceremony's answer is checked (single use) and refused after
// expires_at; a new ceremony of the session replaces the old ones.
type WebAuthnChallenge struct{ ent.Schema }

func (WebAuthnChallenge) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("wch"), TenantMixin{}}
}

func (WebAuthnChallenge) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.String("session_id").GoType(pulid.ID("")).NotEmpty().Immutable(),
		field.Enum("purpose").Values("registration", "verification").Immutable(),
		// challenge_hash is the SHA-256 of the challenge, the key the
		// answer's clientDataJSON is matched with.
		field.Bytes("challenge_hash").Sensitive().NotEmpty().Unique().Immutable(),
		// session_data is the library's ceremony state (JSON): the
		// challenge, user handle, allowed credentials, user verification.
		field.Bytes("session_data").Sensitive().NotEmpty().Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
	}
}

func (WebAuthnChallenge) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (WebAuthnChallenge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("session_id")}
}

func (WebAuthnChallenge) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}

// PasswordResetToken is a single-use self-service password reset link,
// stored as a SHA-256 of the token the email carries.
type PasswordResetToken struct{ ent.Schema }

func (PasswordResetToken) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("prt"), TenantMixin{}}
}

func (PasswordResetToken) Fields() []ent.Field {
	return []ent.Field{
		userRef(),
		field.Bytes("token_hash").Sensitive().Unique().Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
		field.String("ip").Default("").MaxLen(64).Immutable(),
	}
}

func (PasswordResetToken) Edges() []ent.Edge { return []ent.Edge{userEdge()} }

func (PasswordResetToken) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
