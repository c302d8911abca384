package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
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
// the owner-only privileges for the account owner alone. An office-staff
// user (one holding the built-in OFFICE_STAFF role) gets the tab-guarded
// privileges of that role from exactly the tabs ticked for them: the role
// itself grants none of them, even if someone toggled one onto it. Other
// roles the user holds still grant what they hold. Tabs of a user who is
// not office staff grant nothing. Unknown keys grant nothing. It does not
// look at the user's status.
func grants(u *ent.User, roles []*ent.Role) map[Privilege][]pulid.ID {
	out := map[Privilege][]pulid.ID{}
	if u.Kind != user.KindStaff {
		return out
	}
	office := false
	for _, r := range roles {
		isOffice := r.Builtin != nil && *r.Builtin == role.BuiltinOfficeStaff
		office = office || isOffice
		for _, p := range r.Privileges {
			info, ok := Lookup(Privilege(p))
			if !ok || (info.OwnerOnly && !u.IsAccountOwner) || (isOffice && tabGuarded(info.Key)) {
				continue
			}
			out[info.Key] = append(out[info.Key], r.ID)
		}
	}
	if !office {
		return out
	}
	for _, tab := range u.TabAccess {
		for _, p := range tabPrivileges[tab] {
			if _, held := out[p]; !held {
				out[p] = nil
			}
		}
	}
	return out
}

// IsOfficeStaff reports whether roles (with Builtin loaded) make their
// holder office staff (seed 003's "Office Staff" user type): the built-in
// OFFICE_STAFF role among them.
func IsOfficeStaff(roles []*ent.Role) bool {
	for _, r := range roles {
		if r.Builtin != nil && *r.Builtin == role.BuiltinOfficeStaff {
			return true
		}
	}
	return false
}

// Office-staff tabs (seed 003: "by default, the Office Staff user type will
// have access to the Dashboard and Reports section"). Each tab opens what
// it names:
//   - reports: reports.view (no report query exists on this server yet; the
//     privilege is what a reports screen checks);
//   - billing: billing.view and billing.manage (invoices, and the billing
//     fields of sessions);
//   - scheduler: schedule.view_all (every session of reached clients);
//   - dashboard and clients guard nothing on this server: there is no
//     dashboard query, and the client list is what the user reaches
//     (links, business units), whatever the tabs.
const (
	TabDashboard = "dashboard"
	TabReports   = "reports"
	TabScheduler = "scheduler"
	TabBilling   = "billing"
	TabClients   = "clients"
)

// DefaultTabs are ticked for a new office-staff user.
var DefaultTabs = []string{TabDashboard, TabReports}

var tabPrivileges = map[string][]Privilege{
	TabReports:   {ReportsView},
	TabBilling:   {BillingView, BillingManage},
	TabScheduler: {ScheduleViewAll},
}

// TabPrivileges returns the privileges a tab opens for office staff (none
// for the dashboard and clients tabs, or an unknown tab).
func TabPrivileges(tab string) []Privilege { return slices.Clone(tabPrivileges[tab]) }

// tabGuarded reports whether p is opened for office staff by a tab only.
func tabGuarded(p Privilege) bool {
	for _, ps := range tabPrivileges {
		if slices.Contains(ps, p) {
			return true
		}
	}
	return false
}

// DefaultScheduleAccess is the schedule level a new user gets from the
// privileges of their roles when nobody picked one: OWN_ONLY (seed 003's
// level A) for someone who runs sessions, otherwise NONE.
func DefaultScheduleAccess(ps []Privilege) user.ScheduleAccess {
	if slices.Contains(ps, SessionsManageOwn) {
		return user.ScheduleAccessOwnOnly
	}
	return user.ScheduleAccessNone
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

// MFAEnrolled reports whether the user has a second factor that counts: a
// confirmed authenticator app or a registered passkey. Recovery codes are a
// fallback, not a factor. ctx must be allowed to read the user's factors
// (the user themselves, or the server).
func MFAEnrolled(ctx context.Context, c *ent.Client, userID pulid.ID) (bool, error) {
	ok, err := c.TOTPFactor.Query().Where(totpfactor.UserID(userID), totpfactor.ConfirmedAtNotNil()).Exist(ctx)
	if err != nil || ok {
		return ok, wrapEnrolled(err)
	}
	ok, err = c.WebAuthnCredential.Query().Where(webauthncredential.UserID(userID)).Exist(ctx)
	return ok, wrapEnrolled(err)
}

func wrapEnrolled(err error) error {
	if err != nil {
		return fmt.Errorf("authz: load second factors: %w", err)
	}
	return nil
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
