package authz

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A rowFilter adds to s, a query of one type, the rows of that type the
// viewer in ctx may read beyond the tenant. It is the one definition of a
// type's read rule: the type's privacy policy applies it to every query
// of the type, and RowScope to the subqueries of relation filters, which
// ent's privacy layer never sees.
type rowFilter func(ctx context.Context, s *sql.Selector)

// rowFilters holds every type's read rule, by ent type name. A type
// missing here is unreadable through relation filters (RowScope denies it);
// TestEveryTypeHasARowFilter keeps the table complete.
var rowFilters = map[string]rowFilter{
	"Patient":            clientRows,
	"Document":           documentRows,
	"Homework":           homeworkRows,
	"SurveyResponse":     surveyResponseRows,
	"Invoice":            invoiceRows,
	"Appointment":        appointmentRows,
	"SessionNote":        sessionNoteRows,
	"ClientAccess":       clientAccessRows,
	"PortalAccess":       portalAccessRows,
	"ClientContact":      clientContactRows,
	"EmergencyAccess":    emergencyAccessRows,
	"StaffProfile":       staffProfileRows,
	"StaffProfileAccess": staffProfileAccessRows,
	"User":               userRows,
	"Role":               allowedRows(staffOnly),
	"BusinessUnit":       allowedRows(staffOnly),
	"AuditEvent":         allowedRows(privileged(AuditView)),
	"Invitation":         allowedRows(privileged(UsersInvite, UsersManage)),
	"Subscription":       allowedRows(privileged(OrgSettingsManage)),
	"SeatCharge":         allowedRows(privileged(OrgSettingsManage)),
	"SSOConnection":      allowedRows(privileged(OrgSettingsManage)),
	"SCIMToken":          allowedRows(privileged(OrgSettingsManage)),
	"SCIMGroupMapping":   allowedRows(privileged(OrgSettingsManage)),
	"SCIMGroupMember":    allowedRows(privileged(OrgSettingsManage)),
	"Session":            ownRows,
	"PasswordCredential": ownRows,
	"TOTPFactor":         ownRows,
	"RecoveryCode":       ownRows,
	"WebAuthnCredential": ownRows,
	"WebAuthnChallenge":  ownRows,
	"UserIdentity":       ownRows,
	"PasswordResetToken": allowedRows(systemOnly),
	"OutboxMessage":      allowedRows(systemOnly),
	"Organization":       func(context.Context, *sql.Selector) {}, // confined to the viewer's own row by the tenant part
}

func privileged(ps ...Privilege) func(context.Context) bool {
	return func(ctx context.Context) bool { return holdsAny(ctx, ps) }
}

// RowScope returns the predicate that confines a query of the ent type
// named typ to the rows the viewer in ctx may read: the viewer's
// organization, then the type's read rule — the decision its privacy
// policy makes, as SQL. Relation filters (has<Edge>With) put it inside
// their subquery, so that a row is never matched by related rows the
// viewer could not read. Without a viewer, or for an unknown type, it
// matches nothing.
func RowScope(ctx context.Context, typ string) func(*sql.Selector) {
	filter, ok := rowFilters[typ]
	v := viewer.FromContext(ctx)
	return func(s *sql.Selector) {
		if !ok || v == nil || v.OrgID == "" {
			deny(s)
			return
		}
		if typ == "Organization" {
			s.Where(sql.EQ(s.C("id"), string(v.OrgID)))
		} else {
			s.Where(sql.EQ(s.C("organization_id"), string(v.OrgID)))
		}
		filter(ctx, s)
	}
}

// HasRowScope reports whether RowScope knows the ent type named typ.
func HasRowScope(typ string) bool {
	_, ok := rowFilters[typ]
	return ok
}

// rowRule is the privacy query rule of the ent type typ: its row filter
// added to every query of the type as a SQL predicate (the tenant rule,
// which runs first, has confined it to the organization already).
func rowRule[P ~func(*sql.Selector), Q interface{ Where(...P) Q }](typ string) privacy.QueryRule {
	filter := rowFilters[typ]
	return privacy.QueryRuleFunc(func(ctx context.Context, q ent.Query) error {
		tq, ok := q.(Q)
		if !ok {
			return privacy.Denyf("authz: %T is not a %s query", q, typ)
		}
		tq.Where(func(s *sql.Selector) { filter(ctx, s) })
		return privacy.Skip
	})
}

// The read rules of the types whose rows are decided one by one.

func ClientRule() privacy.QueryRule {
	return rowRule[predicate.Patient, *ent.PatientQuery]("Patient")
}
func DocumentRule() privacy.QueryRule {
	return rowRule[predicate.Document, *ent.DocumentQuery]("Document")
}
func HomeworkRule() privacy.QueryRule {
	return rowRule[predicate.Homework, *ent.HomeworkQuery]("Homework")
}
func SurveyResponseRule() privacy.QueryRule {
	return rowRule[predicate.SurveyResponse, *ent.SurveyResponseQuery]("SurveyResponse")
}
func InvoiceRule() privacy.QueryRule {
	return rowRule[predicate.Invoice, *ent.InvoiceQuery]("Invoice")
}
func AppointmentRule() privacy.QueryRule {
	return rowRule[predicate.Appointment, *ent.AppointmentQuery]("Appointment")
}
func SessionNoteRule() privacy.QueryRule {
	return rowRule[predicate.SessionNote, *ent.SessionNoteQuery]("SessionNote")
}
func ClientAccessRule() privacy.QueryRule {
	return rowRule[predicate.ClientAccess, *ent.ClientAccessQuery]("ClientAccess")
}
func PortalAccessRule() privacy.QueryRule {
	return rowRule[predicate.PortalAccess, *ent.PortalAccessQuery]("PortalAccess")
}
func EmergencyAccessRule() privacy.QueryRule {
	return rowRule[predicate.EmergencyAccess, *ent.EmergencyAccessQuery]("EmergencyAccess")
}
func StaffProfileRule() privacy.QueryRule {
	return rowRule[predicate.StaffProfile, *ent.StaffProfileQuery]("StaffProfile")
}
func StaffProfileAccessRule() privacy.QueryRule {
	return rowRule[predicate.StaffProfileAccess, *ent.StaffProfileAccessQuery]("StaffProfileAccess")
}
func UserRule() privacy.QueryRule {
	return rowRule[predicate.User, *ent.UserQuery]("User")
}
