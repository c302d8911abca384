// Package access holds the domain operations that change who reaches what:
// emergency (break-glass) windows now; grants, revokes and invitations in
// the administration API. Each runs in the caller's transaction and writes
// its audit event there.
package access

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	EmergencyOpened = "access.emergency_opened"
	EmergencyEnded  = "access.emergency_ended"
)

// OpenEmergency opens a break-glass window on clientID for the viewer, for
// the organization's emergency window. authz decides who may (the emergency
// privilege); the viewer must have no other path to the client, and the
// reason is required. c should be the request's transaction.
func OpenEmergency(ctx context.Context, c *ent.Client, clientID pulid.ID, reason string) (*ent.EmergencyAccess, error) {
	ctx, err := authz.Require(ctx, c, authz.OpenEmergencyAccess, authz.Target{Client: clientID})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	reason = strings.TrimSpace(reason)
	if VisibleLength(reason) < MinReasonLength {
		return nil, apperr.InvalidField("reason", "give the reason for emergency access (at least %d visible characters)", MinReasonLength)
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return nil, apperr.InvalidField("reason", "reason is too long (at most 2000 characters)")
	}
	reached, err := authz.CanReadClient(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	if reached {
		return nil, apperr.New(apperr.Conflict, "you already have access to this client")
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	org, err := c.Organization.Query().Where(organization.ID(v.OrgID)).Only(sys)
	if err != nil {
		return nil, err
	}
	now := authz.Now(ctx)
	// A window that lapsed without being ended is closed at its expiry, so
	// that the index allowing one open window per user and client admits
	// the new one.
	if _, err := c.EmergencyAccess.Update().
		Where(emergencyaccess.UserID(v.UserID), emergencyaccess.ClientID(clientID),
			emergencyaccess.EndedAtIsNil(), emergencyaccess.ExpiresAtLTE(now)).
		Modify(func(u *sql.UpdateBuilder) {
			u.Set(emergencyaccess.FieldEndedAt, sql.ExprFunc(func(b *sql.Builder) { b.Ident(emergencyaccess.FieldExpiresAt) }))
		}).
		Save(ctx); err != nil {
		return nil, err
	}
	ea, err := c.EmergencyAccess.Create().
		SetOrganizationID(v.OrgID).
		SetUserID(v.UserID).
		SetClientID(clientID).
		SetReason(reason).
		SetStartedAt(now).
		SetExpiresAt(now.Add(time.Duration(org.EmergencyAccessMinutes) * time.Minute)).
		Save(ctx)
	if ent.IsConstraintError(err) {
		// A simultaneous request opened the window first.
		return nil, apperr.New(apperr.Conflict, "you already have access to this client")
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: EmergencyOpened, TargetType: "emergency_access", TargetID: string(ea.ID), ClientID: clientID,
		Details: map[string]any{"reason": reason, "expires_at": ea.ExpiresAt},
	}); err != nil {
		return nil, err
	}
	return ea, nil
}

// MinReasonLength is the fewest visible characters a break-glass reason
// may have.
const MinReasonLength = 10

// VisibleLength counts the characters of s that show: letters, digits,
// punctuation and symbols. Spaces, control and format characters
// (zero-width spaces and joiners, bidirectional marks), combining marks
// (which decorate the character before them) and the blank characters
// that render as nothing do not count, so that ten zero-width spaces or a
// letter under ten accents is not a reason.
func VisibleLength(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Mn, unicode.Me, unicode.Mc):
		case r == '\u115F', r == '\u1160', r == '\u3164', r == '\uFFA0', r == '\u2800', r == utf8.RuneError:
			// Hangul fillers and the blank Braille pattern are letters and
			// symbols that draw nothing.
		default:
			n++
		}
	}
	return n
}

// EndEmergency closes the viewer's own window early.
func EndEmergency(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.EmergencyAccess, error) {
	ctx, err := authz.Require(ctx, c, authz.EndEmergencyAccess, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	ea, err := c.EmergencyAccess.Query().Where(emergencyaccess.ID(id), emergencyaccess.UserID(v.UserID)).Only(sys)
	if err != nil {
		return nil, err
	}
	now := authz.Now(ctx)
	if ea.EndedAt != nil || !now.Before(ea.ExpiresAt) {
		return ea, nil
	}
	ea, err = ea.Update().SetEndedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: EmergencyEnded, TargetType: "emergency_access", TargetID: string(ea.ID), ClientID: ea.ClientID,
	}); err != nil {
		return nil, err
	}
	return ea, nil
}
