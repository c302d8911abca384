// Package ssomapping holds the claim mapping of an SSO connection, a JSON
// column: its own package, so that the generated ent code can name it
// without importing ent/schema (which imports packages that import ent).
package ssomapping

import "github.com/clinicgate/clinicgate/ent/schema/pulid"

// Mapping maps one value of an SSO connection's groups claim to a role or
// a business unit (exactly one of the two).
type Mapping struct {
	Value          string   `json:"value"`
	RoleID         pulid.ID `json:"role_id,omitempty"`
	BusinessUnitID pulid.ID `json:"business_unit_id,omitempty"`
}
