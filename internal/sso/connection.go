package sso

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/schema/ssomapping"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/ent/useridentity"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	ActionConnectionCreated = "sso.connection_created"
	ActionConnectionUpdated = "sso.connection_updated"
	ActionConnectionDeleted = "sso.connection_deleted"
	ActionConnectionTested  = "sso.connection_tested"
	ActionIdentityLinked    = "sso.identity_linked"
	ActionUserProvisioned   = "sso.user_provisioned"
)

// ConnectionInput is a connection's settings. On update, a nil field is
// left as it is; ClientSecret is write-only (never returned) and an empty
// string clears it.
type ConnectionInput struct {
	Name                  *string
	Issuer                *string
	ClientID              *string
	ClientSecret          *string
	Scopes                *[]string
	EmailDomains          *[]string
	Enabled               *bool
	TrustProviderMFA      *bool
	AutoProvision         *bool
	DefaultRoleID         *pulid.ID // "" clears
	DefaultBusinessUnitID *pulid.ID // "" clears
	GroupsClaim           *string
	ClaimMappings         *[]ssomapping.Mapping
}

// secretAD binds a sealed client secret to its connection row.
func secretAD(id pulid.ID) []byte { return []byte("sso-client-secret:" + string(id)) }

// normalize checks and cleans in, in place. loopbackHTTP allows an http
// issuer on a loopback address (Service.AllowLoopbackHTTP).
func (in *ConnectionInput) normalize(loopbackHTTP bool) error {
	trim := func(p *string) {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	trim(in.Name)
	trim(in.Issuer)
	trim(in.ClientID)
	trim(in.GroupsClaim)
	if in.Name != nil && (*in.Name == "" || len(*in.Name) > 100) {
		return apperr.InvalidField("name", "a name of 1 to 100 characters is required")
	}
	if in.Issuer != nil {
		u, err := url.Parse(*in.Issuer)
		if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			(u.Scheme != "https" && !(loopbackHTTP && u.Scheme == "http" && isLoopback(u.Hostname()))) || len(*in.Issuer) > 500 {
			return apperr.InvalidField("issuer", "the issuer must be an https URL, without query or fragment")
		}
	}
	if in.ClientID != nil && (*in.ClientID == "" || len(*in.ClientID) > 500) {
		return apperr.InvalidField("clientId", "a client id of 1 to 500 characters is required")
	}
	if in.ClientSecret != nil && len(*in.ClientSecret) > 1000 {
		return apperr.InvalidField("clientSecret", "the client secret is too long")
	}
	if in.GroupsClaim != nil && len(*in.GroupsClaim) > 100 {
		return apperr.InvalidField("groupsClaim", "the claim name is too long")
	}
	if in.Scopes != nil {
		out := []string{}
		for _, s := range *in.Scopes {
			s = strings.TrimSpace(s)
			if s == "" || s == "openid" || slices.Contains(out, s) {
				continue
			}
			if strings.ContainsAny(s, " \t\"\\") || len(s) > 100 {
				return apperr.InvalidField("scopes", "scope %q is not a valid scope", s)
			}
			out = append(out, s)
		}
		*in.Scopes = out
	}
	if in.EmailDomains != nil {
		out := []string{}
		for _, d := range *in.EmailDomains {
			d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
			if d == "" || slices.Contains(out, d) {
				continue
			}
			if !validDomain(d) {
				return apperr.InvalidField("emailDomains", "%q is not a domain name", d)
			}
			out = append(out, d)
		}
		*in.EmailDomains = out
	}
	if in.ClaimMappings != nil {
		for i, m := range *in.ClaimMappings {
			m.Value = strings.TrimSpace(m.Value)
			if m.Value == "" || len(m.Value) > 255 {
				return apperr.InvalidField("claimMappings", "mapping %d needs a claim value", i+1)
			}
			if (m.RoleID == "") == (m.BusinessUnitID == "") {
				return apperr.InvalidField("claimMappings", "mapping %q maps to a role or a business unit, exactly one", m.Value)
			}
			(*in.ClaimMappings)[i] = m
		}
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// handsOut lists the roles and units a connection with in (over current)
// gives provisioned users, for the decision (no escalation, no owner's
// role, nothing of another organization).
func handsOut(in ConnectionInput, current *ent.SSOConnection) (roles, units []pulid.ID) {
	defRole, defUnit := pulid.ID(""), pulid.ID("")
	var maps []ssomapping.Mapping
	if current != nil {
		if current.DefaultRoleID != nil {
			defRole = *current.DefaultRoleID
		}
		if current.DefaultBusinessUnitID != nil {
			defUnit = *current.DefaultBusinessUnitID
		}
		maps = current.ClaimMappings
	}
	if in.DefaultRoleID != nil {
		defRole = *in.DefaultRoleID
	}
	if in.DefaultBusinessUnitID != nil {
		defUnit = *in.DefaultBusinessUnitID
	}
	if in.ClaimMappings != nil {
		maps = *in.ClaimMappings
	}
	if defRole != "" {
		roles = append(roles, defRole)
	}
	if defUnit != "" {
		units = append(units, defUnit)
	}
	for _, m := range maps {
		if m.RoleID != "" {
			roles = append(roles, m.RoleID)
		}
		if m.BusinessUnitID != "" {
			units = append(units, m.BusinessUnitID)
		}
	}
	return roles, units
}

// CreateConnection adds an SSO connection to the viewer's organization.
func CreateConnection(ctx context.Context, c *ent.Client, in ConnectionInput) (*ent.SSOConnection, error) {
	s, err := FromContext(ctx)
	if err != nil {
		return nil, err
	}
	if in.Name == nil || in.Issuer == nil || in.ClientID == nil {
		return nil, apperr.InvalidField("issuer", "name, issuer and client id are required")
	}
	// Lists are stored empty rather than null.
	for _, l := range []**[]string{&in.Scopes, &in.EmailDomains} {
		if *l == nil {
			*l = &[]string{}
		}
	}
	if in.ClaimMappings == nil {
		in.ClaimMappings = &[]ssomapping.Mapping{}
	}
	roles, units := handsOut(in, nil)
	ctx, err = authz.Require(ctx, c, authz.ManageSSOConnection, authz.Target{Roles: roles, BusinessUnits: units})
	if err != nil {
		return nil, err
	}
	if err := in.normalize(s.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	id := pulid.New("sso")
	m := c.SSOConnection.Create().SetID(id).SetOrganizationID(viewer.FromContext(ctx).OrgID)
	if err := apply(s, id, m.Mutation(), in); err != nil {
		return nil, err
	}
	conn, err := m.Save(ctx)
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "the organization already has a connection for this issuer")
		}
		return nil, fmt.Errorf("sso: create connection: %w", err)
	}
	if err := audit.Record(ctx, c, audit.Event{Action: ActionConnectionCreated, TargetType: "sso_connection",
		TargetID: string(conn.ID), Details: summary(conn)}); err != nil {
		return nil, err
	}
	return conn, nil
}

// UpdateConnection changes connection id.
func UpdateConnection(ctx context.Context, c *ent.Client, id pulid.ID, in ConnectionInput) (*ent.SSOConnection, error) {
	s, err := FromContext(ctx)
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	var current *ent.SSOConnection
	if v != nil && v.OrgID != "" {
		current, err = c.SSOConnection.Query().Where(ssoconnection.ID(id)).Only(viewer.ForSystem(ctx, v.OrgID))
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("sso: load connection: %w", err)
		}
	}
	roles, units := handsOut(in, current)
	ctx, err = authz.Require(ctx, c, authz.ManageSSOConnection, authz.Target{Row: id, Roles: roles, BusinessUnits: units})
	if err != nil {
		return nil, err
	}
	if err := in.normalize(s.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	m := c.SSOConnection.UpdateOneID(id)
	if err := apply(s, id, m.Mutation(), in); err != nil {
		return nil, err
	}
	conn, err := m.Save(ctx)
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "the organization already has a connection for this issuer")
		}
		return nil, fmt.Errorf("sso: update connection: %w", err)
	}
	if err := audit.Record(ctx, c, audit.Event{Action: ActionConnectionUpdated, TargetType: "sso_connection",
		TargetID: string(conn.ID), Details: summary(conn)}); err != nil {
		return nil, err
	}
	if current != nil && current.Issuer != conn.Issuer {
		s.Providers.forget(current.Issuer)
	}
	return conn, nil
}

