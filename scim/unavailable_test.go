package scim_test

import (
	"context"
	stdsql "database/sql"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// downDriver refuses, while down holds a substring, every statement
// containing it as a database that cannot be reached does (connection
// refused).
type downDriver struct {
	dialect.Driver
	down *atomic.Value
}

func (d downDriver) refuse(q string) error {
	if s, _ := d.down.Load().(string); s != "" && strings.Contains(q, s) {
		return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return nil
}

func (d downDriver) Exec(ctx context.Context, q string, args, v any) error {
	if err := d.refuse(q); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, q, args, v)
}

func (d downDriver) Query(ctx context.Context, q string, args, v any) error {
	if err := d.refuse(q); err != nil {
		return err
	}
	return d.Driver.Query(ctx, q, args, v)
}

func (d downDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	if s, _ := d.down.Load().(string); s == "*" {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return downTx{Tx: tx, d: d}, nil
}

type downTx struct {
	dialect.Tx
	d downDriver
}

func (t downTx) Exec(ctx context.Context, q string, args, v any) error {
	if err := t.d.refuse(q); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, q, args, v)
}

func (t downTx) Query(ctx context.Context, q string, args, v any) error {
	if err := t.d.refuse(q); err != nil {
		return err
	}
	return t.Tx.Query(ctx, q, args, v)
}

// A database that cannot be reached is a 503 with Retry-After and a SCIM
// error body, never a 500: at the token check, on reads and on writes
// (where the library would answer 500 itself).
func TestAnUnreachableDatabaseIsA503WithRetryAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		down := &atomic.Value{}
		c := ent.NewClient(ent.Driver(downDriver{Driver: entsql.OpenDB(db.Dialect, db.SQL), down: down}))
		_, newIdP := server(t, c)
		p := newIdP("down-org")
		r := p.do("POST", "/Users", coreUser(map[string]any{"userName": "down@clinic.example"}))
		expect(t, "create", r, 201, "")
		id := r.body["id"].(string)

		for what, call := range map[string]struct {
			down string
			do   func() reply
		}{
			"token check": {"scim_tokens", func() reply { return p.do("GET", "/Users/"+id, nil) }},
			"get":         {`"users"`, func() reply { return p.do("GET", "/Users/"+id, nil) }},
			"list":        {`"users"`, func() reply { return p.do("GET", q(`userName eq "down@clinic.example"`), nil) }},
			"patch": {`"users"`, func() reply {
				return p.do("PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "x"}))
			}},
			"group create": {"scim_group_mappings", func() reply {
				return p.do("POST", "/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Down"})
			}},
			"no transaction": {"*", func() reply { return p.do("DELETE", "/Users/"+id, nil) }},
		} {
			d := call.down
			if db.Dialect == dialect.SQLite {
				d = strings.ReplaceAll(d, `"`, "`")
			}
			down.Store(d)
			r := call.do()
			down.Store("")
			expect(t, what, r, 503, "")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", what)
			}
		}
		expect(t, "back up", p.do("GET", "/Users/"+id, nil), 200, "")
	})
}

// ExecContext is what ent's generated ExecContext asks of a driver (the
// audit trail's batched insert).
func (d downDriver) ExecContext(ctx context.Context, q string, args ...any) (stdsql.Result, error) {
	if err := d.refuse(q); err != nil {
		return nil, err
	}
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, q, args...)
}

func (t downTx) ExecContext(ctx context.Context, q string, args ...any) (stdsql.Result, error) {
	if err := t.d.refuse(q); err != nil {
		return nil, err
	}
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, q, args...)
}
