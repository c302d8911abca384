package authz

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The invitation concern of the write vocabulary (see concern in write.go):
// inviting users singly, in bulk and from a client's page, the
// invitation's lifecycle, and the seats invitations consume.
//
// Two ways in (seed 000):
//   - a manager (users.invite or users.manage) invites from the
//     organization's settings;
//   - a sharer (clients.share) invites from a client's page (Target.Client):
//     the invitee is linked to that client.
//
// Either way the invitation hands out nothing the inviter lacks: every
// privilege of every role (owner-only privileges never), every client and
// staff profile (the inviter reaches each), every business unit (the
// inviter reaches every client of it that the unit would open, and, when a
// handed-out role opens the primary unit's staff profiles, every staff
// profile of it).

const (
	// InviteUsers creates invitations (single or bulk) handing out
	// Target.Roles, Target.Clients, Target.StaffProfiles and
	// Target.BusinessUnits; from a client's page Target.Client is that
	// client. It consumes seats (locking the subscription) and enqueues
	// the emails.
	InviteUsers Action = "invitation.create"
	// ResendInvitation sends the pending invitation Target.Row again with
	// a new link.
	ResendInvitation Action = "invitation.resend"
	// RevokeInvitation revokes the pending invitation Target.Row.
	RevokeInvitation Action = "invitation.revoke"
	// ViewSeats reads the subscription's seats and charges. It opens no
	// write.
	ViewSeats Action = "seats.view"
	// SetSeatLimit changes the current subscription's seat limit
	// (organization settings: it is what the organization pays for).
	SetSeatLimit Action = "seats.set_limit"
)

func inviteConcern() concern {
	return concern{
		name: "invite",
		writes: map[Action][]write{
			InviteUsers: {
				{"Invitation", ent.OpCreate},
				{"Subscription", ent.OpUpdateOne},
				{"SeatCharge", ent.OpCreate},
				audited, mailed,
			},
			ResendInvitation: {{"Invitation", ent.OpUpdateOne}, audited, mailed},
			RevokeInvitation: {{"Invitation", ent.OpUpdateOne}, audited},
			ViewSeats:        {},
			SetSeatLimit:     {{"Subscription", ent.OpUpdateOne}, audited},
		},
		decide: decideInvite,
	}
}

// reachFact is what the decision knows of one handed-out client or staff
// profile.
type reachFact struct {
	found   bool // exists in the organization
	reached bool // the inviter reaches it
}

// roleFact is what the decision knows of one handed-out role.
type roleFact struct {
	found      bool
	privileges []string
}

// unitFact is what the decision knows of one handed-out business unit.
type unitFact struct {
	found bool
	// clientsReached: the inviter reaches every (non-restricted) client of
	// the unit; profilesReached: every staff profile of it.
	clientsReached  bool
	profilesReached bool
}

// inviteFacts are what decideInviteWrite needs beyond the viewer.
type inviteFacts struct {
	fromClientPage bool // Target.Client was given
	pageClient     reachFact
	roles          []roleFact
	clients        []reachFact
	profiles       []reachFact
	units          []unitFact
	// resend and revoke
	rowFound   bool // a pending invitation of the organization
	ownRow     bool // sent by the viewer
	rowReached bool // the viewer reaches every client the invitation hands out
}

func decideInvite(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	f, err := loadInviteFacts(ctx, c, v, a, t)
	if err != nil {
		return err
	}
	return decideInviteWrite(v, a, f)
}

func loadInviteFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) (inviteFacts, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	var f inviteFacts
	var err error
	keep := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	// reach answers, for each id, whether it exists and whether the
	// viewer reaches it, in two queries.
	reach := func(ids []pulid.ID, all func(context.Context, []pulid.ID) ([]pulid.ID, error)) []reachFact {
		out := make([]reachFact, len(ids))
		if len(ids) == 0 {
			return out
		}
		found, e := all(sys, ids)
		keep(e)
		seen, e := all(ctx, ids)
		keep(e)
		for i, id := range ids {
			out[i] = reachFact{found: slices.Contains(found, id), reached: slices.Contains(seen, id)}
		}
		return out
	}
	clientIDs := func(q context.Context, ids []pulid.ID) ([]pulid.ID, error) {
		return c.Patient.Query().Where(patient.IDIn(ids...)).IDs(q)
	}
	profileIDs := func(q context.Context, ids []pulid.ID) ([]pulid.ID, error) {
		return c.StaffProfile.Query().Where(staffprofile.IDIn(ids...)).IDs(q)
	}
	switch a {
	case InviteUsers:
		if t.Client != "" {
			f.fromClientPage = true
			f.pageClient = reach([]pulid.ID{t.Client}, clientIDs)[0]
		}
		if len(t.Roles) > 0 {
			rs, e := c.Role.Query().Where(role.IDIn(t.Roles...)).All(sys)
			keep(e)
			for _, id := range t.Roles {
				rf := roleFact{}
				for _, r := range rs {
					if r.ID == id {
						rf = roleFact{found: true, privileges: r.Privileges}
						if r.Builtin != nil && *r.Builtin == role.BuiltinAccountOwner {
							// The owner's role moves only by transfer.
							rf.privileges = append(slices.Clone(rf.privileges), string(OrgTransferOwnership))
						}
					}
				}
				f.roles = append(f.roles, rf)
			}
		}
		f.clients = reach(t.Clients, clientIDs)
		f.profiles = reach(t.StaffProfiles, profileIDs)
		for _, id := range t.BusinessUnits {
			uf := unitFact{}
			n, e := c.BusinessUnit.Query().Where(businessunit.ID(id)).Count(sys)
			keep(e)
			uf.found = n > 0
			if uf.found {
				inUnit := c.Patient.Query().Where(patient.BusinessUnitID(id), patient.Restricted(false))
				all, e := inUnit.Clone().Count(sys)
				keep(e)
				seen, e := inUnit.Clone().Count(ctx)
				keep(e)
				uf.clientsReached = all == seen
				profiles := c.StaffProfile.Query().Where(staffprofile.BusinessUnitID(id))
				all, e = profiles.Clone().Count(sys)
				keep(e)
				seen, e = profiles.Clone().Count(ctx)
				keep(e)
				uf.profilesReached = all == seen
			}
			f.units = append(f.units, uf)
		}
	case ResendInvitation, RevokeInvitation:
		inv, e := c.Invitation.Query().
			Where(invitation.ID(t.Row), invitation.StatusEQ(invitation.StatusPending)).
			WithClients(func(q *ent.PatientQuery) { q.Select(patient.FieldID) }).
			Only(sys)
		switch {
		case ent.IsNotFound(e):
		case e != nil:
			keep(e)
		default:
			f.rowFound = true
			f.ownRow = inv.InvitedByID != nil && *inv.InvitedByID == v.UserID
			ids := make([]pulid.ID, len(inv.Edges.Clients))
			for i, cl := range inv.Edges.Clients {
				ids[i] = cl.ID
			}
			f.rowReached = true
			for _, r := range reach(ids, clientIDs) {
				f.rowReached = f.rowReached && r.reached
			}
		}
	}
	if err != nil {
		return inviteFacts{}, fmt.Errorf("authz: facts for %s: %w", a, err)
	}
	return f, nil
}

