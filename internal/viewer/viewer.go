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

	// TokenID is the SCIM token a Kind == SCIM viewer authenticated with:
	// the actor of its audit events.
	TokenID pulid.ID

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

	// MFARequired tells that the organization, one of the user's roles or
	// the user's own setting requires MFA (authz.MFARequired decides).
	MFARequired bool
	// MFAEnrolled tells that the user has a confirmed second factor (an
	// authenticator app or a passkey): sensitive changes then need a
	// recent verification (step-up, authz.StepUpWindow). It is not loaded
	// with the viewer: authz.Require reads it for the decisions that need
	// it, on a copy of the viewer.
	MFAEnrolled bool

	// The session's part, set by the session middleware.
	SessionID      pulid.ID
	AuthMethod     string
	MFASatisfiedAt *time.Time
	// State is what the session may do (see State); the zero value is
	// not a state and lets nothing through.
	State State
	// Fence is what a read must see, as the primary told it when the
	// session was looked up: a read standby may answer only once it has
	// replayed that far (internal/store/standby.go).
	Fence Fence
}

// Fence is a position in an organization's history that a read must not
// fall behind of: the organization's access sequence (every change that
// took a read away) and the session's own write sequence (its mutations).
type Fence struct {
	AccessSeq int64
	WriteSeq  int64
}

// State is a signed-in session's state: what stands between it and the
// API. The values are stable and reported to clients (GET /auth/session,
// Viewer.session.state).
type State string

const (
	// StateActive: nothing stands in the way.
	StateActive State = "active"
	// StatePasswordChangeRequired: the user signed in with a temporary
	// password and may only change it (POST /auth/password/change), sign
	// out and read their session.
	StatePasswordChangeRequired State = "password_change_required"
	// StateMFARequired: MFA is required of the user and this session has
	// not passed it; it may only complete MFA (enrolling first when the
	// user has no factor), sign out and read its session.
	StateMFARequired State = "mfa_required"
)

// Active reports whether v is a user whose session may use the API.
func (v *Viewer) Active() bool {
	return v != nil && v.Kind == User && v.State == StateActive
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
