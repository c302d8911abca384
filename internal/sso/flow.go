package sso

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/clock"
)

// Reasons recorded in the audit trail of a refused single sign-on.
const (
	ReasonProviderError       = "sso_provider_error"       // the provider answered with an error
	ReasonProviderUnavailable = "sso_provider_unavailable" // unreachable or too slow
	ReasonStateMismatch       = "sso_state_mismatch"
	ReasonCodeRejected        = "sso_code_rejected" // the token endpoint refused the code (replayed, expired)
	ReasonInvalidToken        = "sso_invalid_token" // signature, issuer, audience, expiry, azp
	ReasonNonceMismatch       = "sso_nonce_mismatch"
	ReasonEmailUnverified     = "sso_email_unverified"
	ReasonEmailDomain         = "sso_email_domain"
	ReasonUnknownUser         = "sso_unknown_user"
	ReasonIdentityConflict    = "sso_identity_conflict"
	ReasonNoSeat              = "sso_no_seat"
)

// Errors answered to a refused single sign-on.
var (
	ErrConnectionNotFound = &apperr.Error{Kind: apperr.NotFound, Code: "sso_connection_not_found",
		Message: "This single sign-on connection does not exist or is disabled."}
	ErrProviderError = &apperr.Error{Kind: apperr.Unauthenticated, Code: "sso_provider_error",
		Message: "The identity provider did not sign you in."}
	ErrCodeRejected = &apperr.Error{Kind: apperr.Unauthenticated, Code: "sso_code_rejected",
		Message: "The identity provider refused the sign-in code (it was used or expired): start again."}
	ErrInvalidToken = &apperr.Error{Kind: apperr.Unauthenticated, Code: "sso_invalid_token",
		Message: "The identity provider's answer could not be verified."}
	ErrEmailUnverified = &apperr.Error{Kind: apperr.Forbidden, Code: "sso_email_unverified",
		Message: "The identity provider does not vouch for your email address."}
	ErrEmailDomain = &apperr.Error{Kind: apperr.Forbidden, Code: "sso_email_domain",
		Message: "Your email address's domain may not sign in through this connection."}
	ErrUnknownUser = &apperr.Error{Kind: apperr.Forbidden, Code: "sso_unknown_user",
		Message: "You have no account in this organization: ask an administrator to invite you."}
	ErrIdentityConflict = &apperr.Error{Kind: apperr.Conflict, Code: "sso_identity_conflict",
		Message: "Your account is already linked to another identity at this provider."}
	ErrNoSeat = &apperr.Error{Kind: apperr.Conflict, Code: "sso_no_seat",
		Message: "The organization has no free seat for a new account: ask an administrator."}
)

// Refusal is a single sign-on refused once its organization is known: the
// sign-in flow audits it there (auth.sign_in_failed) and answers Err.
type Refusal struct {
	Org     *ent.Organization
	User    *ent.User // the account concerned, when known
	Email   string
	Reason  string
	Details map[string]any
	Err     error
}

func (r *Refusal) Error() string { return r.Reason + ": " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Begun is a sign-in sent to the provider: the browser goes to AuthURL
// carrying Cookie (the sealed state) until Expires.
type Begun struct {
	AuthURL string
	Cookie  string
	Expires time.Time
}

// Identity is what a verified ID token (and userinfo) said.
type Identity struct {
	Conn    *ent.SSOConnection
	Org     *ent.Organization
	Issuer  string
	Subject string
	Email   string
	// EmailVerified is the provider's email_verified; nil when it says
	// nothing.
	EmailVerified *bool
	Name          string
	Groups        []string
	AMR           []string
	ACR           string
	RawIDToken    string
	ReturnTo      string
}

// connection loads an enabled connection and its organization, across
// organizations (the id is global; nobody is signed in yet).
func (s *Service) connection(ctx context.Context, id pulid.ID) (*ent.SSOConnection, error) {
	if id.Prefix() != "sso" {
		return nil, ErrConnectionNotFound
	}
	conn, err := s.Client.SSOConnection.Query().
		Where(ssoconnection.ID(id), ssoconnection.Enabled(true)).
		WithOrganization().
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		return nil, ErrConnectionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sso: load connection: %w", err)
	}
	return conn, nil
}

