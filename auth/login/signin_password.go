package login

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

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

// signIn signs in with a password.
func (f *flow) signIn(ctx context.Context, in credentials) (*signedIn, error) {
	return f.signInWith(ctx, &passwordSignIn{f: f, in: in})
}

// passwordSignIn is the password strategy for one attempt.
type passwordSignIn struct {
	f      *flow
	in     credentials
	rehash bool   // the stored hash is verified but due an upgrade
	hash   string // the upgraded hash, once accepted
}

func (p *passwordSignIn) method() session.Method { return session.MethodPassword }

// prove checks the form, the throttle and the password. Every way of
// failing before the password is known right costs one verification, real
// or dummy, and gives one answer.
func (p *passwordSignIn) prove(ctx context.Context) (*attempt, error) {
	f := p.f
	slug := strings.TrimSpace(p.in.Organization)
	email := schema.NormalizeEmail(p.in.Email)
	switch {
	case slug == "":
		return nil, invalidRequest("organization is required.")
	case email == "":
		return nil, invalidRequest("email is required.")
	case p.in.Password == "":
		return nil, invalidRequest("password is required.")
	}
	tk, wait := f.throttle.admit(accountKey(strings.ToLower(slug), email), audit.MetaFrom(ctx).IP)
	if wait > 0 {
		f.log.LogAttrs(ctx, slog.LevelInfo, "sign-in throttled", slog.Duration("retry_after", wait))
		return nil, tooManyAttempts(wait)
	}
	a, o, err := p.check(ctx, slug, email)
	f.throttle.settle(tk, o)
	return a, err
}

// check is prove past the throttle; it also says what the attempt was, for
// the throttle to settle.
func (p *passwordSignIn) check(ctx context.Context, slug, email string) (*attempt, outcome, error) {
	f, plain := p.f, p.in.Password
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
	a := &attempt{org: org, user: u, cred: cred, email: email}

	// An organization that requires SSO refuses every password, whoever
	// the account: this tells nothing about which accounts exist.
	if org.SignInMethod == organization.SignInMethodSSO {
		return nil, unchecked, f.refuse(ctx, *a, ReasonSSORequired, ErrSSORequired)
	}
	if cred == nil {
		if err := f.dummyVerify(ctx, plain); err != nil {
			return nil, unchecked, err
		}
		reason := ReasonUnknownUser
		if u != nil {
			reason = ReasonNoPassword
		}
		return nil, failed, f.refuse(ctx, *a, reason, ErrInvalidCredentials)
	}
	ok, rehash, err := f.verify(ctx, cred.Hash, plain)
	if err != nil {
		return nil, unchecked, err
	}
	if !ok {
		return nil, failed, f.failedPassword(ctx, *a, true)
	}
	p.rehash = rehash
	a.now = f.now()
	a.passwordChangeRequired = cred.MustChange
	return a, succeeded, nil
}

// accepted refuses a temporary password past its expiry, and hashes the
// password again when its stored hash is due an upgrade.
func (p *passwordSignIn) accepted(ctx context.Context, a *attempt) error {
	cred := a.cred
	if cred.MustChange && cred.TemporaryExpiresAt != nil && !a.now.Before(*cred.TemporaryExpiresAt) {
		return p.f.refuse(ctx, *a, ReasonTemporaryExpired, ErrTemporaryPasswordExpired)
	}
	if p.rehash {
		h, err := p.f.hash(ctx, p.in.Password)
		if err != nil {
			return err
		}
		p.hash = h
	}
	return nil
}

// record resets the credential's failure counter (and stores the upgraded
// hash).
func (p *passwordSignIn) record(ctx context.Context, tx *ent.Client, a *attempt) error {
	// locked_until is set no more; rows from before are cleared.
	cu := tx.PasswordCredential.UpdateOneID(a.cred.ID).
		SetFailedAttempts(0).
		ClearLockedUntil()
	if p.hash != "" {
		cu.SetHash(p.hash)
	}
	if err := cu.Exec(ctx); err != nil {
		return fmt.Errorf("update credential: %w", err)
	}
	return nil
}
