package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/seats"
)

// EmployeeType is the user type chosen for an employee (seed 003).
type EmployeeType string

const (
	// Provider is a provider or therapist, with a schedule level A–D.
	Provider EmployeeType = "PROVIDER"
	// OfficeStaff is office staff, with the tabs ticked.
	OfficeStaff EmployeeType = "OFFICE_STAFF"
)

// EmployeeAccess creates user access for an employee.
type EmployeeAccess struct {
	StaffProfileID pulid.ID
	// Email, when given, must be the profile's email: it is corrected in
	// the employee's profile, never here (seed 003).
	Email *string
	Type  EmployeeType
	// ScheduleAccess is the provider's level (required for a provider,
	// refused for office staff).
	ScheduleAccess *user.ScheduleAccess
	// Tabs are office staff's tabs; nil means the defaults (dashboard and
	// reports). Refused for a provider.
	Tabs []string
	// RoleIDs are roles to give the new user; each role's privileges must
	// be the viewer's own.
	RoleIDs []pulid.ID
}

// CreateEmployeeUser creates an active user from a staff profile, linked
// to it, with the profile's email, names, phone and job title, and mails
// them a temporary password. Business units are not copied from the
// profile: a unit opens its clients, so they are given with
// SetUserBusinessUnits, which checks the giver reaches those clients.
func CreateEmployeeUser(ctx context.Context, c *ent.Client, in EmployeeAccess) (*ent.User, error) {
	sched, tabs, err := levels(in.Type, in.ScheduleAccess, in.Tabs)
	if err != nil {
		return nil, err
	}
	ctx, err = authz.Require(ctx, c, authz.CreateEmployeeUser, authz.Target{
		Row: in.StaffProfileID, Roles: in.RoleIDs, Privileges: authz.TabsPrivileges(tabs),
	})
	if err != nil {
		return nil, err
	}
	return createEmployeeUser(ctx, c, in, sched, tabs)
}

// levels validates a user type with its schedule level or tabs.
func levels(typ EmployeeType, level *user.ScheduleAccess, chosen []string) (user.ScheduleAccess, []string, error) {
	var tabs []string
	sched := user.ScheduleAccessOwnOnly
	switch typ {
	case Provider:
		if level == nil {
			return "", nil, apperr.InvalidField("scheduleAccess", "choose the provider's schedule access (A to D)")
		}
		if err := user.ScheduleAccessValidator(*level); err != nil {
			return "", nil, apperr.InvalidField("scheduleAccess", "is not a schedule access level")
		}
		if chosen != nil {
			return "", nil, apperr.InvalidField("tabs", "tabs are chosen for office staff; a provider's access follows the schedule level")
		}
		sched = *level
	case OfficeStaff:
		if level != nil {
			return "", nil, apperr.InvalidField("scheduleAccess", "office staff have no schedule level; choose their tabs")
		}
		tabs = authz.DefaultOfficeStaffTabs()
		if chosen != nil {
			tabs = []string{}
			for _, t := range chosen {
				if !slices.Contains(authz.OfficeStaffTabs(), t) {
					return "", nil, apperr.InvalidField("tabs", "unknown tab %q", t)
				}
				if !slices.Contains(tabs, t) {
					tabs = append(tabs, t)
				}
			}
		}
	default:
		return "", nil, apperr.InvalidField("type", "choose provider or office staff")
	}
	return sched, tabs, nil
}

