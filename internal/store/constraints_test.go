package store_test

// The constraints the database itself enforces, on both dialects: whatever
// the application layer forgets, these hold. Each test shows the violation
// refused as an ent constraint error naming the intended constraint, and the
// neighbouring valid case accepted.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// allow bypasses the privacy layer: these tests are about what the database
// refuses on its own.
func allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

type kind int

const (
	unique kind = iota
	foreignKey
	notNull
)

var (
	pgCode     = map[kind]string{unique: "23505", foreignKey: "23503", notNull: "23502"}
	sqliteCode = map[kind]int{unique: sqlite3.SQLITE_CONSTRAINT_UNIQUE, foreignKey: sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, notNull: sqlite3.SQLITE_CONSTRAINT_NOTNULL}
	kindName   = map[kind]string{unique: "unique", foreignKey: "foreign key", notNull: "not-null"}
)

// refused asserts that err is the database refusing a write for the given
// kind of constraint. pgConstraint is the constraint (or unique index) name
// PostgreSQL reports; sqliteDetail is text SQLite's message must contain
// (SQLite names a unique violation by its columns, and a foreign-key
// violation not at all). Either may be empty.
func refused(t *testing.T, db *store.DB, err error, k kind, pgConstraint, sqliteDetail string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s violation accepted", kindName[k])
	}
	switch db.Dialect {
	case dialect.Postgres:
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not from PostgreSQL: %v", err)
		}
		if pe.Code != pgCode[k] {
			t.Errorf("SQLSTATE %s, want %s (%s): %v", pe.Code, pgCode[k], kindName[k], err)
		}
		if pgConstraint != "" && pe.ConstraintName != pgConstraint {
			t.Errorf("constraint %q violated, want %q: %v", pe.ConstraintName, pgConstraint, err)
		}
	case dialect.SQLite:
		var se *sqlite.Error
		if !errors.As(err, &se) {
			t.Fatalf("error is not from SQLite: %v", err)
		}
		if se.Code() != sqliteCode[k] {
			t.Errorf("SQLite code %d, want %d (%s): %v", se.Code(), sqliteCode[k], kindName[k], err)
		}
		if sqliteDetail != "" && !strings.Contains(se.Error(), sqliteDetail) {
			t.Errorf("error %q does not mention %q", se.Error(), sqliteDetail)
		}
	}
}

// refusedByEnt is refused for a write made through ent, which must also
// report it as a constraint error (what callers test for).
func refusedByEnt(t *testing.T, db *store.DB, err error, k kind, pgConstraint, sqliteDetail string) {
	t.Helper()
	if err != nil && !ent.IsConstraintError(err) {
		t.Errorf("ent.IsConstraintError(%v) = false", err)
	}
	refused(t, db, err, k, pgConstraint, sqliteDetail)
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("valid write refused: %v", err)
	}
}

// Fixtures.

func newOrg(t *testing.T, c *ent.Client, slug string) *ent.Organization {
	t.Helper()
	o, err := c.Organization.Create().SetName(slug).SetSlug(slug).Save(allow())
	ok(t, err)
	return o
}

func userCreate(c *ent.Client, org *ent.Organization, email string) *ent.UserCreate {
	return c.User.Create().SetOrganizationID(org.ID).SetEmail(email).SetStatus(user.StatusActive)
}

func newUser(t *testing.T, c *ent.Client, org *ent.Organization, email string) *ent.User {
	t.Helper()
	u, err := userCreate(c, org, email).Save(allow())
	ok(t, err)
	return u
}

func newPortalUser(t *testing.T, c *ent.Client, org *ent.Organization, email string) *ent.User {
	t.Helper()
	u, err := userCreate(c, org, email).SetKind(user.KindPortal).Save(allow())
	ok(t, err)
	return u
}

func newClient(t *testing.T, c *ent.Client, org *ent.Organization, name string) *ent.Patient {
	t.Helper()
	p, err := c.Patient.Create().SetOrganizationID(org.ID).SetGivenName(name).SetFamilyName("Test").Save(allow())
	ok(t, err)
	return p
}

func portalAccess(c *ent.Client, org *ent.Organization, u *ent.User, cl *ent.Patient, alert bool) *ent.PortalAccessCreate {
	return c.PortalAccess.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetClientID(cl.ID).
		SetDocuments(true).SetAlertRecipient(alert)
}

