package authz

import "slices"

// Privilege is one capability a role can hold ("Managing User Privileges").
type Privilege string

// The catalogue. Keys are stored in roles' privilege lists: never rename one
// without a migration.
const (
	OrgDelete            Privilege = "org.delete"
	OrgTransferOwnership Privilege = "org.transfer_ownership"
	OrgSettingsManage    Privilege = "org.settings.manage"

	UsersInvite         Privilege = "users.invite"
	UsersManage         Privilege = "users.manage"
	RolesManage         Privilege = "roles.manage"
	BusinessUnitsManage Privilege = "business_units.manage"

	ClientsAccessAll          Privilege = "clients.access.all"
	ClientsAccessBusinessUnit Privilege = "clients.access.business_unit"
	ClientsCreate             Privilege = "clients.create"
	ClientsEdit               Privilege = "clients.edit"
	ClientsShare              Privilege = "clients.share"
	PortalManage              Privilege = "portal.manage"

	StaffProfilesAccessAll                 Privilege = "staff_profiles.access.all"
	StaffProfilesAccessPrimaryBusinessUnit Privilege = "staff_profiles.access.primary_business_unit"
	StaffProfilesManage                    Privilege = "staff_profiles.manage"

	SessionsManageOwn      Privilege = "sessions.manage_own"
	SessionNotesViewOthers Privilege = "sessions.notes.view_others"
	ScheduleViewAll        Privilege = "schedule.view_all"
	HomeworkView           Privilege = "homework.view"
	HomeworkManage         Privilege = "homework.manage"
	DocumentsView          Privilege = "documents.view"
	DocumentsManage        Privilege = "documents.manage"
	SurveysView            Privilege = "surveys.view"

	BillingView   Privilege = "billing.view"
	BillingManage Privilege = "billing.manage"
	ReportsView   Privilege = "reports.view"
	AuditView     Privilege = "audit.view"

	EmergencyAccessUse Privilege = "emergency_access.use"
)

// PrivilegeInfo describes a privilege for the "Managing User Privileges"
// screen.
type PrivilegeInfo struct {
	Key         Privilege
	Name        string
	Description string
	Group       string
	// OwnerOnly privileges belong to the account owner and cannot be put
	// into any other role.
	OwnerOnly bool
}

var catalogue = []PrivilegeInfo{
	{OrgDelete, "Delete the organization", "Close the organization and delete its data.", "Organization", true},
	{OrgTransferOwnership, "Transfer ownership", "Make another administrator the account owner.", "Organization", true},
	{OrgSettingsManage, "Manage organization settings", "Session view, MFA and sign-in policy, single sign-on, SCIM provisioning, billing plan.", "Organization", false},
	{UsersInvite, "Invite users", "Invite users singly or in bulk, with roles that hold no privilege the inviter lacks.", "Team", false},
	{UsersManage, "Manage users", "Edit, suspend, reactivate and remove users; assign roles and business units.", "Team", false},
	{RolesManage, "Manage roles", "Create custom roles and toggle their privileges.", "Team", false},
	{BusinessUnitsManage, "Manage business units", "Create and edit business units and assign clients to them.", "Team", false},
	{ClientsAccessAll, "Access all clients", "See every client of the organization (restricted clients excepted).", "Clients", false},
	{ClientsAccessBusinessUnit, "Access all clients in assigned business units", "See every client in each business unit the user belongs to.", "Clients", false},
	{ClientsCreate, "Create clients", "Add new clients.", "Clients", false},
	{ClientsEdit, "Edit client profiles", "Change the profile of clients the user can reach.", "Clients", false},
	{ClientsShare, "Share clients", "Give other users access to clients the user can reach.", "Clients", false},
	{PortalManage, "Manage client portal access", "Add and remove portal users and their permissions.", "Clients", false},
	{StaffProfilesAccessAll, "Access all staff profiles", "See every staff profile of the organization.", "Staff", false},
	{StaffProfilesAccessPrimaryBusinessUnit, "Access all staff profiles in the primary business unit", "See the staff profiles of the user's primary business unit.", "Staff", false},
	{StaffProfilesManage, "Manage staff profiles", "Create and edit employee records and create users from them.", "Staff", false},
	{SessionsManageOwn, "Run sessions", "Create and manage one's own sessions, notes and transcripts.", "Clinical", false},
	{SessionNotesViewOthers, "View clinician session notes", "Read other clinicians' notes while the organization's session view is on.", "Clinical", false},
	{ScheduleViewAll, "Scheduler", "See every provider's schedule (a restricted client's sessions only when the client is reached), whatever the user's own schedule level; for office staff, the scheduler tab.", "Clinical", false},
	{HomeworkView, "View homework", "Read the homework of reached clients.", "Clinical", false},
	{HomeworkManage, "Assign homework", "Assign and edit homework for reached clients.", "Clinical", false},
	{DocumentsView, "View documents", "Read the documents of reached clients.", "Clinical", false},
	{DocumentsManage, "Manage documents", "Upload and remove documents of reached clients.", "Clinical", false},
	{SurveysView, "View survey responses", "Read the survey responses of reached clients.", "Clinical", false},
	{BillingView, "Billing tab", "See invoices, payments and insurance of reached clients.", "Billing", false},
	{BillingManage, "Manage billing", "Create and change invoices.", "Billing", false},
	{ReportsView, "Reports", "See reports.", "Billing", false},
	{AuditView, "View the audit trail", "Query who did what to whom.", "Compliance", false},
	{EmergencyAccessUse, "Emergency access", "Open a client the user has no path to, for a limited time, giving a reason.", "Compliance", false},
}