// DeleteConnection removes connection id and unlinks the identities
// signed in through it (their users stay, and sign in otherwise).
func DeleteConnection(ctx context.Context, c *ent.Client, id pulid.ID) error {
	ctx, err := authz.Require(ctx, c, authz.ManageSSOConnection, authz.Target{Row: id})
	if err != nil {
		return err
	}
	n, err := c.UserIdentity.Delete().Where(useridentity.ConnectionID(id)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("sso: unlink identities: %w", err)
	}
	if err := c.SSOConnection.DeleteOneID(id).Exec(ctx); err != nil {
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "SSO connection not found")
		}
		return fmt.Errorf("sso: delete connection: %w", err)
	}
	return audit.Record(ctx, c, audit.Event{Action: ActionConnectionDeleted, TargetType: "sso_connection",
		TargetID: string(id), Details: map[string]any{"identities_unlinked": n}})
}

// Connections lists the viewer's organization's connections (read rule:
// org.settings.manage).
func Connections(ctx context.Context, c *ent.Client) ([]*ent.SSOConnection, error) {
	return c.SSOConnection.Query().Order(ent.Asc(ssoconnection.FieldName), ent.Asc(ssoconnection.FieldID)).All(ctx)
}

// HasClientSecret reports whether conn has a client secret (never shown).
func HasClientSecret(conn *ent.SSOConnection) bool { return len(conn.ClientSecretSealed) > 0 }

