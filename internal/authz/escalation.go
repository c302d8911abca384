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
//     administrator staffs without performing them: the Clients, Staff,
//     Clinical and Billing groups of the catalogue. Seed 004's
//     administrator is not a clinician, yet gives the clinician role.
//
// Power over the organization, the team, the audit trail and break-glass
// (the Organization, Team and Compliance groups) is handed out only by
// someone who holds it. The job-function exception never lets a viewer
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
	return v.Has(string(UsersManage)) && jobFunction(info.Group)
}

// jobFunction reports whether privileges of group are job functions (see
// MayHandOut).
func jobFunction(group string) bool {
	switch group {
	case "Clients", "Staff", "Clinical", "Billing":
		return true
	}
	return false
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
