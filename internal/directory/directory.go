// Package directory is the organization's directory: users (profile,
// suspension, reactivation, removal, signing out everywhere, password
// resets), user access for employees created from their staff profiles
// (seed 003), and business units with their clients and members (seed 001).
//
// Every operation takes the request's transaction, asks internal/authz for
// its decision (the actor is whoever the context carries: a signed-in user
// over GraphQL, or the identity provider over SCIM), validates its input
// before writing anything, and writes one audit event in that transaction.
// Nothing here knows GraphQL.
package directory

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of the directory.
const (
	ActionProfileUpdated        = "user.profile_updated"
	ActionSuspended             = "user.suspended"
	ActionReactivated           = "user.reactivated"
	ActionRemoved               = "user.removed"
	ActionSignedOutEverywhere   = "user.signed_out_everywhere"
	ActionPasswordReset         = "user.password_reset"
	ActionBusinessUnitsSet      = "user.business_units_set"
	ActionEmployeeUserCreated   = "employee.user_created"
	ActionEmployeeAccessChanged = "employee.access_changed"
	ActionUnitCreated           = "business_unit.created"
	ActionUnitUpdated           = "business_unit.updated"
	ActionUnitDeleted           = "business_unit.deleted"
	ActionClientUnitAssigned    = "client.business_unit_assigned"
	MessageKindTemporaryPasswd  = "temporary_password"
)

// Session revocation reasons of the directory.
const (
	ReasonSignOutEverywhere = "sign_out_everywhere"
	ReasonPasswordReset     = "password_reset"
)

// sys is ctx acting as the server within the viewer's organization, for
// reading rows a decision has already allowed.
func sys(ctx context.Context) context.Context {
	v := viewer.FromContext(ctx)
	if v == nil {
		return ctx
	}
	return viewer.ForSystem(ctx, v.OrgID)
}

func orgOf(ctx context.Context) pulid.ID {
	if v := viewer.FromContext(ctx); v != nil {
		return v.OrgID
	}
	return ""
}

func record(ctx context.Context, c *ent.Client, action, targetType string, targetID pulid.ID, client pulid.ID, details map[string]any) error {
	return audit.Record(ctx, c, audit.Event{
		Org: orgOf(ctx), Action: action, TargetType: targetType, TargetID: string(targetID),
		ClientID: client, Details: details,
	})
}

// text trims s and checks it holds at most max characters.
func text(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", apperr.InvalidField(field, "must not be empty")
	}
	if utf8.RuneCountInString(s) > max {
		return "", apperr.InvalidField(field, "must be at most %d characters", max)
	}
	return s, nil
}

// validEmail checks a bare address ("ada@example.org", no display name).
func validEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 320 {
		return "", apperr.InvalidField(field, "is not a valid email address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", apperr.InvalidField(field, "is not a valid email address")
	}
	return s, nil
}

// raced maps a unique-constraint failure (a concurrent change won) to
// refusal, and wraps any other error.
func raced(err error, refusal error, what string) error {
	if ent.IsConstraintError(err) {
		return refusal
	}
	return fmt.Errorf("directory: %s: %w", what, err)
}

func idStrings(ids []pulid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
