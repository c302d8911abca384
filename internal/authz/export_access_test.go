package authz

import "github.com/clinicgate/clinicgate/internal/viewer"

// AccessFacts are the facts of an access decision, for the property test.
type AccessFacts struct {
	ClientFound, ReachesClient, ProfileFound, ReachesProfile, UserNamed, UserFound, UserPortal bool
}

// DecideAccess is decideAccessFacts over exported facts.
func DecideAccess(v *viewer.Viewer, a Action, f AccessFacts) error {
	return decideAccessFacts(v, a, accessFacts{
		clientFound: f.ClientFound, reachesClient: f.ReachesClient, profileFound: f.ProfileFound,
		reachesProfile: f.ReachesProfile, userNamed: f.UserNamed, userFound: f.UserFound, userPortal: f.UserPortal,
	})
}