// Catalogue returns every privilege, in display order.
func Catalogue() []PrivilegeInfo { return slices.Clone(catalogue) }

// Lookup returns a privilege's description.
func Lookup(p Privilege) (PrivilegeInfo, bool) {
	for _, info := range catalogue {
		if info.Key == p {
			return info, true
		}
	}
	return PrivilegeInfo{}, false
}

// BuiltinRole is a role seeded in every organization.
type BuiltinRole struct {
	Key         string // the role's builtin enum value
	Name        string
	Description string
	Privileges  []Privilege
}

// BuiltinRoles returns the roles seeded in every new organization.
func BuiltinRoles() []BuiltinRole {
	all := make([]Privilege, 0, len(catalogue))
	admin := make([]Privilege, 0, len(catalogue))
	for _, info := range catalogue {
		all = append(all, info.Key)
		// An administrator is not a clinician: running sessions (and so
		// editing notes and transcripts) is the clinician role's.
		if !info.OwnerOnly && info.Key != SessionsManageOwn {
			admin = append(admin, info.Key)
		}
	}
	return []BuiltinRole{
		{"ACCOUNT_OWNER", "Account owner", "Owns the organization: everything an administrator can do, plus deleting the organization and transferring ownership.", all},
		{"ADMINISTRATOR", "Administrator", "Manages the team and its settings; cannot delete the organization or downgrade the account owner.", admin},
		// A supervisor shares the clients they reach from a client's page
		// (seed 000, option 2: clients.share); inviting from organization
		// settings is the manager's (option 1: users.invite).
		{"SUPERVISOR", "Supervisor", "Supervises clinicians and shares the clients they can reach from a client's page.", []Privilege{
			ClientsAccessBusinessUnit, ClientsCreate, ClientsEdit, ClientsShare, PortalManage,
			StaffProfilesAccessPrimaryBusinessUnit, SessionsManageOwn,
			HomeworkView, HomeworkManage, DocumentsView, DocumentsManage, SurveysView,
			ReportsView, EmergencyAccessUse,
		}},
		{"CLINICIAN", "Clinician", "Provides care: creates and manages their own sessions and documentation.", []Privilege{
			SessionsManageOwn, HomeworkView, HomeworkManage, DocumentsView, DocumentsManage, SurveysView,
			ClientsEdit, EmergencyAccessUse,
		}},
		{"TEACHER", "Teacher", "Works with the clients linked to them: homework and documents.", []Privilege{
			HomeworkView, HomeworkManage, DocumentsView, DocumentsManage,
		}},
		// Office staff's reports, billing and schedule come from the tabs
		// ticked for them (TabPrivileges), never from this role.
		{"OFFICE_STAFF", "Office staff", "Front desk: creates clients; sees exactly the tabs ticked for them (dashboard and reports by default).", []Privilege{
			ClientsCreate,
		}},
	}
}
