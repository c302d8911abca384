package login_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Bodies that are not UTF-8, or hold a NUL in any field, are refused with
// 400 before they reach the database (PostgreSQL refuses NUL in text, which
// made them a 500), on every /auth endpoint that reads a body.
func TestBodiesWithNULOrInvalidUTF8AreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("nul", organization.SignInMethodAny)
		e.user(o, account{email: "ana@x.example", password: rightPw})
		r := e.login("nul", "ana@x.example", rightPw)
		must(t, r, http.StatusOK, "")
		tok := r.token()

		tests := []struct {
			name, path, body string
		}{
			{"a NUL in the organization", "/auth/login", `{"organization":"nul\u0000","email":"ana@x.example","password":"` + rightPw + `"}`},
			{"a NUL in the email", "/auth/login", `{"organization":"nul","email":"ana\u0000@x.example","password":"` + rightPw + `"}`},
			{"a NUL in the password", "/auth/login", `{"organization":"nul","email":"ana@x.example","password":"` + rightPw + `\u0000"}`},
			{"invalid UTF-8 in the email", "/auth/login", "{\"organization\":\"nul\",\"email\":\"ana\xff@x.example\",\"password\":\"" + rightPw + "\"}"},
			{"invalid UTF-8 outside any string", "/auth/login", "{\"organization\":\"nul\",\"email\":\"ana@x.example\",\"password\":\"" + rightPw + "\"}\xfe"},
			{"a NUL in the new password", "/auth/password/change", `{"currentPassword":"` + rightPw + `","newPassword":"a fine new passphrase\u0000"}`},
			{"invalid UTF-8 in the current password", "/auth/password/change", "{\"currentPassword\":\"\xc3\x28\",\"newPassword\":\"a fine new passphrase\"}"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.send("POST", tt.path, tt.body, bearer(tok))
				must(t, r, http.StatusBadRequest, "invalid_request")
				if r.errField("message") == "" || strings.Contains(r.raw, "\\u0000") || strings.Contains(r.raw, "\xff") {
					t.Errorf("refusal: %s", r.raw)
				}
			})
		}
		if n := len(e.audits(o, "auth.sign_in_failed")) + len(e.audits(o, "auth.password_change_failed")); n != 0 {
			t.Errorf("refused bodies reached the flow: %d audit events", n)
		}
		// An escaped backslash before "u0000" is text, not a NUL.
		must(t, e.login("nul", "ana@x.example", `\u0000`), http.StatusUnauthorized, "invalid_credentials")
	})
}

// A database that cannot answer before the request's deadline makes a
// sign-in 503 unavailable with Retry-After, not a 500.
func TestADatabaseThatDoesNotAnswerInTimeGives503(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		logs := &lockedBuffer{}
		log := logging.New(logs, slog.LevelDebug, "json")
		sessions := session.New(db.Client, session.Config{})
		h := login.NewHandler(db.Client, sessions, login.Config{Hasher: cheap, Logger: log})
		mux := http.NewServeMux()
		h.Routes(mux)
		srv := httptest.NewServer(edge.Chain(mux, edge.RequestID, edge.AccessLog(log, false), edge.Deadline(time.Nanosecond)))
		defer srv.Close()
		e := &env{t: t, db: db, srv: srv, logs: logs}

		r := e.login("anyone", "ana@x.example", rightPw)
		must(t, r, http.StatusServiceUnavailable, "unavailable")
		if r.header.Get("Retry-After") != "5" || r.errField("message") == "" || r.errField("requestId") == "" {
			t.Errorf("503: Retry-After %q, body %s", r.header.Get("Retry-After"), r.raw)
		}
		if !strings.Contains(logs.String(), "request: database unavailable") {
			t.Errorf("not logged:\n%s", logs)
		}
	})
}
