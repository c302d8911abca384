// Package graph is the GraphQL transport: gqlgen resolvers over the ent
// client. Resolvers translate wire shapes to ent queries or domain calls and
// back; access rules live in internal/authz, reached through ent's privacy
// layer and schema directives.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/passkey"
)

// MaxNodes bounds the ids of one nodes(ids:) query.
const MaxNodes = 100

// Resolver is the root resolver.
type Resolver struct {
	client   *ent.Client
	mfa      *mfa.Service
	passkeys *passkey.Service // nil: passkey ceremonies are UNAVAILABLE
}

// NewSchema returns the executable schema over client, without a server key
// (second-factor enrolment and verification answer INTERNAL).
func NewSchema(client *ent.Client) graphql.ExecutableSchema {
	return NewSchemaWith(client, Services{})
}

// Services are the domain services resolvers need beyond the client.
type Services struct {
	// MFA runs second-factor enrolment and verification.
	MFA *mfa.Service
	// Passkeys is the WebAuthn relying party (passkey.New with the
	// server's PUBLIC_URL); nil answers the passkey ceremonies UNAVAILABLE.
	Passkeys *passkey.Service
}

// NewSchemaWith returns the executable schema over client and services.
func NewSchemaWith(client *ent.Client, s Services) graphql.ExecutableSchema {
	if s.MFA == nil {
		s.MFA = mfa.New(client, mfa.Config{})
	}
	return NewExecutableSchema(Config{Resolvers: &Resolver{client: client, mfa: s.MFA, passkeys: s.Passkeys}, Directives: directives(client)})
}
