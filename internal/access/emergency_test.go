package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/access"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const reason = "client in crisis, on-call clinician needs the safety plan"

var t0 = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

type clinic struct {
	org       *ent.Organization
	clients   []*ent.Patient // Ada, Ben
	clinician *viewer.Viewer // emergency_access.use, no path to any client
	linked    *viewer.Viewer // emergency_access.use, linked to Ada
	plain     *viewer.Viewer // no emergency privilege
	portal    *viewer.Viewer // portal user linked to Ada
}

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

func newClinic(t *testing.T, c *ent.Client, slug string) clinic {
	t.Helper()
	ctx := allow()
	org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	cl := clinic{org: org}
	for _, n := range []string{"Ada", "Ben"} {
		cl.clients = append(cl.clients, c.Patient.Create().SetOrganizationID(org.ID).SetGivenName(n).SetFamilyName(slug).SaveX(ctx))
	}
	mk := func(email string, kind user.Kind, privs ...authz.Privilege) *viewer.Viewer {
		u := c.User.Create().SetOrganizationID(org.ID).SetEmail(email + "@" + slug + ".test").SetKind(kind).
			SetStatus(user.StatusActive).SaveX(ctx)
		p := map[string]bool{}
		for _, k := range privs {
			p[string(k)] = true
		}
		return &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: u.ID, Privileges: p, Portal: kind == user.KindPortal}
	}
	cl.clinician = mk("clin", user.KindStaff, authz.EmergencyAccessUse, authz.SessionsManageOwn)
	cl.linked = mk("linked", user.KindStaff, authz.EmergencyAccessUse)
	c.ClientAccess.Create().SetOrganizationID(org.ID).SetUserID(cl.linked.UserID).SetClientID(cl.clients[0].ID).SaveX(ctx)
	cl.plain = mk("plain", user.KindStaff, authz.SessionsManageOwn)
	cl.portal = mk("parent", user.KindPortal)
	c.PortalAccess.Create().SetOrganizationID(org.ID).SetUserID(cl.portal.UserID).SetClientID(cl.clients[0].ID).SaveX(ctx)
	return cl
}

// as returns a context of v at now.
func as(v *viewer.Viewer, now time.Time) context.Context {
	return authz.WithClock(viewer.NewContext(context.Background(), v), func() time.Time { return now })
}

// inTx runs f in a transaction of c, committing when f succeeds.
func inTx[T any](t *testing.T, c *ent.Client, ctx context.Context, f func(tx *ent.Client) (T, error)) (T, error) {
	t.Helper()
	tx, err := c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f(tx.Client())
	if err != nil {
		tx.Rollback()
		return out, err
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func open(t *testing.T, c *ent.Client, v *viewer.Viewer, now time.Time, client pulid.ID, why string) (*ent.EmergencyAccess, error) {
	t.Helper()
	ctx := as(v, now)
	return inTx(t, c, ctx, func(tx *ent.Client) (*ent.EmergencyAccess, error) {
		return access.OpenEmergency(ctx, tx, client, why)
	})
}

func end(t *testing.T, c *ent.Client, v *viewer.Viewer, now time.Time, id pulid.ID) (*ent.EmergencyAccess, error) {
	t.Helper()
	ctx := as(v, now)
	return inTx(t, c, ctx, func(tx *ent.Client) (*ent.EmergencyAccess, error) {
		return access.EndEmergency(ctx, tx, id)
	})
}

func reaches(t *testing.T, c *ent.Client, v *viewer.Viewer, now time.Time, client pulid.ID) bool {
	t.Helper()
	ok, err := c.Patient.Query().Where(patient.ID(client)).Exist(as(v, now))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func events(t *testing.T, c *ent.Client, org pulid.ID, action string) []*ent.AuditEvent {
	t.Helper()
	return c.AuditEvent.Query().Where(auditevent.Action(action)).AllX(viewer.ForSystem(context.Background(), org))
}

func wantKind(t *testing.T, err error, kind apperr.Kind, field string) {
	t.Helper()
	if got := apperr.KindOf(err); got != kind {
		t.Fatalf("err = %v (%s), want %s", err, got, kind)
	}
	if field != "" {
		ae, ok := err.(*apperr.Error)
		if !ok || ae.Field != field {
			t.Fatalf("err = %#v, want field %q", err, field)
		}
	}
}

func TestOpenEmergencyGrantsATimeBoxedAuditedWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		ada := cl.clients[0].ID
		if reaches(t, db.Client, cl.clinician, t0, ada) {
			t.Fatal("clinician reaches Ada before the window")
		}
		ea, err := open(t, db.Client, cl.clinician, t0, ada, "  "+reason+"  ")
		if err != nil {
			t.Fatal(err)
		}
		if !ea.StartedAt.Equal(t0) || !ea.ExpiresAt.Equal(t0.Add(60*time.Minute)) || ea.EndedAt != nil ||
			ea.Reason != reason || ea.UserID != cl.clinician.UserID || ea.ClientID != ada {
			t.Errorf("window = %+v", ea)
		}
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{
			{t0, true},
			{t0.Add(59*time.Minute + 59*time.Second), true},
			{t0.Add(60 * time.Minute), false}, // expiry is exclusive
			{t0.Add(2 * time.Hour), false},
		} {
			if got := reaches(t, db.Client, cl.clinician, tc.at, ada); got != tc.want {
				t.Errorf("at %s: reaches = %v, want %v", tc.at.Sub(t0), got, tc.want)
			}
		}
		// Only Ada, only the clinician.
		if reaches(t, db.Client, cl.clinician, t0, cl.clients[1].ID) || reaches(t, db.Client, cl.plain, t0, ada) {
			t.Error("window leaks to another client or user")
		}

		evs := events(t, db.Client, cl.org.ID, access.EmergencyOpened)
		if len(evs) != 1 {
			t.Fatalf("%d opened events", len(evs))
		}
		e := evs[0]
		if e.TargetType != "emergency_access" || e.TargetID != string(ea.ID) || e.ClientID == nil || *e.ClientID != ada ||
			e.ActorID == nil || *e.ActorID != cl.clinician.UserID || e.Details["reason"] != reason {
			t.Errorf("event = %+v", e)
		}

		// Once expired, a new window can be opened.
		if _, err := open(t, db.Client, cl.clinician, t0.Add(61*time.Minute), ada, reason); err != nil {
			t.Errorf("reopen after expiry: %v", err)
		}
	})
}

