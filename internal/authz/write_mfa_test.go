package authz

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The second-factor decision held against a reference written from issue
// 10's rules: factors are their owner's; a pending session enrols only a
// first factor; a user manager resets anyone's but their own and the
// owner's; a session is ended by its own user.
func mfaReference(v *viewer.Viewer, a Action, t Target, f directoryFacts) apperr.Kind {
	pending := v.State == viewer.StateMFARequired
	switch a {
	case EnrollOwnFactor:
		if t.User != v.UserID || t.User == "" {
			return apperr.Forbidden
		}
		if pending && v.MFAEnrolled {
			return apperr.MFARequired
		}
	case ManageOwnFactors:
		if t.User != v.UserID || t.User == "" {
			return apperr.Forbidden
		}
		if pending {
			return apperr.MFARequired
		}
	case VerifyOwnFactor:
		if t.Row != v.SessionID || t.Row == "" {
			return apperr.NotFound
		}
	case RevokeOwnSession:
		if !f.rowFound {
			return apperr.NotFound
		}
	case ResetUserFactors:
		switch {
		case v.Portal || !v.Privileges[string(UsersManage)]:
			return apperr.Forbidden
		case !f.userFound:
			return apperr.NotFound
		case f.self, f.targetOwner:
			return apperr.Forbidden
		}
	}
	return ""
}

func TestMFADecisionMatchesTheReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: viewer.User, OrgID: "org_1", UserID: "usr_me", SessionID: "ses_me",
			Privileges:  map[string]bool{},
			Portal:      rapid.Float64Range(0, 1).Draw(t, "portal") < 0.2,
			MFAEnrolled: rapid.Bool().Draw(t, "enrolled"),
			State:       rapid.SampledFrom([]viewer.State{viewer.StateActive, viewer.StateMFARequired}).Draw(t, "state"),
		}
		if rapid.Bool().Draw(t, "manager") {
			v.Privileges[string(UsersManage)] = true
		}
		a := rapid.SampledFrom([]Action{EnrollOwnFactor, VerifyOwnFactor, ManageOwnFactors, ResetUserFactors, RevokeOwnSession}).Draw(t, "action")
		tg := Target{
			User: rapid.SampledFrom([]pulid.ID{"", "usr_me", "usr_other"}).Draw(t, "user"),
			Row:  rapid.SampledFrom([]pulid.ID{"", "ses_me", "ses_other"}).Draw(t, "row"),
		}
		f := directoryFacts{
			userFound:   rapid.Bool().Draw(t, "userFound"),
			self:        tg.User == "usr_me",
			targetOwner: rapid.Bool().Draw(t, "targetOwner"),
			rowFound:    rapid.Bool().Draw(t, "rowFound"),
		}
		var got apperr.Kind
		if err := decideMFAWrite(v, a, tg, f); err != nil {
			got = apperr.KindOf(err)
		}
		if want := mfaReference(v, a, tg, f); got != want {
			t.Fatalf("%s by %+v on %+v with %+v: got %q, want %q", a, v, tg, f, got, want)
		}
	})
}

// Step-up: a user with a factor does a sensitive action only within the
// window after a verification; other actions, users without a factor and
// identity providers are not asked.
func TestStepUpIsAskedOnlyOfSensitiveActionsOfUsersWithAFactor(t *testing.T) {
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	enrolled := func(sat *time.Time) *viewer.Viewer {
		return &viewer.Viewer{Kind: viewer.User, MFAEnrolled: true, MFASatisfiedAt: sat}
	}
	cases := []struct {
		name   string
		v      *viewer.Viewer
		a      Action
		refuse bool
	}{
		{"verified a minute ago", enrolled(at(time.Minute)), IssueSCIMToken, false},
		{"verified 15 minutes ago", enrolled(at(StepUpWindow)), SetUserRoles, false},
		{"verified 16 minutes ago", enrolled(at(16 * time.Minute)), SetUserRoles, true},
		{"never verified", enrolled(nil), OpenEmergencyAccess, true},
		{"a verification in the future does not count", enrolled(at(-time.Minute)), TransferOwnership, true},
		{"a non-sensitive action", enrolled(nil), EditUserProfile, false},
		{"no factor to step up with", &viewer.Viewer{Kind: viewer.User}, GrantClientAccess, false},
		{"an identity provider", &viewer.Viewer{Kind: viewer.SCIM}, MapSCIMGroup, false},
		{"a factor reset", enrolled(at(time.Hour)), ResetUserFactors, true},
		{"adding a second factor", enrolled(at(time.Hour)), EnrollOwnFactor, true},
	}
	for _, c := range cases {
		err := decideStepUp(c.v, c.a, now)
		if c.refuse != (err != nil) || err != nil && apperr.KindOf(err) != apperr.MFAStepUpRequired {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for _, a := range []Action{CreateRole, EditRole, DeleteRole, SetUserRoles, TransferOwnership, ChangeTeamSettings,
		GrantClientAccess, GrantStaffProfileAccess, IssueSCIMToken, RevokeSCIMToken, OpenEmergencyAccess, ResetUserFactors, MapSCIMGroup} {
		if !StepUpRequired(a) {
			t.Errorf("%s is not a step-up action", a)
		}
	}
}
