package authz

import (
	"time"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// StepUpWindow is how recent a second-factor verification must be for a
// sensitive change by a user who has a factor.
const StepUpWindow = 15 * time.Minute

// stepUp lists the sensitive actions: changes to who may do what (roles
// and privileges, access grants, ownership), to how people sign in (SCIM
// tokens, SSO connections, MFA settings and factor resets) and break-glass.
// A user with a confirmed factor must have verified it within StepUpWindow
// to do them; a user without one cannot step up and is held to sign-in
// policy instead (MFARequired). Concerns add their own sensitive actions
// with stepUpAction in their file.
var stepUp = map[Action]bool{
	OpenEmergencyAccess: true,
	IssueSCIMToken:      true,
	RevokeSCIMToken:     true,
}

// StepUpRequired reports whether action is sensitive (needs a recent
// second-factor verification from a user who has a factor).
func StepUpRequired(action Action) bool { return stepUp[action] }

// decideStepUp refuses a sensitive action to a user with a factor whose
// session has not verified it within StepUpWindow of now.
func decideStepUp(v *viewer.Viewer, action Action, now time.Time) error {
	if v.Kind != viewer.User || !stepUp[action] || !v.MFAEnrolled {
		return nil
	}
	if v.MFASatisfiedAt != nil && now.Sub(*v.MFASatisfiedAt) <= StepUpWindow && !v.MFASatisfiedAt.After(now) {
		return nil
	}
	return apperr.New(apperr.MFAStepUpRequired, "verify your second factor again to make this change")
}
