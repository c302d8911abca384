package authz

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
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
)

func mfaConcern() concern {
	factors := []write{
		{"TOTPFactor", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
		{"WebAuthnCredential", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
		{"RecoveryCode", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne},
	}
	challenges := write{"WebAuthnChallenge", ent.OpCreate | ent.OpDelete | ent.OpDeleteOne}
	return concern{
		name:   "mfa",
		stepUp: []Action{ManageOwnFactors, ResetUserFactors},
		writes: map[Action][]write{
			// Confirming the first factor counts as passing it in the
			// session that enrolled (the session is updated).
			// A passkey ceremony's challenge is created by its begin and
			// spent by its finish.
			EnrollOwnFactor: append(factors, write{"Session", ent.OpUpdateOne}, challenges, audited),
			VerifyOwnFactor: {
				{"TOTPFactor", ent.OpUpdate | ent.OpUpdateOne},
				{"WebAuthnCredential", ent.OpUpdate | ent.OpUpdateOne},
				{"RecoveryCode", ent.OpUpdate | ent.OpUpdateOne},
				{"PasswordCredential", ent.OpUpdate | ent.OpUpdateOne},
				{"Session", ent.OpUpdateOne},
				challenges,
				audited,
			},
			ManageOwnFactors: append(factors, audited),
			ResetUserFactors: append(factors, write{"Session", ent.OpUpdate | ent.OpUpdateOne}, audited),
		},
		decide: decideMFA,
	}
}

func decideMFA(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	var f directoryFacts
	if a == ResetUserFactors {
		var err error
		if f, err = loadDirectoryFacts(ctx, c, v, a, Target{User: t.User}); err != nil {
			return err
		}
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
