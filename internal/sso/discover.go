package sso

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Realm is what home-realm discovery tells the sign-in page about an
// address: the connection its domain signs in through (nil for none), and
// whether the organization allows nothing but single sign-on. It depends
// only on the organization and the domain, never on whether an account
// exists, so it tells nobody who is a member.
type Realm struct {
	Connection  *ent.SSOConnection
	SSORequired bool
}

// Discover answers home-realm discovery for email in the organization
// whose slug is orgSlug. An unknown organization answers like one with no
// connection. Only connections of that organization are considered: one
// organization cannot capture another's domain.
func (s *Service) Discover(ctx context.Context, orgSlug, email string) (*Realm, error) {
	org, err := s.Client.Organization.Query().Where(organization.Slug(orgSlug)).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		return &Realm{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sso: discover: %w", err)
	}
	out := &Realm{SSORequired: org.SignInMethod == organization.SignInMethodSSO}
	domain := domainOf(schema.NormalizeEmail(email))
	if domain == "" {
		return out, nil
	}
	conns, err := s.Client.SSOConnection.Query().Where(ssoconnection.Enabled(true)).
		Order(ent.Asc(ssoconnection.FieldCreatedAt)).All(viewer.ForSystem(ctx, org.ID))
	if err != nil {
		return nil, fmt.Errorf("sso: discover: %w", err)
	}
	for _, c := range conns {
		if slices.Contains(c.EmailDomains, domain) {
			out.Connection = c
			break
		}
	}
	return out, nil
}
