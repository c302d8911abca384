// Package portal holds the client portal's administration (seed 002):
// portal users linked to a client with four permissions, the one alert
// recipient per client, and the client's contacts (Contact Info) a
// portal user's email may be picked from. Each operation runs in the
// caller's transaction, is decided by internal/authz and writes its audit
// event there.
package portal

import (
	"context"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	AccessGranted        = "portal.access_granted"
	PermissionsChanged   = "portal.permissions_changed"
	AlertRecipientMoved  = "portal.alert_recipient_moved"
	AccessRevoked        = "portal.access_revoked"
	ContactAdded         = "client.contact_added"
	ContactChanged       = "client.contact_changed"
	ContactRemoved       = "client.contact_removed"
	InvitationKind       = "portal_invitation"
	maxDisplayNameLength = 200
)

// Permissions are the four portal permissions of seed 002.
type Permissions struct {
	Documents        bool // Access to Documents
	SessionsHomework bool // Sessions & Homework
	Billing          bool // Billing, Invoicing & Insurance
	Surveys          bool // View & Submit Surveys
}

func (p Permissions) details() map[string]any {
	return map[string]any{"documents": p.Documents, "sessions_homework": p.SessionsHomework,
		"billing": p.Billing, "surveys": p.Surveys}
}

func permissionsOf(pa *ent.PortalAccess) Permissions {
	return Permissions{Documents: pa.Documents, SessionsHomework: pa.SessionsHomework, Billing: pa.Billing, Surveys: pa.Surveys}
}

// AddInput adds a portal user to a client: the email of one of the
// client's contacts (ContactID) or a new one (Email), never both. A new
// email is not added to the contacts.
type AddInput struct {
	ClientID       pulid.ID
	ContactID      pulid.ID
	Email          string
	DisplayName    string
	Permissions    Permissions
	AlertRecipient bool
}

// Added is the outcome of AddUser.
type Added struct {
	Access *ent.PortalAccess
	User   *ent.User
	// Invited: the user was created (INVITED) and a portal invitation
	// enqueued; false when an existing portal user (a parent of a
	// sibling) got one more link and keeps their one sign-in.
	Invited bool
}

// normalizeEmail checks an address and returns it trimmed and its
// lower-cased form (the per-organization unique key of users).
func normalizeEmail(field, s string) (string, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", apperr.InvalidField(field, "give an email address")
	}
	if utf8.RuneCountInString(s) > 320 {
		return "", "", apperr.InvalidField(field, "the email address is too long")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return "", "", apperr.InvalidField(field, "%q is not an email address", s)
	}
	return s, strings.ToLower(s), nil
}

