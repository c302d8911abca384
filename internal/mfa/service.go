package mfa

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Outcome is how a checked second-factor attempt ended, for the Limiter.
type Outcome int

const (
	// Unchecked: no code was checked (bad input, a failure of the server).
	Unchecked Outcome = iota
	// Failed: a wrong, replayed or used code.
	Failed
	// Succeeded: the code was right.
	Succeeded
)

// Limiter is the sign-in throttle that second-factor attempts share with
// passwords (auth/login): per account and client address, and per account
// over all addresses. Admit refuses with the wait, or returns the settle
// function the attempt must call once.
type Limiter interface {
	Admit(orgSlug, normalizedEmail, addr string) (settle func(Outcome), wait time.Duration)
}

// Lockout bounds: after LockAfter consecutive wrong codes over all sessions
// the account's second factor is locked for LockFor, whatever the address.
const (
	LockAfter = 10
	LockFor   = 15 * time.Minute
)

// Config configures a Service.
type Config struct {
	// Box seals authenticator-app secrets and keys recovery-code hashes
	// (the server's SECRET_KEY).
	Box *seal.Box
	// Issuer names the service in authenticator apps ("clinicgate").
	Issuer string
	// Limiter is the sign-in throttle shared with passwords; nil
	// throttles nothing but the lockout.
	Limiter Limiter
	Logger  *slog.Logger
}

// Service runs the second-factor operations over the root client.
type Service struct {
	client *ent.Client
	cfg    Config
}

// New returns a Service over client.
func New(client *ent.Client, cfg Config) *Service {
	if cfg.Issuer == "" {
		cfg.Issuer = "clinicgate"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{client: client, cfg: cfg}
}

// keyed refuses to run without the server key.
func (s *Service) keyed() error {
	if s.cfg.Box == nil {
		return apperr.New(apperr.Internal, "the server has no key to seal second factors with")
	}
	return nil
}

// inTx runs fn in a transaction of the root client.
func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	return store.InTx(ctx, s.client, fn)
}

// signedIn returns the signed-in user viewer of ctx, or UNAUTHENTICATED.
func (s *Service) signedIn(ctx context.Context) (*viewer.Viewer, error) {
	if err := s.keyed(); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return v, nil
}

// account is the viewer's user and organization slug, read as the server:
// the throttle's key and the name shown in authenticator apps.
type account struct {
	user *ent.User
	slug string
}

func (s *Service) account(ctx context.Context, v *viewer.Viewer) (account, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	u, err := s.client.User.Query().Where(user.ID(v.UserID)).Only(sys)
	if err != nil {
		return account{}, fmt.Errorf("mfa: load user: %w", err)
	}
	o, err := s.client.Organization.Query().Where(organization.ID(v.OrgID)).Select(organization.FieldSlug).Only(sys)
	if err != nil {
		return account{}, fmt.Errorf("mfa: load organization: %w", err)
	}
	return account{user: u, slug: o.Slug}, nil
}

// admit asks the shared throttle and the persisted lockout whether a code
// of acc may be checked now. The returned settle must be called once.
func (s *Service) admit(ctx context.Context, acc account, now time.Time) (func(Outcome), error) {
	if until := acc.user.MfaLockedUntil; until != nil && now.Before(*until) {
		return nil, tooMany(until.Sub(now))
	}
	if s.cfg.Limiter == nil {
		return func(Outcome) {}, nil
	}
	settle, wait := s.cfg.Limiter.Admit(acc.slug, acc.user.EmailNormalized, audit.MetaFrom(ctx).IP)
	if wait > 0 {
		return nil, tooMany(wait)
	}
	return settle, nil
}

// tooMany is the refusal of a throttled or locked second factor. It says
// nothing about the account beyond "wait".
func tooMany(wait time.Duration) error {
	e := apperr.New(apperr.TooManyRequests, "too many attempts; try again later")
	e.Code = "too_many_attempts"
	e.RetryAfter = wait
	return e
}

// errWrongCode is the one refusal of a wrong, replayed or used code.
func errWrongCode() error {
	e := apperr.New(apperr.Invalid, "the code is not valid")
	e.Code = "invalid_code"
	e.Field = "code"
	return e
}
