package authz_test

// One case per rule of DOMAIN.md, each with the refused case beside the
// allowed one, on both dialects.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// seesOnly asserts that a query answered exactly want.
func seesOnly(t *testing.T, what string, got []pulid.ID, err error, want ...pulid.ID) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if g, w := sorted(got), ids(want...); !slices.Equal(g, w) {
		t.Errorf("%s: got %v, want %v", what, g, w)
	}
}

// clientsOf lists the clients the viewer of ctx reaches, and checks that
// CanReadClient and ExplainClient agree with the list for every client of
// the organization.
func (f *fixture) clientsOf(t *testing.T, ctx context.Context) []pulid.ID {
	t.Helper()
	got := must(f.c.Patient.Query().IDs(ctx)).get(t)
	all := must(f.c.Patient.Query().IDs(f.system())).get(t)
	v := viewer.FromContext(ctx)
	for _, id := range all {
		listed := slices.Contains(got, id)
		if ok := must(authz.CanReadClient(ctx, f.c, id)).get(t); ok != listed {
			t.Errorf("CanReadClient(%s) = %v, listed %v", id, ok, listed)
		}
		e, err := authz.ExplainClient(ctx, f.c, v.UserID, id)
		explainedLikeListed(t, "ExplainClient", v, id, e, err, listed)
	}
	return got
}

// explainedLikeListed checks an explanation of oneself against the list:
// allowed when listed; when not, an administrator is told why not, anyone
// else gets the not-found of an unknown id (they learn nothing of a row
// they do not read).
func explainedLikeListed(t *testing.T, what string, v *viewer.Viewer, id pulid.ID, e *authz.Explanation, err error, listed bool) {
	t.Helper()
	admin := v.Has(string(authz.UsersManage)) || v.Has(string(authz.AuditView))
	switch {
	case !listed && !admin:
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("%s(%s) of an unread row = %+v, %v; want NOT_FOUND", what, id, e, err)
		}
	case err != nil:
		t.Errorf("%s(%s): %v", what, id, err)
	case e.Allowed != listed:
		t.Errorf("%s(%s).Allowed = %v, listed %v (paths %+v, notes %v)", what, id, e.Allowed, listed, e.Paths, e.Notes)
	}
}

func (f *fixture) profilesOf(t *testing.T, ctx context.Context) []pulid.ID {
	t.Helper()
	got := must(f.c.StaffProfile.Query().IDs(ctx)).get(t)
	all := must(f.c.StaffProfile.Query().IDs(f.system())).get(t)
	v := viewer.FromContext(ctx)
	for _, id := range all {
		listed := slices.Contains(got, id)
		if ok := must(authz.CanReadStaffProfile(ctx, f.c, id)).get(t); ok != listed {
			t.Errorf("CanReadStaffProfile(%s) = %v, listed %v", id, ok, listed)
		}
		e, err := authz.ExplainStaffProfile(ctx, f.c, v.UserID, id)
		explainedLikeListed(t, "ExplainStaffProfile", v, id, e, err, listed)
	}
	return got
}

func builtin(key string) []authz.Privilege {
	for _, r := range authz.BuiltinRoles() {
		if r.Key == key {
			return r.Privileges
		}
	}
	panic("no builtin role " + key)
}

// denied asserts that a query was refused by the privacy layer and
// returned no rows.
func denied[T any](t *testing.T, what string, rows []T, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, %d rows", what, len(rows))
		return
	}
	if !errors.Is(err, privacy.Deny) || apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("%s: %v, want a privacy denial", what, err)
	}
	if len(rows) != 0 {
		t.Errorf("%s: %d rows leaked with the denial", what, len(rows))
	}
}

