package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/subscription"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/seats"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const inviteUserOp = `mutation($in: InviteUserInput!) { inviteUser(input: $in) {
  invitation { id email status requireMfa signInMethod expiresAt roles { id } }
  selection { roles { id } businessUnitIds clientIds staffProfileIds } } }`

const bulkInviteOp = `mutation($in: BulkInviteUsersInput!) { bulkInviteUsers(input: $in) {
  addresses outcomes invitationIds invitedCount alreadyMemberCount alreadyInvitedCount invalidCount selection { clientIds } } }`

// bulkResults is bulkInviteUsers' payload, zipped.
type bulkResults struct {
	Addresses                                                           []string
	Outcomes                                                            []string
	InvitationIds                                                       []*string
	InvitedCount, AlreadyMemberCount, AlreadyInvitedCount, InvalidCount int
}

func (b bulkResults) zip() string {
	var parts []string
	for i := range b.Addresses {
		parts = append(parts, b.Addresses[i]+" "+b.Outcomes[i]+" "+fmt.Sprint(b.InvitationIds[i] != nil))
	}
	return strings.Join(parts, ", ")
}

const inviteToClientOp = `mutation($in: InviteUserToClientInput!) { inviteUserToClient(input: $in) {
  invitation { id email clients { id } } selection { clientIds } } }`

const resendOp = `mutation($id: ID!) { resendInvitation(input: {id: $id}) { invitation { id status expiresAt } } }`
const revokeOp = `mutation($id: ID!) { revokeInvitation(input: {id: $id}) { invitation { id status } } }`
const pendingOp = `{ pendingInvitations(first: 10) { totalCount edges { node { id email } } } }`
const seatsOp = `{ seats { plan { seats seatPriceCents status } used available chargeCount chargedCents
  recentCharges(limit: 10) { amountCents daysRemaining daysInTerm reason invitationId } } }`

func countEvents(t *testing.T, tn tenant, db *store.DB, action string) int {
	t.Helper()
	return db.Client.AuditEvent.Query().Where(auditevent.OrganizationID(tn.org.ID), auditevent.Action(action)).CountX(allowCtx())
}

func TestInvitationsAManagerInvitesOneUserWithTheUnitsClientsSelected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv1")
		unitRole := addRole(t, db.Client, tn.org.ID, "Unit clinician", authz.ClientsAccessBusinessUnit, authz.HomeworkManage)
		r := gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "New@Inv1.test", "roleIds": []pulid.ID{unitRole.ID}, "businessUnitIds": []pulid.ID{tn.unit.ID},
			"requireMfa": true, "signInMethod": "PASSWORD"}})
		wantCodes(t, r)
		var out struct {
			Invitation struct {
				ID, Email, Status, SignInMethod string
				RequireMfa                      bool
			}
			Selection struct{ ClientIds, BusinessUnitIds []string }
		}
		dataField(t, r, "inviteUser", &out)
		if out.Invitation.Status != "PENDING" || !out.Invitation.RequireMfa || out.Invitation.SignInMethod != "PASSWORD" ||
			len(out.Selection.ClientIds) != 3 || len(out.Selection.BusinessUnitIds) != 1 {
			t.Errorf("payload %+v", out)
		}
		if countEvents(t, tn, db, invite.Created) != 1 {
			t.Error("no invitation.created event")
		}
		// The same address again is a conflict; a malformed one names its field.
		r = gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "new@inv1.test", "roleIds": []pulid.ID{unitRole.ID}, "businessUnitIds": []pulid.ID{tn.unit.ID}}})
		wantCodes(t, r, "CONFLICT")
		r = gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "not an address", "roleIds": []pulid.ID{unitRole.ID}, "businessUnitIds": []pulid.ID{tn.unit.ID}}})
		wantCodes(t, r, "BAD_USER_INPUT")
		if f := r.Errors[0].Extensions["field"]; f != "email" {
			t.Errorf("field %v", f)
		}
		// A non-manager role without any client is refused, saying why.
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		r = gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "t@inv1.test", "roleIds": []pulid.ID{teacher.ID}}})
		wantCodes(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "has to be linked to a client") || r.Errors[0].Extensions["field"] != "clientIds" {
			t.Errorf("refusal %+v", r.Errors[0])
		}
		// Never a privilege the inviter lacks, and owner-only ones never:
		// even an inviter holding org.delete cannot hand it out.
		ownerish := addRole(t, db.Client, tn.org.ID, "Owner-like", authz.OrgDelete, authz.ClientsAccessAll)
		r = gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "o@inv1.test", "roleIds": []pulid.ID{ownerish.ID}}})
		wantCodes(t, r, "FORBIDDEN")
		holder := tn.viewer()
		holder.Privileges[string(authz.OrgDelete)] = true
		r = gqlDo(t, db, holder, inviteUserOp, map[string]any{"in": map[string]any{
			"email": "o@inv1.test", "roleIds": []pulid.ID{ownerish.ID}}})
		wantCodes(t, r, "FORBIDDEN")
		// A stale role id is not found.
		r = gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "s@inv1.test", "roleIds": []string{"rol_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, "clientIds": []pulid.ID{tn.clients[0].ID}}})
		wantCodes(t, r, "NOT_FOUND")
	})
}

