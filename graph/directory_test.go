package graph_test

import (
	"context"
	"github.com/clinicgate/clinicgate/internal/seats"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const (
	suspendUserMutation       = `mutation($id: ID!) { suspendUser(input: {userId: $id}) { user { id status suspendedAt } } }`
	reactivateUserMutation    = `mutation($id: ID!) { reactivateUser(input: {userId: $id}) { user { id status suspendedAt } } }`
	removeUserMutation        = `mutation($id: ID!) { removeUser(input: {userId: $id}) { user { id status deletedAt } } }`
	signOutEverywhereMutation = `mutation($id: ID!) { signOutEverywhere(input: {userId: $id}) { sessionsEnded } }`
	resetPasswordMutation     = `mutation($id: ID!) { resetUserPassword(input: {userId: $id}) { user { id } } }`
	updateProfileMutation     = `mutation($input: UpdateUserProfileInput!) { updateUserProfile(input: $input) { user { id email givenName familyName displayName phone title } } }`
	createEmployeeMutation    = `mutation($input: CreateEmployeeUserInput!) { createEmployeeUser(input: $input) { user { id email status scheduleAccess tabAccess givenName staffProfile { id } roles { id } } } }`
	createUnitMutation        = `mutation($input: CreateBusinessUnitInput!) { createBusinessUnit(input: $input) { businessUnit { id name address } } }`
	updateUnitMutation        = `mutation($input: UpdateBusinessUnitInput!) { updateBusinessUnit(input: $input) { businessUnit { id name address } } }`
	deleteUnitMutation        = `mutation($input: DeleteBusinessUnitInput!) { deleteBusinessUnit(input: $input) { deletedBusinessUnitId movedClients removedMemberIds } }`
	assignClientMutation      = `mutation($input: AssignClientBusinessUnitInput!) { assignClientBusinessUnit(input: $input) { client { id businessUnit { id } } } }`
	setUserUnitsMutation      = `mutation($input: SetUserBusinessUnitsInput!) { setUserBusinessUnits(input: $input) { user { id businessUnits { id } primaryBusinessUnit { id } } } }`
)

// addSession gives u a live session.
func addSession(t *testing.T, c *ent.Client, u *ent.User, tag string) *ent.Session {
	t.Helper()
	return c.Session.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).SetTokenHash([]byte(tag)).
		SetMethod("PASSWORD").SetExpiresAt(u.CreatedAt.Add(1e12)).SetIdleTimeoutSeconds(1800).SaveX(allowCtx())
}

// directoryEvents returns org's audit events of action.
func directoryEvents(t *testing.T, c *ent.Client, org pulid.ID, action string) []*ent.AuditEvent {
	t.Helper()
	return c.AuditEvent.Query().Where(auditevent.OrganizationID(org), auditevent.Action(action)).AllX(allowCtx())
}

func wantOneEvent(t *testing.T, c *ent.Client, org pulid.ID, action string) *ent.AuditEvent {
	t.Helper()
	evs := directoryEvents(t, c, org, action)
	if len(evs) != 1 {
		t.Fatalf("%d %s events, want 1", len(evs), action)
	}
	return evs[0]
}

func idVars(id pulid.ID) map[string]any          { return map[string]any{"id": string(id)} }
func inputVars(in map[string]any) map[string]any { return map[string]any{"input": in} }