// oauthConfig is conn's OAuth 2.0 client at provider e.
func (s *Service) oauthConfig(conn *ent.SSOConnection, e *providerEntry) (*oauth2.Config, error) {
	secret := ""
	if HasClientSecret(conn) {
		b, err := s.Box.Open(conn.ClientSecretSealed, secretAD(conn.ID))
		if err != nil {
			return nil, fmt.Errorf("sso: open client secret of %s: %w", conn.ID, err)
		}
		secret = string(b)
	}
	scopes := []string{oidc.ScopeOpenID}
	if len(conn.Scopes) == 0 {
		scopes = append(scopes, "email", "profile")
	}
	scopes = append(scopes, conn.Scopes...)
	return &oauth2.Config{
		ClientID: conn.ClientID, ClientSecret: secret,
		Endpoint: e.p.Endpoint(), RedirectURL: s.RedirectURI(), Scopes: scopes,
	}, nil
}

// Begin starts a sign-in through connection id: the authorization code
// flow with PKCE (S256), a fresh state and nonce sealed into the cookie,
// and returnTo checked against PUBLIC_URL.
func (s *Service) Begin(ctx context.Context, id pulid.ID, returnTo string) (*Begun, error) {
	back, err := SafeReturn(s.PublicURL, returnTo)
	if err != nil {
		return nil, err
	}
	conn, err := s.connection(ctx, id)
	if err != nil {
		return nil, err
	}
	e, err := s.Providers.get(ctx, conn.Issuer)
	if err != nil {
		return nil, err
	}
	cfg, err := s.oauthConfig(conn, e)
	if err != nil {
		return nil, err
	}
	exp := clock.Now(ctx).Add(StateTTL)
	st := loginState{
		Connection: conn.ID, State: oauth2.GenerateVerifier(), Nonce: oauth2.GenerateVerifier(),
		Verifier: oauth2.GenerateVerifier(), ReturnTo: back, Expires: exp.Unix(),
	}
	cookie, err := s.sealState(st)
	if err != nil {
		return nil, fmt.Errorf("sso: seal state: %w", err)
	}
	u := cfg.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return &Begun{AuthURL: u, Cookie: cookie, Expires: exp}, nil
}