func TestInvitationsBulkInviteGivesOneResultPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv2")
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		sus := addUser(t, db.Client, tn.org.ID, "sus@inv2.test", user.KindStaff)
		db.Client.User.UpdateOne(sus).SetStatus(user.StatusSuspended).ExecX(allowCtx())
		r := gqlDo(t, db, tn.viewer(), bulkInviteOp, map[string]any{"in": map[string]any{
			"addresses": "a@inv2.test, A@INV2.test,\nSUS@inv2.test\n admin@inv2.test ,bad@, b@inv2.test,\n",
			"roleIds":   []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}})
		wantCodes(t, r)
		var out bulkResults
		dataField(t, r, "bulkInviteUsers", &out)
		got := out.zip()
		want := "a@inv2.test INVITED true, SUS@inv2.test ALREADY_MEMBER false, admin@inv2.test ALREADY_MEMBER false, " +
			"bad@ INVALID_ADDRESS false, b@inv2.test INVITED true"
		if got != want || out.InvitedCount != 2 || out.AlreadyMemberCount != 2 || out.InvalidCount != 1 {
			t.Errorf("results %s (%+v), want %s", got, out, want)
		}
		r = gqlDo(t, db, tn.viewer(), bulkInviteOp, map[string]any{"in": map[string]any{
			"addresses": "b@inv2.test", "roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}})
		dataField(t, r, "bulkInviteUsers", &out)
		if out.zip() != "b@inv2.test ALREADY_INVITED false" || out.AlreadyInvitedCount != 1 {
			t.Errorf("again: %+v", out)
		}
		if countEvents(t, tn, db, invite.Created) != 2 {
			t.Error("want two invitation.created events")
		}
		r = gqlDo(t, db, tn.viewer(), bulkInviteOp, map[string]any{"in": map[string]any{
			"addresses": " ,\n", "roleIds": []pulid.ID{teacher.ID}}})
		wantCodes(t, r, "BAD_USER_INPUT")
	})
}