// User emails are unique per organization, ignoring case.
func TestConstraintUserEmailUniquePerOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newOrg(t, c, "org-a"), newOrg(t, c, "org-b")
		ok(t, userCreate(c, a, "Ann@x.org").Exec(allow()))

		err := userCreate(c, a, "ann@X.org").Exec(allow())
		refusedByEnt(t, db, err, unique, "user_organization_id_email_normalized", "users.organization_id, users.email_normalized")
		err = userCreate(c, a, "  ANN@X.ORG ").Exec(allow())
		refusedByEnt(t, db, err, unique, "user_organization_id_email_normalized", "users.email_normalized")

		// The same address in another organization is another person's
		// account there.
		ok(t, userCreate(c, b, "ann@X.org").Exec(allow()))
		// Changing an email onto another user's, in any case, is refused too.
		other := newUser(t, c, a, "bob@x.org")
		err = other.Update().SetEmail("ANN@x.org").Exec(allow())
		refusedByEnt(t, db, err, unique, "user_organization_id_email_normalized", "users.email_normalized")
	})
}

// One portal user per client receives the alerts.
func TestConstraintOneAlertRecipientPerClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := newOrg(t, c, "org-a")
		liam, ava := newClient(t, c, org, "Liam"), newClient(t, c, org, "Ava")
		mum := newPortalUser(t, c, org, "mum@x.org")
		dad := newPortalUser(t, c, org, "dad@x.org")
		gran := newPortalUser(t, c, org, "gran@x.org")

		first, err := portalAccess(c, org, mum, liam, true).Save(allow())
		ok(t, err)
		err = portalAccess(c, org, dad, liam, true).Exec(allow())
		refusedByEnt(t, db, err, unique, "portal_access_one_alert_recipient", "portal_accesses.client_id")

		// Any number of portal users without the flag.
		dadAccess, err := portalAccess(c, org, dad, liam, false).Save(allow())
		ok(t, err)
		ok(t, portalAccess(c, org, gran, liam, false).Exec(allow()))
		// Another client has its own recipient.
		ok(t, portalAccess(c, org, dad, ava, true).Exec(allow()))

		// Setting the flag on a second access is refused too ...
		refusedByEnt(t, db, dadAccess.Update().SetAlertRecipient(true).Exec(allow()),
			unique, "portal_access_one_alert_recipient", "portal_accesses.client_id")
		// ... and moving it (clear, then set, in one transaction) works.
		tx, err := c.Tx(allow())
		ok(t, err)
		ok(t, tx.PortalAccess.UpdateOneID(first.ID).SetAlertRecipient(false).Exec(allow()))
		ok(t, tx.PortalAccess.UpdateOneID(dadAccess.ID).SetAlertRecipient(true).Exec(allow()))
		ok(t, tx.Commit())

		// A portal user is linked to a client once.
		err = portalAccess(c, org, mum, liam, false).Exec(allow())
		refusedByEnt(t, db, err, unique, "portalaccess_user_id_client_id", "portal_accesses.user_id, portal_accesses.client_id")
	})
}

// An organization has at most one account owner (the "exactly one" half is
// the application's: ownership moves only by transfer).
func TestConstraintOneAccountOwnerPerOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newOrg(t, c, "org-a"), newOrg(t, c, "org-b")
		owner, err := userCreate(c, a, "owner@a.org").SetIsAccountOwner(true).Save(allow())
		ok(t, err)

		err = userCreate(c, a, "second@a.org").SetIsAccountOwner(true).Exec(allow())
		refusedByEnt(t, db, err, unique, "user_one_account_owner", "users.organization_id")

		// Non-owners are unlimited; another organization has its own owner.
		admin := newUser(t, c, a, "admin@a.org")
		ok(t, userCreate(c, b, "owner@b.org").SetIsAccountOwner(true).Exec(allow()))

		// Promoting a second owner is refused; a transfer (clear, then
		// set, in one transaction) works.
		refusedByEnt(t, db, admin.Update().SetIsAccountOwner(true).Exec(allow()), unique, "user_one_account_owner", "users.organization_id")
		tx, err := c.Tx(allow())
		ok(t, err)
		ok(t, tx.User.UpdateOneID(owner.ID).SetIsAccountOwner(false).Exec(allow()))
		ok(t, tx.User.UpdateOneID(admin.ID).SetIsAccountOwner(true).Exec(allow()))
		ok(t, tx.Commit())
	})
}

