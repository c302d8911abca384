// Package provision holds the domain operations an identity provider
// drives over SCIM: creating and updating staff users. Status changes
// (suspend, reactivate, remove) are internal/directory's operations, the
// same the administration mutations call; this package calls them.
package provision

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/seats"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	ActionProvisioned = "user.provisioned"
	ActionRevived     = "user.reprovisioned"
	ActionUpdated     = "user.provision_updated"
	ActionPasswordSet = "user.provision_password_set"
)

// Enterprise holds the SCIM enterprise extension's attributes.
type Enterprise struct {
	EmployeeNumber, Department, CostCenter, Organization, Division string
	// Manager is the manager's SCIM id (the enterprise manager's value).
	Manager string
}

// User is the full state of a provisioned user as the provider sends it
// (a create or a replace; PATCH is applied to the current state first).
type User struct {
	// UserName is the identity provider's login for the user (Entra's
	// user principal name, Okta's username), unique per organization
	// ignoring case. It need not be an email.
	UserName string
	// Email is the work email: what the user signs in with and receives
	// invitations at, unique per organization ignoring case. Empty takes
	// UserName, which must then be an email. When UserName differs from
	// it, UserName is kept beside it.
	Email       string
	ExternalID  *string
	GivenName   string
	FamilyName  string
	DisplayName string
	Title       string
	Phone       string
	Enterprise  Enterprise
	// SignInMethod and RequireMFA are our extension's; nil leaves them.
	SignInMethod *user.SignInMethod
	RequireMFA   *bool
	// Active false suspends, true reactivates; nil leaves the status (a
	// create is active).
	Active *bool
	// Password, when not nil, sets the password (policy and hashing of
	// sign-in), unless the user or organization must use SSO: then it is
	// ignored and never stored.
	Password *string
}

func orgOf(ctx context.Context) pulid.ID {
	if v := viewer.FromContext(ctx); v != nil {
		return v.OrgID
	}
	return ""
}

func (in *User) validate() error {
	in.UserName = strings.TrimSpace(in.UserName)
	if in.UserName == "" || utf8.RuneCountInString(in.UserName) > 320 || strings.ContainsFunc(in.UserName, unicode.IsControl) {
		return apperr.InvalidField("userName", "a user needs a userName of at most 320 characters")
	}
	in.Email = strings.TrimSpace(in.Email)
	field := "emails"
	if in.Email == "" {
		in.Email, field = in.UserName, "userName"
	}
	a, err := mail.ParseAddress(in.Email)
	if len(in.Email) > 320 || err != nil || a.Address != in.Email || a.Name != "" {
		if field == "userName" {
			return apperr.InvalidField("emails", "a user whose userName is not an email needs a work email (emails[type eq \"work\"])")
		}
		return apperr.InvalidField(field, "the work email must be an email address (the user signs in with it)")
	}
	for _, f := range []struct {
		name string
		p    *string
		max  int
	}{
		{"name.givenName", &in.GivenName, 200}, {"name.familyName", &in.FamilyName, 200},
		{"displayName", &in.DisplayName, 200}, {"title", &in.Title, 200}, {"phoneNumbers", &in.Phone, 50},
		{"employeeNumber", &in.Enterprise.EmployeeNumber, 200}, {"department", &in.Enterprise.Department, 200},
		{"costCenter", &in.Enterprise.CostCenter, 200}, {"organization", &in.Enterprise.Organization, 200},
		{"division", &in.Enterprise.Division, 200}, {"manager", &in.Enterprise.Manager, 255},
	} {
		*f.p = strings.TrimSpace(*f.p)
		if utf8.RuneCountInString(*f.p) > f.max {
			return apperr.InvalidField(f.name, "must be at most %d characters", f.max)
		}
	}
	if in.ExternalID != nil {
		s := strings.TrimSpace(*in.ExternalID)
		if s == "" {
			in.ExternalID = nil
		} else if len(s) > 255 {
			return apperr.InvalidField("externalId", "must be at most 255 characters")
		} else {
			in.ExternalID = &s
		}
	}
	if in.SignInMethod != nil {
		if err := user.SignInMethodValidator(*in.SignInMethod); err != nil {
			return apperr.InvalidField("signInMethod", "must be ANY, PASSWORD or SSO")
		}
	}
	return nil
}

