// Package demo seeds the demo organization that `make run` starts with: a
// small clinic with business units, clients, staff in every built-in role, a
// portal parent and a little clinical record, so that every access path can
// be tried by signing in as someone.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/invoice"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/seatcharge"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/bootstrap"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Slug is the demo organization's slug.
const Slug = "demo"

// Name is the demo organization's name.
const Name = "Demo Clinic"

// DemoFreeSeats are the demo subscription's seats left to invite with.
const DemoFreeSeats = 20

// SeatPriceCents is the demo subscription's price of a seat for a year.
const SeatPriceCents = 24000

// Params configure the seed.
type Params struct {
	// Password is the development password of every demo user (required;
	// it must pass the password policy). It is not temporary.
	Password string
	// Clock is the clock (default: the clock in ctx); appointments and expiries are
	// placed around it.
	Clock clock.Clock
	// Hasher hashes the passwords; the zero Hasher uses the default
	// argon2id parameters. Tests may pass cheaper ones.
	Hasher password.Hasher
}

// DemoUser is a demo account to sign in with.
type DemoUser struct {
	Email string
	Role  string // the role's display name, or "Portal user"
}

// Info says what Seed did and how to sign in.
type Info struct {
	// Created is false when the demo organization already existed and
	// Seed changed nothing.
	Created bool
	OrgSlug string
	Users   []DemoUser
}

type staffSpec struct {
	key        string // email local part
	given      string
	family     string
	title      string
	role       role.Builtin
	units      []string // business unit names
	primary    string
	schedule   user.ScheduleAccess
	tabs       []string
	employeeNo string
}

const (
	unitNorth  = "North Clinic"
	unitSouth  = "South Clinic"
	unitSchool = "School Outreach"
)

var units = []struct{ name, address string }{
	{unitNorth, "120 Harbor Street, Northfield"},
	{unitSouth, "48 Orchard Lane, Southbridge"},
	{unitSchool, "Visiting programme, Lincoln Elementary and Oakwood Middle"},
}

const ownerKey = "owner"

// The owner is made by bootstrap; these are the other staff.
var staff = []staffSpec{
	{key: "admin", given: "Marcus", family: "Reed", title: "Practice Manager", role: role.BuiltinAdministrator,
		units: []string{unitNorth, unitSouth, unitSchool}, primary: unitNorth, schedule: user.ScheduleAccessViewEditAll, employeeNo: "E-002"},
	{key: "supervisor", given: "Priya", family: "Raman", title: "Clinical Supervisor", role: role.BuiltinSupervisor,
		units: []string{unitNorth, unitSchool}, primary: unitNorth, schedule: user.ScheduleAccessEditOwnViewAll, employeeNo: "E-003"},
	{key: "clinician", given: "Sam", family: "Okafor", title: "Speech-Language Pathologist", role: role.BuiltinClinician,
		units: []string{unitNorth}, primary: unitNorth, schedule: user.ScheduleAccessEditOwn, employeeNo: "E-004"},
	{key: "clinician2", given: "Lena", family: "Fischer", title: "Occupational Therapist", role: role.BuiltinClinician,
		units: []string{unitSouth}, primary: unitSouth, schedule: user.ScheduleAccessEditOwnViewAll, employeeNo: "E-005"},
	{key: "teacher", given: "Tom", family: "Alvarez", title: "Special Education Teacher", role: role.BuiltinTeacher,
		units: []string{unitSchool}, primary: unitSchool, schedule: user.ScheduleAccessNone, employeeNo: "E-006"},
	{key: "office", given: "Jo", family: "Bennett", title: "Front Desk & Billing", role: role.BuiltinOfficeStaff,
		units: []string{unitNorth, unitSouth}, primary: unitSouth, schedule: user.ScheduleAccessNone,
		tabs: []string{authz.TabDashboard, authz.TabReports, authz.TabScheduler, authz.TabBilling}, employeeNo: "E-007"},
}

const parentKey = "parent"

type clientSpec struct {
	given, family, preferred string
	unit                     string // "" = no business unit
	restricted               bool
	born                     string
	gender                   string
	email, phone             string
	diagnosis                string
}

