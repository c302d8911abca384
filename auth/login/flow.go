// Package login is the password sign-in flow and what goes with it:
// changing the password (which a temporary password forces), signing out,
// and reading the current session. flow.go decides, handler.go speaks HTTP,
// error.go names the refusals; state_login.mermaid draws the sign-in
// branches.
//
// Every outcome that changes state is one transaction with its audit event:
// a successful sign-in (user, credential, session, auth.sign_in), a failed
// one (attempt counter, auth.sign_in_failed), a password change (credential,
// every session revoked, a fresh session, auth.password_changed), a sign-out
// (session revoked, auth.sign_out). No transaction is held open while a
// password is being hashed.
//
// Attempts are throttled before the database is asked anything
// (ratelimit.go), alike for accounts that exist and accounts that do not;
// past the throttle, every attempt that names no usable password costs a
// hash verification, so unknown, wrong and throttled answer alike in status,
// body and time. No attempt ever locks an account.
//
// Plain passwords and tokens are never logged, audited nor put in errors.
package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema"
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

// hasher is what the flow asks of password.Hasher.
type hasher interface {
	Hash(plain string) (string, error)
	Verify(encoded, plain string) (ok, needsRehash bool, err error)
	VerifyDummy(plain string)
}

// credentials is what a sign-in form sends.
type credentials struct {
	Organization string
	Email        string
	Password     string
}

// signedIn is a session just created, with its plain token.
type signedIn struct {
	Token   string
	Session *ent.Session
	User    *ent.User
	Org     *ent.Organization
}

// signIn checks credentials and starts a password session.
func (f *flow) signIn(ctx context.Context, in credentials) (*signedIn, error) {
	slug := strings.TrimSpace(in.Organization)
	email := schema.NormalizeEmail(in.Email)
	switch {
	case slug == "":
		return nil, invalidRequest("organization is required.")
	case email == "":
		return nil, invalidRequest("email is required.")
	case in.Password == "":
		return nil, invalidRequest("password is required.")
	}
	tk, wait := f.throttle.admit(accountKey(strings.ToLower(slug), email), audit.MetaFrom(ctx).IP)
	if wait > 0 {
		f.log.LogAttrs(ctx, slog.LevelInfo, "sign-in throttled", slog.Duration("retry_after", wait))
		return nil, tooManyAttempts(wait)
	}
	out, o, err := f.checkSignIn(ctx, slug, email, in.Password)
	f.throttle.settle(tk, o)
	return out, err
}

