package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/loadgen"
)

// The load generator, end to end at a tiny scale: seeded on PostgreSQL,
// run for 3 s against the real handler (as `server serve` wires it, proxy
// headers trusted so that each simulated user has an address of its own),
// then verified in the database. It lives here, not in cmd/loadgen,
// because the handler is assembled in this package.
func TestTheLoadGeneratorRunsEveryOperationWithoutServerErrorsOrLostWrites(t *testing.T) {
	ctx := context.Background()
	kv := postgresEnv(t)
	kv["TRUST_PROXY_HEADERS"] = "true"
	dsn := kv["DATABASE_URL"]
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	seeded, err := loadgen.Seed(ctx, dsn, loadgen.ScaleFor(1_000, 50), log)
	if err != nil {
		t.Fatal(err)
	}
	if !seeded.Generated {
		t.Fatal("a fresh database was not generated")
	}
	// Seeding again reuses the organization.
	again, err := loadgen.Seed(ctx, dsn, loadgen.ScaleFor(1_000, 50), log)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated || again.OrgID != seeded.OrgID {
		t.Fatalf("a second seed regenerated: %+v then %+v", seeded, again)
	}

	cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(kv))
	if err != nil {
		t.Fatal(err)
	}
	db, err := open(ctx, cfg, log, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	api, _ := newHandlers(db, cfg, log, clock.System())
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	// Sign-ins weigh more than in the default mix so that 3 s see them.
	mix, err := loadgen.ParseMix("list=40,list_ids=5,record=20,grant=8,revoke=6,contact=4,scim_user=4,scim_group=6,signin=2,signin_mfa=2")
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	rep, err := loadgen.Run(ctx, loadgen.Config{
		Server: srv.URL, Database: dsn, Duration: 3 * time.Second, Concurrency: 4,
		Mix: mix, SessionsPerRole: 2, MFAUsers: 2, Progress: &progress, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Write(&out)
	t.Log(out.String())

	if rep.ServerErrors != 0 || rep.Failed != 0 {
		t.Errorf("%d failed requests, %d server errors", rep.Failed, rep.ServerErrors)
	}
	if len(rep.Verification.Lost) != 0 {
		t.Errorf("lost writes: %v", rep.Verification.Lost)
	}
	if !rep.OK() {
		t.Error("the report is not OK")
	}
	for _, op := range loadgen.Ops {
		if rep.Op(op).Count == 0 {
			t.Errorf("operation %s never ran", op)
		}
	}
	// Every operation ran and none failed, so each kind of write was
	// acknowledged at least once and verified (a link may have been
	// granted and revoked again, a member added and removed).
	checked := rep.Verification.Checked
	for _, kind := range []string{"contacts", "scim users", "scim groups", "sessions", "sessions with MFA"} {
		if checked[kind] == 0 {
			t.Errorf("no acknowledged %s were verified", kind)
		}
	}
	if checked["links granted"]+checked["links revoked"] == 0 {
		t.Error("no acknowledged client links were verified")
	}
	if len(rep.ListsByRole) < 4 {
		t.Errorf("client lists were read by %d roles: %v", len(rep.ListsByRole), rep.ListsByRole)
	}
	if !bytes.Contains(progress.Bytes(), []byte("ops/s")) {
		t.Errorf("no progress line: %q", progress.String())
	}
}
