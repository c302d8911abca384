package directory

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/seats"
)

// ProfileChange is an edit of a user's profile; nil fields stay as they
// are.
type ProfileChange struct {
	GivenName, FamilyName, DisplayName *string
	Phone, Title                       *string
	// Email is the user's sign-in name. It is refused for a user whose
	// identity provider manages them (SCIM-provisioned or SSO-only): the
	// provider would overwrite it, and a changed email would not sign in
	// through it.
	Email *string
}

// loadUser reads a user the decision allowed (not removed).
func loadUser(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.User, error) {
	u, err := c.User.Query().Where(user.ID(id), user.StatusNEQ(user.StatusDeleted)).Only(sys(ctx))
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "user not found")
	}
	return u, err
}

// UpdateProfile edits a user's profile fields.
func UpdateProfile(ctx context.Context, c *ent.Client, userID pulid.ID, ch ProfileChange) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, authz.EditUserProfile, authz.Target{User: userID})
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	before, after := map[string]any{}, map[string]any{}
	upd := c.User.UpdateOneID(userID)
	set := func(field, name string, p *string, cur string, max int, required bool, apply func(string)) error {
		if p == nil {
			return nil
		}
		s, err := text(field, *p, max, required)
		if err != nil {
			return err
		}
		if s != cur {
			before[name], after[name] = cur, s
			apply(s)
		}
		return nil
	}
	for _, e := range []error{
		set("givenName", "given_name", ch.GivenName, u.GivenName, 200, false, func(s string) { upd.SetGivenName(s) }),
		set("familyName", "family_name", ch.FamilyName, u.FamilyName, 200, false, func(s string) { upd.SetFamilyName(s) }),
		set("displayName", "display_name", ch.DisplayName, u.DisplayName, 200, false, func(s string) { upd.SetDisplayName(s) }),
		set("phone", "phone", ch.Phone, u.Phone, 50, false, func(s string) { upd.SetPhone(s) }),
		set("title", "title", ch.Title, u.Title, 200, false, func(s string) { upd.SetTitle(s) }),
	} {
		if e != nil {
			return nil, e
		}
	}
	if ch.Email != nil {
		email, err := validEmail("email", *ch.Email)
		if err != nil {
			return nil, err
		}
		if email != u.Email {
			if u.ExternalID != nil || u.SignInMethod == user.SignInMethodSSO {
				return nil, apperr.InvalidField("email", "this user's email is managed by the identity provider; change it there")
			}
			if schema.NormalizeEmail(email) != u.EmailNormalized {
				taken, err := c.User.Query().Where(user.EmailNormalized(schema.NormalizeEmail(email)), user.IDNEQ(userID)).Exist(sys(ctx))
				if err != nil {
					return nil, err
				}
				if taken {
					return nil, apperr.InvalidField("email", "another user of the organization has this email")
				}
			}
			if ctx, err = authz.Require(ctx, c, authz.ChangeUserEmail, authz.Target{User: userID}); err != nil {
				return nil, err
			}
			before["email"], after["email"] = u.Email, email
			upd.SetEmail(email)
		}
	}
	if len(after) == 0 {
		return u, nil
	}
	u, err = upd.Save(ctx)
	if err != nil {
		return nil, raced(err, apperr.InvalidField("email", "another user of the organization has this email"), "update profile")
	}
	if err := record(ctx, c, ActionProfileUpdated, "user", userID, "", map[string]any{"before": before, "after": after}); err != nil {
		return nil, err
	}
	return u, nil
}

// Suspend suspends a user: every session of theirs ends at once (the user
// hook revokes them in this transaction), and a later reactivation brings
// none back. Their roles, units and links stay.
func Suspend(ctx context.Context, c *ent.Client, userID pulid.ID) (*ent.User, error) {
	return setStatus(ctx, c, userID, authz.SuspendUser, ActionSuspended, user.StatusSuspended,
		func(s user.Status) bool { return s == user.StatusActive || s == user.StatusInvited },
		func(u *ent.UserUpdateOne) { u.SetSuspendedAt(clock.Now(ctx)) })
}

// Reactivate brings a suspended user back with the roles, units and links
// they had; they sign in afresh.
func Reactivate(ctx context.Context, c *ent.Client, userID pulid.ID) (*ent.User, error) {
	return setStatus(ctx, c, userID, authz.ReactivateUser, ActionReactivated, user.StatusActive,
		func(s user.Status) bool { return s == user.StatusSuspended },
		func(u *ent.UserUpdateOne) { u.ClearSuspendedAt() })
}

