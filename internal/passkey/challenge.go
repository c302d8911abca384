package passkey

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/webauthnchallenge"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// errChallenge answers a finish whose challenge this session did not ask
// for, already spent, or let expire: the client begins again.
var errChallenge = apperr.New(apperr.Gone, "this passkey request expired or was already answered: start again")

func challengeHash(challenge string) []byte {
	h := sha256.Sum256([]byte(challenge))
	return h[:]
}

// remember stores the ceremony sd of purpose for the viewer's session,
// replacing the session's earlier ceremonies of that purpose (and dropping
// its expired ones): one ceremony of each kind in flight per session.
func remember(ctx context.Context, c *ent.Client, v *viewer.Viewer, purpose webauthnchallenge.Purpose, sd *webauthn.SessionData) error {
	now := authz.Now(ctx)
	if _, err := c.WebAuthnChallenge.Delete().Where(
		webauthnchallenge.SessionID(v.SessionID),
		webauthnchallenge.Or(webauthnchallenge.PurposeEQ(purpose), webauthnchallenge.ExpiresAtLTE(now)),
	).Exec(ctx); err != nil {
		return fmt.Errorf("passkey: drop earlier challenges: %w", err)
	}
	data, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("passkey: encode ceremony: %w", err)
	}
	return c.WebAuthnChallenge.Create().
		SetOrganizationID(v.OrgID).
		SetUserID(v.UserID).
		SetSessionID(v.SessionID).
		SetPurpose(purpose).
		SetChallengeHash(challengeHash(sd.Challenge)).
		SetSessionData(data).
		SetCreatedAt(now).
		SetExpiresAt(now.Add(ChallengeTTL)).
		Exec(ctx)
}

// spend deletes the viewer's session's ceremony of purpose whose challenge
// the answer's clientDataJSON carries, and returns it; a challenge of
// another session, user or purpose, a spent or an expired one is refused.
// Deleting is what makes it single use: of two concurrent finishes only
// one deletes the row.
func spend(ctx context.Context, c *ent.Client, v *viewer.Viewer, purpose webauthnchallenge.Purpose, challenge string) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if challenge == "" {
		return sd, errChallenge
	}
	row, err := c.WebAuthnChallenge.Query().Where(
		webauthnchallenge.ChallengeHash(challengeHash(challenge)),
		webauthnchallenge.SessionID(v.SessionID),
		webauthnchallenge.UserID(v.UserID),
		webauthnchallenge.PurposeEQ(purpose),
	).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return sd, errChallenge
	case err != nil:
		return sd, fmt.Errorf("passkey: load challenge: %w", err)
	}
	switch err := c.WebAuthnChallenge.DeleteOneID(row.ID).Exec(ctx); {
	case ent.IsNotFound(err):
		return sd, errChallenge
	case err != nil:
		return sd, fmt.Errorf("passkey: spend challenge: %w", err)
	}
	if !authz.Now(ctx).Before(row.ExpiresAt) {
		return sd, errChallenge
	}
	if err := json.Unmarshal(row.SessionData, &sd); err != nil {
		return sd, fmt.Errorf("passkey: decode ceremony: %w", err)
	}
	// Expiry is the row's, on the request's clock; the library would
	// compare with the wall clock.
	sd.Expires = time.Time{}
	return sd, nil
}
