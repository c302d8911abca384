package graph

import (
	"context"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Translations between the MFA GraphQL types and internal/mfa.

func enrolmentPayload(e *mfa.Enrolment, err error) (*EnrollAuthenticatorAppPayload, error) {
	if err != nil {
		return nil, err
	}
	return &EnrollAuthenticatorAppPayload{FactorID: e.FactorID, OtpauthURI: e.URI, QRCode: e.QRCode, Secret: e.Secret}, nil
}

func confirmationPayload(c *mfa.Confirmation, err error) (*ConfirmAuthenticatorAppPayload, error) {
	if err != nil {
		return nil, err
	}
	return &ConfirmAuthenticatorAppPayload{AuthenticatorApp: c.Factor, RecoveryCodes: c.RecoveryCodes}, nil
}

func verificationPayload(ctx context.Context) func(*mfa.Verification, error) (*VerifyMfaPayload, error) {
	return func(vr *mfa.Verification, err error) (*VerifyMfaPayload, error) {
		if err != nil {
			return nil, err
		}
		v := viewer.FromContext(ctx)
		now := authz.Now(ctx)
		out := &VerifyMfaPayload{Method: vr.Method, Mfa: &ViewerMfa{Required: v.MFARequired, Enrolled: true, SatisfiedAt: &now}}
		if vr.RecoveryCodesRemaining >= 0 {
			out.RecoveryCodesRemaining = &vr.RecoveryCodesRemaining
		}
		return out, nil
	}
}

func codesPayload(codes []string, err error) (*RegenerateRecoveryCodesPayload, error) {
	if err != nil {
		return nil, err
	}
	return &RegenerateRecoveryCodesPayload{RecoveryCodes: codes}, nil
}

func resetMfaPayload(ctx context.Context, c *ent.Client, userID pulid.ID) func(*mfa.Reset, error) (*ResetUserMfaPayload, error) {
	return func(r *mfa.Reset, err error) (*ResetUserMfaPayload, error) {
		if err != nil {
			return nil, err
		}
		u, err := c.User.Get(ctx, userID)
		if err != nil {
			return nil, err
		}
		return &ResetUserMfaPayload{User: u, FactorsRemoved: r.Factors, SessionsEnded: r.SessionsEnded}, nil
	}
}

func removedPayload(id pulid.ID, err error) (*RemoveAuthenticatorAppPayload, error) {
	if err != nil {
		return nil, err
	}
	return &RemoveAuthenticatorAppPayload{RemovedID: id}, nil
}

// authenticatorApps lists the viewer's confirmed apps (their own rows).
func authenticatorApps(ctx context.Context, c *ent.Client) ([]*ent.TOTPFactor, error) {
	v := viewer.FromContext(ctx)
	return c.TOTPFactor.Query().
		Where(totpfactor.UserID(v.UserID), totpfactor.ConfirmedAtNotNil()).
		Order(ent.Asc(totpfactor.FieldCreatedAt)).
		All(ctx)
}

// nextStep is what the session must do about MFA.
func nextStep(m *ViewerMfa) MFAStep {
	switch {
	case !m.Required || m.SatisfiedAt != nil:
		return MFAStepNone
	case m.Enrolled:
		return MFAStepVerify
	}
	return MFAStepEnrol
}

// stepUpValidUntil is the end of the step-up window, if one is open.
func stepUpValidUntil(ctx context.Context, m *ViewerMfa) *time.Time {
	if m.SatisfiedAt == nil {
		return nil
	}
	until := m.SatisfiedAt.Add(authz.StepUpWindow)
	if !until.After(authz.Now(ctx)) {
		return nil
	}
	return &until
}
