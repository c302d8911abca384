package login

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/textlimit"
)

// refuse records a failed sign-in that touches no credential's failure
// counter (there is no credential, or the password was right or not
// checked) and returns refusal.
func (f *flow) refuse(ctx context.Context, a attempt, reason string, refusal error) error {
	err := f.inTx(ctx, func(tx *ent.Client) error {
		return f.recordFailure(ctx, tx, a, reason, nil)
	})
	if err != nil {
		return fmt.Errorf("login: record failed sign-in: %w", err)
	}
	return refusal
}

// failedPassword records a wrong password in one transaction: the
// credential's consecutive-failure counter goes up (for the audit trail and
// administrators; it locks nothing) and the failure is audited. signIn
// tells whether this is a sign-in (audited as auth.sign_in_failed) or the
// current-password check of a password change (auth.password_change_failed).
func (f *flow) failedPassword(ctx context.Context, a attempt, signIn bool) error {
	err := f.inTx(ctx, func(tx *ent.Client) error {
		c, err := tx.PasswordCredential.UpdateOneID(a.cred.ID).AddFailedAttempts(1).Save(ctx)
		if err != nil {
			return fmt.Errorf("count failure: %w", err)
		}
		if !signIn {
			return audit.Record(ctx, tx, audit.Event{
				Org: a.cred.OrganizationID, Action: audit.PasswordChangeFailed,
				TargetType: "user", TargetID: string(a.cred.UserID),
				Details: map[string]any{"failed_attempts": c.FailedAttempts},
			})
		}
		return f.recordFailure(ctx, tx, a, ReasonWrongPassword, map[string]any{
			"failed_attempts": c.FailedAttempts,
		})
	})
	if err != nil {
		return fmt.Errorf("login: record wrong password: %w", err)
	}
	return ErrInvalidCredentials
}

// recordFailure writes auth.sign_in_failed. The actor is anonymous: nobody
// has proven who they are. The target is the account, when there is one;
// otherwise the email that was tried is kept for spotting enumeration and
// password spraying. The password never is.
func (f *flow) recordFailure(ctx context.Context, tx *ent.Client, a attempt, reason string, extra map[string]any) error {
	method := a.method
	if method == "" {
		method = session.MethodPassword
	}
	details := map[string]any{"reason": reason, "method": string(method)}
	for k, v := range a.details {
		details[k] = v
	}
	for k, v := range extra {
		details[k] = v
	}
	e := audit.Event{
		Org:        a.org.ID,
		Action:     audit.SignInFailed,
		ActorKind:  auditevent.ActorKindAnonymous,
		TargetType: "user",
		Details:    details,
	}
	if a.user != nil {
		e.TargetID = string(a.user.ID)
	} else {
		details["email"] = textlimit.Bytes(a.email, 320)
	}
	if err := audit.Record(ctx, tx, e); err != nil {
		return err
	}
	attrs := []slog.Attr{slog.String(logging.OrgKey, string(a.org.ID)), slog.String("reason", reason)}
	if a.user != nil {
		attrs = append(attrs, slog.String(logging.UserKey, string(a.user.ID)))
	}
	f.log.LogAttrs(ctx, slog.LevelInfo, "sign-in refused", attrs...)
	return nil
}
