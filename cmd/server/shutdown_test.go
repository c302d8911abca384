package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

// On SIGTERM (the serve context ending) the server stops accepting
// connections at once, lets a request already in flight finish with its
// answer, then returns and closes its database pool. The slow request is a
// real one: a GraphQL query waiting on a table another connection holds
// locked, as behind a migration.
func TestShutdownDrainsAnInFlightRequestThenClosesThePool(t *testing.T) {
	kv := postgresEnv(t)
	kv["DB_LOCK_TIMEOUT"], kv["DB_STATEMENT_TIMEOUT"], kv["REQUEST_TIMEOUT"] = "0", "0", "30s"
	kv["SHUTDOWN_TIMEOUT"], kv["LOG_LEVEL"] = "20s", "info"
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("owner chose this passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Drain", "--slug", "drain",
		"--owner-email", "ana@drain.example", "--owner-password-file", pw); code != 0 {
		t.Fatalf("bootstrap: exit %d: %s %s", code, out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	base := "http://" + addr
	kv["PUBLIC_URL"] = base
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	served := make(chan error, 1)
	go func() { served <- serveWith(ctx, nil, io.Discard, logs, env(kv), listeners{main: ln}) }()
	waitFor(t, 60*time.Second, "the server is ready", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	status, login := postJSON(t, base+"/auth/login", "", map[string]string{
		"organization": "drain", "email": "ana@drain.example", "password": "owner chose this passphrase",
	})
	tok, _ := login["token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("login: %d %v", status, login)
	}

	dsn := kv["DATABASE_URL"]
	u, _ := url.Parse(dsn)
	dbName := u.Path[1:]
	admin, err := pgx.Connect(context.Background(), adminDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	backends := func(waiting bool) int {
		q := "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
		if waiting {
			q += " AND wait_event_type = 'Lock'"
		}
		var n int
		if err := admin.QueryRow(context.Background(), q, dbName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	release := testdb.LockTable(t, dsn, "business_units")
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		b, _ := json.Marshal(map[string]any{"query": `{ businessUnits { totalCount } }`})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		got <- answer{res.StatusCode, string(raw), err}
	}()
	// In flight: its statement waits on the lock (one backend besides the
	// lock holder's own, which is not waiting).
	waitFor(t, 10*time.Second, "the query waits on the lock", func() bool { return backends(true) == 1 })

	cancel() // as SIGTERM does, through signal.NotifyContext in main
	waitFor(t, 5*time.Second, "new connections are refused once shutdown began", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case a := <-got:
		t.Fatalf("the in-flight request ended before the lock went: %d %s %v", a.status, a.body, a.err)
	default:
	}

	release()
	a := <-got
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `"totalCount":0`) {
		t.Fatalf("the in-flight request: %d %s %v; want its answer", a.status, a.body, a.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after the last request finished")
	}
	// The pool is closed: the server keeps no connection to the database
	// (the lock holder's ended with release).
	waitFor(t, 5*time.Second, "no connection to the database is left", func() bool { return backends(false) == 0 })
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("the log does not say the server stopped:\n%s", logs)
	}
}

// The binary itself, sent SIGTERM while serving, stops and exits 0: main
// turns the signal into the end of serve's context.
func TestTheProcessExitsCleanlyOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the process listens on it itself
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"DATA_DIR=" + t.TempDir(), "LISTEN_ADDR=" + addr, "LOG_LEVEL=info", "SHUTDOWN_TIMEOUT=5s"}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitFor(t, 60*time.Second, "the process is ready", func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the process did not exit within 10 s of SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("the log does not say the server stopped:\n%s", stderr.String())
	}
}
