// Package session keeps signed-in sessions in the database and resolves a
// request's session token, from an HttpOnly cookie or an
// "Authorization: Bearer" header, into the request's viewer.
//
// A session token is an opaque "cgs_…" secret (package auth/token). Only its
// SHA-256 is stored; the plain token is handed to the client once, by the
// flow that calls Create, and is never logged.
//
// A session ends at the first of: its absolute expiry (Config.TTL), its idle
// timeout (Config.IdleTimeout, or the organization's shorter
// session_idle_minutes: HIPAA automatic log-off), revocation, or its user
// leaving the ACTIVE status. Every check is made on every request against
// the database, so a suspension or revocation on one replica takes effect on
// all of them at the next request; nothing is cached in the process.
//
// Caller duties: Create, Revoke and RevokeAllForUser take the caller's
// transaction and a context carrying a viewer of the session's organization
// (viewer.ForSystem will do); the caller writes the audit event that goes
// with them. Authenticate needs no viewer: it finds the organization from
// the token.
package session

import (
	"context"
	"errors"
	"fmt"
	"github.com/clinicgate/clinicgate/internal/clock"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/textlimit"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// TokenPrefix is the kind prefix of session tokens.
const TokenPrefix = "cgs"

// Method is how a session was signed in (PASSWORD or SSO).
type Method = session.Method

// Sign-in methods, re-exported so callers need not import ent/session.
const (
	MethodPassword = session.MethodPassword
	MethodSSO      = session.MethodSSO
)

// Revocation reasons written by this package and its usual callers.
const (
	ReasonIdle            = "idle"
	ReasonSignOut         = "sign_out"
	ReasonPasswordChanged = "password_changed"
	// A user's status left ACTIVE: see RevokeForUsers.
	ReasonUserSuspended   = "user_suspended"
	ReasonUserDeleted     = "user_deleted"
	ReasonUserDeactivated = "user_deactivated" // any other status
)

// Defaults for the zero fields of Config.
const (
	DefaultTTL           = 12 * time.Hour
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultCookieName    = "cg_session"
	DefaultTouchInterval = 30 * time.Second
	// DefaultViewerCacheSize keeps the viewers of this many users.
	DefaultViewerCacheSize = 10000
)

// Config configures a Manager. Zero fields take the defaults above.
type Config struct {
	// TTL is a session's absolute lifetime from sign-in.
	TTL time.Duration
	// IdleTimeout ends a session unused for this long. An organization's
	// session_idle_minutes applies instead when it is shorter.
	IdleTimeout time.Duration
	// CookieName is the name of the session cookie.
	CookieName string
	// SecureCookies sets the Secure attribute on the cookie; turn it on
	// whenever the server is reached over HTTPS.
	SecureCookies bool
	// TrustProxy takes the client IP recorded in audit events from
	// X-Forwarded-For (see edge.ClientIP); only safe behind a proxy that
	// sets it.
	TrustProxy bool
	// TouchInterval is how stale last_seen_at may get before a request
	// writes it again, so that a busy client does not cost a write per
	// request. The idle timeout is therefore measured with up to this much
	// slack (never more than half the idle timeout).
	TouchInterval time.Duration
	// PublicOrigin is the origin browsers reach the server at (PUBLIC_URL);
	// a state-changing request authenticated by the cookie must come from
	// it (see CrossSiteRefusal). When empty, such a request carrying an
	// Origin header is refused.
	PublicOrigin string
	// ViewerCacheSize bounds how many users' viewers are kept between
	// requests (DefaultViewerCacheSize when 0; none kept when negative).
	// A kept viewer is used only while its organization's access epoch,
	// read with the session, is the one it was built at.
	ViewerCacheSize int
	// Clock is the server's one clock (cmd/server builds it); the wall
	// clock when nil. The middleware installs it in every request it
	// resolves, so that decisions and audit times follow it too.
	Clock clock.Clock
}

// Manager creates, resolves and revokes sessions. It is safe for
// concurrent use.
type Manager struct {
	client  *ent.Client
	cfg     Config
	origin  string // normalized cfg.PublicOrigin
	viewers *viewerCache
}

// New returns a Manager over client (the root client, not a transaction).
func New(client *ent.Client, cfg Config) *Manager {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if cfg.TouchInterval <= 0 {
		cfg.TouchInterval = DefaultTouchInterval
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	return &Manager{client: client, cfg: cfg, origin: NormalizeOrigin(cfg.PublicOrigin), viewers: newViewerCache(cfg.ViewerCacheSize)}
}

// Clock returns the Manager's clock.
func (m *Manager) Clock() clock.Clock { return m.cfg.Clock }

func (m *Manager) now() time.Time { return m.cfg.Clock.Now() }

// CreateOptions describe a new session.
type CreateOptions struct {
	// PasswordChangeRequired restricts the session to changing the
	// password (signed in with a temporary one).
	PasswordChangeRequired bool
	// MFASatisfied records that the sign-in passed a second factor now.
	MFASatisfied bool
	// IP and UserAgent are where the sign-in came from.
	IP, UserAgent string
}

// Create starts a session for u with tx, the caller's transaction, and
// returns the plain token (to hand to the client once, never to log) and
// the stored session. ctx must carry a viewer of u's organization.
func (m *Manager) Create(ctx context.Context, tx *ent.Client, u *ent.User, method Method, opts CreateOptions) (string, *ent.Session, error) {
	org := u.Edges.Organization
	if org == nil {
		var err error
		if org, err = tx.Organization.Get(ctx, u.OrganizationID); err != nil {
			return "", nil, fmt.Errorf("session: create: load organization: %w", err)
		}
	}
	idle := m.cfg.IdleTimeout
	if org.SessionIdleMinutes != nil {
		if d := time.Duration(*org.SessionIdleMinutes) * time.Minute; d < idle {
			idle = d
		}
	}
	plain, err := token.New(TokenPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("session: create: %w", err)
	}
	now := m.now()
	c := tx.Session.Create().
		SetOrganizationID(u.OrganizationID).
		SetUserID(u.ID).
		SetTokenHash(token.Hash(plain)).
		SetMethod(method).
		SetCreatedAt(now).
		SetLastSeenAt(now).
		SetExpiresAt(now.Add(m.cfg.TTL)).
		SetIdleTimeoutSeconds(max(1, int(idle/time.Second))).
		SetPasswordChangeRequired(opts.PasswordChangeRequired).
		SetIP(textlimit.Bytes(opts.IP, 64)).
		SetUserAgent(textlimit.Bytes(opts.UserAgent, 512))
	if opts.MFASatisfied {
		c.SetMfaSatisfiedAt(now)
	}
	s, err := c.Save(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("session: create: %w", err)
	}
	return plain, s, nil
}

// Authenticate resolves a plain token into the viewer it stands for and its
// session. It refuses, with the errors of this package, a token that is
// malformed (checked before any database access) or unknown, and a session
// that is revoked, past its absolute expiry, idle for its idle timeout
// (which also revokes it, with an audit event), or whose user is not ACTIVE.
// Any other error is a failure of the store.
//
// A session in use has its last_seen_at brought up to date at most once
// per TouchInterval.
func (m *Manager) Authenticate(ctx context.Context, plain string) (*viewer.Viewer, *ent.Session, error) {
	if !token.Valid(plain, TokenPrefix) {
		return nil, nil, ErrNoSession
	}
	// The organization is not known until the session is found: look it up
	// by its unique hash without the tenant filter, then act as the server
	// on behalf of that organization only. The organization's access epoch
	// comes with it, in the same statement: it proves a cached viewer
	// current (see viewerCache).
	s, err := m.client.Session.Query().
		Where(session.TokenHash(token.Hash(plain))).
		Modify(withAccessEpoch).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	switch {
	case ent.IsNotFound(err):
		return nil, nil, ErrNoSession
	case err != nil:
		return nil, nil, fmt.Errorf("session: look up: %w", err)
	}
	epoch, err := orgCounter(s, accessEpochColumn)
	if err != nil {
		return nil, nil, err
	}
	seq, err := orgCounter(s, accessSeqColumn)
	if err != nil {
		return nil, nil, err
	}
	sys := viewer.ForSystem(ctx, s.OrganizationID)

	now := m.now()
	idle := time.Duration(s.IdleTimeoutSeconds) * time.Second
	switch {
	case s.RevokedAt != nil:
		return nil, nil, ErrRevoked
	case !now.Before(s.ExpiresAt):
		return nil, nil, ErrExpired
	case now.Sub(s.LastSeenAt) >= idle:
		if err := m.revokeIdle(sys, s, now); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrIdle
	}

	v, err := m.viewerOf(sys, s.UserID, epoch)
	if err != nil {
		return nil, nil, err
	}

	if now.Sub(s.LastSeenAt) >= min(m.cfg.TouchInterval, idle/2) {
		n, err := m.client.Session.Update().
			Where(session.ID(s.ID), session.RevokedAtIsNil()).
			SetLastSeenAt(now).
			Save(sys)
		if err != nil {
			return nil, nil, fmt.Errorf("session: touch: %w", err)
		}
		if n == 0 { // revoked since we read it
			return nil, nil, ErrRevoked
		}
		s.LastSeenAt = now
	}

	v.SessionID = s.ID
	v.AuthMethod = string(s.Method)
	v.MFASatisfiedAt = s.MfaSatisfiedAt
	v.State = authz.SessionState(v, s.PasswordChangeRequired, s.MfaSatisfiedAt != nil)
	v.Fence = viewer.Fence{AccessSeq: seq, WriteSeq: s.WriteSeq}
	return v, s, nil
}

// viewerOf returns the viewer of user id as of the organization's access
// epoch: from the cache when it was built at that epoch, else loaded (and
// kept). The result is the caller's to fill in; what it shares with the
// cache (role ids, privileges, units, tabs) is never written.
func (m *Manager) viewerOf(sys context.Context, id pulid.ID, epoch int64) (*viewer.Viewer, error) {
	if v, ok := m.viewers.get(id, epoch); ok {
		return v, nil
	}
	u, err := m.client.User.Query().
		Where(user.ID(id)).
		WithBusinessUnits(func(q *ent.BusinessUnitQuery) { q.Select(businessunit.FieldID) }).
		WithOrganization(func(q *ent.OrganizationQuery) {
			q.Select(organization.FieldID, organization.FieldRequireMfa)
		}).
		Only(sys)
	if err != nil {
		return nil, fmt.Errorf("session: load user: %w", err)
	}
	v, err := authz.LoadViewer(sys, m.client, u)
	if err != nil {
		if errors.Is(err, authz.ErrUserInactive) {
			return nil, ErrUserInactive
		}
		return nil, fmt.Errorf("session: %w", err)
	}
	// Loaded after the epoch was read, so at least as new as it: safe to
	// serve for that epoch.
	m.viewers.put(id, epoch, v)
	cp := *v
	return &cp, nil
}

// accessEpochColumn and accessSeqColumn are the aliases of the
// organization's access epoch and access sequence in the session query.
const (
	accessEpochColumn = "org_access_epoch"
	accessSeqColumn   = "org_access_seq"
)

func withAccessEpoch(s *entsql.Selector) {
	o := entsql.Table(organization.Table)
	s.Join(o).On(s.C(session.FieldOrganizationID), o.C(organization.FieldID))
	s.AppendSelect(
		entsql.As(o.C(organization.FieldAccessEpoch), accessEpochColumn),
		entsql.As(o.C(organization.FieldAccessSeq), accessSeqColumn))
}

// orgCounter is the organization counter selected as column with the
// session.
func orgCounter(s *ent.Session, column string) (int64, error) {
	raw, err := s.Value(column)
	if err != nil {
		return 0, fmt.Errorf("session: %s: %w", column, err)
	}
	switch n := raw.(type) {
	case int64:
		return n, nil
	case *int64:
		if n != nil {
			return *n, nil
		}
	case float64:
		return int64(n), nil
	}
	return 0, fmt.Errorf("session: %s: unexpected %T", column, raw)
}

// revokeIdle ends a session that timed out, and audits the automatic
// log-off. Of concurrent requests only the one that revokes it writes the
// event.
func (m *Manager) revokeIdle(ctx context.Context, s *ent.Session, now time.Time) error {
	tx, err := m.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("session: revoke idle: %w", err)
	}
	n, err := tx.Session.Update().
		Where(session.ID(s.ID), session.RevokedAtIsNil()).
		SetRevokedAt(now).
		SetRevokedReason(ReasonIdle).
		Save(ctx)
	if err == nil && n > 0 {
		err = audit.Record(ctx, tx.Client(), audit.Event{
			Org:        s.OrganizationID,
			Action:     audit.SessionRevoked,
			ActorKind:  auditevent.ActorKindSystem,
			TargetType: "session",
			TargetID:   string(s.ID),
			Details:    map[string]any{"reason": ReasonIdle, "user_id": string(s.UserID)},
		})
	}
	if err != nil {
		return errors.Join(fmt.Errorf("session: revoke idle: %w", err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("session: revoke idle: commit: %w", err)
	}
	return nil
}

// Revoke ends one session with tx, recording why. Revoking a session that
// is already revoked, or that is not in ctx's organization, does nothing and
// reports false, so that the caller audits only a real change.
func (m *Manager) Revoke(ctx context.Context, tx *ent.Client, sessionID pulid.ID, reason string) (bool, error) {
	n, err := tx.Session.Update().
		Where(session.ID(sessionID), session.RevokedAtIsNil()).
		SetRevokedAt(m.now()).
		SetRevokedReason(textlimit.Bytes(reason, 100)).
		Save(ctx)
	if err != nil {
		return false, fmt.Errorf("session: revoke: %w", err)
	}
	return n > 0, nil
}

// RevokeAllForUser ends every live session of a user with tx except the one
// named by except (none when empty), and returns how many it ended.
func (m *Manager) RevokeAllForUser(ctx context.Context, tx *ent.Client, userID pulid.ID, reason string, except pulid.ID) (int, error) {
	u := tx.Session.Update().Where(session.UserID(userID), session.RevokedAtIsNil())
	if except != "" {
		u.Where(session.IDNEQ(except))
	}
	n, err := u.SetRevokedAt(m.now()).SetRevokedReason(textlimit.Bytes(reason, 100)).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("session: revoke all for user: %w", err)
	}
	return n, nil
}

// revokeChunk bounds the users handled per statement, well inside the bind
// parameter limits of both dialects.
const revokeChunk = 500

// RevokeForUsers ends every live session of the given users with tx, the
// transaction of the change that calls for it, and writes an
// auth.session_revoked event for each session it ends, naming the reason
// and the user. It returns how many sessions it ended.
//
// It is what a user leaving the ACTIVE status does (the ent schema's user
// hook calls it for every status change, bulk ones included): a session
// that is revoked stays dead when the user is reactivated, whereas one that
// was merely refused while the user was inactive would come back.
//
// The caller has decided which users; the sessions and their audit events
// are written without the privacy layer, in each session's own
// organization. The actor is the viewer in ctx, or the system when there
// is none. Times come from the request clock (authz.Now).
func RevokeForUsers(ctx context.Context, tx *ent.Client, userIDs []pulid.ID, reason string) (int, error) {
	var actor auditevent.ActorKind // the viewer's, by default
	if viewer.FromContext(ctx) == nil {
		actor = auditevent.ActorKindSystem
	}
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	now := authz.Now(ctx)
	reason = textlimit.Bytes(reason, 100)
	total := 0
	for chunk := range slices.Chunk(userIDs, revokeChunk) {
		var live []struct {
			ID             pulid.ID `json:"id"`
			UserID         pulid.ID `json:"user_id"`
			OrganizationID pulid.ID `json:"organization_id"`
		}
		// On PostgreSQL the rows are locked, so that a sign-out racing
		// this revocation either ends the session first (and it is not
		// listed here) or finds it already ended (and audits nothing):
		// every ended session gets exactly one event.
		err := tx.Session.Query().
			Where(session.UserIDIn(chunk...), session.RevokedAtIsNil()).
			Select(session.FieldID, session.FieldUserID, session.FieldOrganizationID).
			Modify(lockOnPostgres).
			Scan(allow, &live)
		if err != nil {
			return total, fmt.Errorf("session: revoke for users: %w", err)
		}
		if len(live) == 0 {
			continue
		}
		ids := make([]pulid.ID, len(live))
		events := make([]audit.Event, len(live))
		for i, s := range live {
			ids[i] = s.ID
			events[i] = audit.Event{
				Org:        s.OrganizationID,
				Action:     audit.SessionRevoked,
				ActorKind:  actor,
				TargetType: "session",
				TargetID:   string(s.ID),
				Details:    map[string]any{"reason": reason, "user_id": string(s.UserID)},
			}
		}
		n, err := tx.Session.Update().
			Where(session.IDIn(ids...), session.RevokedAtIsNil()).
			SetRevokedAt(now).
			SetRevokedReason(reason).
			Save(allow)
		if err != nil {
			return total, fmt.Errorf("session: revoke for users: %w", err)
		}
		if err := audit.RecordBatch(allow, tx, events); err != nil {
			return total, fmt.Errorf("session: revoke for users: %w", err)
		}
		total += n
	}
	return total, nil
}

func lockOnPostgres(s *entsql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}
