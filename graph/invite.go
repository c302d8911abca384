package graph

import (
	"entgo.io/contrib/entgql"
	"github.com/clinicgate/clinicgate/internal/seats"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/invite"
)

// Translations between the invitation mutations' wire shapes and
// internal/invite.

func inviteSettings(units, clients, profiles []pulid.ID, roles []pulid.ID, mfa *bool, method *invitation.SignInMethod, from pulid.ID) invite.Settings {
	s := invite.Settings{RoleIDs: roles, BusinessUnitIDs: units, ClientIDs: clients, StaffProfileIDs: profiles, FromClient: from}
	if mfa != nil {
		s.RequireMFA = *mfa
	}
	if method != nil {
		s.SignInMethod = *method
	}
	return s
}

func inviteUserPayload(inv *ent.Invitation, sel *invite.Selection, err error) (*InviteUserPayload, error) {
	if err != nil {
		return nil, err
	}
	return &InviteUserPayload{Invitation: inv, Selection: nonNilSelection(sel)}, nil
}

func bulkInvitePayload(rs []invite.Result, sel *invite.Selection, err error) (*invite.BulkOutcome, error) {
	if err != nil {
		return nil, err
	}
	return invite.Tally(rs, nonNilSelection(sel)), nil
}

func invitationPayload(inv *ent.Invitation, err error) (*InvitationPayload, error) {
	if err != nil {
		return nil, err
	}
	return &InvitationPayload{Invitation: inv}, nil
}

// nonNilSelection turns nil lists into empty ones (the fields are non-null).
func nonNilSelection(sel *invite.Selection) *invite.Selection {
	out := *sel
	for _, l := range []*[]pulid.ID{&out.BusinessUnitIDs, &out.ClientIDs, &out.StaffProfileIDs} {
		if *l == nil {
			*l = []pulid.ID{}
		}
	}
	if out.Roles == nil {
		out.Roles = []*ent.Role{}
	}
	return &out
}

// pendingOrder orders pending invitations newest first unless asked otherwise.
func pendingOrder(o *ent.InvitationOrder) *ent.InvitationOrder {
	if o != nil {
		return o
	}
	return &ent.InvitationOrder{Direction: entgql.OrderDirectionDesc, Field: ent.InvitationOrderFieldCreatedAt}
}

func seatLimitPayload(st *seats.Status, err error) (*SetSeatLimitPayload, error) {
	if err != nil {
		return nil, err
	}
	return &SetSeatLimitPayload{Seats: st}, nil
}