// UsersNamed returns the ids of the users of org whose userName is name
// ignoring case (their own, or their email when they have none), removed
// ones too. Two statements, each an equality on a unique index
// (organization, …): an OR of the two in one statement is planned, once
// PostgreSQL caches a generic plan, as a scan of the organization's users.
func UsersNamed(ctx context.Context, c *ent.Client, org pulid.ID, name string) ([]pulid.ID, error) {
	n := schema.NormalizeEmail(name)
	own, err := c.User.Query().Where(user.OrganizationID(org), user.ScimUserNameNormalized(n)).IDs(sys(ctx))
	if err != nil {
		return nil, fmt.Errorf("provision: users named %q: %w", name, err)
	}
	byEmail, err := c.User.Query().Where(user.OrganizationID(org), user.EmailNormalized(n),
		predicate.User(func(s *sql.Selector) { s.Where(noOwnUserName(s)) })).IDs(sys(ctx))
	if err != nil {
		return nil, fmt.Errorf("provision: users named %q: %w", name, err)
	}
	return append(own, byEmail...), nil
}

// noOwnUserName says the user has no userName of their own, written
// COALESCE(…, ”) = ” rather than IS NULL so that the planner looks the
// email up in its unique index rather than reading every user without a
// userName from the userName index.
func noOwnUserName(s *sql.Selector) *sql.Predicate {
	col := s.C(user.FieldScimUserNameNormalized)
	return sql.P(func(b *sql.Builder) { b.WriteString("COALESCE(" + col + ", '') = ''") })
}

// conflicts refuses a userName, email or externalId held by another live
// user of the organization (except, not empty, is the user being changed).
func conflicts(ctx context.Context, c *ent.Client, in User, except pulid.ID) error {
	live := func(p predicate.User) *ent.UserQuery {
		q := c.User.Query().Where(user.OrganizationID(orgOf(ctx)), p, user.StatusNEQ(user.StatusDeleted))
		if except != "" {
			q.Where(user.IDNEQ(except))
		}
		return q
	}
	named, err := UsersNamed(ctx, c, orgOf(ctx), in.UserName)
	if err != nil {
		return err
	}
	if taken, err := live(user.IDIn(named...)).Exist(sys(ctx)); err != nil {
		return err
	} else if taken {
		return apperr.New(apperr.Conflict, "userName %q is already taken in this organization", in.UserName)
	}
	if taken, err := live(user.EmailNormalized(schema.NormalizeEmail(in.Email))).Exist(sys(ctx)); err != nil {
		return err
	} else if taken {
		return apperr.New(apperr.Conflict, "the email %q is already another user's in this organization", in.Email)
	}
	return externalIDConflict(ctx, c, in, except)
}

// setNames sets the email and, when it differs, the userName.
func setNames(m *ent.UserMutation, in User) {
	m.SetEmail(in.Email)
	if strings.EqualFold(in.UserName, in.Email) {
		m.ClearScimUserName()
		m.ClearScimUserNameNormalized()
		return
	}
	m.SetScimUserName(in.UserName)
	m.SetScimUserNameNormalized(schema.NormalizeEmail(in.UserName))
}

// UserNameOf is the user's SCIM userName: their own, or their email.
func UserNameOf(u *ent.User) string {
	if u.ScimUserName != nil {
		return *u.ScimUserName
	}
	return u.Email
}

func externalIDConflict(ctx context.Context, c *ent.Client, in User, except pulid.ID) error {
	if in.ExternalID != nil {
		q := c.User.Query().Where(user.OrganizationID(orgOf(ctx)), user.ExternalID(*in.ExternalID))
		if except != "" {
			q.Where(user.IDNEQ(except))
		}
		if taken, err := q.Exist(sys(ctx)); err != nil {
			return err
		} else if taken {
			return apperr.New(apperr.Conflict, "externalId %q is already taken in this organization", *in.ExternalID)
		}
	}
	return nil
}

