package invite

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/outbox"
)

// RenderConfig configures the invitation email.
type RenderConfig struct {
	// AcceptURL is the page of the frontend that accepts an invitation
	// ("https://app.example.org/accept-invitation"); the token is added
	// as its "token" query parameter. The page posts it, with the chosen
	// password, to POST /auth/invitation/accept.
	AcceptURL string
}

// Renderer builds the invitation emails of the outbox (kind MailKind).
// At delivery it mints the link's token and stores only its hash, in the
// worker's transaction: the link works once that commits. An invitation
// no longer pending, expired, or resent since the message was queued
// (a newer delivery number) is obsolete.
func Renderer(cfg RenderConfig) outbox.Renderer {
	return outbox.RendererFunc(func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
		id, _ := m.Payload["invitation"].(string)
		seq := -1
		switch n := m.Payload["seq"].(type) {
		case float64:
			seq = int(n)
		case int:
			seq = n
		}
		inv, err := tx.Invitation.Query().Where(invitation.ID(pulid.ID(id))).Only(ctx)
		if ent.IsNotFound(err) {
			return mail.Message{}, outbox.ErrObsolete
		}
		if err != nil {
			return mail.Message{}, err
		}
		if inv.Status != invitation.StatusPending || inv.DeliverySeq != seq || !clock.Now(ctx).Before(inv.ExpiresAt) {
			return mail.Message{}, outbox.ErrObsolete
		}
		token, err := NewToken()
		if err != nil {
			return mail.Message{}, err
		}
		if err := tx.Invitation.UpdateOne(inv).SetTokenHash(HashToken(token)).Exec(ctx); err != nil {
			return mail.Message{}, err
		}
		orgName := ""
		if org, err := tx.Organization.Query().Where(organization.ID(inv.OrganizationID)).Only(ctx); err == nil {
			orgName = org.Name
		}
		link := cfg.AcceptURL
		sep := "?"
		if strings.Contains(link, "?") {
			sep = "&"
		}
		link += sep + "token=" + url.QueryEscape(token)
		how := "choose a password"
		if inv.SignInMethod == invitation.SignInMethodSSO {
			how = "sign in with your organization's single sign-on"
		}
		return mail.Message{
			To:      inv.Email,
			Subject: fmt.Sprintf("You are invited to %s", orgName),
			Text: fmt.Sprintf("You have been invited to join %s.\n\nOpen this link to accept and %s:\n%s\n\n"+
				"The link works once and expires on %s.\n",
				orgName, how, link, inv.ExpiresAt.UTC().Format("2 January 2006 15:04 MST")),
		}, nil
	})
}

// NewToken returns a fresh invitation token: 32 random bytes, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
