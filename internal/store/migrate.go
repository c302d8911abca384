package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/clinicgate/clinicgate/ent/migrate/migrations"
	"github.com/clinicgate/clinicgate/ent/organization"
)

// RevisionsTable is the table in which Migrate records the migration files
// applied to the database.
const RevisionsTable = "atlas_schema_revisions"

// migrationLockKey is the PostgreSQL advisory lock serializing migrations
// across replicas ("clinicgate" in ASCII, truncated to 63 bits).
const migrationLockKey int64 = 0x636c696e69636761

// MigrationDir returns the embedded versioned migration directory of the
// dialect (dialect.Postgres or dialect.SQLite), a fresh copy.
func MigrationDir(d string) (*atlas.MemDir, error) {
	switch d {
	case dialect.Postgres:
		return migrations.Dir(migrations.Postgres)
	case dialect.SQLite:
		return migrations.Dir(migrations.SQLite)
	}
	return nil, fmt.Errorf("store: no migrations for dialect %q", d)
}

// Migrate brings the schema up to date by applying the pending files of the
// embedded versioned migration directory of the dialect
// (ent/migrate/migrations/<dialect>), recording each in the
// atlas_schema_revisions table. It refuses a directory that does not
// match its atlas.sum.
//
// It is idempotent, and replicas starting at once take turns: on
// PostgreSQL behind an advisory lock held for the whole apply, on SQLite
// behind the database's write lock (BEGIN IMMEDIATE), so nothing is
// applied twice. Each file is applied in a transaction of its own (a
// savepoint on SQLite): a file that fails leaves the schema as it was
// before it, and its revision marked with the error, and Migrate's error
// names the file.
//
// A database created by the auto-migration of earlier releases (its
// tables exist, no revision does) is adopted: once its live schema is
// found to be the baseline's, the baseline is recorded as applied without
// running it and the later files are applied.
//
// Waiting for another replica's migration is not bounded by
// Options.StatementTimeout or LockTimeout, and neither are the migration's
// own statements by the statement timeout (building an index on a large
// table may take minutes); the lock timeout still bounds its DDL, so that a
// migration waiting behind live traffic fails rather than stalling every
// query queued behind its lock.
func (db *DB) Migrate(ctx context.Context) error {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return err
	}
	return db.MigrateDir(ctx, dir)
}