func TestDirectorySuspendEndsSessionsAndReactivateBringsNoneBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff, a.role)
		linkClient(t, c, bob, a.clients[0])
		s := addSession(t, c, bob, "bob")

		r := gqlDo(t, db, a.viewer(), suspendUserMutation, idVars(bob.ID))
		wantCodes(t, r)
		if got := c.User.GetX(allowCtx(), bob.ID); got.Status != user.StatusSuspended || got.SuspendedAt == nil {
			t.Fatalf("after suspension: status %s, suspended_at %v", got.Status, got.SuspendedAt)
		}
		if c.Session.GetX(allowCtx(), s.ID).RevokedAt == nil {
			t.Fatal("the suspended user's session is alive")
		}
		ev := wantOneEvent(t, c, a.org.ID, directory.ActionSuspended)
		if ev.TargetID != string(bob.ID) || ev.Details["before"].(map[string]any)["status"] != "ACTIVE" ||
			ev.Details["after"].(map[string]any)["status"] != "SUSPENDED" || idOf(ev.ActorID) != a.admin.ID {
			t.Fatalf("suspension event %+v", ev)
		}
		wantCodes(t, gqlDo(t, db, a.viewer(), suspendUserMutation, idVars(bob.ID)), "CONFLICT")

		r = gqlDo(t, db, a.viewer(), reactivateUserMutation, idVars(bob.ID))
		wantCodes(t, r)
		got := c.User.GetX(allowCtx(), bob.ID)
		if got.Status != user.StatusActive || got.SuspendedAt != nil {
			t.Fatalf("after reactivation: %s %v", got.Status, got.SuspendedAt)
		}
		if c.Session.GetX(allowCtx(), s.ID).RevokedAt == nil {
			t.Fatal("reactivation brought the old session back")
		}
		// Roles and links were never removed.
		if n := got.QueryRoles().CountX(allowCtx()); n != 1 {
			t.Fatalf("%d roles after reactivation", n)
		}
		if n := got.QueryClientAccesses().CountX(allowCtx()); n != 1 {
			t.Fatalf("%d client links after reactivation", n)
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionReactivated)
		wantCodes(t, gqlDo(t, db, a.viewer(), reactivateUserMutation, idVars(bob.ID)), "CONFLICT")
	})
}

func TestDirectoryRemoveSoftDeletesAndKeepsWhatTheyWrote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff, a.role)
		s := addSession(t, c, bob, "bob")
		appt := c.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(a.clients[0].ID).SetProviderID(bob.ID).
			SetStartsAt(bob.CreatedAt).SetEndsAt(bob.CreatedAt.Add(3600e9)).SaveX(allowCtx())

		wantCodes(t, gqlDo(t, db, a.viewer(), removeUserMutation, idVars(bob.ID)))
		got := c.User.GetX(allowCtx(), bob.ID)
		if got.Status != user.StatusDeleted || got.DeletedAt == nil {
			t.Fatalf("after removal: %s %v", got.Status, got.DeletedAt)
		}
		if c.Session.GetX(allowCtx(), s.ID).RevokedAt == nil {
			t.Fatal("the removed user's session is alive")
		}
		if c.Appointment.GetX(allowCtx(), appt.ID).ProviderID != bob.ID {
			t.Fatal("the removed user's appointment changed")
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionRemoved)
		wantOneEvent(t, c, a.org.ID, seats.SeatReleased) // a staff member's seat is freed
		// A removed user is gone: any further change is NOT_FOUND.
		wantCodes(t, gqlDo(t, db, a.viewer(), reactivateUserMutation, idVars(bob.ID)), "NOT_FOUND")
	})
}

func TestDirectoryUserStatusRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		owner := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("owner@acme.test").SetStatus(user.StatusActive).
			SetIsAccountOwner(true).AddRoles(a.role).SaveX(allowCtx())
		clinician := addUser(t, c, a.org.ID, "cli@acme.test", user.KindStaff,
			addRole(t, c, a.org.ID, "Clinician", authz.ClientsAccessAll, authz.UsersInvite, authz.ClientsEdit))
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff)
		for _, m := range []string{suspendUserMutation, removeUserMutation} {
			wantCodes(t, gqlDo(t, db, a.viewer(), m, idVars(a.admin.ID)), "FORBIDDEN")
			wantCodes(t, gqlDo(t, db, a.viewer(), m, idVars(owner.ID)), "FORBIDDEN")
			wantCodes(t, gqlDo(t, db, viewerOf(t, c, owner), m, idVars(owner.ID)), "FORBIDDEN")
		}
		// A user without users.manage is refused every user mutation; a
		// user of another organization, or a missing one, is NOT_FOUND.
		for _, m := range []string{suspendUserMutation, reactivateUserMutation, removeUserMutation, resetPasswordMutation, signOutEverywhereMutation} {
			wantCodes(t, gqlDo(t, db, viewerOf(t, c, clinician), m, idVars(bob.ID)), "FORBIDDEN")
			wantCodes(t, gqlDo(t, db, a.viewer(), m, idVars(b.admin.ID)), "NOT_FOUND")
			wantCodes(t, gqlDo(t, db, a.viewer(), m, idVars("usr_missing")), "NOT_FOUND")
		}
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, clinician), updateProfileMutation,
			inputVars(map[string]any{"userId": string(bob.ID), "givenName": "B"})), "FORBIDDEN")
		if n := c.AuditEvent.Query().Where(auditevent.ActionHasPrefix("user.")).CountX(allowCtx()); n != 0 {
			t.Fatalf("%d user events after refusals", n)
		}
		if got := c.User.GetX(allowCtx(), owner.ID); got.Status != user.StatusActive {
			t.Fatalf("owner is %s", got.Status)
		}
	})
}

func TestDirectorySignOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		plain := addUser(t, c, a.org.ID, "plain@acme.test", user.KindStaff)
		s1, s2 := addSession(t, c, plain, "p1"), addSession(t, c, plain, "p2")
		other := addSession(t, c, a.admin, "admin2")

		// Anyone signs themself out everywhere.
		var out struct{ SessionsEnded int }
		r := gqlDo(t, db, viewerOf(t, c, plain), signOutEverywhereMutation, idVars(plain.ID))
		wantCodes(t, r)
		dataField(t, r, "signOutEverywhere", &out)
		if out.SessionsEnded != 2 || c.Session.Query().Where(session.IDIn(s1.ID, s2.ID), session.RevokedAtIsNil()).CountX(allowCtx()) != 0 {
			t.Fatalf("ended %d", out.SessionsEnded)
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionSignedOutEverywhere)
		// But not someone else without users.manage.
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, plain), signOutEverywhereMutation, idVars(a.admin.ID)), "FORBIDDEN")
		if c.Session.GetX(allowCtx(), other.ID).RevokedAt != nil {
			t.Fatal("a refused sign-out ended a session")
		}
		// An administrator signs another user out.
		addSession(t, c, plain, "p3")
		r = gqlDo(t, db, a.viewer(), signOutEverywhereMutation, idVars(plain.ID))
		wantCodes(t, r)
		dataField(t, r, "signOutEverywhere", &out)
		if out.SessionsEnded != 1 {
			t.Fatalf("ended %d", out.SessionsEnded)
		}
	})
}

func TestDirectoryUpdateProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff)
		scim := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("idp@acme.test").SetExternalID("ext-1").
			SetStatus(user.StatusActive).SaveX(allowCtx())
		owner := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("owner@acme.test").SetStatus(user.StatusActive).
			SetIsAccountOwner(true).SaveX(allowCtx())

		r := gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(bob.ID), "givenName": " Bob ", "familyName": "Builder", "displayName": "Bob B",
			"phone": "555-0100", "title": "Therapist", "email": "Robert@acme.test"}))
		wantCodes(t, r)
		got := c.User.GetX(allowCtx(), bob.ID)
		if got.GivenName != "Bob" || got.Title != "Therapist" || got.Email != "Robert@acme.test" || got.EmailNormalized != "robert@acme.test" {
			t.Fatalf("after edit: %+v", got)
		}
		ev := wantOneEvent(t, c, a.org.ID, directory.ActionProfileUpdated)
		if ev.Details["before"].(map[string]any)["email"] != "bob@acme.test" || ev.Details["after"].(map[string]any)["title"] != "Therapist" {
			t.Fatalf("event details %v", ev.Details)
		}

		wantField(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(scim.ID), "email": "new@acme.test"})), "email")
		wantField(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(bob.ID), "email": "ADMIN@acme.test"})), "email")
		wantField(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(bob.ID), "email": "not an email"})), "email")
		wantField(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(bob.ID), "phone": strings.Repeat("5", 51)})), "phone")
		// The owner's sign-in email is theirs alone; their name is not.
		wantCodes(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(owner.ID), "email": "taken-over@acme.test"})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(owner.ID), "title": "Founder"})))
		if got := c.User.GetX(allowCtx(), owner.ID); got.Email != "owner@acme.test" || got.Title != "Founder" {
			t.Fatalf("owner after edits: %s %s", got.Email, got.Title)
		}
		// A SCIM-managed user's other fields are edited.
		wantCodes(t, gqlDo(t, db, a.viewer(), updateProfileMutation, inputVars(map[string]any{
			"userId": string(scim.ID), "phone": "555"})))
		if n := len(directoryEvents(t, c, a.org.ID, directory.ActionProfileUpdated)); n != 3 {
			t.Fatalf("%d profile events", n)
		}
	})
}

