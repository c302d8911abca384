// Package storetest runs store tests against real databases: every test
// that uses Each runs once on SQLite and once on PostgreSQL.
package storetest

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

// Main must be called from TestMain of packages that use this package, so
// that a throwaway PostgreSQL cluster is stopped at the end.
func Main(m *testing.M) { testdb.Main(m) }

// Dialects are the database kinds every store test runs on.
var Dialects = []string{"sqlite", "postgres"}

// Open returns a fresh, migrated database of the given dialect, closed at the
// end of the test.
func Open(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	driver, dsn := "sqlite3", ""
	switch dialect {
	case "sqlite":
		dsn = testdb.SQLiteDSN(tb)
	case "postgres":
		driver, dsn = "pgx", testdb.PostgresDSN(tb)
	default:
		tb.Fatalf("storetest: unknown dialect %q", dialect)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	return db
}

// Each runs f once per dialect, as sub-tests named after the dialect.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			f(t, Open(t, d))
		})
	}
}

// OpenReplicated returns a fresh, migrated database on a PostgreSQL primary
// of the test's own with a hot standby (testdb.StartReplicated) that the
// store reads from, the replication pair, and the database's URL on the
// standby.
func OpenReplicated(tb testing.TB) (db *store.DB, repl *testdb.Replicated, standbyURL string) {
	tb.Helper()
	repl = testdb.StartReplicated(tb)
	primaryURL, standbyURL := repl.CreateDatabase(tb, "cg_replicated")
	ctx := context.Background()
	db, err := store.OpenWith(ctx, "pgx", primaryURL, store.Options{ReadURLs: []string{standbyURL}})
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	return db, repl, standbyURL
}
