// Package store opens the database (PostgreSQL through pgx, or the embedded
// pure-Go SQLite) under an ent client and brings its schema up to date.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/migrate"
	_ "github.com/clinicgate/clinicgate/ent/runtime" // privacy policies and hooks
)

func init() {
	// ent's SQLite dialect speaks to a driver named "sqlite3"; modernc
	// registers itself as "sqlite".
	if !slices.Contains(sql.Drivers(), "sqlite3") {
		sql.Register("sqlite3", &sqlite.Driver{})
	}
}

// DB is an open database with its ent client.
type DB struct {
	*ent.Client
	SQL     *sql.DB
	Dialect string // dialect.Postgres or dialect.SQLite
}

// Open opens the database. driver is "pgx" (PostgreSQL) or "sqlite3".
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	var d string
	switch driver {
	case "pgx":
		d = dialect.Postgres
	case "sqlite3", "sqlite":
		driver, d = "sqlite3", dialect.SQLite
		// SQLite stores times as text: written in one zone they compare
		// as instants (expiry checks in SQL), read back unambiguously.
		if !strings.Contains(dsn, "_timezone=") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_timezone=UTC"
		}
	default:
		return nil, fmt.Errorf("store: unknown driver %q", driver)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == dialect.Postgres {
		db.SetMaxOpenConns(25)
		db.SetMaxIdleConns(25)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// One writer at a time is all SQLite allows; a small pool of
		// readers is plenty for the embedded default.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	drv := entsql.OpenDB(d, db)
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: d}, nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Close closes the client and its connections.
func (db *DB) Close() error { return db.Client.Close() }

var migrateMu sync.Mutex

// migrationLockKey is the PostgreSQL advisory lock serializing migrations
// across replicas ("clinicgate" in ASCII, truncated to 63 bits).
const migrationLockKey int64 = 0x636c696e69636761

// Migrate brings the schema up to date. It is idempotent, and on PostgreSQL
// replicas starting at once take turns behind an advisory lock, so nothing
// is applied twice. It only adds: columns and indexes are never dropped
// automatically.
func (db *DB) Migrate(ctx context.Context) error {
	// ent's generated table definitions are shared package state that a
	// migration mutates: two migrations in one process must take turns.
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if db.Dialect == dialect.Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return fmt.Errorf("store: migrate: take lock: %w", err)
		}
		defer func() {
			// A fresh context: the lock must be released even when ctx
			// was cancelled mid-migration.
			_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockKey)
		}()
	}
	create := func() error {
		return db.Client.Schema.Create(ctx,
			migrate.WithForeignKeys(true),
			schema.WithDropColumn(false),
			schema.WithDropIndex(false),
		)
	}
	err := create()
	// SQLite has no advisory lock, and ent plans before it takes the
	// database's write lock: a process that lost the race to another one
	// fails on "table already exists". Its apply was rolled back, so a
	// fresh plan sees the migrated schema.
	for i := 0; err != nil && db.Dialect == dialect.SQLite && i < 3 && ctx.Err() == nil; i++ {
		err = create()
	}
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}
