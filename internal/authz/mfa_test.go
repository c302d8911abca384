package authz_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMFAIsRequiredWhenTheOrganizationARoleOrTheUserSaysSo(t *testing.T) {
	for _, org := range []bool{false, true} {
		for _, role := range []bool{false, true} {
			for _, usr := range []bool{false, true} {
				got := authz.MFARequired(&ent.Organization{RequireMfa: org}, &ent.User{RequireMfa: usr}, authz.Effective{RoleRequiresMFA: role})
				if want := org || role || usr; got != want {
					t.Errorf("organization %v, role %v, user %v: required = %v, want %v", org, role, usr, got, want)
				}
			}
		}
	}
}

func TestASessionIsActiveOnlyWithNothingOutstanding(t *testing.T) {
	for _, c := range []struct {
		mfaRequired, temporary, passed bool
		want                           viewer.State
	}{
		{false, false, false, viewer.StateActive},
		{false, false, true, viewer.StateActive},
		{true, false, false, viewer.StateMFARequired},
		{true, false, true, viewer.StateActive},
		// The temporary password goes first, MFA or not.
		{false, true, false, viewer.StatePasswordChangeRequired},
		{true, true, false, viewer.StatePasswordChangeRequired},
		{true, true, true, viewer.StatePasswordChangeRequired},
	} {
		v := &viewer.Viewer{Kind: viewer.User, MFARequired: c.mfaRequired}
		if got := authz.SessionState(v, c.temporary, c.passed); got != c.want {
			t.Errorf("%+v: state %q", c, got)
		}
	}
}