// deliver renders org's pending temporary-password messages for u, as the
// outbox worker does, and returns the password of the last one.
func deliver(t *testing.T, c *ent.Client, u *ent.User) string {
	t.Helper()
	msgs := c.OutboxMessage.Query().Where(outboxmessage.Kind(directory.MessageKindTemporaryPasswd),
		outboxmessage.OrganizationID(u.OrganizationID)).AllX(allowCtx())
	rend := directory.TemporaryPasswordRenderer(directory.TemporaryPasswordConfig{SignInURL: "https://app.test/sign-in"})
	var plain string
	for _, m := range msgs {
		if m.Payload["user_id"] != string(u.ID) {
			continue
		}
		tx, err := c.Tx(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mail, err := rend.Render(viewer.ForSystem(context.Background(), u.OrganizationID), tx.Client(), m)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if mail.To != u.Email {
			t.Fatalf("mail to %s", mail.To)
		}
		plain = regexp.MustCompile(`[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}`).FindString(mail.Text)
	}
	if plain == "" {
		t.Fatal("no temporary password mailed")
	}
	return plain
}

func TestDirectoryCreateEmployeeUserMailsATemporaryPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		p := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Eve").SetFamilyName("Ng").
			SetEmail("eve@acme.test").SetJobTitle("Therapist").SaveX(allowCtx())
		q := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Fay").SetFamilyName("Ho").
			SetEmail("fay@acme.test").SaveX(allowCtx())

		wantField(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "PROVIDER", "scheduleAccess": "EDIT_OWN", "email": "eve@typo.test"})), "email")
		wantField(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "PROVIDER"})), "scheduleAccess")
		wantField(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "PROVIDER", "scheduleAccess": "EDIT_OWN", "tabs": []string{"BILLING"}})), "tabs")
		wantField(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "OFFICE_STAFF", "scheduleAccess": "EDIT_OWN"})), "scheduleAccess")

		r := gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "PROVIDER", "scheduleAccess": "EDIT_OWN_VIEW_ALL", "email": "EVE@acme.test",
			"roleIds": []string{string(a.role.ID)}}))
		wantCodes(t, r)
		var out struct {
			User struct {
				ID, Email, Status, ScheduleAccess, GivenName string
				StaffProfile                                 struct{ ID string }
			}
		}
		dataField(t, r, "createEmployeeUser", &out)
		if out.User.Email != "eve@acme.test" || out.User.Status != "ACTIVE" || out.User.ScheduleAccess != "EDIT_OWN_VIEW_ALL" ||
			out.User.StaffProfile.ID != string(p.ID) || out.User.GivenName != "Eve" {
			t.Fatalf("employee user %+v", out.User)
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionEmployeeUserCreated)
		eve := c.User.GetX(allowCtx(), pulid.ID(out.User.ID))
		if c.PasswordCredential.Query().Where(passwordcredential.UserID(eve.ID)).ExistX(allowCtx()) {
			t.Fatal("a credential exists before the mail leaves")
		}
		plain := deliver(t, c, eve)
		cred := c.PasswordCredential.Query().Where(passwordcredential.UserID(eve.ID)).OnlyX(allowCtx())
		if ok, _, _ := password.Verify(cred.Hash, plain); !ok || !cred.MustChange || cred.TemporaryExpiresAt == nil {
			t.Fatalf("credential: verifies %v, must change %v, expires %v", ok, cred.MustChange, cred.TemporaryExpiresAt)
		}
		// The row holds no secret.
		for _, m := range c.OutboxMessage.Query().AllX(allowCtx()) {
			for _, v := range m.Payload {
				if v == plain {
					t.Fatal("the outbox row holds the password")
				}
			}
		}
		wantCodes(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "PROVIDER", "scheduleAccess": "OWN_ONLY"})), "CONFLICT")

		// Office staff get dashboard and reports by default.
		r = gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(q.ID), "type": "OFFICE_STAFF"}))
		wantCodes(t, r)
		var office struct{ User struct{ TabAccess []string } }
		dataField(t, r, "createEmployeeUser", &office)
		if !slices.Equal(office.User.TabAccess, []string{authz.TabDashboard, authz.TabReports}) {
			t.Fatalf("office tabs %v", office.User.TabAccess)
		}
	})
}

func TestDirectoryCreateEmployeeUserRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		p := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Eve").SetFamilyName("Ng").
			SetEmail("eve@acme.test").SaveX(allowCtx())
		foreign := c.StaffProfile.Create().SetOrganizationID(b.org.ID).SetGivenName("Zed").SetFamilyName("Q").
			SetEmail("zed@other.test").SaveX(allowCtx())
		hr := addUser(t, c, a.org.ID, "hr@acme.test", user.KindStaff,
			addRole(t, c, a.org.ID, "HR", authz.StaffProfilesManage, authz.StaffProfilesAccessAll))
		noPriv := addUser(t, c, a.org.ID, "np@acme.test", user.KindStaff,
			addRole(t, c, a.org.ID, "NP", authz.StaffProfilesAccessAll, authz.UsersManage))
		office := func(tabs ...string) map[string]any {
			return inputVars(map[string]any{"staffProfileId": string(p.ID), "type": "OFFICE_STAFF", "tabs": tabs})
		}
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, noPriv), createEmployeeMutation, office("DASHBOARD")), "FORBIDDEN")
		// Escalation: the reports tab opens reports.view, the admin role
		// privileges HR does not hold.
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, hr), createEmployeeMutation, office("REPORTS")), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, hr), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "OFFICE_STAFF", "tabs": []string{}, "roleIds": []string{string(a.role.ID)}})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(foreign.ID), "type": "OFFICE_STAFF"})), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "OFFICE_STAFF", "roleIds": []string{string(b.role.ID)}})), "NOT_FOUND")
		if n := c.User.Query().Where(user.EmailNormalized("eve@acme.test")).CountX(allowCtx()); n != 0 {
			t.Fatal("a refused creation made a user")
		}
		// HR gives what it holds: dashboard only.
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, hr), createEmployeeMutation, office("DASHBOARD")))
	})
}

func TestDirectoryResetPasswordMailsANewTemporaryPasswordAndEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff)
		old, _ := password.Hash("an old password of bob's")
		c.PasswordCredential.Create().SetOrganizationID(a.org.ID).SetUserID(bob.ID).SetHash(old).
			SetChangedAt(bob.CreatedAt).SetFailedAttempts(3).SaveX(allowCtx())
		s := addSession(t, c, bob, "bob")

		wantCodes(t, gqlDo(t, db, a.viewer(), resetPasswordMutation, idVars(bob.ID)))
		if c.Session.GetX(allowCtx(), s.ID).RevokedAt == nil {
			t.Fatal("session alive after reset")
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionPasswordReset)
		if cred := c.PasswordCredential.Query().Where(passwordcredential.UserID(bob.ID)).OnlyX(allowCtx()); !cred.MustChange || cred.TemporaryExpiresAt == nil {
			t.Fatal("the old password still works until the mail leaves")
		}
		plain := deliver(t, c, bob)
		cred := c.PasswordCredential.Query().Where(passwordcredential.UserID(bob.ID)).OnlyX(allowCtx())
		if ok, _, _ := password.Verify(cred.Hash, plain); !ok || !cred.MustChange || cred.FailedAttempts != 0 {
			t.Fatalf("credential after reset: %v %v %d", ok, cred.MustChange, cred.FailedAttempts)
		}
		// Not one's own (change it instead).
		wantCodes(t, gqlDo(t, db, a.viewer(), resetPasswordMutation, idVars(a.admin.ID)), "FORBIDDEN")
	})
}

func TestDirectoryBusinessUnitLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		var created struct {
			BusinessUnit struct{ ID, Name, Address string }
		}
		r := gqlDo(t, db, a.viewer(), createUnitMutation, inputVars(map[string]any{"name": " South ", "address": "1 Main St"}))
		wantCodes(t, r)
		dataField(t, r, "createBusinessUnit", &created)
		south := pulid.ID(created.BusinessUnit.ID)
		if created.BusinessUnit.Name != "South" || created.BusinessUnit.Address != "1 Main St" {
			t.Fatalf("created %+v", created)
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionUnitCreated)
		wantField(t, gqlDo(t, db, a.viewer(), createUnitMutation, inputVars(map[string]any{"name": "north"})), "name")
		wantField(t, gqlDo(t, db, a.viewer(), createUnitMutation, inputVars(map[string]any{"name": "  "})), "name")

		wantCodes(t, gqlDo(t, db, a.viewer(), updateUnitMutation, inputVars(map[string]any{
			"businessUnitId": string(south), "name": "South Side", "address": ""})))
		if bu := c.BusinessUnit.GetX(allowCtx(), south); bu.Name != "South Side" || bu.Address != "" {
			t.Fatalf("after update %+v", bu)
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionUnitUpdated)
		wantField(t, gqlDo(t, db, a.viewer(), updateUnitMutation, inputVars(map[string]any{
			"businessUnitId": string(south), "name": "North"})), "name")

		// North has the tenant's three clients, a member whose primary
		// unit it is, and a staff profile.
		member := addUser(t, c, a.org.ID, "m@acme.test", user.KindStaff)
		c.User.UpdateOne(member).AddBusinessUnits(a.unit).SetPrimaryBusinessUnitID(a.unit.ID).ExecX(allowCtx())
		prof := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("P").SetFamilyName("Q").
			SetEmail("p@acme.test").SetBusinessUnit(a.unit).SaveX(allowCtx())
		wantCodes(t, gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{"businessUnitId": string(a.unit.ID)})), "CONFLICT")
		wantField(t, gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{
			"businessUnitId": string(a.unit.ID), "targetBusinessUnitId": string(a.unit.ID)})), "targetBusinessUnitId")
		wantCodes(t, gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{
			"businessUnitId": string(a.unit.ID), "targetBusinessUnitId": "bun_missing"})), "NOT_FOUND")

		r = gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{
			"businessUnitId": string(a.unit.ID), "targetBusinessUnitId": string(south)}))
		wantCodes(t, r)
		var del struct {
			DeletedBusinessUnitID string `json:"deletedBusinessUnitId"`
			MovedClients          int
			RemovedMemberIDs      []string `json:"removedMemberIds"`
		}
		dataField(t, r, "deleteBusinessUnit", &del)
		if del.MovedClients != 3 || !slices.Equal(del.RemovedMemberIDs, []string{string(member.ID)}) {
			t.Fatalf("deletion %+v", del)
		}
		if n := c.Patient.Query().Where(patient.BusinessUnitID(south)).CountX(allowCtx()); n != 3 {
			t.Fatalf("%d clients in the target", n)
		}
		m := c.User.GetX(allowCtx(), member.ID)
		if m.PrimaryBusinessUnitID != nil || m.QueryBusinessUnits().CountX(allowCtx()) != 0 {
			t.Fatal("the member still points at the deleted unit")
		}
		if c.StaffProfile.GetX(allowCtx(), prof.ID).BusinessUnitID != nil {
			t.Fatal("the staff profile still points at the deleted unit")
		}
		wantOneEvent(t, c, a.org.ID, directory.ActionUnitDeleted)
		// An empty unit is deleted without a target.
		wantCodes(t, gqlDo(t, db, a.viewer(), createUnitMutation, inputVars(map[string]any{"name": "Empty"})))
		empty := c.BusinessUnit.Query().Where().AllX(allowCtx())
		for _, bu := range empty {
			if bu.Name == "Empty" {
				wantCodes(t, gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{"businessUnitId": string(bu.ID)})))
			}
		}
	})
}

func TestDirectoryBusinessUnitRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		clin := addUser(t, c, a.org.ID, "c@acme.test", user.KindStaff,
			addRole(t, c, a.org.ID, "Clinician", authz.ClientsAccessAll, authz.UsersManage))
		v := viewerOf(t, c, clin)
		wantCodes(t, gqlDo(t, db, v, createUnitMutation, inputVars(map[string]any{"name": "X"})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, v, updateUnitMutation, inputVars(map[string]any{"businessUnitId": string(a.unit.ID), "name": "Y"})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, v, deleteUnitMutation, inputVars(map[string]any{"businessUnitId": string(a.unit.ID)})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, a.viewer(), updateUnitMutation, inputVars(map[string]any{"businessUnitId": string(b.unit.ID), "name": "Y"})), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, a.viewer(), deleteUnitMutation, inputVars(map[string]any{"businessUnitId": string(b.unit.ID)})), "NOT_FOUND")
		if n := c.AuditEvent.Query().Where(auditevent.ActionHasPrefix("business_unit.")).CountX(allowCtx()); n != 0 {
			t.Fatalf("%d events after refusals", n)
		}
	})
}

func TestDirectoryAssignClientToAtMostOneUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		south := c.BusinessUnit.Create().SetOrganizationID(a.org.ID).SetName("South").SaveX(allowCtx())
		ada := a.clients[0]
		assign := func(v *viewer.Viewer, client pulid.ID, units ...pulid.ID) gqlResponse {
			units = append([]pulid.ID{}, units...)
			return gqlDo(t, db, v, assignClientMutation, inputVars(map[string]any{"clientId": string(client), "businessUnitIds": units}))
		}
		wantField(t, assign(a.viewer(), ada.ID, a.unit.ID, south.ID), "businessUnitIds")
		wantCodes(t, assign(a.viewer(), ada.ID, south.ID))
		if got := c.Patient.GetX(allowCtx(), ada.ID).BusinessUnitID; got == nil || *got != south.ID {
			t.Fatalf("client's unit %v", got)
		}
		ev := wantOneEvent(t, c, a.org.ID, directory.ActionClientUnitAssigned)
		if ev.Details["before"].(map[string]any)["business_unit_id"] != string(a.unit.ID) ||
			ev.Details["after"].(map[string]any)["business_unit_id"] != string(south.ID) {
			t.Fatalf("assignment event %v", ev.Details)
		}
		wantCodes(t, assign(a.viewer(), ada.ID))
		if c.Patient.GetX(allowCtx(), ada.ID).BusinessUnitID != nil {
			t.Fatal("client still in a unit")
		}
		// A client profile editor who reaches the client assigns it; one
		// who does not edit clients, or does not reach it, cannot.
		editor := addUser(t, c, a.org.ID, "ed@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "Editor", authz.ClientsEdit))
		linkClient(t, c, editor, ada)
		wantCodes(t, assign(viewerOf(t, c, editor), ada.ID, south.ID))
		wantCodes(t, assign(viewerOf(t, c, editor), a.clients[1].ID, south.ID), "NOT_FOUND")
		reader := addUser(t, c, a.org.ID, "rd@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "Reader", authz.ClientsAccessAll))
		wantCodes(t, assign(viewerOf(t, c, reader), ada.ID, a.unit.ID), "FORBIDDEN")
		wantCodes(t, assign(a.viewer(), b.clients[0].ID, a.unit.ID), "NOT_FOUND")
		wantCodes(t, assign(a.viewer(), ada.ID, b.unit.ID), "NOT_FOUND")
	})
}

func TestDirectorySetUserBusinessUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		south := c.BusinessUnit.Create().SetOrganizationID(a.org.ID).SetName("South").SaveX(allowCtx())
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff)
		set := func(v *viewer.Viewer, u pulid.ID, primary *pulid.ID, units ...pulid.ID) gqlResponse {
			units = append([]pulid.ID{}, units...)
			in := map[string]any{"userId": string(u), "businessUnitIds": units}
			if primary != nil {
				in["primaryBusinessUnitId"] = string(*primary)
			}
			return gqlDo(t, db, v, setUserUnitsMutation, inputVars(in))
		}
		wantField(t, set(a.viewer(), bob.ID, &south.ID, a.unit.ID), "primaryBusinessUnitId")
		wantCodes(t, set(a.viewer(), bob.ID, &south.ID, a.unit.ID, south.ID))
		got := c.User.GetX(allowCtx(), bob.ID)
		if got.PrimaryBusinessUnitID == nil || *got.PrimaryBusinessUnitID != south.ID || got.QueryBusinessUnits().CountX(allowCtx()) != 2 {
			t.Fatalf("bob's units: primary %v", got.PrimaryBusinessUnitID)
		}
		ev := wantOneEvent(t, c, a.org.ID, directory.ActionBusinessUnitsSet)
		if len(ev.Details["after"].(map[string]any)["business_unit_ids"].([]any)) != 2 {
			t.Fatalf("event %v", ev.Details)
		}
		wantCodes(t, set(a.viewer(), bob.ID, nil, south.ID))
		if got := c.User.GetX(allowCtx(), bob.ID); got.PrimaryBusinessUnitID != nil || got.QueryBusinessUnits().CountX(allowCtx()) != 1 {
			t.Fatal("units not replaced")
		}

		// A user manager who reaches only one client of North cannot give
		// North (escalation); South (no clients) is fine.
		mgr := addUser(t, c, a.org.ID, "mgr@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "Mgr", authz.UsersManage))
		linkClient(t, c, mgr, a.clients[0])
		wantCodes(t, set(viewerOf(t, c, mgr), bob.ID, nil, a.unit.ID, south.ID), "FORBIDDEN")
		wantCodes(t, set(viewerOf(t, c, mgr), bob.ID, nil))
		// Without users.manage, and across organizations.
		plain := addUser(t, c, a.org.ID, "plain@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "BU", authz.BusinessUnitsManage, authz.ClientsAccessAll))
		wantCodes(t, set(viewerOf(t, c, plain), bob.ID, nil, south.ID), "FORBIDDEN")
		wantCodes(t, set(a.viewer(), b.admin.ID, nil, south.ID), "NOT_FOUND")
		wantCodes(t, set(a.viewer(), bob.ID, nil, b.unit.ID), "NOT_FOUND")
	})
}

