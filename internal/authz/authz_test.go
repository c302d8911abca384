package authz_test

// Fixtures shared by the tests of package authz. Every test runs on SQLite
// and PostgreSQL (storetest.Each) and builds its own organization, so tests
// sharing a database never see each other's rows. Rows are written as the
// server with a privacy Allow decision; rows are read as a viewer built
// exactly as the session builds it on every request (viewerFor).

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// now is the instant every decision in these tests is made at, unless a
// test moves the clock. Whole seconds: PostgreSQL keeps microseconds, so
// every offset used from it is a multiple of a microsecond.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// tb is what fixtures need of a test: *testing.T and *rapid.T both fit.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

// must(f()).get(t) is f's value, or the end of the test on its error.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get(t tb) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%v", r.err)
	}
	return r.v
}

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func ptr[T any](v T) *T { return &v }

// fixture writes the rows of one organization.
type fixture struct {
	t   tb
	c   *ent.Client
	org *ent.Organization
}

func newFixture(t tb, c *ent.Client) *fixture {
	t.Helper()
	slug := uniq("org-")
	org := must(c.Organization.Create().SetName(slug).SetSlug(slug).Save(allow())).get(t)
	return &fixture{t: t, c: c, org: org}
}

func (f *fixture) unit() *ent.BusinessUnit {
	f.t.Helper()
	return must(f.c.BusinessUnit.Create().SetOrganizationID(f.org.ID).SetName(uniq("unit-")).Save(allow())).get(f.t)
}

func (f *fixture) role(privs ...authz.Privilege) *ent.Role {
	f.t.Helper()
	keys := make([]string, len(privs))
	for i, p := range privs {
		keys[i] = string(p)
	}
	return must(f.c.Role.Create().SetOrganizationID(f.org.ID).SetName(uniq("role-")).SetPrivileges(keys).Save(allow())).get(f.t)
}

// setPrivileges replaces a role's privileges, as "Managing User
// Privileges" does.
func (f *fixture) setPrivileges(r *ent.Role, privs ...authz.Privilege) {
	f.t.Helper()
	keys := make([]string, len(privs))
	for i, p := range privs {
		keys[i] = string(p)
	}
	must(f.c.Role.UpdateOneID(r.ID).SetPrivileges(keys).Save(allow())).get(f.t)
}

// userOpt sets something on a user being created.
type userOpt func(*ent.UserCreate)

func withRoles(rs ...*ent.Role) userOpt {
	return func(c *ent.UserCreate) { c.AddRoles(rs...) }
}

func inUnits(bus ...*ent.BusinessUnit) userOpt {
	return func(c *ent.UserCreate) { c.AddBusinessUnits(bus...) }
}

func primaryUnit(bu *ent.BusinessUnit) userOpt {
	return func(c *ent.UserCreate) { c.SetPrimaryBusinessUnitID(bu.ID) }
}

func schedule(level user.ScheduleAccess) userOpt {
	return func(c *ent.UserCreate) { c.SetScheduleAccess(level) }
}

func withStatus(s user.Status) userOpt {
	return func(c *ent.UserCreate) { c.SetStatus(s) }
}

func accountOwner() userOpt {
	return func(c *ent.UserCreate) { c.SetIsAccountOwner(true) }
}

func (f *fixture) newUser(kind user.Kind, opts ...userOpt) *ent.User {
	f.t.Helper()
	c := f.c.User.Create().SetOrganizationID(f.org.ID).
		SetEmail(uniq("u") + "@example.org").
		SetKind(kind).
		SetStatus(user.StatusActive)
	for _, o := range opts {
		o(c)
	}
	return must(c.Save(allow())).get(f.t)
}

func (f *fixture) staff(opts ...userOpt) *ent.User { return f.newUser(user.KindStaff, opts...) }

func (f *fixture) portalUser(opts ...userOpt) *ent.User { return f.newUser(user.KindPortal, opts...) }