// Finish checks the callback of a sign-in: the state against the cookie,
// then exchanges the code (with the PKCE verifier) and verifies the ID
// token — signature by the provider's keys, issuer, audience, expiry,
// nonce and azp — and reads userinfo when the token lacks the email or
// email_verified. An error once the connection is known is a *Refusal.
func (s *Service) Finish(ctx context.Context, cookie string, q url.Values) (*Identity, error) {
	st, err := s.openState(cookie, clock.Now(ctx))
	if err != nil {
		return nil, err
	}
	conn, err := s.connection(ctx, st.Connection)
	if err != nil {
		return nil, err
	}
	org := conn.Edges.Organization
	refuse := func(reason string, err error, details ...any) error {
		d := map[string]any{"connection_id": string(conn.ID), "issuer": conn.Issuer}
		for i := 0; i+1 < len(details); i += 2 {
			d[details[i].(string)] = details[i+1]
		}
		return &Refusal{Org: org, Reason: reason, Details: d, Err: err}
	}
	if q.Get("state") == "" || q.Get("state") != st.State {
		return nil, refuse(ReasonStateMismatch, ErrStateMismatch)
	}
	if e := q.Get("error"); e != "" {
		return nil, refuse(ReasonProviderError, ErrProviderError, "error", trunc(e, 100), "error_description", trunc(q.Get("error_description"), 300))
	}
	code := q.Get("code")
	if code == "" {
		return nil, refuse(ReasonProviderError, ErrProviderError, "error", "no code")
	}
	e, err := s.Providers.get(ctx, conn.Issuer)
	if err != nil {
		return nil, refuse(ReasonProviderUnavailable, err)
	}
	cfg, err := s.oauthConfig(conn, e)
	if err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(s.Providers.HTTPContext(ctx), s.Providers.client.Timeout)
	defer cancel()
	tok, err := cfg.Exchange(hctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, refuse(ReasonCodeRejected, ErrCodeRejected, "error", trunc(re.ErrorCode, 100))
		}
		return nil, refuse(ReasonProviderUnavailable, unavailable("token", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse(ReasonInvalidToken, ErrInvalidToken, "error", "no id_token")
	}
	verifier := e.p.Verifier(&oidc.Config{ClientID: conn.ClientID, Now: func() time.Time { return clock.Now(ctx) }})
	idt, err := verifier.Verify(hctx, raw)
	if err != nil {
		if hctx.Err() != nil {
			return nil, refuse(ReasonProviderUnavailable, unavailable("keys", err))
		}
		return nil, refuse(ReasonInvalidToken, ErrInvalidToken, "error", trunc(err.Error(), 300))
	}
	if idt.Nonce != st.Nonce {
		return nil, refuse(ReasonNonceMismatch, ErrInvalidToken)
	}
	var cl tokenClaims
	if err := idt.Claims(&cl); err != nil {
		return nil, refuse(ReasonInvalidToken, ErrInvalidToken, "error", "unreadable claims")
	}
	// azp, when present, must be this client; a token for several
	// audiences must name it.
	if (cl.AZP != "" && cl.AZP != conn.ClientID) || (cl.AZP == "" && len(idt.Audience) > 1) {
		return nil, refuse(ReasonInvalidToken, ErrInvalidToken, "error", "azp is not this client")
	}
	var all map[string]any
	_ = idt.Claims(&all)
	id := &Identity{
		Conn: conn, Org: org, Issuer: idt.Issuer, Subject: idt.Subject,
		Email: strings.TrimSpace(cl.Email), EmailVerified: cl.verified(), Name: cl.name(),
		Groups: groupsOf(all, conn.GroupsClaim), AMR: cl.AMR, ACR: cl.ACR, RawIDToken: raw, ReturnTo: st.ReturnTo,
	}
	// Some providers (npm oidc-provider by default, Entra for some
	// accounts) put email only in userinfo, or leave out email_verified.
	if (id.Email == "" || id.EmailVerified == nil || id.Groups == nil) && e.p.UserInfoEndpoint() != "" {
		ui, err := e.p.UserInfo(hctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			if id.Email == "" {
				return nil, refuse(ReasonProviderUnavailable, unavailable("userinfo", err))
			}
		} else {
			if ui.Subject != id.Subject {
				return nil, refuse(ReasonInvalidToken, ErrInvalidToken, "error", "userinfo is about another subject")
			}
			var uc tokenClaims
			var uall map[string]any
			_ = ui.Claims(&uc)
			_ = ui.Claims(&uall)
			if id.Email == "" {
				id.Email, id.EmailVerified = strings.TrimSpace(uc.Email), uc.verified()
			} else if id.EmailVerified == nil && strings.EqualFold(uc.Email, id.Email) {
				id.EmailVerified = uc.verified()
			}
			if id.Name == "" {
				id.Name = uc.name()
			}
			if id.Groups == nil {
				id.Groups = groupsOf(uall, conn.GroupsClaim)
			}
		}
	}
	return id, nil
}

// tokenClaims are the claims read from an ID token or userinfo.
type tokenClaims struct {
	Email             string   `json:"email"`
	EmailVerified     any      `json:"email_verified"` // a bool; some providers send "true"
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	AMR               []string `json:"amr"`
	ACR               string   `json:"acr"`
	AZP               string   `json:"azp"`
}

func (c tokenClaims) verified() *bool {
	var v bool
	switch x := c.EmailVerified.(type) {
	case bool:
		v = x
	case string:
		v = strings.EqualFold(x, "true")
	default:
		return nil
	}
	return &v
}

func (c tokenClaims) name() string {
	if c.Name != "" {
		return trunc(c.Name, 200)
	}
	return ""
}

// groupsOf reads the groups claim (a list of strings, or one string);
// nil when absent.
func groupsOf(claims map[string]any, name string) []string {
	if name == "" {
		name = "groups"
	}
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := []string{}
		for _, x := range v {
			if s, ok := x.(string); ok && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
