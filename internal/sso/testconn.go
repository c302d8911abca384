package sso

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// TestReport is what testing a connection found at its provider.
type TestReport struct {
	OK                    bool
	Error                 string // why not, when !OK
	Issuer                string
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	EndSessionEndpoint    string
	JWKSURI               string
	Keys                  int // signing keys published
	SigningAlgorithms     []string
	PKCES256              bool
	Scopes                []string
	RedirectURI           string // to register at the provider
}

// TestConnection fetches connection id's discovery document and keys,
// fresh (not from the cache), and reports what it found; it is audited. A
// provider that cannot be reached is a report with OK false, not an error.
func TestConnection(ctx context.Context, c *ent.Client, id pulid.ID) (*TestReport, error) {
	s, err := FromContext(ctx)
	if err != nil {
		return nil, err
	}
	ctx, err = authz.Require(ctx, c, authz.TestSSOConnection, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	conn, err := c.SSOConnection.Query().Where(ssoconnection.ID(id)).Only(viewer.ForSystem(ctx, viewer.FromContext(ctx).OrgID))
	if err != nil {
		return nil, fmt.Errorf("sso: load connection: %w", err)
	}
	r := &TestReport{Issuer: conn.Issuer, RedirectURI: s.RedirectURI()}
	e, err := s.Providers.fetch(ctx, conn.Issuer)
	if err != nil {
		// The cause, shortened: enough to tell a wrong URL from an outage,
		// not a copy of whatever the URL answered.
		r.Error = trunc(err.Error(), 200)
	} else {
		r.AuthorizationEndpoint = e.p.Endpoint().AuthURL
		r.TokenEndpoint = e.p.Endpoint().TokenURL
		r.UserinfoEndpoint = e.p.UserInfoEndpoint()
		r.EndSessionEndpoint = e.meta.EndSession
		r.JWKSURI = e.meta.JWKS
		r.SigningAlgorithms = e.meta.Algs
		r.PKCES256 = slices.Contains(e.meta.PKCE, "S256")
		r.Scopes = e.meta.Scopes
		if r.Keys, err = s.Providers.countKeys(ctx, e.meta.JWKS); err != nil {
			r.Error = trunc(err.Error(), 200)
		} else if r.Keys == 0 {
			r.Error = "the provider publishes no signing key"
		} else {
			r.OK = true
			// The fresh document replaces the cached one.
			s.Providers.put(conn.Issuer, e)
		}
	}
	if err := audit.Record(ctx, c, audit.Event{Action: ActionConnectionTested, TargetType: "sso_connection",
		TargetID: string(conn.ID), Details: map[string]any{"ok": r.OK, "error": trunc(r.Error, 300), "keys": r.Keys}}); err != nil {
		return nil, err
	}
	return r, nil
}