// References must name existing rows. (On SQLite this needs the
// foreign_keys pragma, which the test DSN and the server's DSN set.)
func TestConstraintForeignKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := newOrg(t, c, "org-a")
		u := newUser(t, c, org, "ann@x.org")
		cl := newClient(t, c, org, "Liam")
		link := func(userID, clientID pulid.ID) error {
			return c.ClientAccess.Create().SetOrganizationID(org.ID).SetUserID(userID).SetClientID(clientID).Exec(allow())
		}
		// The database itself, below ent's hooks (which refuse these
		// earlier, see TestReferencesStayInTheOrganization).
		rawLink := func(userID, clientID pulid.ID) error {
			q := "INSERT INTO client_accesses (id, organization_id, user_id, client_id, granted_at) VALUES (?, ?, ?, ?, ?)"
			if db.Dialect == dialect.Postgres {
				q = "INSERT INTO client_accesses (id, organization_id, user_id, client_id, granted_at) VALUES ($1, $2, $3, $4, $5)"
			}
			_, err := db.SQL.ExecContext(context.Background(), q, pulid.New("cla"), org.ID, userID, clientID, time.Now().UTC())
			return err
		}

		refused(t, db, rawLink(u.ID, pulid.New("cli")), foreignKey, "client_accesses_patients_client", "FOREIGN KEY")
		refused(t, db, rawLink(pulid.New("usr"), cl.ID), foreignKey, "client_accesses_users_user", "FOREIGN KEY")
		ok(t, link(u.ID, cl.ID))

		// Rows of a non-existent organization.
		err := c.User.Create().SetOrganizationID(pulid.New("org")).SetEmail("x@x.org").Exec(allow())
		refusedByEnt(t, db, err, foreignKey, "users_organizations_organization", "FOREIGN KEY")
		// Deleting a client that is still linked is refused.
		refusedByEnt(t, db, c.Patient.DeleteOneID(cl.ID).Exec(allow()), foreignKey, "client_accesses_patients_client", "FOREIGN KEY")

		if db.Dialect == dialect.SQLite {
			var on int
			ok(t, db.SQL.QueryRowContext(context.Background(), "PRAGMA foreign_keys").Scan(&on))
			if on != 1 {
				t.Errorf("PRAGMA foreign_keys = %d on the store's connections", on)
			}
		}
	})
}

// Required columns are NOT NULL in the database, not only in ent's
// validators: a raw INSERT without one fails.
func TestConstraintNotNull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ph := func(n int) string { // placeholders
			if db.Dialect == dialect.Postgres {
				return fmt.Sprintf("$%d", n)
			}
			return "?"
		}
		now := time.Now().UTC()
		bg := context.Background()
		// organizations.name missing.
		_, err := db.SQL.ExecContext(bg, fmt.Sprintf(
			"INSERT INTO organizations (id, slug, created_at, updated_at) VALUES (%s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4)),
			string(pulid.New("org")), "no-name", now, now)
		refused(t, db, err, notNull, "", "organizations.name")

		// With every required column (the rest have database defaults) the
		// same insert works, and ent reads the row back.
		id := pulid.New("org")
		_, err = db.SQL.ExecContext(bg, fmt.Sprintf(
			"INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (%s, %s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4), ph(5)),
			string(id), "Named", "named", now, now)
		ok(t, err)
		o, err := db.Organization.Get(allow(), id)
		ok(t, err)
		if o.Name != "Named" || o.SessionViewEnabled || o.EmergencyAccessMinutes != 60 {
			t.Errorf("raw-inserted organization read back as %+v", o)
		}

		// users.email_normalized missing (the hook that fills it is not
		// there for raw SQL).
		_, err = db.SQL.ExecContext(bg, fmt.Sprintf(
			"INSERT INTO users (id, organization_id, email, created_at, updated_at) VALUES (%s, %s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4), ph(5)),
			string(pulid.New("usr")), string(id), "raw@x.org", now, now)
		refused(t, db, err, notNull, "", "users.email_normalized")

		// client_accesses.client_id missing.
		u := newUser(t, db.Client, o, "ann@x.org")
		_, err = db.SQL.ExecContext(bg, fmt.Sprintf(
			"INSERT INTO client_accesses (id, organization_id, user_id, granted_at) VALUES (%s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4)),
			string(pulid.New("cla")), string(id), string(u.ID), now)
		refused(t, db, err, notNull, "", "client_accesses.client_id")
	})
}

// Role names are unique per organization, and each built-in role exists once
// per organization.
func TestConstraintRoleNameUniquePerOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newOrg(t, c, "org-a"), newOrg(t, c, "org-b")
		mk := func(org *ent.Organization, name string) *ent.RoleCreate {
			return c.Role.Create().SetOrganizationID(org.ID).SetName(name)
		}
		ok(t, mk(a, "Speech therapist").Exec(allow()))
		refusedByEnt(t, db, mk(a, "Speech therapist").Exec(allow()), unique, "role_organization_id_name", "roles.organization_id, roles.name")
		ok(t, mk(b, "Speech therapist").Exec(allow()))
		ok(t, mk(a, "Occupational therapist").Exec(allow()))

		ok(t, mk(a, "Administrator").SetBuiltin(role.BuiltinAdministrator).Exec(allow()))
		refusedByEnt(t, db, mk(a, "Admins (copy)").SetBuiltin(role.BuiltinAdministrator).Exec(allow()),
			unique, "role_organization_id_builtin", "roles.organization_id, roles.builtin")
		ok(t, mk(b, "Administrator").SetBuiltin(role.BuiltinAdministrator).Exec(allow()))
	})
}

