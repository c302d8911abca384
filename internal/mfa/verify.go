package mfa

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/recoverycode"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Verification is a passed second factor.
type Verification struct {
	Method string
	// RecoveryCodesRemaining is how many unused recovery codes are left
	// when one was used; -1 otherwise.
	RecoveryCodesRemaining int
}

// Verify checks a second-factor code in the viewer's session: six digits
// from a confirmed authenticator app, or a recovery code. A right code is
// spent (a TOTP step or a recovery code passes once, also when two
// requests race) and marks the session as having passed MFA now, which
// also opens the step-up window. A wrong one is audited and counts toward
// the account's lockout; the refusal does not say which part was wrong.
func (s *Service) Verify(ctx context.Context, code string) (*Verification, error) {
	v, err := s.signedIn(ctx)
	if err != nil {
		return nil, err
	}
	totpCode, isTOTP := normalizeTOTP(code)
	recovery, isRecovery := normalizeRecoveryCode(code)
	if !isTOTP && !isRecovery {
		return nil, errWrongCode()
	}
	acc, err := s.account(ctx, v)
	if err != nil {
		return nil, err
	}
	now := authz.Now(ctx)
	settle, err := s.admit(ctx, acc, now)
	if err != nil {
		return nil, err
	}
	var out *Verification
	if isTOTP {
		out, err = s.verifyTOTP(ctx, v, acc, totpCode)
	} else {
		out, err = s.verifyRecovery(ctx, v, acc, recovery)
	}
	switch {
	case err == errNoMatch:
		settle(Failed)
		method := MethodTOTP
		if isRecovery {
			method = MethodRecoveryCode
		}
		return nil, s.failed(ctx, acc, authz.VerifyOwnFactor, method)
	case err != nil:
		settle(Unchecked)
		return nil, err
	}
	settle(Succeeded)
	return out, nil
}

// errNoMatch: the code matched nothing unspent.
var errNoMatch = fmt.Errorf("mfa: no match")

func (s *Service) verifyTOTP(ctx context.Context, v *viewer.Viewer, acc account, code string) (*Verification, error) {
	now := authz.Now(ctx)
	factors, err := s.client.TOTPFactor.Query().
		Where(totpfactor.UserID(v.UserID), totpfactor.ConfirmedAtNotNil()).
		All(viewer.ForSystem(ctx, v.OrgID))
	if err != nil {
		return nil, fmt.Errorf("mfa: load factors: %w", err)
	}
	for _, f := range factors {
		step, ok, err := s.match(f, v.UserID, code, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		err = s.inTx(ctx, func(tx *ent.Client) error {
			ctx, err := authz.Require(ctx, tx, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID})
			if err != nil {
				return err
			}
			// Spending the step and passing are one statement's
			// outcome: of two racing requests with one code, one
			// updates the row and the other finds the step used.
			n, err := tx.TOTPFactor.Update().
				Where(totpfactor.ID(f.ID), totpfactor.LastUsedStepLT(step)).
				SetLastUsedStep(step).
				Save(ctx)
			if err != nil {
				return fmt.Errorf("mfa: spend code: %w", err)
			}
			if n != 1 {
				return errNoMatch
			}
			if err := s.resetFailures(ctx, tx, acc); err != nil {
				return err
			}
			return Satisfy(ctx, tx, v.SessionID, v.UserID, MethodTOTP, map[string]any{"factor_id": string(f.ID)})
		})
		if err != nil {
			return nil, err
		}
		return &Verification{Method: MethodTOTP, RecoveryCodesRemaining: -1}, nil
	}
	return nil, errNoMatch
}

func (s *Service) verifyRecovery(ctx context.Context, v *viewer.Viewer, acc account, code string) (*Verification, error) {
	now := authz.Now(ctx)
	hash := s.recoveryHash(code)
	out := &Verification{Method: MethodRecoveryCode}
	err := s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID})
		if err != nil {
			return err
		}
		n, err := tx.RecoveryCode.Update().
			Where(recoverycode.UserID(v.UserID), recoverycode.CodeHash(hash), recoverycode.UsedAtIsNil()).
			SetUsedAt(now).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("mfa: spend recovery code: %w", err)
		}
		if n != 1 {
			return errNoMatch
		}
		left, err := tx.RecoveryCode.Query().Where(recoverycode.UserID(v.UserID), recoverycode.UsedAtIsNil()).Count(ctx)
		if err != nil {
			return fmt.Errorf("mfa: count recovery codes: %w", err)
		}
		out.RecoveryCodesRemaining = left
		if err := s.resetFailures(ctx, tx, acc); err != nil {
			return err
		}
		return Satisfy(ctx, tx, v.SessionID, v.UserID, MethodRecoveryCode, map[string]any{"recovery_codes_remaining": left})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// failed records a wrong code in its own transaction (the refusal must not
// roll it back): the account's consecutive failures go up, LockAfter of
// them lock the second factor for LockFor, and both are audited. It
// returns the refusal to show.
func (s *Service) failed(ctx context.Context, acc account, action authz.Action, method string) error {
	v := viewer.FromContext(ctx)
	now := authz.Now(ctx)
	err := s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID})
		if err != nil {
			return err
		}
		u, err := tx.User.UpdateOneID(acc.user.ID).AddMfaFailedAttempts(1).Save(ctx)
		if err != nil {
			return fmt.Errorf("mfa: count failure: %w", err)
		}
		details := map[string]any{"method": method, "failed_attempts": u.MfaFailedAttempts, "during": string(action)}
		if u.MfaFailedAttempts >= LockAfter {
			until := now.Add(LockFor)
			if err := tx.User.UpdateOneID(u.ID).SetMfaLockedUntil(until).SetMfaFailedAttempts(0).Exec(ctx); err != nil {
				return fmt.Errorf("mfa: lock: %w", err)
			}
			details["locked_until"] = until
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: ActionVerifyFailed, TargetType: "User", TargetID: string(acc.user.ID), Details: details,
		})
	})
	if err != nil {
		return err
	}
	return errWrongCode()
}

// resetFailures clears the account's consecutive failures after a right code.
func (s *Service) resetFailures(ctx context.Context, tx *ent.Client, acc account) error {
	if acc.user.MfaFailedAttempts == 0 && acc.user.MfaLockedUntil == nil {
		return nil
	}
	return tx.User.UpdateOneID(acc.user.ID).
		SetMfaFailedAttempts(0).
		ClearMfaLockedUntil().
		Exec(ctx)
}
