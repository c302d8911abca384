package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Read standbys. With READ_DATABASE_URLS the store keeps a pool per
// PostgreSQL hot standby (streaming replication) beside the primary's, and
// the ent client speaks through a routing driver: a SELECT goes to a
// standby only when its context was given one by [DB.ReadFrom]; every
// other statement, and every transaction, goes to the primary.
//
// ReadFrom gives a read a standby only when the standby proves, in one
// statement, that it has replayed the viewer's fence (viewer.Fence): the
// organization's access sequence as the primary had it when the session
// was looked up (every change that took a read away moves it, in the
// change's own transaction: ent/schema/access_epoch.go), and the session's
// own write sequence (moved after each of its mutations). Replay follows
// commit order, so a standby that shows both values has every revocation
// committed before the request began and every write of the session: a
// revoked user cannot read through a lagging or paused standby (it is
// passed over for the primary), and nobody misses their own change.
// A standby that cannot answer is left alone for a while (standbyBackoff)
// and its reads go to the primary; a SELECT it fails for want of a
// connection is run again on the primary.

// standbyBackoff is how long a standby that failed is passed over; it
// doubles with each failure in a row up to standbyBackoffMax.
const (
	standbyBackoff    = time.Second
	standbyBackoffMax = 30 * time.Second
	// fenceTimeout bounds the fence check: a standby slower than this to
	// say where it is is no help to the read.
	fenceTimeout = 500 * time.Millisecond
)

// ReadStats counts where reads offered to standbys went.
type ReadStats struct {
	Standby       uint64 // answered by a standby that had replayed the fence
	PrimaryBehind uint64 // to the primary: no standby had replayed it
	PrimaryDown   uint64 // to the primary: no standby could answer
	Retried       uint64 // SELECTs a standby failed, run again on the primary
}

type standby struct {
	name      string // host:port, for logs and metrics: never the password
	db        *sql.DB
	drv       *entsql.Driver
	downUntil atomic.Int64 // unix nanoseconds
	failures  atomic.Int32
}

// standbys are the read standbys of a DB.
type standbys struct {
	nodes []*standby
	next  atomic.Uint32
	log   *slog.Logger
	now   func() time.Time

	standby, behind, down, retried atomic.Uint64
}

// standbyKey marks a context whose SELECTs go to a standby.
type standbyKey struct{}

// openStandbys opens a pool per standby URL, like the primary's. A standby
// that is down at start is not an error: it is passed over until it
// answers.
func openStandbys(urls []string, opts Options, log *slog.Logger) (*standbys, error) {
	s := &standbys{log: log, now: time.Now}
	for _, raw := range urls {
		db, err := openPostgres(raw, opts)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("store: read standby: %w", err)
		}
		bound(db, dialect.Postgres, opts)
		s.nodes = append(s.nodes, &standby{name: hostOf(raw), db: db, drv: entsql.OpenDB(dialect.Postgres, db)})
	}
	return s, nil
}

// hostOf is the host:port of a postgres URL, safe to log.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "standby"
}

func (s *standbys) close() error {
	var errs []error
	for _, n := range s.nodes {
		errs = append(errs, n.db.Close())
	}
	return errors.Join(errs...)
}

// fail passes n over for a while after err.
func (s *standbys) fail(n *standby, err error) {
	k := n.failures.Add(1)
	wait := standbyBackoff << min(k-1, 5)
	wait = min(wait, standbyBackoffMax)
	n.downUntil.Store(s.now().Add(wait).UnixNano())
	if k == 1 {
		s.log.Warn("read standby unavailable: its reads go to the primary",
			slog.String("standby", n.name), slog.String("error", err.Error()), slog.Duration("retry_in", wait))
	}
}

func (s *standbys) recovered(n *standby) {
	if n.failures.Swap(0) > 0 {
		n.downUntil.Store(0)
		s.log.Info("read standby answers again", slog.String("standby", n.name))
	}
}

// fenceQuery is true when the standby has replayed the organization's
// access sequence and the session's write sequence; null (no row yet)
// counts as not.
var fenceQuery = "SELECT (SELECT " + organization.FieldAccessSeq + " FROM " + organization.Table +
	" WHERE " + organization.FieldID + " = $1) >= $2 AND (SELECT " + entsession.FieldWriteSeq +
	" FROM " + entsession.Table + " WHERE " + entsession.FieldID + " = $3) >= $4"

