package storetest

import (
	"context"
	stdsql "database/sql"
	"errors"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/store"
)

// Recorder is an ent driver that records every statement sent through it,
// inside transactions too, so tests can count queries (N+1 lurks in
// GraphQL) and make one kind of statement fail.
type Recorder struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []string
	fail  string
	hold  string        // statements containing it wait for held to close
	held  chan struct{} // nil when nothing is held
}

// ErrRefused is what a statement refused by FailOn returns.
var ErrRefused = errors.New("storetest: statement refused")

// Record opens a second ent client on db's connections whose statements r
// records.
func Record(db *store.DB) (*ent.Client, *Recorder) {
	r := &Recorder{Driver: entsql.OpenDB(db.Dialect, db.SQL)}
	return ent.NewClient(ent.Driver(r)), r
}

// FailOn makes every later statement containing substr fail with
// ErrRefused ("" turns it off).
func (r *Recorder) FailOn(substr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = substr
}

// HoldOn makes every later statement containing substr wait, before it is
// sent, until release is called: a test can line requests up behind a
// statement in flight.
func (r *Recorder) HoldOn(substr string) (release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	r.hold, r.held = substr, ch
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			if r.held == ch {
				r.hold, r.held = "", nil
			}
			r.mu.Unlock()
			close(ch)
		})
	}
}

// Take returns the statements recorded since the last Take or Reset.
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts = nil
	return out
}

// Statements returns the statements recorded since the last Take or Reset,
// keeping them.
func (r *Recorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stmts...)
}

// Reset forgets the statements recorded so far.
func (r *Recorder) Reset() { r.Take() }

// Count returns how many recorded statements start with verb (SELECT,
// INSERT, …) and mention table.
func (r *Recorder) Count(verb, table string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.stmts {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), verb) && strings.Contains(s, table) {
			n++
		}
	}
	return n
}

func (r *Recorder) note(q string) error {
	r.mu.Lock()
	r.stmts = append(r.stmts, q)
	refused := r.fail != "" && strings.Contains(q, r.fail)
	var held chan struct{}
	if r.hold != "" && strings.Contains(q, r.hold) {
		held = r.held
	}
	r.mu.Unlock()
	if held != nil {
		<-held
	}
	if refused {
		return ErrRefused
	}
	return nil
}

// Exec implements dialect.Driver.
func (r *Recorder) Exec(ctx context.Context, q string, args, v any) error {
	if err := r.note(q); err != nil {
		return err
	}
	return r.Driver.Exec(ctx, q, args, v)
}

// Query implements dialect.Driver.
func (r *Recorder) Query(ctx context.Context, q string, args, v any) error {
	if err := r.note(q); err != nil {
		return err
	}
	return r.Driver.Query(ctx, q, args, v)
}

// Tx implements dialect.Driver.
func (r *Recorder) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := r.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &recordedTx{Tx: tx, r: r}, nil
}

type recordedTx struct {
	dialect.Tx
	r *Recorder
}

func (t *recordedTx) Exec(ctx context.Context, q string, args, v any) error {
	if err := t.r.note(q); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *recordedTx) Query(ctx context.Context, q string, args, v any) error {
	if err := t.r.note(q); err != nil {
		return err
	}
	return t.Tx.Query(ctx, q, args, v)
}

// execContext is what ent's generated ExecContext asks of a driver (the
// audit trail's batched insert uses it).
type execContext interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
}

func forwardExecContext(d any, ctx context.Context, q string, args []any) (stdsql.Result, error) {
	ex, ok := d.(execContext)
	if !ok {
		return nil, errors.New("storetest: the wrapped driver has no ExecContext")
	}
	return ex.ExecContext(ctx, q, args...)
}

// ExecContext records q and runs it.
func (r *Recorder) ExecContext(ctx context.Context, q string, args ...any) (stdsql.Result, error) {
	if err := r.note(q); err != nil {
		return nil, err
	}
	return forwardExecContext(r.Driver, ctx, q, args)
}

// ExecContext records q and runs it in the transaction.
func (t *recordedTx) ExecContext(ctx context.Context, q string, args ...any) (stdsql.Result, error) {
	if err := t.r.note(q); err != nil {
		return nil, err
	}
	return forwardExecContext(t.Tx, ctx, q, args)
}
