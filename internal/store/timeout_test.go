package store_test

// How the store bounds a slow database: PostgreSQL timeouts on every pooled
// connection, a readiness probe that fails while the database cannot serve,
// SQLite writers that queue instead of failing, and migrations that wait
// for each other however long that takes.

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clinicgate/clinicgate/ent/organization"
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

// openPostgres opens a fresh PostgreSQL database with opts, migrated when
// migrated is true, and returns it with its DSN.
func openPostgres(t *testing.T, opts store.Options, migrated bool) (*store.DB, string) {
	t.Helper()
	dsn := testdb.PostgresDSN(t)
	db, err := store.OpenWith(context.Background(), "pgx", dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if migrated {
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return db, dsn
}

func TestPostgresTimeoutsAreSetOnEveryConnection(t *testing.T) {
	db, _ := openPostgres(t, store.Options{StatementTimeout: 1500 * time.Millisecond, LockTimeout: 700 * time.Millisecond}, false)
	ctx := context.Background()
	// Several connections at once, so that the pool has to open more
	// than one.
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 3 {
		c, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for setting, want := range map[string]string{"statement_timeout": "1500ms", "lock_timeout": "700ms"} {
			var got string
			if err := c.QueryRowContext(ctx, "SHOW "+setting).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: %s = %s, want %s", i, setting, got, want)
			}
		}
	}
}

// With the sessions table locked elsewhere, a query on it gives up at
// whichever bound comes first, with an error the edges answer 503 for, and
// the readiness probe fails; once the lock goes, both recover.
func TestAHeldLockEndsInUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		opts     store.Options
		deadline time.Duration // of the caller's context; 0 for none
		pgCode   string        // what PostgreSQL reports; "" for the caller's deadline
	}{
		{"the lock timeout fires", store.Options{StatementTimeout: time.Minute, LockTimeout: 150 * time.Millisecond}, 0, "55P03"},
		{"the statement timeout fires", store.Options{StatementTimeout: 150 * time.Millisecond}, 0, "57014"},
		{"the caller's deadline passes", store.Options{}, 150 * time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, dsn := openPostgres(t, tt.opts, true)
			release := testdb.LockTable(t, dsn, entsession.Table)

			ctx := allow()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := db.Session.Query().Count(ctx)
			if !store.IsUnavailable(err) {
				t.Fatalf("query on a locked table: %v, want an unavailable error", err)
			}
			var pg *pgconn.PgError
			switch {
			case tt.pgCode == "" && !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("error %v is not the caller's deadline", err)
			case tt.pgCode != "" && (!errors.As(err, &pg) || pg.Code != tt.pgCode):
				t.Errorf("error %v, want SQLSTATE %s", err, tt.pgCode)
			}

			rctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := db.Ready(rctx); !store.IsUnavailable(err) {
				t.Errorf("Ready with the sessions table locked: %v, want an unavailable error", err)
			}

			release()
			if err := db.Ready(context.Background()); err != nil {
				t.Errorf("Ready once the lock is gone: %v", err)
			}
			if _, err := db.Session.Query().Count(allow()); err != nil {
				t.Errorf("query once the lock is gone: %v", err)
			}
		})
	}
}

// A pool whose every connection is busy cannot serve a request: readiness
// says so, within its deadline, on both dialects.
func TestReadyFailsWhileThePoolIsExhausted(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			driver, dsn := "sqlite3", ""
			if d == "postgres" {
				driver, dsn = "pgx", testdb.PostgresDSN(t)
			} else {
				dsn = testdb.SQLiteDSN(t)
			}
			ctx := context.Background()
			db, err := store.OpenWith(ctx, driver, dsn, store.Options{MaxOpenConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Ready(ctx); err != nil {
				t.Fatalf("Ready on an idle pool: %v", err)
			}
			held := make([]interface{ Close() error }, 2)
			for i := range held {
				if held[i], err = db.SQL.Conn(ctx); err != nil {
					t.Fatal(err)
				}
			}
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if err := db.Ready(rctx); !store.IsUnavailable(err) {
				t.Errorf("Ready with every connection taken: %v, want an unavailable error", err)
			}
			held[0].Close()
			if err := db.Ready(ctx); err != nil {
				t.Errorf("Ready with a connection free again: %v", err)
			}
			held[1].Close()
		})
	}
}

// Transactions that read and then write queue for SQLite's write lock
// instead of failing with SQLITE_BUSY when they try to upgrade a read lock
// another writer has made stale, and no update is lost. The database is
// opened with the DSN the server builds from its configuration.
func TestSQLiteTransactionsThatReadThenWriteWaitForEachOther(t *testing.T) {
	const writers = 4
	cfg := config.Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "clinicgate.db")}
	driver, dsn := cfg.DriverDSN()
	ctx := context.Background()
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org := newOrg(t, db.Client, "counter")
	start := org.EmergencyAccessMinutes

	// Each writer reads the counter, waits until every writer has read it
	// (or a grace period has passed: with immediate transactions the
	// others are still waiting to begin), then writes it plus one.
	var read sync.WaitGroup
	read.Add(writers)
	allRead := make(chan struct{})
	go func() { read.Wait(); close(allRead) }()
	errs := make([]error, writers)
	var done sync.WaitGroup
	for i := range writers {
		done.Add(1)
		go func() {
			defer done.Done()
			errs[i] = func() error {
				tx, err := db.Tx(ctx)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				o, err := tx.Organization.Get(allow(), org.ID)
				if err != nil {
					return err
				}
				read.Done()
				select {
				case <-allRead:
				case <-time.After(250 * time.Millisecond):
				}
				if err := tx.Organization.UpdateOne(o).SetEmergencyAccessMinutes(o.EmergencyAccessMinutes + 1).Exec(allow()); err != nil {
					return err
				}
				return tx.Commit()
			}()
		}()
	}
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := db.Organization.Query().Where(organization.ID(org.ID)).Only(allow())
	if err != nil {
		t.Fatal(err)
	}
	if got.EmergencyAccessMinutes != start+writers {
		t.Errorf("counter went from %d to %d in %d increments: updates were lost", start, got.EmergencyAccessMinutes, writers)
	}
}

// A replica waiting for another's migration waits as long as it takes,
// well past the statement and lock timeouts that bound every other
// statement, and then migrates.
func TestMigrateWaitsForAnotherReplicaPastTheTimeouts(t *testing.T) {
	// Long enough for the migration's catalog queries on a busy machine,
	// which it still bounds.
	const timeout = time.Second
	db, dsn := openPostgres(t, store.Options{StatementTimeout: timeout, LockTimeout: timeout}, false)
	ctx := context.Background()
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	key := strconv.FormatInt(store.MigrationLockKey, 10)
	if _, err := other.Exec(ctx, "SELECT pg_advisory_lock("+key+")"); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- db.Migrate(ctx) }()
	// Wait until Migrate is queued behind the lock, then hold it well past
	// the timeouts.
	for {
		var waiting bool
		err := other.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Migrate returned while the lock was held: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(2 * timeout)
	if _, err := other.Exec(ctx, "SELECT pg_advisory_unlock("+key+")"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Migrate after waiting: %v", err)
	}
	checkTables(t, db)
}
