package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
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

// call sends one request with the given Authorization header through the
// middleware and returns the status, the SCIM error body, and the viewer
// the handler saw.
func call(t *testing.T, a *scim.Authenticator, at clock.Clock, authorization string) (int, map[string]any, *viewer.Viewer) {
	t.Helper()
	var seen *viewer.Viewer
	h := clock.Middleware(at)(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = viewer.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})))
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	if rec.Code != http.StatusNoContent {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("error body is not JSON: %q", rec.Body.String())
		}
		if rec.Header().Get("Content-Type") != "application/scim+json" {
			t.Errorf("content type %q", rec.Header().Get("Content-Type"))
		}
	}
	return rec.Code, body, seen
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		ctx := admin(t, c, "acme", authz.OrgSettingsManage)
		at := clock.NewFake(now)
		a := &scim.Authenticator{Client: c}

		plain, tok, err := scimtoken.Issue(ctx, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Only the hash is stored.
		stored := c.SCIMToken.GetX(privacy.DecisionContext(ctx, privacy.Allow), tok.ID)
		if string(stored.TokenHash) == plain || len(stored.TokenHash) != 32 {
			t.Errorf("stored token hash %x", stored.TokenHash)
		}
		if n := c.AuditEvent.Query().Where(auditevent.Action(scimtoken.Issued)).CountX(privacy.DecisionContext(ctx, privacy.Allow)); n != 1 {
			t.Errorf("%d token_issued events", n)
		}

		status, _, v := call(t, a, at, "Bearer "+plain)
		if status != http.StatusNoContent || v == nil || v.Kind != viewer.SCIM || v.OrgID != tok.OrganizationID {
			t.Fatalf("valid token: %d %+v", status, v)
		}
		// A SCIM viewer is confined to its organization and reaches no
		// client records.
		if n, err := c.Patient.Query().Count(viewer.NewContext(context.Background(), v)); err != nil || n != 0 {
			t.Errorf("SCIM viewer counts %d clients (%v)", n, err)
		}

		for name, header := range map[string]string{
			"no header":       "",
			"not bearer":      "Basic " + plain,
			"malformed token": "Bearer scim_short",
			"unknown token":   "Bearer scim_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"a session token": "Bearer cgs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		} {
			status, body, v := call(t, a, at, header)
			if status != http.StatusUnauthorized || v != nil || fmt.Sprint(body["status"]) != "401" {
				t.Errorf("%s: %d %v (viewer %v)", name, status, body, v)
			}
		}

		// Expired and revoked tokens stop at once.
		exp := now.Add(time.Hour)
		short, _, err := scimtoken.Issue(ctx, c, "Entra", &exp)
		if err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, a, at, "Bearer "+short); status != http.StatusNoContent {
			t.Fatalf("before expiry: %d", status)
		}
		at.Set(exp)
		if status, _, _ := call(t, a, at, "Bearer "+short); status != http.StatusUnauthorized {
			t.Errorf("at expiry: %d", status)
		}
		if err := scimtoken.Revoke(ctx, c, tok.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, a, at, "Bearer "+plain); status != http.StatusUnauthorized {
			t.Errorf("revoked: %d", status)
		}
	})
}

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err      error
		status   int
		scimType string
		detail   string
	}{
		{apperr.New(apperr.NotFound, "user not found"), 404, "", "user not found"},
		{apperr.New(apperr.Conflict, "userName taken"), 409, "uniqueness", "userName taken"},
		{apperr.InvalidField("userName", "must be an email"), 400, "invalidValue", "must be an email"},
		{apperr.New(apperr.Forbidden, "no"), 403, "", "no"},
		{apperr.New(apperr.Unauthenticated, "token"), 401, "", "token"},
		{errors.New("pq: connection refused to 10.0.0.5"), 500, "", ""},
	} {
		got := scim.Error(context.Background(), tc.err)
		if got.Status != tc.status || string(got.ScimType) != tc.scimType || got.Detail != tc.detail {
			t.Errorf("%v → %+v", tc.err, got)
		}
	}
}
