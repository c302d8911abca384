package authz

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/staffprofileaccess"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// PathKind is a kind of access path.
type PathKind string

const (
	PathOrganizationWide    PathKind = "ORGANIZATION_WIDE"
	PathExplicitLink        PathKind = "EXPLICIT_LINK"
	PathBusinessUnit        PathKind = "BUSINESS_UNIT"
	PathPrimaryBusinessUnit PathKind = "PRIMARY_BUSINESS_UNIT"
	PathPortal              PathKind = "PORTAL"
	PathEmergency           PathKind = "EMERGENCY"
	PathOwnProfile          PathKind = "OWN_PROFILE"
)

// Path is one reason a user reaches a client or staff profile.
type Path struct {
	Kind           PathKind
	Privilege      Privilege
	RoleIDs        []pulid.ID
	BusinessUnitID pulid.ID
	GrantedByID    pulid.ID
	GrantedAt      *time.Time
	ExpiresAt      *time.Time
	Reason         string
	Portal         *ent.PortalAccess
}

// Explanation lists every path by which a user reaches a record, and notes
// on what blocks the others.
type Explanation struct {
	User    *ent.User
	Allowed bool
	Paths   []Path
	Notes   []string
}

// mayExplain: administrators may ask about anyone, users about themselves.
func mayExplain(v *viewer.Viewer, userID pulid.ID) bool {
	if v == nil || v.Kind != viewer.User {
		return v != nil && v.Kind == viewer.System
	}
	return v.UserID == userID || explainsAnything(v)
}

// subject loads the user the question is about, with what decides their
// access, as the server (the viewer may not read another user's links).
type subject struct {
	user  *ent.User
	units []pulid.ID
	privs map[Privilege][]pulid.ID // privilege → roles holding it
}

func loadSubject(sys context.Context, c *ent.Client, userID pulid.ID) (*subject, error) {
	u, err := c.User.Query().Where(user.ID(userID)).WithRoles().WithBusinessUnits().Only(sys)
	if err != nil {
		return nil, err
	}
	// The same grants as LoadEffective, whatever the user's status: a
	// suspended user's paths are shown, with a note that they are closed.
	s := &subject{user: u, privs: grants(u, u.Edges.Roles)}
	for _, bu := range u.Edges.BusinessUnits {
		s.units = append(s.units, bu.ID)
	}
	return s, nil
}

// explainsAnything: administrators (and the server) may ask about any
// client or staff profile; others only about what they read themselves.
func explainsAnything(v *viewer.Viewer) bool {
	return v != nil && (v.Kind == viewer.System || v.Has(string(UsersManage)) || v.Has(string(AuditView)))
}

// target is the context to look the explained row up in: the server's for
// administrators, the viewer's own otherwise, so that a user asking about
// themself learns nothing of a client or profile they do not read — not
// that it exists, nor that it is restricted — and gets the not-found of an
// unknown id.
func target(ctx, sys context.Context) context.Context {
	if explainsAnything(viewer.FromContext(ctx)) {
		return sys
	}
	return ctx
}