// apply sets in on a create or update mutation.
func apply(s *Service, id pulid.ID, m *ent.SSOConnectionMutation, in ConnectionInput) error {
	if in.Name != nil {
		m.SetName(*in.Name)
	}
	if in.Issuer != nil {
		m.SetIssuer(strings.TrimSuffix(*in.Issuer, "/"))
	}
	if in.ClientID != nil {
		m.SetClientID(*in.ClientID)
	}
	if in.ClientSecret != nil {
		if *in.ClientSecret == "" {
			m.ClearClientSecretSealed()
		} else {
			sealed, err := s.Box.Seal([]byte(*in.ClientSecret), secretAD(id))
			if err != nil {
				return fmt.Errorf("sso: seal client secret: %w", err)
			}
			m.SetClientSecretSealed(sealed)
		}
	}
	if in.Scopes != nil {
		m.SetScopes(*in.Scopes)
	}
	if in.EmailDomains != nil {
		m.SetEmailDomains(*in.EmailDomains)
	}
	if in.Enabled != nil {
		m.SetEnabled(*in.Enabled)
	}
	if in.TrustProviderMFA != nil {
		m.SetTrustProviderMfa(*in.TrustProviderMFA)
	}
	if in.AutoProvision != nil {
		m.SetAutoProvision(*in.AutoProvision)
	}
	if in.DefaultRoleID != nil {
		if *in.DefaultRoleID == "" {
			m.ClearDefaultRoleID()
		} else {
			m.SetDefaultRoleID(*in.DefaultRoleID)
		}
	}
	if in.DefaultBusinessUnitID != nil {
		if *in.DefaultBusinessUnitID == "" {
			m.ClearDefaultBusinessUnitID()
		} else {
			m.SetDefaultBusinessUnitID(*in.DefaultBusinessUnitID)
		}
	}
	if in.GroupsClaim != nil {
		m.SetGroupsClaim(*in.GroupsClaim)
	}
	if in.ClaimMappings != nil {
		m.SetClaimMappings(*in.ClaimMappings)
	}
	return nil
}

// summary is what the audit trail keeps of a connection: never its secret.
func summary(c *ent.SSOConnection) map[string]any {
	return map[string]any{
		"name": c.Name, "issuer": c.Issuer, "client_id": c.ClientID, "enabled": c.Enabled,
		"email_domains": c.EmailDomains, "scopes": c.Scopes, "trust_provider_mfa": c.TrustProviderMfa,
		"auto_provision": c.AutoProvision, "client_secret_set": HasClientSecret(c),
		"claim_mappings": len(c.ClaimMappings),
	}
}

// SealClientSecret seals a client secret for connection id as the
// connection's client_secret_sealed column holds it (for the server's
// command line and tests that create connections directly).
func SealClientSecret(box *seal.Box, id pulid.ID, secret string) ([]byte, error) {
	return box.Seal([]byte(secret), secretAD(id))
}
