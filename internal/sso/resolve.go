package sso

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/useridentity"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/seats"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Account is the account a verified identity signs in, for auth/login's
// sign-in flow (which applies the account gates and starts the session).
type Account struct {
	Org          *ent.Organization
	User         *ent.User
	Email        string
	MFASatisfied bool
	MFADetails   map[string]any
	Details      map[string]any
	// Record runs in the session's transaction: it links the identity
	// (first sign-in) or brings it up to date.
	Record func(ctx context.Context, tx *ent.Client, u *ent.User) error
}

// Resolve finds the account of a verified identity, in this order:
//
//  1. the email's domain must be one of the connection's (when it lists
//     any);
//  2. the user linked to (issuer, subject);
//  3. else, with an email the provider vouches for, the organization's
//     staff user with that email, or the pending invitation (required
//     method SSO or ANY) to that address, accepted now;
//  4. else, when the connection provisions just in time, a new user with
//     its default role and unit and the claim mappings' roles and units,
//     taking a seat;
//  5. else the sign-in is refused (sso_unknown_user).
//
// Every refusal is a *Refusal, for the flow to audit.
func (s *Service) Resolve(ctx context.Context, id *Identity) (*Account, error) {
	conn, org := id.Conn, id.Org
	sys := viewer.ForSystem(ctx, org.ID)
	email := schema.NormalizeEmail(id.Email)
	details := map[string]any{"connection_id": string(conn.ID), "issuer": id.Issuer}
	refuse := func(u *ent.User, reason string, err error) error {
		return &Refusal{Org: org, User: u, Email: email, Reason: reason, Details: details, Err: err}
	}
	domainListed := len(conn.EmailDomains) > 0 && slices.Contains(conn.EmailDomains, domainOf(email))
	if len(conn.EmailDomains) > 0 && !domainListed {
		return nil, refuse(nil, ReasonEmailDomain, ErrEmailDomain)
	}
	acct := &Account{Org: org, Email: email, Details: details}
	acct.MFASatisfied, acct.MFADetails = providerMFA(conn, id)

	link, err := s.Client.UserIdentity.Query().
		Where(useridentity.Issuer(id.Issuer), useridentity.Subject(id.Subject)).
		WithUser().Only(sys)
	switch {
	case err == nil:
		acct.User = link.Edges.User
		acct.Record = func(ctx context.Context, tx *ent.Client, _ *ent.User) error {
			return tx.UserIdentity.UpdateOneID(link.ID).SetEmail(trunc(id.Email, 320)).
				SetConnectionID(conn.ID).SetLastSignInAt(clock.Now(ctx)).Exec(ctx)
		}
		return acct, nil
	case !ent.IsNotFound(err):
		return nil, fmt.Errorf("sso: look up identity: %w", err)
	}

	// First sign-in: link by an email the provider vouches for. A
	// provider that says nothing about verification is trusted only for
	// a domain the connection claims.
	if email == "" || !strings.Contains(email, "@") {
		return nil, refuse(nil, ReasonEmailUnverified, ErrEmailUnverified)
	}
	verified := (id.EmailVerified != nil && *id.EmailVerified) || (id.EmailVerified == nil && domainListed)
	if !verified {
		return nil, refuse(nil, ReasonEmailUnverified, ErrEmailUnverified)
	}
	u, err := s.Client.User.Query().Where(user.EmailNormalized(email)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("sso: look up user: %w", err)
	}
	if u != nil && u.Kind != user.KindStaff {
		// Portal users do not sign in through the staff's provider, nor
		// is a staff account made over their address.
		return nil, refuse(nil, ReasonUnknownUser, ErrUnknownUser)
	}
	if u == nil || u.Status == user.StatusInvited || u.Status == user.StatusDeleted {
		inv, err := invite.PendingForSSO(sys, s.Client, email)
		if err != nil {
			return nil, fmt.Errorf("sso: look up invitation: %w", err)
		}
		if inv != nil {
			if u, err = s.accept(sys, inv); err != nil {
				var ae *apperr.Error
				if errors.As(err, &ae) {
					return nil, refuse(nil, "sso_invitation_"+ae.WireCode(), ae)
				}
				return nil, err
			}
		}
	}
	if u == nil {
		if !conn.AutoProvision {
			return nil, refuse(nil, ReasonUnknownUser, ErrUnknownUser)
		}
		if u, err = s.provision(sys, id, email); err != nil {
			if apperr.KindOf(err) == apperr.Conflict {
				return nil, refuse(nil, ReasonNoSeat, ErrNoSeat)
			}
			return nil, err
		}
	}
	// One identity per provider and account: a second subject claiming
	// the same address is not linked silently.
	taken, err := s.Client.UserIdentity.Query().
		Where(useridentity.UserID(u.ID), useridentity.Issuer(id.Issuer)).Exist(sys)
	if err != nil {
		return nil, fmt.Errorf("sso: look up identities: %w", err)
	}
	if taken {
		return nil, refuse(u, ReasonIdentityConflict, ErrIdentityConflict)
	}
	acct.User = u
	acct.Record = func(ctx context.Context, tx *ent.Client, u *ent.User) error {
		l, err := tx.UserIdentity.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetConnectionID(conn.ID).
			SetIssuer(id.Issuer).SetSubject(id.Subject).SetEmail(trunc(id.Email, 320)).
			SetLastSignInAt(clock.Now(ctx)).Save(ctx)
		if ent.IsConstraintError(err) {
			// A concurrent first sign-in of the same identity linked it.
			return ErrIdentityConflict
		}
		if err != nil {
			return fmt.Errorf("sso: link identity: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Org: org.ID, Action: ActionIdentityLinked,
			TargetType: "user", TargetID: string(u.ID),
			Details: map[string]any{"identity_id": string(l.ID), "connection_id": string(conn.ID), "issuer": id.Issuer, "subject": id.Subject}})
	}
	return acct, nil
}

