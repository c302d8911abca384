package authz

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The directory concern of the write vocabulary (see concern in write.go):
// users (profile, suspension, removal), employees from staff profiles, business units and client assignment.
//
// Actions of this concern are declared here, with the writes each opens
// (writes) and their decision (decideDirectory); keep the decision a pure
// function of the viewer and facts loaded first, so that a property test
// can hold it against a reference.

func directoryConcern() concern {
	return concern{
		name:   "directory",
		writes: map[Action][]write{},
		decide: decideDirectory,
	}
}

func decideDirectory(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	return errNoDecision(a)
}
