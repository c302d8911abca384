package invite_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"errors"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/seatcharge"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/seats"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC)

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

var seq int

// clinic is one organization: a manager, a supervisor (clients.share and
// the business-unit privilege, not users.invite), roles, a unit with two
// clients and a restricted one, and a client outside the unit.
type clinic struct {
	c                    *ent.Client
	org                  *ent.Organization
	manager, supervisor  *ent.User
	managerRole, teacher *ent.Role
	buRole, billingRole  *ent.Role
	unit                 *ent.BusinessUnit
	inUnit               []*ent.Patient
	restricted, outside  *ent.Patient
}

func newClinic(t testing.TB, c *ent.Client) *clinic {
	t.Helper()
	seq++
	ctx := allow()
	slug := fmt.Sprintf("clinic-%d", seq)
	k := &clinic{c: c}
	k.org = c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	role := func(name string, privs ...authz.Privilege) *ent.Role {
		keys := make([]string, len(privs))
		for i, p := range privs {
			keys[i] = string(p)
		}
		return c.Role.Create().SetOrganizationID(k.org.ID).SetName(name).SetPrivileges(keys).SaveX(ctx)
	}
	k.managerRole = role("Manager", authz.UsersInvite, authz.UsersManage, authz.ClientsAccessAll, authz.ClientsShare,
		authz.ClientsAccessBusinessUnit, authz.OrgSettingsManage, authz.HomeworkManage, authz.BillingView)
	supRole := role("Supervisor", authz.ClientsShare, authz.ClientsAccessBusinessUnit, authz.HomeworkManage)
	k.teacher = role("Teacher", authz.HomeworkManage)
	k.buRole = role("Unit clinician", authz.ClientsAccessBusinessUnit, authz.HomeworkManage)
	k.billingRole = role("Biller", authz.BillingView)
	k.unit = c.BusinessUnit.Create().SetOrganizationID(k.org.ID).SetName("North").SaveX(ctx)
	client := func(name string, unit *ent.BusinessUnit, restricted bool) *ent.Patient {
		b := c.Patient.Create().SetOrganizationID(k.org.ID).SetGivenName(name).SetFamilyName(slug).SetRestricted(restricted)
		if unit != nil {
			b.SetBusinessUnitID(unit.ID)
		}
		return b.SaveX(ctx)
	}
	k.inUnit = []*ent.Patient{client("Ada", k.unit, false), client("Ben", k.unit, false)}
	k.restricted = client("Cy", k.unit, true)
	k.outside = client("Dee", nil, false)
	k.manager = c.User.Create().SetOrganizationID(k.org.ID).SetEmail("manager@" + slug + ".test").
		SetStatus(user.StatusActive).AddRoles(k.managerRole).SaveX(ctx)
	k.supervisor = c.User.Create().SetOrganizationID(k.org.ID).SetEmail("supervisor@" + slug + ".test").
		SetStatus(user.StatusActive).AddRoles(supRole).AddBusinessUnits(k.unit).SaveX(ctx)
	return k
}

// as returns the context of u's viewer at now.
func (k *clinic) as(t testing.TB, u *ent.User, now time.Time) context.Context {
	t.Helper()
	v, err := authz.LoadViewer(viewer.ForSystem(context.Background(), k.org.ID), k.c, u)
	if err != nil {
		t.Fatal(err)
	}
	v.State = viewer.StateActive
	return authz.WithClock(viewer.NewContext(context.Background(), v), func() time.Time { return now })
}

func (k *clinic) sys() context.Context { return viewer.ForSystem(context.Background(), k.org.ID) }

