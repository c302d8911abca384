package schema

import (
	"entgo.io/ent"

	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// Access policies: after the tenant rule (TenantMixin), each type's read
// rule from internal/authz. Writes are denied unless authz.Require decided
// them or the server makes them (TenantMixin's authz.WriteRule), and are
// confined to the tenant.

func readPolicy(rules ...privacy.QueryRule) ent.Policy {
	return privacy.Policy{Query: privacy.QueryPolicy(rules)}
}

func (Patient) Policy() ent.Policy            { return readPolicy(authz.ClientRule()) }
func (Document) Policy() ent.Policy           { return readPolicy(authz.DocumentRule()) }
func (Homework) Policy() ent.Policy           { return readPolicy(authz.HomeworkRule()) }
func (SurveyResponse) Policy() ent.Policy     { return readPolicy(authz.SurveyResponseRule()) }
func (Invoice) Policy() ent.Policy            { return readPolicy(authz.InvoiceRule()) }
func (Appointment) Policy() ent.Policy        { return readPolicy(authz.AppointmentRule()) }
func (SessionNote) Policy() ent.Policy        { return readPolicy(authz.SessionNoteRule()) }
func (ClientAccess) Policy() ent.Policy       { return readPolicy(authz.ClientAccessRule()) }
func (PortalAccess) Policy() ent.Policy       { return readPolicy(authz.PortalAccessRule()) }
func (ClientContact) Policy() ent.Policy      { return readPolicy(authz.ClientContactRule()) }
func (EmergencyAccess) Policy() ent.Policy    { return readPolicy(authz.EmergencyAccessRule()) }
func (StaffProfile) Policy() ent.Policy       { return readPolicy(authz.StaffProfileRule()) }
func (StaffProfileAccess) Policy() ent.Policy { return readPolicy(authz.StaffProfileAccessRule()) }
func (User) Policy() ent.Policy               { return readPolicy(authz.UserRule()) }
func (Role) Policy() ent.Policy               { return readPolicy(authz.StaffOnlyRule()) }
func (BusinessUnit) Policy() ent.Policy       { return readPolicy(authz.BusinessUnitRule()) }
func (AuditEvent) Policy() ent.Policy         { return readPolicy(authz.PrivilegeRule(authz.AuditView)) }
func (Invitation) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.UsersInvite, authz.UsersManage))
}
func (Subscription) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.OrgSettingsManage))
}
func (SeatCharge) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.OrgSettingsManage))
}
func (SSOConnection) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.OrgSettingsManage))
}
func (UserIdentity) Policy() ent.Policy { return readPolicy(authz.OwnRowsRule()) }
func (SCIMToken) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.OrgSettingsManage))
}
func (SCIMGroupMapping) Policy() ent.Policy {
	return readPolicy(authz.PrivilegeRule(authz.OrgSettingsManage))
}
func (Session) Policy() ent.Policy            { return readPolicy(authz.OwnRowsRule()) }
func (PasswordCredential) Policy() ent.Policy { return readPolicy(authz.OwnRowsRule()) }
func (TOTPFactor) Policy() ent.Policy         { return readPolicy(authz.OwnRowsRule()) }
func (RecoveryCode) Policy() ent.Policy       { return readPolicy(authz.OwnRowsRule()) }
func (WebAuthnCredential) Policy() ent.Policy { return readPolicy(authz.OwnRowsRule()) }
func (WebAuthnChallenge) Policy() ent.Policy  { return readPolicy(authz.OwnRowsRule()) }
func (PasswordResetToken) Policy() ent.Policy { return readPolicy(authz.SystemOnlyRule()) }
func (OutboxMessage) Policy() ent.Policy      { return readPolicy(authz.OutboxRule()) }
