package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The organization's access sequence (what a read standby must have
// replayed before it may answer) moves, in the change's transaction, with
// every change that can take a read away, and only in the organization
// changed; a change that only grants or only edits leaves it, so that
// grants and edits do not send every reader to the primary.
func TestTheAccessSequenceMovesWithEveryChangeThatTakesAReadAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		allow := privacy.DecisionContext(ctx, privacy.Allow)
		clk := clock.NewFake(time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC))
		cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
		if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: "correct horse battery staple", Clock: clk, Hasher: cheap}); err != nil {
			t.Fatal(err)
		}
		org := db.Organization.Query().Where(organization.Slug(demo.Slug)).OnlyX(allow)
		other := db.Organization.Create().SetName("Elsewhere").SetSlug("elsewhere").SaveX(allow)
		sys := viewer.ForSystem(ctx, org.ID)
		seq := func(id any) int64 {
			t.Helper()
			o := db.Organization.Query().Where(organization.ID(org.ID)).OnlyX(allow)
			if id != nil {
				o = db.Organization.Query().Where(organization.ID(other.ID)).OnlyX(allow)
			}
			return o.AccessSeq
		}
		teacher := db.User.Query().Where(user.EmailNormalized("teacher@demo.clinic")).OnlyX(allow)
		clinician := db.User.Query().Where(user.EmailNormalized("clinician@demo.clinic")).OnlyX(allow)
		oliver := db.Patient.Query().Where(patient.GivenName("Oliver")).OnlyX(allow)
		ethan := db.Patient.Query().Where(patient.GivenName("Ethan")).OnlyX(allow)
		link := db.ClientAccess.Query().Where(clientaccess.UserID(teacher.ID), clientaccess.ClientID(oliver.ID)).OnlyX(allow)
		portal := db.PortalAccess.Query().FirstX(allow)
		supervisor := db.Role.Query().Where(role.BuiltinEQ(role.BuiltinSupervisor)).OnlyX(allow)
		apt := db.Appointment.Query().FirstX(allow)
		var window *ent.EmergencyAccess

		steps := []struct {
			name  string
			moves bool
			do    func()
		}{
			{"a link granted", false, func() {
				db.ClientAccess.Create().SetOrganizationID(org.ID).SetUserID(teacher.ID).SetClientID(ethan.ID).
					SetGrantedAt(clk.Now()).ExecX(sys)
			}},
			{"a client created", false, func() {
				db.Patient.Create().SetOrganizationID(org.ID).SetGivenName("New").SetFamilyName("Client").ExecX(sys)
			}},
			{"a break-glass window opened", false, func() {
				window = db.EmergencyAccess.Create().SetOrganizationID(org.ID).SetUserID(clinician.ID).SetClientID(ethan.ID).
					SetReason("seizure in the waiting room").SetStartedAt(clk.Now()).SetExpiresAt(clk.Now().Add(time.Hour)).SaveX(sys)
			}},
			{"an appointment's status changed", false, func() { apt.Update().SetStatus("COMPLETED").ExecX(sys) }},
			{"a user renamed", false, func() { teacher.Update().SetGivenName("Thomas").ExecX(sys) }},
			{"a link's expiry brought forward", true, func() { link.Update().SetExpiresAt(clk.Now().Add(time.Hour)).ExecX(sys) }},
			{"a link revoked", true, func() { db.ClientAccess.DeleteOne(link).ExecX(sys) }},
			{"a break-glass window ended", true, func() { window.Update().SetEndedAt(clk.Now()).ExecX(sys) }},
			{"a client restricted", true, func() { oliver.Update().SetRestricted(true).ExecX(sys) }},
			{"a client moved to no business unit", true, func() { ethan.Update().ClearBusinessUnit().ExecX(sys) }},
			{"a portal permission turned off", true, func() {
				db.PortalAccess.UpdateOneID(portal.ID).SetSessionsHomework(false).ExecX(sys)
			}},
			{"an appointment given to another provider", true, func() { apt.Update().SetProviderID(clinician.ID).ExecX(sys) }},
			{"a role's privileges changed", true, func() { supervisor.Update().SetPrivileges(nil).ExecX(sys) }},
			{"a user suspended", true, func() { teacher.Update().SetStatus(user.StatusSuspended).ExecX(sys) }},
			{"the session view turned off", true, func() {
				db.Organization.UpdateOneID(org.ID).SetSessionViewEnabled(false).ExecX(sys)
			}},
		}
		otherBefore := seq(other.ID)
		for _, s := range steps {
			before := seq(nil)
			s.do()
			if got := seq(nil); (got > before) != s.moves {
				t.Errorf("%s: the access sequence went from %d to %d; want moved=%v", s.name, before, got, s.moves)
			}
		}
		if got := seq(other.ID); got != otherBefore {
			t.Errorf("changes in one organization moved another's access sequence from %d to %d", otherBefore, got)
		}
	})
}
