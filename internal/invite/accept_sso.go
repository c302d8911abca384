package invite

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/internal/clock"
)

// PendingForSSO returns the pending, unexpired invitation of the
// organization in sys (a System context) for the normalized address email
// that single sign-on may accept (its required sign-in method is SSO or
// ANY), or nil.
func PendingForSSO(sys context.Context, c *ent.Client, email string) (*ent.Invitation, error) {
	now := clock.Now(sys)
	inv, err := c.Invitation.Query().Where(
		invitation.EmailNormalized(email),
		invitation.StatusEQ(invitation.StatusPending),
		invitation.ExpiresAtGT(now),
		invitation.SignInMethodIn(invitation.SignInMethodSSO, invitation.SignInMethodAny),
	).Order(ent.Desc(invitation.FieldCreatedAt)).First(sys)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return inv, err
}

// AcceptForSSO accepts invitation inv (from PendingForSSO) for the person
// an identity provider vouched for, with c, the caller's transaction, as
// Accept does but setting no password: the user signs in through the
// provider. It returns the new (or re-activated) user.
func AcceptForSSO(sys context.Context, c *ent.Client, inv *ent.Invitation) (*ent.User, error) {
	if !clock.Now(sys).Before(inv.ExpiresAt) {
		return nil, refused(CodeExpired, "this invitation has expired; ask for it to be sent again")
	}
	out, err := accept(sys, c, inv.ID, "")
	if err != nil {
		return nil, err
	}
	return out.User, nil
}