func TestInvitationsASupervisorSharesOnlyWhatTheyReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv3")
		other := newTenant(t, db.Client, "inv3b")
		supRole := addRole(t, db.Client, tn.org.ID, "Supervisor", authz.ClientsShare, authz.HomeworkManage, authz.SessionsManageOwn)
		sup := addUser(t, db.Client, tn.org.ID, "sup@inv3.test", user.KindStaff, supRole)
		linkClient(t, db.Client, sup, tn.clients[0])
		sv := viewerOf(t, db.Client, sup)
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		biller := addRole(t, db.Client, tn.org.ID, "Biller", authz.BillingView)
		page := tn.clients[0].ID
		r := gqlDo(t, db, sv, inviteToClientOp, map[string]any{"in": map[string]any{
			"clientId": page, "email": "helper@inv3.test", "roleIds": []pulid.ID{teacher.ID}}})
		wantCodes(t, r)
		var out struct{ Selection struct{ ClientIds []string } }
		dataField(t, r, "inviteUserToClient", &out)
		if len(out.Selection.ClientIds) != 1 || out.Selection.ClientIds[0] != string(page) {
			t.Errorf("selection %+v", out)
		}
		for _, tc := range []struct {
			name string
			op   string
			in   map[string]any
			want string
		}{
			{"from the organization's settings", inviteUserOp, map[string]any{"email": "x1@inv3.test",
				"roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{page}}, "FORBIDDEN"},
			{"in bulk", bulkInviteOp, map[string]any{"addresses": "x2@inv3.test",
				"roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{page}}, "FORBIDDEN"},
			{"a custom role with a privilege they lack", inviteToClientOp, map[string]any{"clientId": page, "email": "x3@inv3.test",
				"roleIds": []pulid.ID{biller.ID}}, "FORBIDDEN"},
			{"the administrator's role", inviteToClientOp, map[string]any{"clientId": page, "email": "x4@inv3.test",
				"roleIds": []pulid.ID{tn.role.ID}}, "FORBIDDEN"},
			{"a client they do not reach", inviteToClientOp, map[string]any{"clientId": page, "email": "x5@inv3.test",
				"roleIds": []pulid.ID{teacher.ID}, "otherClientIds": []pulid.ID{tn.clients[1].ID}}, "NOT_FOUND"},
			{"from an unreached client's page", inviteToClientOp, map[string]any{"clientId": tn.clients[2].ID, "email": "x6@inv3.test",
				"roleIds": []pulid.ID{teacher.ID}}, "NOT_FOUND"},
			{"another organization's client", inviteToClientOp, map[string]any{"clientId": other.clients[0].ID, "email": "x7@inv3.test",
				"roleIds": []pulid.ID{teacher.ID}}, "NOT_FOUND"},
			{"another organization's role", inviteToClientOp, map[string]any{"clientId": page, "email": "x8@inv3.test",
				"roleIds": []pulid.ID{other.role.ID}}, "NOT_FOUND"},
		} {
			r := gqlDo(t, db, sv, tc.op, map[string]any{"in": tc.in})
			if got := codes(r); len(got) != 1 || got[0] != tc.want {
				t.Errorf("%s: %v (%+v), want %s", tc.name, got, r.Errors, tc.want)
			}
		}
		// A manager from the settings page cannot put a supervisor-invited
		// user into a unit whose clients the manager does not all reach.
		unitMgrRole := addRole(t, db.Client, tn.org.ID, "Unit manager", authz.UsersInvite, authz.ClientsAccessBusinessUnit, authz.HomeworkManage)
		mgr := addUser(t, db.Client, tn.org.ID, "um@inv3.test", user.KindStaff, unitMgrRole)
		south := db.Client.BusinessUnit.Create().SetOrganizationID(tn.org.ID).SetName("South").SaveX(allowCtx())
		db.Client.User.UpdateOne(mgr).AddBusinessUnits(south).ExecX(allowCtx())
		r = gqlDo(t, db, viewerOf(t, db.Client, mgr), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "x9@inv3.test", "roleIds": []pulid.ID{teacher.ID}, "businessUnitIds": []pulid.ID{tn.unit.ID}, "clientIds": []pulid.ID{}}})
		wantCodes(t, r, "FORBIDDEN")
		// A portal user and a plain clinician cannot invite at all.
		clin := addUser(t, db.Client, tn.org.ID, "clin@inv3.test", user.KindStaff, teacher)
		linkClient(t, db.Client, clin, tn.clients[0])
		r = gqlDo(t, db, viewerOf(t, db.Client, clin), inviteToClientOp, map[string]any{"in": map[string]any{
			"clientId": page, "email": "x10@inv3.test", "roleIds": []pulid.ID{teacher.ID}}})
		wantCodes(t, r, "FORBIDDEN")
		if n := db.Client.Invitation.Query().Where(invitation.OrganizationID(tn.org.ID)).CountX(allowCtx()); n != 1 {
			t.Errorf("%d invitations, want only the first", n)
		}
	})
}

func TestInvitationsResendRevokeAndListPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv4")
		other := newTenant(t, db.Client, "inv4b")
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		r := gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": map[string]any{
			"email": "p@inv4.test", "roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}})
		wantCodes(t, r)
		var out struct{ Invitation struct{ ID string } }
		dataField(t, r, "inviteUser", &out)
		id := out.Invitation.ID
		r = gqlDo(t, db, tn.viewer(), pendingOp, nil)
		wantCodes(t, r)
		var pending struct{ TotalCount int }
		dataField(t, r, "pendingInvitations", &pending)
		if pending.TotalCount != 1 {
			t.Errorf("pending %+v", pending)
		}
		// A user without the right lists none and changes none.
		plain := viewerOf(t, db.Client, addUser(t, db.Client, tn.org.ID, "plain@inv4.test", user.KindStaff, teacher))
		wantCodes(t, gqlDo(t, db, plain, pendingOp, nil), "FORBIDDEN")
		for _, op := range []string{resendOp, revokeOp} {
			wantCodes(t, gqlDo(t, db, plain, op, map[string]any{"id": id}), "FORBIDDEN")
			wantCodes(t, gqlDo(t, db, other.viewer(), op, map[string]any{"id": id}), "NOT_FOUND")
		}
		later := time.Now().Add(time.Hour)
		r = gqlDo(t, db, tn.viewer(), resendOp, map[string]any{"id": id}, atTime(later))
		wantCodes(t, r)
		if countEvents(t, tn, db, invite.Resent) != 1 {
			t.Error("no resend event")
		}
		r = gqlDo(t, db, tn.viewer(), revokeOp, map[string]any{"id": id})
		wantCodes(t, r)
		var rv struct{ Invitation struct{ Status string } }
		dataField(t, r, "revokeInvitation", &rv)
		if rv.Invitation.Status != "REVOKED" || countEvents(t, tn, db, invite.Revoked) != 1 {
			t.Errorf("revoke %+v", rv)
		}
		wantCodes(t, gqlDo(t, db, tn.viewer(), revokeOp, map[string]any{"id": id}), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, tn.viewer(), resendOp, map[string]any{"id": id}), "NOT_FOUND")
	})
}

func TestInvitationsSeatsAreCountedChargedAndLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv5")
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		now := time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)
		db.Client.Subscription.Create().SetOrganizationID(tn.org.ID).
			SetTermStart(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).SetTermEnd(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetSeatPriceCents(36500).SetSeats(2).SaveX(allowCtx())
		in := map[string]any{"email": "s1@inv5.test", "roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}
		wantCodes(t, gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": in}, atTime(now)))
		in["email"] = "s2@inv5.test"
		r := gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": in}, atTime(now))
		wantCodes(t, r, "CONFLICT")
		if !strings.Contains(r.Errors[0].Message, "seats") {
			t.Errorf("message %q", r.Errors[0].Message)
		}
		r = gqlDo(t, db, tn.viewer(), seatsOp, nil, atTime(now))
		wantCodes(t, r)
		var st struct {
			Plan                      struct{ Seats, SeatPriceCents int }
			Used                      int
			Available                 *int
			ChargeCount, ChargedCents int
			RecentCharges             []struct {
				AmountCents, DaysRemaining, DaysInTerm int
				Reason                                 string
			}
		}
		dataField(t, r, "seats", &st)
		if st.Used != 2 || st.Available == nil || *st.Available != 0 || len(st.RecentCharges) != 1 || st.ChargeCount != 1 || st.ChargedCents != 18300 ||
			st.RecentCharges[0].AmountCents != 18300 || st.RecentCharges[0].DaysRemaining != 183 || st.RecentCharges[0].Reason != "MEMBER_ADDED" {
			b, _ := json.Marshal(st)
			t.Errorf("seats %s", b)
		}
		if countEvents(t, tn, db, seats.SeatConsumed) != 1 {
			t.Error("no seat.consumed event")
		}
		plain := viewerOf(t, db.Client, addUser(t, db.Client, tn.org.ID, "plain@inv5.test", user.KindStaff, teacher))
		wantCodes(t, gqlDo(t, db, plain, seatsOp, nil), "FORBIDDEN")
		r = gqlDo(t, db, tn.viewer(), `{ seats { recentCharges(limit: 1000) { amountCents } } }`, nil)
		if got := codes(r); len(got) != 1 || got[0] != "BAD_USER_INPUT" {
			t.Errorf("a limit over 100: %v", got)
		}
	})
}