var ruleCases = []struct {
	name string
	run  func(t *testing.T, f *fixture)
}{
	{"organization-wide privilege sees every non-restricted client; others do not", func(t *testing.T, f *fixture) {
		u1, u2 := f.unit(), f.unit()
		c1, c2, c3 := f.client(u1, false), f.client(nil, false), f.client(u2, false)
		f.client(u1, true)
		all := f.staff(withRoles(f.role(authz.ClientsAccessAll)))
		// Every other privilege, in every unit: not organization-wide.
		var rest []authz.Privilege
		for _, p := range authz.Catalogue() {
			if p.Key != authz.ClientsAccessAll && p.Key != authz.ClientsAccessBusinessUnit && !p.OwnerOnly {
				rest = append(rest, p.Key)
			}
		}
		other := f.staff(withRoles(f.role(rest...)), primaryUnit(u1))
		seesOnly(t, "organization-wide", f.clientsOf(t, f.as(all)), nil, c1.ID, c2.ID, c3.ID)
		seesOnly(t, "every other privilege", f.clientsOf(t, f.as(other)), nil)
	}},

	{"restricted client: no organization-wide or business-unit path, owner included; link, emergency and portal reach it", func(t *testing.T, f *fixture) {
		bu := f.unit()
		open, restricted := f.client(bu, false), f.client(bu, true)
		owner := f.staff(withRoles(f.role(builtin("ACCOUNT_OWNER")...)), accountOwner(), inUnits(bu), primaryUnit(bu))
		admin := f.staff(withRoles(f.role(builtin("ADMINISTRATOR")...)), inUnits(bu))
		member := f.staff(withRoles(f.role(authz.ClientsAccessBusinessUnit)), inUnits(bu))
		for name, u := range map[string]*ent.User{"owner": owner, "administrator": admin, "unit member": member} {
			seesOnly(t, name, f.clientsOf(t, f.as(u)), nil, open.ID)
		}
		linked := f.staff()
		f.link(linked, restricted, nil, owner)
		breakGlass := f.staff(withRoles(f.role(authz.EmergencyAccessUse)))
		f.emergency(breakGlass, restricted, now.Add(-10*time.Minute), now.Add(50*time.Minute), nil, "client in crisis, on call")
		parent := f.portalUser()
		f.portalLink(parent, restricted, perms{}, owner)
		seesOnly(t, "explicit link", f.clientsOf(t, f.as(linked)), nil, restricted.ID)
		seesOnly(t, "emergency", f.clientsOf(t, f.as(breakGlass)), nil, restricted.ID)
		seesOnly(t, "portal", f.clientsOf(t, f.as(parent)), nil, restricted.ID)
		// The owner too, once linked.
		f.link(owner, restricted, nil, owner)
		seesOnly(t, "owner with a link", f.clientsOf(t, f.as(owner)), nil, open.ID, restricted.ID)
	}},

	{"explicit link reaches the client until its expiry, exclusive", func(t *testing.T, f *fixture) {
		forever, expiring, expired := f.client(nil, false), f.client(nil, false), f.client(nil, false)
		f.client(nil, false) // not linked
		u := f.staff()
		exp := now.Add(time.Hour)
		f.link(u, forever, nil, nil)
		f.link(u, expiring, &exp, nil)
		f.link(u, expired, ptr(now.Add(-time.Hour)), nil)
		seesOnly(t, "at now", f.clientsOf(t, f.asAt(u, now)), nil, forever.ID, expiring.ID)
		seesOnly(t, "a microsecond before expiry", f.clientsOf(t, f.asAt(u, exp.Add(-time.Microsecond))), nil, forever.ID, expiring.ID)
		seesOnly(t, "at expiry", f.clientsOf(t, f.asAt(u, exp)), nil, forever.ID)
		seesOnly(t, "after expiry", f.clientsOf(t, f.asAt(u, exp.Add(time.Hour))), nil, forever.ID)
	}},

	{"business-unit path needs the privilege and membership of the client's unit", func(t *testing.T, f *fixture) {
		bu, other := f.unit(), f.unit()
		cl := f.client(bu, false)
		f.client(nil, false)
		f.client(other, false)
		buRole := f.role(authz.ClientsAccessBusinessUnit)
		both := f.staff(withRoles(buRole), inUnits(bu))
		privilegeOnly := f.staff(withRoles(buRole))
		memberOnly := f.staff(withRoles(f.role(authz.ClientsEdit, authz.StaffProfilesAccessPrimaryBusinessUnit)), inUnits(bu), primaryUnit(bu))
		seesOnly(t, "privilege and membership", f.clientsOf(t, f.as(both)), nil, cl.ID)
		seesOnly(t, "privilege, no membership", f.clientsOf(t, f.as(privilegeOnly)), nil)
		seesOnly(t, "membership, no privilege", f.clientsOf(t, f.as(memberOnly)), nil)
	}},

	{"primary business unit grants no client access on its own", func(t *testing.T, f *fixture) {
		bu := f.unit()
		cl := f.client(bu, false)
		buRole := f.role(authz.ClientsAccessBusinessUnit, authz.StaffProfilesAccessPrimaryBusinessUnit)
		primaryOnly := f.staff(withRoles(buRole), primaryUnit(bu))
		member := f.staff(withRoles(buRole), inUnits(bu), primaryUnit(bu))
		seesOnly(t, "primary unit only", f.clientsOf(t, f.as(primaryOnly)), nil)
		seesOnly(t, "member of the unit", f.clientsOf(t, f.as(member)), nil, cl.ID)
	}},

	{"staff profiles by primary business unit: the privilege and the same primary unit, other units do not count", func(t *testing.T, f *fixture) {
		a, b := f.unit(), f.unit()
		spA, spB := f.staffProfile(a, nil), f.staffProfile(b, nil)
		spNone := f.staffProfile(nil, nil)
		spRole := f.role(authz.StaffProfilesAccessPrimaryBusinessUnit)
		holder := f.staff(withRoles(spRole), inUnits(a, b), primaryUnit(a))
		noPrivilege := f.staff(withRoles(f.role(authz.ClientsAccessBusinessUnit, authz.ClientsAccessAll)), inUnits(a, b), primaryUnit(a))
		noPrimary := f.staff(withRoles(spRole), inUnits(a, b))
		everyone := f.staff(withRoles(f.role(authz.StaffProfilesAccessAll)))
		seesOnly(t, "privilege, primary unit A", f.profilesOf(t, f.as(holder)), nil, spA.ID)
		seesOnly(t, "primary unit A, no privilege", f.profilesOf(t, f.as(noPrivilege)), nil)
		seesOnly(t, "privilege, members of A and B, no primary", f.profilesOf(t, f.as(noPrimary)), nil)
		seesOnly(t, "organization-wide", f.profilesOf(t, f.as(everyone)), nil, spA.ID, spB.ID, spNone.ID)
	}},

	{"own staff profile is visible, a colleague's is not; profile links expire exclusively", func(t *testing.T, f *fixture) {
		u, colleague := f.staff(), f.staff()
		own, theirs := f.staffProfile(nil, u), f.staffProfile(nil, colleague)
		seesOnly(t, "own", f.profilesOf(t, f.as(u)), nil, own.ID)
		exp := now.Add(time.Hour)
		f.profileLink(u, theirs, &exp)
		seesOnly(t, "linked, before expiry", f.profilesOf(t, f.asAt(u, exp.Add(-time.Microsecond))), nil, own.ID, theirs.ID)
		seesOnly(t, "linked, at expiry", f.profilesOf(t, f.asAt(u, exp)), nil, own.ID)
		parent := f.portalUser()
		seesOnly(t, "portal user", f.profilesOf(t, f.as(parent)), nil)
	}},

	{"portal user reaches linked clients only, each record per its permission, never notes or PHI", func(t *testing.T, f *fixture) {
		cl, unlinked := f.client(nil, false), f.client(nil, false)
		provider := f.staff(withRoles(f.role(builtin("CLINICIAN")...)))
		f.link(provider, cl, nil, nil)
		type records struct{ doc, hw, apt, inv, svy pulid.ID }
		var recs [2]records
		for i, c := range []*ent.Patient{cl, unlinked} {
			a := f.appointment(c, provider)
			f.note(a, provider, false)
			recs[i] = records{f.document(c).ID, f.homework(c).ID, a.ID, f.invoice(c).ID, f.survey(c).ID}
		}
		r := recs[0]
		cases := []struct {
			name string
			p    perms
			want records // zero ids: refused
		}{
			{"no permission", perms{}, records{}},
			{"documents", perms{documents: true}, records{doc: r.doc}},
			{"sessions & homework", perms{sessionsHomework: true}, records{hw: r.hw, apt: r.apt}},
			{"billing", perms{billing: true}, records{inv: r.inv}},
			{"surveys", perms{surveys: true}, records{svy: r.svy}},
			{"all four", perms{true, true, true, true}, r},
		}
		opt := func(id pulid.ID) []pulid.ID {
			if id == "" {
				return nil
			}
			return []pulid.ID{id}
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				parent := f.portalUser()
				f.portalLink(parent, cl, tc.p, nil)
				ctx := f.as(parent)
				seesOnly(t, "clients", f.clientsOf(t, ctx), nil, cl.ID)
				got, err := f.c.Document.Query().IDs(ctx)
				seesOnly(t, "documents", got, err, opt(tc.want.doc)...)
				got, err = f.c.Homework.Query().IDs(ctx)
				seesOnly(t, "homework", got, err, opt(tc.want.hw)...)
				got, err = f.c.Appointment.Query().IDs(ctx)
				seesOnly(t, "appointments", got, err, opt(tc.want.apt)...)
				got, err = f.c.Invoice.Query().IDs(ctx)
				seesOnly(t, "invoices", got, err, opt(tc.want.inv)...)
				got, err = f.c.SurveyResponse.Query().IDs(ctx)
				seesOnly(t, "surveys", got, err, opt(tc.want.svy)...)
				got, err = f.c.SessionNote.Query().IDs(ctx)
				seesOnly(t, "session notes", got, err)
				got, err = f.c.ClientAccess.Query().IDs(ctx)
				seesOnly(t, "staff links", got, err)

				patient := must(f.c.Patient.Get(f.system(), cl.ID)).get(t)
				if ok := must(authz.FieldAllowed(ctx, f.c, authz.ClientPHI, patient)).get(t); ok {
					t.Error("portal user allowed the client's PHI")
				}
				apt := must(f.c.Appointment.Get(f.system(), r.apt)).get(t)
				if ok := must(authz.FieldAllowed(ctx, f.c, authz.AppointmentBilling, apt)).get(t); ok != tc.p.sessionsHomework {
					t.Errorf("appointment billing state allowed = %v, want %v (sessions & homework)", ok, tc.p.sessionsHomework)
				}
			})
		}
		// Staff who reach the client see its PHI.
		patient := must(f.c.Patient.Get(f.system(), cl.ID)).get(t)
		if ok := must(authz.FieldAllowed(f.as(provider), f.c, authz.ClientPHI, patient)).get(t); !ok {
			t.Error("the client's provider refused its PHI")
		}
	}},

	{"session notes: the author's own; others only with session view and the privilege; private for the author alone; lost with the client", func(t *testing.T, f *fixture) {
		cl := f.client(nil, false)
		clinician := f.role(builtin("CLINICIAN")...)
		author, colleague := f.staff(withRoles(clinician)), f.staff(withRoles(clinician))
		reviewer := f.staff(withRoles(f.role(authz.SessionNotesViewOthers)))
		distant := f.staff(withRoles(f.role(authz.SessionNotesViewOthers))) // privilege, no path to the client
		authorLink := f.link(author, cl, nil, nil)
		f.link(colleague, cl, nil, nil)
		f.link(reviewer, cl, nil, nil)
		a := f.appointment(cl, author)
		shared, private := f.note(a, author, false), f.note(a, author, true)
		notes := func(u *ent.User) ([]pulid.ID, error) { return f.c.SessionNote.Query().IDs(f.as(u)) }

		f.setSessionView(false)
		got, err := notes(author)
		seesOnly(t, "author", got, err, shared.ID, private.ID)
		got, err = notes(colleague)
		seesOnly(t, "clinician on the same client", got, err)
		got, err = notes(reviewer)
		seesOnly(t, "privilege, session view off", got, err)

		f.setSessionView(true)
		got, err = notes(reviewer)
		seesOnly(t, "privilege, session view on", got, err, shared.ID)
		got, err = notes(colleague)
		seesOnly(t, "clinician without the privilege, session view on", got, err)
		got, err = notes(distant)
		seesOnly(t, "privilege, session view on, client not reached", got, err)
		got, err = notes(author)
		seesOnly(t, "author, session view on", got, err, shared.ID, private.ID)

		if err := f.c.ClientAccess.DeleteOne(authorLink).Exec(allow()); err != nil {
			t.Fatal(err)
		}
		got, err = notes(author)
		seesOnly(t, "author who lost the client", got, err)
	}},

	{"invoices: staff need the billing tab on a reached client", func(t *testing.T, f *fixture) {
		cl, other := f.client(nil, false), f.client(nil, false)
		inv := f.invoice(cl)
		f.invoice(other)
		billing := f.role(authz.BillingView)
		biller, clinician := f.staff(withRoles(billing)), f.staff(withRoles(f.role(builtin("CLINICIAN")...)))
		f.link(biller, cl, nil, nil)
		f.link(clinician, cl, nil, nil)
		got, err := f.c.Invoice.Query().IDs(f.as(biller))
		seesOnly(t, "billing tab", got, err, inv.ID)
		got, err = f.c.Invoice.Query().IDs(f.as(clinician))
		seesOnly(t, "no billing tab", got, err)
	}},

	{"appointments: own and reached clients' at every level but NONE; the view-all levels and the scheduler privilege see every provider's", func(t *testing.T, f *fixture) {
		reached, unreached := f.client(nil, false), f.client(nil, true)
		provider := f.staff(schedule(user.ScheduleAccessOwnOnly))
		colleague := f.staff()
		f.link(provider, reached, nil, nil)
		own := f.appointment(unreached, provider)      // own session, client not reached
		onReached := f.appointment(reached, colleague) // another provider, reached client
		elsewhere := f.appointment(unreached, colleague)
		for _, level := range []user.ScheduleAccess{user.ScheduleAccessOwnOnly, user.ScheduleAccessEditOwn} {
			u := f.staff(schedule(level))
			f.link(u, reached, nil, nil)
			// Re-point "own" at this user: one appointment of theirs.
			mine := f.appointment(unreached, u)
			got, err := f.c.Appointment.Query().IDs(f.as(u))
			seesOnly(t, string(level), got, err, mine.ID, onReached.ID)
		}
		got, err := f.c.Appointment.Query().IDs(f.as(provider))
		seesOnly(t, "OWN_ONLY provider", got, err, own.ID, onReached.ID)
		// View-all levels see every provider's sessions, but a restricted
		// client's only through a path to it.
		unrestricted := must(f.c.Appointment.Query().
			Where(appointment.HasClientWith(patient.Restricted(false))).IDs(f.system())).get(t)
		for _, level := range []user.ScheduleAccess{user.ScheduleAccessEditOwnViewAll, user.ScheduleAccessViewEditAll} {
			u := f.staff(schedule(level))
			got, err := f.c.Appointment.Query().IDs(f.as(u))
			seesOnly(t, string(level), got, err, unrestricted...)
			f.link(u, unreached, nil, nil)
			got, err = f.c.Appointment.Query().IDs(f.as(u))
			seesOnly(t, string(level)+" linked to the restricted client", got, err,
				must(f.c.Appointment.Query().IDs(f.system())).get(t)...)
		}
		_ = elsewhere
		// NONE: no session dates, not even their own on a reached client;
		// the scheduler privilege (the office-staff tab) shows the
		// view-all schedule whatever the level.
		none := f.staff(schedule(user.ScheduleAccessNone), withRoles(f.role(builtin("CLINICIAN")...)))
		f.link(none, reached, nil, nil)
		f.appointment(reached, none)
		got, err = f.c.Appointment.Query().IDs(f.as(none))
		seesOnly(t, "NONE, not even their own", got, err)
		scheduler := f.staff(schedule(user.ScheduleAccessNone), withRoles(f.role(authz.ScheduleViewAll)))
		got, err = f.c.Appointment.Query().IDs(f.as(scheduler))
		seesOnly(t, "NONE with the scheduler privilege", got, err,
			must(f.c.Appointment.Query().Where(appointment.HasClientWith(patient.Restricted(false))).IDs(f.system())).get(t)...)
	}},

	{"emergency window reaches the client until it expires (exclusive) and not once ended", func(t *testing.T, f *fixture) {
		cl := f.client(nil, true)
		u, ender := f.staff(), f.staff()
		started, expires := now.Add(-10*time.Minute), now.Add(50*time.Minute)
		f.emergency(u, cl, started, expires, nil, "seizure at school, parent unreachable")
		f.emergency(ender, cl, started, expires, ptr(now.Add(-time.Minute)), "wrong client, closed")
		seesOnly(t, "open window", f.clientsOf(t, f.asAt(u, now)), nil, cl.ID)
		seesOnly(t, "a microsecond before expiry", f.clientsOf(t, f.asAt(u, expires.Add(-time.Microsecond))), nil, cl.ID)
		seesOnly(t, "at expiry", f.clientsOf(t, f.asAt(u, expires)), nil)
		seesOnly(t, "ended window", f.clientsOf(t, f.asAt(ender, now)), nil)
		ended := f.staff()
		f.emergency(ended, cl, started, expires, ptr(now), "ended right now")
		seesOnly(t, "window ended at now", f.clientsOf(t, f.asAt(ended, now)), nil)
	}},

	{"users: staff see the directory, a portal user only themself", func(t *testing.T, f *fixture) {
		staff, parent := f.staff(), f.portalUser()
		suspended := f.staff(withStatus(user.StatusSuspended))
		got, err := f.c.User.Query().IDs(f.as(staff))
		seesOnly(t, "staff", got, err, staff.ID, parent.ID, suspended.ID)
		got, err = f.c.User.Query().IDs(f.as(parent))
		seesOnly(t, "portal user", got, err, parent.ID)
	}},

	// Business units are filtered, not refused: a portal user's page of
	// their clients asks for each client's unit along the way.
	{"roles and business units: staff read them, portal users are refused roles and see no units", func(t *testing.T, f *fixture) {
		bu, r := f.unit(), f.role()
		staff, parent := f.staff(), f.portalUser()
		got, err := f.c.Role.Query().IDs(f.as(staff))
		seesOnly(t, "staff: roles", got, err, r.ID)
		got, err = f.c.BusinessUnit.Query().IDs(f.as(staff))
		seesOnly(t, "staff: business units", got, err, bu.ID)
		roles, err := f.c.Role.Query().All(f.as(parent))
		denied(t, "portal: roles", roles, err)
		got, err = f.c.BusinessUnit.Query().IDs(f.as(parent))
		seesOnly(t, "portal: business units", got, err)
	}},

	{"audit events need the audit privilege", func(t *testing.T, f *fixture) {
		ev := must(f.c.AuditEvent.Create().SetOrganizationID(f.org.ID).
			SetActorKind(auditevent.ActorKindSystem).SetAction("test.event").Save(allow())).get(t)
		auditor := f.staff(withRoles(f.role(authz.AuditView)))
		admin := f.staff(withRoles(f.role(authz.UsersManage, authz.ClientsAccessAll)))
		got, err := f.c.AuditEvent.Query().IDs(f.as(auditor))
		seesOnly(t, "audit.view", got, err, ev.ID)
		rows, err := f.c.AuditEvent.Query().All(f.as(admin))
		denied(t, "without audit.view", rows, err)
		rows, err = f.c.AuditEvent.Query().All(f.as(f.portalUser()))
		denied(t, "portal user", rows, err)
	}},

	{"a SCIM viewer reads no records; an invited user gets no viewer", func(t *testing.T, f *fixture) {
		owner, _, _ := populate(t, f)
		scim := at(viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org.ID}), now)
		for name, list := range entityLists(f.c) {
			if name == "Organization" {
				continue
			}
			got, err := list(scim)
			if err != nil && !errors.Is(err, privacy.Deny) {
				t.Errorf("SCIM lists %s: %v", name, err)
			}
			if len(got) != 0 {
				t.Errorf("SCIM viewer reads %d %s rows", len(got), name)
			}
		}
		invited := f.staff(withRoles(f.role(authz.ClientsAccessAll)), withStatus(user.StatusInvited))
		if _, err := viewerFor(context.Background(), f.c, invited.ID); !errors.Is(err, authz.ErrUserInactive) {
			t.Errorf("viewer of an invited user: %v, want ErrUserInactive", err)
		}
		if len(must(f.c.Patient.Query().IDs(f.as(owner))).get(t)) == 0 {
			t.Error("the owner reads no client: the SCIM check above is vacuous")
		}
	}},

	{"invitations need users.invite or users.manage", func(t *testing.T, f *fixture) {
		inv := must(f.c.Invitation.Create().SetOrganizationID(f.org.ID).
			SetEmail(uniq("new") + "@example.org").SetTokenHash([]byte(uniq("hash"))).
			SetExpiresAt(now.Add(72 * time.Hour)).Save(allow())).get(t)
		inviter := f.staff(withRoles(f.role(authz.UsersInvite)))
		manager := f.staff(withRoles(f.role(authz.UsersManage)))
		other := f.staff(withRoles(f.role(authz.ClientsAccessAll, authz.AuditView)))
		got, err := f.c.Invitation.Query().IDs(f.as(inviter))
		seesOnly(t, "users.invite", got, err, inv.ID)
		got, err = f.c.Invitation.Query().IDs(f.as(manager))
		seesOnly(t, "users.manage", got, err, inv.ID)
		rows, err := f.c.Invitation.Query().All(f.as(other))
		denied(t, "neither", rows, err)
	}},
}

func TestRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, rc := range ruleCases {
			t.Run(rc.name, func(t *testing.T) { rc.run(t, newFixture(t, db.Client)) })
		}
	})
}

// populate writes one row of every organization-owned type into f's
// organization and returns its owner (every privilege) and a portal user
// linked to its client.
func populate(t *testing.T, f *fixture) (owner, parent *ent.User, cl *ent.Patient) {
	t.Helper()
	bu := f.unit()
	owner = f.staff(withRoles(f.role(builtin("ACCOUNT_OWNER")...)), accountOwner(), inUnits(bu), primaryUnit(bu))
	parent = f.portalUser()
	cl = f.client(bu, false)
	f.link(owner, cl, nil, owner)
	f.portalLink(parent, cl, perms{true, true, true, true}, owner)
	f.emergency(owner, cl, now.Add(-time.Minute), now.Add(time.Hour), nil, "populate the organization")
	a := f.appointment(cl, owner)
	f.note(a, owner, false)
	f.document(cl)
	f.homework(cl)
	f.invoice(cl)
	f.survey(cl)
	sp := f.staffProfile(bu, owner)
	f.profileLink(owner, sp, nil)
	must(f.c.AuditEvent.Create().SetOrganizationID(f.org.ID).SetActorKind(auditevent.ActorKindSystem).SetAction("x").Save(allow())).get(t)
	must(f.c.Invitation.Create().SetOrganizationID(f.org.ID).SetEmail(uniq("i") + "@example.org").
		SetTokenHash([]byte(uniq("h"))).SetExpiresAt(now.Add(time.Hour)).Save(allow())).get(t)
	sso := must(f.c.SSOConnection.Create().SetOrganizationID(f.org.ID).SetName("IdP").
		SetIssuer("https://" + uniq("idp") + ".example").SetClientID("cg").Save(allow())).get(t)
	must(f.c.UserIdentity.Create().SetOrganizationID(f.org.ID).SetUserID(owner.ID).SetConnectionID(sso.ID).
		SetIssuer(sso.Issuer).SetSubject(uniq("sub")).Save(allow())).get(t)
	return owner, parent, cl
}