// managesInvitations: the organization-settings way in (seed 000 option 1).
func managesInvitations(v *viewer.Viewer) bool {
	return v.Has(string(UsersInvite)) || v.Has(string(UsersManage))
}

// decideInviteWrite is the invitation decision of a signed-in user, from
// the viewer and the facts alone (write_invite_test.go holds it against a
// reference).
func decideInviteWrite(v *viewer.Viewer, a Action, f inviteFacts) error {
	forbidden := func(format string, args ...any) error { return apperr.New(apperr.Forbidden, format, args...) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	if v.Portal {
		return forbidden("portal users do not invite")
	}
	manager := managesInvitations(v)
	sharer := v.Has(string(ClientsShare))
	switch a {
	case ViewSeats:
		if !v.Has(string(OrgSettingsManage)) && !v.Has(string(UsersManage)) {
			return forbidden("seats are for administrators (organization settings or user management)")
		}
		return nil
	case SetSeatLimit:
		if !v.Has(string(OrgSettingsManage)) {
			return forbidden("the seat limit is an organization setting (org.settings.manage)")
		}
		return nil
	case ResendInvitation, RevokeInvitation:
		if !manager && !sharer {
			return forbidden("your roles do not allow managing invitations")
		}
		if !f.rowFound || (!manager && (!f.ownRow || !f.rowReached)) {
			// A sharer manages only the invitations they sent, for
			// clients they still reach; the others are not theirs to know of.
			return notFound("invitation")
		}
		return nil
	case InviteUsers:
	default:
		return errNoDecision(a)
	}
	switch {
	case f.fromClientPage:
		if !manager && !sharer {
			return forbidden("your roles do not allow sharing clients")
		}
		if !f.pageClient.found || !f.pageClient.reached {
			return notFound("client")
		}
	case !manager:
		if sharer {
			return forbidden("inviting from the organization's settings needs the invite-users privilege; share from a client's page instead")
		}
		return forbidden("your roles do not allow inviting users")
	}
	for _, r := range f.roles {
		if !r.found {
			return notFound("role")
		}
	}
	for _, r := range f.roles {
		for _, p := range r.privileges {
			if info, ok := Lookup(Privilege(p)); ok && info.OwnerOnly {
				return forbidden("the privilege %q belongs to the account owner alone and cannot be handed out", p)
			}
			if !MayHandOut(v, p) {
				return forbidden("a chosen role holds the privilege %q, which you may not hand out", p)
			}
		}
	}
	for _, cl := range f.clients {
		if !cl.found || !cl.reached {
			return notFound("client")
		}
	}
	for _, sp := range f.profiles {
		if !sp.found || !sp.reached {
			return notFound("staff profile")
		}
	}
	opensProfiles := false
	for _, r := range f.roles {
		opensProfiles = opensProfiles || slices.Contains(r.privileges, string(StaffProfilesAccessPrimaryBusinessUnit))
	}
	for _, u := range f.units {
		switch {
		case !u.found:
			return notFound("business unit")
		case !u.clientsReached:
			return forbidden("you do not reach every client of a chosen business unit")
		case opensProfiles && !u.profilesReached:
			return forbidden("you do not reach every staff profile of a chosen business unit")
		}
	}
	return nil
}

// OpensEveryClient reports whether privileges (a role's, or the union of
// an invitation's roles) open every client of the organization: such a
// user is a manager and needs no client link (seed 000).
func OpensEveryClient(privileges []string) bool {
	return slices.Contains(privileges, string(ClientsAccessAll))
}

// OpensUnitClients reports whether privileges open the clients of the
// user's business units; OpensUnitStaffProfiles the staff profiles of the
// primary business unit.
func OpensUnitClients(privileges []string) bool {
	return slices.Contains(privileges, string(ClientsAccessBusinessUnit))
}

// OpensUnitStaffProfiles: see OpensUnitClients.
func OpensUnitStaffProfiles(privileges []string) bool {
	return slices.Contains(privileges, string(StaffProfilesAccessPrimaryBusinessUnit))
}