func TestOpenEmergencyIsAtomicWithItsAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		ctx := as(cl.clinician, t0)
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := access.OpenEmergency(ctx, tx.Client(), cl.clients[0].ID, reason); err != nil {
			t.Fatal(err)
		}
		// Both written in the caller's transaction: visible inside it...
		sys := viewer.ForSystem(ctx, cl.org.ID)
		if n := tx.AuditEvent.Query().Where(auditevent.Action(access.EmergencyOpened)).CountX(sys); n != 1 {
			t.Errorf("%d events inside the transaction", n)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		// ...and gone together with it.
		if n := db.Client.EmergencyAccess.Query().CountX(sys); n != 0 {
			t.Errorf("%d windows after rollback", n)
		}
		if n := len(events(t, db.Client, cl.org.ID, access.EmergencyOpened)); n != 0 {
			t.Errorf("%d events after rollback", n)
		}
		if reaches(t, db.Client, cl.clinician, t0, cl.clients[0].ID) {
			t.Error("window survives rollback")
		}
	})
}

func TestOpenEmergencyRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		other := newClinic(t, db.Client, "bravo")
		ada := cl.clients[0].ID

		_, err := open(t, db.Client, cl.plain, t0, ada, reason)
		wantKind(t, err, apperr.Forbidden, "")
		_, err = open(t, db.Client, cl.portal, t0, ada, reason)
		wantKind(t, err, apperr.Forbidden, "")
		_, err = open(t, db.Client, cl.linked, t0, ada, reason)
		wantKind(t, err, apperr.Conflict, "")
		for _, why := range []string{"", "   ", "urgent", "  urgent!  ", strings.Repeat("x", 2001)} {
			_, err = open(t, db.Client, cl.clinician, t0, ada, why)
			wantKind(t, err, apperr.Invalid, "reason")
		}
		for _, id := range []pulid.ID{other.clients[0].ID, pulid.New("cli"), "nonsense"} {
			_, err = open(t, db.Client, cl.clinician, t0, id, reason)
			wantKind(t, err, apperr.NotFound, "")
		}
		if _, err = inTx(t, db.Client, context.Background(), func(tx *ent.Client) (*ent.EmergencyAccess, error) {
			return access.OpenEmergency(context.Background(), tx, ada, reason)
		}); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("no viewer: %v", err)
		}

		// An open window is a path: opening a second one conflicts.
		if _, err := open(t, db.Client, cl.clinician, t0, ada, reason); err != nil {
			t.Fatal(err)
		}
		_, err = open(t, db.Client, cl.clinician, t0.Add(time.Minute), ada, reason)
		wantKind(t, err, apperr.Conflict, "")

		sys := viewer.ForSystem(context.Background(), cl.org.ID)
		if n := db.Client.EmergencyAccess.Query().CountX(sys); n != 1 {
			t.Errorf("%d windows, want 1", n)
		}
		if n := len(events(t, db.Client, cl.org.ID, access.EmergencyOpened)); n != 1 {
			t.Errorf("%d opened events, want 1", n)
		}
		if n := db.Client.EmergencyAccess.Query().CountX(viewer.ForSystem(context.Background(), other.org.ID)); n != 0 {
			t.Errorf("%d windows in the other organization", n)
		}
	})
}

