package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	fakeclock "github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is the settable clock of the tests (Config.Clock). It starts on a whole second so
// that times survive PostgreSQL's microsecond precision unchanged.
type clock = fakeclock.Fake

func newClock() *clock {
	return fakeclock.NewFake(time.Date(2031, 3, 4, 9, 0, 0, 0, time.UTC))
}

// allow is a context that bypasses the privacy rules, for fixtures and
// for reading what the code under test wrote.
func allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

func mkOrg(t *testing.T, db *store.DB, slug string, idleMinutes *int) *ent.Organization {
	t.Helper()
	o, err := db.Organization.Create().
		SetName("Clinic " + slug).
		SetSlug(slug).
		SetNillableSessionIdleMinutes(idleMinutes).
		Save(allow())
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	return o
}

func mkUser(t *testing.T, db *store.DB, org *ent.Organization, email string, kind user.Kind, privileges ...string) *ent.User {
	t.Helper()
	u, err := db.User.Create().
		SetOrganizationID(org.ID).
		SetEmail(email).
		SetKind(kind).
		SetStatus(user.StatusActive).
		Save(allow())
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if len(privileges) > 0 {
		_, err := db.Role.Create().
			SetOrganizationID(org.ID).
			SetName("Role of " + email).
			SetPrivileges(privileges).
			AddUsers(u).
			Save(allow())
		if err != nil {
			t.Fatalf("create role: %v", err)
		}
	}
	return u
}

func setStatus(t *testing.T, db *store.DB, u *ent.User, s user.Status) {
	t.Helper()
	if err := db.User.UpdateOneID(u.ID).SetStatus(s).Exec(allow()); err != nil {
		t.Fatalf("set status: %v", err)
	}
}

func intp(n int) *int { return &n }