var clients = []clientSpec{
	{given: "Liam", family: "Carter", unit: unitNorth, born: "2016-05-12", gender: "male", diagnosis: "Speech sound disorder"},
	{given: "Ava", family: "Thompson", unit: unitNorth, born: "2014-09-03", gender: "female", diagnosis: "Childhood-onset fluency disorder"},
	{given: "Noah", family: "Patel", unit: unitNorth, born: "2011-01-22", gender: "male", diagnosis: "Expressive language disorder"},
	{given: "Grace", family: "Li", unit: unitNorth, restricted: true, born: "1998-11-30", gender: "female",
		email: "grace.li@example.com", phone: "+1 555 0142", diagnosis: "Post-concussion cognitive-communication disorder"},
	{given: "Ethan", family: "Nguyen", unit: unitSouth, born: "1987-04-18", gender: "male",
		email: "ethan.nguyen@example.com", phone: "+1 555 0187", diagnosis: "Hand injury rehabilitation"},
	{given: "Sophia", family: "Garcia", preferred: "Sofi", unit: unitSouth, born: "2015-07-07", gender: "female", diagnosis: "Developmental coordination disorder"},
	{given: "Lucas", family: "Kim", unit: unitSouth, born: "2012-02-14", gender: "male", diagnosis: "Sensory processing difficulties"},
	{given: "Isabella", family: "Rossi", unit: unitSouth, born: "1952-08-25", gender: "female",
		phone: "+1 555 0119", diagnosis: "Post-stroke upper-limb rehabilitation"},
	{given: "Oliver", family: "Brown", unit: unitSchool, born: "2015-03-09", gender: "male", diagnosis: "Autism spectrum disorder, level 1"},
	{given: "Emma", family: "Wilson", unit: unitSchool, born: "2013-12-01", gender: "female", diagnosis: "Dyslexia"},
	{given: "Mason", family: "Davis", unit: unitSchool, born: "2014-06-16", gender: "male", diagnosis: "ADHD, combined presentation"},
	{given: "Jack", family: "Murphy", born: "2009-10-27", gender: "male", diagnosis: "Social communication disorder"},
}

// links are the explicit client access links: staff key → clients
// ("Given Family"). The clinicians and the teacher reach their clients only
// this way (their roles lack the business-unit privilege).
var links = []struct {
	staff   string
	clients []string
}{
	{"clinician", []string{"Liam Carter", "Ava Thompson", "Noah Patel", "Grace Li", "Jack Murphy"}},
	{"clinician2", []string{"Ethan Nguyen", "Sophia Garcia", "Lucas Kim", "Isabella Rossi"}},
	{"teacher", []string{"Oliver Brown", "Emma Wilson", "Mason Davis", "Liam Carter"}},
	{"office", []string{"Liam Carter", "Ava Thompson", "Ethan Nguyen", "Sophia Garcia"}},
}

// expiringLink is the one link that ends: a short-term cover arrangement.
var expiringLink = [2]string{"clinician2", "Lucas Kim"}

const expiringLinkDays = 14

func email(key string) string { return key + "@demo.clinic" }

// Users returns the demo accounts, owner first.
func Users() []DemoUser {
	names := map[string]string{}
	for _, br := range authz.BuiltinRoles() {
		names[br.Key] = br.Name
	}
	us := []DemoUser{{email(ownerKey), names[string(role.BuiltinAccountOwner)]}}
	for _, s := range staff {
		us = append(us, DemoUser{email(s.key), names[string(s.role)]})
	}
	return append(us, DemoUser{email(parentKey), "Portal user"})
}