// entityLists lists ids of every organization-owned type a viewer might
// read, plus the organization itself.
func entityLists(c *ent.Client) map[string]func(context.Context) ([]pulid.ID, error) {
	return map[string]func(context.Context) ([]pulid.ID, error){
		"Organization":       c.Organization.Query().IDs,
		"Client":             c.Patient.Query().IDs,
		"User":               c.User.Query().IDs,
		"Role":               c.Role.Query().IDs,
		"BusinessUnit":       c.BusinessUnit.Query().IDs,
		"ClientAccess":       c.ClientAccess.Query().IDs,
		"PortalAccess":       c.PortalAccess.Query().IDs,
		"EmergencyAccess":    c.EmergencyAccess.Query().IDs,
		"StaffProfile":       c.StaffProfile.Query().IDs,
		"StaffProfileAccess": c.StaffProfileAccess.Query().IDs,
		"Appointment":        c.Appointment.Query().IDs,
		"SessionNote":        c.SessionNote.Query().IDs,
		"Document":           c.Document.Query().IDs,
		"Homework":           c.Homework.Query().IDs,
		"Invoice":            c.Invoice.Query().IDs,
		"SurveyResponse":     c.SurveyResponse.Query().IDs,
		"AuditEvent":         c.AuditEvent.Query().IDs,
		"Invitation":         c.Invitation.Query().IDs,
		"Subscription":       c.Subscription.Query().IDs,
		"SeatCharge":         c.SeatCharge.Query().IDs,
		"SSOConnection":      c.SSOConnection.Query().IDs,
		"SCIMToken":          c.SCIMToken.Query().IDs,
		"SCIMGroupMapping":   c.SCIMGroupMapping.Query().IDs,
		"SCIMGroupMember":    c.SCIMGroupMember.Query().IDs,
		"Session":            c.Session.Query().IDs,
		"PasswordCredential": c.PasswordCredential.Query().IDs,
		"TOTPFactor":         c.TOTPFactor.Query().IDs,
		"RecoveryCode":       c.RecoveryCode.Query().IDs,
		"WebAuthnCredential": c.WebAuthnCredential.Query().IDs,
		"WebAuthnChallenge":  c.WebAuthnChallenge.Query().IDs,
		"UserIdentity":       c.UserIdentity.Query().IDs,
		"PasswordResetToken": c.PasswordResetToken.Query().IDs,
		"OutboxMessage":      c.OutboxMessage.Query().IDs,
	}
}

