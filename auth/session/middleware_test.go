package session_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/logging/logtest"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// seen is what the handler behind the middleware observed.
type seen struct {
	UserID    string
	SessionID string
	IP        string
	UserAgent string
	RequestID string
}

// echo answers with what the middleware put in the request's context.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var s seen
	if v := viewer.FromContext(r.Context()); v != nil {
		s.UserID = string(v.UserID)
	}
	if ses := session.SessionFrom(r.Context()); ses != nil {
		s.SessionID = string(ses.ID)
	}
	m := audit.MetaFrom(r.Context())
	s.IP, s.UserAgent, s.RequestID = m.IP, m.UserAgent, m.RequestID
	json.NewEncoder(w).Encode(s)
})

// serve puts the middleware in the server's usual chain, logging to logs.
func serve(m *session.Manager, logs *lockedBuffer, next http.Handler) http.Handler {
	log := logging.New(logs, slog.LevelDebug, "json")
	return edge.Chain(m.Middleware(next), edge.RequestID, edge.AccessLog(log, false))
}

func do(t *testing.T, h http.Handler, mod func(r *http.Request)) (*http.Response, seen) {
	t.Helper()
	r := httptest.NewRequest("GET", "/graphql", nil)
	r.Header.Set("User-Agent", "mw-test")
	r.Header.Set("X-Request-Id", "req-123")
	mod(r)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var s seen
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
	}
	return w.Result(), s
}

func TestMiddleware(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "mw", nil)
		u := mkUser(t, db, org, "mw@example.org", user.KindStaff)
		other := mkUser(t, db, org, "other@example.org", user.KindStaff)
		tok, s := create(t, m, db, u, session.CreateOptions{})
		otherTok, _ := create(t, m, db, other, session.CreateOptions{})
		var logs lockedBuffer
		h := serve(m, &logs, echo)

		for _, tc := range []struct {
			name        string
			mod         func(r *http.Request)
			wantUser    string
			clearCookie bool
		}{
			{"no token passes through anonymous", func(*http.Request) {}, "", false},
			{"a bearer token signs in", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, string(u.ID), false},
			{"the scheme is case-insensitive", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+tok) }, string(u.ID), false},
			{"a cookie signs in", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "cg_session", Value: tok}) }, string(u.ID), false},
			{"the bearer header wins over the cookie", func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer "+otherTok)
				r.AddCookie(&http.Cookie{Name: "cg_session", Value: tok})
			}, string(other.ID), false},
			{"an invalid cookie is anonymous and cleared", func(r *http.Request) {
				r.AddCookie(&http.Cookie{Name: "cg_session", Value: "cgs_bogus"})
			}, "", true},
			{"an invalid bearer token is anonymous and leaves the cookie alone", func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer cgs_bogus")
			}, "", false},
			{"another scheme is ignored", func(r *http.Request) { r.Header.Set("Authorization", "Basic "+tok) }, "", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, got := do(t, h, tc.mod)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d", res.StatusCode)
				}
				if got.UserID != tc.wantUser {
					t.Errorf("viewer user = %q, want %q", got.UserID, tc.wantUser)
				}
				if (got.SessionID != "") != (tc.wantUser != "") {
					t.Errorf("SessionFrom = %q with viewer %q", got.SessionID, got.UserID)
				}
				if got.IP != "192.0.2.1" || got.UserAgent != "mw-test" || got.RequestID != "req-123" {
					t.Errorf("audit meta = %+v", got)
				}
				cleared := false
				for _, c := range res.Cookies() {
					cleared = cleared || (c.Name == "cg_session" && c.MaxAge < 0 && c.Value == "")
				}
				if cleared != tc.clearCookie {
					t.Errorf("cookie cleared = %v, want %v (Set-Cookie %q)", cleared, tc.clearCookie, res.Header.Values("Set-Cookie"))
				}
			})
		}

		if got := logs.String(); !strings.Contains(got, `"org":"`+string(org.ID)+`"`) ||
			!strings.Contains(got, `"user":"`+string(u.ID)+`"`) {
			t.Errorf("access log lacks org and user fields:\n%s", got)
		}
		if got := logs.String(); strings.Contains(got, tok) || strings.Contains(got, otherTok) {
			t.Errorf("a token was logged:\n%s", got)
		}
		if s.ID == "" {
			t.Fatal("no session")
		}
	})
}

