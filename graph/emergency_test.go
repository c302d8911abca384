package graph_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/access"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const (
	emergencyReason = "client in crisis; on-call clinician needs the safety plan"

	openEmergencyMutation = `mutation($input: OpenEmergencyAccessInput!) {
		openEmergencyAccess(input: $input) {
			id reason startedAt expiresAt endedAt
			user { id }
			client { id givenName dateOfBirth }
		}
	}`
	endEmergencyMutation = `mutation($id: ID!) { endEmergencyAccess(id: $id) { id endedAt expiresAt } }`
	clientNameQuery      = `query($id: ID!) { node(id: $id) { ... on Client { givenName } } }`
)

var emergencyT0 = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

// newClinician adds a user with the built-in clinician privileges (which
// include emergency access) and no path to any client.
func newClinician(t *testing.T, c *ent.Client, a tenant, email string) *ent.User {
	t.Helper()
	var privs []authz.Privilege
	for _, r := range authz.BuiltinRoles() {
		if r.Key == "CLINICIAN" {
			privs = r.Privileges
		}
	}
	if !slices.Contains(privs, authz.EmergencyAccessUse) || slices.Contains(privs, authz.BillingView) {
		t.Fatalf("clinician privileges changed: %v", privs)
	}
	u := addUser(t, c, a.org.ID, email, user.KindStaff, addRole(t, c, a.org.ID, "Clinician "+email, privs...))
	// A clinician schedules their own sessions (seed 003, level B); a new
	// user has no schedule access until a level is chosen.
	return c.User.UpdateOne(u).SetScheduleAccess(user.ScheduleAccessEditOwn).SaveX(allowCtx())
}

type emergencyWindow struct {
	ID, Reason           string
	StartedAt, ExpiresAt time.Time
	EndedAt              *time.Time
	User                 struct{ ID string }
	Client               struct {
		ID, GivenName string
		DateOfBirth   *time.Time
	}
}

func openWindow(t *testing.T, db *store.DB, v *viewer.Viewer, now time.Time, client pulid.ID, reason string) (emergencyWindow, gqlResponse) {
	t.Helper()
	r := gqlDo(t, db, v, openEmergencyMutation,
		map[string]any{"input": map[string]any{"clientId": client, "reason": reason}}, atTime(now))
	var w emergencyWindow
	if len(r.Errors) == 0 {
		dataField(t, r, "openEmergencyAccess", &w)
	}
	return w, r
}

func reachesClient(t *testing.T, db *store.DB, v *viewer.Viewer, now time.Time, client pulid.ID) bool {
	t.Helper()
	r := gqlDo(t, db, v, clientNameQuery, map[string]any{"id": client}, atTime(now))
	wantCodes(t, r)
	return string(r.Data["node"]) != "null"
}