// A user is linked to a client (and to a staff profile) once.
func TestConstraintClientAccessUnique(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := newOrg(t, c, "org-a")
		ann, bob := newUser(t, c, org, "ann@x.org"), newUser(t, c, org, "bob@x.org")
		liam, ava := newClient(t, c, org, "Liam"), newClient(t, c, org, "Ava")
		link := func(u *ent.User, cl *ent.Patient) error {
			return c.ClientAccess.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetClientID(cl.ID).Exec(allow())
		}
		ok(t, link(ann, liam))
		refusedByEnt(t, db, link(ann, liam), unique, "clientaccess_user_id_client_id", "client_accesses.user_id, client_accesses.client_id")
		ok(t, link(ann, ava))
		ok(t, link(bob, liam))

		sp, err := c.StaffProfile.Create().SetOrganizationID(org.ID).SetGivenName("Sam").SetFamilyName("O").SetEmail("sam@x.org").Save(allow())
		ok(t, err)
		spLink := func(u *ent.User) error {
			return c.StaffProfileAccess.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetStaffProfileID(sp.ID).Exec(allow())
		}
		ok(t, spLink(ann))
		refusedByEnt(t, db, spLink(ann), unique, "staffprofileaccess_user_id_staff_profile_id", "staff_profile_accesses.user_id, staff_profile_accesses.staff_profile_id")
		ok(t, spLink(bob))
	})
}