func TestMiddlewareAppliedTwiceAuthenticatesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "twice", nil)
		u := mkUser(t, db, org, "twice@example.org", user.KindStaff)
		tok, s := create(t, m, db, u, session.CreateOptions{})
		calls := 0
		final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			if v := viewer.FromContext(r.Context()); v == nil || v.UserID != u.ID {
				t.Errorf("viewer behind two middlewares = %+v", v)
			}
		})
		// Between the two, the session is revoked: an inner middleware that
		// authenticated again would find it revoked and clear the cookie.
		revokeBetween := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := m.Revoke(viewer.ForSystem(r.Context(), u.OrganizationID), db.Client, s.ID, "test"); err != nil {
				t.Fatal(err)
			}
			m.Middleware(final).ServeHTTP(w, r)
		})
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "cg_session", Value: tok})
		w := httptest.NewRecorder()
		m.Middleware(revokeBetween).ServeHTTP(w, r)
		if calls != 1 {
			t.Fatalf("handler ran %d times", calls)
		}
		if sc := w.Header().Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("the inner middleware authenticated again: Set-Cookie %q", sc)
		}
	})
}

func TestMiddlewareAnswers500WhenTheStoreFails(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	m := session.New(db.Client, session.Config{})
	org := mkOrg(t, db, "down", nil)
	u := mkUser(t, db, org, "down@example.org", user.KindStaff)
	tok, _ := create(t, m, db, u, session.CreateOptions{})
	db.Close()

	var logs lockedBuffer
	called := false
	h := serve(m, &logs, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "cg_session", Value: tok})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if called || w.Code != http.StatusInternalServerError || errorCode(w.Body.Bytes()) != "internal" || strings.Contains(w.Body.String(), "message") { // the bare 500 of edge.WriteError
		t.Fatalf("called %v, status %d, body %q", called, w.Code, w.Body)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Error("a store failure cleared the cookie")
	}
	if got := logs.String(); !strings.Contains(got, "session: authenticate") || strings.Contains(got, tok) {
		t.Errorf("log:\n%s", got)
	}
}

func TestCookieAttributes(t *testing.T) {
	exp := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, secure := range []bool{false, true} {
		m := session.New(nil, session.Config{SecureCookies: secure, CookieName: "sid"})
		w := httptest.NewRecorder()
		m.SetCookie(w, "cgs_x", exp)
		m.ClearCookie(w)
		cs := w.Result().Cookies()
		if len(cs) != 2 {
			t.Fatalf("cookies: %v", cs)
		}
		set, clear := cs[0], cs[1]
		for _, c := range cs {
			if c.Name != "sid" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure {
				t.Errorf("secure=%v: cookie %s", secure, c)
			}
		}
		if set.Value != "cgs_x" || !set.Expires.Equal(exp) {
			t.Errorf("set cookie %s", set)
		}
		if clear.Value != "" || clear.MaxAge >= 0 {
			t.Errorf("clear cookie %s", clear)
		}
	}
}

// A database that cannot answer before the request's deadline gets a 503
// the client may retry, not a 500 and not an anonymous request.
func TestMiddlewareAnswers503WhenTheDatabaseDoesNotAnswerInTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := session.New(db.Client, session.Config{})
		org := mkOrg(t, db, "slow", nil)
		u := mkUser(t, db, org, "slow@example.org", user.KindStaff)
		tok, _ := create(t, m, db, u, session.CreateOptions{})

		var logs lockedBuffer
		called := false
		h := serve(m, &logs, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if called || w.Code != http.StatusServiceUnavailable || errorCode(w.Body.Bytes()) != "unavailable" {
			t.Fatalf("called %v, status %d, body %q", called, w.Code, w.Body)
		}
		if got := w.Header().Get("Retry-After"); got != "5" {
			t.Errorf("Retry-After = %q, want 5", got)
		}
		if got := logs.String(); !strings.Contains(got, "database unavailable") || !strings.Contains(got, "session: authenticate") || strings.Contains(got, tok) {
			t.Errorf("log:\n%s", got)
		}
	})
}

// A user agent that is not UTF-8 is recorded with replacement characters:
// PostgreSQL would refuse the session and audit rows it goes into.
func TestMiddlewareMakesTheUserAgentValidUTF8(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	m := session.New(db.Client, session.Config{})
	_, got := do(t, m.Middleware(echo), func(r *http.Request) { r.Header.Set("User-Agent", "agent\xff\xfe/1") })
	if got.UserAgent != "agent\uFFFD/1" {
		t.Errorf("user agent = %q", got.UserAgent)
	}
}

// errorCode is the code of an error body {"error":{"code":…}}, or "".
func errorCode(b []byte) string {
	var body struct{ Error struct{ Code string } }
	_ = json.Unmarshal(b, &body)
	return body.Error.Code
}

// lockedBuffer collects what the server under test logs.
type lockedBuffer = logtest.Buffer
