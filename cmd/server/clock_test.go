package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// The server's one clock, set once where cmd/server builds it, drives
// everything that reads the time: the demo's rows, the session's expiry
// and idle timeout, and the audit trail.
func TestOneClockSetOnceDrivesSessionsAndAudit(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	t0 := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	ctx := context.Background()
	const pw = "correct horse battery staple"
	cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
	if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: pw, Clock: clk, Hasher: cheap}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(sqliteEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clk)
	srv := httptest.NewServer(api)
	defer srv.Close()

	post := func(path, tok string, body any) (int, map[string]any) { return postJSON(t, srv.URL+path, tok, body) }
	status, login := post("/auth/login", "", map[string]string{"organization": "demo", "email": "admin@demo.clinic", "password": pw})
	tok, _ := login["token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("sign-in: %d %v", status, login)
	}
	if exp, _ := time.Parse(time.RFC3339, login["expiresAt"].(string)); !exp.Equal(t0.Add(cfg.SessionTTL)) {
		t.Errorf("session expires at %v, want SESSION_TTL after the fake clock's %v", exp, t0)
	}
	ev, err := db.AuditEvent.Query().Where(auditevent.Action("auth.sign_in")).Only(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.OccurredAt.Equal(t0) {
		t.Errorf("sign-in audited at %v, want the fake clock's %v", ev.OccurredAt, t0)
	}

	query := map[string]string{"query": "{ viewer { user { id } } }"}
	clk.Advance(29 * time.Minute)
	if _, res := post("/graphql", tok, query); res["errors"] != nil {
		t.Fatalf("29 minutes later: %v", res)
	}
	clk.Advance(31 * time.Minute) // idle for longer than the 30-minute timeout
	if _, res := post("/graphql", tok, query); res["errors"] == nil {
		t.Fatalf("after the idle timeout the session still works: %v", res)
	}
	idle, err := db.AuditEvent.Query().Where(auditevent.Action("auth.session_revoked")).Only(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		t.Fatalf("idle log-off not audited: %v", err)
	}
	if want := t0.Add(60 * time.Minute); !idle.OccurredAt.Equal(want) {
		t.Errorf("idle log-off audited at %v, want %v", idle.OccurredAt, want)
	}
}
