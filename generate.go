// Package clinicgate is the access-control and identity server for clinical
// teams. The code lives in cmd/, graph/, ent/, scim/, auth/ and internal/;
// this file only orders code generation: ent first (it writes the GraphQL
// schema gqlgen reads), then gqlgen through graph/gqlgen, which marshals
// lists in order (see there why).
package clinicgate

//go:generate go run -mod=mod ./ent/entc.go ./ent/describe.go
//go:generate go run ./graph/gqlgen