// Create provisions a staff user: ACTIVE (or at once suspended when
// in.Active is false), taking a seat. A removed user of the same userName
// is revived — the same row, back to ACTIVE with the new attributes —
// rather than a second account: Okta and Entra push a user again after
// unassigning them, and expect the same person back.
func Create(ctx context.Context, c *ent.Client, in User) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, authz.ProvisionUser, authz.Target{})
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	org := orgOf(ctx)
	// The users holding the userName or the email, removed ones too: a
	// live one is a conflict, a removed one comes back.
	email := schema.NormalizeEmail(in.Email)
	found, err := c.User.Query().Where(user.OrganizationID(org), user.EmailNormalized(email)).All(sys(ctx))
	if err != nil {
		return nil, fmt.Errorf("provision: look up userName: %w", err)
	}
	var named []pulid.ID
	if name := schema.NormalizeEmail(in.UserName); name == email {
		// The usual case (Okta's and Entra's userName is the work
		// email): the users whose email it is were just read; only a
		// userName of someone's own can be missing.
		named, err = c.User.Query().Where(user.OrganizationID(org), user.ScimUserNameNormalized(name)).IDs(sys(ctx))
	} else {
		named, err = UsersNamed(ctx, c, org, in.UserName)
	}
	if err != nil {
		return nil, fmt.Errorf("provision: look up userName: %w", err)
	}
	for _, id := range named {
		if !slices.ContainsFunc(found, func(u *ent.User) bool { return u.ID == id }) {
			u, err := c.User.Query().Where(user.ID(id)).Only(sys(ctx))
			if err != nil {
				return nil, fmt.Errorf("provision: look up userName: %w", err)
			}
			found = append(found, u)
		}
	}
	slices.SortFunc(found, func(a, b *ent.User) int { return strings.Compare(string(a.ID), string(b.ID)) })
	var old *ent.User
	for _, f := range found {
		sameName := strings.EqualFold(UserNameOf(f), in.UserName)
		switch {
		case f.Status != user.StatusDeleted && sameName:
			return nil, apperr.New(apperr.Conflict, "userName %q is already taken in this organization", in.UserName)
		case f.Status != user.StatusDeleted:
			return nil, apperr.New(apperr.Conflict, "the email %q is already another user's in this organization", in.Email)
		case f.Kind != user.KindStaff:
			return nil, apperr.New(apperr.Conflict, "userName %q belongs to a portal user", in.UserName)
		case old == nil || (sameName && !strings.EqualFold(UserNameOf(old), in.UserName)):
			old = f // the userName's own row first, else the email's
		}
	}
	// A taken externalId is refused by the unique index (a constraint
	// error below), saving a query.
	var u *ent.User
	event := ActionProvisioned
	if old == nil {
		m := c.User.Create().SetOrganizationID(org).SetKind(user.KindStaff).SetStatus(user.StatusActive).
			SetNillableExternalID(in.ExternalID)
		setNames(m.Mutation(), in)
		setFields(m.Mutation(), in)
		u, err = m.Save(ctx)
	} else {
		event = ActionRevived
		m := c.User.UpdateOneID(old.ID).SetStatus(user.StatusActive).ClearDeletedAt().ClearSuspendedAt()
		setNames(m.Mutation(), in)
		if in.ExternalID != nil {
			m.SetExternalID(*in.ExternalID)
		} else {
			m.ClearExternalID()
		}
		setFields(m.Mutation(), in)
		u, err = m.Save(ctx)
	}
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "userName, email or externalId is already taken in this organization")
		}
		return nil, fmt.Errorf("provision: create user: %w", err)
	}
	if err := seats.ConsumeForUser(ctx, c, org, u.ID); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{Org: org, Action: event, TargetType: "user", TargetID: string(u.ID),
		Details: map[string]any{"user_name": UserNameOf(u), "email": u.Email}}); err != nil {
		return nil, err
	}
	if err := setPassword(ctx, c, u, in.Password); err != nil {
		return nil, err
	}
	if in.Active != nil && !*in.Active {
		return directory.Suspend(ctx, c, u.ID)
	}
	return u, nil
}

// Update replaces a provisioned user's attributes with in, then moves
// them to the status in.Active says through directory.Suspend (every
// session ends at once) or directory.Reactivate (the same account).
func Update(ctx context.Context, c *ent.Client, id pulid.ID, in User) (*ent.User, error) {
	ctx, err := authz.Require(ctx, c, authz.ProvisionUser, authz.Target{User: id})
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	u, err := c.User.Query().Where(user.ID(id), user.StatusNEQ(user.StatusDeleted)).Only(sys(ctx))
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "user not found")
	} else if err != nil {
		return nil, err
	}
	if !strings.EqualFold(in.UserName, UserNameOf(u)) || !strings.EqualFold(in.Email, u.Email) {
		if err := conflicts(ctx, c, in, id); err != nil {
			return nil, err
		}
	} else if err := externalIDConflict(ctx, c, in, id); err != nil {
		return nil, err
	}
	m := c.User.UpdateOneID(id)
	setNames(m.Mutation(), in)
	if in.ExternalID != nil {
		m.SetExternalID(*in.ExternalID)
	} else {
		m.ClearExternalID()
	}
	setFields(m.Mutation(), in)
	before := u
	if u, err = m.Save(ctx); err != nil {
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "userName, email or externalId is already taken in this organization")
		}
		return nil, fmt.Errorf("provision: update user: %w", err)
	}
	if changed := diff(before, u); len(changed) > 0 {
		if err := audit.Record(ctx, c, audit.Event{Org: orgOf(ctx), Action: ActionUpdated, TargetType: "user", TargetID: string(id),
			Details: map[string]any{"changed": changed}}); err != nil {
			return nil, err
		}
	}
	if err := setPassword(ctx, c, u, in.Password); err != nil {
		return nil, err
	}
	switch {
	case in.Active == nil:
	case !*in.Active && u.Status != user.StatusSuspended:
		return directory.Suspend(ctx, c, id)
	case *in.Active && u.Status == user.StatusSuspended:
		return directory.Reactivate(ctx, c, id)
	}
	return u, nil
}

