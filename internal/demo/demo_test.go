package demo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const devPassword = "correct horse battery staple"

var cheap = password.Hasher{Params: password.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}}

var fixedNow = time.Date(2025, 6, 2, 13, 30, 0, 0, time.UTC)

func params() demo.Params {
	return demo.Params{Password: devPassword, Clock: clock.Func(func() time.Time { return fixedNow }), Hasher: cheap}
}

func counts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, tbl := range migrate.Tables {
		var c int
		if err := db.SQL.QueryRowContext(context.Background(), fmt.Sprintf("SELECT COUNT(*) FROM %q", tbl.Name)).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", tbl.Name, err)
		}
		n[tbl.Name] = c
	}
	return n
}

func sameCounts(t *testing.T, before, after map[string]int) {
	t.Helper()
	for tbl, b := range before {
		if after[tbl] != b {
			t.Errorf("table %s: %d rows, was %d", tbl, after[tbl], b)
		}
	}
}

// must(v, err).get(t) returns v, failing the test on err.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		info, err := demo.Seed(context.Background(), db.Client, params())
		if err != nil {
			t.Fatalf("Seed: %v", err)
		}
		if !info.Created || info.OrgSlug != "demo" {
			t.Fatalf("info = %+v", info)
		}
		wantUsers := []string{"owner", "admin", "supervisor", "clinician", "clinician2", "teacher", "office", "parent"}
		if len(info.Users) != len(wantUsers) {
			t.Fatalf("info.Users = %v", info.Users)
		}
		for i, u := range info.Users {
			if u.Email != wantUsers[i]+"@demo.clinic" || u.Role == "" {
				t.Errorf("info.Users[%d] = %+v", i, u)
			}
		}

		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		org := must(db.Organization.Query().Where(organization.Slug("demo")).Only(allow)).get(t)
		if org.Name != "Demo Clinic" {
			t.Errorf("org name = %q", org.Name)
		}
		// From here on, read as the system within the organization: the
		// tenant rule applies.
		ctx := viewer.ForSystem(context.Background(), org.ID)

		c := db.Client

		// Business units.
		units := must(c.BusinessUnit.Query().All(ctx)).get(t)
		unitName := map[pulid.ID]string{}
		for _, u := range units {
			unitName[u.ID] = u.Name
		}
		if len(units) != 3 || !slices.Equal(sortedValues(unitName), []string{"North Clinic", "School Outreach", "South Clinic"}) {
			t.Errorf("business units = %v", unitName)
		}

		// Clients: ~12 spread over the units, one unassigned, one restricted.
		clients := must(c.Patient.Query().All(ctx)).get(t)
		if len(clients) != 12 {
			t.Errorf("%d clients, want 12", len(clients))
		}
		perUnit := map[string]int{}
		restricted := 0
		for _, cl := range clients {
			if cl.BusinessUnitID == nil {
				perUnit[""]++
			} else {
				perUnit[unitName[*cl.BusinessUnitID]]++
			}
			if cl.Restricted {
				restricted++
			}
			if cl.DateOfBirth == nil || cl.MedicalRecordNumber == "" {
				t.Errorf("client %s %s has no date of birth or MRN", cl.GivenName, cl.FamilyName)
			}
		}
		if perUnit[""] != 1 || restricted != 1 {
			t.Errorf("unassigned %d, restricted %d; want 1 each", perUnit[""], restricted)
		}
		for _, u := range units {
			if perUnit[u.Name] < 2 {
				t.Errorf("unit %s has %d clients", u.Name, perUnit[u.Name])
			}
		}
		inv := must(c.Invitation.Query().All(ctx)).get(t)
		if len(inv) != 1 || inv[0].Email != demo.InvitedEmail || inv[0].Status != "PENDING" || inv[0].InvitedByID == nil {
			t.Errorf("invitations %v, want the administrator's pending one to %s", inv, demo.InvitedEmail)
		}
		if n := must(c.OutboxMessage.Query().Count(ctx)).get(t); n != 1 {
			t.Errorf("outbox holds %d messages, want the invitation's", n)
		}
		contacts := must(c.ClientContact.Query().All(ctx)).get(t)
		if len(contacts) == 0 {
			t.Error("no client has contact info")
		}
		if slices.ContainsFunc(contacts, func(cc *ent.ClientContact) bool { return cc.Email == "parent@demo.clinic" }) {
			t.Error("a portal email was added to a client's contact info")
		}

		// Users.
		users := must(c.User.Query().WithRoles().WithBusinessUnits().WithClientAccesses().All(ctx)).get(t)
		byEmail := map[string]*ent.User{}
		for _, u := range users {
			byEmail[u.Email] = u
		}
		if len(users) != 8 {
			t.Errorf("%d users, want 8", len(users))
		}
		roleHolders := map[string]int{}
		schedules := map[user.ScheduleAccess]bool{}
		for _, key := range wantUsers[:7] {
			u := byEmail[key+"@demo.clinic"]
			if u == nil {
				t.Fatalf("no user %s@demo.clinic", key)
			}
			if u.Kind != user.KindStaff || u.Status != user.StatusActive {
				t.Errorf("%s: kind %s status %s", u.Email, u.Kind, u.Status)
			}
			if u.IsAccountOwner != (key == "owner") {
				t.Errorf("%s: is_account_owner = %v", u.Email, u.IsAccountOwner)
			}
			if len(u.Edges.Roles) != 1 || u.Edges.Roles[0].Builtin == nil {
				t.Errorf("%s: roles %v, want one built-in role", u.Email, u.Edges.Roles)
				continue
			}
			roleHolders[string(*u.Edges.Roles[0].Builtin)]++
			if len(u.Edges.BusinessUnits) == 0 || u.PrimaryBusinessUnitID == nil {
				t.Errorf("%s: business units %d, primary %v", u.Email, len(u.Edges.BusinessUnits), u.PrimaryBusinessUnitID)
			} else if !slices.ContainsFunc(u.Edges.BusinessUnits, func(b *ent.BusinessUnit) bool { return b.ID == *u.PrimaryBusinessUnitID }) {
				t.Errorf("%s: primary business unit is not one of theirs", u.Email)
			}
			schedules[u.ScheduleAccess] = true
		}
		for _, br := range authz.BuiltinRoles() {
			want := 1
			if br.Key == "CLINICIAN" {
				want = 2
			}
			if roleHolders[br.Key] != want {
				t.Errorf("role %s held by %d users, want %d", br.Key, roleHolders[br.Key], want)
			}
		}
		if len(schedules) < 3 {
			t.Errorf("schedule access levels used: %v, want a variety", schedules)
		}
		office := byEmail["office@demo.clinic"]
		if !slices.Contains(office.TabAccess, "dashboard") || !slices.Contains(office.TabAccess, "reports") || len(office.TabAccess) < 3 {
			t.Errorf("office tab access = %v", office.TabAccess)
		}

		// The supervisor's role has the business-unit privilege, and every
		// staff user but the managers reaches at least one client.
		sup := byEmail["supervisor@demo.clinic"]
		eff := must(authz.LoadEffective(ctx, c, sup)).get(t)
		if !eff.Privileges[string(authz.ClientsAccessBusinessUnit)] {
			t.Error("the supervisor lacks the business-unit privilege")
		}
		for _, key := range []string{"supervisor", "clinician", "clinician2", "teacher", "office"} {
			u := byEmail[key+"@demo.clinic"]
			e := must(authz.LoadEffective(ctx, c, u)).get(t)
			reach := len(u.Edges.ClientAccesses)
			if e.Privileges[string(authz.ClientsAccessBusinessUnit)] {
				for _, cl := range clients {
					if cl.BusinessUnitID != nil && !cl.Restricted && slices.ContainsFunc(u.Edges.BusinessUnits, func(b *ent.BusinessUnit) bool { return b.ID == *cl.BusinessUnitID }) {
						reach++
					}
				}
			}
			if reach == 0 {
				t.Errorf("%s reaches no client", u.Email)
			}
		}
		for _, key := range []string{"clinician", "clinician2", "teacher"} {
			if len(byEmail[key+"@demo.clinic"].Edges.ClientAccesses) == 0 {
				t.Errorf("%s has no explicit client access", key)
			}
		}
		links := must(c.ClientAccess.Query().All(ctx)).get(t)
		expiring := 0
		for _, l := range links {
			if l.ExpiresAt != nil {
				expiring++
				if !l.ExpiresAt.After(fixedNow) {
					t.Errorf("expiring link already expired: %v", l.ExpiresAt)
				}
			}
			if l.GrantedByID == nil {
				t.Errorf("link %s has no grantor", l.ID)
			}
		}
		if expiring != 1 {
			t.Errorf("%d expiring links, want 1", expiring)
		}
		// The restricted client is linked explicitly.
		for _, cl := range clients {
			if cl.Restricted && !slices.ContainsFunc(links, func(l *ent.ClientAccess) bool { return l.ClientID == cl.ID }) {
				t.Error("the restricted client has no explicit link")
			}
		}

		// Staff profiles: one per staff user, linked, in a business unit.
		profiles := must(c.StaffProfile.Query().All(ctx)).get(t)
		if len(profiles) != 7 {
			t.Errorf("%d staff profiles, want 7", len(profiles))
		}
		for _, sp := range profiles {
			if sp.UserID == nil || sp.BusinessUnitID == nil {
				t.Errorf("staff profile %s %s: user %v unit %v", sp.GivenName, sp.FamilyName, sp.UserID, sp.BusinessUnitID)
				continue
			}
			u := must(c.User.Get(ctx, *sp.UserID)).get(t)
			if u.Kind != user.KindStaff || u.Email != sp.Email || *u.PrimaryBusinessUnitID != *sp.BusinessUnitID {
				t.Errorf("staff profile %s does not match its user %s", sp.Email, u.Email)
			}
		}

		// The portal parent.
		parent := byEmail["parent@demo.clinic"]
		if parent.Kind != user.KindPortal || parent.Status != user.StatusActive || len(parent.Edges.Roles) != 0 {
			t.Errorf("parent: kind %s status %s roles %d", parent.Kind, parent.Status, len(parent.Edges.Roles))
		}
		pas := must(c.PortalAccess.Query().All(ctx)).get(t)
		if len(pas) != 1 {
			t.Fatalf("%d portal accesses, want 1", len(pas))
		}
		pa := pas[0]
		perms := 0
		for _, on := range []bool{pa.Documents, pa.SessionsHomework, pa.Billing, pa.Surveys} {
			if on {
				perms++
			}
		}
		if pa.UserID != parent.ID || perms != 2 || !pa.AlertRecipient {
			t.Errorf("portal access = %+v, want two permissions and the alert flag", pa)
		}

		// Passwords: the dev password for everyone, not temporary.
		creds := must(c.PasswordCredential.Query().All(ctx)).get(t)
		if len(creds) != 8 {
			t.Errorf("%d password credentials, want 8", len(creds))
		}
		for _, cr := range creds {
			if cr.MustChange || cr.TemporaryExpiresAt != nil {
				t.Errorf("credential of %s is temporary", cr.UserID)
			}
			if ok, _, err := cheap.Verify(cr.Hash, devPassword); !ok || err != nil {
				t.Errorf("credential of %s does not verify with the dev password", cr.UserID)
			}
		}
		if creds[0].Hash == creds[1].Hash {
			t.Error("accounts share a hash (salt reused)")
		}

		// The clinical record.
		appts := must(c.Appointment.Query().WithNotes().All(ctx)).get(t)
		notes := 0
		for _, a := range appts {
			for _, n := range a.Edges.Notes {
				notes++
				if n.AuthorID != a.ProviderID {
					t.Errorf("note on %s written by %s, not the provider", a.ID, n.AuthorID)
				}
			}
		}
		if len(appts) < 3 || notes < 2 {
			t.Errorf("%d appointments, %d notes", len(appts), notes)
		}
		clinician := byEmail["clinician@demo.clinic"]
		if n := must(c.SessionNote.Query().All(ctx)).get(t); !slices.ContainsFunc(n, func(n *ent.SessionNote) bool { return n.AuthorID == clinician.ID }) {
			t.Error("no session note by the clinician")
		}
		for name, n := range map[string]int{
			"homework":  must(c.Homework.Query().Count(ctx)).get(t),
			"documents": must(c.Document.Query().Count(ctx)).get(t),
			"invoices":  must(c.Invoice.Query().Count(ctx)).get(t),
			"surveys":   must(c.SurveyResponse.Query().Count(ctx)).get(t),
		} {
			if n == 0 {
				t.Errorf("no %s", name)
			}
		}

		// Billing: one seat per staff member, and room to invite.
		sub := must(c.Subscription.Query().Only(ctx)).get(t)
		if sub.Seats != 7+demo.DemoFreeSeats {
			t.Errorf("subscription seats = %d, want 7 held and %d free", sub.Seats, demo.DemoFreeSeats)
		}
		charges := must(c.SeatCharge.Query().All(ctx)).get(t)
		if len(charges) != 8 {
			t.Errorf("%d seat charges, want 7 members and the pending invitation", len(charges))
		}
		for _, ch := range charges {
			if ch.AmountCents != sub.SeatPriceCents || ch.DaysRemaining != ch.DaysInTerm {
				t.Errorf("seat charge %+v, want a full term", ch)
			}
		}

		// Audit trail: the bootstrap and the grants.
		events := must(c.AuditEvent.Query().All(ctx)).get(t)
		actions := map[string]int{}
		for _, e := range events {
			actions[e.Action]++
		}
		if actions[audit.OrgBootstrapped] != 1 || actions[audit.AccessGranted] != len(links)+1 {
			t.Errorf("audit actions = %v", actions)
		}

		// Idempotent: a second Seed changes nothing.
		before := counts(t, db)
		again, err := demo.Seed(context.Background(), db.Client, params())
		if err != nil {
			t.Fatalf("second Seed: %v", err)
		}
		if again.Created || again.OrgSlug != "demo" || len(again.Users) != 8 {
			t.Errorf("second Seed info = %+v", again)
		}
		sameCounts(t, before, counts(t, db))
	})
}

func sortedValues(m map[pulid.ID]string) []string {
	var v []string
	for _, s := range m {
		v = append(v, s)
	}
	slices.Sort(v)
	return v
}

func TestSeedRefusesBadPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, pw := range []string{"", "xq7!zz", "owner-password-1234"} {
			p := params()
			p.Password = pw
			if _, err := demo.Seed(context.Background(), db.Client, p); err == nil {
				t.Errorf("Seed with password %q succeeded", pw)
			} else if pw != "" && strings.Contains(err.Error(), pw) {
				t.Errorf("error %q contains the password", err)
			}
		}
		for tbl, n := range counts(t, db) {
			if n != 0 {
				t.Errorf("table %s has %d rows", tbl, n)
			}
		}
	})
}

// Two replicas starting with --demo at once: one seeds, the other sees it.
func TestSeedConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 3
		infos := make([]*demo.Info, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				infos[i], errs[i] = demo.Seed(context.Background(), db.Client, params())
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Seed %d: %v", i, errs[i])
			}
			if infos[i].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d Seeds created the demo, want 1", created)
		}
		got := counts(t, db)
		if got["organizations"] != 1 || got["users"] != 8 || got["patients"] != 12 {
			t.Errorf("counts = %v", got)
		}
	})
}
