package scimtoken_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var now = time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)

// admin returns a request context of a user of a new organization holding
// the given privileges.
func admin(t *testing.T, c *ent.Client, slug string, privs ...authz.Privilege) context.Context {
	t.Helper()
	allow := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(allow)
	u := c.User.Create().SetOrganizationID(org.ID).SetEmail("it@" + slug + ".test").SetStatus(user.StatusActive).SaveX(allow)
	have := map[string]bool{}
	for _, p := range privs {
		have[string(p)] = true
	}
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: u.ID, Privileges: have})
	return authz.WithClock(ctx, func() time.Time { return now })
}

func TestManagingTokensNeedsThePrivilege(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		owner := admin(t, c, "acme", authz.OrgSettingsManage)
		_, tok, err := scimtoken.Issue(owner, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		clinician := admin(t, c, "bravo", authz.SessionsManageOwn)
		if _, _, err := scimtoken.Issue(clinician, c, "mine", nil); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("issue without the privilege: %v", err)
		}
		if err := scimtoken.Revoke(clinician, c, tok.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("revoke without the privilege: %v", err)
		}
		// Another organization's administrator cannot revoke it either.
		other := admin(t, c, "charlie", authz.OrgSettingsManage)
		if err := scimtoken.Revoke(other, c, tok.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("revoke across organizations: %v", err)
		}
		if _, _, err := scimtoken.Issue(owner, c, "  ", nil); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("blank name: %v", err)
		}
		past := now.Add(-time.Minute)
		if _, _, err := scimtoken.Issue(owner, c, "old", &past); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("expiry in the past: %v", err)
		}
	})
}
