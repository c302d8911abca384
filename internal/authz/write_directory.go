package authz

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The directory concern of the write vocabulary (see concern in write.go):
// users (profile, suspension, removal), employees from staff profiles, business units and client assignment.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideDirectory); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

const (
	// EditUserProfile changes Target.User's names, phone and title.
	EditUserProfile Action = "user.edit_profile"
	// ChangeUserEmail changes Target.User's email (their sign-in name).
	ChangeUserEmail Action = "user.change_email"
	// SuspendUser suspends Target.User: every session ends at once.
	SuspendUser Action = "user.suspend"
	// ReactivateUser brings a suspended Target.User back (no session).
	ReactivateUser Action = "user.reactivate"
	// RemoveUser soft-deletes Target.User.
	RemoveUser Action = "user.remove"
	// SignOutUser ends every session of Target.User.
	SignOutUser Action = "user.sign_out_everywhere"
	// ResetUserPassword mails Target.User a new temporary password and
	// ends their sessions.
	ResetUserPassword Action = "user.reset_password"
	// CreateEmployeeUser creates a user from the staff profile Target.Row,
	// with the roles Target.Roles and the tab privileges Target.Privileges.
	CreateEmployeeUser Action = "employee.create_user"
	// EditEmployeeAccess changes Target.User's user type, schedule level
	// and tabs, handing out the tab privileges Target.Privileges.
	EditEmployeeAccess Action = "employee.edit_access"
	// CreateBusinessUnit creates a business unit.
	CreateBusinessUnit Action = "business_unit.create"
	// UpdateBusinessUnit renames the unit Target.Row or sets its address.
	UpdateBusinessUnit Action = "business_unit.update"
	// DeleteBusinessUnit deletes the unit Target.Row, moving its clients
	// to Target.BusinessUnits[0] when one is named.
	DeleteBusinessUnit Action = "business_unit.delete"
	// AssignClientBusinessUnit puts Target.Client in the unit
	// Target.BusinessUnits[0] (out of any unit when empty).
	AssignClientBusinessUnit Action = "client.assign_business_unit"
	// SetUserBusinessUnits sets Target.User's units; Target.BusinessUnits
	// lists the units the change adds.
	SetUserBusinessUnits Action = "user.set_business_units"
	// ProvisionUser is an identity provider's (SCIM) create or update of a
	// staff user: names, emails, title, phone, externalId, the enterprise
	// attributes, sign-in method, require-MFA and a pushed password. With
	// no Target.User it creates (or revives the removed user of the same
	// userName); with one it updates that user. A signed-in user never
	// provisions: employees get access through CreateEmployeeUser.
	ProvisionUser Action = "user.provision"
)

func directoryConcern() concern {
	userOne := write{"User", ent.OpUpdateOne}
	return concern{
		name:   "directory",
		stepUp: []Action{EditEmployeeAccess},
		scim:   true,
		writes: map[Action][]write{
			EditUserProfile: {userOne, audited},
			ChangeUserEmail: {userOne, audited},
			// Leaving ACTIVE ends the user's sessions (the user hook, as
			// the server), in the same transaction.
			SuspendUser:    {userOne, audited},
			ReactivateUser: {userOne, audited},
			RemoveUser:     {userOne, audited},
			SignOutUser:    {{"Session", ent.OpUpdate | ent.OpUpdateOne}, audited},
			ResetUserPassword: {
				{"Session", ent.OpUpdate | ent.OpUpdateOne}, {"PasswordCredential", ent.OpUpdate}, mailed, audited,
			},
			// A new staff member takes a seat: the subscription is locked
			// (an update) and the charge recorded.
			CreateEmployeeUser: {
				{"User", ent.OpCreate}, {"StaffProfile", ent.OpUpdateOne}, mailed, audited,
				{"Subscription", ent.OpUpdateOne}, {"SeatCharge", ent.OpCreate},
			},
			EditEmployeeAccess: {userOne, audited},
			CreateBusinessUnit: {{"BusinessUnit", ent.OpCreate}, audited},
			UpdateBusinessUnit: {{"BusinessUnit", ent.OpUpdateOne}, audited},
			DeleteBusinessUnit: {
				{"BusinessUnit", ent.OpUpdateOne | ent.OpDeleteOne},
				{"Patient", ent.OpUpdate}, {"User", ent.OpUpdate}, {"StaffProfile", ent.OpUpdate},
				audited,
			},
			AssignClientBusinessUnit: {{"Patient", ent.OpUpdateOne}, audited},
			SetUserBusinessUnits:     {userOne, audited},
			// A provisioned staff member takes a seat, as an employee
			// given access does; a pushed password is stored hashed.
			ProvisionUser: {
				{"User", ent.OpCreate | ent.OpUpdateOne},
				{"PasswordCredential", ent.OpCreate | ent.OpDelete},
				{"Subscription", ent.OpUpdateOne}, {"SeatCharge", ent.OpCreate},
				audited,
			},
		},
		decide:     decideDirectory,
		decideEach: decideDirectoryEach,
	}
}