// A thousand addresses go through GraphQL in one call (the results are
// scalar lists: a list of objects is bounded to 100 items).
func TestInvitationsBulkInviteTakesAThousandAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv6")
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		var sb strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&sb, "p%d@inv6.test\n", i)
		}
		r := gqlDo(t, db, tn.viewer(), bulkInviteOp, map[string]any{"in": map[string]any{
			"addresses": sb.String(), "roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}})
		wantCodes(t, r)
		var out bulkResults
		dataField(t, r, "bulkInviteUsers", &out)
		if out.InvitedCount != 1000 || len(out.Outcomes) != 1000 || out.InvitationIds[999] == nil {
			t.Errorf("invited %d of %d", out.InvitedCount, len(out.Outcomes))
		}
	})
}

// An administrator raises the seat limit and the refused invitation then
// goes through; lowering it below the seats held, bad values and users
// without the organization settings privilege are refused.
func TestInvitationsTheSeatLimitIsAnOrganizationSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tn := newTenant(t, db.Client, "inv6")
		teacher := addRole(t, db.Client, tn.org.ID, "Teacher", authz.HomeworkManage)
		now := time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)
		db.Client.Subscription.Create().SetOrganizationID(tn.org.ID).
			SetTermStart(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).SetTermEnd(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetSeatPriceCents(36500).SetSeats(1).SaveX(allowCtx())
		in := map[string]any{"email": "s1@inv6.test", "roleIds": []pulid.ID{teacher.ID}, "clientIds": []pulid.ID{tn.clients[0].ID}}
		wantCodes(t, gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": in}, atTime(now)), "CONFLICT")

		const setLimit = `mutation($n: Int!) { setSeatLimit(input: {seats: $n}) { seats { plan { seats } used available } } }`
		r := gqlDo(t, db, tn.viewer(), setLimit, map[string]any{"n": 3}, atTime(now))
		wantCodes(t, r)
		if !strings.Contains(dataOf(r), `"available":2`) {
			t.Errorf("after raising the limit: %s", dataOf(r))
		}
		if countEvents(t, tn, db, "seats.limit_changed") != 1 {
			t.Error("the limit change is not audited")
		}
		wantCodes(t, gqlDo(t, db, tn.viewer(), inviteUserOp, map[string]any{"in": in}, atTime(now)))
		wantCodes(t, gqlDo(t, db, tn.viewer(), setLimit, map[string]any{"n": 1}, atTime(now)), "CONFLICT")
		wantField(t, gqlDo(t, db, tn.viewer(), setLimit, map[string]any{"n": -1}, atTime(now)), "seats")
		plain := viewerOf(t, db.Client, addUser(t, db.Client, tn.org.ID, "plain@inv6.test", user.KindStaff, teacher))
		wantCodes(t, gqlDo(t, db, plain, setLimit, map[string]any{"n": 10}, atTime(now)), "FORBIDDEN")
		other := newTenant(t, db.Client, "inv6b") // no subscription: unlimited
		wantCodes(t, gqlDo(t, db, other.viewer(), setLimit, map[string]any{"n": 10}, atTime(now)), "NOT_FOUND")
		if n := db.Client.Subscription.Query().Where(subscription.OrganizationID(tn.org.ID)).OnlyX(allowCtx()).Seats; n != 3 {
			t.Errorf("seat limit %d after the refusals, want 3", n)
		}
	})
}
