package unavailable_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// sqliteError stands for modernc.org/sqlite's *sqlite.Error, which carries
// an extended result code.
type sqliteError int

func (e sqliteError) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e sqliteError) Code() int     { return int(e) }

func TestIs(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("login: look up user: %w", err) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error is not unavailability", nil, false},
		{"the request's deadline passing is", wrap(context.DeadlineExceeded), true},
		{"a client that went away is not", wrap(context.Canceled), false},
		{"a statement_timeout is", wrap(&pgconn.PgError{Code: "57014"}), true},
		{"a lock_timeout is", wrap(&pgconn.PgError{Code: "55P03"}), true},
		{"a server shutting down is", &pgconn.PgError{Code: "57P01"}, true},
		{"a server starting up is", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections is", &pgconn.PgError{Code: "53300"}, true},
		{"a lost connection is", &pgconn.PgError{Code: "08006"}, true},
		{"a unique violation is not", wrap(&pgconn.PgError{Code: "23505"}), false},
		{"a serialization failure is not", &pgconn.PgError{Code: "40001"}, false},
		{"invalid UTF-8 is not", &pgconn.PgError{Code: "22021"}, false},
		{"an unreachable server is", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), true},
		{"a broken connection is", wrap(driver.ErrBadConn), true},
		{"a closed connection is", sql.ErrConnDone, true},
		{"a connection cut mid-answer is", wrap(io.ErrUnexpectedEOF), true},
		{"SQLite busy past its timeout is", wrap(sqliteError(5)), true},
		{"SQLite busy on a stale snapshot is", sqliteError(5 | 2<<8), true},
		{"SQLite's table lock is", sqliteError(6), true},
		{"an SQLite constraint is not", sqliteError(19 | 8<<8), false},
		{"no rows is not", wrap(sql.ErrNoRows), false},
		{"any other error is not", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unavailable.Is(tt.err); got != tt.want {
				t.Fatalf("Is(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
