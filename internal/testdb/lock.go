package testdb

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// LockTable holds an ACCESS EXCLUSIVE lock on table of the PostgreSQL
// database at dsn, from a connection of its own, until the returned
// function is called (or the test ends): as a stuck migration or an
// administrator's open transaction would.
func LockTable(tb testing.TB, dsn, table string) (release func()) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		tb.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			tx.Rollback(ctx)
			conn.Close(ctx)
		})
	}
	tb.Cleanup(release)
	return release
}
