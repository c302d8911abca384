// Package graph is the GraphQL transport: gqlgen resolvers over the ent
// client. Resolvers translate wire shapes to ent queries or domain calls and
// back; access rules live in internal/authz, reached through ent's privacy
// layer and schema directives.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/passkey"
)

// MaxNodes bounds the ids of one nodes(ids:) query.
const MaxNodes = 100

// Resolver is the root resolver.
type Resolver struct {
	client   *ent.Client
	passkeys *passkey.Service // nil: passkey ceremonies are UNAVAILABLE
}

// NewSchema returns the executable schema over client.
func NewSchema(client *ent.Client) graphql.ExecutableSchema { return newSchema(client, nil) }

func newSchema(client *ent.Client, passkeys *passkey.Service) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{client: client, passkeys: passkeys}, Directives: directives(client)})
}
