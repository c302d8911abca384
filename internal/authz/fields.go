package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Field rules, applied by GraphQL directives to single fields of rows the
// viewer already reaches (the row rules decided that).

// FieldRule names a field rule.
type FieldRule string

const (
	// ClientPHI: staff who reach the client; never portal users.
	ClientPHI FieldRule = "CLIENT_PHI"
	// AppointmentBilling: staff with the billing tab or the session's
	// provider; portal users with sessions & homework on the client.
	AppointmentBilling FieldRule = "APPOINTMENT_BILLING"
)

// FieldAllowed decides rule for obj, a row the viewer reaches.
func FieldAllowed(ctx context.Context, c *ent.Client, rule FieldRule, obj any) (bool, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return false, nil
	}
	if v.Kind == viewer.System {
		return true, nil
	}
	if v.Kind != viewer.User {
		return false, nil
	}
	switch rule {
	case ClientPHI:
		return !v.Portal, nil
	case AppointmentBilling:
		a, ok := obj.(*ent.Appointment)
		if !ok {
			return false, fmt.Errorf("authz: %s on %T", rule, obj)
		}
		if a.ProviderID == "" || a.ClientID == "" {
			// A partially loaded row (graph/access.graphql exposes these
			// fields so that GraphQL loads whole rows): refuse, never guess.
			return false, nil
		}
		if !v.Portal {
			return v.Has(string(BillingView)) || a.ProviderID == v.UserID, nil
		}
		return portalPermission(ctx, c, a.ClientID, portalaccess.FieldSessionsHomework)
	}
	return false, fmt.Errorf("authz: unknown field rule %q", rule)
}
