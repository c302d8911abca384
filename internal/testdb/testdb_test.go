package testdb_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// connectAdmin connects to the "postgres" database of the server dsn is on.
func connectAdmin(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect to admin database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func currentDatabase(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestPostgresDSN(t *testing.T) {
	t.Parallel()
	dsn := testdb.PostgresDSN(t)
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		t.Errorf("DSN %q is not a postgres:// URL", dsn)
	}
	ctx := context.Background()
	conn := connect(t, dsn)

	if name := currentDatabase(t, conn); !strings.HasPrefix(name, "cg_test_") {
		t.Errorf("current_database() = %q, want cg_test_*", name)
	}

	var tables int
	if err := conn.QueryRow(ctx,
		"SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
	).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("fresh database has %d user tables, want 0", tables)
	}

	var encoding string
	if err := conn.QueryRow(ctx, "SHOW server_encoding").Scan(&encoding); err != nil {
		t.Fatal(err)
	}
	if encoding != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", encoding)
	}

	if _, err := conn.Exec(ctx, "CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO t (id, name) VALUES (1, 'héllo'), (2, 'world')"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT name FROM t WHERE id = $1", 1).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "héllo" {
		t.Errorf("name = %q, want héllo", name)
	}
}

func TestPostgresDSNUnique(t *testing.T) {
	t.Parallel()
	dsn1, dsn2 := testdb.PostgresDSN(t), testdb.PostgresDSN(t)
	if dsn1 == dsn2 {
		t.Fatalf("two calls returned the same DSN %q", dsn1)
	}
	c1, c2 := connect(t, dsn1), connect(t, dsn2)
	n1, n2 := currentDatabase(t, c1), currentDatabase(t, c2)
	if n1 == n2 {
		t.Fatalf("two calls gave the same database %q", n1)
	}
	ctx := context.Background()
	if _, err := c1.Exec(ctx, "CREATE TABLE only_in_first (id int)"); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := c2.QueryRow(ctx, "SELECT to_regclass('only_in_first') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("table created in the first database is visible in the second")
	}
}

func TestPostgresDSNParallel(t *testing.T) {
	t.Parallel()
	const n = 8
	var mu sync.Mutex
	seen := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < n; i++ {
			t.Run("db", func(t *testing.T) {
				t.Parallel()
				name := currentDatabase(t, connect(t, testdb.PostgresDSN(t)))
				mu.Lock()
				defer mu.Unlock()
				if seen[name] {
					t.Errorf("database %q handed out twice", name)
				}
				seen[name] = true
			})
		}
	})
	if len(seen) != n {
		t.Errorf("got %d distinct databases, want %d", len(seen), n)
	}
}

func TestPostgresDSNDroppedAfterCleanup(t *testing.T) {
	t.Parallel()
	var dsn, name string
	t.Run("sub", func(t *testing.T) {
		var conn *pgx.Conn
		// Registered before PostgresDSN, so it runs after the database is
		// dropped: DROP DATABASE ... WITH (FORCE) must cope with the open
		// connection.
		t.Cleanup(func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		})
		dsn = testdb.PostgresDSN(t)
		var err error
		conn, err = pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		name = currentDatabase(t, conn)
	})
	if dsn == "" || name == "" {
		t.Fatal("sub-test did not get a database")
	}
	admin := connectAdmin(t, dsn)
	var exists bool
	if err := admin.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name,
	).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after the test's cleanup", name)
	}
}

func TestPostgresDSNSkipEscapeHatch(t *testing.T) {
	// Not parallel: t.Setenv.
	var skipped bool
	t.Run("sub", func(t *testing.T) {
		t.Setenv(testdb.EnvSkipPostgres, "1")
		defer func() { skipped = t.Skipped() }()
		testdb.PostgresDSN(t)
		t.Error("PostgresDSN did not skip with SKIP_POSTGRES_TESTS=1")
	})
	if !skipped {
		t.Error("sub-test was not skipped")
	}
}

func TestSQLiteDSN(t *testing.T) {
	t.Parallel()
	dsn := testdb.SQLiteDSN(t)
	if dsn == testdb.SQLiteDSN(t) {
		t.Fatal("two calls returned the same DSN")
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var fk int
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 1 {
		t.Errorf("PRAGMA foreign_keys = %d, want 1", fk)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, want wal", mode)
	}
	var busy int
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if busy != 5000 {
		t.Errorf("PRAGMA busy_timeout = %d, want 5000", busy)
	}

	var tables int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("fresh database has %d schema objects, want 0", tables)
	}

	for _, q := range []string{
		"CREATE TABLE parent (id INTEGER PRIMARY KEY)",
		"CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))",
		"INSERT INTO parent (id) VALUES (1)",
		"INSERT INTO child (id, parent_id) VALUES (1, 1)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec("INSERT INTO child (id, parent_id) VALUES (2, 42)"); err == nil {
		t.Error("insert violating a foreign key succeeded")
	}

	// Transactions start with BEGIN IMMEDIATE: a second writer cannot begin
	// while the first holds the write lock (and gives up after busy_timeout,
	// which the short per-connection timeout below overrides).
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	conn2, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	conn2.SetMaxOpenConns(1)
	if _, err := conn2.Exec("PRAGMA busy_timeout = 10"); err != nil {
		t.Fatal(err)
	}
	tx2, err := conn2.Begin()
	if err == nil {
		tx2.Rollback()
		t.Error("second BEGIN succeeded while the first transaction was open: _txlock=immediate not in effect")
	}
}
