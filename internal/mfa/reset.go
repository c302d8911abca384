package mfa

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/recoverycode"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// ReasonFactorsReset is the revocation reason of the sessions a factor
// reset ends.
const ReasonFactorsReset = "mfa_reset"

// Reset is what ResetUser removed and ended.
type Reset struct {
	Factors       int
	SessionsEnded int
}

// ResetUser removes every second factor and recovery code of userID (a
// user manager's step-up action, for a lost phone or key) and ends the
// user's sessions: at the next sign-in they enrol again if MFA is
// required of them. One transaction, one audit event.
func (s *Service) ResetUser(ctx context.Context, userID pulid.ID) (*Reset, error) {
	if _, err := s.signedIn(ctx); err != nil {
		return nil, err
	}
	out := &Reset{}
	err := s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.ResetUserFactors, authz.Target{User: userID})
		if err != nil {
			return err
		}
		n, err := tx.TOTPFactor.Delete().Where(totpfactor.UserID(userID)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("mfa: reset: %w", err)
		}
		m, err := tx.WebAuthnCredential.Delete().Where(webauthncredential.UserID(userID)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("mfa: reset: %w", err)
		}
		if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx); err != nil {
			return fmt.Errorf("mfa: reset: %w", err)
		}
		out.Factors = n + m
		if out.SessionsEnded, err = session.RevokeForUsers(ctx, tx, []pulid.ID{userID}, ReasonFactorsReset); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: ActionReset, TargetType: "User", TargetID: string(userID),
			Details: map[string]any{"factors_removed": out.Factors, "sessions_ended": out.SessionsEnded},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