func TestNothingCrossesOrganizations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newFixture(t, c), newFixture(t, c)
		ownerA, parentA, _ := populate(t, a)
		ownerB, _, clientB := populate(t, b)
		// ent refuses a link in A pointing at B's client...
		if err := c.ClientAccess.Create().SetOrganizationID(a.org.ID).SetUserID(ownerA.ID).SetClientID(clientB.ID).Exec(allow()); !errors.Is(err, authz.ErrForeignReference) {
			t.Fatalf("cross-organization link: %v", err)
		}
		// ...and a link and an emergency window forged below ent, in SQL,
		// still open no path across organizations.
		forge := func(q string, args ...any) {
			if db.Dialect == "postgres" {
				for i := range args {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", i+1), 1)
				}
			}
			if _, err := db.SQL.ExecContext(context.Background(), q, args...); err != nil {
				t.Fatalf("forge: %v", err)
			}
		}
		forge("INSERT INTO client_accesses (id, organization_id, user_id, client_id, granted_at) VALUES (?, ?, ?, ?, ?)",
			pulid.New("cla"), a.org.ID, ownerA.ID, clientB.ID, now.UTC())
		forge("INSERT INTO emergency_accesses (id, organization_id, user_id, client_id, reason, started_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			pulid.New("eac"), a.org.ID, ownerA.ID, clientB.ID, "forged across organizations", now.Add(-time.Minute).UTC(), now.Add(time.Hour).UTC())

		// Rows of B, as B's server sees them.
		ofB := map[pulid.ID]string{}
		for name, list := range entityLists(c) {
			for _, id := range must(list(b.system())).get(t) {
				ofB[id] = name
			}
		}
		for _, who := range []struct {
			name string
			ctx  context.Context
		}{
			{"A's account owner", a.as(ownerA)},
			{"A's portal user", a.as(parentA)},
			{"A's server", a.system()},
		} {
			for name, list := range entityLists(c) {
				got, err := list(who.ctx)
				if err != nil && !errors.Is(err, privacy.Deny) {
					t.Errorf("%s lists %s: %v", who.name, name, err)
				}
				for _, id := range got {
					if kind, leak := ofB[id]; leak {
						t.Errorf("%s sees %s %s of organization B", who.name, kind, id)
					}
				}
			}
		}
		// The populated organization has rows of the domain types, so the
		// check above is not vacuous.
		if len(ofB) < 15 {
			t.Fatalf("organization B has only %d rows", len(ofB))
		}
		ctxA := a.as(ownerA)
		if ok := must(authz.CanReadClient(ctxA, c, clientB.ID)).get(t); ok {
			t.Error("CanReadClient across organizations")
		}
		if _, err := authz.ExplainClient(ctxA, c, ownerB.ID, clientB.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("explain another organization's user: %v, want NOT_FOUND", err)
		}
		if _, err := authz.ExplainClient(ctxA, c, ownerA.ID, clientB.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("explain another organization's client: %v, want NOT_FOUND", err)
		}
	})
}

