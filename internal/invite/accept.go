package invite

import (
	"context"
	"errors"
	"fmt"
	"github.com/clinicgate/clinicgate/internal/apperr"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Why an acceptance is refused. The codes are stable: the HTTP endpoint
// (auth/invitation) returns them.
const (
	CodeInvalid       = "invalid_invitation" // no invitation has this token
	CodeExpired       = "invitation_expired"
	CodeRevoked       = "invitation_revoked"
	CodeUsed          = "invitation_used"
	CodeSSORequired   = "sso_required" // the invitation requires single sign-on
	CodeWeakPassword  = "weak_password"
	CodeAlreadyMember = "already_member" // the address became a member meanwhile
)

// refused is a refused acceptance, of the kind its code says (the wire
// code is the apperr.Error's Code).
func refused(code, msg string) error {
	kind := apperr.Conflict // sso_required, already_member
	switch code {
	case CodeInvalid:
		kind = apperr.NotFound
	case CodeExpired, CodeRevoked, CodeUsed:
		kind = apperr.Gone
	}
	return &apperr.Error{Kind: kind, Code: code, Message: msg}
}

// AcceptedUser is what an acceptance created (or re-activated).
type AcceptedUser struct {
	User         *ent.User
	Organization *ent.Organization
}

// Accept accepts the invitation whose emailed token is token, setting the
// new member's password (PASSWORD and ANY invitations; an SSO-required
// invitation is refused with CodeSSORequired: it is accepted through
// single sign-on). In one transaction of root it creates the staff user
// (or re-activates the soft-deleted or merely INVITED user with that
// address), ACTIVE, with the invitation's roles, business units (the
// first is the primary), client and staff-profile links, MFA and sign-in
// requirements and password; marks the invitation ACCEPTED (a link works
// once); and records the audit event, the new user being its actor. No
// session is started: the user signs in (POST /auth/login) next.
func Accept(ctx context.Context, root *ent.Client, token, plain string, hasher password.Hasher) (*AcceptedUser, error) {
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	if token == "" {
		return nil, refused(CodeInvalid, "this invitation link is not valid")
	}
	inv, err := root.Invitation.Query().Where(invitation.TokenHash(HashToken(token))).Only(allow)
	if ent.IsNotFound(err) {
		return nil, refused(CodeInvalid, "this invitation link is not valid (a newer link may have been sent)")
	}
	if err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	switch {
	case inv.Status == invitation.StatusRevoked:
		return nil, refused(CodeRevoked, "this invitation was revoked; ask for a new one")
	case inv.Status == invitation.StatusAccepted:
		return nil, refused(CodeUsed, "this invitation was already accepted; sign in instead")
	case inv.Status == invitation.StatusExpired || !now.Before(inv.ExpiresAt):
		return nil, refused(CodeExpired, "this invitation has expired; ask for it to be sent again")
	case inv.SignInMethod == invitation.SignInMethodSSO:
		return nil, refused(CodeSSORequired, "this invitation requires single sign-on: accept it by signing in with your organization's identity provider")
	}
	if err := password.ValidateFor(plain, inv.Email); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return nil, &apperr.Error{Kind: apperr.Invalid, Code: CodeWeakPassword, Field: "password", Message: pe.Reason, Policy: pe.Code}
		}
		return nil, err
	}
	hash, err := hasher.Hash(plain)
	if err != nil {
		return nil, err
	}
	tx, err := root.Tx(ctx)
	if err != nil {
		return nil, err
	}
	out, err := accept(viewer.ForSystem(ctx, inv.OrganizationID), tx.Client(), inv.ID, hash)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