// AddUser gives a portal user access to a client. The user is found by
// email within the organization (one person, one sign-in, however many
// clients: a parent of two siblings has two links) or created as an
// INVITED portal user, in which case a "portal_invitation" message is
// enqueued (its renderer mints the sign-in link at delivery). The first
// portal user of a client becomes its alert recipient; AlertRecipient
// moves the flag to the new one.
func AddUser(ctx context.Context, c *ent.Client, in AddInput) (*Added, error) {
	ctx, err := authz.Require(ctx, c, authz.ManagePortalAccess, authz.Target{Client: in.ClientID, Clients: []pulid.ID{in.ClientID}})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	var email, norm string
	switch {
	case in.ContactID != "" && strings.TrimSpace(in.Email) != "":
		return nil, apperr.InvalidField("email", "pick a contact's email or type a new one, not both")
	case in.ContactID != "":
		ct, err := c.ClientContact.Query().Where(clientcontact.ID(in.ContactID), clientcontact.ClientID(in.ClientID)).Only(sys)
		if ent.IsNotFound(err) {
			return nil, apperr.InvalidField("contactId", "no such contact of this client")
		}
		if err != nil {
			return nil, err
		}
		if ct.Email == "" {
			return nil, apperr.InvalidField("contactId", "this contact has no email address")
		}
		if email, norm, err = normalizeEmail("contactId", ct.Email); err != nil {
			return nil, err
		}
		if in.DisplayName == "" {
			in.DisplayName = ct.Name
		}
	default:
		if email, norm, err = normalizeEmail("email", in.Email); err != nil {
			return nil, err
		}
	}
	name := strings.TrimSpace(in.DisplayName)
	if utf8.RuneCountInString(name) > maxDisplayNameLength {
		return nil, apperr.InvalidField("displayName", "the name is too long (at most %d characters)", maxDisplayNameLength)
	}
	u, err := c.User.Query().Where(user.EmailNormalized(norm)).Only(sys)
	created := false
	switch {
	case ent.IsNotFound(err):
		if name == "" {
			name = email
		}
		u, err = c.User.Create().SetOrganizationID(v.OrgID).SetEmail(email).SetDisplayName(name).
			SetKind(user.KindPortal).SetStatus(user.StatusInvited).Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "a user with this email was added at the same time; try again")
		}
		if err != nil {
			return nil, err
		}
		created = true
	case err != nil:
		return nil, err
	case u.Kind != user.KindPortal:
		return nil, apperr.InvalidField("email", "this email belongs to a staff member; share the client with them instead")
	case u.Status == user.StatusDeleted:
		return nil, apperr.InvalidField("email", "this email belongs to a deleted portal user")
	}
	exists, err := c.PortalAccess.Query().Where(portalaccess.UserID(u.ID), portalaccess.ClientID(in.ClientID)).Exist(sys)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, apperr.New(apperr.Conflict, "this portal user already has access to this client")
	}
	current, err := c.PortalAccess.Query().Where(portalaccess.ClientID(in.ClientID), portalaccess.AlertRecipient(true)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	recipient := in.AlertRecipient || current == nil
	if recipient && current != nil {
		if err := current.Update().SetAlertRecipient(false).Exec(ctx); err != nil {
			return nil, err
		}
	}
	now := authz.Now(ctx)
	p := in.Permissions
	pa, err := c.PortalAccess.Create().SetOrganizationID(v.OrgID).SetUserID(u.ID).SetClientID(in.ClientID).
		SetDocuments(p.Documents).SetSessionsHomework(p.SessionsHomework).SetBilling(p.Billing).SetSurveys(p.Surveys).
		SetAlertRecipient(recipient).SetGrantedByID(v.UserID).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.Conflict, "the client's portal changed at the same time; try again")
	}
	if err != nil {
		return nil, err
	}
	details := map[string]any{"user_id": string(u.ID), "email": email, "created_user": created,
		"permissions": p.details(), "alert_recipient": recipient}
	if recipient && current != nil {
		details["previous_alert_recipient"] = string(current.UserID)
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: AccessGranted, TargetType: "portal_access", TargetID: string(pa.ID), ClientID: in.ClientID, Details: details,
	}); err != nil {
		return nil, err
	}
	if created {
		if _, err := outbox.Enqueue(ctx, c, outbox.Message{Kind: InvitationKind, Org: v.OrgID,
			Ref: map[string]any{"user_id": string(u.ID), "client_id": string(in.ClientID)}}); err != nil {
			return nil, err
		}
	}
	return &Added{Access: pa, User: u, Invited: created}, nil
}

// link loads the portal link id and decides action on it: the privilege
// first (FORBIDDEN), then reaching its client (NOT_FOUND, like a link of
// another organization or none at all).
func link(ctx context.Context, c *ent.Client, id pulid.ID) (context.Context, *ent.PortalAccess, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	pa, err := c.PortalAccess.Query().Where(portalaccess.ID(id)).Only(viewer.ForSystem(ctx, v.OrgID))
	var target authz.Target
	switch {
	case ent.IsNotFound(err):
		target = authz.Target{Client: pulid.ID("cli_missing")}
	case err != nil:
		return nil, nil, err
	default:
		target = authz.Target{Client: pa.ClientID, User: pa.UserID, Clients: []pulid.ID{pa.ClientID}}
	}
	ctx, err = authz.Require(ctx, c, authz.ManagePortalAccess, target)
	if err != nil {
		return nil, nil, err
	}
	if pa == nil {
		return nil, nil, apperr.New(apperr.NotFound, "portal access not found")
	}
	return ctx, pa, nil
}

