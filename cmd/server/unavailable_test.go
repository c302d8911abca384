package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

// With the sessions table locked by another connection, every request
// that needs it is answered 503 unavailable with Retry-After once the
// first bound fires (whichever of the three is configured), readiness is
// 503 too, and both recover when the lock goes.
func TestALockedSessionsTableAnswers503(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"PostgreSQL's lock timeout", map[string]string{"DB_LOCK_TIMEOUT": "200ms", "DB_STATEMENT_TIMEOUT": "0", "REQUEST_TIMEOUT": "30s"}},
		{"PostgreSQL's statement timeout", map[string]string{"DB_LOCK_TIMEOUT": "0", "DB_STATEMENT_TIMEOUT": "200ms", "REQUEST_TIMEOUT": "30s"}},
		// Long enough for the sign-in's password hash on a busy machine.
		{"the request deadline", map[string]string{"DB_LOCK_TIMEOUT": "0", "DB_STATEMENT_TIMEOUT": "0", "REQUEST_TIMEOUT": "2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := postgresEnv(t)
			for k, v := range tt.env {
				kv[k] = v
			}
			pw := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(pw, []byte("owner chose this passphrase\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Stall", "--slug", "stall",
				"--owner-email", "ana@stall.example", "--owner-password-file", pw); code != 0 {
				t.Fatalf("bootstrap: exit %d: %s %s", code, out, errOut)
			}
			s := start(t, kv)
			status, login := postJSON(t, s.base+"/auth/login", "", map[string]string{
				"organization": "stall", "email": "ana@stall.example", "password": "owner chose this passphrase",
			})
			tok, _ := login["token"].(string)
			if status != http.StatusOK || tok == "" {
				t.Fatalf("login: %d %v", status, login)
			}

			release := testdb.LockTable(t, kv["DATABASE_URL"], "sessions")
			for _, r := range []struct {
				method, path string
				bearer       string
				body         any
			}{
				{"GET", "/auth/session", tok, nil},
				{"POST", "/graphql", tok, map[string]any{"query": "{ viewer { user { email } } }"}},
				// Anonymous: the sign-in itself waits, to write its session.
				{"POST", "/auth/login", "", map[string]string{
					"organization": "stall", "email": "ana@stall.example", "password": "owner chose this passphrase",
				}},
			} {
				res := request(t, r.method, s.base+r.path, r.bearer, r.body)
				if res.status != http.StatusServiceUnavailable || res.code() != "unavailable" || res.header.Get("Retry-After") != "5" {
					t.Errorf("%s %s with sessions locked: %d %q Retry-After %q", r.method, r.path, res.status, res.raw, res.header.Get("Retry-After"))
				}
			}
			if status, body := get(t, s.base+"/readyz", ""); status != http.StatusServiceUnavailable {
				t.Errorf("/readyz with sessions locked: %d %s", status, body)
			}

			release()
			if status, body := get(t, s.base+"/readyz", ""); status != http.StatusOK {
				t.Errorf("/readyz after the lock: %d %s", status, body)
			}
			if res := request(t, "GET", s.base+"/auth/session", tok, nil); res.status != http.StatusOK {
				t.Errorf("/auth/session after the lock: %d %s", res.status, res.raw)
			}
		})
	}
}
