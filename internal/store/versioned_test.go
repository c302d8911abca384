package store_test

// Versioned migrations: what Migrate records, how it adopts a database made
// by the auto-migration of earlier releases, and how it refuses a tampered
// directory or reports a failed file.

import (
	"context"
	"strings"
	"sync"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

// openEmpty opens a fresh, unmigrated database of dialect d ("sqlite" or
// "postgres") and returns it with its driver and DSN.
func openEmpty(t *testing.T, d string) (db *store.DB, driver, dsn string) {
	t.Helper()
	driver, dsn = "sqlite3", ""
	if d == "postgres" {
		driver, dsn = "pgx", testdb.PostgresDSN(t)
	} else {
		dsn = testdb.SQLiteDSN(t)
	}
	db, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, driver, dsn
}

func revisions(t *testing.T, db *store.DB) []*store.Revision {
	t.Helper()
	revs, err := db.Revisions(context.Background())
	if err != nil {
		t.Fatalf("revisions: %v", err)
	}
	return revs
}

// migrationDir returns a copy of the embedded directory of db's dialect
// with extra files added (name → content) and atlas.sum rewritten to match.
func migrationDir(t *testing.T, db *store.DB, extra map[string]string) *atlas.MemDir {
	t.Helper()
	dir, err := store.MigrationDir(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		if err := dir.WriteFile(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	sum, err := atlas.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := atlas.WriteSumFile(dir, sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

func migrationFiles(t *testing.T, d string) []atlas.File {
	t.Helper()
	dir, err := store.MigrationDir(d)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dir.Files()
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files: %v", err)
	}
	return files
}

func baselineVersion(t *testing.T, d string) string { return migrationFiles(t, d)[0].Version() }

func latestVersion(t *testing.T, d string) string {
	files := migrationFiles(t, d)
	return files[len(files)-1].Version()
}

func indexExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
	if db.Dialect == dialect.Postgres {
		q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
	}
	var n int
	if err := db.SQL.QueryRow(q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// A fresh database gets every file applied and recorded.
func TestMigrateRecordsRevisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		revs := revisions(t, db)
		files := migrationFiles(t, db.Dialect)
		if len(revs) != len(files) {
			t.Fatalf("revisions: %d, want one per file (%d)", len(revs), len(files))
		}
		for i, r := range revs {
			if r.Version != files[i].Version() || r.Type != atlas.RevisionTypeExecute || r.Applied != r.Total || r.Total == 0 || r.Error != "" || r.Hash == "" {
				t.Errorf("revision of %s: %+v", files[i].Name(), r)
			}
		}
		if revs[0].Description != "baseline" {
			t.Errorf("first revision %q, want the baseline", revs[0].Description)
		}
	})
}

// A database created by the auto-migration of earlier releases is adopted:
// the baseline is recorded without being run, later files are applied, the
// data is kept and the schema is the one a fresh database gets.
func TestMigrateAdoptsAutoMigratedDatabase(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			want := fingerprint(t, storetest.Open(t, d))

			db, _, _ := openEmpty(t, d)
			if err := db.Client.Schema.Create(ctx, migrate.WithForeignKeys(true)); err != nil {
				t.Fatalf("auto-migrate: %v", err)
			}
			org := newOrg(t, db.Client, "old")
			newUser(t, db.Client, org, "ann@x.org")

			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate an auto-migrated database: %v", err)
			}
			revs := revisions(t, db)
			// Auto-migrated from today's schema: adopted at the latest file
			// that changes the inspected schema, the trigger files up to it
			// run at adoption and the later ones applied (auto-migration
			// creates no trigger: the schema compared below has them).
			if len(revs) == 0 || revs[0].Type != atlas.RevisionTypeBaseline || revs[len(revs)-1].Version != latestVersion(t, db.Dialect) {
				t.Fatalf("revisions after adoption: %+v, want a baseline and the later files up to the latest", revs)
			}
			for _, r := range revs[1:] {
				if r.Type != atlas.RevisionTypeExecute || r.Error != "" {
					t.Errorf("revision after the adopted one: %+v, want applied", r)
				}
			}
			sameSchema(t, "adopted", want, fingerprint(t, db))
			if n, err := db.Organization.Query().Where(organization.Slug("old")).Count(allow()); err != nil || n != 1 {
				t.Errorf("organization lost: %d %v", n, err)
			}
			if n, err := db.User.Query().Count(allow()); err != nil || n != 1 {
				t.Errorf("user lost: %d %v", n, err)
			}

			// A later file is applied on top.
			dir := migrationDir(t, db, map[string]string{
				"20990101000000_later.sql": "CREATE INDEX organization_later ON organizations (name);\n",
			})
			if err := db.MigrateDir(ctx, dir); err != nil {
				t.Fatalf("Migrate with a later file: %v", err)
			}
			if !indexExists(t, db, "organization_later") {
				t.Error("later file not applied")
			}
			if after := revisions(t, db); len(after) != len(revs)+1 || after[len(revs)].Version != "20990101000000" || after[len(revs)].Applied != 1 {
				t.Errorf("revisions: %+v", after)
			}
			newUser(t, db.Client, org, "bob@x.org")
		})
	}
}

