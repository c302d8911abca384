package authz

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The team concern of the write vocabulary (see concern in write.go):
// roles and their privileges, ownership, team settings and seats.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideTeam); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

func teamConcern() concern {
	return concern{
		name:   "team",
		writes: map[Action][]write{},
		decide: decideTeam,
	}
}

func decideTeam(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	return errNoDecision(a)
}