// A client has at most one business unit: structurally, a single nullable
// column on the client row (no join table), so "two business units" cannot
// even be written.
func TestConstraintClientHasOneBusinessUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// The live table: SELECT * returns the columns on both dialects.
		rows, err := db.SQL.QueryContext(context.Background(), "SELECT * FROM patients WHERE 1 = 0")
		ok(t, err)
		cols, err := rows.Columns()
		rows.Close()
		ok(t, err)
		var buCols []string
		for _, col := range cols {
			if strings.Contains(col, "business_unit") {
				buCols = append(buCols, col)
			}
		}
		if !slices.Equal(buCols, []string{"business_unit_id"}) {
			t.Errorf("patients' business-unit columns = %v, want exactly [business_unit_id]", buCols)
		}

		// The migrated schema: one foreign key from patients to
		// business_units, and no other table joining the two.
		fks := 0
		for _, fk := range migrate.PatientsTable.ForeignKeys {
			if fk.RefTable == migrate.BusinessUnitsTable {
				fks++
				if len(fk.Columns) != 1 || fk.Columns[0].Name != "business_unit_id" {
					t.Errorf("patients → business_units through %v", fk.Columns)
				}
			}
		}
		if fks != 1 {
			t.Errorf("%d foreign keys patients → business_units, want 1", fks)
		}
		for _, tbl := range migrate.Tables {
			if tbl == migrate.PatientsTable || tbl == migrate.BusinessUnitsTable {
				continue
			}
			var toPatients, toUnits bool
			for _, fk := range tbl.ForeignKeys {
				toPatients = toPatients || fk.RefTable == migrate.PatientsTable
				toUnits = toUnits || fk.RefTable == migrate.BusinessUnitsTable
			}
			if toPatients && toUnits {
				t.Errorf("table %s links clients to business units", tbl.Name)
			}
		}

		// Assigning another unit moves the client.
		c := db.Client
		org := newOrg(t, c, "org-a")
		north, err := c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("North").Save(allow())
		ok(t, err)
		south, err := c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("South").Save(allow())
		ok(t, err)
		cl, err := c.Patient.Create().SetOrganizationID(org.ID).SetGivenName("L").SetFamilyName("C").SetBusinessUnitID(north.ID).Save(allow())
		ok(t, err)
		cl, err = cl.Update().SetBusinessUnitID(south.ID).Save(allow())
		ok(t, err)
		if n, err := north.QueryClients().Count(allow()); err != nil || n != 0 {
			t.Errorf("the old unit still has %d clients (%v)", n, err)
		}
		if n, err := south.QueryClients().Count(allow()); err != nil || n != 1 {
			t.Errorf("the new unit has %d clients (%v)", n, err)
		}

		// Business-unit names are unique per organization.
		err = c.BusinessUnit.Create().SetOrganizationID(org.ID).SetName("North").Exec(allow())
		refusedByEnt(t, db, err, unique, "businessunit_organization_id_name", "business_units.organization_id, business_units.name")
	})
}

// Further single-column and per-organization unique constraints.
func TestConstraintOtherUniques(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newOrg(t, c, "org-a"), newOrg(t, c, "org-b")

		// Organization slugs are unique across the server.
		err := c.Organization.Create().SetName("Again").SetSlug("org-a").Exec(allow())
		refusedByEnt(t, db, err, unique, "organizations_slug_key", "organizations.slug")

		// One password credential per user.
		u := newUser(t, c, a, "ann@x.org")
		cred := func() error {
			return c.PasswordCredential.Create().SetOrganizationID(a.ID).SetUserID(u.ID).SetHash("$argon2id$x").Exec(allow())
		}
		ok(t, cred())
		refusedByEnt(t, db, cred(), unique, "password_credentials_user_id_key", "password_credentials.user_id")

		// A user has at most one staff profile.
		sp := func(email string) error {
			return c.StaffProfile.Create().SetOrganizationID(a.ID).SetGivenName("A").SetFamilyName("B").
				SetEmail(email).SetUserID(u.ID).Exec(allow())
		}
		ok(t, sp("ann@x.org"))
		refusedByEnt(t, db, sp("ann2@x.org"), unique, "staff_profiles_user_id_key", "staff_profiles.user_id")

		// Invoice numbers are unique per organization.
		ca, cb := newClient(t, c, a, "Liam"), newClient(t, c, b, "Ava")
		inv := func(org *ent.Organization, cl *ent.Patient) error {
			return c.Invoice.Create().SetOrganizationID(org.ID).SetClientID(cl.ID).SetNumber("INV-1").SetAmountCents(100).Exec(allow())
		}
		ok(t, inv(a, ca))
		refusedByEnt(t, db, inv(a, ca), unique, "invoice_organization_id_number", "invoices.organization_id, invoices.number")
		ok(t, inv(b, cb))

		// External (SCIM) ids are unique per organization; users without
		// one are unlimited.
		ok(t, userCreate(c, a, "e1@x.org").SetExternalID("00u1").Exec(allow()))
		refusedByEnt(t, db, userCreate(c, a, "e2@x.org").SetExternalID("00u1").Exec(allow()),
			unique, "user_organization_id_external_id", "users.organization_id, users.external_id")
		ok(t, userCreate(c, b, "e1@x.org").SetExternalID("00u1").Exec(allow()))
		ok(t, userCreate(c, a, "n1@x.org").Exec(allow()))
		ok(t, userCreate(c, a, "n2@x.org").Exec(allow()))
	})
}