// begin checks that the viewer may ask about userID and loads them.
func begin(ctx context.Context, c *ent.Client, userID pulid.ID) (context.Context, *subject, *Explanation, error) {
	v := viewer.FromContext(ctx)
	if !mayExplain(v, userID) {
		return nil, nil, nil, apperr.New(apperr.Forbidden, "only administrators may explain another user's access")
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	sub, err := loadSubject(sys, c, userID)
	if err != nil {
		return nil, nil, nil, err
	}
	e := &Explanation{User: sub.user}
	if sub.user.Status != user.StatusActive {
		e.Notes = append(e.Notes, fmt.Sprintf("user is %s: reaches nothing", sub.user.Status))
	}
	return sys, sub, e, nil
}

// link adds an explicit link's path, or a note when it has expired (the
// expiry is exclusive).
func (e *Explanation) link(now time.Time, grantedBy *pulid.ID, grantedAt time.Time, expiresAt *time.Time) {
	if expiresAt != nil && !now.Before(*expiresAt) {
		e.Notes = append(e.Notes, fmt.Sprintf("explicit link expired at %s", expiresAt.UTC().Format(time.RFC3339)))
		return
	}
	e.Paths = append(e.Paths, Path{Kind: PathExplicitLink, GrantedByID: deref(grantedBy), GrantedAt: &grantedAt, ExpiresAt: expiresAt})
}

// ExplainClient lists every path by which userID reaches clientID. It is
// written from the same rules as ClientsVisible, path by path, so that an
// administrator can see why; Allowed must always equal what the SQL
// predicate decides (a test checks it on random organizations).
func ExplainClient(ctx context.Context, c *ent.Client, userID, clientID pulid.ID) (*Explanation, error) {
	sys, sub, e, err := begin(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	now := Now(ctx)
	cl, err := c.Patient.Query().Where(patient.ID(clientID)).Only(target(ctx, sys))
	if err != nil {
		return nil, err
	}
	if sub.user.Kind == user.KindPortal {
		pas, err := c.PortalAccess.Query().Where(portalaccess.UserID(userID), portalaccess.ClientID(clientID)).All(sys)
		if err != nil {
			return nil, err
		}
		for _, pa := range pas {
			e.Paths = append(e.Paths, Path{Kind: PathPortal, Portal: pa, GrantedByID: deref(pa.GrantedByID)})
		}
		e.Allowed = len(e.Paths) > 0 && sub.user.Status == user.StatusActive
		return e, nil
	}
	if roles, ok := sub.privs[ClientsAccessAll]; ok {
		if cl.Restricted {
			e.Notes = append(e.Notes, "client is restricted: the organization-wide privilege does not apply")
		} else {
			e.Paths = append(e.Paths, Path{Kind: PathOrganizationWide, Privilege: ClientsAccessAll, RoleIDs: roles})
		}
	}
	if roles, ok := sub.privs[ClientsAccessBusinessUnit]; ok && cl.BusinessUnitID != nil && slices.Contains(sub.units, *cl.BusinessUnitID) {
		if cl.Restricted {
			e.Notes = append(e.Notes, "client is restricted: the business-unit privilege does not apply")
		} else {
			e.Paths = append(e.Paths, Path{Kind: PathBusinessUnit, Privilege: ClientsAccessBusinessUnit, RoleIDs: roles, BusinessUnitID: *cl.BusinessUnitID})
		}
	}
	links, err := c.ClientAccess.Query().Where(clientaccess.UserID(userID), clientaccess.ClientID(clientID)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		e.link(now, l.GrantedByID, l.GrantedAt, l.ExpiresAt)
	}
	ems, err := c.EmergencyAccess.Query().Where(
		emergencyaccess.UserID(userID), emergencyaccess.ClientID(clientID),
		emergencyaccess.EndedAtIsNil(), emergencyaccess.ExpiresAtGT(now),
	).All(sys)
	if err != nil {
		return nil, err
	}
	for _, em := range ems {
		at, until := em.StartedAt, em.ExpiresAt
		e.Paths = append(e.Paths, Path{Kind: PathEmergency, GrantedAt: &at, ExpiresAt: &until, Reason: em.Reason})
	}
	e.Allowed = len(e.Paths) > 0 && sub.user.Status == user.StatusActive
	if len(e.Paths) == 0 {
		e.Notes = append(e.Notes, "no path reaches this client")
	}
	return e, nil
}

// ExplainStaffProfile lists every path by which userID reaches a staff
// profile.
func ExplainStaffProfile(ctx context.Context, c *ent.Client, userID, profileID pulid.ID) (*Explanation, error) {
	sys, sub, e, err := begin(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	now := Now(ctx)
	sp, err := c.StaffProfile.Query().Where(staffprofile.ID(profileID)).Only(target(ctx, sys))
	if err != nil {
		return nil, err
	}
	if sub.user.Kind == user.KindPortal {
		e.Notes = append(e.Notes, "portal users reach no staff profiles")
		return e, nil
	}
	if sp.UserID != nil && *sp.UserID == userID {
		e.Paths = append(e.Paths, Path{Kind: PathOwnProfile})
	}
	if roles, ok := sub.privs[StaffProfilesAccessAll]; ok {
		e.Paths = append(e.Paths, Path{Kind: PathOrganizationWide, Privilege: StaffProfilesAccessAll, RoleIDs: roles})
	}
	if roles, ok := sub.privs[StaffProfilesAccessPrimaryBusinessUnit]; ok {
		switch {
		case sub.user.PrimaryBusinessUnitID == nil:
			e.Notes = append(e.Notes, "user has no primary business unit")
		case sp.BusinessUnitID != nil && *sp.BusinessUnitID == *sub.user.PrimaryBusinessUnitID:
			e.Paths = append(e.Paths, Path{Kind: PathPrimaryBusinessUnit, Privilege: StaffProfilesAccessPrimaryBusinessUnit, RoleIDs: roles, BusinessUnitID: *sp.BusinessUnitID})
		}
	}
	links, err := c.StaffProfileAccess.Query().Where(staffprofileaccess.UserID(userID), staffprofileaccess.StaffProfileID(profileID)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		e.link(now, l.GrantedByID, l.GrantedAt, l.ExpiresAt)
	}
	e.Allowed = len(e.Paths) > 0 && sub.user.Status == user.StatusActive
	if len(e.Paths) == 0 {
		e.Notes = append(e.Notes, "no path reaches this staff profile")
	}
	return e, nil
}

func deref(p *pulid.ID) pulid.ID {
	if p == nil {
		return ""
	}
	return *p
}
