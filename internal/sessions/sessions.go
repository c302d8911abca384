// Package sessions is a user's view of their own sessions: where they are
// signed in (device, address, method, MFA state) and ending any of them.
// Sessions live in the database and every request reads its own, so an
// ended session is refused on the next request on every replica; nothing
// is cached to invalidate.
package sessions

import (
	"context"
	"fmt"
	"strings"
	"sync"

	useragent "github.com/medama-io/go-useragent"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ReasonRevokedByUser is the revocation reason of a session its user ended
// from another (or the same) device.
const ReasonRevokedByUser = "revoked_by_user"

// Live lists the viewer's live sessions (not ended, not expired), most
// recently used first.
func Live(ctx context.Context, c *ent.Client) ([]*ent.Session, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return c.Session.Query().
		Where(session.UserID(v.UserID), session.RevokedAtIsNil(), session.ExpiresAtGT(authz.Now(ctx))).
		Order(ent.Desc(session.FieldLastSeenAt), ent.Desc(session.FieldID)).
		Limit(200).
		All(ctx) // the viewer's own rows only (authz ownRows)
}

// Revoke ends one of the viewer's own sessions, id, and audits it; ending
// the current one signs the viewer out.
func Revoke(ctx context.Context, c *ent.Client, id pulid.ID) error {
	ctx, err := authz.Require(ctx, c, authz.RevokeOwnSession, authz.Target{Row: id})
	if err != nil {
		return err
	}
	n, err := c.Session.Update().
		Where(session.ID(id), session.RevokedAtIsNil()).
		SetRevokedAt(authz.Now(ctx)).
		SetRevokedReason(ReasonRevokedByUser).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("sessions: revoke: %w", err)
	}
	if n == 0 {
		return nil // already ended: nothing changed, nothing to audit
	}
	return audit.Record(ctx, c, audit.Event{
		Action: audit.SessionRevoked, TargetType: "session", TargetID: string(id),
		Details: map[string]any{"reason": ReasonRevokedByUser},
	})
}

// Device is what a user agent string says about where a session is.
type Device struct {
	Browser, OS string
	// Kind is desktop, mobile, tablet, tv, bot or unknown.
	Kind string
}

// Label is a short human description ("Chrome on macOS").
func (d Device) Label() string {
	switch {
	case d.Browser != "" && d.OS != "":
		return d.Browser + " on " + d.OS
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return d.OS
	}
	return "Unknown device"
}

// parser is built once: its trie of known agents is immutable and costs
// a few milliseconds to build.
var parser = sync.OnceValue(useragent.NewParser)

// Describe parses a session's user agent.
func Describe(ua string) Device {
	if strings.TrimSpace(ua) == "" {
		return Device{Kind: "unknown"}
	}
	p := parser().Parse(ua)
	d := Device{Browser: string(p.Browser()), OS: string(p.OS()), Kind: "unknown"}
	switch {
	case p.IsBot():
		d.Kind = "bot"
	case p.IsTablet():
		d.Kind = "tablet"
	case p.IsMobile():
		d.Kind = "mobile"
	case p.IsTV():
		d.Kind = "tv"
	case p.IsDesktop():
		d.Kind = "desktop"
	}
	return d
}