const setEmployeeAccessMutation = `mutation($input: SetEmployeeAccessInput!) { setEmployeeAccess(input: $input) { user { id scheduleAccess tabAccess } } }`

func TestDirectorySetEmployeeAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "other")
		bob := addUser(t, c, a.org.ID, "bob@acme.test", user.KindStaff)
		owner := c.User.Create().SetOrganizationID(a.org.ID).SetEmail("owner@acme.test").SetStatus(user.StatusActive).
			SetIsAccountOwner(true).SaveX(allowCtx())
		in := func(u pulid.ID, fields map[string]any) map[string]any {
			fields["userId"] = string(u)
			return inputVars(fields)
		}
		wantCodes(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(bob.ID, map[string]any{"type": "PROVIDER", "scheduleAccess": "VIEW_EDIT_ALL"})))
		if got := c.User.GetX(allowCtx(), bob.ID); got.ScheduleAccess != user.ScheduleAccessViewEditAll || len(got.TabAccess) != 0 {
			t.Fatalf("after: %s %v", got.ScheduleAccess, got.TabAccess)
		}
		wantCodes(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(bob.ID, map[string]any{"type": "OFFICE_STAFF", "tabs": []string{"BILLING"}})))
		if got := c.User.GetX(allowCtx(), bob.ID); !slices.Equal(got.TabAccess, []string{authz.TabBilling}) {
			t.Fatalf("tabs %v", got.TabAccess)
		}
		if n := len(directoryEvents(t, c, a.org.ID, directory.ActionEmployeeAccessChanged)); n != 2 {
			t.Fatalf("%d events", n)
		}
		wantField(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(bob.ID, map[string]any{"type": "PROVIDER"})), "scheduleAccess")
		wantCodes(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(a.admin.ID, map[string]any{"type": "OFFICE_STAFF"})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(owner.ID, map[string]any{"type": "OFFICE_STAFF"})), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, a.viewer(), setEmployeeAccessMutation, in(b.admin.ID, map[string]any{"type": "OFFICE_STAFF"})), "NOT_FOUND")
		hr := addUser(t, c, a.org.ID, "hr@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "HR", authz.StaffProfilesManage))
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, hr), setEmployeeAccessMutation, in(bob.ID, map[string]any{"type": "OFFICE_STAFF", "tabs": []string{"BILLING"}})), "FORBIDDEN")
		plain := addUser(t, c, a.org.ID, "p@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "P", authz.UsersManage))
		wantCodes(t, gqlDo(t, db, viewerOf(t, c, plain), setEmployeeAccessMutation, in(bob.ID, map[string]any{"type": "OFFICE_STAFF"})), "FORBIDDEN")
	})
}

// An employee given user access takes a seat, charged like an invitation,
// and is refused when the subscription has none free.
func TestDirectoryAnEmployeeUserTakesASeat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := newTenant(t, c, "acme")
		c.Subscription.Create().SetOrganizationID(a.org.ID).
			SetTermStart(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).SetTermEnd(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetSeatPriceCents(36500).SetSeats(2).SaveX(allowCtx()) // the admin holds one
		now := time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)
		p := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Eve").SetFamilyName("Ng").SetEmail("eve@acme.test").SaveX(allowCtx())
		q := c.StaffProfile.Create().SetOrganizationID(a.org.ID).SetGivenName("Fay").SetFamilyName("Ho").SetEmail("fay@acme.test").SaveX(allowCtx())
		wantCodes(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(p.ID), "type": "OFFICE_STAFF"}), atTime(now)))
		charge := c.SeatCharge.Query().OnlyX(allowCtx())
		if charge.UserID == nil || charge.AmountCents != 18300 {
			t.Errorf("seat charge %+v, want 18,300 cents for the new user", charge)
		}
		wantOneEvent(t, c, a.org.ID, seats.SeatConsumed)
		wantCodes(t, gqlDo(t, db, a.viewer(), createEmployeeMutation, inputVars(map[string]any{
			"staffProfileId": string(q.ID), "type": "OFFICE_STAFF"}), atTime(now)), "CONFLICT")
		if c.User.Query().Where(user.EmailNormalized("fay@acme.test")).ExistX(allowCtx()) {
			t.Error("a refused employee user was created")
		}
	})
}
