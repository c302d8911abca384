package passkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/webauthnchallenge"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/store"
)

// Verify is FinishVerification in a transaction of its own over root, for
// transports that must keep a refusal's record: when the answer does not
// verify, the change is rolled back and, in a second transaction, the
// session's pending verification challenge is spent (a refused answer is
// not tried again against it) and the refusal is audited
// (auth.mfa_verify_failed, method passkey). Passkeys cannot be guessed, so
// a refusal does not count toward the code lockout.
func (s *Service) Verify(ctx context.Context, root *ent.Client, answer []byte) (*ent.WebAuthnCredential, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var row *ent.WebAuthnCredential
	err = store.InTx(ctx, root, func(tx *ent.Client) error {
		var err error
		row, err = s.FinishVerification(ctx, tx, answer)
		return err
	})
	if err == nil || !errors.Is(err, errRefused) {
		return row, err
	}
	if rerr := store.InTx(ctx, root, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID})
		if err != nil {
			return err
		}
		if _, err := tx.WebAuthnChallenge.Delete().Where(
			webauthnchallenge.SessionID(v.SessionID),
			webauthnchallenge.PurposeEQ(webauthnchallenge.PurposeVerification),
		).Exec(ctx); err != nil {
			return fmt.Errorf("passkey: spend refused challenge: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: mfa.ActionVerifyFailed, TargetType: "User", TargetID: string(v.UserID),
			Details: map[string]any{"method": mfa.MethodPasskey},
		})
	}); rerr != nil {
		return nil, rerr
	}
	return nil, err
}