// checkSignIn is signIn past the throttle; it also says what the attempt
// was, for the throttle to settle.
func (f *flow) checkSignIn(ctx context.Context, slug, email, plain string) (*signedIn, outcome, error) {
	org, err := f.client.Organization.Query().
		Where(organization.Slug(slug)).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		if err := f.dummyVerify(ctx, plain); err != nil {
			return nil, unchecked, err
		}
		f.log.LogAttrs(ctx, slog.LevelInfo, "sign-in refused",
			slog.String("reason", ReasonUnknownOrganization))
		return nil, failed, ErrInvalidCredentials
	}
	if err != nil {
		return nil, unchecked, fmt.Errorf("login: look up organization: %w", err)
	}
	ctx = viewer.ForSystem(ctx, org.ID)
	logging.Set(ctx, slog.String(logging.OrgKey, string(org.ID)))

	u, err := f.client.User.Query().
		Where(user.EmailNormalized(email)).
		WithPasswordCredential().
		Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, unchecked, fmt.Errorf("login: look up user: %w", err)
	}
	var cred *ent.PasswordCredential
	if u != nil {
		cred = u.Edges.PasswordCredential
		u.Edges.Organization = org
	}
	a := attempt{org: org, user: u, cred: cred, email: email}

	// An organization that requires SSO refuses every password, whoever
	// the account: this tells nothing about which accounts exist.
	if org.SignInMethod == organization.SignInMethodSSO {
		return nil, unchecked, f.refuse(ctx, a, ReasonSSORequired, ErrSSORequired)
	}
	if cred == nil {
		if err := f.dummyVerify(ctx, plain); err != nil {
			return nil, unchecked, err
		}
		reason := ReasonUnknownUser
		if u != nil {
			reason = ReasonNoPassword
		}
		return nil, failed, f.refuse(ctx, a, reason, ErrInvalidCredentials)
	}

	ok, rehash, err := f.verify(ctx, cred.Hash, plain)
	if err != nil {
		return nil, unchecked, err
	}
	if !ok {
		return nil, failed, f.failedPassword(ctx, a, true)
	}

	// The password is right: from here on the answer may tell its holder
	// why they cannot come in.
	now := f.now()
	switch {
	case u.Status == user.StatusSuspended || u.Status == user.StatusDeleted:
		return nil, succeeded, f.refuse(ctx, a, ReasonAccountDisabled, ErrAccountDisabled)
	case u.SignInMethod == user.SignInMethodSSO:
		return nil, succeeded, f.refuse(ctx, a, ReasonSSORequired, ErrSSORequired)
	case cred.MustChange && cred.TemporaryExpiresAt != nil && !now.Before(*cred.TemporaryExpiresAt):
		return nil, succeeded, f.refuse(ctx, a, ReasonTemporaryExpired, ErrTemporaryPasswordExpired)
	}

	var newHash string
	if rehash {
		if newHash, err = f.hash(ctx, plain); err != nil {
			return nil, succeeded, err
		}
	}
	out, err := f.completeSignIn(ctx, a, newHash, now)
	return out, succeeded, err
}

// completeSignIn records a successful sign-in in one transaction: the
// user's last sign-in (and INVITED → ACTIVE), the credential's reset
// counter (and upgraded hash), the new session and the audit event.
func (f *flow) completeSignIn(ctx context.Context, a attempt, newHash string, now time.Time) (*signedIn, error) {
	var out *signedIn
	err := f.inTx(ctx, func(tx *ent.Client) error {
		// The status guard makes a suspension that raced this sign-in win.
		u, err := tx.User.UpdateOneID(a.user.ID).
			Where(user.StatusIn(user.StatusInvited, user.StatusActive)).
			SetStatus(user.StatusActive).
			SetLastSignInAt(now).
			Save(ctx)
		if ent.IsNotFound(err) {
			return ErrAccountDisabled
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		u.Edges.Organization = a.org
		// locked_until is set no more; rows from before are cleared.
		cu := tx.PasswordCredential.UpdateOneID(a.cred.ID).
			SetFailedAttempts(0).
			ClearLockedUntil()
		if newHash != "" {
			cu.SetHash(newHash)
		}
		if err := cu.Exec(ctx); err != nil {
			return fmt.Errorf("update credential: %w", err)
		}
		meta := audit.MetaFrom(ctx)
		tok, s, err := f.sessions.Create(ctx, tx, u, session.MethodPassword, session.CreateOptions{
			PasswordChangeRequired: a.cred.MustChange,
			IP:                     meta.IP,
			UserAgent:              meta.UserAgent,
		})
		if err != nil {
			return err
		}
		err = audit.Record(ctx, tx, audit.Event{
			Org:        a.org.ID,
			Action:     audit.SignIn,
			ActorKind:  auditevent.ActorKindUser,
			ActorID:    u.ID,
			TargetType: "user",
			TargetID:   string(u.ID),
			Details: map[string]any{
				"method":                   string(session.MethodPassword),
				"session_id":               string(s.ID),
				"password_change_required": s.PasswordChangeRequired,
			},
		})
		if err != nil {
			return err
		}
		out = &signedIn{Token: tok, Session: s, User: u, Org: a.org}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrAccountDisabled) {
			return nil, f.refuse(ctx, a, ReasonAccountDisabled, ErrAccountDisabled)
		}
		return nil, fmt.Errorf("login: sign in: %w", err)
	}
	logging.Set(ctx, slog.String(logging.UserKey, string(out.User.ID)))
	f.log.LogAttrs(ctx, slog.LevelInfo, "signed in",
		slog.String(logging.OrgKey, string(out.Org.ID)),
		slog.String(logging.UserKey, string(out.User.ID)),
		slog.String("session", string(out.Session.ID)),
		slog.Bool("password_change_required", out.Session.PasswordChangeRequired))
	return out, nil
}

// attempt is what a sign-in has learnt so far, for the audit trail.
type attempt struct {
	org   *ent.Organization
	user  *ent.User               // nil when no account has the email
	cred  *ent.PasswordCredential // nil when the account has no password
	email string                  // normalized, as typed
}

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
	details := map[string]any{"reason": reason, "method": string(session.MethodPassword)}
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
		details["email"] = truncate(a.email, 320)
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

// signOut revokes the request's session. Without one it does nothing.
func (f *flow) signOut(ctx context.Context) error {
	v, cur := viewer.FromContext(ctx), session.SessionFrom(ctx)
	if v == nil || v.Kind != viewer.User || cur == nil {
		return nil
	}
	ctx, err := authz.Require(ctx, f.client, authz.EndOwnSession, authz.Target{Row: cur.ID})
	if err != nil {
		return fmt.Errorf("login: sign out: %w", err)
	}
	err = f.inTx(ctx, func(tx *ent.Client) error {
		revoked, err := f.sessions.Revoke(ctx, tx, cur.ID, session.ReasonSignOut)
		if err != nil || !revoked {
			return err // already ended (a concurrent sign-out): nothing to audit
		}
		return audit.Record(ctx, tx, audit.Event{
			Action:     audit.SignOut,
			TargetType: "session",
			TargetID:   string(cur.ID),
		})
	})
	if err != nil {
		return fmt.Errorf("login: sign out: %w", err)
	}
	return nil
}

// current returns the request's session with its user and organization.
func (f *flow) current(ctx context.Context) (*signedIn, error) {
	v, cur := viewer.FromContext(ctx), session.SessionFrom(ctx)
	if v == nil || v.Kind != viewer.User || cur == nil {
		return nil, ErrUnauthenticated
	}
	u, err := f.client.User.Query().Where(user.ID(v.UserID)).WithOrganization().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("login: load user: %w", err)
	}
	return &signedIn{Session: cur, User: u, Org: u.Edges.Organization}, nil
}

// inTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise.
func (f *flow) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	tx, err := f.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// verify checks a password against a stored hash within the concurrency
// bound. A malformed stored hash is a server fault, not a wrong password.
func (f *flow) verify(ctx context.Context, encoded, plain string) (ok, rehash bool, err error) {
	if err := f.acquire(ctx); err != nil {
		return false, false, err
	}
	defer f.release()
	ok, rehash, err = f.hasher.Verify(encoded, plain)
	if err != nil {
		return false, false, fmt.Errorf("login: stored password hash: %w", err)
	}
	return ok, rehash, nil
}

// dummyVerify spends a verification's work when there is no hash to check,
// so that unknown accounts answer in the same time as wrong passwords.
func (f *flow) dummyVerify(ctx context.Context, plain string) error {
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	f.hasher.VerifyDummy(plain)
	return nil
}

func (f *flow) hash(ctx context.Context, plain string) (string, error) {
	if err := f.acquire(ctx); err != nil {
		return "", err
	}
	defer f.release()
	h, err := f.hasher.Hash(plain)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	return h, nil
}

func (f *flow) acquire(ctx context.Context) error {
	// Bounded: a flood of sign-ins must not pile up waiting goroutines.
	wait := time.NewTimer(hashWait)
	defer wait.Stop()
	select {
	case f.hashSlots <- struct{}{}:
		return nil
	case <-wait.C:
		return tooManyAttempts(hashWait)
	case <-ctx.Done():
		return fmt.Errorf("login: waiting to hash: %w", ctx.Err())
	}
}

// hashWait is how long a sign-in waits for a password-hashing slot before
// it is told to come back later.
const hashWait = 5 * time.Second

func (f *flow) release() { <-f.hashSlots }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