func accept(sys context.Context, c *ent.Client, id pulid.ID, hash string) (*AcceptedUser, error) {
	now := clock.Now(sys)
	inv, err := c.Invitation.Query().Where(invitation.ID(id)).
		WithRoles().WithBusinessUnits().WithClients().WithStaffProfiles().Only(sys)
	if err != nil {
		return nil, err
	}
	// One acceptance wins: the update applies only while it is pending.
	n, err := c.Invitation.Update().Where(invitation.ID(id), invitation.StatusEQ(invitation.StatusPending)).
		SetStatus(invitation.StatusAccepted).SetAcceptedAt(now).Save(sys)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, refused(CodeUsed, "this invitation was already accepted; sign in instead")
	}
	org := inv.OrganizationID
	var roleIDs, unitIDs []pulid.ID
	for _, r := range inv.Edges.Roles {
		roleIDs = append(roleIDs, r.ID)
	}
	for _, b := range inv.Edges.BusinessUnits {
		unitIDs = append(unitIDs, b.ID)
	}
	existing, err := c.User.Query().Where(user.EmailNormalized(inv.EmailNormalized)).Only(sys)
	var u *ent.User
	switch {
	case ent.IsNotFound(err):
		create := c.User.Create().SetOrganizationID(org).SetEmail(inv.Email).SetKind(user.KindStaff).
			SetStatus(user.StatusActive).SetRequireMfa(inv.RequireMfa).
			SetSignInMethod(user.SignInMethod(inv.SignInMethod)).
			AddRoleIDs(roleIDs...).AddBusinessUnitIDs(unitIDs...)
		if len(unitIDs) > 0 {
			create.SetPrimaryBusinessUnitID(unitIDs[0])
		}
		if u, err = create.Save(sys); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case existing.Kind != user.KindStaff || (existing.Status != user.StatusDeleted && existing.Status != user.StatusInvited):
		return nil, refused(CodeAlreadyMember, "this address is already a member of the organization; sign in instead")
	default:
		upd := c.User.UpdateOne(existing).SetStatus(user.StatusActive).ClearDeletedAt().ClearSuspendedAt().
			SetRequireMfa(inv.RequireMfa).SetSignInMethod(user.SignInMethod(inv.SignInMethod)).
			ClearRoles().AddRoleIDs(roleIDs...).ClearBusinessUnits().AddBusinessUnitIDs(unitIDs...).
			ClearPrimaryBusinessUnit()
		if len(unitIDs) > 0 {
			upd.SetPrimaryBusinessUnitID(unitIDs[0])
		}
		if u, err = upd.Save(sys); err != nil {
			return nil, err
		}
		if _, err := c.PasswordCredential.Delete().Where(passwordcredential.UserID(u.ID)).Exec(sys); err != nil {
			return nil, err
		}
	}
	links := make([]*ent.ClientAccessCreate, 0, len(inv.Edges.Clients))
	for _, cl := range inv.Edges.Clients {
		b := c.ClientAccess.Create().SetOrganizationID(org).SetUserID(u.ID).SetClientID(cl.ID).SetGrantedAt(now)
		if inv.InvitedByID != nil {
			b.SetGrantedByID(*inv.InvitedByID)
		}
		links = append(links, b)
	}
	if err := c.ClientAccess.CreateBulk(links...).Exec(sys); err != nil {
		return nil, fmt.Errorf("invite: client links: %w", err)
	}
	plinks := make([]*ent.StaffProfileAccessCreate, 0, len(inv.Edges.StaffProfiles))
	for _, sp := range inv.Edges.StaffProfiles {
		b := c.StaffProfileAccess.Create().SetOrganizationID(org).SetUserID(u.ID).SetStaffProfileID(sp.ID).SetGrantedAt(now)
		if inv.InvitedByID != nil {
			b.SetGrantedByID(*inv.InvitedByID)
		}
		plinks = append(plinks, b)
	}
	if err := c.StaffProfileAccess.CreateBulk(plinks...).Exec(sys); err != nil {
		return nil, fmt.Errorf("invite: staff profile links: %w", err)
	}
	// Single sign-on accepts with no password (hash empty).
	if hash != "" {
		if err := c.PasswordCredential.Create().SetOrganizationID(org).SetUserID(u.ID).SetHash(hash).
			SetChangedAt(now).Exec(sys); err != nil {
			return nil, err
		}
	}
	if err := c.Invitation.UpdateOneID(id).SetUserID(u.ID).Exec(sys); err != nil {
		return nil, err
	}
	if err := audit.Record(sys, c, audit.Event{Org: org, Action: Accepted,
		ActorKind: auditevent.ActorKindUser, ActorID: u.ID,
		TargetType: "invitation", TargetID: string(id),
		Details: map[string]any{"user": string(u.ID), "email": u.Email, "roles": roleIDs, "business_units": unitIDs,
			"clients": len(links), "staff_profiles": len(plinks)}}); err != nil {
		return nil, err
	}
	o, err := c.Organization.Get(sys, org)
	if err != nil {
		return nil, err
	}
	return &AcceptedUser{User: u, Organization: o}, nil
}