// directoryFacts are what decideDirectoryWrite needs beyond the viewer.
type directoryFacts struct {
	userGiven       bool // Target.User is named
	userFound       bool // Target.User exists in the organization (not removed)
	self            bool // Target.User is the viewer
	targetOwner     bool // Target.User is the account owner
	rowFound        bool // Target.Row (unit, staff profile) exists and is the viewer's to know of
	clientFound     bool // Target.Client exists and the viewer reaches it
	unitsFound      bool // every unit of Target.BusinessUnits exists
	unitsReached    bool // the viewer reaches every (non-restricted) client of those units
	rolesFound      bool // every role of Target.Roles exists
	handedOwnerOnly bool // a handed-out role holds an owner-only privilege
	handed          []string
}

func decideDirectory(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	f, err := loadDirectoryFacts(ctx, c, v, a, t)
	if err != nil {
		return err
	}
	return decideDirectoryWrite(v, a, f)
}

func loadDirectoryFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) (directoryFacts, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	f := directoryFacts{unitsFound: true, unitsReached: true, rolesFound: true}
	f.userGiven = t.User != ""
	if t.User != "" {
		u, err := c.User.Query().Where(user.ID(t.User), user.StatusNEQ(user.StatusDeleted)).Only(sys)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return f, fmt.Errorf("authz: facts for %s: %w", a, err)
		default:
			f.userFound = true
			f.self = u.ID == v.UserID
			f.targetOwner = u.IsAccountOwner
		}
	}
	if t.Client != "" {
		ok, err := CanReadClient(ctx, c, t.Client)
		if err != nil {
			return f, fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		f.clientFound = ok
	}
	if t.Row != "" {
		var ok bool
		var err error
		switch a {
		case CreateEmployeeUser:
			ok, err = c.StaffProfile.Query().Where(staffprofile.ID(t.Row)).Exist(sys)
			if ok && err == nil {
				ok, err = CanReadStaffProfile(ctx, c, t.Row)
			}
		default:
			ok, err = c.BusinessUnit.Query().Where(businessunit.ID(t.Row)).Exist(sys)
		}
		if err != nil {
			return f, fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		f.rowFound = ok
	}
	if units := uniq(t.BusinessUnits); len(units) > 0 {
		var err error
		if f.unitsFound, f.unitsReached, err = unitFacts(ctx, c, v, a, units); err != nil {
			return f, err
		}
	}
	if roles := uniq(t.Roles); len(roles) > 0 {
		rs, err := c.Role.Query().Where(role.IDIn(roles...)).All(sys)
		if err != nil {
			return f, fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		f.rolesFound = len(rs) == len(roles)
		for _, r := range rs {
			for _, p := range r.Privileges {
				if info, ok := Lookup(Privilege(p)); ok && info.OwnerOnly {
					f.handedOwnerOnly = true
				}
				f.handed = append(f.handed, p)
			}
		}
	}
	f.handed = append(f.handed, t.Privileges...)
	return f, nil
}

// unitFacts says whether every unit of units (deduplicated) exists and,
// for a user handing them out, whether the viewer reaches their clients.
func unitFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, units []pulid.ID) (found, reached bool, err error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	n, err := c.BusinessUnit.Query().Where(businessunit.IDIn(units...)).Count(sys)
	if err != nil {
		return false, false, fmt.Errorf("authz: facts for %s: %w", a, err)
	}
	found, reached = n == len(units), true
	if a == SetUserBusinessUnits && v.Kind == viewer.User {
		// A unit opens its non-restricted clients to its members
		// (with the business-unit privilege): the viewer hands out
		// only units whose every such client they reach themselves.
		in := c.Patient.Query().Where(patient.BusinessUnitIDIn(units...), patient.Restricted(false))
		all, err := in.Clone().Count(sys)
		if err != nil {
			return false, false, fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		seen, err := in.Clone().Count(ctx) // through the viewer's row rule
		if err != nil {
			return false, false, fmt.Errorf("authz: facts for %s: %w", a, err)
		}
		reached = seen == all
	}
	return found, reached, nil
}

func uniq(ids []pulid.ID) []pulid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// decideDirectoryWrite is the directory decision of a signed-in user, from
// the viewer and the facts alone (write_directory_test.go holds it against
// a reference).
func decideDirectoryWrite(v *viewer.Viewer, a Action, f directoryFacts) error {
	forbidden := func(msg string) error { return apperr.New(apperr.Forbidden, "%s", msg) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	if v.Kind == viewer.SCIM {
		return decideSCIMDirectory(a, f)
	}
	staff := !v.Portal
	manages := staff && v.Has(string(UsersManage))
	units := staff && v.Has(string(BusinessUnitsManage))
	switch a {
	case SignOutUser:
		if !f.userFound {
			return notFound("user")
		}
		// Anyone signs themself out everywhere; another user's sessions
		// are ended by a user manager.
		if !f.self && !manages {
			return forbidden("signing another user out needs the user management privilege")
		}
		return nil
	case EditUserProfile, ChangeUserEmail, SuspendUser, ReactivateUser, RemoveUser, ResetUserPassword:
		if !manages {
			return forbidden("managing users needs the user management privilege")
		}
		if !f.userFound {
			return notFound("user")
		}
		switch a {
		case SuspendUser, RemoveUser:
			if f.self {
				return forbidden("you cannot suspend or remove your own account")
			}
			if f.targetOwner {
				return forbidden("the account owner cannot be suspended or removed; transfer ownership first")
			}
		case ReactivateUser:
			if f.self {
				return forbidden("you cannot reactivate your own account")
			}
		case ChangeUserEmail, ResetUserPassword:
			// The owner's sign-in is theirs alone: changing its email or
			// password would take the account over.
			if f.targetOwner && !f.self {
				return forbidden("only the account owner changes the owner's email or password")
			}
			if a == ResetUserPassword && f.self {
				return forbidden("change your own password instead of resetting it")
			}
		}
		return nil
	case CreateEmployeeUser:
		if !staff || !v.Has(string(StaffProfilesManage)) {
			return forbidden("creating user access for an employee needs the staff profile management privilege")
		}
		if !f.rowFound {
			return notFound("staff profile")
		}
		if !f.rolesFound {
			return notFound("role")
		}
		if f.handedOwnerOnly {
			return forbidden("the account owner's role is given only by ownership transfer")
		}
		if p := FirstNotHandedOut(v, f.handed); p != "" {
			return forbidden(fmt.Sprintf("you cannot give the privilege %s: you may not hand it out", p))
		}
		return nil
	case EditEmployeeAccess:
		if !staff || !v.Has(string(StaffProfilesManage)) {
			return forbidden("editing an employee's user permissions needs the staff profile management privilege")
		}
		if !f.userFound {
			return notFound("user")
		}
		if f.self {
			return forbidden("you cannot change your own user permissions")
		}
		if f.targetOwner {
			return forbidden("the account owner's permissions are not edited")
		}
		if p := FirstNotHandedOut(v, f.handed); p != "" {
			return forbidden(fmt.Sprintf("you cannot give the privilege %s: you may not hand it out", p))
		}
		return nil
	case CreateBusinessUnit, UpdateBusinessUnit, DeleteBusinessUnit:
		if !units {
			return forbidden("managing business units needs the business unit privilege")
		}
		if a != CreateBusinessUnit && !f.rowFound {
			return notFound("business unit")
		}
		if !f.unitsFound {
			return notFound("business unit")
		}
		return nil
	case AssignClientBusinessUnit:
		// Seed 001: the unit box is on the client's profile, so whoever
		// edits the client's profile assigns its unit; business-unit
		// management is not needed (it is about the units themselves).
		// The client must be one the viewer reaches.
		if !staff || !v.Has(string(ClientsEdit)) {
			return forbidden("assigning a client's business unit needs the client editing privilege")
		}
		if !f.clientFound {
			return notFound("client")
		}
		if !f.unitsFound {
			return notFound("business unit")
		}
		return nil
	case SetUserBusinessUnits:
		if !manages {
			return forbidden("setting a user's business units needs the user management privilege")
		}
		if !f.userFound {
			return notFound("user")
		}
		if !f.unitsFound {
			return notFound("business unit")
		}
		if !f.unitsReached {
			return forbidden("you cannot give a business unit whose clients you do not reach")
		}
		return nil
	case ProvisionUser:
		return forbidden("users are provisioned by the organization's identity provider (SCIM); give an employee access instead")
	}
	return errNoDecision(a)
}

// OfficeStaffTabs lists the tabs an office-staff user may be given.
func OfficeStaffTabs() []string {
	return []string{TabDashboard, TabReports, TabScheduler, TabBilling, TabClients}
}

// DefaultOfficeStaffTabs are the tabs an office-staff user gets when none
// are ticked (seed 003: dashboard and reports).
func DefaultOfficeStaffTabs() []string { return slices.Clone(DefaultTabs) }

// TabsPrivileges lists the privileges the tabs open: what giving them
// hands out.
func TabsPrivileges(tabs []string) []string {
	var out []string
	for _, t := range tabs {
		for _, p := range tabPrivileges[t] {
			out = append(out, string(p))
		}
	}
	return out
}

// decideSCIMDirectory is the directory decision of an identity provider
// (a SCIM client of the organization): it provisions its users' status and
// business units (groups), and nothing else. It never suspends or removes
// the account owner. Require hands SCIM viewers to this concern (scim).
func decideSCIMDirectory(a Action, f directoryFacts) error {
	switch a {
	case SuspendUser, ReactivateUser, RemoveUser, SetUserBusinessUnits:
		if !f.userFound {
			return apperr.New(apperr.NotFound, "user not found")
		}
		if (a == SuspendUser || a == RemoveUser) && f.targetOwner {
			return apperr.New(apperr.Forbidden, "the account owner cannot be suspended or removed; transfer ownership first")
		}
		if !f.unitsFound {
			return apperr.New(apperr.NotFound, "business unit not found")
		}
		return nil
	case ProvisionUser:
		// A create names no user; an update names one it must find.
		// The account owner's sign-in (email, password, method) is the
		// owner's: the provider does not overwrite it.
		if f.userGiven && !f.userFound {
			return apperr.New(apperr.NotFound, "user not found")
		}
		if f.userGiven && f.targetOwner {
			return apperr.New(apperr.Forbidden, "the account owner's profile and sign-in are not provisioned; the owner edits them")
		}
		return nil
	}
	return apperr.New(apperr.Forbidden, "an identity provider may not %s", a)
}