// inTx runs f in a transaction, committed when f succeeds.
func inTx[T any](t *testing.T, c *ent.Client, ctx context.Context, f func(tx *ent.Client) (T, error)) (T, error) {
	t.Helper()
	tx, err := c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f(tx.Client())
	if err != nil {
		_ = tx.Rollback()
		return out, err
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func (k *clinic) events(t *testing.T, action string) int {
	t.Helper()
	return k.c.AuditEvent.Query().Where(auditevent.OrganizationID(k.org.ID), auditevent.Action(action)).CountX(allow())
}

func TestBulkInviteGivesOneResultPerDistinctAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		ctx := allow()
		db.Client.User.Create().SetOrganizationID(k.org.ID).SetEmail("Suspended@x.test").SetStatus(user.StatusSuspended).SaveX(ctx)
		db.Client.User.Create().SetOrganizationID(k.org.ID).SetEmail("gone@x.test").SetStatus(user.StatusDeleted).SaveX(ctx)
		first, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "pending@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{k.outside.ID}})
		if err != nil {
			t.Fatal(err)
		}
		text := " New@X.test, new@x.test ,\n\nmanager@" + k.org.Slug + ".test\nsuspended@x.test;pending@x.test, not an address,\r\n" +
			"gone@x.test,other@x.test,,\n"
		results, err := inTx(t, db.Client, k.as(t, k.manager, t0), func(tx *ent.Client) ([]invite.Result, error) {
			rs, _, err := invite.Bulk(k.as(t, k.manager, t0), tx, text,
				invite.Settings{RoleIDs: []pulid.ID{k.buRole.ID}, BusinessUnitIDs: []pulid.ID{k.unit.ID}, RequireMFA: true})
			return rs, err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			addr string
			out  invite.Outcome
		}{
			{"New@X.test", invite.OutcomeInvited},
			{"manager@" + k.org.Slug + ".test", invite.OutcomeAlreadyMember},
			{"suspended@x.test", invite.OutcomeAlreadyMember},
			{"pending@x.test", invite.OutcomeAlreadyInvited},
			{"not an address", invite.OutcomeInvalidAddress},
			{"gone@x.test", invite.OutcomeInvited},
			{"other@x.test", invite.OutcomeInvited},
		}
		if len(results) != len(want) {
			t.Fatalf("results %+v", results)
		}
		for i, w := range want {
			if results[i].Address != w.addr || results[i].Outcome != w.out {
				t.Errorf("result %d = %s %s, want %s %s", i, results[i].Address, results[i].Outcome, w.addr, w.out)
			}
		}
		inv := results[0].Invitation
		if inv == nil || !inv.RequireMfa || inv.EmailNormalized != "new@x.test" || inv.BatchID == "" {
			t.Fatalf("invitation %+v", inv)
		}
		// The unit's default: both clients of the unit, not the restricted one.
		clients := db.Client.Invitation.QueryClients(inv).IDsX(ctx)
		if len(clients) != 2 {
			t.Errorf("clients of the invitation: %v", clients)
		}
		if n := k.events(t, invite.Created); n != 4 {
			t.Errorf("%d invitation.created events, want 4", n)
		}
		if n := db.Client.OutboxMessage.Query().Where(outboxmessage.OrganizationID(k.org.ID), outboxmessage.Kind(invite.MailKind)).CountX(ctx); n != 4 {
			t.Errorf("%d outbox messages, want 4", n)
		}
		if first == nil {
			t.Fatal("no first invitation")
		}
	})
}

func TestInviteSelectsEveryClientOfTheUnitsWhenARoleOpensThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		_, sel, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "unit@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.buRole.ID}, BusinessUnitIDs: []pulid.ID{k.unit.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sel.ClientIDs) != 2 || sel.ClientIDs[0] == k.restricted.ID || sel.ClientIDs[1] == k.restricted.ID {
			t.Errorf("selection %v, want the unit's two unrestricted clients", sel.ClientIDs)
		}
		// An explicit empty selection is kept; the unit still links the user.
		_, sel, err = invite.Invite(k.as(t, k.manager, t0), db.Client, "unit2@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.buRole.ID}, BusinessUnitIDs: []pulid.ID{k.unit.ID}, ClientIDs: []pulid.ID{}})
		if err != nil || len(sel.ClientIDs) != 0 {
			t.Errorf("explicit empty selection: %v %v", sel, err)
		}
	})
}

func TestANonManagerInviteWithoutAClientIsRefusedWithTheReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		_, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "teacher@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}})
		if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "except a manager, has to be linked to a client") {
			t.Fatalf("err = %v", err)
		}
		// A manager (a role opening every client) needs none.
		if _, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "m2@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.managerRole.ID}}); err != nil {
			t.Fatal(err)
		}
		if n := db.Client.Invitation.Query().Where(invitation.EmailNormalized("teacher@x.test")).CountX(allow()); n != 0 {
			t.Errorf("a refused invitation was written")
		}
	})
}

