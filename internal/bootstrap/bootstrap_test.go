package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/seatcharge"
	"github.com/clinicgate/clinicgate/ent/subscription"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// cheap is an argon2id hasher cheap enough for tests that hash many times.
var cheap = password.Hasher{Params: password.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}}

var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// at is the fixed clock of these tests.
var at = clock.Func(func() time.Time { return fixedNow })

// tempPasswordRE is the format of password.Temporary.
var tempPasswordRE = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$`)

const goodPassword = "correct horse battery staple"

func allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

// counts returns the number of rows of every table.
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

func total(n map[string]int) int {
	s := 0
	for _, c := range n {
		s += c
	}
	return s
}

func assertCounts(t *testing.T, db *store.DB, want map[string]int) {
	t.Helper()
	got := counts(t, db)
	for tbl, w := range want {
		if got[tbl] != w {
			t.Errorf("table %s: %d rows, want %d", tbl, got[tbl], w)
		}
	}
}

func TestCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		res, err := Create(ctx, db.Client, Params{
			Name:           "  Acme Therapy & Care  ",
			OwnerEmail:     "Dana.Whitfield@Acme.example",
			OwnerPassword:  goodPassword,
			OwnerName:      "Dana  Whitfield",
			SeatPriceCents: 24000,
			Clock:          at,
			// the zero Hasher: default argon2id parameters
		})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if res.TemporaryPassword != "" {
			t.Errorf("TemporaryPassword = %q, want empty when a password is given", res.TemporaryPassword)
		}

		// Organization.
		org, err := db.Organization.Query().Where(organization.ID(res.Org.ID)).Only(allow())
		if err != nil {
			t.Fatalf("load organization: %v", err)
		}
		if org.Name != "Acme Therapy & Care" || org.Slug != "acme-therapy-and-care" {
			t.Errorf("organization = %q / %q, want trimmed name and derived slug", org.Name, org.Slug)
		}

		// Every row and audit event of the creation carries the clock's
		// one instant, not the wall clock.
		evs, err := db.AuditEvent.Query().All(allow())
		if err != nil || len(evs) == 0 {
			t.Fatalf("audit events: %v, %v", evs, err)
		}
		for _, e := range evs {
			if !e.OccurredAt.Equal(fixedNow) {
				t.Errorf("audit event %s at %v, want the bootstrap clock's %v", e.Action, e.OccurredAt, fixedNow)
			}
		}
		if !org.CreatedAt.Equal(fixedNow) {
			t.Errorf("organization created at %v, want %v", org.CreatedAt, fixedNow)
		}

		// One role per built-in role, with its privileges.
		roles, err := db.Role.Query().Where(role.OrganizationID(org.ID)).All(allow())
		if err != nil {
			t.Fatal(err)
		}
		builtins := authz.BuiltinRoles()
		if len(roles) != len(builtins) || len(builtins) != 6 {
			t.Fatalf("%d roles, want the %d built-in roles (6)", len(roles), len(builtins))
		}
		for _, br := range builtins {
			r := res.Roles[br.Key]
			if r == nil {
				t.Errorf("Result.Roles has no %s", br.Key)
				continue
			}
			stored, err := db.Role.Get(allow(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Builtin == nil || string(*stored.Builtin) != br.Key || stored.Name != br.Name || stored.Description != br.Description {
				t.Errorf("role %s stored as builtin=%v name=%q", br.Key, stored.Builtin, stored.Name)
			}
			want := make([]string, len(br.Privileges))
			for i, p := range br.Privileges {
				want[i] = string(p)
			}
			if !slices.Equal(stored.Privileges, want) {
				t.Errorf("role %s privileges = %v, want %v", br.Key, stored.Privileges, want)
			}
		}

		// The owner.
		owner, err := db.User.Query().Where(user.OrganizationID(org.ID)).Only(allow())
		if err != nil {
			t.Fatalf("exactly one user expected: %v", err)
		}
		if owner.ID != res.Owner.ID || owner.Kind != user.KindStaff || owner.Status != user.StatusActive || !owner.IsAccountOwner {
			t.Errorf("owner = kind %s status %s owner %v", owner.Kind, owner.Status, owner.IsAccountOwner)
		}
		if owner.Email != "Dana.Whitfield@Acme.example" || owner.EmailNormalized != "dana.whitfield@acme.example" {
			t.Errorf("owner email = %q / %q", owner.Email, owner.EmailNormalized)
		}
		if owner.GivenName != "Dana" || owner.FamilyName != "Whitfield" || owner.DisplayName != "Dana Whitfield" {
			t.Errorf("owner name = %q %q (%q)", owner.GivenName, owner.FamilyName, owner.DisplayName)
		}
		ownerRoles, err := owner.QueryRoles().All(allow())
		if err != nil {
			t.Fatal(err)
		}
		if len(ownerRoles) != 1 || ownerRoles[0].Builtin == nil || *ownerRoles[0].Builtin != role.BuiltinAccountOwner {
			t.Errorf("owner roles = %v, want only ACCOUNT_OWNER", ownerRoles)
		}
		eff, err := authz.LoadEffective(allow(), db.Client, owner)
		if err != nil {
			t.Fatal(err)
		}
		if !eff.Privileges[string(authz.OrgTransferOwnership)] || !eff.Privileges[string(authz.OrgDelete)] {
			t.Errorf("owner lacks owner-only privileges: %v", eff.Privileges)
		}

		// The password: argon2id, default parameters, not the plain text.
		cred, err := db.PasswordCredential.Query().Where(passwordcredential.UserID(owner.ID)).Only(allow())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cred.Hash, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(cred.Hash, goodPassword) {
			t.Errorf("hash = %q, want an argon2id PHC string", cred.Hash)
		}
		if ok, _, err := password.Verify(cred.Hash, goodPassword); !ok || err != nil {
			t.Errorf("the given password does not verify against the stored hash: %v %v", ok, err)
		}
		if cred.MustChange || cred.TemporaryExpiresAt != nil {
			t.Errorf("given password stored as temporary: must_change=%v expires=%v", cred.MustChange, cred.TemporaryExpiresAt)
		}
		if cred.OrganizationID != org.ID {
			t.Errorf("credential in organization %s", cred.OrganizationID)
		}

		// Subscription and the owner's seat.
		sub, err := db.Subscription.Query().Where(subscription.OrganizationID(org.ID)).Only(allow())
		if err != nil {
			t.Fatal(err)
		}
		wantStart := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
		if !sub.TermStart.Equal(wantStart) || !sub.TermEnd.Equal(wantStart.AddDate(1, 0, 0)) {
			t.Errorf("term = %v .. %v, want an annual term from today", sub.TermStart, sub.TermEnd)
		}
		if sub.Seats != DefaultSeats || sub.SeatPriceCents != 24000 || sub.Status != subscription.StatusActive || sub.Currency != "USD" {
			t.Errorf("subscription = %+v", sub)
		}
		charge, err := db.SeatCharge.Query().Where(seatcharge.OrganizationID(org.ID)).Only(allow())
		if err != nil {
			t.Fatal(err)
		}
		if charge.SubscriptionID != sub.ID || charge.UserID == nil || *charge.UserID != owner.ID ||
			charge.Reason != seatcharge.ReasonMemberAdded || charge.AmountCents != 24000 ||
			charge.DaysInTerm != 365 || charge.DaysRemaining != 365 {
			t.Errorf("seat charge = %+v, want a full-term MEMBER_ADDED charge for the owner", charge)
		}

		// The audit event.
		ev, err := db.AuditEvent.Query().Where(auditevent.OrganizationID(org.ID)).Only(allow())
		if err != nil {
			t.Fatalf("exactly one audit event expected: %v", err)
		}
		if ev.Action != audit.OrgBootstrapped || ev.ActorKind != auditevent.ActorKindSystem ||
			ev.TargetType != "organization" || ev.TargetID != string(org.ID) {
			t.Errorf("audit event = %+v", ev)
		}
		if ev.Details["owner_id"] != string(owner.ID) || ev.Details["slug"] != org.Slug {
			t.Errorf("audit details = %v", ev.Details)
		}

		// Result entities are usable after the transaction.
		if _, err := res.Owner.QueryRoles().Count(allow()); err != nil {
			t.Errorf("Result.Owner is still bound to the transaction: %v", err)
		}
	})
}

func TestCreateTemporaryPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			ttl, want time.Duration
		}{{0, 72 * time.Hour}, {24 * time.Hour, 24 * time.Hour}} {
			res, err := Create(context.Background(), db.Client, Params{
				Name:            "Temp " + tc.want.String(),
				OwnerEmail:      "owner@temp.example",
				TempPasswordTTL: tc.ttl,
				Clock:           at,
				Hasher:          cheap,
			})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if !tempPasswordRE.MatchString(res.TemporaryPassword) {
				t.Errorf("TemporaryPassword = %q, want the password.Temporary format", res.TemporaryPassword)
			}
			cred, err := db.PasswordCredential.Query().Where(passwordcredential.UserID(res.Owner.ID)).Only(allow())
			if err != nil {
				t.Fatal(err)
			}
			if !cred.MustChange {
				t.Error("temporary password not marked must_change")
			}
			if cred.TemporaryExpiresAt == nil || !cred.TemporaryExpiresAt.Equal(fixedNow.Add(tc.want)) {
				t.Errorf("temporary_expires_at = %v, want now+%v", cred.TemporaryExpiresAt, tc.want)
			}
			if strings.Contains(cred.Hash, res.TemporaryPassword) {
				t.Error("the temporary password is stored in plain text")
			}
			if ok, _, err := cheap.Verify(cred.Hash, res.TemporaryPassword); !ok || err != nil {
				t.Errorf("temporary password does not verify: %v %v", ok, err)
			}
			ev, err := db.AuditEvent.Query().Where(auditevent.OrganizationID(res.Org.ID)).Only(allow())
			if err != nil {
				t.Fatal(err)
			}
			if ev.Details["temporary_password"] != true {
				t.Errorf("audit details = %v", ev.Details)
			}
			if s := fmt.Sprint(ev.Details); strings.Contains(s, res.TemporaryPassword) {
				t.Error("the audit event contains the temporary password")
			}
		}
	})
}

func TestCreateSlugTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := Params{Name: "Acme", OwnerEmail: "owner@acme.example", OwnerPassword: goodPassword, Clock: at, Hasher: cheap}
		if _, err := Create(ctx, db.Client, p); err != nil {
			t.Fatalf("first Create: %v", err)
		}
		before := counts(t, db)

		for _, again := range []Params{
			p, // the same request
			{Name: "ACME!", OwnerEmail: "x@y.example", Hasher: cheap},                 // derives the same slug
			{Name: "Other", Slug: " ACME ", OwnerEmail: "x@y.example", Hasher: cheap}, // given, other case
		} {
			_, err := Create(ctx, db.Client, again)
			if !errors.Is(err, ErrSlugTaken) {
				t.Fatalf("Create(%+v) = %v, want ErrSlugTaken", again.Name, err)
			}
			if err.Error() != `organization "acme" already exists` {
				t.Errorf("error = %q", err)
			}
		}
		if after := counts(t, db); !mapsEqual(before, after) {
			t.Errorf("rows changed by refused Creates:\nbefore %v\nafter  %v", before, after)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCreateTwoOrganizations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := Create(ctx, db.Client, Params{Name: "North Practice", OwnerEmail: "dana@shared.example", OwnerPassword: goodPassword, Hasher: cheap})
		if err != nil {
			t.Fatal(err)
		}
		// Same owner email, other organization: emails are unique per
		// organization only.
		b, err := Create(ctx, db.Client, Params{Name: "South Practice", OwnerEmail: "DANA@shared.example", Hasher: cheap})
		if err != nil {
			t.Fatal(err)
		}
		if a.Org.ID == b.Org.ID || a.Org.Slug != "north-practice" || b.Org.Slug != "south-practice" {
			t.Errorf("organizations %s/%s and %s/%s", a.Org.ID, a.Org.Slug, b.Org.ID, b.Org.Slug)
		}
		for _, r := range []*Result{a, b} {
			n, err := db.Role.Query().Where(role.OrganizationID(r.Org.ID)).Count(allow())
			if err != nil || n != 6 {
				t.Errorf("organization %s has %d roles (%v), want 6", r.Org.Slug, n, err)
			}
			n, err = db.User.Query().Where(user.OrganizationID(r.Org.ID), user.IsAccountOwner(true)).Count(allow())
			if err != nil || n != 1 {
				t.Errorf("organization %s has %d owners (%v), want 1", r.Org.Slug, n, err)
			}
			if r.Roles["ACCOUNT_OWNER"].OrganizationID != r.Org.ID {
				t.Errorf("role of another organization returned")
			}
		}
		assertCounts(t, db, map[string]int{
			"organizations": 2, "users": 2, "roles": 12, "user_roles": 2,
			"password_credentials": 2, "subscriptions": 2, "seat_charges": 2, "audit_events": 2,
		})
	})
}

func TestCreateInvalid(t *testing.T) {
	long := strings.Repeat("x", 201)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		valid := Params{Name: "Valid Clinic", OwnerEmail: "owner@valid.example", Hasher: cheap}
		for _, tc := range []struct {
			field  string
			modify func(p *Params)
		}{
			{"name", func(p *Params) { p.Name = "" }},
			{"name", func(p *Params) { p.Name = "   " }},
			{"name", func(p *Params) { p.Name = long }},
			{"name", func(p *Params) { p.Name = "Bad\x00Name" }},
			{"slug", func(p *Params) { p.Name = "日本語" }}, // nothing to derive
			{"slug", func(p *Params) { p.Name = "AB" }},  // too short once derived
			{"slug", func(p *Params) { p.Slug = "ab" }},
			{"slug", func(p *Params) { p.Slug = "-acme" }},
			{"slug", func(p *Params) { p.Slug = "acme-" }},
			{"slug", func(p *Params) { p.Slug = "ac--me" }},
			{"slug", func(p *Params) { p.Slug = "acme clinic" }},
			{"slug", func(p *Params) { p.Slug = "acmé" }},
			{"slug", func(p *Params) { p.Slug = "acme_clinic" }},
			{"slug", func(p *Params) { p.Slug = strings.Repeat("a", 64) }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "not-an-email" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "Dana <dana@valid.example>" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "dana@localhost" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "dana@@valid.example" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = "dana@valid..example" }},
			{"owner_email", func(p *Params) { p.OwnerEmail = strings.Repeat("a", 250) + "@x.example" }},
			{"owner_name", func(p *Params) { p.OwnerName = long }},
			{"owner_password", func(p *Params) { p.OwnerPassword = "tiny" }}, // not "short": the error names the policy code too_short
			{"owner_password", func(p *Params) { p.OwnerPassword = "password1234" }},
			{"owner_password", func(p *Params) { p.OwnerPassword = "my-owner-password" }}, // contains the email's local part
			{"temp_password_ttl", func(p *Params) { p.TempPasswordTTL = -time.Hour }},
			{"seat_price_cents", func(p *Params) { p.SeatPriceCents = -1 }},
		} {
			p := valid
			tc.modify(&p)
			_, err := Create(context.Background(), db.Client, p)
			var ie *apperr.Error
			if !errors.As(err, &ie) || ie.Kind != apperr.Invalid {
				t.Errorf("%+v: err = %v, want an apperr.Invalid *apperr.Error", p, err)
				continue
			}
			if ie.Field != tc.field || ie.Message == "" {
				t.Errorf("%+v: Invalid{%q, %q}, want field %q", p, ie.Field, ie.Message, tc.field)
			}
			if tc.field == "owner_password" {
				var pe *password.PolicyError
				if !errors.As(err, &pe) || ie.Message != pe.Reason || ie.Policy != pe.Code {
					t.Errorf("password refusal does not carry the policy error: %v", err)
				}
				if strings.Contains(err.Error(), p.OwnerPassword) {
					t.Errorf("error %q contains the password", err)
				}
			}
		}
		if n := total(counts(t, db)); n != 0 {
			t.Errorf("%d rows written by refused Creates", n)
		}
		// The valid params do work.
		if _, err := Create(context.Background(), db.Client, valid); err != nil {
			t.Errorf("valid params: %v", err)
		}
	})
}

// A failure at any step leaves nothing behind.
func TestCreateRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Cleanup(func() { failpoint = nil })
		for _, step := range []string{"slug_checked", "roles_created", "owner_created", "billing_created", "audited"} {
			boom := errors.New("boom at " + step)
			failpoint = func(_ context.Context, s string) error {
				if s == step {
					return boom
				}
				return nil
			}
			_, err := Create(context.Background(), db.Client, Params{Name: "Rollback", OwnerEmail: "o@rb.example", Hasher: cheap})
			if !errors.Is(err, boom) {
				t.Fatalf("step %s: err = %v", step, err)
			}
			if n := counts(t, db); total(n) != 0 {
				t.Errorf("step %s: rows left behind: %v", step, n)
			}
		}
		failpoint = nil
		if _, err := Create(context.Background(), db.Client, Params{Name: "Rollback", OwnerEmail: "o@rb.example", Hasher: cheap}); err != nil {
			t.Errorf("after the failures the slug is free: %v", err)
		}
	})
}

// Another organization taking the slug between Create's check and its insert
// is reported as ErrSlugTaken (the unique index decides), and Create leaves
// nothing behind.
//
// PostgreSQL only: on SQLite Create's transaction (BEGIN IMMEDIATE) holds the
// database's single write lock from its start, so no other connection can
// insert between the check and the insert; the race cannot happen there.
func TestCreateSlugRace(t *testing.T) {
	db := storetest.Open(t, "postgres")
	t.Cleanup(func() { failpoint = nil })
	var rival *Result
	failpoint = func(_ context.Context, step string) error {
		if step != "slug_checked" {
			return nil
		}
		failpoint = nil
		var err error
		// Committed on its own connection, outside Create's transaction.
		rival, err = Create(context.Background(), db.Client, Params{Name: "Rival", Slug: "contested", OwnerEmail: "rival@x.example", Hasher: cheap})
		return err
	}
	_, err := Create(context.Background(), db.Client, Params{Name: "Late", Slug: "contested", OwnerEmail: "late@x.example", Hasher: cheap})
	if !errors.Is(err, ErrSlugTaken) || err.Error() != `organization "contested" already exists` {
		t.Fatalf("err = %v, want ErrSlugTaken", err)
	}
	if rival == nil {
		t.Fatal("the rival Create did not run")
	}
	assertCounts(t, db, map[string]int{
		"organizations": 1, "users": 1, "roles": 6, "password_credentials": 1,
		"subscriptions": 1, "seat_charges": 1, "audit_events": 1,
	})
}

// Several Creates for one slug at once: exactly one wins, the others get
// ErrSlugTaken.
func TestCreateConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = Create(context.Background(), db.Client, Params{
					Name: "Busy", Slug: "busy", OwnerEmail: fmt.Sprintf("o%d@busy.example", i), Hasher: cheap,
				})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, ErrSlugTaken):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d Creates succeeded, want exactly 1", won)
		}
		assertCounts(t, db, map[string]int{"organizations": 1, "users": 1, "roles": 6, "audit_events": 1})
	})
}

// Create inside the caller's transaction: the caller commits or rolls back.
func TestCreateInCallersTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, commit := range []bool{false, true} {
			tx, err := db.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Create(ctx, tx.Client(), Params{Name: "Inside", OwnerEmail: "o@inside.example", Hasher: cheap})
			if err != nil {
				_ = tx.Rollback()
				t.Fatal(err)
			}
			// Usable within the transaction.
			if n, err := tx.Role.Query().Where(role.OrganizationID(res.Org.ID)).Count(allow()); err != nil || n != 6 {
				t.Errorf("roles in the transaction: %d %v", n, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if commit {
				want = 1
			}
			assertCounts(t, db, map[string]int{"organizations": want, "users": want, "roles": 6 * want})
		}
	})
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Acme":                      "acme",
		"  Acme   Therapy  ":        "acme-therapy",
		"Children's Therapy Centre": "childrens-therapy-centre",
		"Smith & Jones":             "smith-and-jones",
		"Clínica Niño Düsseldorf":   "clinica-nino-dusseldorf",
		"Straße Øresund Łódź Æsir":  "strasse-oresund-lodz-aesir",
		"Praxis 日本 Nord":            "praxis-nord",
		"--Weird__Name!!":           "weird-name",
		"Ｆｕｌｌｗｉｄｔｈ ｃｌｉｎｉｃ": "fullwidth-clinic",
		"日本語":                            "",
		strings.Repeat("abcdefghi ", 10): "abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abc",
		strings.Repeat("x", 62) + " yz":  strings.Repeat("x", 62),
	} {
		got := Slugify(in)
		if got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if got != "" && len(got) >= MinSlugLen && ValidateSlug(got) != "" {
			t.Errorf("Slugify(%q) = %q, which ValidateSlug refuses: %s", in, got, ValidateSlug(got))
		}
	}
}