// A database auto-migrated by the release before versioned migrations (its
// schema is the baseline's) is adopted at the baseline, and every later
// file is applied to it: the real upgrade path.
func TestMigrateUpgradesADatabaseAtTheBaseline(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			want := fingerprint(t, storetest.Open(t, d))
			db, _, _ := openEmpty(t, d)
			stmts, err := migrationFiles(t, db.Dialect)[0].Stmts()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range stmts {
				if _, err := db.SQL.ExecContext(ctx, q); err != nil {
					t.Fatalf("baseline statement %q: %v", q, err)
				}
			}
			if _, err := db.SQL.ExecContext(ctx, `INSERT INTO organizations (id, created_at, updated_at, name, slug) VALUES ('org_old', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Old', 'old')`); err != nil {
				t.Fatalf("seed the old database: %v", err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate a baseline database: %v", err)
			}
			revs := revisions(t, db)
			files := migrationFiles(t, db.Dialect)
			if len(revs) != len(files) || revs[0].Type != atlas.RevisionTypeBaseline || revs[0].Version != files[0].Version() {
				t.Fatalf("revisions: %+v, want the baseline marked and every later file applied", revs)
			}
			for i, r := range revs[1:] {
				if r.Type != atlas.RevisionTypeExecute || r.Version != files[i+1].Version() || r.Error != "" {
					t.Errorf("revision of %s: %+v", files[i+1].Name(), r)
				}
			}
			sameSchema(t, "upgraded", want, fingerprint(t, db))
			if n, err := db.Organization.Query().Where(organization.Slug("old")).Count(allow()); err != nil || n != 1 {
				t.Errorf("organization lost: %d %v", n, err)
			}
		})
	}
}

// An auto-migrated database whose schema is not the baseline's is not
// adopted: Migrate says what differs and records nothing.
func TestMigrateRefusesToAdoptAnotherSchema(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			db, _, _ := openEmpty(t, d)
			if err := db.Client.Schema.Create(ctx, migrate.WithForeignKeys(true)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL.Exec("DROP INDEX organizations_slug_key"); err != nil {
				t.Fatal(err)
			}
			err := db.Migrate(ctx)
			if err == nil || !strings.Contains(err.Error(), "cannot be adopted") || !strings.Contains(err.Error(), "organizations_slug_key") {
				t.Fatalf("Migrate: %v, want a refusal naming the missing index", err)
			}
			t.Logf("refused: %v", err)
			if revs := revisions(t, db); len(revs) != 0 {
				t.Errorf("revisions recorded: %+v", revs)
			}
		})
	}
}

// A database with foreign tables and no revisions is not touched.
func TestMigrateRefusesAForeignDatabase(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			db, _, _ := openEmpty(t, d)
			if _, err := db.SQL.Exec("CREATE TABLE something_else (id integer PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(context.Background()); err == nil || !strings.Contains(err.Error(), "not clean") {
				t.Fatalf("Migrate: %v, want a refusal", err)
			}
		})
	}
}