func TestASupervisorInvitesFromAClientPageOnlyWithinTheirReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		sup := k.as(t, k.supervisor, t0)
		page := k.inUnit[0].ID
		inv, sel, err := invite.Invite(sup, db.Client, "shared@x.test", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, FromClient: page})
		if err != nil {
			t.Fatal(err)
		}
		if len(sel.ClientIDs) != 1 || sel.ClientIDs[0] != page || inv.InvitedByID == nil || *inv.InvitedByID != k.supervisor.ID {
			t.Errorf("selection %v, invitation %+v", sel.ClientIDs, inv)
		}
		for _, tc := range []struct {
			name string
			s    invite.Settings
			want apperr.Kind
		}{
			{"from the organization's settings", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{page}}, apperr.Forbidden},
			{"from an unreached client's page", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, FromClient: k.outside.ID}, apperr.NotFound},
			{"with a custom role holding a privilege they lack", invite.Settings{RoleIDs: []pulid.ID{k.billingRole.ID}, FromClient: page}, apperr.Forbidden},
			{"with the manager's role", invite.Settings{RoleIDs: []pulid.ID{k.managerRole.ID}, FromClient: page}, apperr.Forbidden},
			{"granting a client they do not reach", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, FromClient: page,
				ClientIDs: []pulid.ID{k.outside.ID}}, apperr.NotFound},
			{"granting a restricted client", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, FromClient: page,
				ClientIDs: []pulid.ID{k.restricted.ID}}, apperr.NotFound},
		} {
			if _, _, err := invite.Invite(sup, db.Client, "x-"+fmt.Sprint(len(tc.name))+"@x.test", tc.s); apperr.KindOf(err) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		}
		// A unit whose clients the supervisor does not all reach.
		south := db.Client.BusinessUnit.Create().SetOrganizationID(k.org.ID).SetName("South").SaveX(allow())
		db.Client.Patient.Create().SetOrganizationID(k.org.ID).SetGivenName("Eve").SetFamilyName("S").SetBusinessUnitID(south.ID).SaveX(allow())
		if _, _, err := invite.Invite(sup, db.Client, "unit@x.test", invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, FromClient: page,
			BusinessUnitIDs: []pulid.ID{south.ID}}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a unit whose clients they do not reach: %v", err)
		}
	})
}

// renderToken delivers the queued invitation mail as the outbox worker
// would, and returns the link's token.
func renderToken(t *testing.T, k *clinic, invID pulid.ID) (string, error) {
	t.Helper()
	msgs := k.c.OutboxMessage.Query().Where(outboxmessage.OrganizationID(k.org.ID)).AllX(allow())
	var m *ent.OutboxMessage
	for _, x := range msgs {
		if x.Payload["invitation"] == string(invID) {
			m = x
		}
	}
	if m == nil {
		t.Fatalf("no outbox message for %s", invID)
	}
	return inTx(t, k.c, k.sys(), func(tx *ent.Client) (string, error) {
		mm, err := invite.Renderer(invite.RenderConfig{AcceptURL: "https://app.test/accept"}).Render(
			authz.WithClock(k.sys(), func() time.Time { return t0 }), tx, m)
		if err != nil {
			return "", err
		}
		got := regexp.MustCompile(`token=([A-Za-z0-9_%-]+)`).FindStringSubmatch(mm.Text)
		if got == nil {
			t.Fatalf("no link in %q", mm.Text)
		}
		return got[1], nil
	})
}

var fast = password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}

