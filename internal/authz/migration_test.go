package authz_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/migrate"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

// readPrivilegesMigration is the hand-written data migration that hands
// the new read privileges to the roles of existing organizations.
const readPrivilegesMigration = "20261202000000_role_read_privileges.sql"

// The privileges of the built-in roles of a release before it.
var oldBuiltin = map[role.Builtin][]string{
	role.BuiltinAdministrator: {"org.settings.manage", "users.invite", "users.manage", "clients.access.all", "billing.view", "reports.view", "audit.view"},
	role.BuiltinSupervisor: {"users.invite", "clients.access.business_unit", "clients.create", "clients.edit", "clients.share", "portal.manage",
		"staff_profiles.access.primary_business_unit", "sessions.manage_own", "homework.manage", "documents.manage", "reports.view", "emergency_access.use"},
	role.BuiltinClinician:   {"sessions.manage_own", "homework.manage", "documents.manage", "clients.edit", "emergency_access.use"},
	role.BuiltinTeacher:     {"homework.manage", "documents.manage"},
	role.BuiltinOfficeStaff: {"clients.create", "billing.view", "billing.manage", "reports.view"},
}

// Existing organizations keep reading what they read: every custom role
// gets the three record-kind privileges, each built-in role the ones its
// new definition holds; the office-staff role loses the tab-guarded keys
// (its tabs open them) and the supervisor the organization-settings
// invitation. Applied twice it changes nothing more.
func TestReadPrivilegesMigrationUpgradesExistingRoles(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			driver, dsn := "sqlite3", ""
			if d == "postgres" {
				driver, dsn = "pgx", testdb.PostgresDSN(t)
			} else {
				dsn = testdb.SQLiteDSN(t)
			}
			db, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })

			full, err := store.MigrationDir(db.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			before := dirWithout(t, full, readPrivilegesMigration)
			if err := db.MigrateDir(ctx, before); err != nil {
				t.Fatalf("migrate to the release before: %v", err)
			}

			// The organization is written as that release's schema had
			// it: the current ent client would name columns added since.
			org := &ent.Organization{ID: pulid.New("org")}
			q := "INSERT INTO organizations (id, created_at, updated_at, name, slug) VALUES (?, ?, ?, ?, ?)"
			if d == "postgres" {
				q = "INSERT INTO organizations (id, created_at, updated_at, name, slug) VALUES ($1, $2, $3, $4, $5)"
			}
			now := time.Now().UTC()
			if _, err := db.SQL.ExecContext(ctx, q, string(org.ID), now, now, "Old", "old"); err != nil {
				t.Fatal(err)
			}
			roles := map[string]*ent.Role{}
			for b, privs := range oldBuiltin {
				roles[string(b)] = must(db.Client.Role.Create().SetOrganizationID(org.ID).SetName(string(b)).
					SetBuiltin(b).SetPrivileges(privs).Save(allow())).get(t)
			}
			roles["custom"] = must(db.Client.Role.Create().SetOrganizationID(org.ID).SetName("Front desk").
				SetPrivileges([]string{"clients.create"}).Save(allow())).get(t)
			roles["custom with one"] = must(db.Client.Role.Create().SetOrganizationID(org.ID).SetName("Reader").
				SetPrivileges([]string{"documents.view"}).Save(allow())).get(t)
			roles["custom empty"] = must(db.Client.Role.Create().SetOrganizationID(org.ID).SetName("Nothing").
				SetPrivileges([]string{}).Save(allow())).get(t)

			if err := db.MigrateDir(ctx, full); err != nil {
				t.Fatalf("apply the data migration: %v", err)
			}
			want := map[string][]string{
				"ADMINISTRATOR": append(slices.Clone(oldBuiltin[role.BuiltinAdministrator]), "documents.view", "homework.view", "surveys.view", "schedule.view_all"),
				"SUPERVISOR": {"clients.access.business_unit", "clients.create", "clients.edit", "clients.share", "portal.manage",
					"staff_profiles.access.primary_business_unit", "sessions.manage_own", "homework.manage", "documents.manage", "reports.view", "emergency_access.use",
					"documents.view", "homework.view", "surveys.view"},
				"CLINICIAN":       append(slices.Clone(oldBuiltin[role.BuiltinClinician]), "documents.view", "homework.view", "surveys.view"),
				"TEACHER":         {"homework.manage", "documents.manage", "documents.view", "homework.view"},
				"OFFICE_STAFF":    {"clients.create"},
				"custom":          {"clients.create", "documents.view", "homework.view", "surveys.view"},
				"custom with one": {"documents.view", "homework.view", "surveys.view"},
				"custom empty":    {"documents.view", "homework.view", "surveys.view"},
			}
			check := func(when string) {
				for name, r := range roles {
					got := must(db.Client.Role.Get(allow(), r.ID)).get(t).Privileges
					if !slices.Equal(got, want[name]) {
						t.Errorf("%s: %s holds %v, want %v", when, name, got, want[name])
					}
				}
			}
			check("after the migration")

			// Every built-in role holds at least what its new definition
			// opens among the record kinds.
			for _, br := range authz.BuiltinRoles() {
				r, ok := roles[br.Key]
				if !ok {
					continue
				}
				got := must(db.Client.Role.Get(allow(), r.ID)).get(t).Privileges
				for _, p := range []authz.Privilege{authz.DocumentsView, authz.HomeworkView, authz.SurveysView, authz.ScheduleViewAll} {
					if slices.Contains(br.Privileges, p) != slices.Contains(got, string(p)) {
						t.Errorf("%s: %s is %v in the definition, %v after the migration", br.Key, p, slices.Contains(br.Privileges, p), slices.Contains(got, string(p)))
					}
				}
			}

			// Running the file's statements again adds nothing twice.
			f := fileNamed(t, full, readPrivilegesMigration)
			stmts, err := f.Stmts()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				if _, err := db.SQL.ExecContext(ctx, s); err != nil {
					t.Fatalf("again: %v\n%s", err, s)
				}
			}
			check("applied twice")
		})
	}
}

func fileNamed(t *testing.T, dir atlas.Dir, name string) atlas.File {
	t.Helper()
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name() == name {
			return f
		}
	}
	t.Fatalf("no migration file %s", name)
	return nil
}

// dirWithout copies dir without the file named name and the files after
// it, with atlas.sum rewritten.
func dirWithout(t *testing.T, dir atlas.Dir, name string) *atlas.MemDir {
	t.Helper()
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	out := &atlas.MemDir{}
	var kept []atlas.File
	for _, f := range files {
		if strings.Compare(f.Name(), name) >= 0 {
			continue
		}
		if err := out.WriteFile(f.Name(), f.Bytes()); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, f)
	}
	sum, err := atlas.NewHashFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := atlas.WriteSumFile(out, sum); err != nil {
		t.Fatal(err)
	}
	return out
}
