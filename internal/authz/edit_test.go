package authz_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// mayWrite reports whether Require allows the action.
func mayWrite(ctx context.Context, c *ent.Client, a authz.Action, target authz.Target) bool {
	_, err := authz.Require(ctx, c, a, target)
	return err == nil
}

func TestWhoEditsSessionNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		clinician := f.role(authz.SessionsManageOwn)
		admin := f.role(authz.ClientsAccessAll, authz.SessionNotesViewOthers, authz.UsersManage)
		cl := f.client(nil, false)
		author := f.staff(withRoles(clinician))
		link := f.link(author, cl, nil, nil)
		apt := f.appointment(cl, author)
		n := f.note(apt, author, false)
		administrator := f.staff(withRoles(admin))
		both := f.staff(withRoles(admin, clinician))
		colleague := f.staff(withRoles(clinician))
		f.link(colleague, cl, nil, nil)
		// Session view on: the administrator reads the note...
		must(db.Client.Organization.UpdateOneID(f.org.ID).SetSessionViewEnabled(true).Save(allow())).get(t)
		if ok := must(db.Client.SessionNote.Query().Exist(f.as(administrator))).get(t); !ok {
			t.Fatal("administrator with session view cannot read the note")
		}
		for name, tc := range map[string]struct {
			u    *ent.User
			want bool
		}{
			"the author":                                     {author, true},
			"an administrator who is not clinician":          {administrator, false},
			"an administrator and clinician, not the author": {both, false},
			"a colleague on the same client":                 {colleague, false},
		} {
			if got := mayWrite(f.as(tc.u), db.Client, authz.EditSessionNote, authz.Target{Row: n.ID}); got != tc.want {
				t.Errorf("%s edits the note: %v, want %v", name, got, tc.want)
			}
		}
		// An author who loses access to the client loses their notes.
		must(0, db.Client.ClientAccess.DeleteOneID(link.ID).Exec(allow())).get(t)
		if mayWrite(f.as(author), db.Client, authz.EditSessionNote, authz.Target{Row: n.ID}) {
			t.Error("author without access to the client still edits the note")
		}
	})
}

func TestWhoEditsAppointments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		r := f.role(authz.SessionsManageOwn)
		cl := f.client(nil, false)
		other := f.client(nil, false)
		levels := map[user.ScheduleAccess]*ent.User{}
		for _, l := range []user.ScheduleAccess{user.ScheduleAccessOwnOnly, user.ScheduleAccessEditOwn, user.ScheduleAccessEditOwnViewAll, user.ScheduleAccessViewEditAll} {
			u := f.staff(withRoles(r), schedule(l))
			f.link(u, cl, nil, nil)
			levels[l] = u
		}
		colleague := f.staff(withRoles(r))
		for _, tc := range []struct {
			level       user.ScheduleAccess
			own, others bool
		}{
			{user.ScheduleAccessOwnOnly, false, false},
			{user.ScheduleAccessEditOwn, true, false},
			{user.ScheduleAccessEditOwnViewAll, true, false},
			{user.ScheduleAccessViewEditAll, true, true},
		} {
			u := levels[tc.level]
			if got := mayWrite(f.as(u), db.Client, authz.EditAppointment, authz.Target{Client: cl.ID, User: u.ID}); got != tc.own {
				t.Errorf("%s edits own appointment: %v, want %v", tc.level, got, tc.own)
			}
			if got := mayWrite(f.as(u), db.Client, authz.EditAppointment, authz.Target{Client: cl.ID, User: colleague.ID}); got != tc.others {
				t.Errorf("%s edits a colleague's appointment: %v, want %v", tc.level, got, tc.others)
			}
			if mayWrite(f.as(u), db.Client, authz.EditAppointment, authz.Target{Client: other.ID, User: u.ID}) {
				t.Errorf("%s edits an appointment on a client it does not reach", tc.level)
			}
		}
	})
}
