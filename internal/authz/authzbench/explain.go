package authzbench

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
)

// Statement is one SQL statement a driver was sent.
type Statement struct {
	Query string
	Args  []any
}

// Recorder collects the statements ent sends under a context made by
// Record.
type Recorder struct {
	mu    sync.Mutex
	Stmts []Statement
}

type recorderKey struct{}

// Record returns ctx under which a CaptureDriver records statements in r.
func Record(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// CaptureDriver wraps an ent driver and records the statements sent under
// a context made by Record; any other use passes straight through.
type CaptureDriver struct{ dialect.Driver }

func (d CaptureDriver) record(ctx context.Context, query string, args any) {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	if r == nil {
		return
	}
	a, _ := args.([]any)
	r.mu.Lock()
	r.Stmts = append(r.Stmts, Statement{Query: query, Args: append([]any(nil), a...)})
	r.mu.Unlock()
}

// Query records and runs a query.
func (d CaptureDriver) Query(ctx context.Context, query string, args, v any) error {
	d.record(ctx, query, args)
	return d.Driver.Query(ctx, query, args, v)
}

// Exec records and runs a statement.
func (d CaptureDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.record(ctx, query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

// Explain runs EXPLAIN (ANALYZE, BUFFERS) of st on PostgreSQL the way the
// application runs it: pgx prepares and caches statements, so after five
// executions PostgreSQL may switch a statement to its generic plan. The
// statement is prepared on one connection, executed six times with its
// arguments, and explained at the seventh execution (plan_cache_mode
// auto): the plan the benchmarks' steady state uses.
func Explain(ctx context.Context, db *sql.DB, st Statement) (string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	lits := make([]string, len(st.Args))
	for i, a := range st.Args {
		if lits[i], err = literal(a); err != nil {
			return "", err
		}
	}
	const name = "authzbench_explain"
	_, _ = conn.ExecContext(ctx, "DEALLOCATE "+name)
	if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+st.Query); err != nil {
		return "", fmt.Errorf("prepare: %w", err)
	}
	defer conn.ExecContext(context.Background(), "DEALLOCATE "+name) //nolint:errcheck // the connection is returned to the pool either way
	exec := "EXECUTE " + name
	if len(lits) > 0 {
		exec += "(" + strings.Join(lits, ", ") + ")"
	}
	for range 6 {
		if _, err := conn.ExecContext(ctx, exec); err != nil {
			return "", fmt.Errorf("execute: %w", err)
		}
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+exec)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}

// literal renders a statement argument as a PostgreSQL literal.
func literal(a any) (string, error) {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	switch v := a.(type) {
	case nil:
		return "NULL", nil
	case time.Time:
		return quote(v.Format(time.RFC3339Nano)) + "::timestamptz", nil
	case []byte:
		return quote(string(v)), nil
	}
	rv := reflect.ValueOf(a)
	switch rv.Kind() {
	case reflect.String:
		return quote(rv.String()), nil
	case reflect.Bool:
		return fmt.Sprint(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return fmt.Sprint(a), nil
	}
	return "", fmt.Errorf("authzbench: no literal for %T", a)
}

// Inline renders st with its arguments in place of the placeholders, for
// reading (PostgreSQL $n placeholders only).
func Inline(st Statement) string {
	q := st.Query
	for i := len(st.Args); i >= 1; i-- {
		l, err := literal(st.Args[i-1])
		if err != nil {
			l = fmt.Sprintf("<%T>", st.Args[i-1])
		}
		q = strings.ReplaceAll(q, fmt.Sprintf("$%d", i), l)
	}
	return q
}