func TestAnInvitationIsAcceptedOnceWithItsLatestLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		inv, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "Newbie@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.buRole.ID}, BusinessUnitIDs: []pulid.ID{k.unit.ID}, RequireMFA: true,
				SignInMethod: invitation.SignInMethodPassword})
		if err != nil {
			t.Fatal(err)
		}
		first, err := renderToken(t, k, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := invite.Resend(k.as(t, k.manager, t0), db.Client, inv.ID); err != nil {
			t.Fatal(err)
		}
		if k.events(t, invite.Resent) != 1 {
			t.Error("no resend event")
		}
		at := authz.WithClock(context.Background(), func() time.Time { return t0.Add(time.Hour) })
		if _, err := invite.Accept(at, db.Client, first, "a long enough passphrase", fast); code(err) != invite.CodeInvalid {
			t.Errorf("the link replaced by a resend: %v", err)
		}
		// The first message is obsolete now; the resend's mints the link.
		second := ""
		msgs := db.Client.OutboxMessage.Query().Where(outboxmessage.OrganizationID(k.org.ID)).Order(ent.Asc(outboxmessage.FieldID)).AllX(allow())
		for _, m := range msgs {
			_, err := inTx(t, db.Client, k.sys(), func(tx *ent.Client) (string, error) {
				mm, err := invite.Renderer(invite.RenderConfig{AcceptURL: "https://app.test/accept?x=1"}).Render(
					authz.WithClock(k.sys(), func() time.Time { return t0 }), tx, m)
				if err == nil {
					second = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mm.Text)[1]
				}
				return "", err
			})
			if m.Payload["seq"] == float64(0) && err == nil {
				t.Error("the first message was rendered again after a resend")
			}
		}
		if second == "" {
			t.Fatal("the resend's message gave no link")
		}
		if _, err := invite.Accept(at, db.Client, second, "short", fast); code(err) != invite.CodeWeakPassword {
			t.Errorf("a weak password: %v", err)
		}
		out, err := invite.Accept(at, db.Client, second, "a long enough passphrase", fast)
		if err != nil {
			t.Fatal(err)
		}
		u := db.Client.User.Query().Where(user.ID(out.User.ID)).WithRoles().WithBusinessUnits().OnlyX(allow())
		if u.Status != user.StatusActive || !u.RequireMfa || u.SignInMethod != user.SignInMethodPassword ||
			len(u.Edges.Roles) != 1 || len(u.Edges.BusinessUnits) != 1 || u.PrimaryBusinessUnitID == nil || u.Email != "Newbie@x.test" {
			t.Errorf("user %+v", u)
		}
		links := db.Client.ClientAccess.Query().Where(clientaccess.UserID(u.ID)).CountX(allow())
		if links != 2 {
			t.Errorf("%d client links, want 2", links)
		}
		if k.events(t, invite.Accepted) != 1 {
			t.Error("no accepted event")
		}
		if _, err := invite.Accept(at, db.Client, second, "a long enough passphrase", fast); code(err) != invite.CodeUsed {
			t.Errorf("a used link: %v", err)
		}
	})
}

func code(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return apperr.CodeOf(err)
	}
	return fmt.Sprint(err)
}

func TestExpiredRevokedAndSSOInvitationsAreRefusedClearly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		mk := func(email string, m invitation.SignInMethod) (*ent.Invitation, string) {
			inv, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, email,
				invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{k.outside.ID}, SignInMethod: m})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := renderToken(t, k, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			return inv, tok
		}
		_, expired := mk("late@x.test", "")
		revoked, revokedTok := mk("revoked@x.test", "")
		_, sso := mk("sso@x.test", invitation.SignInMethodSSO)
		if _, err := invite.Revoke(k.as(t, k.manager, t0), db.Client, revoked.ID); err != nil {
			t.Fatal(err)
		}
		later := authz.WithClock(context.Background(), func() time.Time { return t0.Add(invite.TTL) })
		now := authz.WithClock(context.Background(), func() time.Time { return t0 })
		for _, tc := range []struct{ name, token, want string }{
			{"expired", expired, invite.CodeExpired},
			{"revoked", revokedTok, invite.CodeRevoked},
			{"sso", sso, invite.CodeSSORequired},
			{"unknown", "nonsense", invite.CodeInvalid},
		} {
			ctx := now
			if tc.name == "expired" {
				ctx = later
			}
			if _, err := invite.Accept(ctx, db.Client, tc.token, "a long enough passphrase", fast); code(err) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		}
		// The revoked link is known, and refused as revoked.
		if k.events(t, invite.Revoked) != 1 || k.events(t, seats.SeatReleased) != 1 {
			t.Error("revoke events missing")
		}
		if _, err := invite.Revoke(k.as(t, k.manager, t0), db.Client, revoked.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("revoking twice: %v", err)
		}
		if _, err := invite.Revoke(k.as(t, k.supervisor, t0), db.Client, revoked.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("a supervisor revoking another's invitation: %v", err)
		}
	})
}

