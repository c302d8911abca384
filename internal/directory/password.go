package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/outbox"
)

// TemporaryPasswordConfig configures the temporary-password email.
type TemporaryPasswordConfig struct {
	// SignInURL is where the user signs in (shown in the email).
	SignInURL string
	// TTL is how long a temporary password lasts; 72 hours when zero.
	TTL time.Duration
}

// PortalInvitationKind is the outbox kind of a new portal user's first
// email (internal/portal enqueues it); TemporaryPasswordRenderer renders
// it too.
const PortalInvitationKind = "portal_invitation"

// TemporaryPasswordRenderer renders outbox messages of kind
// "temporary_password" (a new employee user, or an administrator's reset)
// and "portal_invitation" (a portal user just added to a client):
// at delivery it mints a temporary password, stores only its hash in the
// user's password credential (must change at the next sign-in, expiring
// after TTL, failed attempts and lock cleared) in the worker's
// transaction, and writes the email. A message for a user who is neither
// active nor invited, or who signs in through SSO only, is obsolete.
func TemporaryPasswordRenderer(cfg TemporaryPasswordConfig) outbox.Renderer {
	if cfg.TTL <= 0 {
		cfg.TTL = 72 * time.Hour
	}
	return outbox.RendererFunc(func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
		id, _ := m.Payload["user_id"].(string)
		if id == "" {
			return mail.Message{}, outbox.ErrObsolete
		}
		u, err := tx.User.Query().Where(user.ID(pulid.ID(id)), user.OrganizationID(m.OrganizationID)).
			WithOrganization().Only(ctx)
		if ent.IsNotFound(err) {
			return mail.Message{}, outbox.ErrObsolete
		}
		if err != nil {
			return mail.Message{}, fmt.Errorf("directory: temporary password: %w", err)
		}
		// An invited user (a portal user added to a client) signs in
		// with it for the first time, which activates them.
		if (u.Status != user.StatusActive && u.Status != user.StatusInvited) || u.SignInMethod == user.SignInMethodSSO {
			return mail.Message{}, outbox.ErrObsolete
		}
		plain, err := password.Temporary()
		if err != nil {
			return mail.Message{}, err
		}
		hash, err := password.Hash(plain)
		if err != nil {
			return mail.Message{}, err
		}
		now := clock.Now(ctx)
		expires := now.Add(cfg.TTL)
		n, err := tx.PasswordCredential.Update().Where(passwordcredential.UserID(u.ID)).
			SetHash(hash).SetMustChange(true).SetTemporaryExpiresAt(expires).SetChangedAt(now).
			SetFailedAttempts(0).ClearLockedUntil().Save(ctx)
		if err != nil {
			return mail.Message{}, fmt.Errorf("directory: temporary password: %w", err)
		}
		if n == 0 {
			if err := tx.PasswordCredential.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).
				SetHash(hash).SetMustChange(true).SetTemporaryExpiresAt(expires).SetChangedAt(now).
				Exec(ctx); err != nil {
				return mail.Message{}, fmt.Errorf("directory: temporary password: %w", err)
			}
		}
		org := "your organization"
		if u.Edges.Organization != nil {
			org = u.Edges.Organization.Name
		}
		name := u.DisplayName
		if name == "" {
			name = u.Email
		}
		intro := "An administrator reset your password."
		if reason, _ := m.Payload["reason"].(string); reason == "new_user" {
			intro = "A user account was created for you."
		}
		if m.Kind == PortalInvitationKind {
			intro = "You were given access to a client portal."
		}
		text := fmt.Sprintf("Hello %s,\n\n%s Sign in to %s with this temporary password:\n\n    %s\n\n"+
			"It works once, until %s, and you will choose your own password right after signing in.\n",
			name, intro, org, plain, expires.UTC().Format("2 January 2006 15:04 MST"))
		if cfg.SignInURL != "" {
			text += "\nSign in at " + cfg.SignInURL + "\n"
		}
		return mail.Message{To: u.Email, Subject: "Your temporary password for " + org, Text: text}, nil
	})
}