func createEmployeeUser(ctx context.Context, c *ent.Client, in EmployeeAccess, sched user.ScheduleAccess, tabs []string) (*ent.User, error) {
	p, err := c.StaffProfile.Query().Where(staffprofile.ID(in.StaffProfileID)).Only(sys(ctx))
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "staff profile not found")
		}
		return nil, err
	}
	if in.Email != nil && schema.NormalizeEmail(*in.Email) != schema.NormalizeEmail(p.Email) {
		return nil, apperr.InvalidField("email", "the email comes from the employee's profile (%s); correct it in the employee's profile, not here", p.Email)
	}
	if p.Status != staffprofile.StatusActive {
		return nil, apperr.InvalidField("staffProfileId", "the employee's profile is archived")
	}
	if p.UserID != nil {
		return nil, apperr.New(apperr.Conflict, "this employee already has user access")
	}
	email, err := validEmail("email", p.Email)
	if err != nil {
		return nil, apperr.InvalidField("email", "the employee's profile has no valid email; correct it in the employee's profile")
	}
	taken, err := c.User.Query().Where(user.EmailNormalized(schema.NormalizeEmail(email))).Exist(sys(ctx))
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, apperr.New(apperr.Conflict, "a user with the email %s already exists", email)
	}
	create := c.User.Create().SetOrganizationID(p.OrganizationID).SetEmail(email).
		SetGivenName(p.GivenName).SetFamilyName(p.FamilyName).
		SetDisplayName(strings.TrimSpace(p.GivenName + " " + p.FamilyName)).
		SetKind(user.KindStaff).SetStatus(user.StatusActive).
		SetPhone(p.Phone).SetTitle(p.JobTitle).
		SetScheduleAccess(sched).SetTabAccess(tabs).
		SetStaffProfileID(p.ID).
		AddRoleIDs(in.RoleIDs...)
	u, err := create.Save(ctx)
	if err != nil {
		return nil, raced(err, apperr.New(apperr.Conflict, "this employee already has user access, or a user with the email %s exists", email), "create employee user")
	}
	// A new staff member takes a seat, as an invitation does (seed 004).
	if err := seats.ConsumeForUser(ctx, c, u.OrganizationID, u.ID); err != nil {
		return nil, err
	}
	msg, err := outbox.Enqueue(ctx, c, outbox.Message{Kind: MessageKindTemporaryPasswd, Org: u.OrganizationID,
		Ref: map[string]any{"user_id": string(u.ID), "reason": "new_user"}})
	if err != nil {
		return nil, err
	}
	roleNames, err := c.Role.Query().Where(role.IDIn(in.RoleIDs...)).Select(role.FieldName).Strings(sys(ctx))
	if err != nil {
		return nil, err
	}
	if err := record(ctx, c, ActionEmployeeUserCreated, "user", u.ID, "", map[string]any{
		"staff_profile_id": string(p.ID), "email": email, "type": string(in.Type),
		"schedule_access": string(sched), "tabs": tabs, "roles": roleNames,
		"outbox_message_id": string(msg.ID),
	}); err != nil {
		return nil, err
	}
	return u, nil
}

// AccessChange is an edit of an employee user's permissions (seed 003's
// "Create / Edit User Permissions"): the user type with its schedule level
// or tabs, as for CreateEmployeeUser.
type AccessChange struct {
	Type           EmployeeType
	ScheduleAccess *user.ScheduleAccess
	Tabs           []string
}

// SetEmployeeAccess changes a staff user's type, schedule level and tabs.
// A provider's tabs are cleared; office staff's schedule level is the
// lowest (own schedule only).
func SetEmployeeAccess(ctx context.Context, c *ent.Client, userID pulid.ID, in AccessChange) (*ent.User, error) {
	sched, tabs, err := levels(in.Type, in.ScheduleAccess, in.Tabs)
	if err != nil {
		return nil, err
	}
	ctx, err = authz.Require(ctx, c, authz.EditEmployeeAccess, authz.Target{User: userID, Privileges: authz.TabsPrivileges(tabs)})
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	if u.Kind != user.KindStaff {
		return nil, apperr.InvalidField("userId", "portal users have no user permissions to edit")
	}
	if tabs == nil {
		tabs = []string{}
	}
	before := map[string]any{"schedule_access": string(u.ScheduleAccess), "tabs": u.TabAccess}
	if u, err = c.User.UpdateOneID(userID).SetScheduleAccess(sched).SetTabAccess(tabs).Save(ctx); err != nil {
		return nil, err
	}
	if err := record(ctx, c, ActionEmployeeAccessChanged, "user", userID, "", map[string]any{
		"before": before, "after": map[string]any{"type": string(in.Type), "schedule_access": string(sched), "tabs": tabs},
	}); err != nil {
		return nil, err
	}
	return u, nil
}
