package graph

import (
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/team"
)

// Translations between the team schema (team.graphql) and internal/team.

func rolePayload(r *ent.Role, err error) (*RolePayload, error) {
	if err != nil {
		return nil, err
	}
	return &RolePayload{Role: r}, nil
}

func deleteRolePayload(r *ent.Role, err error) (*DeleteRolePayload, error) {
	if err != nil {
		return nil, err
	}
	return &DeleteRolePayload{DeletedRoleID: r.ID}, nil
}

func userRolesPayload(u *ent.User, err error) (*SetUserRolesPayload, error) {
	if err != nil {
		return nil, err
	}
	return &SetUserRolesPayload{User: u}, nil
}

func ownershipPayload(u *ent.User, err error) (*TransferOwnershipPayload, error) {
	if err != nil {
		return nil, err
	}
	return &TransferOwnershipPayload{Owner: u}, nil
}

func settingsPayload(s *team.Settings, err error) (*UpdateTeamSettingsPayload, error) {
	if err != nil {
		return nil, err
	}
	return &UpdateTeamSettingsPayload{Team: s}, nil
}

func newRole(in CreateRoleInput) team.NewRole {
	out := team.NewRole{Name: in.Name, Privileges: in.Privileges}
	if in.Description != nil {
		out.Description = *in.Description
	}
	return out
}

func roleChange(in UpdateRoleInput) team.RoleChange {
	out := team.RoleChange{Name: in.Name, Description: in.Description}
	if in.Privileges != nil {
		out.Privileges = &in.Privileges
	}
	return out
}

func settingsChange(in UpdateTeamSettingsInput) team.SettingsChange {
	out := team.SettingsChange{
		SessionViewEnabled:     in.SessionViewEnabled,
		RequireMFA:             in.RequireMfa,
		SessionIdleMinutes:     in.SessionIdleMinutes,
		ClearSessionIdle:       in.ClearSessionIdleMinutes != nil && *in.ClearSessionIdleMinutes,
		EmergencyAccessMinutes: in.EmergencyAccessMinutes,
	}
	if in.SignInMethod != nil {
		m := string(*in.SignInMethod)
		out.SignInMethod = &m
	}
	for _, rp := range in.Roles {
		p := team.RolePolicy{RoleID: rp.RoleID, RequireMFA: rp.RequireMfa, SessionView: rp.SessionView}
		if rp.SignInMethod != nil {
			m := string(*rp.SignInMethod)
			p.SignInMethod = &m
		}
		out.Roles = append(out.Roles, p)
	}
	return out
}

// privilegeDetails describes r's privileges in catalogue order (unknown
// keys are left out).
func privilegeDetails(r *ent.Role) []*PrivilegeInfo {
	held := map[string]bool{}
	for _, p := range r.Privileges {
		held[p] = true
	}
	out := []*PrivilegeInfo{}
	for _, p := range privilegeCatalogue() {
		if held[p.Key] {
			out = append(out, p)
		}
	}
	return out
}

func signInMethodOf(s *team.Settings) organization.SignInMethod { return s.Org.SignInMethod }