// client creates a client in bu (nil: none).
func (f *fixture) client(bu *ent.BusinessUnit, restricted bool) *ent.Patient {
	f.t.Helper()
	c := f.c.Patient.Create().SetOrganizationID(f.org.ID).
		SetGivenName("Given").SetFamilyName(uniq("Family")).
		SetRestricted(restricted)
	if bu != nil {
		c.SetBusinessUnitID(bu.ID)
	}
	return must(c.Save(allow())).get(f.t)
}

// link gives u an explicit link to cl, until exp (nil: no expiry).
func (f *fixture) link(u *ent.User, cl *ent.Patient, exp *time.Time, grantedBy *ent.User) *ent.ClientAccess {
	f.t.Helper()
	c := f.c.ClientAccess.Create().SetOrganizationID(f.org.ID).
		SetUserID(u.ID).SetClientID(cl.ID).
		SetGrantedAt(now.Add(-24 * time.Hour)).
		SetNillableExpiresAt(exp)
	if grantedBy != nil {
		c.SetGrantedByID(grantedBy.ID)
	}
	return must(c.Save(allow())).get(f.t)
}

// emergency opens a break-glass window for u on cl.
func (f *fixture) emergency(u *ent.User, cl *ent.Patient, started, expires time.Time, ended *time.Time, reason string) *ent.EmergencyAccess {
	f.t.Helper()
	return must(f.c.EmergencyAccess.Create().SetOrganizationID(f.org.ID).
		SetUserID(u.ID).SetClientID(cl.ID).SetReason(reason).
		SetStartedAt(started).SetExpiresAt(expires).SetNillableEndedAt(ended).
		Save(allow())).get(f.t)
}

// perms are a portal link's four permissions.
type perms struct{ documents, sessionsHomework, billing, surveys bool }

func (f *fixture) portalLink(u *ent.User, cl *ent.Patient, p perms, grantedBy *ent.User) *ent.PortalAccess {
	f.t.Helper()
	c := f.c.PortalAccess.Create().SetOrganizationID(f.org.ID).
		SetUserID(u.ID).SetClientID(cl.ID).
		SetDocuments(p.documents).SetSessionsHomework(p.sessionsHomework).
		SetBilling(p.billing).SetSurveys(p.surveys)
	if grantedBy != nil {
		c.SetGrantedByID(grantedBy.ID)
	}
	return must(c.Save(allow())).get(f.t)
}

// staffProfile creates a staff profile in bu (nil: none), of u (nil: none).
func (f *fixture) staffProfile(bu *ent.BusinessUnit, u *ent.User) *ent.StaffProfile {
	f.t.Helper()
	c := f.c.StaffProfile.Create().SetOrganizationID(f.org.ID).
		SetGivenName("Staff").SetFamilyName(uniq("Profile")).SetEmail(uniq("p") + "@example.org")
	if bu != nil {
		c.SetBusinessUnitID(bu.ID)
	}
	if u != nil {
		c.SetUserID(u.ID)
	}
	return must(c.Save(allow())).get(f.t)
}

func (f *fixture) profileLink(u *ent.User, sp *ent.StaffProfile, exp *time.Time) *ent.StaffProfileAccess {
	f.t.Helper()
	return must(f.c.StaffProfileAccess.Create().SetOrganizationID(f.org.ID).
		SetUserID(u.ID).SetStaffProfileID(sp.ID).
		SetGrantedAt(now.Add(-24 * time.Hour)).SetNillableExpiresAt(exp).
		Save(allow())).get(f.t)
}

func (f *fixture) appointment(cl *ent.Patient, provider *ent.User) *ent.Appointment {
	f.t.Helper()
	return must(f.c.Appointment.Create().SetOrganizationID(f.org.ID).
		SetClientID(cl.ID).SetProviderID(provider.ID).
		SetStartsAt(now.Add(time.Hour)).SetEndsAt(now.Add(2 * time.Hour)).
		Save(allow())).get(f.t)
}

