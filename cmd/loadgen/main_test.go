package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestABadMixIsAUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--mix", "lists=1"}, &stdout, &stderr, env(nil)); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "unknown operation") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestAnUnreachableDatabaseIsReportedNotPanicked(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--seed-only"}, &stdout, &stderr,
		env(map[string]string{"LOAD_DATABASE_URL": "postgres://postgres@127.0.0.1:1/clinicgate_load?sslmode=disable"}))
	if code != 2 || !strings.Contains(stderr.String(), "loadgen: seed:") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// Seeding from the environment creates the organization once; a second
// run reuses it.
func TestSeedOnlyGeneratesOnceThenReuses(t *testing.T) {
	kv := map[string]string{"LOAD_DATABASE_URL": testdb.PostgresDSN(t), "LOAD_SEED_CLIENTS": "1000", "LOAD_SEED_USERS": "50"}
	for i, want := range []string{"generated=true", "generated=false"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"--seed-only"}, &stdout, &stderr, env(kv)); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run %d: want %s in %q", i, want, stderr.String())
		}
	}
}
