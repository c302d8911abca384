// Package team holds the domain operations of team administration: custom
// roles and their privileges, the roles of a user, ownership transfer, and
// the team's security settings (session view, MFA, sign-in method, idle
// log-off, break-glass window). Each runs in the caller's transaction,
// asks internal/authz first (authz.Require) and writes one audit event
// there. Nothing here is GraphQL-specific: SCIM calls the same operations.
package team

// Audit actions of this package.
const (
	RoleCreated          = "role.created"
	RoleUpdated          = "role.updated"
	RoleDeleted          = "role.deleted"
	UserRolesChanged     = "user.roles_changed"
	OwnershipTransferred = "org.ownership_transferred"
	SettingsChanged      = "org.settings_changed"
)
