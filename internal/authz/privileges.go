package authz

import (
	"context"
	"errors"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Effective is a user's effective privileges: the union over all their
// roles. It is loaded once per request, so a privilege turned off on a role
// stops working for every holder on their next request.
type Effective struct {
	RoleIDs    []pulid.ID
	Privileges map[string]bool
	// RoleRequiresMFA tells that one of the roles requires MFA.
	RoleRequiresMFA bool
}

// LoadEffective computes u's effective privileges with one query. Portal
// users and users who are not active hold none.
func LoadEffective(ctx context.Context, c *ent.Client, u *ent.User) (Effective, error) {
	eff := Effective{Privileges: map[string]bool{}}
	if u.Kind != user.KindStaff || u.Status != user.StatusActive {
		return eff, nil
	}
	roles, err := c.Role.Query().
		Where(role.HasUsersWith(user.ID(u.ID))).
		Select(role.FieldID, role.FieldPrivileges, role.FieldBuiltin, role.FieldRequireMfa).
		All(ctx)
	if err != nil {
		return eff, fmt.Errorf("authz: load roles of %s: %w", u.ID, err)
	}
	for _, r := range roles {
		eff.RoleIDs = append(eff.RoleIDs, r.ID)
		eff.RoleRequiresMFA = eff.RoleRequiresMFA || r.RequireMfa
	}
	for p := range grants(u, roles) {
		eff.Privileges[string(p)] = true
	}
	return eff, nil
}

// grants maps each privilege a staff user holds to the roles that grant it
// (none for a privilege from a per-user setting): the union over all roles,
// the owner-only privileges for the account owner alone, plus what the
// user's office tabs open. Unknown keys grant nothing. It does not look at
// the user's status.
func grants(u *ent.User, roles []*ent.Role) map[Privilege][]pulid.ID {
	out := map[Privilege][]pulid.ID{}
	if u.Kind != user.KindStaff {
		return out
	}
	for _, r := range roles {
		for _, p := range r.Privileges {
			info, ok := Lookup(Privilege(p))
			if !ok || (info.OwnerOnly && !u.IsAccountOwner) {
				continue
			}
			out[info.Key] = append(out[info.Key], r.ID)
		}
	}
	for _, tab := range u.TabAccess {
		if p, ok := tabPrivileges[tab]; ok {
			if _, held := out[p]; !held {
				out[p] = nil
			}
		}
	}
	return out
}

// Office-staff tabs ("dashboard and reports by default"). Only the tabs
// whose data this server guards carry a privilege.
const (
	TabDashboard = "dashboard"
	TabReports   = "reports"
	TabScheduler = "scheduler"
	TabBilling   = "billing"
	TabClients   = "clients"
)

var tabPrivileges = map[string]Privilege{
	TabReports: ReportsView,
	TabBilling: BillingView,
}

// ErrUserInactive is returned by LoadViewer for a user who is not ACTIVE:
// a suspended, deprovisioned or deleted user reaches nothing.
var ErrUserInactive = errors.New("authz: user is not active")

// LoadViewer builds the access part of u's viewer as of now: kind, roles,
// effective privileges, business units, primary business unit, schedule
// level and tabs. Call it on every request (privileges and memberships are
// never cached across requests). It refuses a user who is not ACTIVE with
// ErrUserInactive. u's business units are used when loaded (WithBusinessUnits),
// otherwise queried. ctx must be allowed to read u's roles and business
// units (viewer.ForSystem of u's organization). The caller adds the session
// fields (SessionID, AuthMethod, MFASatisfiedAt) and sets State again from
// them (SessionState). MFARequired is decided from u's organization, loaded
// (WithOrganization) or else queried.
func LoadViewer(ctx context.Context, c *ent.Client, u *ent.User) (*viewer.Viewer, error) {
	if u.Status != user.StatusActive {
		return nil, ErrUserInactive
	}
	eff, err := LoadEffective(ctx, c, u)
	if err != nil {
		return nil, err
	}
	bus, err := u.Edges.BusinessUnitsOrErr()
	if err != nil {
		if bus, err = c.BusinessUnit.Query().
			Where(businessunit.HasUsersWith(user.ID(u.ID))).
			Select(businessunit.FieldID).
			All(ctx); err != nil {
			return nil, fmt.Errorf("authz: load business units of %s: %w", u.ID, err)
		}
	}
	units := make([]pulid.ID, len(bus))
	for i, bu := range bus {
		units[i] = bu.ID
	}
	org, err := u.Edges.OrganizationOrErr()
	if err != nil {
		if org, err = c.Organization.Query().
			Where(organization.ID(u.OrganizationID)).
			Select(organization.FieldID, organization.FieldRequireMfa).
			Only(ctx); err != nil {
			return nil, fmt.Errorf("authz: load organization of %s: %w", u.ID, err)
		}
	}
	var primary pulid.ID
	if u.PrimaryBusinessUnitID != nil {
		primary = *u.PrimaryBusinessUnitID
	}
	v := &viewer.Viewer{
		Kind:                  viewer.User,
		OrgID:                 u.OrganizationID,
		UserID:                u.ID,
		Portal:                u.Kind == user.KindPortal,
		RoleIDs:               eff.RoleIDs,
		Privileges:            eff.Privileges,
		BusinessUnitIDs:       units,
		PrimaryBusinessUnitID: primary,
		ScheduleAccess:        string(u.ScheduleAccess),
		Tabs:                  u.TabAccess,
		MFARequired:           MFARequired(org, u, eff),
	}
	// The state of a session that has passed nothing yet; the session
	// middleware decides again from its session's facts.
	v.State = SessionState(v, false, false)
	return v, nil
}

// MFARequired decides whether u must pass MFA: the organization requires
// it of every member, one of u's roles requires it of its holders, or u's
// own setting does. Any one suffices; none can be waived by another.
func MFARequired(org *ent.Organization, u *ent.User, eff Effective) bool {
	return org.RequireMfa || eff.RoleRequiresMFA || u.RequireMfa
}

// SessionState is the state of a session of v (MFARequired set) that was
// started with a temporary password or not, and has or has not passed MFA.
// A temporary password is changed first: MFA is asked of the password's
// rightful holder, and the change revokes the session anyway.
func SessionState(v *viewer.Viewer, passwordChangeRequired bool, mfaSatisfied bool) viewer.State {
	switch {
	case passwordChangeRequired:
		return viewer.StatePasswordChangeRequired
	case v.MFARequired && !mfaSatisfied:
		return viewer.StateMFARequired
	}
	return viewer.StateActive
}
