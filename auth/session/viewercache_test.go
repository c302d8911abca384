package session_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func epochOf(t *testing.T, db *store.DB, org pulid.ID) int64 {
	t.Helper()
	o, err := db.Organization.Query().Where(organization.ID(org)).Only(allow())
	if err != nil {
		t.Fatal(err)
	}
	return o.AccessEpoch
}

// A request whose user's viewer is kept costs one statement (the session
// joined to its organization's access epoch); every change to what the
// viewer is made of, committed through any client of the database, moves
// the epoch, and the next request of a manager holding the old viewer (a
// second replica) sees the change.
func TestACachedViewerIsUsedOnlyWhileTheAccessEpochStands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		rec, log := storetest.Record(db)
		replica := session.New(rec, session.Config{Clock: clk})
		org := mkOrg(t, db, "north", nil)
		other := mkOrg(t, db, "south", nil)
		u := mkUser(t, db, org, "ana@north.example", user.KindStaff, string(authz.ClientsAccessAll), string(authz.ReportsView))
		sys := viewer.ForSystem(context.Background(), org.ID)
		east := db.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("East").AddUsers(u).SaveX(sys)
		role := u.QueryRoles().OnlyX(allow())
		tok, _ := create(t, replica, db, u, session.CreateOptions{})

		auth := func() *viewer.Viewer {
			t.Helper()
			v, _, err := replica.Authenticate(context.Background(), tok)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			return v
		}
		auth() // loads and keeps the viewer
		log.Reset()
		v := auth()
		if got := log.Take(); len(got) != 1 || !strings.Contains(got[0], "sessions") {
			t.Fatalf("a request with a kept viewer sent %d statements, want the one session query: %q", len(got), got)
		}
		if !v.Has(string(authz.ReportsView)) || !slices.Contains(v.BusinessUnitIDs, east.ID) {
			t.Fatalf("viewer before the changes: %+v", v)
		}

		// Changes that are not about access leave the epoch, and the
		// kept viewer, alone.
		before, otherBefore := epochOf(t, db, org.ID), epochOf(t, db, other.ID)
		db.Organization.UpdateOneID(org.ID).SetName("North Clinic").ExecX(sys)
		db.User.UpdateOneID(u.ID).SetGivenName("Ana").ExecX(sys)
		db.User.Create().SetOrganizationID(org.ID).SetEmail("new@north.example").SetKind(user.KindStaff).SetStatus(user.StatusActive).SaveX(sys)
		if got := epochOf(t, db, org.ID); got != before {
			t.Fatalf("renaming and creating moved the epoch from %d to %d", before, got)
		}
		log.Reset()
		auth()
		if got := log.Take(); len(got) != 1 {
			t.Fatalf("after changes unrelated to access: %d statements, want 1: %q", len(got), got)
		}

		steps := []struct {
			name   string
			change func()
			check  func(v *viewer.Viewer) bool
		}{
			{"a privilege toggled off the role",
				func() { db.Role.UpdateOne(role).SetPrivileges([]string{string(authz.ClientsAccessAll)}).ExecX(sys) },
				func(v *viewer.Viewer) bool { return !v.Has(string(authz.ReportsView)) }},
			{"the user removed from a business unit",
				func() { db.User.UpdateOneID(u.ID).RemoveBusinessUnitIDs(east.ID).ExecX(sys) },
				func(v *viewer.Viewer) bool { return !slices.Contains(v.BusinessUnitIDs, east.ID) }},
			{"the user added to a business unit from the unit's side",
				func() { db.BusinessUnit.UpdateOneID(east.ID).AddUserIDs(u.ID).ExecX(sys) },
				func(v *viewer.Viewer) bool { return slices.Contains(v.BusinessUnitIDs, east.ID) }},
			{"the role taken away from the role's side",
				func() { db.Role.UpdateOne(role).RemoveUserIDs(u.ID).ExecX(sys) },
				func(v *viewer.Viewer) bool { return len(v.RoleIDs) == 0 && !v.Has(string(authz.ClientsAccessAll)) }},
			{"the organization requiring MFA",
				func() { db.Organization.UpdateOneID(org.ID).SetRequireMfa(true).ExecX(sys) },
				func(v *viewer.Viewer) bool { return v.MFARequired }},
			{"the schedule level changed",
				func() { db.User.UpdateOneID(u.ID).SetScheduleAccess(user.ScheduleAccessEditOwnViewAll).ExecX(sys) },
				func(v *viewer.Viewer) bool { return v.ScheduleAccess == string(user.ScheduleAccessEditOwnViewAll) }},
		}
		for _, s := range steps {
			before := epochOf(t, db, org.ID)
			s.change()
			if got := epochOf(t, db, org.ID); got <= before {
				t.Fatalf("%s: the epoch stayed at %d", s.name, got)
			}
			if v := auth(); !s.check(v) {
				t.Fatalf("%s: the next request still sees the old viewer: %+v", s.name, v)
			}
		}
		if got := epochOf(t, db, other.ID); got != otherBefore {
			t.Fatalf("changes in one organization moved another's epoch from %d to %d", otherBefore, got)
		}

		// Suspension: the user's sessions end with it.
		db.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).ExecX(sys)
		if _, _, err := replica.Authenticate(context.Background(), tok); !errors.Is(err, session.ErrRevoked) {
			t.Fatalf("after suspension: %v, want ErrRevoked", err)
		}
	})
}