// TestSameRequestCycle: a change to roles, memberships, links or status
// takes effect on the next request of everyone concerned, because the
// viewer is rebuilt on every request.
func TestSameRequestCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("business-unit privilege turned off on a role: gone for every holder", func(t *testing.T) {
			f := newFixture(t, db.Client)
			bu := f.unit()
			cl := f.client(bu, false)
			r := f.role(authz.ClientsAccessBusinessUnit, authz.ClientsEdit)
			h1, h2 := f.staff(withRoles(r), inUnits(bu)), f.staff(withRoles(r), inUnits(bu))
			linked := f.staff(withRoles(r), inUnits(bu))
			f.link(linked, cl, nil, nil)
			for _, u := range []*ent.User{h1, h2, linked} {
				seesOnly(t, "before", f.clientsOf(t, f.as(u)), nil, cl.ID)
			}
			f.setPrivileges(r, authz.ClientsEdit)
			for _, u := range []*ent.User{h1, h2} {
				seesOnly(t, "holder, next request", f.clientsOf(t, f.as(u)), nil)
			}
			seesOnly(t, "holder with a link, next request", f.clientsOf(t, f.as(linked)), nil, cl.ID)
			f.setPrivileges(r, authz.ClientsEdit, authz.ClientsAccessBusinessUnit)
			seesOnly(t, "turned back on", f.clientsOf(t, f.as(h1)), nil, cl.ID)
		})

		t.Run("user removed from a business unit: gone on the next request", func(t *testing.T) {
			f := newFixture(t, db.Client)
			bu, other := f.unit(), f.unit()
			cl, kept := f.client(bu, false), f.client(other, false)
			u := f.staff(withRoles(f.role(authz.ClientsAccessBusinessUnit)), inUnits(bu, other))
			seesOnly(t, "member of both", f.clientsOf(t, f.as(u)), nil, cl.ID, kept.ID)
			must(f.c.User.UpdateOneID(u.ID).RemoveBusinessUnits(bu).Save(allow())).get(t)
			seesOnly(t, "removed from one", f.clientsOf(t, f.as(u)), nil, kept.ID)
		})

		t.Run("explicit link expiring: gone at its expiry", func(t *testing.T) {
			f := newFixture(t, db.Client)
			cl := f.client(nil, false)
			u := f.staff()
			exp := now.Add(30 * time.Minute)
			f.link(u, cl, &exp, nil)
			clock := now
			v := must(viewerFor(context.Background(), f.c, u.ID)).get(t)
			ctx := authz.WithClock(viewer.NewContext(context.Background(), v), func() time.Time { return clock })
			seesOnly(t, "before expiry", f.clientsOf(t, ctx), nil, cl.ID)
			clock = exp
			seesOnly(t, "clock at expiry", f.clientsOf(t, ctx), nil)
		})

		t.Run("suspended user: no viewer, no privileges, nothing explained; reactivation restores", func(t *testing.T) {
			f := newFixture(t, db.Client)
			bu := f.unit()
			cl, linkedClient := f.client(bu, false), f.client(nil, true)
			r := f.role(authz.ClientsAccessBusinessUnit, authz.ClientsAccessAll)
			u := f.staff(withRoles(r), inUnits(bu))
			f.link(u, linkedClient, nil, nil)
			admin := f.staff(withRoles(f.role(authz.UsersManage)))
			seesOnly(t, "active", f.clientsOf(t, f.as(u)), nil, cl.ID, linkedClient.ID)

			for _, st := range []user.Status{user.StatusSuspended, user.StatusDeleted} {
				must(f.c.User.UpdateOneID(u.ID).SetStatus(st).Save(allow())).get(t)
				if _, err := viewerFor(context.Background(), f.c, u.ID); !errors.Is(err, authz.ErrUserInactive) {
					t.Errorf("%s: viewer built (err %v), want ErrUserInactive", st, err)
				}
				eu := must(f.c.User.Get(f.system(), u.ID)).get(t)
				if eff := must(authz.LoadEffective(f.system(), f.c, eu)).get(t); len(eff.Privileges) != 0 {
					t.Errorf("%s: effective privileges %v", st, eff.Privileges)
				}
				for _, id := range []pulid.ID{cl.ID, linkedClient.ID} {
					e := must(authz.ExplainClient(f.as(admin), f.c, u.ID, id)).get(t)
					if e.Allowed {
						t.Errorf("%s: explain allows %s by %+v", st, id, e.Paths)
					}
					if !slices.ContainsFunc(e.Notes, func(n string) bool { return n == "user is "+string(st)+": reaches nothing" }) {
						t.Errorf("%s: notes %v do not say so", st, e.Notes)
					}
				}
			}
			must(f.c.User.UpdateOneID(u.ID).SetStatus(user.StatusActive).Save(allow())).get(t)
			seesOnly(t, "reactivated", f.clientsOf(t, f.as(u)), nil, cl.ID, linkedClient.ID)
		})
	})
}

