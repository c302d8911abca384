package team

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Bounds of the numeric settings.
const (
	MinEmergencyMinutes = 5
	MaxEmergencyMinutes = 1440
	MinIdleMinutes      = 1
	MaxIdleMinutes      = 1440
)

// Settings are the team's security settings.
type Settings struct {
	Org *ent.Organization
	// Roles are every role of the organization, with their policies
	// (require_mfa, sign_in_method, session_view), by name.
	Roles []*ent.Role
}

// ReadSettings returns the viewer's organization's settings (as its
// organization rule lets the viewer read it) and its roles.
func ReadSettings(ctx context.Context, c *ent.Client) (*Settings, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	org, err := c.Organization.Query().Where(organization.ID(v.OrgID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := c.Role.Query().Order(ent.Asc(role.FieldName)).All(ctx)
	if err != nil {
		return nil, err
	}
	return &Settings{Org: org, Roles: roles}, nil
}

// SettingsChange changes the team's settings; nil fields are left alone.
type SettingsChange struct {
	SessionViewEnabled *bool
	RequireMFA         *bool
	// SignInMethod is ANY, PASSWORD or SSO.
	SignInMethod *string
	// SessionIdleMinutes: the idle log-off; ClearSessionIdle goes back to
	// the server's default.
	SessionIdleMinutes *int
	ClearSessionIdle   bool
	// EmergencyAccessMinutes is the break-glass window.
	EmergencyAccessMinutes *int
	// Roles change per-role policies.
	Roles []RolePolicy
}

// RolePolicy changes one role's policies; nil fields are left alone.
type RolePolicy struct {
	RoleID       pulid.ID
	RequireMFA   *bool
	SignInMethod *string
	// SessionView: session view covers this role's holders.
	SessionView *bool
}

// UpdateSettings changes the team settings in one audited change
// (org.settings.manage; the account-owner role's policies are the
// owner's).
func UpdateSettings(ctx context.Context, c *ent.Client, ch SettingsChange) (*Settings, error) {
	var roleIDs []pulid.ID
	for i, rp := range ch.Roles {
		if slices.Contains(roleIDs, rp.RoleID) {
			return nil, apperr.InvalidField(fmt.Sprintf("roles.%d.roleId", i), "a role is named once")
		}
		roleIDs = append(roleIDs, rp.RoleID)
	}
	ctx, err := authz.Require(ctx, c, authz.ChangeTeamSettings, authz.Target{Roles: roleIDs})
	if err != nil {
		return nil, err
	}
	if ch.SignInMethod != nil && !validMethod(*ch.SignInMethod) {
		return nil, apperr.InvalidField("signInMethod", "the sign-in method is ANY, PASSWORD or SSO")
	}
	if m := ch.EmergencyAccessMinutes; m != nil && (*m < MinEmergencyMinutes || *m > MaxEmergencyMinutes) {
		return nil, apperr.InvalidField("emergencyAccessMinutes", "the break-glass window is %d to %d minutes", MinEmergencyMinutes, MaxEmergencyMinutes)
	}
	if m := ch.SessionIdleMinutes; m != nil && (*m < MinIdleMinutes || *m > MaxIdleMinutes) {
		return nil, apperr.InvalidField("sessionIdleMinutes", "idle log-off is %d to %d minutes", MinIdleMinutes, MaxIdleMinutes)
	}
	if ch.SessionIdleMinutes != nil && ch.ClearSessionIdle {
		return nil, apperr.InvalidField("sessionIdleMinutes", "set idle minutes or clear them, not both")
	}
	for i, rp := range ch.Roles {
		if rp.SignInMethod != nil && !validMethod(*rp.SignInMethod) {
			return nil, apperr.InvalidField(fmt.Sprintf("roles.%d.signInMethod", i), "the sign-in method is ANY, PASSWORD or SSO")
		}
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	org, err := c.Organization.Query().Where(organization.ID(v.OrgID)).Only(sys)
	if err != nil {
		return nil, err
	}
	changes := map[string]any{}
	fromTo := func(key string, from, to any) { changes[key] = map[string]any{"from": from, "to": to} }
	upd := c.Organization.UpdateOneID(org.ID)
	if p := ch.SessionViewEnabled; p != nil && *p != org.SessionViewEnabled {
		upd.SetSessionViewEnabled(*p)
		fromTo("session_view_enabled", org.SessionViewEnabled, *p)
	}
	if p := ch.RequireMFA; p != nil && *p != org.RequireMfa {
		upd.SetRequireMfa(*p)
		fromTo("require_mfa", org.RequireMfa, *p)
	}
	if p := ch.SignInMethod; p != nil && *p != string(org.SignInMethod) {
		upd.SetSignInMethod(organization.SignInMethod(*p))
		fromTo("sign_in_method", string(org.SignInMethod), *p)
	}
	if p := ch.EmergencyAccessMinutes; p != nil && *p != org.EmergencyAccessMinutes {
		upd.SetEmergencyAccessMinutes(*p)
		fromTo("emergency_access_minutes", org.EmergencyAccessMinutes, *p)
	}
	idle := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	switch {
	case ch.SessionIdleMinutes != nil && (org.SessionIdleMinutes == nil || *org.SessionIdleMinutes != *ch.SessionIdleMinutes):
		upd.SetSessionIdleMinutes(*ch.SessionIdleMinutes)
		fromTo("session_idle_minutes", idle(org.SessionIdleMinutes), *ch.SessionIdleMinutes)
	case ch.ClearSessionIdle && org.SessionIdleMinutes != nil:
		upd.ClearSessionIdleMinutes()
		fromTo("session_idle_minutes", *org.SessionIdleMinutes, nil)
	}
	var roleChanges []map[string]any
	var roleUpdates []*ent.RoleUpdateOne
	for _, rp := range ch.Roles {
		r, err := c.Role.Query().Where(role.ID(rp.RoleID)).Only(sys)
		if err != nil {
			return nil, err
		}
		rc := map[string]any{}
		ru := c.Role.UpdateOneID(r.ID)
		if p := rp.RequireMFA; p != nil && *p != r.RequireMfa {
			ru.SetRequireMfa(*p)
			rc["require_mfa"] = map[string]any{"from": r.RequireMfa, "to": *p}
		}
		if p := rp.SignInMethod; p != nil && *p != string(r.SignInMethod) {
			ru.SetSignInMethod(role.SignInMethod(*p))
			rc["sign_in_method"] = map[string]any{"from": string(r.SignInMethod), "to": *p}
		}
		if p := rp.SessionView; p != nil && *p != r.SessionView {
			ru.SetSessionView(*p)
			rc["session_view"] = map[string]any{"from": r.SessionView, "to": *p}
		}
		if len(rc) > 0 {
			rc["role"] = string(r.ID)
			rc["name"] = r.Name
			roleChanges = append(roleChanges, rc)
			roleUpdates = append(roleUpdates, ru)
		}
	}
	if len(roleChanges) > 0 {
		changes["roles"] = roleChanges
	}
	if len(changes) == 0 {
		return ReadSettings(ctx, c)
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, err
	}
	for _, ru := range roleUpdates {
		if err := ru.Exec(ctx); err != nil {
			return nil, err
		}
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: SettingsChanged, TargetType: "organization", TargetID: string(org.ID), Details: changes,
	}); err != nil {
		return nil, err
	}
	return ReadSettings(ctx, c)
}

func validMethod(m string) bool {
	return m == authz.SignInAny || m == authz.SignInPassword || m == authz.SignInSSO
}
