package access

import (
	"context"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofileaccess"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Grants and revokes of explicit links (the ACCESS tab of a user, the
// Professionals tab of a client's chart). authz decides who may: sharing
// a client needs clients.share or users.manage and reaching the client;
// sharing a staff profile needs staff_profiles.manage and reaching it;
// the other user must be in the organization, and a portal user never
// gets staff access.

// checkExpiry refuses an expiry that is not in the future: the expiry is
// exclusive, so a link expiring now would grant nothing.
func checkExpiry(ctx context.Context, expiresAt *time.Time) error {
	if expiresAt != nil && !expiresAt.After(authz.Now(ctx)) {
		return apperr.InvalidField("expiresAt", "the expiry must be in the future (at expiresAt the access is gone)")
	}
	return nil
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// GrantClientAccess links userID to clientID until expiresAt (exclusive;
// nil: no expiry). Granting an existing link changes its expiry.
func GrantClientAccess(ctx context.Context, c *ent.Client, userID, clientID pulid.ID, expiresAt *time.Time) (*ent.ClientAccess, error) {
	ctx, err := authz.Require(ctx, c, authz.GrantClientAccess, authz.Target{Client: clientID, User: userID, Clients: []pulid.ID{clientID}})
	if err != nil {
		return nil, err
	}
	if err := checkExpiry(ctx, expiresAt); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	now := authz.Now(ctx)
	existing, err := c.ClientAccess.Query().Where(clientaccess.UserID(userID), clientaccess.ClientID(clientID)).Only(sys)
	var link *ent.ClientAccess
	details := map[string]any{"kind": "client", "user_id": string(userID), "expires_at": timeOrNil(expiresAt)}
	switch {
	case ent.IsNotFound(err):
		link, err = c.ClientAccess.Create().SetOrganizationID(v.OrgID).SetUserID(userID).SetClientID(clientID).
			SetGrantedAt(now).SetNillableExpiresAt(expiresAt).SetGrantedByID(v.UserID).Save(ctx)
	case err != nil:
		return nil, err
	default:
		details["before"] = map[string]any{"expires_at": timeOrNil(existing.ExpiresAt)}
		upd := existing.Update()
		if expiresAt == nil {
			upd.ClearExpiresAt()
		} else {
			upd.SetExpiresAt(*expiresAt)
		}
		link, err = upd.Save(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: audit.AccessGranted, TargetType: "client_access", TargetID: string(link.ID), ClientID: clientID, Details: details,
	}); err != nil {
		return nil, err
	}
	return link, nil
}

// RevokeClientAccess removes userID's link to clientID. Other paths (a
// business unit, an organization-wide role) are not links and stay.
func RevokeClientAccess(ctx context.Context, c *ent.Client, userID, clientID pulid.ID) (pulid.ID, error) {
	ctx, err := authz.Require(ctx, c, authz.RevokeClientAccess, authz.Target{Client: clientID, User: userID})
	if err != nil {
		return "", err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	link, err := c.ClientAccess.Query().Where(clientaccess.UserID(userID), clientaccess.ClientID(clientID)).Only(sys)
	if ent.IsNotFound(err) {
		return "", apperr.New(apperr.NotFound, "this user has no explicit access to this client")
	}
	if err != nil {
		return "", err
	}
	if err := c.ClientAccess.DeleteOne(link).Exec(ctx); err != nil {
		return "", err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: audit.AccessRevoked, TargetType: "client_access", TargetID: string(link.ID), ClientID: clientID,
		Details: map[string]any{"kind": "client", "user_id": string(userID),
			"before": map[string]any{"granted_at": link.GrantedAt.UTC(), "expires_at": timeOrNil(link.ExpiresAt)}},
	}); err != nil {
		return "", err
	}
	return link.ID, nil
}

// AddChartProfessionals gives several users access to one client at once
// (seed 002, "Granting Additional Providers Access": check off the
// additional professionals on the client's Professionals tab). Every user
// is decided before anything is written; each grant is its own audit
// event. Users already linked keep their link (and get expiresAt).
func AddChartProfessionals(ctx context.Context, c *ent.Client, clientID pulid.ID, userIDs []pulid.ID, expiresAt *time.Time) ([]*ent.ClientAccess, error) {
	if len(userIDs) == 0 {
		return nil, apperr.InvalidField("userIds", "check off at least one professional")
	}
	if len(userIDs) > 200 {
		return nil, apperr.InvalidField("userIds", "at most 200 professionals at once")
	}
	var ids []pulid.ID
	seen := map[pulid.ID]bool{}
	for _, id := range userIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if _, err := authz.Require(ctx, c, authz.GrantClientAccess, authz.Target{Client: clientID, User: id, Clients: []pulid.ID{clientID}}); err != nil {
			return nil, err
		}
	}
	out := make([]*ent.ClientAccess, 0, len(ids))
	for _, id := range ids {
		l, err := GrantClientAccess(ctx, c, id, clientID, expiresAt)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// GrantStaffProfileAccess links userID to the staff profile profileID
// until expiresAt (exclusive; nil: no expiry).
func GrantStaffProfileAccess(ctx context.Context, c *ent.Client, userID, profileID pulid.ID, expiresAt *time.Time) (*ent.StaffProfileAccess, error) {
	ctx, err := authz.Require(ctx, c, authz.GrantStaffProfileAccess, authz.Target{User: userID, StaffProfiles: []pulid.ID{profileID}})
	if err != nil {
		return nil, err
	}
	if err := checkExpiry(ctx, expiresAt); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	existing, err := c.StaffProfileAccess.Query().Where(staffprofileaccess.UserID(userID), staffprofileaccess.StaffProfileID(profileID)).Only(sys)
	details := map[string]any{"kind": "staff_profile", "user_id": string(userID), "staff_profile_id": string(profileID), "expires_at": timeOrNil(expiresAt)}
	var link *ent.StaffProfileAccess
	switch {
	case ent.IsNotFound(err):
		link, err = c.StaffProfileAccess.Create().SetOrganizationID(v.OrgID).SetUserID(userID).SetStaffProfileID(profileID).
			SetGrantedAt(authz.Now(ctx)).SetNillableExpiresAt(expiresAt).SetGrantedByID(v.UserID).Save(ctx)
	case err != nil:
		return nil, err
	default:
		details["before"] = map[string]any{"expires_at": timeOrNil(existing.ExpiresAt)}
		upd := existing.Update()
		if expiresAt == nil {
			upd.ClearExpiresAt()
		} else {
			upd.SetExpiresAt(*expiresAt)
		}
		link, err = upd.Save(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: audit.AccessGranted, TargetType: "staff_profile_access", TargetID: string(link.ID), Details: details,
	}); err != nil {
		return nil, err
	}
	return link, nil
}

// RevokeStaffProfileAccess removes userID's link to the staff profile.
func RevokeStaffProfileAccess(ctx context.Context, c *ent.Client, userID, profileID pulid.ID) (pulid.ID, error) {
	ctx, err := authz.Require(ctx, c, authz.RevokeStaffProfileAccess, authz.Target{User: userID, StaffProfiles: []pulid.ID{profileID}})
	if err != nil {
		return "", err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	link, err := c.StaffProfileAccess.Query().Where(staffprofileaccess.UserID(userID), staffprofileaccess.StaffProfileID(profileID)).Only(sys)
	if ent.IsNotFound(err) {
		return "", apperr.New(apperr.NotFound, "this user has no explicit access to this staff profile")
	}
	if err != nil {
		return "", err
	}
	if err := c.StaffProfileAccess.DeleteOne(link).Exec(ctx); err != nil {
		return "", err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: audit.AccessRevoked, TargetType: "staff_profile_access", TargetID: string(link.ID),
		Details: map[string]any{"kind": "staff_profile", "user_id": string(userID), "staff_profile_id": string(profileID),
			"before": map[string]any{"granted_at": link.GrantedAt.UTC(), "expires_at": timeOrNil(link.ExpiresAt)}},
	}); err != nil {
		return "", err
	}
	return link.ID, nil
}