// TestExpiryIsAnInstant: an expiry is a point in time, whatever zone it was
// written in (the server's local zone, an API client's offset). The list,
// CanReadClient and ExplainClient must agree on it.
//
// On SQLite this fails today: the driver stores a time as its Go String()
// ("2026-03-02 11:30:00 +0200 CEST") and the access predicates compare
// that text with the clock's, so instants written in different zones
// compare by wall clock; and a time carrying an unnamed offset (what
// time.Parse(RFC3339, "…+02:00") returns) cannot even be read back.
func TestExpiryIsAnInstant(t *testing.T) {
	cest, est := time.FixedZone("CEST", 2*3600), time.FixedZone("EST", -5*3600)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("links written in other zones", func(t *testing.T) {
			f := newFixture(t, db.Client)
			expired, valid := f.client(nil, false), f.client(nil, false)
			u := f.staff()
			// Expired 30 minutes ago: 10:30 CEST is 08:30 UTC.
			f.link(u, expired, ptr(now.Add(-30*time.Minute).In(cest)), nil)
			// Valid 30 more minutes: 04:30 EST is 09:30 UTC.
			f.link(u, valid, ptr(now.Add(30*time.Minute).In(est)), nil)
			seesOnly(t, "clients", f.clientsOf(t, f.as(u)), nil, valid.ID)
			sp, sp2 := f.staffProfile(nil, nil), f.staffProfile(nil, nil)
			f.profileLink(u, sp, ptr(now.Add(-30*time.Minute).In(cest)))
			f.profileLink(u, sp2, ptr(now.Add(30*time.Minute).In(est)))
			seesOnly(t, "staff profiles", f.profilesOf(t, f.as(u)), nil, sp2.ID)
		})
		t.Run("clock in another zone", func(t *testing.T) {
			f := newFixture(t, db.Client)
			expired, valid := f.client(nil, false), f.client(nil, false)
			u := f.staff()
			f.link(u, expired, ptr(now.Add(-30*time.Minute)), nil)
			f.link(u, valid, ptr(now.Add(30*time.Minute)), nil)
			seesOnly(t, "clock in CEST", f.clientsOf(t, f.asAt(u, now.In(cest))), nil, valid.ID)
			seesOnly(t, "clock in EST", f.clientsOf(t, f.asAt(u, now.In(est))), nil, valid.ID)
		})
		t.Run("expiry parsed from RFC 3339 with an offset", func(t *testing.T) {
			f := newFixture(t, db.Client)
			cl := f.client(nil, false)
			u := f.staff()
			exp := must(time.Parse(time.RFC3339, now.Add(30*time.Minute).In(cest).Format(time.RFC3339))).get(t)
			created, err := f.c.ClientAccess.Create().SetOrganizationID(f.org.ID).
				SetUserID(u.ID).SetClientID(cl.ID).SetExpiresAt(exp).Save(allow())
			if err != nil {
				t.Fatalf("link with expiry %s: %v", exp, err)
			}
			if !created.ExpiresAt.Equal(exp) {
				t.Errorf("expiry read back as %v, wrote %v", created.ExpiresAt, exp)
			}
			seesOnly(t, "clients", f.clientsOf(t, f.as(u)), nil, cl.ID)
		})
	})
}
