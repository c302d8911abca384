package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The access concern of the write vocabulary (see concern in write.go):
// granting and revoking client and staff-profile access, chart
// professionals, client contacts and the client portal.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideAccessFacts, a pure function of the
// viewer and the facts loadAccessFacts reads first).

const (
	// GrantClientAccess links Target.User to Target.Client (or changes the
	// link's expiry).
	GrantClientAccess Action = "client_access.grant"
	// RevokeClientAccess removes Target.User's link to Target.Client.
	RevokeClientAccess Action = "client_access.revoke"
	// GrantStaffProfileAccess links Target.User to the staff profile
	// Target.StaffProfiles[0] (or changes the link's expiry).
	GrantStaffProfileAccess Action = "staff_profile_access.grant"
	// RevokeStaffProfileAccess removes Target.User's link to the staff
	// profile Target.StaffProfiles[0].
	RevokeStaffProfileAccess Action = "staff_profile_access.revoke"
	// EditClientContacts adds, changes or removes the contacts of
	// Target.Client.
	EditClientContacts Action = "client_contact.edit"
	// ManagePortalAccess adds, changes or removes portal access to
	// Target.Client: for the portal user Target.User, or (Target.User
	// empty) a portal user created or found by email, invited by mail.
	ManagePortalAccess Action = "portal_access.manage"
)

func accessConcern() concern {
	return concern{
		name:   "access",
		stepUp: []Action{GrantClientAccess, GrantStaffProfileAccess, ManagePortalAccess},
		writes: map[Action][]write{
			GrantClientAccess:        {{"ClientAccess", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne}, audited},
			RevokeClientAccess:       {{"ClientAccess", ent.OpDelete | ent.OpDeleteOne}, audited},
			GrantStaffProfileAccess:  {{"StaffProfileAccess", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne}, audited},
			RevokeStaffProfileAccess: {{"StaffProfileAccess", ent.OpDelete | ent.OpDeleteOne}, audited},
			EditClientContacts:       {{"ClientContact", ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne}, audited},
			ManagePortalAccess: {
				{"User", ent.OpCreate},
				{"PortalAccess", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne | ent.OpDeleteOne},
				audited, mailed,
			},
		},
		decide: decideAccess,
	}
}

// accessFacts are what an access decision needs beyond the viewer.
type accessFacts struct {
	clientFound    bool // Target.Client exists in the organization
	reachesClient  bool // the viewer reaches it
	profileFound   bool // the staff profile exists in the organization
	reachesProfile bool // the viewer reaches it
	userNamed      bool // Target.User is set
	userFound      bool // Target.User exists in the organization (not deleted)
	userPortal     bool // Target.User is a portal user
}

func decideAccess(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	f, err := loadAccessFacts(ctx, c, v, a, t)
	if err != nil {
		return err
	}
	return decideAccessFacts(v, a, f)
}

func loadAccessFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) (accessFacts, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	var f accessFacts
	var err error
	exists := func(ok bool, e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return ok
	}
	if t.Client != "" {
		var e error
		f.clientFound, f.reachesClient, e = clientReach(ctx, c, t.Client)
		exists(false, e)
	}
	if len(t.StaffProfiles) == 1 {
		id := t.StaffProfiles[0]
		f.profileFound = exists(c.StaffProfile.Query().Where(staffprofile.ID(id)).Exist(sys))
		if f.profileFound {
			f.reachesProfile = exists(CanReadStaffProfile(ctx, c, id))
		}
	}
	if t.User != "" {
		f.userNamed = true
		u, e := c.User.Query().Where(user.ID(t.User), user.StatusNEQ(user.StatusDeleted)).Only(sys)
		switch {
		case ent.IsNotFound(e):
		case e != nil:
			err = e
		default:
			f.userFound = true
			f.userPortal = u.Kind == user.KindPortal
		}
	}
	if err != nil {
		return accessFacts{}, fmt.Errorf("authz: facts for %s: %w", a, err)
	}
	return f, nil
}

// decideAccessFacts is the decision of the access concern, from the viewer
// and the facts alone (write_access_test.go holds it against a reference).
func decideAccessFacts(v *viewer.Viewer, a Action, f accessFacts) error {
	forbidden := func(msg string) error { return apperr.New(apperr.Forbidden, "%s", msg) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	if v.Portal {
		return forbidden("portal users do not manage access")
	}
	switch a {
	case GrantClientAccess, RevokeClientAccess:
		if !v.Has(string(ClientsShare)) && !v.Has(string(UsersManage)) {
			return forbidden("your roles do not allow sharing clients")
		}
		if !f.clientFound || !f.reachesClient {
			// A client the viewer does not reach is one they may not know of.
			return notFound("client")
		}
		if !f.userFound {
			return notFound("user")
		}
		if a == GrantClientAccess && f.userPortal {
			return apperr.InvalidField("userId", "a portal user gets portal access (with its permissions), not staff client access")
		}
		return nil
	case GrantStaffProfileAccess, RevokeStaffProfileAccess:
		if !v.Has(string(StaffProfilesManage)) {
			return forbidden("sharing staff profiles needs the staff profile management privilege")
		}
		if !f.profileFound || !f.reachesProfile {
			return notFound("staff profile")
		}
		if !f.userFound {
			return notFound("user")
		}
		if a == GrantStaffProfileAccess && f.userPortal {
			return apperr.InvalidField("userId", "portal users reach no staff profiles")
		}
		return nil
	case EditClientContacts:
		if !v.Has(string(ClientsEdit)) {
			return forbidden("editing a client's contacts needs the client editing privilege")
		}
		if !f.clientFound || !f.reachesClient {
			return notFound("client")
		}
		return nil
	case ManagePortalAccess:
		if !v.Has(string(PortalManage)) {
			return forbidden("your roles do not allow managing the client portal")
		}
		if !f.clientFound || !f.reachesClient {
			return notFound("client")
		}
		if f.userNamed && !f.userFound {
			return notFound("user")
		}
		if f.userNamed && !f.userPortal {
			return apperr.InvalidField("userId", "portal access is for portal users; staff get client access")
		}
		return nil
	}
	return errNoDecision(a)
}
