// Package testdb gives tests real, empty databases: a fresh SQLite file or a
// fresh PostgreSQL database, so that every store test can run on both
// dialects.
//
// PostgreSQL comes from, in this order:
//
//  1. the server named by TEST_DATABASE_URL (any database on it that the user
//     can connect to; the user needs CREATEDB), or
//  2. a throwaway cluster that is initdb'ed and started once per test process
//     from the PostgreSQL server binaries found on PATH or under
//     /usr/lib/postgresql/*/bin (highest version wins). When the test runs
//     as root the cluster runs as the "postgres" OS user.
//
// If neither is available PostgresDSN fails the test: PostgreSQL tests are
// never skipped silently. SKIP_POSTGRES_TESTS=1 is the explicit escape hatch
// that makes PostgresDSN skip instead (CI never sets it).
//
// A test package that calls PostgresDSN must stop the throwaway cluster when
// it ends, by calling Main from its TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvDatabaseURL names an existing PostgreSQL server (pgx URL or
	// keyword/value DSN) on which the fresh test databases are created.
	EnvDatabaseURL = "TEST_DATABASE_URL"
	// EnvSkipPostgres, when "1", makes PostgresDSN skip the test instead of
	// running it on PostgreSQL.
	EnvSkipPostgres = "SKIP_POSTGRES_TESTS"
)

// mainCalled records that the test binary runs under Main, so that a
// throwaway cluster started by PostgresDSN is certain to be stopped.
var mainCalled atomic.Bool

// Main runs the tests of a package and then stops the throwaway PostgreSQL
// cluster, if PostgresDSN started one, before exiting with the tests' exit
// code. Call it from TestMain in every test package that uses PostgresDSN.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to do after the tests: it runs
// them, stops the throwaway cluster and returns the exit code.
func Run(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	stopCluster()
	return code
}

// PostgresDSN returns the pgx URL of a fresh, empty PostgreSQL database with a
// unique name (cg_test_<hex>). The database is dropped, with any connections
// still open to it, when the test and its subtests have finished.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	if os.Getenv(EnvSkipPostgres) == "1" {
		tb.Skipf("skipping PostgreSQL test: %s=1 (unset it to run PostgreSQL tests)", EnvSkipPostgres)
	}
	if !mainCalled.Load() {
		tb.Fatalf("testdb.PostgresDSN: the test package must run under testdb.Main; add\n\tfunc TestMain(m *testing.M) { testdb.Main(m) }")
	}

	admin := os.Getenv(EnvDatabaseURL)
	source := "the server of " + EnvDatabaseURL
	if admin == "" {
		source = "the throwaway cluster"
		var started string
		var err error
		admin, started, err = clusterURL()
		if started != "" {
			tb.Logf("testdb: %s", started)
		}
		if err != nil {
			tb.Fatalf("testdb: no PostgreSQL server for the test: %v\n"+
				"Set %s to a PostgreSQL 13+ server (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), "+
				"or install the PostgreSQL server binaries (e.g. apt-get install postgresql) so a throwaway cluster can be started, "+
				"or set %s=1 to skip PostgreSQL tests locally.", err, EnvDatabaseURL, EnvSkipPostgres)
		}
	}

	name := "cg_test_" + randomHex(8)
	dsn, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("testdb: %s: %v", EnvDatabaseURL, err)
	}
	if err := adminExec(admin, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		tb.Fatalf("testdb: creating database %s on %s: %v", name, source, err)
	}
	tb.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("testdb: dropping database %s on %s: %v", name, source, err)
		}
	})
	return dsn
}

// SQLiteDSN returns a DSN for the modernc.org/sqlite driver (driver name
// "sqlite") naming a fresh database file in tb.TempDir(), with foreign keys
// on, a 5 s busy timeout, WAL journal mode and BEGIN IMMEDIATE transactions.
func SQLiteDSN(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test.db")
	// The "file:" form is an SQLite URI: escape the characters that are
	// special in it.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + path +
		"?_pragma=foreign_keys(1)" +
		"&_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_txlock=immediate"
}

// adminExec runs one statement on a new connection to the admin DSN.
func adminExec(admin, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn with its database name replaced by name.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parsing URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// Keyword/value DSN: a later keyword overrides an earlier one.
	return dsn + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
