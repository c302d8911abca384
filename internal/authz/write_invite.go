package authz

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The invitation concern of the write vocabulary (see concern in write.go):
// inviting users singly, in bulk and from a client's page, and the invitation's lifecycle.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideInvite); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

func inviteConcern() concern {
	return concern{
		name:   "invite",
		writes: map[Action][]write{},
		decide: decideInvite,
	}
}

func decideInvite(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	return errNoDecision(a)
}
