package authz

import (
	"testing"

	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A supervisor is refused an invitation from organization settings and
// allowed to share a client they reach from its page (seed 000: option 1
// is the manager's, option 2 the supervisor's).
func TestSupervisorSharesButDoesNotInvite(t *testing.T) {
	var privs map[string]bool
	for _, r := range BuiltinRoles() {
		if r.Key == "SUPERVISOR" {
			privs = map[string]bool{}
			for _, p := range r.Privileges {
				privs[string(p)] = true
			}
		}
	}
	v := &viewer.Viewer{Kind: viewer.User, OrgID: "org", UserID: "usr", Privileges: privs, State: viewer.StateActive}
	if err := decideInviteWrite(v, InviteUsers, inviteFacts{}); err == nil {
		t.Error("a supervisor invites from organization settings")
	}
	page := inviteFacts{fromClientPage: true, pageClient: reachFact{found: true, reached: true}}
	if err := decideInviteWrite(v, InviteUsers, page); err != nil {
		t.Errorf("a supervisor cannot invite from the page of a client they reach: %v", err)
	}
	if err := decideAccessFacts(v, GrantClientAccess, accessFacts{clientFound: true, reachesClient: true, userNamed: true, userFound: true}); err != nil {
		t.Errorf("a supervisor cannot share a client they reach: %v", err)
	}
	if err := decideAccessFacts(v, GrantClientAccess, accessFacts{clientFound: true, reachesClient: false, userNamed: true, userFound: true}); err == nil {
		t.Error("a supervisor shares a client they do not reach")
	}
}
