// Package passwordreset is self-service password reset: a user asks for a
// link by email (through the outbox), and the link, single-use and short
// lived, sets a new password under the sign-in policy and ends every
// session of the account. The link's token is minted when the mail leaves
// and only its SHA-256 is stored; the request never says whether the
// account exists.
package passwordreset

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/passwordresettoken"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// MailKind is the outbox kind of a reset mail.
const MailKind = "password_reset"

// TokenPrefix starts every reset token (auth/token).
const TokenPrefix = "cgr"

// Audit actions and the revocation reason.
const (
	ActionRequested = "auth.password_reset_requested"
	ActionReset     = "auth.password_reset"
	ReasonReset     = "password_reset"
)

// Resend bounds how often one account is mailed: a second request within it
// sends nothing (and still answers the same).
const Resend = 2 * time.Minute

// Request asks for a reset link for the account email of organization
// orgSlug. It answers nil whether or not there is such an account (or
// whether the account may reset: SSO-only users, suspended users and
// users mailed within Resend get nothing), so that a caller learns
// nothing; only a failure of the store is an error.
func Request(ctx context.Context, root *ent.Client, orgSlug, email string) error {
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	org, err := root.Organization.Query().Where(organization.Slug(orgSlug)).Only(allow)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("passwordreset: %w", err)
	}
	sys := viewer.ForSystem(ctx, org.ID)
	u, err := root.User.Query().Where(user.EmailNormalized(schema.NormalizeEmail(email)), user.StatusEQ(user.StatusActive)).Only(sys)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("passwordreset: %w", err)
	}
	if u.SignInMethod == user.SignInMethodSSO || org.SignInMethod == organization.SignInMethodSSO {
		return nil
	}
	now := clock.Now(ctx)
	recent, err := root.AuditEvent.Query().Where(
		auditevent.Action(ActionRequested), auditevent.TargetID(string(u.ID)), auditevent.OccurredAtGT(now.Add(-Resend)),
	).Exist(sys)
	if err != nil {
		return fmt.Errorf("passwordreset: %w", err)
	}
	if recent {
		return nil
	}
	return store.InTx(ctx, root, func(tx *ent.Client) error {
		if _, err := outbox.Enqueue(sys, tx, outbox.Message{Kind: MailKind, Org: org.ID, Ref: map[string]any{"user_id": string(u.ID)}}); err != nil {
			return err
		}
		return audit.Record(sys, tx, audit.Event{Org: org.ID, Action: ActionRequested, TargetType: "user", TargetID: string(u.ID)})
	})
}

// RenderConfig configures the reset mail.
type RenderConfig struct {
	// ResetURL is the page that takes the token (?token=…), under PUBLIC_URL.
	ResetURL string
	// TTL is how long a link works; an hour when zero.
	TTL time.Duration
}

// Renderer builds the reset mail when it leaves: it mints the link's token
// then and stores its hash, so that the outbox never holds it. Earlier
// unused links of the account stop working.
func Renderer(cfg RenderConfig) outbox.Renderer {
	if cfg.TTL <= 0 {
		cfg.TTL = time.Hour
	}
	return outbox.RendererFunc(func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
		id, _ := m.Payload["user_id"].(string)
		u, err := tx.User.Query().Where(user.ID(pulid.ID(id)), user.OrganizationID(m.OrganizationID)).WithOrganization().Only(ctx)
		if ent.IsNotFound(err) {
			return mail.Message{}, outbox.ErrObsolete
		}
		if err != nil {
			return mail.Message{}, fmt.Errorf("passwordreset: render: %w", err)
		}
		if u.Status != user.StatusActive || u.SignInMethod == user.SignInMethodSSO {
			return mail.Message{}, outbox.ErrObsolete
		}
		plain, err := token.New(TokenPrefix)
		if err != nil {
			return mail.Message{}, err
		}
		now := clock.Now(ctx)
		if _, err := tx.PasswordResetToken.Update().
			Where(passwordresettoken.UserID(u.ID), passwordresettoken.UsedAtIsNil()).
			SetUsedAt(now).Save(ctx); err != nil {
			return mail.Message{}, fmt.Errorf("passwordreset: retire old links: %w", err)
		}
		expires := now.Add(cfg.TTL)
		if err := tx.PasswordResetToken.Create().
			SetOrganizationID(u.OrganizationID).SetUserID(u.ID).
			SetTokenHash(token.Hash(plain)).SetCreatedAt(now).SetExpiresAt(expires).
			Exec(ctx); err != nil {
			return mail.Message{}, fmt.Errorf("passwordreset: store link: %w", err)
		}
		link := cfg.ResetURL + "?token=" + url.QueryEscape(plain)
		org := u.Edges.Organization.Name
		text := fmt.Sprintf("Hello,\n\nSomeone (we hope you) asked to reset the password of %s at %s.\n\n"+
			"Choose a new password here (the link works once, until %s):\n\n    %s\n\n"+
			"Every device signed in to the account is signed out when the password changes.\n"+
			"If you did not ask for this, ignore this mail: your password stays as it is.\n",
			u.Email, org, expires.UTC().Format("2 January 2006 15:04 MST"), link)
		return mail.Message{To: u.Email, Subject: "Reset your password for " + org, Text: text}, nil
	})
}