// Seed creates the demo organization unless one with slug "demo" exists, in
// one transaction. It is idempotent: when the organization exists (also when
// a concurrent Seed created it first) it returns Created=false and changes
// nothing.
func Seed(ctx context.Context, client *ent.Client, p Params) (*Info, error) {
	info := &Info{OrgSlug: Slug, Users: Users()}
	if p.Password == "" {
		return nil, errors.New("demo: a password for the demo users is required")
	}
	for _, u := range info.Users {
		if err := password.ValidateFor(p.Password, u.Email); err != nil {
			return nil, fmt.Errorf("demo: the demo password is refused for %s: %w", u.Email, err)
		}
	}
	exists, err := client.Organization.Query().Where(organization.Slug(Slug)).
		Exist(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if exists {
		return info, nil
	}
	c := p.Clock
	if c == nil {
		c = clock.FromContext(ctx)
	}
	t := c.Now().UTC()
	// One instant for every row and audit event of the seed.
	ctx = clock.NewContext(ctx, clock.Func(func() time.Time { return t }))

	// Hash outside the transaction (argon2id is slow by design): one hash
	// per account, each with its own salt.
	hashes := map[string]string{}
	for _, key := range append(staffKeys(), parentKey) {
		if hashes[key], err = p.Hasher.Hash(p.Password); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}

	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	err = seed(ctx, tx.Client(), p, t, hashes)
	if err != nil {
		_ = tx.Rollback()
		if errors.Is(err, bootstrap.ErrSlugTaken) {
			return info, nil // a concurrent Seed won
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("demo: commit: %w", err)
	}
	info.Created = true
	return info, nil
}

func staffKeys() []string {
	keys := make([]string, len(staff))
	for i, s := range staff {
		keys[i] = s.key
	}
	return keys
}

func seed(ctx context.Context, c *ent.Client, p Params, now time.Time, hashes map[string]string) error {
	res, err := bootstrap.Create(ctx, c, bootstrap.Params{
		Name:           Name,
		Slug:           Slug,
		OwnerEmail:     email(ownerKey),
		OwnerPassword:  p.Password,
		OwnerName:      "Dana Whitfield",
		SeatPriceCents: SeatPriceCents,
		Clock:          clock.Func(func() time.Time { return now }),
		Hasher:         p.Hasher,
	})
	if err != nil {
		return err
	}
	org := res.Org.ID
	sys := viewer.ForSystem(ctx, org)
	wrap := func(what string, err error) error { return fmt.Errorf("demo: %s: %w", what, err) }

	// The supervisor reaches clients through business units; make sure
	// the role says so even if the built-in defaults change.
	sup := res.Roles[string(role.BuiltinSupervisor)]
	if !slices.Contains(sup.Privileges, string(authz.ClientsAccessBusinessUnit)) {
		sup, err = sup.Update().AppendPrivileges([]string{string(authz.ClientsAccessBusinessUnit)}).Save(sys)
		if err != nil {
			return wrap("supervisor role", err)
		}
	}

	// Business units.
	unitID := map[string]pulid.ID{}
	for _, u := range units {
		bu, err := c.BusinessUnit.Create().SetOrganizationID(org).SetName(u.name).SetAddress(u.address).
			SetCreatedAt(now).SetUpdatedAt(now).Save(sys)
		if err != nil {
			return wrap("business unit "+u.name, err)
		}
		unitID[u.name] = bu.ID
	}

	// Staff. The owner (from bootstrap) gets a primary unit and a title.
	userID := map[string]pulid.ID{ownerKey: res.Owner.ID}
	owner, err := res.Owner.Update().
		SetPrimaryBusinessUnitID(unitID[unitNorth]).
		AddBusinessUnitIDs(unitID[unitNorth]).
		SetTitle("Clinical Director").
		SetPhone("+1 555 0100").
		Save(sys)
	if err != nil {
		return wrap("owner", err)
	}
	type member struct {
		id      pulid.ID
		email   string
		given   string
		family  string
		title   string
		primary pulid.ID
		empNo   string
	}
	members := []member{{owner.ID, owner.Email, owner.GivenName, owner.FamilyName, "Clinical Director", unitID[unitNorth], "E-001"}}
	for i, s := range staff {
		r := res.Roles[string(s.role)]
		if r == nil {
			return wrap("staff "+s.key, fmt.Errorf("no built-in role %s", s.role))
		}
		b := c.User.Create().
			SetOrganizationID(org).
			SetEmail(email(s.key)).
			SetGivenName(s.given).
			SetFamilyName(s.family).
			SetDisplayName(s.given + " " + s.family).
			SetTitle(s.title).
			SetPhone(fmt.Sprintf("+1 555 01%02d", i+1)).
			SetKind(user.KindStaff).
			SetStatus(user.StatusActive).
			SetScheduleAccess(s.schedule).
			SetPrimaryBusinessUnitID(unitID[s.primary]).
			AddRoleIDs(r.ID).
			SetCreatedAt(now).
			SetUpdatedAt(now)
		for _, u := range s.units {
			b.AddBusinessUnitIDs(unitID[u])
		}
		if s.tabs != nil {
			b.SetTabAccess(s.tabs)
		}
		u, err := b.Save(sys)
		if err != nil {
			return wrap("staff "+s.key, err)
		}
		userID[s.key] = u.ID
		members = append(members, member{u.ID, u.Email, s.given, s.family, s.title, unitID[s.primary], s.employeeNo})
	}

	// The portal parent: no roles, no business units, no seat.
	parent, err := c.User.Create().
		SetOrganizationID(org).
		SetEmail(email(parentKey)).
		SetGivenName("Chris").
		SetFamilyName("Carter").
		SetDisplayName("Chris Carter").
		SetKind(user.KindPortal).
		SetStatus(user.StatusActive).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(sys)
	if err != nil {
		return wrap("portal user", err)
	}
	userID[parentKey] = parent.ID

	// Passwords: the dev password, not temporary (the owner's came from
	// bootstrap).
	creds := make([]*ent.PasswordCredentialCreate, 0, len(hashes))
	for _, key := range append(staffKeys(), parentKey) {
		creds = append(creds, c.PasswordCredential.Create().
			SetOrganizationID(org).
			SetUserID(userID[key]).
			SetHash(hashes[key]).
			SetChangedAt(now).
			SetCreatedAt(now).
			SetUpdatedAt(now))
	}
	if err := c.PasswordCredential.CreateBulk(creds...).Exec(sys); err != nil {
		return wrap("passwords", err)
	}

	// One staff profile per staff user, in the user's primary unit.
	profiles := make([]*ent.StaffProfileCreate, 0, len(members))
	for _, m := range members {
		profiles = append(profiles, c.StaffProfile.Create().
			SetOrganizationID(org).
			SetGivenName(m.given).
			SetFamilyName(m.family).
			SetEmail(m.email).
			SetJobTitle(m.title).
			SetEmployeeNumber(m.empNo).
			SetBusinessUnitID(m.primary).
			SetUserID(m.id).
			SetCreatedAt(now).
			SetUpdatedAt(now))
	}
	if err := c.StaffProfile.CreateBulk(profiles...).Exec(sys); err != nil {
		return wrap("staff profiles", err)
	}

	// Seats: every staff member added bills a seat (the portal parent takes
	// none), pro-rated by the days left in the term. The term starts today,
	// so each is a full term.
	termStart, _, days := bootstrap.Term(now)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	remaining := days - int(today.Sub(termStart)/(24*time.Hour))
	charges := make([]*ent.SeatChargeCreate, 0, len(staff))
	for _, s := range staff {
		charges = append(charges, c.SeatCharge.Create().
			SetOrganizationID(org).
			SetSubscriptionID(res.Subscription.ID).
			SetUserID(userID[s.key]).
			SetAmountCents(SeatPriceCents*int64(remaining)/int64(days)).
			SetDaysRemaining(remaining).
			SetDaysInTerm(days).
			SetReason(seatcharge.ReasonMemberAdded).
			SetChargedAt(now))
	}
	if err := c.SeatCharge.CreateBulk(charges...).Exec(sys); err != nil {
		return wrap("seat charges", err)
	}
	// Room to invite: the demo shows the invitation flows.
	if err := res.Subscription.Update().SetSeats(1 + len(staff) + DemoFreeSeats).Exec(sys); err != nil {
		return wrap("subscription seats", err)
	}

	// Clients.
	clientID := map[string]pulid.ID{}
	for i, cs := range clients {
		born, err := time.Parse(time.DateOnly, cs.born)
		if err != nil {
			return wrap("client "+cs.given, err)
		}
		b := c.Patient.Create().
			SetOrganizationID(org).
			SetGivenName(cs.given).
			SetFamilyName(cs.family).
			SetPreferredName(cs.preferred).
			SetRestricted(cs.restricted).
			SetDateOfBirth(born).
			SetGender(cs.gender).
			SetMedicalRecordNumber(fmt.Sprintf("DC-%06d", 101+i)).
			SetDiagnosis(cs.diagnosis).
			SetCreatedAt(now).
			SetUpdatedAt(now)
		if cs.unit != "" {
			b.SetBusinessUnitID(unitID[cs.unit])
		}
		if cs.phone != "" {
			b.SetPhone(cs.phone)
		}
		cl, err := b.Save(sys)
		if err != nil {
			return wrap("client "+cs.given, err)
		}
		clientID[cs.given+" "+cs.family] = cl.ID
		// Contact Info: an adult client's own email is a contact of
		// theirs (seed 002 picks portal emails from these).
		if cs.email != "" {
			if err := c.ClientContact.Create().SetOrganizationID(org).SetClientID(cl.ID).
				SetName(cs.given + " " + cs.family).SetRelationship("SELF").SetEmail(cs.email).
				SetCreatedAt(now).SetUpdatedAt(now).Exec(sys); err != nil {
				return wrap("contact of "+cs.given, err)
			}
		}
	}

	// Explicit access links, granted by the administrator.
	admin := userID["admin"]
	var events []audit.Event
	for _, l := range links {
		for _, name := range l.clients {
			cid, ok := clientID[name]
			if !ok {
				return wrap("access link", fmt.Errorf("no client %q", name))
			}
			b := c.ClientAccess.Create().
				SetOrganizationID(org).
				SetUserID(userID[l.staff]).
				SetClientID(cid).
				SetGrantedByID(admin).
				SetGrantedAt(now)
			details := map[string]any{"user_id": string(userID[l.staff]), "via": "client_access"}
			if l.staff == expiringLink[0] && name == expiringLink[1] {
				exp := now.AddDate(0, 0, expiringLinkDays)
				b.SetExpiresAt(exp)
				details["expires_at"] = exp.Format(time.RFC3339)
			}
			ca, err := b.Save(sys)
			if err != nil {
				return wrap("access link", err)
			}
			events = append(events, audit.Event{
				Org: org, Action: audit.AccessGranted, TargetType: "client_access", TargetID: string(ca.ID),
				ClientID: cid, Details: details,
			})
		}
	}

	// Portal: the parent of Liam Carter sees documents and sessions &
	// homework (not billing, not surveys) and receives the alerts.
	liam := clientID["Liam Carter"]
	pa, err := c.PortalAccess.Create().
		SetOrganizationID(org).
		SetUserID(parent.ID).
		SetClientID(liam).
		SetDocuments(true).
		SetSessionsHomework(true).
		SetBilling(false).
		SetSurveys(false).
		SetAlertRecipient(true).
		SetGrantedByID(admin).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(sys)
	if err != nil {
		return wrap("portal access", err)
	}
	events = append(events, audit.Event{
		Org: org, Action: audit.AccessGranted, TargetType: "portal_access", TargetID: string(pa.ID), ClientID: liam,
		Details: map[string]any{"user_id": string(parent.ID), "via": "portal_access",
			"permissions": []string{"documents", "sessions_homework"}, "alert_recipient": true},
	})

	// A little clinical record.
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	at := func(days, hour int) time.Time { return day.AddDate(0, 0, days).Add(time.Duration(hour) * time.Hour) }
	type apptSpec struct {
		provider, client string
		days, hour       int
		status           appointment.Status
		billed           bool
		location         string
		note             string
		private          bool
	}
	appts := []apptSpec{
		{"clinician", "Liam Carter", -14, 10, appointment.StatusCompleted, true, "North Clinic, Room 2",
			"Initial session. Stimulability probe for /r/ and /s/; /s/ emerging in isolation. Parent present and engaged.", false},
		{"clinician", "Liam Carter", -7, 10, appointment.StatusCompleted, false, "North Clinic, Room 2",
			"/s/ at syllable level with 70% accuracy. Introduced home practice cards.", false},
		{"clinician", "Liam Carter", 7, 10, appointment.StatusScheduled, false, "North Clinic, Room 2", "", false},
		{"clinician", "Ava Thompson", -3, 14, appointment.StatusCompleted, false, "North Clinic, Room 1",
			"Easy-onset practice in structured conversation; self-rated stress 3/10.", false},
		{"clinician", "Grace Li", -2, 16, appointment.StatusCompleted, false, "Telehealth",
			"Working-memory strategies for return to work. Discussed sensitive personal history; see private note.", true},
		{"clinician2", "Ethan Nguyen", -5, 9, appointment.StatusCompleted, true, "South Clinic, Therapy Gym",
			"Grip strength improved (L 28 kg). Progressed putty exercises to medium resistance.", false},
		{"clinician2", "Sophia Garcia", -1, 15, appointment.StatusMissed, false, "South Clinic, Room 3", "", false},
		{"supervisor", "Oliver Brown", 2, 11, appointment.StatusScheduled, false, "Lincoln Elementary", "", false},
	}
	var liamSecond pulid.ID
	for i, a := range appts {
		ap, err := c.Appointment.Create().
			SetOrganizationID(org).
			SetClientID(clientID[a.client]).
			SetProviderID(userID[a.provider]).
			SetStartsAt(at(a.days, a.hour)).
			SetEndsAt(at(a.days, a.hour).Add(50 * time.Minute)).
			SetStatus(a.status).
			SetBillable(true).
			SetBilled(a.billed).
			SetLocation(a.location).
			SetCreatedAt(now).
			SetUpdatedAt(now).
			Save(sys)
		if err != nil {
			return wrap("appointment", err)
		}
		if i == 1 {
			liamSecond = ap.ID
		}
		if a.note == "" {
			continue
		}
		err = c.SessionNote.Create().
			SetOrganizationID(org).
			SetAppointmentID(ap.ID).
			SetAuthorID(userID[a.provider]).
			SetBody(a.note).
			SetPrivate(a.private).
			SetCreatedAt(at(a.days, a.hour+1)).
			SetUpdatedAt(at(a.days, a.hour+1)).
			Exec(sys)
		if err != nil {
			return wrap("session note", err)
		}
	}

	due := at(5, 17)
	err = c.Homework.Create().
		SetOrganizationID(org).
		SetClientID(liam).
		SetAppointmentID(liamSecond).
		SetTitle("Practise /s/ cards, 5 minutes a day").
		SetInstructions("Go through the ten picture cards once a day. Praise clear /s/; don't correct the others.").
		SetDueAt(due).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("homework", err)
	}
	err = c.Homework.Create().
		SetOrganizationID(org).
		SetClientID(clientID["Oliver Brown"]).
		SetTitle("Visual schedule for morning routine").
		SetInstructions("Use the laminated schedule at home each school day; tick each step together.").
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("homework", err)
	}

	err = c.Document.Create().
		SetOrganizationID(org).
		SetClientID(liam).
		SetTitle("Speech and language assessment report").
		SetFileName("liam-carter-assessment.pdf").
		SetContentType("application/pdf").
		SetSizeBytes(184_320).
		SetStorageKey(fmt.Sprintf("demo/%s/assessment.pdf", liam)).
		SetUploadedByID(userID["clinician"]).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("document", err)
	}

	issued := at(-13, 9)
	err = c.Invoice.Create().
		SetOrganizationID(org).
		SetClientID(liam).
		SetNumber("DEMO-0001").
		SetAmountCents(15_000).
		SetStatus(invoice.StatusIssued).
		SetIssuedAt(issued).
		SetDueAt(issued.AddDate(0, 0, 30)).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("invoice", err)
	}
	issued = at(-4, 9)
	err = c.Invoice.Create().
		SetOrganizationID(org).
		SetClientID(clientID["Ethan Nguyen"]).
		SetNumber("DEMO-0002").
		SetAmountCents(12_500).
		SetStatus(invoice.StatusPaid).
		SetIssuedAt(issued).
		SetDueAt(issued.AddDate(0, 0, 30)).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("invoice", err)
	}

	err = c.SurveyResponse.Create().
		SetOrganizationID(org).
		SetClientID(clientID["Oliver Brown"]).
		SetSurveyName("Strengths and Difficulties Questionnaire (teacher)").
		SetAnswers(map[string]any{
			"emotional_symptoms": 3, "conduct_problems": 1, "hyperactivity": 4,
			"peer_problems": 5, "prosocial": 7, "comments": "Settles well with a visual timetable.",
		}).
		SetSubmittedByID(userID["teacher"]).
		SetSubmittedAt(at(-6, 15)).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(sys)
	if err != nil {
		return wrap("survey response", err)
	}

	if err := audit.RecordBatch(sys, c, events); err != nil {
		return wrap("audit", err)
	}

	// A pending invitation, sent by the administrator as the API would
	// (the decision, the seat, the outbox mail that make run prints): a
	// clinician for Oliver Brown.
	adminUser, err := c.User.Query().Where(user.ID(userID["admin"])).WithBusinessUnits().Only(sys)
	if err != nil {
		return wrap("administrator", err)
	}
	av, err := authz.LoadViewer(sys, c, adminUser)
	if err != nil {
		return wrap("administrator", err)
	}
	as := viewer.NewContext(ctx, av)
	if _, _, err := invite.Invite(as, c, InvitedEmail, invite.Settings{
		RoleIDs:   []pulid.ID{res.Roles[string(role.BuiltinClinician)].ID},
		ClientIDs: []pulid.ID{clientID["Oliver Brown"]},
	}); err != nil {
		return wrap("invitation", err)
	}
	return nil
}

// InvitedEmail is the address of the demo's pending invitation.
const InvitedEmail = "new.clinician@demo.clinic"
