package authz

import (
	"testing"

	"github.com/clinicgate/clinicgate/internal/viewer"
)

// refJobFunctions are the privileges a user manager hands out without
// holding them, listed by key for the reference models (MayHandOut derives
// them from the catalogue's groups).
var refJobFunctions = map[string]bool{
	"clients.create": true, "clients.edit": true,
	"sessions.manage_own": true, "sessions.notes.view_others": true,
	"homework.view": true, "homework.manage": true, "documents.view": true, "documents.manage": true,
	"surveys.view": true, "billing.view": true, "billing.manage": true, "reports.view": true,
}

// refMayHandOut is the reference of MayHandOut.
func refMayHandOut(v *viewer.Viewer, p string) bool {
	switch p {
	case "org.delete", "org.transfer_ownership":
		return false
	}
	if _, known := Lookup(Privilege(p)); !known {
		return false
	}
	return v.Privileges[p] || (v.Privileges["users.manage"] && refJobFunctions[p])
}

func TestEveryPrivilegeIsHandedOutByTheReferenceRule(t *testing.T) {
	manager := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{"users.manage": true}}
	holder := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{}}
	for _, info := range Catalogue() {
		holder.Privileges[string(info.Key)] = true
	}
	plain := &viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{"audit.view": true}}
	for _, info := range Catalogue() {
		p := string(info.Key)
		for name, v := range map[string]*viewer.Viewer{"a user manager": manager, "a holder of everything": holder, "an auditor": plain} {
			if got, want := MayHandOut(v, p), refMayHandOut(v, p); got != want {
				t.Errorf("%s hands out %s: %v, want %v", name, p, got, want)
			}
		}
	}
	if !MayHandOut(manager, "sessions.manage_own") {
		t.Error("an administrator cannot give the clinician's privilege")
	}
	for _, p := range []string{"users.manage", "roles.manage", "org.settings.manage", "audit.view", "emergency_access.use", "org.delete",
		"clients.access.all", "clients.access.business_unit", "clients.share", "portal.manage",
		"staff_profiles.access.all", "staff_profiles.access.primary_business_unit", "schedule.view_all"} {
		if MayHandOut(manager, p) && !manager.Has(p) {
			t.Errorf("a user manager hands out %s without holding it", p)
		}
	}
	if MayHandOut(holder, "org.delete") || MayHandOut(holder, "no.such") {
		t.Error("an owner-only or unknown privilege is handed out")
	}
}