func (f *fixture) note(a *ent.Appointment, author *ent.User, private bool) *ent.SessionNote {
	f.t.Helper()
	return must(f.c.SessionNote.Create().SetOrganizationID(f.org.ID).
		SetAppointmentID(a.ID).SetAuthorID(author.ID).SetBody("notes").SetPrivate(private).
		Save(allow())).get(f.t)
}

func (f *fixture) document(cl *ent.Patient) *ent.Document {
	f.t.Helper()
	return must(f.c.Document.Create().SetOrganizationID(f.org.ID).
		SetClientID(cl.ID).SetTitle("Report").SetFileName("report.pdf").SetStorageKey(uniq("key-")).
		Save(allow())).get(f.t)
}

func (f *fixture) homework(cl *ent.Patient) *ent.Homework {
	f.t.Helper()
	return must(f.c.Homework.Create().SetOrganizationID(f.org.ID).
		SetClientID(cl.ID).SetTitle("Practise").Save(allow())).get(f.t)
}

func (f *fixture) invoice(cl *ent.Patient) *ent.Invoice {
	f.t.Helper()
	return must(f.c.Invoice.Create().SetOrganizationID(f.org.ID).
		SetClientID(cl.ID).SetNumber(uniq("INV-")).SetAmountCents(1000).Save(allow())).get(f.t)
}

func (f *fixture) survey(cl *ent.Patient) *ent.SurveyResponse {
	f.t.Helper()
	return must(f.c.SurveyResponse.Create().SetOrganizationID(f.org.ID).
		SetClientID(cl.ID).SetSurveyName("PHQ-9").Save(allow())).get(f.t)
}

func (f *fixture) setSessionView(on bool) {
	f.t.Helper()
	must(f.c.Organization.UpdateOneID(f.org.ID).SetSessionViewEnabled(on).Save(allow())).get(f.t)
}

// viewerFor builds userID's viewer the way the session does on every
// request (auth/session.Authenticate): the user loaded as the server of
// their organization with their business units, then authz.LoadViewer —
// which refuses a user who is not active, as the session does.
func viewerFor(ctx context.Context, c *ent.Client, userID pulid.ID) (*viewer.Viewer, error) {
	// The session knows the organization from the session row; here the
	// user row tells it.
	u0, err := c.User.Get(privacy.DecisionContext(ctx, privacy.Allow), userID)
	if err != nil {
		return nil, err
	}
	sys := viewer.ForSystem(ctx, u0.OrganizationID)
	u, err := c.User.Query().
		Where(user.ID(userID)).
		WithBusinessUnits(func(q *ent.BusinessUnitQuery) { q.Select(businessunit.FieldID) }).
		Only(sys)
	if err != nil {
		return nil, err
	}
	return authz.LoadViewer(sys, c, u)
}

// at returns ctx whose decisions are made at when.
func at(ctx context.Context, when time.Time) context.Context {
	return authz.WithClock(ctx, func() time.Time { return when })
}

// as returns a request context of u at now: a fresh viewer, as on every
// request.
func (f *fixture) as(u *ent.User) context.Context {
	f.t.Helper()
	return f.asAt(u, now)
}

func (f *fixture) asAt(u *ent.User, when time.Time) context.Context {
	f.t.Helper()
	v, err := viewerFor(context.Background(), f.c, u.ID)
	if err != nil {
		f.t.Fatalf("viewer of %s: %v", u.ID, err)
	}
	return at(viewer.NewContext(context.Background(), v), when)
}

// system is the server's context for the fixture's organization at now.
func (f *fixture) system() context.Context {
	return at(viewer.ForSystem(context.Background(), f.org.ID), now)
}

// sorted returns ids sorted, for comparison.
func sorted(ids []pulid.ID) []pulid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []pulid.ID{}
	}
	return out
}

// ids returns its arguments sorted, to compare with a query's answer.
func ids(xs ...pulid.ID) []pulid.ID { return sorted(xs) }