// Remove soft-deletes the user (directory.Remove: sessions end, the seat
// is freed, every record stays).
func Remove(ctx context.Context, c *ent.Client, id pulid.ID) error {
	_, err := directory.Remove(ctx, c, id)
	return err
}

func setFields(m *ent.UserMutation, in User) {
	m.SetGivenName(in.GivenName)
	m.SetFamilyName(in.FamilyName)
	m.SetDisplayName(in.DisplayName)
	m.SetTitle(in.Title)
	m.SetPhone(in.Phone)
	m.SetEmployeeNumber(in.Enterprise.EmployeeNumber)
	m.SetDepartment(in.Enterprise.Department)
	m.SetCostCenter(in.Enterprise.CostCenter)
	m.SetOrganizationName(in.Enterprise.Organization)
	m.SetDivision(in.Enterprise.Division)
	m.SetManagerRef(in.Enterprise.Manager)
	if in.SignInMethod != nil {
		m.SetSignInMethod(*in.SignInMethod)
	}
	if in.RequireMFA != nil {
		m.SetRequireMfa(*in.RequireMFA)
	}
}

func diff(a, b *ent.User) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y any
	}{
		{"email", a.Email, b.Email}, {"user_name", UserNameOf(a), UserNameOf(b)},
		{"external_id", deref(a.ExternalID), deref(b.ExternalID)},
		{"given_name", a.GivenName, b.GivenName}, {"family_name", a.FamilyName, b.FamilyName},
		{"display_name", a.DisplayName, b.DisplayName}, {"title", a.Title, b.Title}, {"phone", a.Phone, b.Phone},
		{"employee_number", a.EmployeeNumber, b.EmployeeNumber}, {"department", a.Department, b.Department},
		{"cost_center", a.CostCenter, b.CostCenter}, {"organization_name", a.OrganizationName, b.OrganizationName},
		{"division", a.Division, b.Division}, {"manager", a.ManagerRef, b.ManagerRef},
		{"sign_in_method", a.SignInMethod, b.SignInMethod}, {"require_mfa", a.RequireMfa, b.RequireMfa},
	} {
		if f.x != f.y {
			out = append(out, f.name)
		}
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// setPassword sets a pushed password, or ignores it when the user or the
// organization must sign in with SSO (it is never stored then).
func setPassword(ctx context.Context, c *ent.Client, u *ent.User, plain *string) error {
	if plain == nil {
		return nil
	}
	if u.SignInMethod == user.SignInMethodSSO {
		return nil
	}
	org, err := c.Organization.Query().Where(organization.ID(u.OrganizationID)).Only(sys(ctx))
	if err != nil {
		return fmt.Errorf("provision: organization: %w", err)
	}
	if org.SignInMethod == organization.SignInMethodSSO {
		return nil
	}
	if err := password.ValidateFor(*plain, u.Email); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return apperr.InvalidField("password", "%s", pe.Reason)
		}
		return apperr.InvalidField("password", "is not acceptable")
	}
	hash, err := password.Hash(*plain)
	if err != nil {
		return fmt.Errorf("provision: hash password: %w", err)
	}
	if _, err := c.PasswordCredential.Delete().Where(passwordcredential.UserID(u.ID)).Exec(ctx); err != nil {
		return fmt.Errorf("provision: replace password: %w", err)
	}
	if err := c.PasswordCredential.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).SetHash(hash).
		SetChangedAt(clock.Now(ctx)).Exec(ctx); err != nil {
		return fmt.Errorf("provision: set password: %w", err)
	}
	return audit.Record(ctx, c, audit.Event{Org: u.OrganizationID, Action: ActionPasswordSet, TargetType: "user", TargetID: string(u.ID)})
}
