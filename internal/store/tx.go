package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
)

// InTx runs fn in a transaction of root, committing when fn returns nil and
// rolling back otherwise. fn's error is returned as it is, so that typed
// domain errors (apperr) reach the transport unchanged.
func InTx(ctx context.Context, root *ent.Client, fn func(tx *ent.Client) error) error {
	tx, err := root.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