// Codes of Complete's refusals.
const (
	CodeInvalidLink  = "invalid_reset_link"
	CodeWeakPassword = "weak_password"
)

// Hasher hashes a new password (password.Hasher).
type Hasher interface {
	Hash(plain string) (string, error)
}

// Complete sets a new password with the reset link's token plain: the link
// must be unused and unexpired and its user active and allowed a password.
// The password meets the sign-in policy; the link is spent, every session
// of the user ends and the change is audited, in one transaction. The user
// signs in next.
func Complete(ctx context.Context, root *ent.Client, plain, newPassword string, hasher Hasher) error {
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	invalid := &apperr.Error{Kind: apperr.Gone, Code: CodeInvalidLink, Message: "this reset link is not valid any more; ask for a new one"}
	if !token.Valid(plain, TokenPrefix) {
		return invalid
	}
	t, err := root.PasswordResetToken.Query().Where(passwordresettoken.TokenHash(token.Hash(plain))).Only(allow)
	if ent.IsNotFound(err) {
		return invalid
	}
	if err != nil {
		return fmt.Errorf("passwordreset: %w", err)
	}
	now := clock.Now(ctx)
	if t.UsedAt != nil || !now.Before(t.ExpiresAt) {
		return invalid
	}
	sys := viewer.ForSystem(ctx, t.OrganizationID)
	u, err := root.User.Query().Where(user.ID(t.UserID)).Only(sys)
	if err != nil {
		return fmt.Errorf("passwordreset: %w", err)
	}
	if u.Status != user.StatusActive || u.SignInMethod == user.SignInMethodSSO {
		return invalid
	}
	if err := password.ValidateFor(newPassword, u.Email); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return &apperr.Error{Kind: apperr.Invalid, Code: CodeWeakPassword, Field: "password", Message: pe.Reason, Policy: pe.Code}
		}
		return err
	}
	hash, err := hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	return store.InTx(ctx, root, func(tx *ent.Client) error {
		// One use wins: the update applies only while the link is unused.
		n, err := tx.PasswordResetToken.Update().
			Where(passwordresettoken.ID(t.ID), passwordresettoken.UsedAtIsNil()).
			SetUsedAt(now).Save(sys)
		if err != nil {
			return fmt.Errorf("passwordreset: spend link: %w", err)
		}
		if n == 0 {
			return invalid
		}
		n, err = tx.PasswordCredential.Update().Where(passwordcredential.UserID(u.ID)).
			SetHash(hash).SetMustChange(false).ClearTemporaryExpiresAt().SetChangedAt(now).
			SetFailedAttempts(0).ClearLockedUntil().Save(sys)
		if err != nil {
			return fmt.Errorf("passwordreset: set password: %w", err)
		}
		if n == 0 {
			if err := tx.PasswordCredential.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).
				SetHash(hash).SetChangedAt(now).Exec(sys); err != nil {
				return fmt.Errorf("passwordreset: set password: %w", err)
			}
		}
		ended, err := session.RevokeForUsers(sys, tx, []pulid.ID{u.ID}, ReasonReset)
		if err != nil {
			return err
		}
		return audit.Record(sys, tx, audit.Event{
			Org: u.OrganizationID, Action: ActionReset, ActorKind: auditevent.ActorKindUser, ActorID: u.ID,
			TargetType: "user", TargetID: string(u.ID),
			Details: map[string]any{"sessions_ended": ended},
		})
	})
}
