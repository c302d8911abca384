package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Reasons recorded in the details of auth.sign_in_failed events.
const (
	ReasonUnknownOrganization = "unknown_organization" // logged only: no tenant to audit in
	ReasonUnknownUser         = "unknown_user"
	ReasonNoPassword          = "no_password"
	ReasonWrongPassword       = "wrong_password"
	ReasonAccountDisabled     = "account_disabled"
	ReasonSSORequired         = "sso_required"
	ReasonTemporaryExpired    = "temporary_password_expired"
	ReasonMethodNotAllowed    = "method_not_allowed"
)

// flow holds the sign-in logic; Handler is its HTTP face.
type flow struct {
	client    *ent.Client
	sessions  *session.Manager
	hasher    hasher
	now       func() time.Time
	log       *slog.Logger
	throttle  *throttle
	hashSlots chan struct{} // bounds concurrent argon2id work
}

// strategy is one way of proving who is signing in, for one attempt: a
// value holds what the client sent. The sign-in flow (signInWith) runs its
// steps in order:
//
//	prove → (the flow's account gates) → accepted → record, in the
//	session's transaction
//
// Each step that refuses returns the refusal already recorded (failure.go).
type strategy interface {
	// method is the session method a success records.
	method() session.Method
	// prove establishes the organization and the account the caller
	// proves to hold. Until it returns, nothing may tell the caller
	// whether an account exists.
	prove(ctx context.Context) (*attempt, error)
	// accepted runs once the account's gates let it in, outside any
	// transaction: the strategy's own last checks, and slow work (such as
	// re-hashing a password) that must not hold a transaction open.
	accepted(ctx context.Context, a *attempt) error
	// record writes what the strategy keeps of a success, in the
	// transaction that starts the session.
	record(ctx context.Context, tx *ent.Client, a *attempt) error
}

// attempt is the state of one sign-in: what it has learnt so far, for the
// gates, the session and the audit trail.
type attempt struct {
	org   *ent.Organization
	user  *ent.User               // nil when no account has the email
	cred  *ent.PasswordCredential // nil when the account has no password
	email string                  // normalized, as typed
	// passwordChangeRequired starts the session restricted to changing
	// the password (a temporary password).
	passwordChangeRequired bool
	now                    time.Time
	// method is how the attempt signs in (password when empty), for the
	// audit trail of a refusal.
	method session.Method
	// mfaSatisfied starts the session as having passed a second factor:
	// a trusted identity provider attested one (mfaDetails say how).
	mfaSatisfied bool
	mfaDetails   map[string]any
	// details are added to the attempt's audit event, success or refusal
	// (the SSO connection, say).
	details map[string]any
}

// signedIn is a session just created, with its plain token.
type signedIn struct {
	Token   string
	Session *ent.Session
	User    *ent.User
	Org     *ent.Organization
	State   viewer.State
}

// stateOf is the state of session s of u, as the session middleware will
// find it on the next request (authz decides).
func (f *flow) stateOf(ctx context.Context, u *ent.User, s *ent.Session) (viewer.State, error) {
	v, err := authz.LoadViewer(viewer.ForSystem(ctx, u.OrganizationID), f.client, u)
	if err != nil {
		return "", fmt.Errorf("login: session state: %w", err)
	}
	return authz.SessionState(v, s.PasswordChangeRequired, s.MfaSatisfiedAt != nil), nil
}

// signInWith runs the sign-in flow with strategy s.
func (f *flow) signInWith(ctx context.Context, s strategy) (*signedIn, error) {
	a, err := s.prove(ctx)
	if err != nil {
		return nil, err
	}
	// The rest of the flow writes as the server, within the organization.
	ctx = viewer.ForSystem(ctx, a.org.ID)
	// The caller proved to hold the account: from here on the answer may
	// tell them why they cannot come in.
	if err := f.gate(ctx, a, s.method()); err != nil {
		return nil, err
	}
	if err := s.accepted(ctx, a); err != nil {
		return nil, err
	}
	return f.complete(ctx, a, s)
}

