package mfa

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// Methods a session can be verified with, as recorded in audit events.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
	MethodPasskey      = "passkey"
	MethodProvider     = "identity_provider" // a trusted SSO provider's amr/acr
)

// Audit actions of this package (and internal/passkey).
const (
	ActionVerified       = "auth.mfa_verified"
	ActionVerifyFailed   = "auth.mfa_verify_failed"
	ActionEnrolled       = "auth.mfa_enrolled"
	ActionRemoved        = "auth.mfa_factor_removed"
	ActionRecoveryIssued = "auth.mfa_recovery_codes_issued"
	ActionReset          = "auth.mfa_reset"
)

// Satisfy marks session sessionID of user userID as having passed a second
// factor now (the start of the step-up window) and audits it, with tx,
// the transaction that spent the code or assertion. ctx must carry the
// decision for authz.VerifyOwnFactor or authz.EnrollOwnFactor.
func Satisfy(ctx context.Context, tx *ent.Client, sessionID, userID pulid.ID, method string, details map[string]any) error {
	now := authz.Now(ctx)
	if err := tx.Session.UpdateOneID(sessionID).SetMfaSatisfiedAt(now).Exec(ctx); err != nil {
		return fmt.Errorf("mfa: mark session: %w", err)
	}
	d := map[string]any{"method": method}
	for k, v := range details {
		d[k] = v
	}
	return audit.Record(ctx, tx, audit.Event{
		Action:     ActionVerified,
		TargetType: "User",
		TargetID:   string(userID),
		Details:    d,
	})
}
