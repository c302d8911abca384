package authz

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The access concern of the write vocabulary (see concern in write.go):
// granting and revoking client and staff-profile access, chart professionals, and the client portal.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideAccess); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

func accessConcern() concern {
	return concern{
		name:   "access",
		writes: map[Action][]write{},
		decide: decideAccess,
	}
}

func decideAccess(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	return errNoDecision(a)
}
