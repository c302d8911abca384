package schema

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent"

	gen "github.com/clinicgate/clinicgate/ent"
)

// Hooks whose extra writes must commit with the change (the access epoch,
// the sessions of a deactivated user) run them in the mutation's
// transaction. withMutationTx finds that transaction, or opens one and runs
// the whole mutation again inside it, hooks included; on that second pass
// every such hook finds the transaction through ctx, so one mutation gets
// one transaction however many hooks need it.

// hookTxKey marks the context of a mutation that withMutationTx runs again
// in a transaction of its own.
type hookTxKey struct{}

type hookTx struct {
	tx *gen.Tx
	m  ent.Mutation // the mutation it is for, not others run with ctx
}

// txMutation is what every generated mutation provides.
type txMutation interface {
	Client() *gen.Client
	Tx() (*gen.Tx, error)
}

// withMutationTx calls run with the client of m's transaction: the
// caller's, or one opened here (the mutation is then run again inside it
// and committed, and run is called on that pass).
func withMutationTx(ctx context.Context, m ent.Mutation, run func(ctx context.Context, tx *gen.Client) (ent.Value, error)) (ent.Value, error) {
	if own, ok := ctx.Value(hookTxKey{}).(*hookTx); ok && own.m == m {
		return run(ctx, own.tx.Client())
	}
	cm, ok := m.(txMutation)
	if !ok {
		return nil, fmt.Errorf("schema: %s mutation without a client", m.Type())
	}
	if tx, err := cm.Tx(); err == nil {
		return run(ctx, tx.Client())
	}
	tx, err := cm.Client().Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("schema: %s: open a transaction: %w", m.Type(), err)
	}
	v, err := tx.Client().Mutate(context.WithValue(ctx, hookTxKey{}, &hookTx{tx: tx, m: m}), m)
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("schema: %s: commit: %w", m.Type(), err)
	}
	// Later queries from a returned entity go through the caller's client,
	// not the finished transaction.
	switch e := v.(type) {
	case *gen.User:
		v = e.Unwrap()
	case *gen.Role:
		v = e.Unwrap()
	case *gen.BusinessUnit:
		v = e.Unwrap()
	}
	return v, nil
}
