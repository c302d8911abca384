//go:build unix

package testdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replicated is a PostgreSQL primary with one hot standby fed by streaming
// replication, both started for one test from the installed server
// binaries (initdb, then pg_basebackup -R from the running primary) and
// removed when it ends. Unlike the shared throwaway cluster it is the
// test's own: the standby can be paused, stopped and started.
type Replicated struct {
	// PrimaryURL and StandbyURL are admin URLs (database "postgres").
	PrimaryURL, StandbyURL string

	bin     string
	as      *runAs
	dir     string // the standby's directory: data/, socket, log
	port    int
	standby *cluster
}

// StartReplicated starts a primary and its hot standby, and waits until
// the standby accepts read-only connections.
func StartReplicated(t testing.TB) *Replicated {
	t.Helper()
	bin, err := findServerBinaries()
	if err != nil {
		t.Fatal(err)
	}
	as, err := clusterUser()
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp(tempBase(as), fmt.Sprintf("%s%d-repl-", dirPrefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	pdir, sdir := filepath.Join(base, "primary"), filepath.Join(base, "standby")
	for _, d := range []string{base, pdir, sdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if as != nil {
			if err := os.Chown(d, int(as.uid), int(as.gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	primary, err := startClusterIn(bin, pdir, as)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(primary.stopPostmaster)

	pport := strconv.Itoa(portOf(primary.url))
	backup := as.command(sdir, filepath.Join(bin, "pg_basebackup"),
		"-h", "127.0.0.1", "-p", pport, "-U", "postgres",
		"-D", filepath.Join(sdir, "data"),
		"-R",           // standby.signal and primary_conninfo
		"-X", "stream", // the WAL of the backup itself, streamed
		"--checkpoint=fast", // not a spread checkpoint's minutes
		"--no-sync")
	if out, err := backup.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", backup, err, out)
	}
	r := &Replicated{PrimaryURL: primary.url, bin: bin, as: as, dir: sdir}
	r.StartStandby(t)
	t.Cleanup(func() {
		if r.standby != nil {
			r.standby.stopPostmaster()
		}
	})
	return r
}

// StartStandby starts the standby (again, on the same port after the
// first start) and waits until it accepts connections.
func (r *Replicated) StartStandby(t testing.TB) {
	t.Helper()
	if r.standby != nil {
		t.Fatal("testdb: the standby is running")
	}
	for attempt := 0; ; attempt++ {
		port := r.port
		if port == 0 {
			p, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			port = p
		}
		c, retry, err := startPostmaster(r.bin, r.dir, filepath.Join(r.dir, "data"), port, r.as)
		if err == nil {
			r.standby, r.port, r.StandbyURL = c, port, c.url
			return
		}
		if !retry || r.port != 0 || attempt >= 4 {
			t.Fatalf("testdb: start standby: %v", err)
		}
	}
}

// StopStandby stops the standby at once (an immediate shutdown, as if
// its machine went away).
func (r *Replicated) StopStandby(t testing.TB) {
	t.Helper()
	if r.standby == nil {
		t.Fatal("testdb: the standby is not running")
	}
	r.standby.stopPostmaster()
	r.standby = nil
}

// CreateDatabase creates a database on the primary and returns its URLs on
// the primary and on the standby, once the standby has it.
func (r *Replicated) CreateDatabase(t testing.TB, name string) (primary, standby string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatal(err)
	}
	if primary, err = withDatabase(r.PrimaryURL, name); err == nil {
		standby, err = withDatabase(r.StandbyURL, name)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.WaitReplayed(t)
	return primary, standby
}

// WaitReplayed waits until the standby has replayed everything the
// primary had written when it was called (the primary's WAL insert
// position), polling the standby's replay position: a wait for a
// condition, not for a time.
func (r *Replicated) WaitReplayed(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pgx.Connect(ctx, r.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	var lsn string
	// The insert position, not pg_current_wal_lsn(): the throwaway
	// clusters commit asynchronously, so the last commits may not have
	// been written out yet (the WAL writer does it within 200 ms).
	if err := p.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	s, err := pgx.Connect(ctx, r.StandbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	for {
		var done bool
		if err := s.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testdb: the standby did not replay %s within 30 s", lsn)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// portOf is the port of an admin URL of this package's clusters.
func portOf(adminURL string) int {
	rest := adminURL[len("postgres://postgres@127.0.0.1:"):]
	for i, c := range rest {
		if c < '0' || c > '9' {
			rest = rest[:i]
			break
		}
	}
	n, _ := strconv.Atoi(rest)
	return n
}
