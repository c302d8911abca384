package authz

import "github.com/clinicgate/clinicgate/internal/viewer"

// WriteFacts are the facts of a write decision, for the property test.
type WriteFacts struct {
	TargetFound, ReachesClient, OwnRow, ProviderSelf, UserFound, Creating bool
}

// DecideWrite is decideWrite over exported facts.
func DecideWrite(v *viewer.Viewer, a Action, f WriteFacts) error {
	return decideWrite(v, a, facts{
		targetFound: f.TargetFound, reachesClient: f.ReachesClient, ownRow: f.OwnRow,
		providerSelf: f.ProviderSelf, userFound: f.UserFound, creating: f.Creating,
	})
}

// CoreActions lists the actions decided by decideWrite; a concern's
// actions (write_<concern>.go) are held by that concern's own tests.
func CoreActions() []Action {
	var out []Action
	for a, e := range vocabulary {
		if e.concern == nil {
			out = append(out, a)
		}
	}
	return out
}

// ConcernOf names the concern deciding a (empty for the core's actions).
func ConcernOf(a Action) string {
	if e := vocabulary[a]; e.concern != nil {
		return e.concern.name
	}
	return ""
}
