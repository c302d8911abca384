package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// revisions is atlas's RevisionReadWriter over the atlas_schema_revisions
// table, on both dialects, through one connection (so that a revision is
// written in the transaction of the file it records).
type revisions struct {
	conn interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}
	dialect string
	schema  string // PostgreSQL: the schema the table is in
}

var _ atlas.RevisionReadWriter = (*revisions)(nil)

const revisionColumns = "version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version"

// init creates the table if it does not exist.
func (r *revisions) init(ctx context.Context) error {
	ts := "timestamptz"
	if r.dialect == dialect.SQLite {
		ts = "datetime"
	}
	_, err := r.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+RevisionsTable+` (
	version varchar(255) NOT NULL PRIMARY KEY,
	description varchar(255) NOT NULL,
	type bigint NOT NULL DEFAULT 2,
	applied bigint NOT NULL DEFAULT 0,
	total bigint NOT NULL DEFAULT 0,
	executed_at `+ts+` NOT NULL,
	execution_time bigint NOT NULL,
	error text NULL,
	error_stmt text NULL,
	hash varchar(255) NOT NULL,
	partial_hashes text NULL,
	operator_version varchar(255) NOT NULL
)`)
	return err
}

// Ident implements atlas.RevisionReadWriter.
func (r *revisions) Ident() *atlas.TableIdent {
	return &atlas.TableIdent{Name: RevisionsTable, Schema: r.schema}
}

// rebind turns ? placeholders into PostgreSQL's $n.
func (r *revisions) rebind(q string) string {
	if r.dialect != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ReadRevisions implements atlas.RevisionReadWriter: all revisions by
// version.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*atlas.Revision, error) {
	return r.read(ctx, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" ORDER BY version")
}

// ReadRevision implements atlas.RevisionReadWriter.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*atlas.Revision, error) {
	revs, err := r.read(ctx, r.rebind("SELECT "+revisionColumns+" FROM "+RevisionsTable+" WHERE version = ?"), version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, atlas.ErrRevisionNotExist
	}
	return revs[0], nil
}

func (r *revisions) read(ctx context.Context, q string, args ...any) ([]*atlas.Revision, error) {
	rows, err := r.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", RevisionsTable, err)
	}
	defer rows.Close()
	var revs []*atlas.Revision
	for rows.Next() {
		var (
			rev            atlas.Revision
			typ            int64
			execTime       int64
			errMsg, errStm sql.NullString
			partial        sql.NullString
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total,
			&rev.ExecutedAt, &execTime, &errMsg, &errStm, &rev.Hash, &partial, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("read %s: %w", RevisionsTable, err)
		}
		rev.Type = atlas.RevisionType(typ)
		rev.ExecutionTime = time.Duration(execTime)
		rev.Error, rev.ErrorStmt = errMsg.String, errStm.String
		if partial.String != "" {
			if err := json.Unmarshal([]byte(partial.String), &rev.PartialHashes); err != nil {
				return nil, fmt.Errorf("read %s: version %s: partial_hashes: %w", RevisionsTable, rev.Version, err)
			}
		}
		revs = append(revs, &rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", RevisionsTable, err)
	}
	return revs, nil
}

// WriteRevision implements atlas.RevisionReadWriter: insert or replace.
func (r *revisions) WriteRevision(ctx context.Context, rev *atlas.Revision) error {
	var partial sql.NullString
	if len(rev.PartialHashes) > 0 {
		b, err := json.Marshal(rev.PartialHashes)
		if err != nil {
			return err
		}
		partial = sql.NullString{String: string(b), Valid: true}
	}
	null := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	set := []string{}
	for _, c := range strings.Split(revisionColumns, ", ")[1:] {
		set = append(set, c+" = excluded."+c)
	}
	q := "INSERT INTO " + RevisionsTable + " (" + revisionColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
		" ON CONFLICT (version) DO UPDATE SET " + strings.Join(set, ", ")
	_, err := r.conn.ExecContext(ctx, r.rebind(q),
		rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total,
		rev.ExecutedAt.UTC(), int64(rev.ExecutionTime), null(rev.Error), null(rev.ErrorStmt),
		rev.Hash, partial, rev.OperatorVersion)
	if err != nil {
		return fmt.Errorf("write %s: %w", RevisionsTable, err)
	}
	return nil
}

// DeleteRevision implements atlas.RevisionReadWriter.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.conn.ExecContext(ctx, r.rebind("DELETE FROM "+RevisionsTable+" WHERE version = ?"), version)
	if err != nil {
		return fmt.Errorf("delete from %s: %w", RevisionsTable, err)
	}
	return nil
}

// Revision is one row of atlas_schema_revisions, for tests and tools.
type Revision = atlas.Revision

// Revisions lists the migration revisions recorded in the database, by
// version; none when the table does not exist yet.
func (db *DB) Revisions(ctx context.Context) ([]*Revision, error) {
	r := &revisions{conn: db.SQL, dialect: db.Dialect}
	revs, err := r.ReadRevisions(ctx)
	if err != nil {
		var exists int
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + RevisionsTable + "'"
		if db.Dialect == dialect.Postgres {
			q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '" + RevisionsTable + "'"
		}
		if qerr := db.SQL.QueryRowContext(ctx, q).Scan(&exists); qerr == nil && exists == 0 {
			return nil, nil
		}
		return nil, err
	}
	return revs, nil
}
