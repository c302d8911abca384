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
	var tabs []string
	sched := user.ScheduleAccessOwnOnly
	switch in.Type {
	case Provider:
		if in.ScheduleAccess == nil {
			return nil, apperr.InvalidField("scheduleAccess", "choose the provider's schedule access (A to D)")
		}
		if err := user.ScheduleAccessValidator(*in.ScheduleAccess); err != nil {
			return nil, apperr.InvalidField("scheduleAccess", "is not a schedule access level")
		}
		if in.Tabs != nil {
			return nil, apperr.InvalidField("tabs", "tabs are chosen for office staff; a provider's access follows the schedule level")
		}
		sched = *in.ScheduleAccess
	case OfficeStaff:
		if in.ScheduleAccess != nil {
			return nil, apperr.InvalidField("scheduleAccess", "office staff have no schedule level; choose their tabs")
		}
		tabs = authz.DefaultOfficeStaffTabs()
		if in.Tabs != nil {
			tabs = []string{}
			for _, t := range in.Tabs {
				if !slices.Contains(authz.OfficeStaffTabs(), t) {
					return nil, apperr.InvalidField("tabs", "unknown tab %q", t)
				}
				if !slices.Contains(tabs, t) {
					tabs = append(tabs, t)
				}
			}
		}
	default:
		return nil, apperr.InvalidField("type", "choose provider or office staff")
	}
	ctx, err := authz.Require(ctx, c, authz.CreateEmployeeUser, authz.Target{
		Row: in.StaffProfileID, Roles: in.RoleIDs, Privileges: authz.TabPrivileges(tabs),
	})
	if err != nil {
		return nil, err
	}
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