// ReadFrom returns ctx with a read standby for its SELECTs when one has
// replayed v's fence, else ctx unchanged (the primary). Only for work that
// writes nothing it must then read back within the same request: writes go
// to the primary either way, and the standby may not have them yet. With
// no standbys, or no session (nothing to fence), it is ctx.
func (db *DB) ReadFrom(ctx context.Context, v *viewer.Viewer) context.Context {
	s := db.standbys
	if s == nil || v == nil || v.SessionID == "" || v.OrgID == "" {
		return ctx
	}
	n := len(s.nodes)
	start := int(s.next.Add(1))
	answered := false
	for i := range n {
		node := s.nodes[(start+i)%n]
		if node.downUntil.Load() > s.now().UnixNano() {
			continue
		}
		ok, err := node.replayed(ctx, v.OrgID, v.Fence, v.SessionID)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx // the request is over: whoever answers, nobody reads
		case err != nil:
			s.fail(node, err)
			continue
		}
		s.recovered(node)
		answered = true
		if ok {
			s.standby.Add(1)
			return context.WithValue(ctx, standbyKey{}, node)
		}
	}
	if answered {
		s.behind.Add(1)
	} else {
		s.down.Add(1)
	}
	return ctx
}

func (n *standby) replayed(ctx context.Context, org pulid.ID, f viewer.Fence, sessionID pulid.ID) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, fenceTimeout)
	defer cancel()
	var ok sql.NullBool
	if err := n.db.QueryRowContext(ctx, fenceQuery, string(org), f.AccessSeq, string(sessionID), f.WriteSeq).Scan(&ok); err != nil {
		return false, err
	}
	return ok.Valid && ok.Bool, nil
}

// ReadStats tells where the reads offered to standbys went; zero without
// standbys.
func (db *DB) ReadStats() ReadStats {
	s := db.standbys
	if s == nil {
		return ReadStats{}
	}
	return ReadStats{Standby: s.standby.Load(), PrimaryBehind: s.behind.Load(),
		PrimaryDown: s.down.Load(), Retried: s.retried.Load()}
}

// Standbys reports how many read standbys the store has.
func (db *DB) Standbys() int {
	if db.standbys == nil {
		return 0
	}
	return len(db.standbys.nodes)
}

// routingDriver is the ent driver of a store with standbys: the primary's,
// except for the SELECTs of a context ReadFrom gave a standby.
type routingDriver struct {
	*entsql.Driver // the primary
	s              *standbys
}

// standbyFor returns the standby ctx was given, when q is a plain read.
// Only statements starting with SELECT: an INSERT … RETURNING goes
// through Query too.
func standbyFor(ctx context.Context, q string) *standby {
	n, _ := ctx.Value(standbyKey{}).(*standby)
	if n == nil || !isSelect(q) {
		return nil
	}
	return n
}

func isSelect(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// Query implements dialect.Driver.
func (d *routingDriver) Query(ctx context.Context, q string, args, v any) error {
	if n := standbyFor(ctx, q); n != nil {
		err := n.drv.Query(ctx, q, args, v)
		if !d.retry(ctx, n, err) {
			return err
		}
	}
	return d.Driver.Query(ctx, q, args, v)
}

// QueryContext is what ent's generated QueryContext asks of the driver.
func (d *routingDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if n := standbyFor(ctx, q); n != nil {
		rows, err := n.drv.QueryContext(ctx, q, args...)
		if !d.retry(ctx, n, err) {
			return rows, err
		}
	}
	return d.Driver.QueryContext(ctx, q, args...)
}

// retry reports whether a SELECT the standby n answered with err is to be
// run again on the primary: when n could not answer (it is then passed
// over) or replay cancelled the statement (a recovery conflict), not when
// the statement itself is at fault or the request is over.
func (d *routingDriver) retry(ctx context.Context, n *standby, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	conflict := isRecoveryConflict(err)
	if !conflict && !unavailable.Is(err) {
		return false
	}
	if !conflict {
		d.s.fail(n, err)
	}
	d.s.retried.Add(1)
	return true
}

// Close closes the primary's and the standbys' pools.
func (d *routingDriver) Close() error {
	return errors.Join(d.Driver.Close(), d.s.close())
}

// isRecoveryConflict reports a statement a hot standby cancelled because
// replay needed what it read (SQLSTATE 40001 with the standby's message,
// or 40P01).
func isRecoveryConflict(err error) bool {
	var pg interface{ SQLState() string }
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.SQLState() {
	case "40001":
		return strings.Contains(err.Error(), "recovery")
	case "40P01":
		return true
	}
	return false
}

// Wrote moves the write sequence of the session v signed in with, after a
// change of its has committed: its next read goes to a standby only once
// the standby has replayed this, hence the change. On PostgreSQL whether or
// not this server has standbys, since another replica of it may; nothing to
// do on SQLite, which has none.
func (db *DB) Wrote(ctx context.Context, v *viewer.Viewer) error {
	if db.Dialect != dialect.Postgres || v == nil || v.SessionID == "" {
		return nil
	}
	// Bookkeeping below the privacy layer, like the audit trail's batched
	// insert: the session is the caller's own, found by the middleware.
	_, err := db.SQL.ExecContext(ctx, "UPDATE "+entsession.Table+" SET "+entsession.FieldWriteSeq+" = "+
		entsession.FieldWriteSeq+" + 1 WHERE "+entsession.FieldID+" = $1", string(v.SessionID))
	if err != nil {
		return fmt.Errorf("store: session write sequence: %w", err)
	}
	return nil
}
