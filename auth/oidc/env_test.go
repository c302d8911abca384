package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/oidc"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/sso"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// providerTimeout bounds provider calls in the tests (5 s in production).
const providerTimeout = 700 * time.Millisecond

// env is the server (login and OIDC routes behind the usual chain, on a
// real database, with a settable clock) and an in-test provider.
type env struct {
	t     *testing.T
	db    *store.DB
	clock *clock.Fake
	box   *seal.Box
	idp   *idp
	app   *httptest.Server
	svc   *sso.Service
}

func newEnv(t *testing.T, db *store.DB) *env { return newEnvOn(t, db, nil) }

// newEnvOn is newEnv with the server on ln (a fresh port when nil).
func newEnvOn(t *testing.T, db *store.DB, ln net.Listener) *env {
	t.Helper()
	e := &env{t: t, db: db, clock: clock.NewFake(time.Now().UTC().Truncate(time.Second))}
	box, err := seal.New(randBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	e.box = box
	e.idp = newIdP(t, e.clock.Now)
	var handler http.Handler
	e.app = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	if ln != nil {
		e.app.Listener.Close()
		e.app.Listener = ln
	}
	e.app.Start()
	t.Cleanup(e.app.Close)
	log := logging.New(io.Discard, slog.LevelDebug, "json")
	sessions := session.New(db.Client, session.Config{TTL: 2 * time.Hour, IdleTimeout: time.Hour, Clock: e.clock, PublicOrigin: e.app.URL})
	e.svc = &sso.Service{
		Client: db.Client, Box: box, PublicURL: e.app.URL, Log: log,
		Providers: sso.NewProviders(sso.ProvidersConfig{Timeout: providerTimeout, Now: e.clock.Now, Logger: log}),
	}
	lh := login.NewHandler(db.Client, sessions, login.Config{PublicOrigin: e.app.URL, Clock: e.clock, Logger: log})
	mux := http.NewServeMux()
	lh.Routes(mux)
	oidc.NewHandler(e.svc, lh, sessions, oidc.Config{Logger: log}).Routes(mux)
	handler = edge.Chain(mux, clock.Middleware(e.clock), edge.RequestID, edge.Recover(log), sessions.Middleware)
	return e
}

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

func (e *env) org(slug string, method organization.SignInMethod) *ent.Organization {
	e.t.Helper()
	o, err := e.db.Organization.Create().SetName("Clinic " + slug).SetSlug(slug + "-" + string(pulid.New("x"))[2:10]).
		SetSignInMethod(method).Save(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// connection creates a connection of o to the in-test provider.
func (e *env) connection(o *ent.Organization, p *idp, set func(*ent.SSOConnectionCreate)) *ent.SSOConnection {
	e.t.Helper()
	id := pulid.New("sso")
	sealed, err := sso.SealClientSecret(e.box, id, p.secret)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.db.SSOConnection.Create().SetID(id).SetOrganizationID(o.ID).SetName("Test IdP").
		SetIssuer(p.issuer()).SetClientID(p.clientID).SetClientSecretSealed(sealed)
	if set != nil {
		set(c)
	}
	conn, err := c.Save(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return conn
}

func (e *env) user(o *ent.Organization, email string, set func(*ent.UserCreate)) *ent.User {
	e.t.Helper()
	c := e.db.User.Create().SetOrganizationID(o.ID).SetEmail(email).SetStatus(user.StatusActive)
	if set != nil {
		set(c)
	}
	u, err := c.Save(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// signInAs makes the provider sign in a person with these claims.
func (e *env) signInAs(claims map[string]any) {
	e.idp.set(func(p *idp) {
		p.user, p.tamper, p.signer, p.userinfoOnly, p.delay, p.down = claims, nil, nil, nil, 0, false
	})
}

// person is a typical provider account.
func person(sub, email string) map[string]any {
	return map[string]any{"sub": sub, "email": email, "email_verified": true, "name": "Dr " + sub}
}

func (e *env) audits(o *ent.Organization, action string) []*ent.AuditEvent {
	e.t.Helper()
	evs, err := e.db.AuditEvent.Query().Where(auditevent.OrganizationID(o.ID), auditevent.Action(action)).
		Order(ent.Asc(auditevent.FieldOccurredAt), ent.Asc(auditevent.FieldID)).All(allow())
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// lastRefusal is the reason of o's latest auth.sign_in_failed.
func (e *env) lastRefusal(o *ent.Organization) string {
	e.t.Helper()
	evs := e.audits(o, "auth.sign_in_failed")
	if len(evs) == 0 {
		return ""
	}
	r, _ := evs[len(evs)-1].Details["reason"].(string)
	return r
}

// browser is a user agent with a cookie jar that follows the redirects of
// the flow (to the provider's authorize endpoint and back to the
// callback) and stops at anything else.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == "/authorize" || req.URL.Path == sso.CallbackPath {
				return nil
			}
			return http.ErrUseLastResponse
		}}}
}

// reply is a response and its JSON body.
type reply struct {
	status   int
	location string
	body     map[string]any
	raw      string
}

func (r reply) code() string {
	if m, ok := r.body["error"].(map[string]any); ok {
		c, _ := m["code"].(string)
		return c
	}
	return ""
}

func (b *browser) do(req *http.Request) reply {
	b.e.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, location: res.Header.Get("Location"), raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (b *browser) get(u string) reply {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

// login runs the whole flow through connection conn.
func (b *browser) login(conn *ent.SSOConnection, returnTo string) reply {
	b.e.t.Helper()
	u := b.e.app.URL + "/auth/oidc/" + string(conn.ID) + "/login"
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	return b.get(u)
}

// start goes to the provider and back without following the callback: it
// returns the callback URL the provider redirected to.
func (b *browser) start(conn *ent.SSOConnection) *url.URL {
	b.e.t.Helper()
	stop := b.client.CheckRedirect
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/authorize" {
			return nil
		}
		return http.ErrUseLastResponse
	}
	defer func() { b.client.CheckRedirect = stop }()
	r := b.get(b.e.app.URL + "/auth/oidc/" + string(conn.ID) + "/login")
	if r.status != http.StatusFound || !strings.Contains(r.location, sso.CallbackPath) {
		b.e.t.Fatalf("login did not come back from the provider: %d %s %s", r.status, r.location, r.raw)
	}
	u, err := url.Parse(r.location)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return u
}

// session is GET /auth/session with the browser's cookie.
func (b *browser) session() reply { return b.get(b.e.app.URL + "/auth/session") }

// signedIn checks r is the callback's redirect to want and returns the
// session's state.
func (b *browser) signedIn(r reply, want string) string {
	b.e.t.Helper()
	if r.status != http.StatusSeeOther || r.location != want {
		b.e.t.Fatalf("sign-in answered %d %q (want 303 to %q): %s", r.status, r.location, want, r.raw)
	}
	s := b.session()
	if s.status != http.StatusOK {
		b.e.t.Fatalf("no session after sign-in: %d %s", s.status, s.raw)
	}
	if m, _ := s.body["method"].(string); m != "SSO" {
		b.e.t.Fatalf("session method %q, want SSO", m)
	}
	st, _ := s.body["state"].(string)
	return st
}

// refused checks r is a refusal with status and code.
func refused(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("answered %d %q (%s), want %d %q", r.status, r.code(), r.raw, status, code)
	}
}
