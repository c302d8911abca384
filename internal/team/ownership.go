package team

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// TransferOwnership makes another active staff member the account owner.
// Only the owner transfers; the former owner loses the account-owner role
// and the owner flag and holds the built-in Administrator role instead;
// the new owner keeps their roles and gains the account-owner role. It
// returns the new owner.
func TransferOwnership(ctx context.Context, c *ent.Client, to pulid.ID) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, authz.TransferOwnership, authz.Target{User: to})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	if to == v.UserID {
		return nil, apperr.InvalidField("userId", "you already own the organization")
	}
	target, err := c.User.Query().Where(user.ID(to)).Only(sys)
	if err != nil {
		return nil, err
	}
	if target.Kind != user.KindStaff || target.Status != user.StatusActive {
		return nil, apperr.InvalidField("userId", "ownership goes to an active staff member")
	}
	ownerRole, err := c.Role.Query().Where(role.BuiltinEQ(role.BuiltinAccountOwner)).Only(sys)
	if err != nil {
		return nil, apperr.New(apperr.Conflict, "the organization has no account-owner role")
	}
	adminRole, err := c.Role.Query().Where(role.BuiltinEQ(role.BuiltinAdministrator)).Only(sys)
	if err != nil {
		return nil, apperr.New(apperr.Conflict, "the organization has no administrator role")
	}
	// The former owner first: at most one owner per organization (a
	// partial unique index).
	former := c.User.UpdateOneID(v.UserID).SetIsAccountOwner(false).RemoveRoleIDs(ownerRole.ID)
	if has, err := c.User.Query().Where(user.ID(v.UserID), user.HasRolesWith(role.ID(adminRole.ID))).Exist(sys); err != nil {
		return nil, err
	} else if !has {
		former.AddRoleIDs(adminRole.ID)
	}
	if err := former.Exec(ctx); err != nil {
		return nil, err
	}
	next := c.User.UpdateOneID(to).SetIsAccountOwner(true)
	if has, err := c.User.Query().Where(user.ID(to), user.HasRolesWith(role.ID(ownerRole.ID))).Exist(sys); err != nil {
		return nil, err
	} else if !has {
		next.AddRoleIDs(ownerRole.ID)
	}
	u, err := next.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: OwnershipTransferred, TargetType: "user", TargetID: string(to),
		Details: map[string]any{"from": string(v.UserID), "to": string(to)},
	}); err != nil {
		return nil, err
	}
	return u, nil
}
