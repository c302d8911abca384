// Package viewer carries who is asking through a request's context: a
// signed-in user, an identity provider's SCIM client, or the server itself.
// The viewer is resolved once at the edge; nothing below the transport
// reads headers or cookies.
package viewer

import (
	"context"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// Kind is what sort of caller a viewer is.
type Kind int

const (
	// User is a signed-in staff or portal user.
	User Kind = iota + 1
	// SCIM is an identity provider authenticated by an organization's SCIM token.
	SCIM
	// System is the server acting for an organization on its own account
	// (sign-in, provisioning internals). It is still confined to OrgID.
	System
)

func (k Kind) String() string {
	switch k {
	case User:
		return "user"
	case SCIM:
		return "scim"
	case System:
		return "system"
	}
	return "unknown"
}

// Viewer is the caller of one request.
type Viewer struct {
	Kind  Kind
	OrgID pulid.ID

	// The rest is set for Kind == User.
	UserID     pulid.ID
	Portal     bool // a portal user (parent, guardian, the client)
	RoleIDs    []pulid.ID
	Privileges map[string]bool
	// BusinessUnitIDs are the units the user belongs to; with the
	// business-unit privilege they open the units' clients.
	BusinessUnitIDs []pulid.ID
	// PrimaryBusinessUnitID opens staff profiles only (with its privilege).
	PrimaryBusinessUnitID pulid.ID
	// ScheduleAccess is the provider's schedule level (OWN_ONLY, EDIT_OWN,
	// EDIT_OWN_VIEW_ALL, VIEW_EDIT_ALL); Tabs the office-staff tabs.
	ScheduleAccess string
	Tabs           []string

	SessionID              pulid.ID
	AuthMethod             string
	MFASatisfiedAt         *time.Time
	PasswordChangeRequired bool
}

// Has reports whether the viewer holds the privilege.
func (v *Viewer) Has(privilege string) bool {
	return v != nil && v.Privileges[privilege]
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// ForSystem returns ctx acting as the server on behalf of one organization.
func ForSystem(ctx context.Context, org pulid.ID) context.Context {
	return NewContext(ctx, &Viewer{Kind: System, OrgID: org})
}