// gate applies the account's own rules to a proven attempt: a disabled
// account never comes in, and the organization, the user and each of the
// user's roles must allow the method (authz.SignInMethodAllowed): an
// account that requires single sign-on comes in by no other method.
func (f *flow) gate(ctx context.Context, a *attempt, m session.Method) error {
	u := a.user
	if u.Status == user.StatusSuspended || u.Status == user.StatusDeleted {
		return f.refuse(ctx, *a, ReasonAccountDisabled, ErrAccountDisabled)
	}
	roles, err := f.client.Role.Query().
		Where(role.HasUsersWith(user.ID(u.ID))).
		Select(role.FieldID, role.FieldSignInMethod).
		All(viewer.ForSystem(ctx, a.org.ID))
	if err != nil {
		return fmt.Errorf("login: load roles: %w", err)
	}
	if !authz.SignInMethodAllowed(a.org, u, roles, string(m)) {
		if m == session.MethodPassword {
			return f.refuse(ctx, *a, ReasonSSORequired, ErrSSORequired)
		}
		return f.refuse(ctx, *a, ReasonMethodNotAllowed, ErrMethodNotAllowed)
	}
	return nil
}

// complete records a successful sign-in in one transaction: the user's
// last sign-in (and INVITED → ACTIVE), the strategy's own writes, the new
// session and the audit event.
func (f *flow) complete(ctx context.Context, a *attempt, s strategy) (*signedIn, error) {
	var out *signedIn
	err := f.inTx(ctx, func(tx *ent.Client) error {
		// The status guard makes a suspension that raced this sign-in win.
		u, err := tx.User.UpdateOneID(a.user.ID).
			Where(user.StatusIn(user.StatusInvited, user.StatusActive)).
			SetStatus(user.StatusActive).
			SetLastSignInAt(a.now).
			Save(ctx)
		if ent.IsNotFound(err) {
			return ErrAccountDisabled
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		u.Edges.Organization = a.org
		if err := s.record(ctx, tx, a); err != nil {
			return err
		}
		meta := audit.MetaFrom(ctx)
		tok, ses, err := f.sessions.Create(ctx, tx, u, s.method(), session.CreateOptions{
			PasswordChangeRequired: a.passwordChangeRequired,
			MFASatisfied:           a.mfaSatisfied,
			IP:                     meta.IP,
			UserAgent:              meta.UserAgent,
		})
		if err != nil {
			return err
		}
		details := map[string]any{
			"method":                   string(s.method()),
			"session_id":               string(ses.ID),
			"password_change_required": ses.PasswordChangeRequired,
		}
		for k, v := range a.details {
			details[k] = v
		}
		err = audit.Record(ctx, tx, audit.Event{
			Org:        a.org.ID,
			Action:     audit.SignIn,
			ActorKind:  auditevent.ActorKindUser,
			ActorID:    u.ID,
			TargetType: "user",
			TargetID:   string(u.ID),
			Details:    details,
		})
		if err != nil {
			return err
		}
		if a.mfaSatisfied {
			if err := recordProviderMFA(ctx, tx, a, ses); err != nil {
				return err
			}
		}
		out = &signedIn{Token: tok, Session: ses, User: u, Org: a.org}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrAccountDisabled) {
			return nil, f.refuse(ctx, *a, ReasonAccountDisabled, ErrAccountDisabled)
		}
		return nil, fmt.Errorf("login: sign in: %w", err)
	}
	if out.State, err = f.stateOf(ctx, out.User, out.Session); err != nil {
		return nil, err
	}
	logging.Set(ctx, slog.String(logging.UserKey, string(out.User.ID)))
	f.log.LogAttrs(ctx, slog.LevelInfo, "signed in",
		slog.String(logging.OrgKey, string(out.Org.ID)),
		slog.String(logging.UserKey, string(out.User.ID)),
		slog.String("session", string(out.Session.ID)),
		slog.String("method", string(s.method())),
		slog.String("state", string(out.State)))
	return out, nil
}
