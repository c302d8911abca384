package login

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// signOut revokes the request's session. Without one it does nothing.
func (f *flow) signOut(ctx context.Context) error {
	v, cur := viewer.FromContext(ctx), session.SessionFrom(ctx)
	if v == nil || v.Kind != viewer.User || cur == nil {
		return nil
	}
	ctx, err := authz.Require(ctx, f.client, authz.EndOwnSession, authz.Target{Row: cur.ID})
	if err != nil {
		return fmt.Errorf("login: sign out: %w", err)
	}
	err = f.inTx(ctx, func(tx *ent.Client) error {
		revoked, err := f.sessions.Revoke(ctx, tx, cur.ID, session.ReasonSignOut)
		if err != nil || !revoked {
			return err // already ended (a concurrent sign-out): nothing to audit
		}
		return audit.Record(ctx, tx, audit.Event{
			Action:     audit.SignOut,
			TargetType: "session",
			TargetID:   string(cur.ID),
		})
	})
	if err != nil {
		return fmt.Errorf("login: sign out: %w", err)
	}
	return nil
}
