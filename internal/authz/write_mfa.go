package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The second-factor concern: a user enrols, verifies and removes their own
// factors; a user manager resets another user's.
const (
	// EnrollOwnFactor starts or confirms the viewer's own authenticator
	// app or passkey (Target.User is the viewer), and issues recovery
	// codes with a first factor.
	EnrollOwnFactor Action = "mfa.enroll_own"
	// VerifyOwnFactor verifies a second factor in the viewer's session
	// Target.Row: the code or assertion is checked and spent, a failure
	// counts toward the account's lockout, success marks the session.
	VerifyOwnFactor Action = "mfa.verify_own"
	// ManageOwnFactors renames or removes one of the viewer's own factors
	// or regenerates their recovery codes (Target.User is the viewer).
	ManageOwnFactors Action = "mfa.manage_own"
	// ResetUserFactors removes every factor and recovery code of
	// Target.User and ends their sessions: they enrol again at next sign-in.
	ResetUserFactors Action = "mfa.reset_user"
	// RevokeOwnSession ends one of the viewer's own sessions, Target.Row
	// (any device, the current one included).
	RevokeOwnSession Action = "session.revoke_own"
)

func mfaConcern() concern {
	factors := []write{
		{"TOTPFactor", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
		{"WebAuthnCredential", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
		{"RecoveryCode", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
	}
	challenges := write{"WebAuthnChallenge", ent.OpCreate | ent.OpDelete | ent.OpDeleteOne}
	return concern{
		name:      "mfa",
		enrolment: true,
		// Enrolling is a step-up once the user has a factor: a stolen
		// session must not add the thief's authenticator.
		stepUp: []Action{EnrollOwnFactor, ManageOwnFactors, ResetUserFactors},
		writes: map[Action][]write{
			// Confirming the first factor counts as passing it in the
			// session that enrolled (the session is updated).
			// (and clears the lockout counter, as any right code does).
			EnrollOwnFactor: append(factors, write{"Session", ent.OpUpdateOne}, write{"User", ent.OpUpdateOne}, challenges, audited),
			VerifyOwnFactor: {
				{"TOTPFactor", ent.OpUpdate | ent.OpUpdateOne},
				{"WebAuthnCredential", ent.OpUpdate | ent.OpUpdateOne},
				{"RecoveryCode", ent.OpUpdate | ent.OpUpdateOne},
				{"PasswordCredential", ent.OpUpdate | ent.OpUpdateOne},
				{"Session", ent.OpUpdateOne},
				// the second-factor lockout counter
				{"User", ent.OpUpdateOne},
				challenges,
				audited,
			},
			ManageOwnFactors: append(factors, audited),
			ResetUserFactors: append(factors, write{"Session", ent.OpUpdate | ent.OpUpdateOne}, audited),
			RevokeOwnSession: {{"Session", ent.OpUpdate | ent.OpUpdateOne}, audited},
		},
		decide: decideMFA,
	}
}

func decideMFA(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	var f directoryFacts
	switch a {
	case ResetUserFactors:
		var err error
		if f, err = loadDirectoryFacts(ctx, c, v, a, Target{User: t.User}); err != nil {
			return err
		}
	case RevokeOwnSession:
		ok, err := c.Session.Query().Where(session.ID(t.Row), session.UserID(v.UserID)).Exist(viewer.ForSystem(ctx, v.OrgID))
		if err != nil {
			return fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		f.rowFound = ok
	}
	return decideMFAWrite(v, a, t, f)
}

// decideMFAWrite is the decision from the viewer, the target and the facts
// alone (write_mfa_test.go holds it against a reference).
func decideMFAWrite(v *viewer.Viewer, a Action, t Target, f directoryFacts) error {
	switch a {
	case EnrollOwnFactor, ManageOwnFactors:
		if t.User == "" || t.User != v.UserID {
			return apperr.New(apperr.Forbidden, "second factors are managed by their owner")
		}
		// An MFA-pending session has proven only the password: it may
		// enrol a first factor, never add one beside a factor it has
		// not passed.
		if v.State == viewer.StateMFARequired && (a == ManageOwnFactors || v.MFAEnrolled) {
			return apperr.New(apperr.MFARequired, "verify your second factor first")
		}
		return nil
	case RevokeOwnSession:
		if !f.rowFound {
			return apperr.New(apperr.NotFound, "session not found")
		}
		return nil
	case VerifyOwnFactor:
		if t.Row == "" || t.Row != v.SessionID {
			return apperr.New(apperr.NotFound, "session not found")
		}
		return nil
	case ResetUserFactors:
		if v.Portal || !v.Has(string(UsersManage)) {
			return apperr.New(apperr.Forbidden, "resetting a user's second factors needs the user management privilege")
		}
		if !f.userFound {
			return apperr.New(apperr.NotFound, "user not found")
		}
		if f.self {
			return apperr.New(apperr.Forbidden, "remove your own factors from your security settings instead")
		}
		if f.targetOwner {
			return apperr.New(apperr.Forbidden, "the account owner's factors are reset only by the owner")
		}
		return nil
	}
	return apperr.New(apperr.Forbidden, "not allowed")
}