func TestSeatsAreChargedProRatedAndTheLimitHolds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		sub := db.Client.Subscription.Create().SetOrganizationID(k.org.ID).
			SetTermStart(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).SetTermEnd(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetSeatPriceCents(36500).SetSeats(4).SaveX(allow())
		// Two staff hold seats already (manager, supervisor).
		settings := invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{k.outside.ID}}
		inv, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "one@x.test", settings)
		if err != nil {
			t.Fatal(err)
		}
		ch := db.Client.SeatCharge.Query().Where(seatcharge.InvitationID(inv.ID)).OnlyX(allow())
		if ch.AmountCents != 18300 || ch.DaysRemaining != 183 || ch.DaysInTerm != 365 || ch.SubscriptionID != sub.ID {
			t.Errorf("charge %+v, want 18300 cents for 183 of 365 days", ch)
		}
		if k.events(t, seats.SeatConsumed) != 1 {
			t.Error("no seat.consumed event")
		}
		// One seat left: a bulk invite of two is refused whole.
		_, err = inTx(t, db.Client, k.as(t, k.manager, t0), func(tx *ent.Client) ([]invite.Result, error) {
			rs, _, err := invite.Bulk(k.as(t, k.manager, t0), tx, "a@x.test, b@x.test", settings)
			return rs, err
		})
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("over the limit: %v", err)
		}
		if n := db.Client.Invitation.Query().Where(invitation.OrganizationID(k.org.ID)).CountX(allow()); n != 1 {
			t.Errorf("%d invitations after a refused bulk invite", n)
		}
		st, err := seats.Get(k.as(t, k.manager, t0), db.Client)
		if err != nil || st.Used != 3 || *st.Available != 1 || len(st.Charges) != 1 {
			t.Fatalf("status %+v %v", st, err)
		}
		// Revoking frees the seat.
		if _, err := invite.Revoke(k.as(t, k.manager, t0), db.Client, inv.ID); err != nil {
			t.Fatal(err)
		}
		if st, _ := seats.Get(k.as(t, k.manager, t0), db.Client); st.Used != 2 {
			t.Errorf("used %d after revoking", st.Used)
		}
		if _, err := seats.Get(k.as(t, k.supervisor, t0), db.Client); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a supervisor reading seats: %v", err)
		}
	})
}

func TestWithoutASubscriptionSeatsAreUnlimitedAndFree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		if _, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "one@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{k.outside.ID}}); err != nil {
			t.Fatal(err)
		}
		st, err := seats.Get(k.as(t, k.manager, t0), db.Client)
		if err != nil || st.Plan != nil || st.Available != nil || len(st.Charges) != 0 || st.Used != 3 {
			t.Fatalf("status %+v %v", st, err)
		}
	})
}

func TestAcceptingReactivatesASoftDeletedUserWithTheInvitationsAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newClinic(t, db.Client)
		old := db.Client.User.Create().SetOrganizationID(k.org.ID).SetEmail("back@x.test").SetStatus(user.StatusDeleted).
			AddRoles(k.managerRole).SaveX(allow())
		inv, _, err := invite.Invite(k.as(t, k.manager, t0), db.Client, "Back@x.test",
			invite.Settings{RoleIDs: []pulid.ID{k.teacher.ID}, ClientIDs: []pulid.ID{k.outside.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := renderToken(t, k, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := invite.Accept(authz.WithClock(context.Background(), func() time.Time { return t0 }), db.Client, tok,
			"a long enough passphrase", fast)
		if err != nil {
			t.Fatal(err)
		}
		u := db.Client.User.Query().Where(user.ID(out.User.ID)).WithRoles().OnlyX(allow())
		if u.ID != old.ID || u.Status != user.StatusActive || len(u.Edges.Roles) != 1 || u.Edges.Roles[0].ID != k.teacher.ID {
			t.Errorf("user %+v roles %v", u, u.Edges.Roles)
		}
	})
}
