package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The single sign-on concern (see concern in write.go): an organization's
// OpenID connections, managed by its administrators. Signing in through
// one is the server's own write (the sign-in flow runs as the System
// viewer), not an action.

const (
	// ManageSSOConnection creates (Target.Row empty), changes or deletes
	// the SSO connection Target.Row. Target.Roles and Target.BusinessUnits
	// are every role and unit the connection hands to users it provisions
	// (its defaults and claim mappings).
	ManageSSOConnection Action = "sso.manage_connection"
	// TestSSOConnection fetches the discovery document and keys of the
	// connection Target.Row and reports what it found.
	TestSSOConnection Action = "sso.test_connection"
)

func ssoConcern() concern {
	return concern{
		name: "sso",
		// Who signs in, and how, is changed only by an administrator who
		// has just proven their second factor.
		stepUp: []Action{ManageSSOConnection},
		writes: map[Action][]write{
			ManageSSOConnection: {
				{"SSOConnection", ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne},
				// Deleting a connection unlinks the identities signed in
				// through it.
				{"UserIdentity", ent.OpDelete},
				audited,
			},
			TestSSOConnection: {audited},
		},
		decide: decideSSO,
	}
}

// ssoFacts are what decideSSOWrite needs beyond the viewer.
type ssoFacts struct {
	connectionFound bool // Target.Row is a connection of the organization
	rolesFound      bool // every Target.Roles is a role of the organization
	unitsFound      bool // every Target.BusinessUnits is a unit of it
	roleOwner       bool // one of the roles is the account owner's
}

func decideSSO(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	sys := viewer.ForSystem(ctx, v.OrgID)
	f := ssoFacts{rolesFound: true, unitsFound: true}
	fail := func(err error) error { return fmt.Errorf("authz: sso facts: %w", err) }
	var err error
	if t.Row != "" {
		if f.connectionFound, err = c.SSOConnection.Query().Where(ssoconnection.ID(t.Row)).Exist(sys); err != nil {
			return fail(err)
		}
	}
	if len(t.Roles) > 0 {
		rs, err := c.Role.Query().Where(role.IDIn(t.Roles...)).All(sys)
		if err != nil {
			return fail(err)
		}
		f.rolesFound = len(rs) == len(ssoDistinct(t.Roles))
		for _, r := range rs {
			if r.Builtin != nil && *r.Builtin == role.BuiltinAccountOwner {
				f.roleOwner = true
			}
		}
	}
	if len(t.BusinessUnits) > 0 {
		n, err := c.BusinessUnit.Query().Where(businessunit.IDIn(t.BusinessUnits...)).Count(sys)
		if err != nil {
			return fail(err)
		}
		f.unitsFound = n == len(ssoDistinct(t.BusinessUnits))
	}
	return decideSSOWrite(v, a, t, f)
}

func ssoDistinct[T comparable](xs []T) map[T]bool {
	m := make(map[T]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// decideSSOWrite is the decision from the viewer, the target and the facts
// alone (write_sso_test.go holds it against a reference): a staff
// administrator (org.settings.manage) manages and tests the connections of
// their organization; a connection hands out only roles and units of the
// organization, never the account owner's role.
func decideSSOWrite(v *viewer.Viewer, a Action, t Target, f ssoFacts) error {
	if a != ManageSSOConnection && a != TestSSOConnection {
		return errNoDecision(a)
	}
	if v.Kind != viewer.User || v.Portal || !v.Has(string(OrgSettingsManage)) {
		return apperr.New(apperr.Forbidden, "managing single sign-on needs the org.settings.manage privilege")
	}
	if (a == TestSSOConnection || t.Row != "") && !f.connectionFound {
		return apperr.New(apperr.NotFound, "SSO connection not found")
	}
	if !f.rolesFound {
		return apperr.New(apperr.NotFound, "role not found")
	}
	if !f.unitsFound {
		return apperr.New(apperr.NotFound, "business unit not found")
	}
	if f.roleOwner {
		return apperr.New(apperr.Forbidden, "no SSO connection grants the account owner's role")
	}
	return nil
}