func TestEmergencyAccessMutations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0]
		setPHI(t, db.Client, ada)
		clin := newClinician(t, db.Client, a, "clin@acme.test")
		v := viewerOf(t, db.Client, clin)
		// A session of Ada's with another provider, billed.
		apt := db.Client.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetProviderID(a.admin.ID).
			SetStartsAt(emergencyT0.Add(-24 * time.Hour)).SetEndsAt(emergencyT0.Add(-23 * time.Hour)).SetBilled(true).
			SaveX(allowCtx())

		if reachesClient(t, db, v, emergencyT0, ada.ID) {
			t.Fatal("clinician reaches Ada before the window")
		}
		w, r := openWindow(t, db, v, emergencyT0, ada.ID, emergencyReason)
		wantCodes(t, r)
		if w.Reason != emergencyReason || !w.StartedAt.Equal(emergencyT0) || !w.ExpiresAt.Equal(emergencyT0.Add(time.Hour)) ||
			w.EndedAt != nil || w.User.ID != string(clin.ID) || w.Client.ID != string(ada.ID) {
			t.Errorf("window = %+v", w)
		}
		// Staff in a window read the profile's PHI; the read is audited
		// (after the mutation's transaction, on both databases).
		if w.Client.DateOfBirth == nil || w.Client.DateOfBirth.Year() != 1990 {
			t.Errorf("dateOfBirth in the window = %v", w.Client.DateOfBirth)
		}
		reads := readEvents(t, db.Client, a.org.ID)
		if len(reads) != 1 || reads[0].TargetID != string(ada.ID) || idOf(reads[0].ActorID) != clin.ID {
			t.Errorf("read events = %+v", reads)
		}

		// The opening is in the trail, with its reason, for the auditor.
		p := queryAudit(t, db, a.viewer(), map[string]any{"action": access.EmergencyOpened}, 0, "")
		if p.TotalCount != 1 {
			t.Fatalf("%d opened events", p.TotalCount)
		}
		if n := p.Edges[0].Node; n.Details["reason"] != emergencyReason || n.ClientID == nil || *n.ClientID != string(ada.ID) ||
			n.ActorID == nil || *n.ActorID != string(clin.ID) {
			t.Errorf("opened event = %+v", n)
		}

		// The window opens Ada until expiresAt (exclusive), nothing else.
		for _, tc := range []struct {
			at   time.Duration
			want bool
		}{{0, true}, {30 * time.Minute, true}, {59*time.Minute + 59*time.Second, true}, {time.Hour, false}, {3 * time.Hour, false}} {
			if got := reachesClient(t, db, v, emergencyT0.Add(tc.at), ada.ID); got != tc.want {
				t.Errorf("at +%s reaches = %v, want %v", tc.at, got, tc.want)
			}
		}
		if reachesClient(t, db, v, emergencyT0, a.clients[1].ID) {
			t.Error("window opens another client")
		}

		// Field rules still apply in the window: the billing state of
		// another provider's session needs billing.view.
		r = gqlDo(t, db, v, `query($id: ID!) { node(id: $id) { ... on Appointment { startsAt billed } } }`,
			map[string]any{"id": apt.ID}, atTime(emergencyT0.Add(5*time.Minute)))
		wantCodes(t, r, "FORBIDDEN")
		var node struct {
			StartsAt *time.Time
			Billed   *bool
		}
		dataField(t, r, "node", &node)
		if node.StartsAt == nil || node.Billed != nil || !slices.Equal(r.Errors[0].Path, []any{"node", "billed"}) {
			t.Errorf("appointment = %s, errors %+v", r.Data["node"], r.Errors)
		}

		// Ending early closes it at once, and is audited.
		r = gqlDo(t, db, v, endEmergencyMutation, map[string]any{"id": w.ID}, atTime(emergencyT0.Add(10*time.Minute)))
		wantCodes(t, r)
		var ended struct{ EndedAt *time.Time }
		dataField(t, r, "endEmergencyAccess", &ended)
		if ended.EndedAt == nil || !ended.EndedAt.Equal(emergencyT0.Add(10*time.Minute)) {
			t.Errorf("ended = %s", r.Data["endEmergencyAccess"])
		}
		if reachesClient(t, db, v, emergencyT0.Add(10*time.Minute), ada.ID) {
			t.Error("ended window still opens Ada")
		}
		evs := db.Client.AuditEvent.Query().Where(auditevent.Action(access.EmergencyEnded)).AllX(sysCtx(a.org.ID))
		if len(evs) != 1 || evs[0].TargetID != w.ID || idOf(evs[0].ActorID) != clin.ID || idOf(evs[0].ClientID) != ada.ID {
			t.Errorf("ended events = %+v", evs)
		}
	})
}

func TestEmergencyAccessRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		b := newTenant(t, db.Client, "bravo")
		ada := a.clients[0].ID
		clin := viewerOf(t, db.Client, newClinician(t, db.Client, a, "clin@acme.test"))
		noPriv := viewerOf(t, db.Client, addUser(t, db.Client, a.org.ID, "teacher@acme.test", user.KindStaff,
			addRole(t, db.Client, a.org.ID, "Teacher", authz.HomeworkManage, authz.DocumentsManage)))
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, a.clients[0], portalPerms{sessionsHomework: true})

		for _, tc := range []struct {
			name   string
			v      *viewer.Viewer
			client pulid.ID
			reason string
			code   string
			field  string
		}{
			{"no privilege", noPriv, ada, emergencyReason, "FORBIDDEN", ""},
			{"portal user", viewerOf(t, db.Client, parent), ada, emergencyReason, "FORBIDDEN", ""},
			{"already reaches", a.viewer(), ada, emergencyReason, "CONFLICT", ""},
			{"empty reason", clin, ada, "", "BAD_USER_INPUT", "reason"},
			{"blank reason", clin, ada, "          ", "BAD_USER_INPUT", "reason"},
			{"short reason", clin, ada, "urgent", "BAD_USER_INPUT", "reason"},
			{"unknown client", clin, pulid.New("cli"), emergencyReason, "NOT_FOUND", ""},
			{"malformed id", clin, "nonsense", emergencyReason, "NOT_FOUND", ""},
			{"other org's client", clin, b.clients[0].ID, emergencyReason, "NOT_FOUND", ""},
		} {
			_, r := openWindow(t, db, tc.v, emergencyT0, tc.client, tc.reason)
			if got := codes(r); len(got) != 1 || got[0] != tc.code {
				t.Errorf("%s: codes = %v (%+v), want %s", tc.name, got, r.Errors, tc.code)
				continue
			}
			if f, _ := r.Errors[0].Extensions["field"].(string); f != tc.field {
				t.Errorf("%s: extensions.field = %q, want %q", tc.name, f, tc.field)
			}
			if s := string(r.Data["openEmergencyAccess"]); s != "" && s != "null" {
				t.Errorf("%s: data = %s", tc.name, s)
			}
		}
		if n := db.Client.EmergencyAccess.Query().CountX(sysCtx(a.org.ID)); n != 0 {
			t.Errorf("%d windows after refusals", n)
		}
		if n := db.Client.AuditEvent.Query().Where(auditevent.Action(access.EmergencyOpened)).CountX(sysCtx(a.org.ID)); n != 0 {
			t.Errorf("%d opened events after refusals", n)
		}

		// An open window is itself a path: a second one conflicts.
		w, r := openWindow(t, db, clin, emergencyT0, ada, emergencyReason)
		wantCodes(t, r)
		_, r = openWindow(t, db, clin, emergencyT0.Add(time.Minute), ada, emergencyReason)
		wantCodes(t, r, "CONFLICT")

		// Ending someone else's window, or one that does not exist.
		other := viewerOf(t, db.Client, newClinician(t, db.Client, a, "other@acme.test"))
		for _, id := range []string{w.ID, string(pulid.New("eac"))} {
			r = gqlDo(t, db, other, endEmergencyMutation, map[string]any{"id": id}, atTime(emergencyT0.Add(time.Minute)))
			wantCodes(t, r, "NOT_FOUND")
		}
		if !reachesClient(t, db, clin, emergencyT0.Add(2*time.Minute), ada) {
			t.Error("window closed by someone else")
		}
	})
}

func TestEmergencyWindowLengthIsAnOrganizationSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		db.Client.Organization.UpdateOne(a.org).SetEmergencyAccessMinutes(15).ExecX(allowCtx())
		clin := viewerOf(t, db.Client, newClinician(t, db.Client, a, "clin@acme.test"))
		w, r := openWindow(t, db, clin, emergencyT0, a.clients[0].ID, emergencyReason)
		wantCodes(t, r)
		if !w.ExpiresAt.Equal(emergencyT0.Add(15 * time.Minute)) {
			t.Errorf("expiresAt = %s", w.ExpiresAt)
		}
		if !reachesClient(t, db, clin, emergencyT0.Add(14*time.Minute), a.clients[0].ID) ||
			reachesClient(t, db, clin, emergencyT0.Add(15*time.Minute), a.clients[0].ID) {
			t.Error("window does not follow the organization's 15 minutes")
		}
	})
}