// Invitations carry roles, business units, clients and staff profiles; the
// same role (or client, unit, profile) must be attachable to any number of
// invitations: the edges are many-to-many join tables, never a column on the
// target.
func TestInvitationEdgesAreManyToMany(t *testing.T) {
	var o2m []string
	for _, tbl := range []struct {
		name string
		cols []string
	}{
		{"roles", columnNames(migrate.RolesTable)},
		{"patients", columnNames(migrate.PatientsTable)},
		{"business_units", columnNames(migrate.BusinessUnitsTable)},
		{"staff_profiles", columnNames(migrate.StaffProfilesTable)},
	} {
		for _, col := range tbl.cols {
			if strings.HasPrefix(col, "invitation_") {
				o2m = append(o2m, tbl.name+"."+col)
			}
		}
	}
	if len(o2m) > 0 {
		t.Fatalf("Invitation edges are one-to-many columns %v: a role or client could belong to one invitation only", o2m)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := newOrg(t, c, "org-a")
		r, err := c.Role.Create().SetOrganizationID(org.ID).SetName("Therapist").Save(allow())
		ok(t, err)
		cl := newClient(t, c, org, "Liam")
		var invs []*ent.Invitation
		for _, email := range []string{"a@x.org", "b@x.org"} {
			inv, err := c.Invitation.Create().SetOrganizationID(org.ID).SetEmail(email).
				SetTokenHash([]byte(email)).SetExpiresAt(time.Now().Add(time.Hour)).
				AddRoleIDs(r.ID).AddClientIDs(cl.ID).Save(allow())
			ok(t, err)
			invs = append(invs, inv)
		}
		for _, inv := range invs {
			if n, err := inv.QueryRoles().Count(allow()); err != nil || n != 1 {
				t.Errorf("invitation %s has %d roles (%v), want 1", inv.Email, n, err)
			}
			if n, err := inv.QueryClients().Count(allow()); err != nil || n != 1 {
				t.Errorf("invitation %s has %d clients (%v), want 1", inv.Email, n, err)
			}
		}
	})
}

func columnNames(t *schema.Table) []string {
	var names []string
	for _, c := range t.Columns {
		names = append(names, c.Name)
	}
	return names
}

// ent refuses, before the database, any reference to a row of another
// organization or to none at all: foreign keys cannot say "same tenant".
func TestReferencesStayInTheOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newOrg(t, c, "org-a"), newOrg(t, c, "org-b")
		ua, ub := newUser(t, c, a, "ann@a.org"), newUser(t, c, b, "bob@b.org")
		ca, cb := newClient(t, c, a, "Liam"), newClient(t, c, b, "Mia")
		buB := c.BusinessUnit.Create().SetOrganizationID(b.ID).SetName("B unit").SaveX(allow())
		roleB := c.Role.Create().SetOrganizationID(b.ID).SetName("B role").SaveX(allow())
		for name, err := range map[string]error{
			"link to another organization's client":   c.ClientAccess.Create().SetOrganizationID(a.ID).SetUserID(ua.ID).SetClientID(cb.ID).Exec(allow()),
			"link for another organization's user":    c.ClientAccess.Create().SetOrganizationID(a.ID).SetUserID(ub.ID).SetClientID(ca.ID).Exec(allow()),
			"link to no client":                       c.ClientAccess.Create().SetOrganizationID(a.ID).SetUserID(ua.ID).SetClientID(pulid.New("cli")).Exec(allow()),
			"client into another organization's unit": c.Patient.UpdateOneID(ca.ID).SetBusinessUnitID(buB.ID).Exec(allow()),
			"user given another organization's role":  c.User.UpdateOneID(ua.ID).AddRoleIDs(roleB.ID).Exec(allow()),
			"user into another organization's unit":   c.User.UpdateOneID(ua.ID).AddBusinessUnitIDs(buB.ID).Exec(allow()),
		} {
			if !errors.Is(err, authz.ErrForeignReference) {
				t.Errorf("%s: err = %v, want ErrForeignReference", name, err)
			}
		}
		// Within one organization all of these work.
		buA := c.BusinessUnit.Create().SetOrganizationID(a.ID).SetName("A unit").SaveX(allow())
		ok(t, c.ClientAccess.Create().SetOrganizationID(a.ID).SetUserID(ua.ID).SetClientID(ca.ID).Exec(allow()))
		ok(t, c.Patient.UpdateOneID(ca.ID).SetBusinessUnitID(buA.ID).Exec(allow()))
		ok(t, c.User.UpdateOneID(ua.ID).AddBusinessUnitIDs(buA.ID).Exec(allow()))
	})
}
