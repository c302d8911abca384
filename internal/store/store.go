// Package store opens the database (PostgreSQL through pgx, or the embedded
// pure-Go SQLite) under an ent client and brings its schema up to date.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"github.com/clinicgate/clinicgate/ent"
	_ "github.com/clinicgate/clinicgate/ent/runtime" // privacy policies and hooks
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
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

	standbys *standbys // nil without read standbys
}

// Options bound what one statement may cost. The zero Options sets no
// PostgreSQL timeouts (the server's own settings apply): fit for tools and
// benchmarks that load data in long statements, not for a server.
type Options struct {
	// StatementTimeout is PostgreSQL's statement_timeout on every pooled
	// connection: the longest one statement may run, waiting for locks
	// included. Zero leaves the server's setting. Ignored on SQLite.
	StatementTimeout time.Duration
	// LockTimeout is PostgreSQL's lock_timeout: the longest one statement
	// may wait for a lock, so that a transaction holding a table does not
	// stall every request behind it. Zero leaves the server's setting.
	// Ignored on SQLite, whose bound is the DSN's busy_timeout.
	LockTimeout time.Duration
	// MaxOpenConns bounds the pool: 25 on PostgreSQL, 8 on SQLite when
	// zero.
	MaxOpenConns int
	// ReadURLs are PostgreSQL hot standbys of the primary that reads may
	// go to (standby.go); each gets a pool bounded like the primary's.
	// Only with PostgreSQL.
	ReadURLs []string
	// Logger tells when a standby stops or starts answering; nil is
	// slog.Default().
	Logger *slog.Logger
}

// Open opens the database with the zero Options. driver is "pgx"
// (PostgreSQL) or "sqlite3".
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	return OpenWith(ctx, driver, dsn, Options{})
}

// OpenWith opens the database. driver is "pgx" (PostgreSQL) or "sqlite3".
//
// On SQLite, unless the DSN says otherwise, times are kept in UTC, writers
// wait up to 5 s for each other (busy_timeout), and transactions begin
// IMMEDIATE: a transaction that reads and then writes takes the write lock
// when it begins, so concurrent ones queue instead of failing with
// SQLITE_BUSY when the second tries to upgrade its read lock.
func OpenWith(ctx context.Context, driver, dsn string, opts Options) (*DB, error) {
	var (
		d   string
		db  *sql.DB
		err error
	)
	switch driver {
	case "pgx":
		d = dialect.Postgres
		db, err = openPostgres(dsn, opts)
	case "sqlite3", "sqlite":
		d = dialect.SQLite
		db, err = sql.Open("sqlite3", sqliteDSN(dsn))
	default:
		return nil, fmt.Errorf("store: unknown driver %q", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	bound(db, d, opts)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	drv := entsql.OpenDB(d, db)
	if len(opts.ReadURLs) == 0 {
		return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: d}, nil
	}
	if d != dialect.Postgres {
		db.Close()
		return nil, errors.New("store: read standbys need PostgreSQL")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s, err := openStandbys(opts.ReadURLs, opts, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &DB{Client: ent.NewClient(ent.Driver(&routingDriver{Driver: drv, s: s})), SQL: db, Dialect: d, standbys: s}, nil
}

// bound sizes the pool db of dialect d as opts says: MaxOpenConns, else
// 25 on PostgreSQL and 8 on SQLite.
func bound(db *sql.DB, d string, opts Options) {
	maxOpen := opts.MaxOpenConns
	if d == dialect.Postgres {
		if maxOpen <= 0 {
			maxOpen = 25
		}
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else if maxOpen <= 0 {
		// One writer at a time is all SQLite allows; a small pool of
		// readers is plenty for the embedded default.
		maxOpen = 8
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
}

// openPostgres opens a pgx pool whose every connection starts with the
// timeouts of opts, sent as startup parameters: no statement runs on a
// connection that lacks them, and nothing has to be re-set after a
// reconnect.
func openPostgres(dsn string, opts Options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err // pgx redacts the password in its message
	}
	if opts.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = milliseconds(opts.StatementTimeout)
	}
	if opts.LockTimeout > 0 {
		cfg.RuntimeParams["lock_timeout"] = milliseconds(opts.LockTimeout)
	}
	return stdlib.OpenDB(*cfg), nil
}

// milliseconds formats d for a PostgreSQL time setting, whose bare unit is
// the millisecond; below a millisecond it rounds up, since 0 would turn the
// timeout off.
func milliseconds(d time.Duration) string {
	return strconv.FormatInt(int64(max(1, (d+time.Millisecond-1)/time.Millisecond)), 10)
}

// sqliteDSN adds to dsn the settings the store relies on that it does not
// set itself.
func sqliteDSN(dsn string) string {
	add := func(param string) {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + param
	}
	// SQLite stores times as text: written in one zone they compare as
	// instants (expiry checks in SQL), read back unambiguously.
	if !strings.Contains(dsn, "_timezone=") {
		add("_timezone=UTC")
	}
	if !strings.Contains(dsn, "_txlock=") {
		add("_txlock=immediate")
	}
	// Without a busy timeout an immediate transaction that finds another
	// writer fails at once instead of waiting its turn.
	if !strings.Contains(dsn, "busy_timeout") {
		add("_pragma=busy_timeout(5000)")
	}
	return dsn
}

// IsUnavailable reports whether err means the database could not answer in
// time or at all; see [unavailable.Is].
func IsUnavailable(err error) bool { return unavailable.Is(err) }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Ready reports whether the database can serve requests now: it runs a
// real query on the sessions table, which every authenticated request
// reads, so it fails while that table is locked or while the pool has no
// connection to spare before ctx ends, not only when the server is down.
// Give ctx a short deadline.
func (db *DB) Ready(ctx context.Context) error {
	var n int
	q := "SELECT count(*) FROM (SELECT 1 FROM " + entsession.Table + " LIMIT 1) AS ready"
	if err := db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("store: readiness: %w", err)
	}
	return nil
}

// Close closes the client and its connections.
func (db *DB) Close() error { return db.Client.Close() }
