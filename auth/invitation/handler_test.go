package invitation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/invitation"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	einv "github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC)

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

var n int

// invited creates an invitation by a manager and delivers its email,
// returning the link's token.
func invited(t *testing.T, c *ent.Client, method einv.SignInMethod) (org pulid.ID, token string, id pulid.ID) {
	t.Helper()
	n++
	ctx := allow()
	slug := fmt.Sprintf("acc-%d", n)
	o := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	r := c.Role.Create().SetOrganizationID(o.ID).SetName("Manager").
		SetPrivileges([]string{string(authz.UsersInvite), string(authz.ClientsAccessAll)}).SaveX(ctx)
	m := c.User.Create().SetOrganizationID(o.ID).SetEmail("m@" + slug + ".test").SetStatus(user.StatusActive).AddRoles(r).SaveX(ctx)
	sys := viewer.ForSystem(context.Background(), o.ID)
	v, err := authz.LoadViewer(sys, c, m)
	if err != nil {
		t.Fatal(err)
	}
	as := authz.WithClock(viewer.NewContext(context.Background(), v), func() time.Time { return t0 })
	inv, _, err := invite.Invite(as, c, "new@"+slug+".test", invite.Settings{RoleIDs: []pulid.ID{r.ID}, SignInMethod: method})
	if err != nil {
		t.Fatal(err)
	}
	msg := c.OutboxMessage.Query().Where(outboxmessage.OrganizationID(o.ID)).OnlyX(ctx)
	tx, err := c.Tx(sys)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := invite.Renderer(invite.RenderConfig{AcceptURL: "https://app.test/accept"}).Render(authz.WithClock(sys, func() time.Time { return t0 }), tx.Client(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return o.ID, regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mm.Text)[1], inv.ID
}

type errorBody struct {
	Error struct{ Code, Message, Policy string } `json:"error"`
}

func TestAcceptingAnInvitationOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0.Add(time.Hour))
		mux := http.NewServeMux()
		invitation.NewHandler(db.Client, invitation.Config{PublicOrigin: "https://app.test", Clock: clk,
			Hasher: password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}}).Routes(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		post := func(body any, origin string) (int, []byte) {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+invitation.RouteAccept, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			return res.StatusCode, buf.Bytes()
		}
		wantError := func(name string, status int, body []byte, wantStatus int, code string) {
			t.Helper()
			var e errorBody
			_ = json.Unmarshal(body, &e)
			if status != wantStatus || e.Error.Code != code || e.Error.Message == "" {
				t.Errorf("%s: %d %s, want %d %s", name, status, body, wantStatus, code)
			}
		}
		org, token, _ := invited(t, db.Client, "")
		const pw = "correct horse battery staple"
		st, body := post(map[string]string{"token": token, "password": "short"}, "")
		wantError("a weak password", st, body, 400, "weak_password")
		st, body = post(map[string]string{"token": token, "password": pw}, "https://evil.test")
		wantError("a cross-site post", st, body, 403, "forbidden_origin")
		st, body = post(map[string]any{"token": 5}, "")
		wantError("a malformed body", st, body, 400, "invalid_request")
		st, body = post(map[string]string{"token": token, "password": pw}, "https://app.test")
		if st != 200 {
			t.Fatalf("accept: %d %s", st, body)
		}
		var ok struct {
			User         struct{ ID, Email string }
			Organization struct{ ID, Slug string }
		}
		_ = json.Unmarshal(body, &ok)
		u := db.Client.User.GetX(allow(), pulid.ID(ok.User.ID))
		if u.Status != user.StatusActive || ok.Organization.ID != string(org) || ok.Organization.Slug == "" {
			t.Errorf("user %+v, response %s", u, body)
		}
		if n := db.Client.AuditEvent.Query().Where(auditevent.Action(invite.Accepted), auditevent.OrganizationID(org),
			auditevent.ActorID(u.ID)).CountX(allow()); n != 1 {
			t.Errorf("%d accepted events", n)
		}
		// The new member signs in with the password.
		cred := db.Client.PasswordCredential.Query().OnlyX(allow())
		if okp, _, _ := password.Verify(cred.Hash, pw); !okp || cred.UserID != u.ID {
			t.Error("the password does not verify")
		}
		st, body = post(map[string]string{"token": token, "password": pw}, "")
		wantError("a used link", st, body, 410, "invitation_used")
		st, body = post(map[string]string{"token": "unknown", "password": pw}, "")
		wantError("an unknown link", st, body, 404, "invalid_invitation")

		_, sso, _ := invited(t, db.Client, einv.SignInMethodSSO)
		st, body = post(map[string]string{"token": sso, "password": pw}, "")
		wantError("an SSO invitation", st, body, 409, "sso_required")

		_, late, _ := invited(t, db.Client, "")
		clk.Set(t0.Add(invite.TTL))
		st, body = post(map[string]string{"token": late, "password": pw}, "")
		wantError("an expired link", st, body, 410, "invitation_expired")
	})
}

func TestARevokedLinkIsRefusedAsRevoked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mux := http.NewServeMux()
		invitation.NewHandler(db.Client, invitation.Config{Clock: clock.NewFake(t0)}).Routes(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		_, token, id := invited(t, db.Client, "")
		db.Client.Invitation.UpdateOneID(id).SetStatus(einv.StatusRevoked).ExecX(allow())
		b, _ := json.Marshal(map[string]string{"token": token, "password": "correct horse battery staple"})
		res, err := srv.Client().Post(srv.URL+invitation.RouteAccept, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e errorBody
		_ = json.NewDecoder(res.Body).Decode(&e)
		if res.StatusCode != 410 || e.Error.Code != "invitation_revoked" {
			t.Errorf("%d %+v", res.StatusCode, e)
		}
	})
}
