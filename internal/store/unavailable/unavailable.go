// Package unavailable tells a database that cannot answer now from one that
// refused a statement: the first is a 503 with Retry-After at every edge, the
// second a 4xx or a 500.
//
// It is a leaf package, not part of internal/store, because the session
// code that must classify store failures is itself imported by the ent
// schema's hooks, which internal/store loads: importing internal/store from
// there would be a cycle. store.IsUnavailable is the same function for
// callers that already import internal/store.
package unavailable

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfter is what a 503 tells the client to wait before trying again:
// long enough for a lock to clear or a pool to drain, short enough that a
// person retrying by hand is not kept waiting.
const RetryAfter = 5 * time.Second

// Is reports whether err means the database could not answer in time or at
// all: the request's deadline passed while waiting for it, a PostgreSQL
// statement_timeout or lock_timeout fired, the server is shutting down,
// starting up, out of connections or unreachable, or SQLite stayed busy past
// its busy timeout.
//
// A cancelled context (the client went away) is not unavailability: there
// is nobody left to answer. Constraint violations, syntax errors and
// serialization failures are not either: those are for the caller to
// handle.
func Is(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// Whatever refused a new connection (a database not accepting
	// connections, SQLSTATE 55000, is a PgError inside the ConnectError),
	// no statement could run: the database is unavailable, not the
	// request wrong.
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return unavailableState(pg.Code)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// modernc.org/sqlite's *sqlite.Error; matched by its method so that
	// this package does not pull in the SQLite engine.
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff { // the primary result code
		case sqliteBusy, sqliteLocked:
			return true
		}
	}
	return false
}

// SQLite primary result codes (https://sqlite.org/rescode.html).
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// unavailableState reports whether a PostgreSQL SQLSTATE says the server
// could not do the work now, rather than that the work was wrong.
func unavailableState(code string) bool {
	switch code {
	case "57014", // query_canceled: statement_timeout (or a cancel request)
		"55P03", // lock_not_available: lock_timeout
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03": // cannot_connect_now: starting up or in recovery
		return true
	}
	// Class 08: connection exception; class 53: insufficient resources
	// (too many connections, out of memory or disk).
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53")
}
