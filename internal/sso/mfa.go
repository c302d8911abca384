package sso

import (
	"slices"

	"github.com/clinicgate/clinicgate/ent"
)

// secondFactorAMR are the RFC 8176 amr values that show more than a
// password: "pwd" (or "kba") alone is not a second factor.
var secondFactorAMR = []string{"mfa", "otp", "hwk", "swk", "fpt", "face", "iris", "retina", "vbm", "sms", "tel", "sc", "pop"}

// multiFactorACR are acr values that name a multi-factor authentication.
var multiFactorACR = []string{
	"http://schemas.openid.net/pape/policies/2007/06/multi-factor",
	"http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
	"urn:okta:loa:2fa:any",
	"phr", "phrh", // FIDO: phishing-resistant (hardware)
}

// providerMFA says whether the connection trusts the provider's MFA and
// the identity shows a second factor, and how (for the audit trail).
func providerMFA(conn *ent.SSOConnection, id *Identity) (bool, map[string]any) {
	if !conn.TrustProviderMfa {
		return false, nil
	}
	for _, a := range id.AMR {
		if slices.Contains(secondFactorAMR, a) {
			return true, map[string]any{"amr": id.AMR, "connection_id": string(conn.ID)}
		}
	}
	if slices.Contains(multiFactorACR, id.ACR) {
		return true, map[string]any{"acr": id.ACR, "connection_id": string(conn.ID)}
	}
	return false, nil
}
