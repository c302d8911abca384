package session_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// create starts a session for u in a transaction of its own, as a sign-in
// flow would.
func create(t *testing.T, m *session.Manager, db *store.DB, u *ent.User, opts session.CreateOptions) (string, *ent.Session) {
	t.Helper()
	ctx := viewer.ForSystem(context.Background(), u.OrganizationID)
	tx, err := db.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain, s, err := m.Create(ctx, tx.Client(), u, session.MethodPassword, opts)
	if err != nil {
		tx.Rollback()
		t.Fatalf("Create: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return plain, s
}

func reload(t *testing.T, db *store.DB, s *ent.Session) *ent.Session {
	t.Helper()
	s, err := db.Session.Get(allow(), s.ID)
	if err != nil {
		t.Fatalf("reload session: %v", err)
	}
	return s
}

func TestCreateThenAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		m := session.New(db.Client, session.Config{TTL: 8 * time.Hour, IdleTimeout: 20 * time.Minute, Clock: clk})
		org := mkOrg(t, db, "north", nil)
		u := mkUser(t, db, org, "Ana@North.example", user.KindStaff, string(authz.ClientsAccessAll), string(authz.ReportsView))
		east := db.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("East").SaveX(allow())
		west := db.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("West").SaveX(allow())
		u = db.User.UpdateOne(u).AddBusinessUnits(east, west).SetPrimaryBusinessUnit(west).SaveX(allow())

		plain, s := create(t, m, db, u, session.CreateOptions{
			MFASatisfied: true, PasswordChangeRequired: true, IP: "203.0.113.7", UserAgent: "test-agent",
		})
		if !token.Valid(plain, "cgs") {
			t.Fatalf("token %q is not a cgs token", token.Prefix(plain))
		}
		stored := reload(t, db, s)
		if !bytes.Equal(stored.TokenHash, token.Hash(plain)) || bytes.Contains(stored.TokenHash, []byte(plain)) {
			t.Errorf("stored token_hash is not the SHA-256 of the token")
		}
		if want := clk.Now().Add(8 * time.Hour); !stored.ExpiresAt.Equal(want) {
			t.Errorf("expires_at = %v, want %v", stored.ExpiresAt, want)
		}
		if stored.IdleTimeoutSeconds != 1200 {
			t.Errorf("idle_timeout_seconds = %d, want 1200", stored.IdleTimeoutSeconds)
		}
		if stored.IP != "203.0.113.7" || stored.UserAgent != "test-agent" || stored.MfaSatisfiedAt == nil {
			t.Errorf("stored session = ip %q ua %q mfa %v", stored.IP, stored.UserAgent, stored.MfaSatisfiedAt)
		}

		clk.Advance(time.Minute)
		v, got, err := m.Authenticate(context.Background(), plain)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if got.ID != s.ID {
			t.Errorf("session = %s, want %s", got.ID, s.ID)
		}
		if v.Kind != viewer.User || v.OrgID != org.ID || v.UserID != u.ID || v.Portal ||
			v.SessionID != s.ID || v.AuthMethod != "PASSWORD" || v.State != viewer.StatePasswordChangeRequired || v.MFASatisfiedAt == nil {
			t.Errorf("viewer = %+v", v)
		}
		if !slices.Equal(sortedIDs(v.BusinessUnitIDs), sortedIDs([]pulid.ID{east.ID, west.ID})) || v.PrimaryBusinessUnitID != west.ID {
			t.Errorf("business units %v primary %q", v.BusinessUnitIDs, v.PrimaryBusinessUnitID)
		}
		if len(v.RoleIDs) != 1 || !v.Has(string(authz.ClientsAccessAll)) || !v.Has(string(authz.ReportsView)) || v.Has(string(authz.UsersManage)) {
			t.Errorf("roles %v privileges %v", v.RoleIDs, v.Privileges)
		}
	})
}

func TestPortalViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "portal", nil)
		u := mkUser(t, db, org, "parent@example.org", user.KindPortal)
		plain, _ := create(t, m, db, u, session.CreateOptions{})
		v, _, err := m.Authenticate(context.Background(), plain)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Portal || len(v.Privileges) != 0 || v.MFASatisfiedAt != nil {
			t.Errorf("portal viewer = %+v", v)
		}
	})
}

func TestIdleTimeoutIsTheShorterOfServerAndOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{IdleTimeout: 30 * time.Minute})
		for _, tc := range []struct {
			name string
			org  *int
			want int
		}{
			{"no organization setting takes the server's", nil, 1800},
			{"a shorter organization setting wins", intp(5), 300},
			{"a longer organization setting is ignored", intp(90), 1800},
		} {
			t.Run(tc.name, func(t *testing.T) {
				org := mkOrg(t, db, "idle"+time.Now().Format("150405.000000000"), tc.org)
				u := mkUser(t, db, org, "a@example.org", user.KindStaff)
				_, s := create(t, m, db, u, session.CreateOptions{})
				if s.IdleTimeoutSeconds != tc.want {
					t.Errorf("idle_timeout_seconds = %d, want %d", s.IdleTimeoutSeconds, tc.want)
				}
			})
		}
	})
}

func TestAuthenticateRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := mkOrg(t, db, "refuse", nil)
		for _, tc := range []struct {
			name string
			// act runs between Create and Authenticate and may replace the token.
			act        func(t *testing.T, clk *clock, m *session.Manager, u *ent.User, s *ent.Session, plain string) string
			want       error
			wantReason string // revoked_reason afterwards, if any
		}{
			{
				name: "a malformed token",
				act: func(*testing.T, *clock, *session.Manager, *ent.User, *ent.Session, string) string {
					return "cgs_not-a-token"
				},
				want: session.ErrNoSession,
			},
			{
				name: "a well-formed token nobody was given",
				act: func(t *testing.T, _ *clock, _ *session.Manager, _ *ent.User, _ *ent.Session, _ string) string {
					other, err := token.New("cgs")
					if err != nil {
						t.Fatal(err)
					}
					return other
				},
				want: session.ErrNoSession,
			},
			{
				name: "a token of another kind",
				act: func(t *testing.T, _ *clock, _ *session.Manager, _ *ent.User, _ *ent.Session, plain string) string {
					return "sct" + plain[3:]
				},
				want: session.ErrNoSession,
			},
			{
				name: "a revoked session",
				act: func(t *testing.T, _ *clock, m *session.Manager, u *ent.User, s *ent.Session, plain string) string {
					ctx := viewer.ForSystem(context.Background(), u.OrganizationID)
					if _, err := m.Revoke(ctx, db.Client, s.ID, "test"); err != nil {
						t.Fatal(err)
					}
					return plain
				},
				want: session.ErrRevoked, wantReason: "test",
			},
			{
				name: "a session at its absolute expiry, though in use",
				act: func(t *testing.T, clk *clock, m *session.Manager, _ *ent.User, _ *ent.Session, plain string) string {
					for range 3 { // every 15 min: it never idles out
						clk.Advance(15 * time.Minute)
						if _, _, err := m.Authenticate(context.Background(), plain); err != nil {
							t.Fatalf("still in use at %v: %v", clk.Now(), err)
						}
					}
					clk.Advance(15 * time.Minute) // exactly the 1 h TTL: the end is exclusive
					return plain
				},
				want: session.ErrExpired,
			},
			{
				name: "a session unused for exactly its idle timeout",
				act: func(_ *testing.T, clk *clock, _ *session.Manager, _ *ent.User, _ *ent.Session, plain string) string {
					clk.Advance(20 * time.Minute)
					return plain
				},
				want: session.ErrIdle, wantReason: session.ReasonIdle,
			},
			{
				name: "a session whose user was suspended",
				act: func(t *testing.T, _ *clock, _ *session.Manager, u *ent.User, _ *ent.Session, plain string) string {
					setStatus(t, db, u, user.StatusSuspended)
					return plain
				},
				want: session.ErrRevoked, wantReason: session.ReasonUserSuspended,
			},
			{
				name: "a session whose user was deleted",
				act: func(t *testing.T, _ *clock, _ *session.Manager, u *ent.User, _ *ent.Session, plain string) string {
					setStatus(t, db, u, user.StatusDeleted)
					return plain
				},
				want: session.ErrRevoked, wantReason: session.ReasonUserDeleted,
			},
			{
				// Below ent no hook ends the sessions; the status check
				// still refuses them.
				name: "a session whose user was suspended by SQL written by hand",
				act: func(t *testing.T, _ *clock, _ *session.Manager, u *ent.User, _ *ent.Session, plain string) string {
					if _, err := db.SQL.ExecContext(context.Background(),
						"UPDATE users SET status = 'SUSPENDED' WHERE id = '"+string(u.ID)+"'"); err != nil {
						t.Fatal(err)
					}
					return plain
				},
				want: session.ErrUserInactive,
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				clk := newClock()
				m := session.New(db.Client, session.Config{TTL: time.Hour, IdleTimeout: 20 * time.Minute, Clock: clk})
				u := mkUser(t, db, org, tc.name+"@example.org", user.KindStaff)
				plain, s := create(t, m, db, u, session.CreateOptions{})
				plain = tc.act(t, clk, m, u, s, plain)

				v, got, err := m.Authenticate(context.Background(), plain)
				if !errors.Is(err, tc.want) || v != nil || got != nil {
					t.Fatalf("Authenticate = %v, %v, %v; want error %v", v, got, err, tc.want)
				}
				if after := reload(t, db, s); after.RevokedReason != tc.wantReason || (tc.wantReason != "") != (after.RevokedAt != nil) {
					t.Errorf("afterwards revoked_at %v reason %q, want reason %q", after.RevokedAt, after.RevokedReason, tc.wantReason)
				}
			})
		}
	})
}

func TestIdleLogOffIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		m := session.New(db.Client, session.Config{IdleTimeout: 10 * time.Minute, Clock: clk})
		org := mkOrg(t, db, "idleaudit", nil)
		u := mkUser(t, db, org, "idle@example.org", user.KindStaff)
		plain, s := create(t, m, db, u, session.CreateOptions{})

		clk.Advance(9*time.Minute + 59*time.Second)
		if _, _, err := m.Authenticate(context.Background(), plain); err != nil {
			t.Fatalf("just before the idle timeout: %v", err)
		}
		clk.Advance(10 * time.Minute)
		for range 2 { // the second request finds it revoked, and audits nothing more
			if _, _, err := m.Authenticate(context.Background(), plain); err == nil {
				t.Fatal("an idle session still works")
			}
		}
		evs, err := db.AuditEvent.Query().Where(auditevent.Action("auth.session_revoked")).All(allow())
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].TargetID != string(s.ID) || evs[0].ActorKind != auditevent.ActorKindSystem ||
			evs[0].Details["reason"] != "idle" || evs[0].OrganizationID != org.ID {
			t.Fatalf("audit events = %+v", evs)
		}
	})
}

func TestLastSeenIsWrittenAtMostEveryTouchInterval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		m := session.New(db.Client, session.Config{Clock: clk}) // default 30 s
		org := mkOrg(t, db, "touch", nil)
		u := mkUser(t, db, org, "t@example.org", user.KindStaff)
		plain, s := create(t, m, db, u, session.CreateOptions{})
		created := clk.Now()

		clk.Advance(20 * time.Second)
		if _, _, err := m.Authenticate(context.Background(), plain); err != nil {
			t.Fatal(err)
		}
		if got := reload(t, db, s).LastSeenAt; !got.Equal(created) {
			t.Errorf("after 20 s last_seen_at = %v, want it unwritten (%v)", got, created)
		}
		clk.Advance(15 * time.Second)
		_, got, err := m.Authenticate(context.Background(), plain)
		if err != nil {
			t.Fatal(err)
		}
		if stored := reload(t, db, s).LastSeenAt; !stored.Equal(clk.Now()) || !got.LastSeenAt.Equal(clk.Now()) {
			t.Errorf("after 35 s last_seen_at = %v (returned %v), want %v", stored, got.LastSeenAt, clk.Now())
		}
	})
}

func TestRevokeAllForUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "revall", nil)
		u := mkUser(t, db, org, "r@example.org", user.KindStaff)
		other := mkUser(t, db, org, "o@example.org", user.KindStaff)
		_, s1 := create(t, m, db, u, session.CreateOptions{})
		keepTok, keep := create(t, m, db, u, session.CreateOptions{})
		_, s3 := create(t, m, db, u, session.CreateOptions{})
		otherTok, _ := create(t, m, db, other, session.CreateOptions{})

		ctx := viewer.ForSystem(context.Background(), org.ID)
		n, err := m.RevokeAllForUser(ctx, db.Client, u.ID, "password_changed", keep.ID)
		if err != nil || n != 3-1 {
			t.Fatalf("RevokeAllForUser = %d, %v; want 2", n, err)
		}
		for _, s := range []*ent.Session{s1, s3} {
			if r := reload(t, db, s); r.RevokedAt == nil || r.RevokedReason != "password_changed" {
				t.Errorf("session %s not revoked: %+v", s.ID, r)
			}
		}
		for _, tok := range []string{keepTok, otherTok} {
			if _, _, err := m.Authenticate(context.Background(), tok); err != nil {
				t.Errorf("a session that was to stay fails: %v", err)
			}
		}
		// Revoking again is a no-op that keeps the first reason.
		if revoked, err := m.Revoke(ctx, db.Client, s1.ID, "again"); err != nil || revoked {
			t.Fatalf("second revoke: revoked %v, %v", revoked, err)
		}
		if r := reload(t, db, s1); r.RevokedReason != "password_changed" {
			t.Errorf("second revoke changed the reason to %q", r.RevokedReason)
		}
		// Another organization's viewer cannot revoke it.
		org2 := mkOrg(t, db, "revall2", nil)
		if revoked, err := m.Revoke(viewer.ForSystem(context.Background(), org2.ID), db.Client, keep.ID, "x"); err != nil || revoked {
			t.Fatalf("cross-organization revoke: revoked %v, %v", revoked, err)
		}
		if r := reload(t, db, keep); r.RevokedAt != nil {
			t.Error("a viewer of another organization revoked the session")
		}
	})
}

func TestMalformedTokenNeverReachesTheDatabase(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	m := session.New(db.Client, session.Config{})
	db.Close() // any query now fails
	for _, tok := range []string{"", "garbage", "cgs_", "cgs_" + string(bytes.Repeat([]byte("A"), 44))} {
		if _, _, err := m.Authenticate(context.Background(), tok); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("Authenticate(%q) = %v, want ErrNoSession without a query", tok, err)
		}
	}
	good, _ := token.New("cgs")
	if _, _, err := m.Authenticate(context.Background(), good); err == nil || errors.Is(err, session.ErrNoSession) {
		t.Errorf("a well-formed token on a closed database = %v, want a store error", err)
	}
}

func sortedIDs(ids []pulid.ID) []pulid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
