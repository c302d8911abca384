package login

import (
	"context"
	"errors"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Reasons of refused single sign-ons, besides the flow's own.
const (
	ReasonSSOUnknownUser     = "sso_unknown_user"     // no account and no provisioning
	ReasonSSOEmailUnverified = "sso_email_unverified" // the provider does not vouch for the email
	ReasonSSOEmailDomain     = "sso_email_domain"     // the email's domain is not the connection's
	ReasonSSOInvalidToken    = "sso_invalid_token"    // the provider's answer did not verify
	ReasonSSONoSeat          = "sso_no_seat"          // provisioning found no free seat
)

// SSOProof is what single sign-on established: the organization and the
// account (linked, matched by verified email or just provisioned) of the
// person the identity provider vouched for.
type SSOProof struct {
	Org   *ent.Organization
	User  *ent.User
	Email string
	// MFASatisfied: the connection trusts the provider's MFA and the ID
	// token shows a second factor (MFADetails say which, for the audit).
	MFASatisfied bool
	MFADetails   map[string]any
	// Details go into the sign-in's audit event (connection, issuer).
	Details map[string]any
	// Record runs in the transaction that starts the session (linking
	// the identity, say); nil for nothing.
	Record func(ctx context.Context, tx *ent.Client, u *ent.User) error
}

// SSORefusal is a single sign-on refused before the account is known to
// the flow: SignInSSO audits it in Org (when known) and answers Err.
type SSORefusal struct {
	Org     *ent.Organization // nil: nothing to audit in (logged only)
	User    *ent.User
	Email   string
	Reason  string
	Details map[string]any
	Err     error
}

func (r *SSORefusal) Error() string { return r.Err.Error() }
func (r *SSORefusal) Unwrap() error { return r.Err }

// SignedIn is a session SignInSSO started, with its plain token (to set as
// the cookie, never to log).
type SignedIn struct {
	Token   string
	Session *ent.Session
	User    *ent.User
	Org     *ent.Organization
	State   viewer.State
}

// SignInSSO runs the sign-in flow for single sign-on: prove is the
// identity provider's part; the account gates (suspended, sign-in
// method), the session and the audit trail are the password sign-in's.
func (h *Handler) SignInSSO(ctx context.Context, prove func(ctx context.Context) (*SSOProof, error)) (*SignedIn, error) {
	out, err := h.flow.signInWith(ctx, &ssoSignIn{f: h.flow, prove_: prove})
	if err != nil {
		return nil, err
	}
	return &SignedIn{Token: out.Token, Session: out.Session, User: out.User, Org: out.Org, State: out.State}, nil
}

// SignOut ends the request's session (audited), as POST /auth/logout does.
func (h *Handler) SignOut(ctx context.Context) error { return h.flow.signOut(ctx) }

// ssoSignIn is the single sign-on strategy for one attempt.
type ssoSignIn struct {
	f      *flow
	prove_ func(ctx context.Context) (*SSOProof, error)
	proof  *SSOProof
}

func (s *ssoSignIn) method() session.Method { return session.MethodSSO }

func (s *ssoSignIn) prove(ctx context.Context) (*attempt, error) {
	p, err := s.prove_(ctx)
	var r *SSORefusal
	if errors.As(err, &r) {
		if r.Org == nil {
			return nil, r.Err
		}
		a := attempt{org: r.Org, user: r.User, email: r.Email, method: session.MethodSSO, details: r.Details}
		return nil, s.f.refuse(viewer.ForSystem(ctx, r.Org.ID), a, r.Reason, r.Err)
	}
	if err != nil {
		return nil, err
	}
	s.proof = p
	p.User.Edges.Organization = p.Org
	return &attempt{
		org: p.Org, user: p.User, email: p.Email, now: s.f.now(), method: session.MethodSSO,
		mfaSatisfied: p.MFASatisfied, mfaDetails: p.MFADetails, details: p.Details,
	}, nil
}

func (s *ssoSignIn) accepted(context.Context, *attempt) error { return nil }

func (s *ssoSignIn) record(ctx context.Context, tx *ent.Client, a *attempt) error {
	if s.proof.Record == nil {
		return nil
	}
	return s.proof.Record(ctx, tx, a.user)
}

// recordProviderMFA audits the second factor a trusted identity provider
// attested as the session's MFA verification.
func recordProviderMFA(ctx context.Context, tx *ent.Client, a *attempt, ses *ent.Session) error {
	d := map[string]any{"method": mfa.MethodProvider, "session_id": string(ses.ID)}
	for k, v := range a.mfaDetails {
		d[k] = v
	}
	return audit.Record(ctx, tx, audit.Event{
		Org:        a.org.ID,
		Action:     mfa.ActionVerified,
		TargetType: "User",
		TargetID:   string(a.user.ID),
		Details:    d,
	})
}
