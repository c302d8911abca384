package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
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

func TestAMissingOrBadTokenIsAnsweredWithABearerChallenge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := &scim.Authenticator{Client: db.Client}
		srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})))
		defer srv.Close()
		for _, header := range []string{"", "Bearer ", "Bearer scim_nope"} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/scim/v2/Users", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Schemas []string `json:"schemas"`
				Status  string   `json:"status"`
				Detail  string   `json:"detail"`
			}
			err = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusUnauthorized || body.Status != "401" || body.Detail == "" ||
				len(body.Schemas) != 1 || body.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
				t.Errorf("%q: %d %+v (%v)", header, res.StatusCode, body, err)
			}
			if ch := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
				t.Errorf("%q: WWW-Authenticate %q", header, ch)
			}
		}
	})
}

func TestTheTokenIsTheActorOfWhatItsViewerChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		ctx := admin(t, c, "acme", authz.OrgSettingsManage)
		plain, tok, err := scimtoken.Issue(ctx, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, v := call(t, &scim.Authenticator{Client: c}, clock.NewFake(now), "Bearer "+plain)
		if v == nil || v.TokenID != tok.ID {
			t.Fatalf("SCIM viewer %+v, want token %s", v, tok.ID)
		}
		// The write itself is let through here: what counts is the actor
		// the event takes from the SCIM viewer.
		scimCtx := privacy.DecisionContext(viewer.NewContext(context.Background(), v), privacy.Allow)
		if err := audit.Record(scimCtx, c, audit.Event{Action: audit.UserProvisioned}); err != nil {
			t.Fatal(err)
		}
		ev := c.AuditEvent.Query().Where(auditevent.Action(audit.UserProvisioned)).OnlyX(privacy.DecisionContext(ctx, privacy.Allow))
		if ev.ActorKind != auditevent.ActorKindSCIM || ev.ActorID == nil || *ev.ActorID != tok.ID || ev.OrganizationID != tok.OrganizationID {
			t.Errorf("event actor %s %v in %s", ev.ActorKind, ev.ActorID, ev.OrganizationID)
		}
	})
}

func TestLastUsedIsWrittenAtMostOnceAMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		ctx := admin(t, c, "acme", authz.OrgSettingsManage)
		allow := privacy.DecisionContext(ctx, privacy.Allow)
		plain, tok, err := scimtoken.Issue(ctx, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		a := &scim.Authenticator{Client: c}
		at := clock.NewFake(now)
		lastUsed := func() *time.Time { return c.SCIMToken.GetX(allow, tok.ID).LastUsedAt }
		if lastUsed() != nil {
			t.Fatal("a new token was used")
		}
		for _, step := range []struct {
			after time.Duration
			want  time.Time
		}{
			{0, now},
			{30 * time.Second, now},             // within the minute: not written
			{59 * time.Second, now},             // still within it
			{time.Minute, now.Add(time.Minute)}, // a minute on: written
			{time.Minute + time.Second, now.Add(time.Minute)},
		} {
			at.Set(now.Add(step.after))
			if status, _, _ := call(t, a, at, "Bearer "+plain); status != http.StatusNoContent {
				t.Fatalf("+%s: %d", step.after, status)
			}
			if got := lastUsed(); got == nil || !got.Equal(step.want) {
				t.Errorf("+%s: last used %v, want %v", step.after, got, step.want)
			}
		}
	})
}
