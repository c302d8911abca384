package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// changePassword sets a new password for the signed-in user, who proves
// the current one. Every session of the user is revoked, the current one
// included, and a fresh unrestricted session is returned.
func (f *flow) changePassword(ctx context.Context, current, next string) (*signedIn, error) {
	v, cur := viewer.FromContext(ctx), session.SessionFrom(ctx)
	if v == nil || v.Kind != viewer.User || cur == nil {
		return nil, ErrUnauthenticated
	}
	ctx, err := authz.Require(ctx, f.client, authz.ChangeOwnPassword, authz.Target{User: v.UserID})
	if err != nil {
		return nil, err
	}
	switch {
	case current == "":
		return nil, invalidRequest("currentPassword is required.")
	case next == "":
		return nil, invalidRequest("newPassword is required.")
	}
	u, err := f.client.User.Query().
		Where(user.ID(v.UserID)).
		WithPasswordCredential().
		WithOrganization().
		Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("login: load user: %w", err)
	}
	var pe *password.PolicyError
	if err := password.ValidateFor(next, u.Email); errors.As(err, &pe) {
		return nil, weakPassword(pe)
	} else if err != nil {
		return nil, fmt.Errorf("login: validate password: %w", err)
	}

	// The current password is guessed under the same throttle as a
	// sign-in: a stolen session must not be a way around it.
	tk, wait := f.throttle.admit(accountKey(strings.ToLower(u.Edges.Organization.Slug), u.EmailNormalized), audit.MetaFrom(ctx).IP)
	if wait > 0 {
		return nil, tooManyAttempts(wait)
	}
	ok, err := f.checkCurrent(ctx, u, current)
	switch {
	case err != nil:
		f.throttle.settle(tk, unchecked)
		return nil, err
	case !ok:
		f.throttle.settle(tk, failed)
		if u.Edges.PasswordCredential == nil {
			return nil, ErrInvalidCredentials
		}
		return nil, f.failedPassword(ctx, attempt{org: u.Edges.Organization, user: u, cred: u.Edges.PasswordCredential}, false)
	}
	f.throttle.settle(tk, succeeded)
	cred := u.Edges.PasswordCredential
	now := f.now()
	if norm.NFKC.String(next) == norm.NFKC.String(current) {
		return nil, ErrPasswordReused
	}
	newHash, err := f.hash(ctx, next)
	if err != nil {
		return nil, err
	}

	var out *signedIn
	err = f.inTx(ctx, func(tx *ent.Client) error {
		err := tx.PasswordCredential.UpdateOneID(cred.ID).
			SetHash(newHash).
			SetMustChange(false).
			ClearTemporaryExpiresAt().
			SetChangedAt(now).
			SetFailedAttempts(0).
			ClearLockedUntil().
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("update credential: %w", err)
		}
		revoked, err := f.sessions.RevokeAllForUser(ctx, tx, u.ID, session.ReasonPasswordChanged, "")
		if err != nil {
			return err
		}
		meta := audit.MetaFrom(ctx)
		tok, s, err := f.sessions.Create(ctx, tx, u, cur.Method, session.CreateOptions{
			MFASatisfied: cur.MfaSatisfiedAt != nil,
			IP:           meta.IP,
			UserAgent:    meta.UserAgent,
		})
		if err != nil {
			return err
		}
		err = audit.Record(ctx, tx, audit.Event{
			Action:     audit.PasswordChanged,
			TargetType: "user",
			TargetID:   string(u.ID),
			Details: map[string]any{
				"sessions_revoked": revoked,
				"session_id":       string(s.ID),
				"was_temporary":    cred.MustChange,
			},
		})
		if err != nil {
			return err
		}
		out = &signedIn{Token: tok, Session: s, User: u, Org: u.Edges.Organization}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("login: change password: %w", err)
	}
	if out.State, err = f.stateOf(ctx, u, out.Session); err != nil {
		return nil, err
	}
	f.log.LogAttrs(ctx, slog.LevelInfo, "password changed",
		slog.String(logging.OrgKey, string(u.OrganizationID)),
		slog.String(logging.UserKey, string(u.ID)),
		slog.String("session", string(out.Session.ID)))
	return out, nil
}

// checkCurrent verifies the current password of u; a user without one
// costs a verification all the same.
func (f *flow) checkCurrent(ctx context.Context, u *ent.User, current string) (bool, error) {
	cred := u.Edges.PasswordCredential
	if cred == nil {
		return false, f.dummyVerify(ctx, current)
	}
	ok, _, err := f.verify(ctx, cred.Hash, current)
	return ok, err
}
