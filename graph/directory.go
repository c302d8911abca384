package graph

import (
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/directory"
)

// Translations between the directory's GraphQL types and
// internal/directory.

func statusPayload(u *ent.User, err error) (*UserStatusPayload, error) {
	if err != nil {
		return nil, err
	}
	return &UserStatusPayload{User: u}, nil
}

func profilePayload(u *ent.User, err error) (*UpdateUserProfilePayload, error) {
	if err != nil {
		return nil, err
	}
	return &UpdateUserProfilePayload{User: u}, nil
}

func signOutPayload(n int, err error) (*SignOutEverywherePayload, error) {
	if err != nil {
		return nil, err
	}
	return &SignOutEverywherePayload{SessionsEnded: n}, nil
}

func resetPayload(u *ent.User, err error) (*ResetUserPasswordPayload, error) {
	if err != nil {
		return nil, err
	}
	return &ResetUserPasswordPayload{User: u}, nil
}

func employeePayload(u *ent.User, err error) (*CreateEmployeeUserPayload, error) {
	if err != nil {
		return nil, err
	}
	return &CreateEmployeeUserPayload{User: u}, nil
}

func unitPayload(bu *ent.BusinessUnit, err error) (*BusinessUnitPayload, error) {
	if err != nil {
		return nil, err
	}
	return &BusinessUnitPayload{BusinessUnit: bu}, nil
}

func unitDeletionPayload(d *directory.UnitDeletion, err error) (*DeleteBusinessUnitPayload, error) {
	if err != nil {
		return nil, err
	}
	ids := d.RemovedMembers
	if ids == nil {
		ids = []pulid.ID{}
	}
	return &DeleteBusinessUnitPayload{DeletedBusinessUnitID: d.ID, MovedClients: d.MovedClients, RemovedMemberIds: ids}, nil
}

func assignPayload(p *ent.Patient, err error) (*AssignClientBusinessUnitPayload, error) {
	if err != nil {
		return nil, err
	}
	return &AssignClientBusinessUnitPayload{Client: p}, nil
}

func userUnitsPayload(u *ent.User, err error) (*SetUserBusinessUnitsPayload, error) {
	if err != nil {
		return nil, err
	}
	return &SetUserBusinessUnitsPayload{User: u}, nil
}

func profileChange(in UpdateUserProfileInput) directory.ProfileChange {
	return directory.ProfileChange{GivenName: in.GivenName, FamilyName: in.FamilyName, DisplayName: in.DisplayName,
		Phone: in.Phone, Title: in.Title, Email: in.Email}
}

func employeeAccess(in CreateEmployeeUserInput) directory.EmployeeAccess {
	return directory.EmployeeAccess{StaffProfileID: in.StaffProfileID, Email: in.Email,
		Type: directory.EmployeeType(in.Type), ScheduleAccess: in.ScheduleAccess, RoleIDs: in.RoleIds, Tabs: tabs(in.Tabs)}
}

func accessChange(in SetEmployeeAccessInput) directory.AccessChange {
	return directory.AccessChange{Type: directory.EmployeeType(in.Type), ScheduleAccess: in.ScheduleAccess, Tabs: tabs(in.Tabs)}
}

// tabs maps the GraphQL tabs to authz's (nil stays nil: the defaults).
func tabs(in []OfficeStaffTab) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, t := range in {
		out[i] = strings.ToLower(string(t))
	}
	return out
}

func employeeAccessPayload(u *ent.User, err error) (*SetEmployeeAccessPayload, error) {
	if err != nil {
		return nil, err
	}
	return &SetEmployeeAccessPayload{User: u}, nil
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