// Restricted clients are reached by emergency access too (DOMAIN.md).
func TestEmergencyAccessOpensARestrictedClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := db.Client.Patient.UpdateOne(a.clients[0]).SetRestricted(true).SaveX(sysCtx(a.org.ID))
		clin := viewerOf(t, db.Client, newClinician(t, db.Client, a, "clin@acme.test"))
		w, r := openWindow(t, db, clin, emergencyT0, ada.ID, emergencyReason)
		wantCodes(t, r)
		if !reachesClient(t, db, clin, emergencyT0.Add(time.Minute), ada.ID) {
			t.Error("window does not open a restricted client")
		}
		// The administrator does not reach the restricted client, yet
		// sees the window (audit.view) by its id from the trail.
		if reachesClient(t, db, a.viewer(), emergencyT0, ada.ID) {
			t.Error("administrator reaches a restricted client")
		}
		r = gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on EmergencyAccess { reason user { id } } } }`,
			map[string]any{"id": w.ID}, atTime(emergencyT0))
		wantCodes(t, r)
		if got := string(r.Data["node"]); got != `{"reason":"`+emergencyReason+`","user":{"id":"`+string(clin.UserID)+`"}}` {
			t.Errorf("administrator: window = %s", got)
		}
	})
}

func TestEmergencyAccessRowsAreVisibleToTheirUserAndAuditors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada := a.clients[0].ID
		c1 := viewerOf(t, db.Client, newClinician(t, db.Client, a, "one@acme.test"))
		c2 := viewerOf(t, db.Client, newClinician(t, db.Client, a, "two@acme.test"))
		w1, r := openWindow(t, db, c1, emergencyT0, ada, emergencyReason)
		wantCodes(t, r)
		w2, r := openWindow(t, db, c2, emergencyT0, ada, emergencyReason+" (second)")
		wantCodes(t, r)

		const q = `query($id: ID!) { node(id: $id) { ... on Client { emergencyAccesses { id reason user { id } } } } }`
		windows := func(v *viewer.Viewer) []string {
			t.Helper()
			r := gqlDo(t, db, v, q, map[string]any{"id": ada}, atTime(emergencyT0.Add(time.Minute)))
			wantCodes(t, r)
			var n struct{ EmergencyAccesses []struct{ ID string } }
			if err := json.Unmarshal(r.Data["node"], &n); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range n.EmergencyAccesses {
				ids = append(ids, e.ID)
			}
			slices.Sort(ids)
			return ids
		}
		both := []string{w1.ID, w2.ID}
		slices.Sort(both)
		if got := windows(a.viewer()); !slices.Equal(got, both) {
			t.Errorf("administrator sees %v, want %v", got, both)
		}
		if got := windows(c1); !slices.Equal(got, []string{w1.ID}) {
			t.Errorf("clinician one sees %v", got)
		}
		if got := windows(c2); !slices.Equal(got, []string{w2.ID}) {
			t.Errorf("clinician two sees %v", got)
		}
		// By id: the other clinician's window is absent.
		r = gqlDo(t, db, c1, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w2.ID}, atTime(emergencyT0))
		wantCodes(t, r)
		if string(r.Data["node"]) != "null" {
			t.Errorf("clinician one reads clinician two's window: %s", r.Data["node"])
		}
		// The trail lists both openings for the auditor.
		p := queryAudit(t, db, a.viewer(), map[string]any{"action": access.EmergencyOpened, "clientID": ada}, 0, "")
		if p.TotalCount != 2 {
			t.Errorf("%d opened events for Ada", p.TotalCount)
		}
	})
}