// A directory that does not match its atlas.sum is refused before anything
// is applied.
func TestMigrateRefusesATamperedDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		empty, _, _ := openEmpty(t, map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[db.Dialect])
		for what, edit := range map[string]func(*atlas.MemDir) error{
			"edited baseline": func(dir *atlas.MemDir) error {
				files, _ := dir.Files()
				return dir.WriteFile(files[0].Name(), append(files[0].Bytes(), "\nDROP TABLE users;\n"...))
			},
			"added file": func(dir *atlas.MemDir) error {
				return dir.WriteFile("20990101000000_sneaky.sql", []byte("DROP TABLE users;\n"))
			},
		} {
			for _, target := range []*store.DB{db, empty} {
				dir, err := store.MigrationDir(db.Dialect)
				if err != nil {
					t.Fatal(err)
				}
				if err := edit(dir); err != nil {
					t.Fatal(err)
				}
				err = target.MigrateDir(ctx, dir)
				if err == nil || !strings.Contains(err.Error(), "atlas.sum") || !strings.Contains(err.Error(), "checksum mismatch") {
					t.Errorf("%s: Migrate: %v, want a checksum refusal", what, err)
				}
			}
		}
		if revs := revisions(t, empty); len(revs) != 0 {
			t.Errorf("revisions on the empty database: %+v", revs)
		}
		checkTables(t, db)
	})
}

// A file that fails is rolled back whole, its revision records the error,
// Migrate's error names it, and a fixed file is applied by the next Migrate.
func TestMigrateFailedFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const name = "20990101000000_broken.sql"
		dir := migrationDir(t, db, map[string]string{
			name: "CREATE INDEX organization_broken ON organizations (name);\nCREATE INDEX organization_broken2 ON no_such_table (name);\n",
		})
		err := db.MigrateDir(ctx, dir)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("Migrate: %v, want an error naming %s", err, name)
		}
		t.Logf("failed: %v", err)
		if indexExists(t, db, "organization_broken") {
			t.Error("the failed file's first statement was not rolled back")
		}
		revs := revisions(t, db)
		if len(revs) != len(migrationFiles(t, db.Dialect))+1 {
			t.Fatalf("revisions: %+v", revs)
		}
		if r := revs[len(revs)-1]; r.Version != "20990101000000" || r.Applied != 0 || r.Total != 2 || r.Error == "" || !strings.Contains(r.ErrorStmt, "no_such_table") {
			t.Errorf("failed revision: %+v", r)
		}
		// Still failing: same error, nothing else changes.
		if err := db.MigrateDir(ctx, dir); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("Migrate again: %v", err)
		}
		// Fixed.
		fixed := migrationDir(t, db, map[string]string{
			name: "CREATE INDEX organization_broken ON organizations (name);\nCREATE INDEX organization_broken2 ON organizations (slug, name);\n",
		})
		if err := db.MigrateDir(ctx, fixed); err != nil {
			t.Fatalf("Migrate the fixed file: %v", err)
		}
		if !indexExists(t, db, "organization_broken") || !indexExists(t, db, "organization_broken2") {
			t.Error("fixed file not applied")
		}
		if revs := revisions(t, db); revs[len(revs)-1].Applied != 2 || revs[len(revs)-1].Error != "" {
			r := revs[len(revs)-1]
			t.Errorf("revision of the fixed file: %+v", r)
		}
		checkTables(t, db)
		newOrg(t, db.Client, "after")
	})
}

// Two Migrate calls at once on one fresh database: one applies the files,
// the other finds nothing to do; neither fails and each file is recorded
// once.
func TestMigrateConcurrentRecordsOnce(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			first, driver, dsn := openEmpty(t, d)
			second, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, db := range []*store.DB{first, second} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = db.Migrate(ctx)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Migrate %d: %v", i, err)
				}
			}
			if revs := revisions(t, first); len(revs) != len(migrationFiles(t, first.Dialect)) || revs[0].Type != atlas.RevisionTypeExecute {
				t.Errorf("revisions: %+v", revs)
			}
			checkTables(t, first)
		})
	}
}
