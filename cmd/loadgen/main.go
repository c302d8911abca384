// Command loadgen seeds a large organization into a PostgreSQL database and
// drives a running clinicgate server over it with a mix of reads, writes,
// SCIM provisioning and sign-ins for a bounded time; it prints throughput
// and latency per operation and verifies afterwards that every write the
// server acknowledged is in the database. `make load` runs it against a
// server it starts (scripts/load.sh). See internal/loadgen.
//
//	loadgen --seed-only                      # create, migrate and seed the database
//	loadgen --server http://127.0.0.1:8080   # seed if needed, then run
//
// Every flag has an environment variable (LOAD_SERVER, LOAD_DATABASE_URL,
// LOAD_DURATION, LOAD_CONCURRENCY, LOAD_MIX, …). Exit status: 0 when the
// run had no server error and lost no write, 1 when it did, 2 when it could
// not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/clinicgate/clinicgate/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	envInt := func(k string, def int) int {
		if n, err := strconv.Atoi(getenv(k)); err == nil {
			return n
		}
		return def
	}
	envDur := func(k string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(getenv(k)); err == nil {
			return d
		}
		return def
	}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", env("LOAD_SERVER", "http://127.0.0.1:8080"), "base URL of the running server (LOAD_SERVER); it must trust X-Forwarded-For (TRUST_PROXY_HEADERS=true)")
	database := fs.String("database", env("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinicgate_load?sslmode=disable"), "the server's PostgreSQL database, to seed and to verify (LOAD_DATABASE_URL); created if missing")
	duration := fs.Duration("duration", envDur("LOAD_DURATION", 30*time.Second), "how long the mix runs (LOAD_DURATION)")
	concurrency := fs.Int("concurrency", envInt("LOAD_CONCURRENCY", 8), "requests in flight: each worker sends one after another (LOAD_CONCURRENCY)")
	mix := fs.String("mix", env("LOAD_MIX", loadgen.DefaultMix), "weights of the operations, op=weight,… (LOAD_MIX)")
	clients := fs.Int("seed-clients", envInt("LOAD_SEED_CLIENTS", 100_000), "clients of the seeded organization (LOAD_SEED_CLIENTS); an existing one is reused whatever its size")
	users := fs.Int("seed-users", envInt("LOAD_SEED_USERS", 5_000), "users of the seeded organization (LOAD_SEED_USERS)")
	perRole := fs.Int("sessions-per-role", envInt("LOAD_SESSIONS_PER_ROLE", 5), "users of each role signed in before the run to read and write (LOAD_SESSIONS_PER_ROLE)")
	mfaUsers := fs.Int("mfa-users", envInt("LOAD_MFA_USERS", 4), "users who enrol an authenticator app and sign in with TOTP codes, at most 8 (LOAD_MFA_USERS)")
	seedOnly := fs.Bool("seed-only", false, "seed the database and exit")
	noSeed := fs.Bool("no-seed", false, "do not seed: the database was seeded before")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	weights, err := loadgen.ParseMix(*mix)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if !*noSeed {
		s, err := loadgen.Seed(ctx, *database, loadgen.ScaleFor(*clients, *users), log)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen: seed:", err)
			return 2
		}
		log.Info("seeded", slog.String("org", s.OrgSlug), slog.Bool("generated", s.Generated), slog.Duration("took", s.Took.Round(time.Millisecond)))
	}
	if *seedOnly {
		return 0
	}
	rep, err := loadgen.Run(ctx, loadgen.Config{
		Server: *server, Database: *database, Duration: *duration, Concurrency: *concurrency,
		Mix: weights, SessionsPerRole: *perRole, MFAUsers: *mfaUsers,
		Progress: stderr, Log: log,
	})
	if rep != nil {
		rep.Write(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	if !rep.OK() {
		fmt.Fprintln(stderr, "loadgen: FAILED:", errors.Join(failures(rep)...))
		return 1
	}
	return 0
}

func failures(r *loadgen.Report) []error {
	var out []error
	if r.ServerErrors > 0 {
		out = append(out, fmt.Errorf("%d server errors", r.ServerErrors))
	}
	if n := len(r.Verification.Lost); n > 0 {
		out = append(out, fmt.Errorf("%d lost writes", n))
	}
	return out
}
