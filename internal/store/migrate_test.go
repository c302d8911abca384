package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

// fingerprint describes the live schema: tables, columns with types,
// nullability and defaults, indexes and constraints, one line each, sorted.
// Two databases with equal fingerprints have the same schema.
func fingerprint(t *testing.T, db *store.DB) []string {
	t.Helper()
	var queries []string
	switch db.Dialect {
	case dialect.Postgres:
		queries = []string{
			`SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' ||
				coalesce(character_maximum_length::text, '') || ' null=' || is_nullable || ' default=' || coalesce(column_default, '')
			 FROM information_schema.columns WHERE table_schema = current_schema()`,
			`SELECT 'index ' || tablename || '.' || indexname || ' ' || indexdef
			 FROM pg_indexes WHERE schemaname = current_schema()`,
			`SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid)
			 FROM pg_constraint WHERE connamespace = current_schema()::regnamespace`,
		}
	case dialect.SQLite:
		// Columns by name, not by the CREATE TABLE text: a column added
		// by ALTER TABLE comes last, where ent would have put it
		// elsewhere, and the order means nothing.
		queries = []string{
			`SELECT 'column ' || m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p."notnull" ||
				' default=' || coalesce(p.dflt_value, '') || ' pk=' || p.pk
			 FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`,
			`SELECT 'fk ' || m.name || '.' || f."from" || ' ' || f."table" || '.' || f."to" || ' ' || f.on_delete
			 FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`,
			`SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE type <> 'table'`,
		}
	}
	var lines []string
	for _, q := range queries {
		rows, err := db.SQL.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("fingerprint: %v", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatalf("fingerprint: %v", err)
			}
			lines = append(lines, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("fingerprint: %v", err)
		}
		rows.Close()
	}
	slices.Sort(lines)
	return lines
}

func diff(a, b []string) (onlyA, onlyB []string) {
	for _, s := range a {
		if !slices.Contains(b, s) {
			onlyA = append(onlyA, s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			onlyB = append(onlyB, s)
		}
	}
	return onlyA, onlyB
}

func sameSchema(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	missing, extra := diff(want, got)
	t.Errorf("%s: schema differs\nmissing: %s\nextra:   %s", what, strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
}

// checkTables asserts that every table of the generated schema exists with
// exactly its columns.
func checkTables(t *testing.T, db *store.DB) {
	t.Helper()
	for _, tbl := range migrate.Tables {
		rows, err := db.SQL.QueryContext(context.Background(), fmt.Sprintf("SELECT * FROM %q WHERE 1 = 0", tbl.Name))
		if err != nil {
			t.Errorf("table %s: %v", tbl.Name, err)
			continue
		}
		got, err := rows.Columns()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := columnNames(tbl)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("table %s has columns %v, want %v", tbl.Name, got, want)
		}
	}
}

// Migrate on an up-to-date database changes nothing and keeps the data.
func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { // migrated once
		ctx := context.Background()
		before := fingerprint(t, db)
		org := newOrg(t, db.Client, "kept")
		ann := newUser(t, db.Client, org, "ann@x.org")
		liam := newClient(t, db.Client, org, "Liam")

		for i := 0; i < 2; i++ {
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		sameSchema(t, "after migrating again", before, fingerprint(t, db))
		checkTables(t, db)

		if n, err := db.Organization.Query().Where(organization.Slug("kept")).Count(allow()); err != nil || n != 1 {
			t.Errorf("organization lost: %d %v", n, err)
		}
		got, err := db.User.Query().Where(user.ID(ann.ID)).Only(allow())
		if err != nil || got.EmailNormalized != "ann@x.org" {
			t.Errorf("user lost: %v %v", got, err)
		}
		if _, err := db.Patient.Get(allow(), liam.ID); err != nil {
			t.Errorf("client lost: %v", err)
		}
		// The constraints still bite.
		refusedByEnt(t, db, userCreate(db.Client, org, "ANN@x.org").Exec(allow()),
			unique, "user_organization_id_email_normalized", "users.email_normalized")
	})
}

// Replicas starting at once all migrate the same fresh database: every
// Migrate succeeds and the schema is exactly the one a single Migrate makes.
// PostgreSQL serializes them with an advisory lock; on SQLite store.Migrate
// takes a process-wide mutex and re-plans after losing a race.
func TestMigrateConcurrent(t *testing.T) {
	const replicas = 4
	const rounds = 3
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			want := fingerprint(t, storetest.Open(t, d)) // migrated alone
			for round := range rounds {
				driver, dsn := "sqlite3", ""
				if d == "postgres" {
					driver, dsn = "pgx", testdb.PostgresDSN(t)
				} else {
					dsn = testdb.SQLiteDSN(t)
				}
				ctx := context.Background()
				dbs := make([]*store.DB, replicas)
				for i := range dbs {
					db, err := store.Open(ctx, driver, dsn)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { db.Close() })
					dbs[i] = db
				}
				errs := make([]error, replicas)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, db := range dbs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = db.Migrate(ctx)
					}()
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("round %d: replica %d: Migrate: %v", round, i, err)
					}
				}
				if t.Failed() {
					return
				}
				sameSchema(t, fmt.Sprintf("round %d", round), want, fingerprint(t, dbs[0]))
				checkTables(t, dbs[0])
				if err := dbs[1].Migrate(ctx); err != nil {
					t.Errorf("round %d: Migrate afterwards: %v", round, err)
				}
				// Usable from every replica.
				org := newOrg(t, dbs[2].Client, fmt.Sprintf("round-%d", round))
				newUser(t, dbs[3].Client, org, "ann@x.org")
			}
		})
	}
}