func TestEmergencyWindowFollowsTheOrganizationSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		db.Client.Organization.UpdateOne(cl.org).SetEmergencyAccessMinutes(15).ExecX(allow())
		ea, err := open(t, db.Client, cl.clinician, t0, cl.clients[0].ID, reason)
		if err != nil {
			t.Fatal(err)
		}
		if !ea.ExpiresAt.Equal(t0.Add(15 * time.Minute)) {
			t.Errorf("expires %s after start, want 15m", ea.ExpiresAt.Sub(t0))
		}
		if !reaches(t, db.Client, cl.clinician, t0.Add(14*time.Minute), cl.clients[0].ID) ||
			reaches(t, db.Client, cl.clinician, t0.Add(15*time.Minute), cl.clients[0].ID) {
			t.Error("window does not follow the 15 minute setting")
		}
	})
}

func TestEndEmergency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		ada := cl.clients[0].ID
		ea, err := open(t, db.Client, cl.clinician, t0, ada, reason)
		if err != nil {
			t.Fatal(err)
		}
		// Someone else's window answers as not found, and stays open.
		_, err = end(t, db.Client, cl.linked, t0.Add(5*time.Minute), ea.ID)
		wantKind(t, err, apperr.NotFound, "")
		_, err = end(t, db.Client, cl.clinician, t0, pulid.New("eac"))
		wantKind(t, err, apperr.NotFound, "")

		ended, err := end(t, db.Client, cl.clinician, t0.Add(10*time.Minute), ea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ended.EndedAt == nil || !ended.EndedAt.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("ended = %+v", ended)
		}
		if reaches(t, db.Client, cl.clinician, t0.Add(10*time.Minute), ada) {
			t.Error("ended window still opens the client")
		}
		evs := events(t, db.Client, cl.org.ID, access.EmergencyEnded)
		if len(evs) != 1 || evs[0].TargetID != string(ea.ID) || evs[0].ClientID == nil || *evs[0].ClientID != ada ||
			evs[0].ActorID == nil || *evs[0].ActorID != cl.clinician.UserID {
			t.Errorf("ended events = %+v", evs)
		}
		// Ending again, or ending an expired window, changes nothing and
		// writes nothing.
		again, err := end(t, db.Client, cl.clinician, t0.Add(20*time.Minute), ea.ID)
		if err != nil || again.EndedAt == nil || !again.EndedAt.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("end again = %+v, %v", again, err)
		}
		ea2, err := open(t, db.Client, cl.clinician, t0.Add(30*time.Minute), ada, reason)
		if err != nil {
			t.Fatal(err)
		}
		late, err := end(t, db.Client, cl.clinician, t0.Add(3*time.Hour), ea2.ID)
		if err != nil || late.EndedAt != nil {
			t.Errorf("end expired = %+v, %v", late, err)
		}
		if n := len(events(t, db.Client, cl.org.ID, access.EmergencyEnded)); n != 1 {
			t.Errorf("%d ended events, want 1", n)
		}
		if n := db.Client.EmergencyAccess.Query().Where(emergencyaccess.EndedAtNotNil()).
			CountX(viewer.ForSystem(context.Background(), cl.org.ID)); n != 1 {
			t.Errorf("%d ended windows, want 1", n)
		}
	})
}

func TestEmergencyAccessRowsVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		other := newClinic(t, db.Client, "bravo")
		// Two clinicians each open a window (the linked one on Ben).
		if _, err := open(t, db.Client, cl.clinician, t0, cl.clients[0].ID, reason); err != nil {
			t.Fatal(err)
		}
		if _, err := open(t, db.Client, cl.linked, t0, cl.clients[1].ID, reason); err != nil {
			t.Fatal(err)
		}
		if _, err := open(t, db.Client, other.clinician, t0, other.clients[0].ID, reason); err != nil {
			t.Fatal(err)
		}
		auditor := &viewer.Viewer{Kind: viewer.User, OrgID: cl.org.ID, UserID: cl.plain.UserID,
			Privileges: map[string]bool{string(authz.AuditView): true}}
		for name, tc := range map[string]struct {
			v    *viewer.Viewer
			want int
		}{
			"auditor":   {auditor, 2},
			"clinician": {cl.clinician, 1},
			"linked":    {cl.linked, 1},
			"plain":     {cl.plain, 0},
			"portal":    {cl.portal, 0},
		} {
			rows := db.Client.EmergencyAccess.Query().AllX(as(tc.v, t0))
			if len(rows) != tc.want {
				t.Errorf("%s sees %d windows, want %d", name, len(rows), tc.want)
			}
			for _, r := range rows {
				if tc.v != auditor && r.UserID != tc.v.UserID {
					t.Errorf("%s sees %s's window", name, r.UserID)
				}
			}
		}
	})
}

func TestAReasonCountsOnlyVisibleCharacters(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		want         int
	}{
		{"plain words", "safety plan", 10},
		{"ten zero-width spaces", strings.Repeat("\u200b", 10), 0},
		{"zero-width joiners and bidirectional marks", strings.Repeat("\u200d\u200e\u2066", 5), 0},
		{"one letter under ten combining accents", "a" + strings.Repeat("\u0301", 10), 1},
		{"Hangul fillers and blank Braille", strings.Repeat("\u3164\u2800", 6), 0},
		{"non-breaking and ideographic spaces", strings.Repeat("\u00a0\u3000", 6), 0},
		{"accented letters precomposed", "crise aiguë", 10},
		{"a script without Latin letters", "危機介入の安全計画", 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := access.VisibleLength(tc.reason); got != tc.want {
				t.Errorf("VisibleLength(%q) = %d, want %d", tc.reason, got, tc.want)
			}
		})
	}
}

func TestOpenEmergencyRefusesReasonsThatShowNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		for _, why := range []string{
			strings.Repeat("\u200b", 12),
			"ok" + strings.Repeat("\u0300", 20),
			"help" + strings.Repeat("\u200b", 10) + "me",
		} {
			_, err := open(t, db.Client, cl.clinician, t0, cl.clients[0].ID, why)
			wantKind(t, err, apperr.Invalid, "reason")
		}
	})
}

func TestSimultaneousOpensCreateOneWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		ada := cl.clients[0].ID
		const n = 12
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				ctx := as(cl.clinician, t0)
				tx, err := db.Client.Tx(ctx)
				if err != nil {
					errs <- err
					return
				}
				if _, err := access.OpenEmergency(ctx, tx.Client(), ada, reason); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				errs <- tx.Commit()
			}()
		}
		close(start)
		opened := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				opened++
			case apperr.KindOf(err) == apperr.Conflict:
			default:
				t.Errorf("a simultaneous open failed with %v (%s), want success or a conflict", err, apperr.KindOf(err))
			}
		}
		sys := viewer.ForSystem(context.Background(), cl.org.ID)
		if got := db.Client.EmergencyAccess.Query().CountX(sys); got != 1 || opened != 1 {
			t.Errorf("%d windows, %d opens succeeded; want exactly one", got, opened)
		}
		if got := len(events(t, db.Client, cl.org.ID, access.EmergencyOpened)); got != 1 {
			t.Errorf("%d opened events, want 1", got)
		}
	})
}

func TestALapsedWindowIsClosedWhenTheNextOpens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		ada := cl.clients[0].ID
		first, err := open(t, db.Client, cl.clinician, t0, ada, reason)
		if err != nil {
			t.Fatal(err)
		}
		later := first.ExpiresAt.Add(time.Minute)
		second, err := open(t, db.Client, cl.clinician, later, ada, reason)
		if err != nil {
			t.Fatalf("reopening after the window lapsed: %v", err)
		}
		sys := viewer.ForSystem(context.Background(), cl.org.ID)
		closed := db.Client.EmergencyAccess.GetX(sys, first.ID)
		if closed.EndedAt == nil || !closed.EndedAt.Equal(first.ExpiresAt) {
			t.Errorf("the lapsed window ended at %v, want its expiry %v", closed.EndedAt, first.ExpiresAt)
		}
		if second.EndedAt != nil || !reaches(t, db.Client, cl.clinician, later, ada) {
			t.Error("the new window is not open")
		}
	})
}
