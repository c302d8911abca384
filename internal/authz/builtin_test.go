package authz_test

import (
	"slices"
	"testing"

	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The built-in roles match the seeds: the supervisor shares clients from a
// client's page but does not invite from organization settings (seed 000,
// option 2 vs option 1); the administrator manages the team but is not a
// clinician and holds no owner-only privilege (seed 004); the teacher reads
// homework and documents, not survey responses; office staff hold no
// tab-guarded privilege through their role (seed 003: the tabs decide).
func TestBuiltinRolesMatchTheSeeds(t *testing.T) {
	roles := map[string][]authz.Privilege{}
	for _, r := range authz.BuiltinRoles() {
		roles[r.Key] = r.Privileges
	}
	holds := func(role string, p authz.Privilege, want bool) {
		t.Helper()
		if slices.Contains(roles[role], p) != want {
			t.Errorf("%s holds %s: %v, want %v", role, p, !want, want)
		}
	}
	holds("SUPERVISOR", authz.ClientsShare, true)
	holds("SUPERVISOR", authz.UsersInvite, false)
	holds("SUPERVISOR", authz.UsersManage, false)
	holds("ADMINISTRATOR", authz.UsersInvite, true)
	holds("ADMINISTRATOR", authz.SessionsManageOwn, false)
	holds("ADMINISTRATOR", authz.OrgDelete, false)
	holds("ADMINISTRATOR", authz.OrgTransferOwnership, false)
	holds("ACCOUNT_OWNER", authz.OrgDelete, true)
	for _, role := range []string{"ACCOUNT_OWNER", "ADMINISTRATOR", "SUPERVISOR", "CLINICIAN"} {
		for _, p := range []authz.Privilege{authz.DocumentsView, authz.HomeworkView, authz.SurveysView} {
			holds(role, p, true)
		}
	}
	holds("TEACHER", authz.DocumentsView, true)
	holds("TEACHER", authz.HomeworkView, true)
	holds("TEACHER", authz.SurveysView, false)
	holds("TEACHER", authz.BillingView, false)
	holds("CLINICIAN", authz.BillingView, false)
	for _, p := range []authz.Privilege{authz.DocumentsView, authz.HomeworkView, authz.SurveysView,
		authz.BillingView, authz.BillingManage, authz.ReportsView, authz.ScheduleViewAll} {
		holds("OFFICE_STAFF", p, false)
	}
	// Whoever manages a record kind can read it.
	for role, ps := range roles {
		for manage, view := range map[authz.Privilege]authz.Privilege{
			authz.DocumentsManage: authz.DocumentsView, authz.HomeworkManage: authz.HomeworkView,
		} {
			if slices.Contains(ps, manage) && !slices.Contains(ps, view) {
				t.Errorf("%s holds %s without %s", role, manage, view)
			}
		}
	}
	// Every privilege is in the catalogue.
	for role, ps := range roles {
		for _, p := range ps {
			if _, ok := authz.Lookup(p); !ok {
				t.Errorf("%s holds %s, not in the catalogue", role, p)
			}
		}
	}
}

// Schedule edits follow the level: NONE and OWN_ONLY edit nothing, not
// even their own sessions; EDIT_OWN and the view-all levels their own;
// VIEW_EDIT_ALL others' too.
func TestScheduleEditsFollowTheLevel(t *testing.T) {
	for _, tc := range []struct {
		level       string
		own, others bool
	}{
		{"NONE", false, false}, {"OWN_ONLY", false, false}, {"EDIT_OWN", true, false},
		{"EDIT_OWN_VIEW_ALL", true, false}, {"VIEW_EDIT_ALL", true, true},
	} {
		v := &viewer.Viewer{Kind: viewer.User, OrgID: "org", UserID: "usr", ScheduleAccess: tc.level,
			Privileges: map[string]bool{string(authz.SessionsManageOwn): true}, State: viewer.StateActive}
		own := authz.DecideWrite(v, authz.EditAppointment, authz.WriteFacts{TargetFound: true, ReachesClient: true, ProviderSelf: true}) == nil
		others := authz.DecideWrite(v, authz.EditAppointment, authz.WriteFacts{TargetFound: true, ReachesClient: true}) == nil
		if own != tc.own || others != tc.others {
			t.Errorf("%s: edits own %v, others %v; want %v, %v", tc.level, own, others, tc.own, tc.others)
		}
	}
}
