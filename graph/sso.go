package graph

import (
	"context"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/schema/ssomapping"
	"github.com/clinicgate/clinicgate/internal/sso"
)

// Translations between the SSO connection's wire shapes and internal/sso.

func ssoMappings(in []*SSOClaimMappingInput) *[]ssomapping.Mapping {
	if in == nil {
		return nil
	}
	out := make([]ssomapping.Mapping, 0, len(in))
	for _, m := range in {
		var x ssomapping.Mapping
		x.Value = m.Value
		if m.RoleID != nil {
			x.RoleID = *m.RoleID
		}
		if m.BusinessUnitID != nil {
			x.BusinessUnitID = *m.BusinessUnitID
		}
		out = append(out, x)
	}
	return &out
}

func optList(l []string) *[]string {
	if l == nil {
		return nil
	}
	return &l
}

func createSSOConnection(ctx context.Context, c *ent.Client, in CreateSSOConnectionInput) (*SSOConnectionPayload, error) {
	conn, err := sso.CreateConnection(ctx, c, sso.ConnectionInput{
		Name: &in.Name, Issuer: &in.Issuer, ClientID: &in.ClientID, ClientSecret: in.ClientSecret,
		Scopes: optList(in.Scopes), EmailDomains: optList(in.EmailDomains), Enabled: in.Enabled,
		TrustProviderMFA: in.TrustProviderMfa, AutoProvision: in.AutoProvision,
		DefaultRoleID: in.DefaultRoleID, DefaultBusinessUnitID: in.DefaultBusinessUnitID,
		GroupsClaim: in.GroupsClaim, ClaimMappings: ssoMappings(in.Mappings),
	})
	if err != nil {
		return nil, err
	}
	return &SSOConnectionPayload{SsoConnection: conn}, nil
}

func updateSSOConnection(ctx context.Context, c *ent.Client, in UpdateSSOConnectionInput) (*SSOConnectionPayload, error) {
	conn, err := sso.UpdateConnection(ctx, c, in.ID, sso.ConnectionInput{
		Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
		Scopes: optList(in.Scopes), EmailDomains: optList(in.EmailDomains), Enabled: in.Enabled,
		TrustProviderMFA: in.TrustProviderMfa, AutoProvision: in.AutoProvision,
		DefaultRoleID: in.DefaultRoleID, DefaultBusinessUnitID: in.DefaultBusinessUnitID,
		GroupsClaim: in.GroupsClaim, ClaimMappings: ssoMappings(in.Mappings),
	})
	if err != nil {
		return nil, err
	}
	return &SSOConnectionPayload{SsoConnection: conn}, nil
}

func deleteSSOConnection(ctx context.Context, c *ent.Client, id pulid.ID) (*DeleteSSOConnectionPayload, error) {
	if err := sso.DeleteConnection(ctx, c, id); err != nil {
		return nil, err
	}
	return &DeleteSSOConnectionPayload{DeletedID: id}, nil
}

func testSSOConnection(ctx context.Context, c *ent.Client, id pulid.ID) (*SSOConnectionTestReport, error) {
	r, err := sso.TestConnection(ctx, c, id)
	if err != nil {
		return nil, err
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	list := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	return &SSOConnectionTestReport{
		Ok: r.OK, Error: opt(r.Error), Issuer: r.Issuer,
		AuthorizationEndpoint: opt(r.AuthorizationEndpoint), TokenEndpoint: opt(r.TokenEndpoint),
		UserinfoEndpoint: opt(r.UserinfoEndpoint), EndSessionEndpoint: opt(r.EndSessionEndpoint),
		JwksURI: opt(r.JWKSURI), Keys: r.Keys, SigningAlgorithms: list(r.SigningAlgorithms),
		PkceS256: r.PKCES256, Scopes: list(r.Scopes), RedirectURI: r.RedirectURI,
	}, nil
}

// ssoRole and ssoUnit load a role or unit a connection names, under the
// viewer's read rules (null when gone or unreadable).
func ssoRole(ctx context.Context, c *ent.Client, id *pulid.ID) (*ent.Role, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	r, err := c.Role.Query().Where(role.ID(*id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

func ssoUnit(ctx context.Context, c *ent.Client, id *pulid.ID) (*ent.BusinessUnit, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	b, err := c.BusinessUnit.Query().Where(businessunit.ID(*id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return b, err
}

func ssoConnectionMappings(ctx context.Context, c *ent.Client, conn *ent.SSOConnection) ([]*SSOClaimMapping, error) {
	out := make([]*SSOClaimMapping, 0, len(conn.ClaimMappings))
	for _, m := range conn.ClaimMappings {
		x := &SSOClaimMapping{Value: m.Value}
		var err error
		if m.RoleID != "" {
			if x.Role, err = ssoRole(ctx, c, &m.RoleID); err != nil {
				return nil, err
			}
		}
		if m.BusinessUnitID != "" {
			if x.BusinessUnit, err = ssoUnit(ctx, c, &m.BusinessUnitID); err != nil {
				return nil, err
			}
		}
		out = append(out, x)
	}
	return out, nil
}

func ssoLoginURL(ctx context.Context, conn *ent.SSOConnection) (string, error) {
	s, err := sso.FromContext(ctx)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.PublicURL, "/") + "/auth/oidc/" + string(conn.ID) + "/login", nil
}

func ssoRedirectURI(ctx context.Context) (string, error) {
	s, err := sso.FromContext(ctx)
	if err != nil {
		return "", err
	}
	return s.RedirectURI(), nil
}
