package schema

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent"

	"github.com/clinicgate/clinicgate/auth/session"
	gen "github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/hook"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
)

// maxUsersPerStatusChange bounds how many users one bulk update may take
// out of ACTIVE: the update is confined to their ids, which must fit in
// one statement's bind parameters on both dialects.
const maxUsersPerStatusChange = 10000

// ErrTooManyUsers refuses a bulk status change over maxUsersPerStatusChange
// users.
var ErrTooManyUsers = errors.New("a status change may take at most 10000 users out of ACTIVE at once; change them in batches")

// revokeSessionsOnDeactivation ends every session of the users a mutation
// takes out of ACTIVE (suspension, deletion, deprovisioning; one user or a
// bulk update), in the mutation's own transaction: the status change and
// the revocation commit together or not at all. Without it a suspended
// user's sessions were only refused while the suspension lasted, and
// reactivating the user brought every one of them back.
//
// A mutation that runs outside a transaction is run again inside one
// opened for it (withMutationTx), so the guarantee does not depend on the
// caller. Hard deletes need nothing: the sessions' foreign key refuses to
// delete a user who has any.
func revokeSessionsOnDeactivation(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		status, ok := m.Status()
		if !ok || status == user.StatusActive {
			return next.Mutate(ctx, m)
		}
		reason := revocationReason(status)
		// The users are those the update will touch: its predicates
		// already hold what the privacy policy added. (On the pass inside
		// a transaction opened for the mutation they are read again.)
		ids, err := m.IDs(privacy.DecisionContext(ctx, privacy.Allow))
		if err != nil {
			return nil, fmt.Errorf("schema: users leaving ACTIVE: %w", err)
		}
		if len(ids) > maxUsersPerStatusChange {
			return nil, ErrTooManyUsers
		}
		if m.Op().Is(ent.OpUpdate) {
			// Exactly the users whose sessions are revoked: a row that
			// came to match the predicates since they were read is left
			// alone rather than suspended with its sessions alive.
			m.Where(user.IDIn(ids...))
		}
		return withMutationTx(ctx, m, func(ctx context.Context, tx *gen.Client) (ent.Value, error) {
			return mutateAndRevoke(ctx, next, m, tx, ids, reason)
		})
	})
}

func mutateAndRevoke(ctx context.Context, next ent.Mutator, m *gen.UserMutation, tx *gen.Client, ids []pulid.ID, reason string) (ent.Value, error) {
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	if _, err := session.RevokeForUsers(ctx, tx, ids, reason); err != nil {
		return nil, err
	}
	return v, nil
}

func revocationReason(s user.Status) string {
	switch s {
	case user.StatusSuspended:
		return session.ReasonUserSuspended
	case user.StatusDeleted:
		return session.ReasonUserDeleted
	}
	return session.ReasonUserDeactivated
}