// Without a viewer in the context (a server task), a change to access
// moves every organization's epoch: none is left stale.
func TestAnAccessChangeWithoutAnOrganizationMovesEveryEpoch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := mkOrg(t, db, "east", nil), mkOrg(t, db, "west", nil)
		u := mkUser(t, db, a, "bo@east.example", user.KindStaff, string(authz.ClientsAccessAll))
		ea, eb := epochOf(t, db, a.ID), epochOf(t, db, b.ID)
		if err := db.User.UpdateOneID(u.ID).SetRequireMfa(true).Exec(allow()); err != nil {
			t.Fatal(err)
		}
		if epochOf(t, db, a.ID) <= ea || epochOf(t, db, b.ID) <= eb {
			t.Fatalf("epochs after a change with no viewer: %d→%d, %d→%d", ea, epochOf(t, db, a.ID), eb, epochOf(t, db, b.ID))
		}
	})
}

// A change made outside any transaction still commits with its epoch: the
// hook runs it in one of its own, so no failure can leave the change
// committed and the epoch behind.
func TestAnAccessChangeAndItsEpochCommitTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := mkOrg(t, db, "north", nil)
		u := mkUser(t, db, org, "cy@north.example", user.KindStaff, string(authz.ClientsAccessAll))
		sys := viewer.ForSystem(context.Background(), org.ID)
		before := epochOf(t, db, org.ID)
		// Inside a transaction that rolls back: neither lands.
		tx, err := db.Tx(sys)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.User.UpdateOneID(u.ID).SetRequireMfa(true).Exec(sys); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := epochOf(t, db, org.ID); got != before {
			t.Fatalf("a rolled-back change moved the epoch to %d", got)
		}
		if db.User.GetX(allow(), u.ID).RequireMfa {
			t.Fatal("the rolled-back change landed")
		}
		// Outside one: both land.
		got, err := db.User.UpdateOneID(u.ID).SetRequireMfa(true).Save(sys)
		if err != nil {
			t.Fatal(err)
		}
		if !got.RequireMfa || epochOf(t, db, org.ID) != before+1 {
			t.Fatalf("change %v, epoch %d (want %d)", got.RequireMfa, epochOf(t, db, org.ID), before+1)
		}
		// The returned user is usable after the hook's transaction.
		if _, err := got.QueryRoles().All(sys); err != nil {
			t.Fatalf("querying from the returned user: %v", err)
		}
	})
}
