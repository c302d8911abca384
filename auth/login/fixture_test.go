package login_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	fakeclock "github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/logging/logtest"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const publicOrigin = "https://app.clinic.example"

// cheap makes hashing fast in tests; production uses password.DefaultParams.
var cheap = password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}

type clock = fakeclock.Fake

// env is a running server: the login routes behind the usual edge chain,
// on a real database, with a settable clock and its log in a buffer.
type env struct {
	t     *testing.T
	db    *store.DB
	clock *clock
	logs  *lockedBuffer
	srv   *httptest.Server
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{
		t: t, db: db, logs: &lockedBuffer{},
		clock: fakeclock.NewFake(time.Date(2031, 3, 4, 9, 0, 0, 0, time.UTC)),
	}
	log := logging.New(e.logs, slog.LevelDebug, "json")
	// Tests pick the client address with from(), through
	// X-Forwarded-For; without it the address is 127.0.0.1.
	sessions := session.New(db.Client, session.Config{
		TTL: 2 * time.Hour, IdleTimeout: 30 * time.Minute, Clock: e.clock, TrustProxy: true,
	})
	h := login.NewHandler(db.Client, sessions, login.Config{
		PublicOrigin: publicOrigin + "/", Hasher: cheap, Logger: log,
	})
	mux := http.NewServeMux()
	h.Routes(mux)
	e.srv = httptest.NewServer(edge.Chain(mux, edge.RequestID, edge.AccessLog(log, false), edge.Recover(log)))
	t.Cleanup(e.srv.Close)
	return e
}

func allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

func (e *env) org(slug string, method organization.SignInMethod) *ent.Organization {
	e.t.Helper()
	o, err := e.db.Organization.Create().SetName("Clinic " + slug).SetSlug(slug).SetSignInMethod(method).Save(allow())
	if err != nil {
		e.t.Fatalf("create organization: %v", err)
	}
	return o
}

// account describes a user to create.
type account struct {
	email, password string
	status          user.Status       // ACTIVE when empty
	method          user.SignInMethod // ANY when empty
	temporary       *time.Time        // a temporary password expiring then
	failed          int               // failed_attempts to start with
}

func (e *env) user(o *ent.Organization, a account) *ent.User {
	e.t.Helper()
	if a.status == "" {
		a.status = user.StatusActive
	}
	if a.method == "" {
		a.method = user.SignInMethodAny
	}
	u, err := e.db.User.Create().
		SetOrganizationID(o.ID).
		SetEmail(a.email).
		SetDisplayName("Dr " + strings.Split(a.email, "@")[0]).
		SetStatus(a.status).
		SetSignInMethod(a.method).
		Save(allow())
	if err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	if a.password == "" {
		return u
	}
	h, err := cheap.Hash(a.password)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.db.PasswordCredential.Create().
		SetOrganizationID(o.ID).SetUserID(u.ID).SetHash(h).SetFailedAttempts(a.failed)
	if a.temporary != nil {
		c.SetMustChange(true).SetTemporaryExpiresAt(*a.temporary)
	}
	if err := c.Exec(allow()); err != nil {
		e.t.Fatalf("create credential: %v", err)
	}
	return u
}

func (e *env) credential(u *ent.User) *ent.PasswordCredential {
	e.t.Helper()
	c, err := e.db.User.QueryPasswordCredential(u).Only(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) reloadUser(u *ent.User) *ent.User {
	e.t.Helper()
	u, err := e.db.User.Get(allow(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// audits returns the organization's audit events with an action, oldest first.
func (e *env) audits(o *ent.Organization, action string) []*ent.AuditEvent {
	e.t.Helper()
	evs, err := e.db.AuditEvent.Query().
		Where(auditevent.OrganizationID(o.ID), auditevent.Action(action)).
		Order(ent.Asc(auditevent.FieldOccurredAt), ent.Asc(auditevent.FieldID)).
		All(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// opt changes a request before it is sent.
type opt func(r *http.Request)

func bearer(tok string) opt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func cookie(tok string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "cg_session", Value: tok}) }
}

func header(k, v string) opt { return func(r *http.Request) { r.Header.Set(k, v) } }

// from sends the request as if from the client address ip.
func from(ip string) opt { return header("X-Forwarded-For", ip) }

// reply is a response with its decoded JSON body.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
	res    *http.Response
}

func (r reply) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

func (r reply) errField(k string) string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e[k].(string)
	return s
}

func (r reply) str(path ...string) string {
	var cur any = r.body
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

func (r reply) token() string { return r.str("token") }

func (r reply) sessionCookie() *http.Cookie {
	for _, c := range r.res.Cookies() {
		if c.Name == "cg_session" {
			return c
		}
	}
	return nil
}

// send makes a request; a string body is sent as is, anything else as JSON.
func (e *env) send(method, path string, body any, opts ...opt) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "login-test")
	for _, o := range opts {
		o(req)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := reply{status: res.StatusCode, header: res.Header, raw: string(raw), res: res}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: %d body %q is not JSON: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return out
}

func (e *env) login(org, email, pw string, opts ...opt) reply {
	e.t.Helper()
	return e.send("POST", "/auth/login", map[string]string{"organization": org, "email": email, "password": pw}, opts...)
}

func (e *env) changePassword(current, next string, opts ...opt) reply {
	e.t.Helper()
	return e.send("POST", "/auth/password/change", map[string]string{"currentPassword": current, "newPassword": next}, opts...)
}

func (e *env) current(opts ...opt) reply {
	e.t.Helper()
	return e.send("GET", "/auth/session", nil, opts...)
}

func (e *env) logout(opts ...opt) reply {
	e.t.Helper()
	return e.send("POST", "/auth/logout", nil, opts...)
}

// must fails the test unless r has the status (and, for errors, the code).
func must(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("got %d %q (%s), want %d %q", r.status, r.code(), strings.TrimSpace(r.raw), status, code)
	}
}

func timep(t time.Time) *time.Time { return &t }

// lockedBuffer collects what the server under test logs.
type lockedBuffer = logtest.Buffer
