package session_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The session's state follows the organization's, the roles' and the
// user's MFA settings as they are at each request, not as they were at
// sign-in: turning MFA on stops sessions that have not passed it at once.
func TestSessionStateFollowsMFASettingsAtEveryRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "north", nil)
		u := mkUser(t, db, org, "ana@north.example", user.KindStaff, "clients.access_all")
		role := u.QueryRoles().OnlyX(allow())
		plain, _ := create(t, m, db, u, session.CreateOptions{})
		passed, _ := create(t, m, db, u, session.CreateOptions{MFASatisfied: true})
		temporary, _ := create(t, m, db, u, session.CreateOptions{PasswordChangeRequired: true})

		state := func(tok string) viewer.State {
			t.Helper()
			v, _, err := m.Authenticate(context.Background(), tok)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			return v.State
		}
		check := func(setting string, wantPlain viewer.State) {
			t.Helper()
			if got := state(plain); got != wantPlain {
				t.Errorf("%s: session without MFA is %q, want %q", setting, got, wantPlain)
			}
			if got := state(passed); got != viewer.StateActive {
				t.Errorf("%s: session that passed MFA is %q, want active", setting, got)
			}
			if got := state(temporary); got != viewer.StatePasswordChangeRequired {
				t.Errorf("%s: temporary-password session is %q, want password_change_required", setting, got)
			}
		}
		check("nothing requires MFA", viewer.StateActive)

		db.Role.UpdateOne(role).SetRequireMfa(true).ExecX(allow())
		check("the role requires MFA", viewer.StateMFARequired)
		db.Role.UpdateOne(role).SetRequireMfa(false).ExecX(allow())

		db.User.UpdateOne(u).SetRequireMfa(true).ExecX(allow())
		check("the user requires MFA", viewer.StateMFARequired)
		db.User.UpdateOne(u).SetRequireMfa(false).ExecX(allow())

		db.Organization.UpdateOne(org).SetRequireMfa(true).ExecX(allow())
		check("the organization requires MFA", viewer.StateMFARequired)
		db.Organization.UpdateOne(org).SetRequireMfa(false).ExecX(allow())

		check("MFA no longer required", viewer.StateActive)
	})
}
