package authz

import "github.com/clinicgate/clinicgate/internal/viewer"

// MayHandOut decides whether v may give privilege p to someone else — in
// a role they assign, a role they edit, an invitation or an office tab. It
// is the one rule against privilege escalation, shared by every concern:
//
//   - an owner-only privilege is never handed out (it moves with
//     ownership);
//   - a privilege v holds may be handed out;
//   - a user manager (users.manage) also hands out the job functions an
//     administrator staffs without performing them: what to do with the
//     records of clients one reaches (run sessions, read and write
//     documents, homework, surveys, billing, reports, edit profiles).
//     Seed 004's administrator is not a clinician, yet gives the
//     clinician role.
//
// Reach (which clients, staff profiles and schedules one sees, sharing
// them, the portal), power over the organization, the team and the audit
// trail, and break-glass are handed out only by someone who holds them. The job-function exception never lets a viewer
// raise their own privileges: assigning roles to oneself and editing a role
// one holds use the strict rule (HoldsAll).
func MayHandOut(v *viewer.Viewer, p string) bool {
	info, ok := Lookup(Privilege(p))
	if !ok || info.OwnerOnly {
		return false
	}
	if v.Has(p) {
		return true
	}
	return v.Has(string(UsersManage)) && jobFunctions[info.Key]
}

// jobFunctions are the privileges a user manager hands out without holding
// them (see MayHandOut): none of them opens a client, a staff profile or a
// schedule the recipient does not otherwise reach.
var jobFunctions = map[Privilege]bool{
	ClientsCreate: true, ClientsEdit: true,
	SessionsManageOwn: true, SessionNotesViewOthers: true,
	HomeworkView: true, HomeworkManage: true, DocumentsView: true, DocumentsManage: true, SurveysView: true,
	BillingView: true, BillingManage: true, ReportsView: true,
}

// FirstNotHandedOut returns the first of ps that v may not hand out, or ""
// when v may hand out all of them.
func FirstNotHandedOut(v *viewer.Viewer, ps []string) string {
	for _, p := range ps {
		if !MayHandOut(v, p) {
			return p
		}
	}
	return ""
}