// SetPermissions sets the four permissions of the portal link id.
func SetPermissions(ctx context.Context, c *ent.Client, id pulid.ID, p Permissions) (*ent.PortalAccess, error) {
	ctx, pa, err := link(ctx, c, id)
	if err != nil {
		return nil, err
	}
	before := permissionsOf(pa)
	pa, err = pa.Update().SetDocuments(p.Documents).SetSessionsHomework(p.SessionsHomework).
		SetBilling(p.Billing).SetSurveys(p.Surveys).SetUpdatedAt(authz.Now(ctx)).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: PermissionsChanged, TargetType: "portal_access", TargetID: string(pa.ID), ClientID: pa.ClientID,
		Details: map[string]any{"user_id": string(pa.UserID), "before": before.details(), "after": p.details()},
	}); err != nil {
		return nil, err
	}
	return pa, nil
}

// SetAlertRecipient makes the portal link id its client's one alert
// recipient, moving the flag from whoever held it (seed 002: "simply
// click the Assign button").
func SetAlertRecipient(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.PortalAccess, error) {
	ctx, pa, err := link(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if pa.AlertRecipient {
		return pa, nil
	}
	v := viewer.FromContext(ctx)
	sys := viewer.ForSystem(ctx, v.OrgID)
	prev, err := c.PortalAccess.Query().Where(portalaccess.ClientID(pa.ClientID), portalaccess.AlertRecipient(true)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	// Clear first: the partial unique index admits one flag per client.
	if _, err := c.PortalAccess.Update().Where(portalaccess.ClientID(pa.ClientID), portalaccess.AlertRecipient(true)).
		SetAlertRecipient(false).Save(ctx); err != nil {
		return nil, err
	}
	pa, err = pa.Update().SetAlertRecipient(true).SetUpdatedAt(authz.Now(ctx)).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.Conflict, "the alert recipient changed at the same time; try again")
	}
	if err != nil {
		return nil, err
	}
	details := map[string]any{"after": string(pa.UserID), "before": nil}
	if prev != nil {
		details["before"] = string(prev.UserID)
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: AlertRecipientMoved, TargetType: "portal_access", TargetID: string(pa.ID), ClientID: pa.ClientID, Details: details,
	}); err != nil {
		return nil, err
	}
	return pa, nil
}

// Remove ends the portal link id. The user keeps their sign-in and their
// other clients' links. When the link was the alert recipient, the flag
// moves to the client's oldest remaining portal user, if any, so that a
// client with portal users always has exactly one.
func Remove(ctx context.Context, c *ent.Client, id pulid.ID) (pulid.ID, error) {
	ctx, pa, err := link(ctx, c, id)
	if err != nil {
		return "", err
	}
	if err := c.PortalAccess.DeleteOne(pa).Exec(ctx); err != nil {
		return "", err
	}
	details := map[string]any{"user_id": string(pa.UserID),
		"before": map[string]any{"permissions": permissionsOf(pa).details(), "alert_recipient": pa.AlertRecipient}}
	if pa.AlertRecipient {
		v := viewer.FromContext(ctx)
		next, err := c.PortalAccess.Query().Where(portalaccess.ClientID(pa.ClientID)).
			Order(ent.Asc(portalaccess.FieldCreatedAt), ent.Asc(portalaccess.FieldID)).First(viewer.ForSystem(ctx, v.OrgID))
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return "", err
		default:
			if err := next.Update().SetAlertRecipient(true).Exec(ctx); err != nil {
				return "", err
			}
			details["alert_recipient_moved_to"] = string(next.UserID)
		}
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: AccessRevoked, TargetType: "portal_access", TargetID: string(pa.ID), ClientID: pa.ClientID, Details: details,
	}); err != nil {
		return "", err
	}
	return pa.ID, nil
}