// Remove soft-deletes a user: status DELETED and deleted_at, their
// sessions end, a staff member's seat is freed (seats.Release); what they
// wrote (notes, appointments, audit events) stays and still names them.
func Remove(ctx context.Context, c *ent.Client, userID pulid.ID) (*ent.User, error) {
	return setStatus(ctx, c, userID, authz.RemoveUser, ActionRemoved, user.StatusDeleted,
		func(s user.Status) bool { return s != user.StatusDeleted },
		func(u *ent.UserUpdateOne) { u.SetDeletedAt(clock.Now(ctx)) },
		func(ctx context.Context, u *ent.User) error {
			if u.Kind != user.KindStaff {
				return nil // portal users hold no seat
			}
			return seats.Release(ctx, c, u.ID)
		})
}

// setStatus moves userID to status to, from a status from accepts; more
// adds to the update and then, when not nil, runs in the same decision
// and transaction after it.
func setStatus(ctx context.Context, c *ent.Client, userID pulid.ID, action authz.Action, event string,
	to user.Status, from func(user.Status) bool, more func(*ent.UserUpdateOne), then ...func(context.Context, *ent.User) error) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, action, authz.Target{User: userID})
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	if !from(u.Status) {
		return nil, apperr.New(apperr.Conflict, "the user is %s", statusWord(u.Status))
	}
	upd := c.User.UpdateOneID(userID).SetStatus(to)
	more(upd)
	was := u.Status
	if u, err = upd.Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: %s: %w", action, err)
	}
	details := map[string]any{"before": map[string]any{"status": string(was)}, "after": map[string]any{"status": string(to)}}
	if err := record(ctx, c, event, "user", userID, "", details); err != nil {
		return nil, err
	}
	for _, f := range then {
		if err := f(ctx, u); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func statusWord(s user.Status) string {
	switch s {
	case user.StatusInvited:
		return "only invited"
	case user.StatusActive:
		return "already active"
	case user.StatusSuspended:
		return "already suspended"
	}
	return "removed"
}

// SignOutEverywhere ends every live session of a user (the viewer's own
// included, when it is themself) and returns how many it ended.
func SignOutEverywhere(ctx context.Context, c *ent.Client, userID pulid.ID) (int, error) {
	ctx, err := authz.Require(ctx, c, authz.SignOutUser, authz.Target{User: userID})
	if err != nil {
		return 0, err
	}
	n, err := session.RevokeForUsers(ctx, c, []pulid.ID{userID}, ReasonSignOutEverywhere)
	if err != nil {
		return 0, err
	}
	if err := record(ctx, c, ActionSignedOutEverywhere, "user", userID, "", map[string]any{"sessions_ended": n}); err != nil {
		return 0, err
	}
	return n, nil
}

// ResetPassword mails a user a new temporary password (minted when the
// mail leaves, see TemporaryPasswordRenderer) and ends their sessions now.
func ResetPassword(ctx context.Context, c *ent.Client, userID pulid.ID) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, authz.ResetUserPassword, authz.Target{User: userID})
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	if u.Status != user.StatusActive {
		return nil, apperr.New(apperr.Conflict, "only an active user's password is reset (the user is %s)", statusWord(u.Status))
	}
	if u.SignInMethod == user.SignInMethodSSO {
		return nil, apperr.New(apperr.Conflict, "this user signs in through single sign-on and has no password")
	}
	n, err := session.RevokeForUsers(ctx, c, []pulid.ID{userID}, ReasonPasswordReset)
	if err != nil {
		return nil, err
	}
	// The old password stops working now, not when the mail leaves: it
	// becomes an expired temporary one (sign-in refuses it) until the
	// renderer stores the new one.
	if _, err := c.PasswordCredential.Update().Where(passwordcredential.UserID(userID)).
		SetMustChange(true).SetTemporaryExpiresAt(clock.Now(ctx)).Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: reset password: %w", err)
	}
	msg, err := outbox.Enqueue(ctx, c, outbox.Message{Kind: MessageKindTemporaryPasswd, Org: u.OrganizationID,
		Ref: map[string]any{"user_id": string(userID), "reason": "reset"}})
	if err != nil {
		return nil, err
	}
	if err := record(ctx, c, ActionPasswordReset, "user", userID, "", map[string]any{
		"sessions_ended": n, "outbox_message_id": string(msg.ID)}); err != nil {
		return nil, err
	}
	return u, nil
}
