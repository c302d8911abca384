// Package authz is the one place that knows the access rules: which rows
// and fields a viewer may read or change. ent's privacy policies, GraphQL
// directives and SCIM handlers call it; none of them re-implements a rule.
package authz