// MigrateDir is Migrate with another migration directory of the database's
// dialect (tests, tools).
func (db *DB) MigrateDir(ctx context.Context, dir atlas.Dir) error {
	if err := db.migrateDir(ctx, dir); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func (db *DB) migrateDir(ctx context.Context, dir atlas.Dir) (err error) {
	if err := atlas.Validate(dir); err != nil {
		return fmt.Errorf("the %s migration directory does not match its atlas.sum, refusing to apply it (a file was edited, added or removed by hand; write migrations with make migration NAME=…): %w", db.Dialect, err)
	}
	if db.Dialect == dialect.Postgres {
		// Taken first, released last: after the migration's connection
		// is back in the pool or discarded.
		unlock, err := db.lockPostgres(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	// A connection left in an unknown state (inside a transaction, with
	// foreign keys off, ...) is discarded rather than returned to the pool.
	clean := false
	defer func() {
		if !clean {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}()
	var s *migration
	switch db.Dialect {
	case dialect.Postgres:
		s, err = newPostgresMigration(ctx, conn)
		if err != nil {
			return err
		}
	case dialect.SQLite:
		s, err = newSQLiteMigration(ctx, conn)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown dialect %q", db.Dialect)
	}
	if err := s.run(ctx, dir); err != nil {
		s.abort()
		return err
	}
	if err := s.finish(ctx); err != nil {
		s.abort()
		return err
	}
	clean = true
	return nil
}

// lockPostgres takes the migration advisory lock in a transaction of its
// own, on a connection of its own, released when it ends (even when ctx is
// cancelled mid-migration, which rolls it back). Waiting for it is not
// bounded by the pool's timeouts.
func (db *DB) lockPostgres(ctx context.Context) (unlock func(), err error) {
	lock, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		"SET LOCAL statement_timeout = 0",
		"SET LOCAL lock_timeout = 0",
		"SELECT pg_advisory_xact_lock(" + strconv.FormatInt(migrationLockKey, 10) + ")",
	} {
		if _, err := lock.ExecContext(ctx, q); err != nil {
			lock.Rollback()
			return nil, fmt.Errorf("take lock: %w", err)
		}
	}
	return func() { lock.Rollback() }, nil
}

// migration is one run of Migrate on one connection, under the lock.
type migration struct {
	dialect string
	conn    *sql.Conn
	drv     atlas.Driver
	rrw     *revisions
	// begin, commit and rollback bracket one file.
	begin, commit, rollback []string
	// finish ends the run; abort undoes what is left of it (best effort,
	// the connection is discarded anyway).
	finish func(context.Context) error
	abort  func()
}

func newPostgresMigration(ctx context.Context, conn *sql.Conn) (*migration, error) {
	// The statement timeout does not bound the migration's statements;
	// the connection is discarded on failure, and reset on success.
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = 0"); err != nil {
		return nil, err
	}
	var current string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil {
		return nil, err
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		return nil, err
	}
	return &migration{
		dialect:  dialect.Postgres,
		conn:     conn,
		drv:      drv,
		rrw:      &revisions{conn: conn, dialect: dialect.Postgres, schema: current},
		begin:    []string{"BEGIN"},
		commit:   []string{"COMMIT"},
		rollback: []string{"ROLLBACK"},
		finish: func(ctx context.Context) error {
			_, err := conn.ExecContext(ctx, "RESET statement_timeout")
			return err
		},
		abort: func() {},
	}, nil
}

// newSQLiteMigration takes the database's write lock for the whole run
// (BEGIN IMMEDIATE, retried while another writer holds it), with foreign
// keys off as SQLite asks of schema changes that rebuild tables; they are
// checked before commit.
func newSQLiteMigration(ctx context.Context, conn *sql.Conn) (*migration, error) {
	var fk bool
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
		return nil, err
	}
	for {
		_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		if err == nil {
			break
		}
		if !isBusy(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("take the write lock: %w", err)
		}
		// Another process migrates (or writes) for longer than the
		// busy timeout: wait on.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("take the write lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	drv, err := sqlite.Open(conn)
	if err != nil {
		conn.ExecContext(context.Background(), "ROLLBACK")
		return nil, err
	}
	const sp = "clinicgate_migration_file"
	return &migration{
		dialect:  dialect.SQLite,
		conn:     conn,
		drv:      drv,
		rrw:      &revisions{conn: conn, dialect: dialect.SQLite},
		begin:    []string{"SAVEPOINT " + sp},
		commit:   []string{"RELEASE " + sp},
		rollback: []string{"ROLLBACK TO " + sp, "RELEASE " + sp},
		finish: func(ctx context.Context) error {
			rows, err := conn.QueryContext(ctx, "PRAGMA foreign_key_check")
			if err != nil {
				return err
			}
			violated := rows.Next()
			rows.Close()
			if violated {
				return errors.New("the migration leaves rows violating foreign keys (PRAGMA foreign_key_check)")
			}
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				return err
			}
			if fk {
				_, err = conn.ExecContext(ctx, "PRAGMA foreign_keys = on")
			}
			return err
		},
		abort: func() { conn.ExecContext(context.Background(), "ROLLBACK") },
	}, nil
}

// isBusy reports whether err is SQLite's SQLITE_BUSY.
func isBusy(err error) bool {
	var e *sqlite3.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3lib.SQLITE_BUSY
}

func (m *migration) exec(ctx context.Context, stmts []string) error {
	for _, q := range stmts {
		if _, err := m.conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// run applies the pending files of dir.
func (m *migration) run(ctx context.Context, dir atlas.Dir) error {
	if err := m.rrw.init(ctx); err != nil {
		return fmt.Errorf("create %s: %w", RevisionsTable, err)
	}
	revs, err := m.rrw.ReadRevisions(ctx)
	if err != nil {
		return err
	}
	var opts []atlas.ExecutorOption
	if len(revs) == 0 {
		adopt, err := m.tableExists(ctx, organization.Table)
		if err != nil {
			return err
		}
		if adopt {
			baseline, err := m.checkBaseline(ctx, dir)
			if err != nil {
				return err
			}
			// Before anything is recorded: a failure leaves the database
			// to be adopted again.
			if err := m.catchUpTriggers(ctx, dir, baseline); err != nil {
				return err
			}
			opts = append(opts, atlas.WithBaselineVersion(baseline.Version()))
		}
	}
	ex, err := atlas.NewExecutor(m.drv, dir, m.rrw, opts...)
	if err != nil {
		return err
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, atlas.ErrNoPendingFiles) {
		return nil
	}
	if err != nil {
		var nc *atlas.NotCleanError
		if errors.As(err, &nc) {
			return fmt.Errorf("the database has tables but no migration revisions, and is not a clinicgate database (no %s table): %w", organization.Table, err)
		}
		return err
	}
	for _, f := range pending {
		if err := m.apply(ctx, ex, f); err != nil {
			return err
		}
	}
	return nil
}

// apply applies one file in a transaction (savepoint). When it fails, the
// file's revision records the error with nothing applied: the next Migrate
// runs the whole file again.
func (m *migration) apply(ctx context.Context, ex *atlas.Executor, f atlas.File) error {
	if err := m.exec(ctx, m.begin); err != nil {
		return fmt.Errorf("%s: begin: %w", f.Name(), err)
	}
	err := ex.Execute(ctx, f)
	if err == nil {
		if err := m.exec(ctx, m.commit); err != nil {
			return fmt.Errorf("%s: commit: %w", f.Name(), err)
		}
		return nil
	}
	// Execute's own bookkeeping after a failed statement fails too on
	// PostgreSQL (the transaction is aborted): report the statement.
	var stmtErr *atlas.StmtExecError
	if errors.As(err, &stmtErr) {
		err = stmtErr
	}
	if rerr := m.exec(ctx, m.rollback); rerr != nil {
		return fmt.Errorf("%s: %w (and rolling it back: %v)", f.Name(), err, rerr)
	}
	if werr := m.recordFailure(ctx, f, err, stmtErr); werr != nil {
		return fmt.Errorf("%s: %w (and recording the failure: %v)", f.Name(), err, werr)
	}
	return fmt.Errorf("migration file %s failed, nothing of it applied: %w", f.Name(), err)
}

// recordFailure marks the revision of f as failed, with no statement
// applied, and commits that on SQLite (where the whole run is one
// transaction, now rolled back to before f).
func (m *migration) recordFailure(ctx context.Context, f atlas.File, cause error, stmtErr *atlas.StmtExecError) error {
	total := 0
	if stmts, err := atlas.FileStmts(m.drv, f); err == nil {
		total = len(stmts)
	}
	r := &atlas.Revision{
		Version:     f.Version(),
		Description: f.Desc(),
		Type:        atlas.RevisionTypeExecute,
		Total:       total,
		ExecutedAt:  time.Now(),
		Error:       cause.Error(),
	}
	if stmtErr != nil && stmtErr.Stmt != nil {
		r.ErrorStmt = stmtErr.Stmt.Text
	}
	if sum, err := atlas.NewHashFile([]atlas.File{f}); err == nil && len(sum) == 1 {
		r.Hash = sum[0].H
	}
	if err := m.rrw.WriteRevision(ctx, r); err != nil {
		return err
	}
	if m.dialect == dialect.SQLite {
		if err := m.exec(ctx, []string{"COMMIT"}); err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) tableExists(ctx context.Context, name string) (bool, error) {
	var q string
	switch m.dialect {
	case dialect.Postgres:
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	default:
		q = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	}
	var n int
	if err := m.conn.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// catchUpTriggers runs, on a database adopted at baseline, the files up
// to the baseline that only create functions and triggers: auto-migration
// never creates those, and the inspection that found the baseline does not
// see them, so a trigger file followed by a file that changes tables would
// otherwise be recorded as applied without having run (the audit trail's
// append-only triggers). Files that change data are not run: they were
// written for the schema of their day.
func (m *migration) catchUpTriggers(ctx context.Context, dir atlas.Dir, baseline atlas.File) error {
	files, err := dir.Files()
	if err != nil {
		return err
	}
	var stmts []string
	for _, f := range files {
		if f.Version() > baseline.Version() {
			break
		}
		fs, err := atlas.FileStmts(m.drv, f)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
		if len(fs) > 0 && !slices.ContainsFunc(fs, func(q string) bool { return !createsTrigger(q) }) {
			stmts = append(stmts, fs...)
		}
	}
	if len(stmts) == 0 {
		return nil
	}
	if err := m.exec(ctx, m.begin); err != nil {
		return fmt.Errorf("adopt: begin: %w", err)
	}
	if err := m.exec(ctx, stmts); err != nil {
		return errors.Join(fmt.Errorf("adopt: create the triggers auto-migration did not: %w", err), m.exec(ctx, m.rollback))
	}
	if err := m.exec(ctx, m.commit); err != nil {
		return fmt.Errorf("adopt: commit: %w", err)
	}
	return nil
}

// createsTrigger reports whether the statement q (comments aside) creates
// a function or a trigger.
func createsTrigger(q string) bool {
	var lines []string
	for _, l := range strings.Split(q, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, t)
		}
	}
	head := strings.ToUpper(strings.Join(strings.Fields(strings.Join(lines, " ")), " "))
	for _, p := range []string{"CREATE FUNCTION ", "CREATE OR REPLACE FUNCTION ", "CREATE TRIGGER ", "CREATE OR REPLACE TRIGGER "} {
		if strings.HasPrefix(head, p) {
			return true
		}
	}
	return false
}

// checkBaseline finds the file of dir up to which the live schema of a
// database made by auto-migration is what the directory creates, and
// returns it: the baseline for a database of the release that introduced
// versioned migrations, a later file for one auto-migrated by a build
// that already had more. Later prefixes are tried first; none matching is
// refused with the statements that would bring the database to the
// baseline.
func (m *migration) checkBaseline(ctx context.Context, dir atlas.Dir) (atlas.File, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no baseline migration file")
	}
	prefixes := make([][]string, len(files))
	var all []string
	for i, f := range files {
		// Split as the executor splits (the driver's scanner): a file's
		// own Stmts does not know SQLite's BEGIN ... END trigger bodies.
		stmts, err := atlas.FileStmts(m.drv, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		all = append(all, stmts...)
		prefixes[i] = slices.Clone(all)
	}
	var baselineChanges []atlasschema.Change
	for i := len(files) - 1; i >= 0; i-- {
		changes, err := m.diffWith(ctx, prefixes[i])
		if err != nil {
			return nil, fmt.Errorf("compare the schema with %s: %w", files[i].Name(), err)
		}
		if len(changes) == 0 {
			// Files that change nothing the inspection sees (triggers,
			// data fixes) were not run by auto-migration either: adopt
			// at the earliest of a run of matching prefixes, so that
			// they are applied.
			for i > 0 {
				earlier, err := m.diffWith(ctx, prefixes[i-1])
				if err != nil {
					return nil, fmt.Errorf("compare the schema with %s: %w", files[i-1].Name(), err)
				}
				if len(earlier) != 0 {
					break
				}
				i--
			}
			return files[i], nil
		}
		if i == 0 {
			baselineChanges = changes
		}
	}
	var fix []string
	if plan, err := m.drv.PlanChanges(ctx, "baseline", baselineChanges); err == nil {
		for _, c := range plan.Changes {
			fix = append(fix, c.Cmd)
		}
	}
	return nil, fmt.Errorf("the database was created by auto-migration but its schema is not the one of %s (nor of a later file), so it cannot be adopted; "+
		"bring it there first (%d changes, these statements would do it:\n\t%s\n)", files[0].Name(), len(baselineChanges), strings.Join(fix, ";\n\t"))
}

// diffWith returns the changes that would take the live schema to the one
// stmts create on an empty database.
func (m *migration) diffWith(ctx context.Context, stmts []string) ([]atlasschema.Change, error) {
	live, want, err := m.replayBaseline(ctx, stmts)
	if err != nil {
		return nil, err
	}
	tables := live.Tables[:0:0]
	for _, t := range live.Tables {
		if t.Name != RevisionsTable {
			tables = append(tables, t)
		}
	}
	live.Tables = tables
	return m.drv.SchemaDiff(live, want)
}

// replayBaseline inspects the live schema and the one the statements
// create on an empty scratch schema: a throwaway schema rolled back on
// PostgreSQL, an in-memory database on SQLite.
func (m *migration) replayBaseline(ctx context.Context, stmts []string) (live, want *atlasschema.Schema, err error) {
	switch m.dialect {
	case dialect.Postgres:
		var current string
		if err := m.conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil {
			return nil, nil, err
		}
		if live, err = m.drv.InspectSchema(ctx, current, nil); err != nil {
			return nil, nil, err
		}
		const scratch = "clinicgate_baseline_check"
		if err := m.exec(ctx, []string{"BEGIN", "CREATE SCHEMA " + scratch, "SET LOCAL search_path TO " + scratch}); err != nil {
			m.exec(context.Background(), []string{"ROLLBACK"})
			return nil, nil, err
		}
		defer m.exec(context.Background(), []string{"ROLLBACK"})
		if err := m.exec(ctx, stmts); err != nil {
			return nil, nil, err
		}
		if want, err = m.drv.InspectSchema(ctx, scratch, nil); err != nil {
			return nil, nil, err
		}
		// Compare as if in the same schema.
		want.Name = live.Name
		return live, want, nil
	default:
		if live, err = m.drv.InspectSchema(ctx, "main", nil); err != nil {
			return nil, nil, err
		}
		scratch, err := sql.Open("sqlite3", "file:clinicgate_baseline_check?mode=memory")
		if err != nil {
			return nil, nil, err
		}
		defer scratch.Close()
		scratch.SetMaxOpenConns(1) // one in-memory database
		for _, q := range stmts {
			if _, err := scratch.ExecContext(ctx, q); err != nil {
				return nil, nil, err
			}
		}
		sdrv, err := sqlite.Open(scratch)
		if err != nil {
			return nil, nil, err
		}
		if want, err = sdrv.InspectSchema(ctx, "main", nil); err != nil {
			return nil, nil, err
		}
		return live, want, nil
	}
}
