package authz

import (
	"github.com/clinicgate/clinicgate/ent"
)

// Sign-in methods, as stored on organizations, users and roles.
const (
	SignInAny      = "ANY"
	SignInPassword = "PASSWORD"
	SignInSSO      = "SSO"
)

// SignInMethodAllowed decides whether u may sign in with method (PASSWORD
// or SSO): the organization, the user's own setting and every one of the
// user's roles must each allow it (ANY, or that very method). A user whose
// requirements name two different methods can sign in with neither: the
// stricter reading wins, and the administrator resolves the conflict. org
// and roles may be nil (no requirement from them).
func SignInMethodAllowed(org *ent.Organization, u *ent.User, roles []*ent.Role, method string) bool {
	if method != SignInPassword && method != SignInSSO {
		return false
	}
	allows := func(required string) bool { return required == "" || required == SignInAny || required == method }
	if org != nil && !allows(string(org.SignInMethod)) {
		return false
	}
	if u != nil && !allows(string(u.SignInMethod)) {
		return false
	}
	for _, r := range roles {
		if r != nil && !allows(string(r.SignInMethod)) {
			return false
		}
	}
	return true
}
