package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The routing driver under a context ReadFrom gave a standby: a SELECT
// reads there, a write that goes through Query (INSERT … RETURNING) and a
// transaction go to the primary, and a SELECT the standby cannot answer
// any more (it went away mid-request) is answered by the primary. Without
// a session, or behind the fence, ReadFrom keeps the primary.
func TestAStandbyContextSendsOnlySelectsToTheStandby(t *testing.T) {
	db, repl, standbyURL := storetest.OpenReplicated(t)
	ctx := context.Background()
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	org := db.Organization.Create().SetName("North").SetSlug("north").SaveX(allow)
	u := db.User.Create().SetOrganizationID(org.ID).SetEmail("ana@north.example").SetKind(user.KindStaff).SetStatus(user.StatusActive).SaveX(allow)
	now := time.Now()
	s := db.Session.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetTokenHash([]byte("0123456789abcdef0123456789abcdef")).
		SetMethod(session.MethodPassword).SetCreatedAt(now).SetLastSeenAt(now).SetExpiresAt(now.Add(time.Hour)).
		SetIdleTimeoutSeconds(600).SaveX(allow)
	repl.WaitReplayed(t)
	v := &viewer.Viewer{OrgID: org.ID, UserID: u.ID, SessionID: s.ID}

	if got := db.ReadFrom(ctx, &viewer.Viewer{OrgID: org.ID}); got != ctx {
		t.Fatal("a viewer without a session was given a standby")
	}
	if got := db.ReadFrom(ctx, &viewer.Viewer{OrgID: org.ID, SessionID: s.ID, Fence: viewer.Fence{WriteSeq: 1}}); got != ctx {
		t.Fatal("a standby behind the session's writes was given")
	}
	rctx := db.ReadFrom(ctx, v)
	if rctx == ctx {
		t.Fatalf("a caught-up standby was not given: %+v", db.ReadStats())
	}
	sys := viewer.ForSystem(rctx, org.ID)
	if n := db.Organization.Query().Where(organization.ID(org.ID)).CountX(sys); n != 1 {
		t.Fatalf("the standby counts %d organizations", n)
	}
	// The SELECTs really go to the standby: paused, it does not have an
	// organization the primary has.
	pause(t, standbyURL, "pg_wal_replay_pause")
	db.Organization.Create().SetName("South").SetSlug("south").SaveX(allow)
	if n := db.Organization.Query().CountX(privacy.DecisionContext(rctx, privacy.Allow)); n != 1 {
		t.Fatalf("under the standby's context %d organizations, want the standby's 1", n)
	}
	if n := db.Organization.Query().CountX(allow); n != 2 {
		t.Fatalf("on the primary %d organizations, want 2", n)
	}
	pause(t, standbyURL, "pg_wal_replay_resume")

	// Writes, even under a standby's context, reach the primary (a
	// standby refuses them: read-only transaction).
	db.User.Create().SetOrganizationID(org.ID).SetEmail("ben@north.example").SetKind(user.KindStaff).SetStatus(user.StatusActive).SaveX(sys)
	tx, err := db.Tx(sys)
	if err != nil {
		t.Fatal(err)
	}
	tx.User.UpdateOneID(u.ID).SetGivenName("Ana").ExecX(sys)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Wrote(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got := db.Session.GetX(allow, s.ID).WriteSeq; got != 1 {
		t.Fatalf("write sequence %d after one write, want 1", got)
	}

	// The standby goes away while the request holds it: its SELECTs are
	// answered by the primary.
	repl.StopStandby(t)
	before := db.ReadStats().Retried
	if n := db.User.Query().Where(user.OrganizationID(org.ID)).CountX(sys); n != 2 {
		t.Fatalf("the primary counts %d users, want 2", n)
	}
	if db.ReadStats().Retried <= before {
		t.Fatalf("a SELECT the standby could not answer was not retried: %+v", db.ReadStats())
	}
	if got := db.ReadFrom(ctx, v); got != ctx {
		t.Fatal("a standby that went away was given")
	}
}

// pause calls fn (pg_wal_replay_pause or pg_wal_replay_resume) on the
// standby.
func pause(t *testing.T, standbyURL, fn string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, standbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "SELECT "+fn+"()"); err != nil {
		t.Fatal(err)
	}
}
