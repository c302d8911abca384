package authz

import (
	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// sessionViewCovers selects whether the organization's session view
// covers one of v's roles (Role.session_view, set from the team
// settings). A viewer without roles is covered by none.
func sessionViewCovers(v *viewer.Viewer) *sql.Predicate {
	if len(v.RoleIDs) == 0 {
		return sql.False()
	}
	ids := make([]any, len(v.RoleIDs))
	for i, id := range v.RoleIDs {
		ids[i] = string(id)
	}
	r := sql.Table(role.Table)
	return sql.Exists(sql.Select(r.C(role.FieldID)).From(r).Where(sql.And(
		sql.In(r.C(role.FieldID), ids...),
		sql.EQ(r.C(role.FieldOrganizationID), string(v.OrgID)),
		sql.EQ(r.C(role.FieldSessionView), true),
	)))
}
