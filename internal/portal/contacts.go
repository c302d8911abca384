package portal

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ContactInput is one contact of a client's Contact Info.
type ContactInput struct {
	Name         string
	Relationship string
	Email        string
	Phone        string
}

// clean trims and checks the contact; the email is optional but, when
// given, must be an address.
func (in ContactInput) clean() (ContactInput, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Relationship = strings.TrimSpace(in.Relationship)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	switch {
	case in.Name == "":
		return in, apperr.InvalidField("name", "give the contact's name")
	case utf8.RuneCountInString(in.Name) > 200:
		return in, apperr.InvalidField("name", "the name is too long (at most 200 characters)")
	case utf8.RuneCountInString(in.Relationship) > 100:
		return in, apperr.InvalidField("relationship", "the relationship is too long (at most 100 characters)")
	case utf8.RuneCountInString(in.Phone) > 50:
		return in, apperr.InvalidField("phone", "the phone number is too long (at most 50 characters)")
	}
	if in.Email != "" {
		if _, _, err := normalizeEmail("email", in.Email); err != nil {
			return in, err
		}
	}
	return in, nil
}

func (in ContactInput) details() map[string]any {
	return map[string]any{"name": in.Name, "relationship": in.Relationship, "email": in.Email, "phone": in.Phone}
}

func contactDetails(ct *ent.ClientContact) map[string]any {
	return ContactInput{Name: ct.Name, Relationship: ct.Relationship, Email: ct.Email, Phone: ct.Phone}.details()
}

// AddContact adds a contact to clientID (clients.edit on a reached client).
func AddContact(ctx context.Context, c *ent.Client, clientID pulid.ID, in ContactInput) (*ent.ClientContact, error) {
	ctx, err := authz.Require(ctx, c, authz.EditClientContacts, authz.Target{Client: clientID})
	if err != nil {
		return nil, err
	}
	if in, err = in.clean(); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	now := authz.Now(ctx)
	ct, err := c.ClientContact.Create().SetOrganizationID(v.OrgID).SetClientID(clientID).
		SetName(in.Name).SetRelationship(in.Relationship).SetEmail(in.Email).SetPhone(in.Phone).
		SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: ContactAdded, TargetType: "client_contact", TargetID: string(ct.ID), ClientID: clientID,
		Details: map[string]any{"after": in.details()},
	}); err != nil {
		return nil, err
	}
	return ct, nil
}

// contact loads a contact and decides editing its client.
func contact(ctx context.Context, c *ent.Client, id pulid.ID) (context.Context, *ent.ClientContact, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	ct, err := c.ClientContact.Query().Where(clientcontact.ID(id)).Only(viewer.ForSystem(ctx, v.OrgID))
	target := authz.Target{Client: pulid.ID("cli_missing")}
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, nil, err
	default:
		target = authz.Target{Client: ct.ClientID}
	}
	ctx, err = authz.Require(ctx, c, authz.EditClientContacts, target)
	if err != nil {
		return nil, nil, err
	}
	if ct == nil {
		return nil, nil, apperr.New(apperr.NotFound, "contact not found")
	}
	return ctx, ct, nil
}

// UpdateContact replaces the contact id's details. A portal user whose
// email came from this contact keeps their email: the link is to a
// person, not to a row of Contact Info.
func UpdateContact(ctx context.Context, c *ent.Client, id pulid.ID, in ContactInput) (*ent.ClientContact, error) {
	ctx, ct, err := contact(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if in, err = in.clean(); err != nil {
		return nil, err
	}
	before := contactDetails(ct)
	ct, err = ct.Update().SetName(in.Name).SetRelationship(in.Relationship).SetEmail(in.Email).SetPhone(in.Phone).
		SetUpdatedAt(authz.Now(ctx)).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: ContactChanged, TargetType: "client_contact", TargetID: string(ct.ID), ClientID: ct.ClientID,
		Details: map[string]any{"before": before, "after": in.details()},
	}); err != nil {
		return nil, err
	}
	return ct, nil
}

// RemoveContact removes the contact id from its client's Contact Info.
func RemoveContact(ctx context.Context, c *ent.Client, id pulid.ID) (pulid.ID, error) {
	ctx, ct, err := contact(ctx, c, id)
	if err != nil {
		return "", err
	}
	if err := c.ClientContact.DeleteOne(ct).Exec(ctx); err != nil {
		return "", err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: ContactRemoved, TargetType: "client_contact", TargetID: string(ct.ID), ClientID: ct.ClientID,
		Details: map[string]any{"before": contactDetails(ct)},
	}); err != nil {
		return "", err
	}
	return ct.ID, nil
}
