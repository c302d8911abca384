package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// openTestDB opens the database of kv as the commands do.
func openTestDB(t *testing.T, kv map[string]string) *store.DB {
	t.Helper()
	cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, env(kv))
	if err != nil {
		t.Fatal(err)
	}
	db, err := open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestServeSealsEventsAndAuditVerifyAndExportCheckTheChain(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Sunrise Therapy", "--slug", "sunrise", "--owner-email", "owner@sunrise.example"); code != 0 {
			t.Fatalf("bootstrap exit %d: %s %s", code, out, errOut)
		}
		db := openTestDB(t, kv)
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		org := db.Client.Organization.Query().OnlyX(allow)
		for _, action := range []string{audit.SignIn, audit.AccessGranted, audit.SignOut} {
			if err := audit.Record(viewer.ForSystem(context.Background(), org.ID), db.Client, audit.Event{Action: action}); err != nil {
				t.Fatal(err)
			}
		}
		// The running server seals them within about a second.
		serveInBackground(t, kv)
		deadline := time.Now().Add(10 * time.Second)
		for db.Client.AuditEvent.Query().Where(auditevent.ChainSeqIsNil()).CountX(allow) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the server did not seal the events within 10 s")
			}
			time.Sleep(50 * time.Millisecond)
		}

		code, out, errOut := runCmd(t, kv, "audit", "verify", "--org", "sunrise")
		if code != 0 || !strings.HasPrefix(out, "OK sunrise: 4 events verified (seq 1 to 4") {
			t.Fatalf("verify exit %d: %q %q", code, out, errOut)
		}
		head := out[strings.Index(out, "head ")+5 : len(out)-1]

		file := filepath.Join(t.TempDir(), "sunrise.jsonl")
		if code, out, errOut := runCmd(t, kv, "audit", "export", "--org", "sunrise", "--out", file); code != 0 || out != "" || !strings.Contains(errOut, "4 events of sunrise written") {
			t.Fatalf("export exit %d: %q %q", code, out, errOut)
		}
		code, out, errOut = runCmd(t, kv, "audit", "verify", "--file", file)
		if code != 0 || !strings.Contains(out, "4 events verified") || !strings.Contains(out, "head "+head) {
			t.Fatalf("verify --file exit %d: %q %q", code, out, errOut)
		}
		// An export is never overwritten.
		if code, _, errOut := runCmd(t, kv, "audit", "export", "--org", "sunrise", "--out", file); code != 2 || !strings.Contains(errOut, "exists") {
			t.Errorf("second export to the same file: exit %d: %q", code, errOut)
		}
		// To stdout, from a time on.
		code, out, _ = runCmd(t, kv, "audit", "export", "--org", "sunrise", "--since", "2000-01-01T00:00:00Z")
		if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, `"seq":1,`) {
			t.Errorf("export to stdout: exit %d: %q", code, out)
		}

		// The copy is still what the chain holds.
		code, out, errOut = runCmd(t, kv, "audit", "verify", "--org", "sunrise", "--against", file)
		if code != 0 || !strings.Contains(out, "the copy "+file+" matches: 4 events (seq 1 to 4), head "+head) {
			t.Fatalf("verify --against exit %d: %q %q", code, out, errOut)
		}

		// Someone changes the sign-in event in the database: verify names
		// it and fails.
		sign := db.Client.AuditEvent.Query().Where(auditevent.Action(audit.SignIn)).OnlyX(allow)
		tamperSQL := "UPDATE audit_events SET actor_kind = 'USER' WHERE id = '" + string(sign.ID) + "'"
		if _, err := db.SQL.Exec(tamperSQL); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("the database let an event be changed: %v", err)
		}
		disable := []string{"DROP TRIGGER audit_events_seal_only"}
		if db.Dialect == dialect.Postgres {
			disable = []string{"ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"}
		}
		for _, s := range append(disable, tamperSQL) {
			if _, err := db.SQL.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		code, out, errOut = runCmd(t, kv, "audit", "verify", "--org", "sunrise")
		want := fmt.Sprintf("FAIL sunrise: first bad event at seq %d (%s): changed", *sign.ChainSeq, sign.ID)
		if code != 1 || !strings.Contains(out, want) {
			t.Fatalf("verify of a changed chain: exit %d: %q %q", code, out, errOut)
		}
		// Against the copy too it fails (at the chain's own check first).
		if code, out, _ := runCmd(t, kv, "audit", "verify", "--org", "sunrise", "--against", file); code != 1 || !strings.Contains(out, "FAIL sunrise") {
			t.Errorf("verify --against a changed chain: exit %d: %q", code, out)
		}
		// The copy taken before still verifies: it is the evidence.
		if code, _, _ := runCmd(t, kv, "audit", "verify", "--file", file); code != 0 {
			t.Errorf("verify --file of the earlier copy: exit %d", code)
		}

		// Bad input is a usage error.
		for _, args := range [][]string{
			{"audit"},
			{"audit", "rewrite"},
			{"audit", "verify"},
			{"audit", "verify", "--org", "sunrise", "--file", file},
			{"audit", "verify", "--file", file, "--against", file},
			{"audit", "verify", "--org", "sunrise", "--against", filepath.Join(t.TempDir(), "missing.jsonl")},
			{"audit", "verify", "--org", "nosuch"},
			{"audit", "verify", "--file", filepath.Join(t.TempDir(), "missing.jsonl")},
			{"audit", "export"},
			{"audit", "export", "--org", "sunrise", "--since", "yesterday"},
		} {
			if code, _, errOut := runCmd(t, kv, args...); code != 2 || errOut == "" {
				t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, errOut)
			}
		}
		// A file that is not an export fails with a message.
		junk := filepath.Join(t.TempDir(), "junk.jsonl")
		if err := os.WriteFile(junk, []byte("{not json\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := runCmd(t, kv, "audit", "verify", "--file", junk); code != 1 || !strings.Contains(errOut, "line 1") {
			t.Errorf("verify --file junk: exit %d: %q", code, errOut)
		}
	})
}
