package scimtoken_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
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

func TestRotatingATokenRevokesItAndIssuesOneOfTheSameName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		owner := admin(t, c, "acme", authz.OrgSettingsManage)
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		exp := now.Add(30 * 24 * time.Hour)
		oldPlain, old, err := scimtoken.Issue(owner, c, "Okta", &exp)
		if err != nil {
			t.Fatal(err)
		}
		plain, fresh, err := scimtoken.Rotate(owner, c, old.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if plain == oldPlain || fresh.ID == old.ID || fresh.Name != "Okta" {
			t.Errorf("rotated: %q %+v", plain, fresh)
		}
		// The new token keeps the old one's lifetime, counted from now.
		if fresh.ExpiresAt == nil || !fresh.ExpiresAt.Equal(exp) {
			t.Errorf("rotated expiry %v, want %v", fresh.ExpiresAt, exp)
		}
		if got := c.SCIMToken.GetX(allow, old.ID); got.RevokedAt == nil || !got.RevokedAt.Equal(now) {
			t.Errorf("old token revoked at %v", got.RevokedAt)
		}
		ev := c.AuditEvent.Query().Where(auditevent.Action(scimtoken.Rotated)).OnlyX(allow)
		if ev.TargetID != string(fresh.ID) || ev.Details["replaced"] != string(old.ID) || ev.ActorKind != auditevent.ActorKindUser {
			t.Errorf("rotation event %+v", ev)
		}
		// A revoked token cannot be rotated again; neither can another
		// organization's, nor can anyone without the privilege.
		if _, _, err := scimtoken.Rotate(owner, c, old.ID, nil); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("rotate a revoked token: %v", err)
		}
		other := admin(t, c, "bravo", authz.OrgSettingsManage)
		if _, _, err := scimtoken.Rotate(other, c, fresh.ID, nil); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("rotate across organizations: %v", err)
		}
		clinician := admin(t, c, "charlie", authz.SessionsManageOwn)
		if _, _, err := scimtoken.Rotate(clinician, c, fresh.ID, nil); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("rotate without the privilege: %v", err)
		}
		past := now.Add(-time.Hour)
		if _, _, err := scimtoken.Rotate(owner, c, fresh.ID, &past); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("rotate to a past expiry: %v", err)
		}
		// The failed rotation left the token active.
		if got := c.SCIMToken.GetX(allow, fresh.ID); got.RevokedAt != nil {
			t.Errorf("failed rotation revoked the token")
		}
	})
}

func TestListingShowsTheOrganizationsTokensToItsAdministrators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		owner := admin(t, c, "acme", authz.OrgSettingsManage)
		if _, _, err := scimtoken.Issue(owner, c, "Okta", nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := scimtoken.Issue(owner, c, "Entra", nil); err != nil {
			t.Fatal(err)
		}
		other := admin(t, c, "bravo", authz.OrgSettingsManage)
		if _, _, err := scimtoken.Issue(other, c, "Theirs", nil); err != nil {
			t.Fatal(err)
		}
		got, err := scimtoken.List(owner, c)
		if err != nil || len(got) != 2 {
			t.Fatalf("list: %d tokens, %v", len(got), err)
		}
		for _, tok := range got {
			if tok.Name == "Theirs" {
				t.Errorf("another organization's token is listed")
			}
		}
		// Without the privilege, the list is refused.
		clinician := viewer.NewContext(context.Background(), &viewer.Viewer{
			Kind: viewer.User, OrgID: viewer.FromContext(owner).OrgID, UserID: viewer.FromContext(owner).UserID,
			Privileges: map[string]bool{string(authz.SessionsManageOwn): true}, State: viewer.StateActive,
		})
		if got, err := scimtoken.List(clinician, c); apperr.KindOf(err) != apperr.Forbidden || len(got) != 0 {
			t.Errorf("clinician lists %d tokens (%v)", len(got), err)
		}
	})
}
