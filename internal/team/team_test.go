package team_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/bootstrap"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/team"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

type world struct {
	t     *testing.T
	c     *ent.Client
	res   *bootstrap.Result
	admin *ent.User
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	slug := fmt.Sprintf("team-%d", seq.Add(1))
	res, err := bootstrap.Create(context.Background(), db.Client, bootstrap.Params{
		Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".test", OwnerPassword: "correct horse battery staple",
		Hasher: password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}},
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := db.Client.User.Create().SetOrganizationID(res.Org.ID).SetEmail("admin@" + slug + ".test").
		SetStatus(user.StatusActive).AddRoles(res.Roles["ADMINISTRATOR"]).
		SaveX(privacy.DecisionContext(context.Background(), privacy.Allow))
	return &world{t: t, c: db.Client, res: res, admin: admin}
}

// as is a request context of u: a viewer loaded afresh, as on every request.
func (w *world) as(u *ent.User) context.Context {
	w.t.Helper()
	sys := viewer.ForSystem(context.Background(), u.OrganizationID)
	v, err := authz.LoadViewer(sys, w.c, w.c.User.GetX(sys, u.ID))
	if err != nil {
		w.t.Fatal(err)
	}
	v.State = viewer.StateActive
	return viewer.NewContext(context.Background(), v)
}

// inTx runs f in a transaction, as the GraphQL handler does, committing
// only when f succeeds.
func (w *world) inTx(ctx context.Context, f func(c *ent.Client) error) error {
	tx, err := w.c.Tx(ctx)
	if err != nil {
		return err
	}
	if err := f(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (w *world) events(action string) int {
	return w.c.AuditEvent.Query().Where(auditevent.Action(action)).CountX(viewer.ForSystem(context.Background(), w.res.Org.ID))
}

func TestARolePrivilegeIsInForceOnTheHoldersNextRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var r *ent.Role
		if err := w.inTx(w.as(w.admin), func(c *ent.Client) (err error) {
			r, err = team.CreateRole(w.as(w.admin), c, team.NewRole{Name: "Desk", Privileges: []string{"reports.view"}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		holder := w.c.User.Create().SetOrganizationID(w.res.Org.ID).SetEmail(fmt.Sprintf("h%d@x.test", seq.Add(1))).
			SetStatus(user.StatusActive).AddRoles(r).SaveX(privacy.DecisionContext(context.Background(), privacy.Allow))
		if viewer.FromContext(w.as(holder)).Has("billing.view") {
			t.Fatal("holder has billing.view before the toggle")
		}
		if err := w.inTx(context.Background(), func(c *ent.Client) error {
			_, err := team.SetRolePrivilege(w.as(w.admin), c, r.ID, "billing.view", true)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !viewer.FromContext(w.as(holder)).Has("billing.view") {
			t.Fatal("holder lacks billing.view on the request after the toggle")
		}
		if n := w.events(team.RoleUpdated); n != 1 {
			t.Fatalf("%d role.updated events", n)
		}
	})
}

func TestARefusedChangeLeavesNothingBehind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		emergency := 0
		err := w.inTx(context.Background(), func(c *ent.Client) error {
			_, err := team.UpdateSettings(w.as(w.admin), c, team.SettingsChange{RequireMFA: ptr(true), EmergencyAccessMinutes: &emergency})
			return err
		})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || ae.Field != "emergencyAccessMinutes" {
			t.Fatalf("err = %v", err)
		}
		org := w.c.Organization.GetX(viewer.ForSystem(context.Background(), w.res.Org.ID), w.res.Org.ID)
		if org.RequireMfa || w.events(team.SettingsChanged) != 0 {
			t.Fatal("a refused change was half-applied")
		}
	})
}

func TestOwnershipMovesWithItsRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		owner := w.res.Owner
		if err := w.inTx(context.Background(), func(c *ent.Client) error {
			_, err := team.TransferOwnership(w.as(owner), c, w.admin.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		sys := viewer.ForSystem(context.Background(), w.res.Org.ID)
		roles := func(u *ent.User) []string {
			var out []string
			for _, r := range w.c.User.QueryRoles(u).AllX(sys) {
				out = append(out, string(*r.Builtin))
			}
			slices.Sort(out)
			return out
		}
		if got := roles(owner); !slices.Equal(got, []string{"ADMINISTRATOR"}) {
			t.Fatalf("former owner's roles %v", got)
		}
		if got := roles(w.admin); !slices.Equal(got, []string{"ACCOUNT_OWNER", "ADMINISTRATOR"}) {
			t.Fatalf("new owner's roles %v", got)
		}
		if n := w.c.User.Query().Where(user.IsAccountOwner(true)).CountX(sys); n != 1 {
			t.Fatalf("%d owners", n)
		}
		// Back again, by the new owner alone.
		err := w.inTx(context.Background(), func(c *ent.Client) error {
			_, err := team.TransferOwnership(w.as(owner), c, owner.ID)
			return err
		})
		if apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("the former owner transferring: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestARoleNamedByAPendingInvitationIsNotDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		r := w.c.Role.Create().SetOrganizationID(w.res.Org.ID).SetName("Desk").SaveX(allow)
		inv := w.c.Invitation.Create().SetOrganizationID(w.res.Org.ID).SetEmail("new@x.test").
			SetTokenHash([]byte(fmt.Sprintf("tok-%d", seq.Add(1)))).SetExpiresAt(time.Now().Add(time.Hour)).
			AddRoles(r).SaveX(allow)
		del := func() error {
			return w.inTx(context.Background(), func(c *ent.Client) error {
				_, err := team.DeleteRole(w.as(w.admin), c, r.ID)
				return err
			})
		}
		if err := del(); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("deleting a role a pending invitation names: %v", err)
		}
		// Once the invitation is revoked it is history: the role goes.
		w.c.Invitation.UpdateOne(inv).SetStatus(invitation.StatusRevoked).ExecX(allow)
		if err := del(); err != nil {
			t.Fatal(err)
		}
		if n := w.events(team.RoleDeleted); n != 1 {
			t.Fatalf("%d role.deleted events", n)
		}
	})
}