// accept accepts an invitation for single sign-on, in its own
// transaction (audited by internal/invite).
func (s *Service) accept(sys context.Context, inv *ent.Invitation) (*ent.User, error) {
	var u *ent.User
	err := s.inTx(sys, func(tx *ent.Client) error {
		var err error
		u, err = invite.AcceptForSSO(sys, tx, inv)
		return err
	})
	return u, err
}

// provision creates the user of a first sign-in (just in time): ACTIVE,
// required to sign in by SSO, with the connection's default role and unit
// and those its claim mappings give for the identity's groups; the seat is
// taken and the creation audited, in one transaction.
func (s *Service) provision(sys context.Context, id *Identity, email string) (*ent.User, error) {
	conn := id.Conn
	var roles, units []pulid.ID
	if conn.DefaultRoleID != nil {
		roles = append(roles, *conn.DefaultRoleID)
	}
	if conn.DefaultBusinessUnitID != nil {
		units = append(units, *conn.DefaultBusinessUnitID)
	}
	for _, m := range conn.ClaimMappings {
		if !slices.Contains(id.Groups, m.Value) {
			continue
		}
		if m.RoleID != "" && !slices.Contains(roles, m.RoleID) {
			roles = append(roles, m.RoleID)
		}
		if m.BusinessUnitID != "" && !slices.Contains(units, m.BusinessUnitID) {
			units = append(units, m.BusinessUnitID)
		}
	}
	var u *ent.User
	err := s.inTx(sys, func(tx *ent.Client) error {
		m := tx.User.Create().SetOrganizationID(id.Org.ID).SetKind(user.KindStaff).SetStatus(user.StatusActive).
			SetEmail(trunc(id.Email, 320)).SetDisplayName(id.Name).SetSignInMethod(user.SignInMethodSSO).
			AddRoleIDs(roles...).AddBusinessUnitIDs(units...)
		if len(units) > 0 {
			m.SetPrimaryBusinessUnitID(units[0])
		}
		var err error
		if u, err = m.Save(sys); err != nil {
			return fmt.Errorf("sso: provision user: %w", err)
		}
		if err := seats.ConsumeForUser(sys, tx, id.Org.ID, u.ID); err != nil {
			return err
		}
		return audit.Record(sys, tx, audit.Event{Org: id.Org.ID, Action: ActionUserProvisioned,
			TargetType: "user", TargetID: string(u.ID),
			Details: map[string]any{"email": u.Email, "connection_id": string(conn.ID), "roles": roles, "business_units": units}})
	})
	return u, err
}

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	return store.InTx(ctx, s.Client, fn)
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return email[i+1:]
	}
	return ""
}
