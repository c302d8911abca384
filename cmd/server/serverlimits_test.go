package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

// The HTTP server's limits come from their variables: a client that sends
// its headers too slowly is cut off after HTTP_READ_HEADER_TIMEOUT,
// headers over HTTP_MAX_HEADER_BYTES are answered 431, and bodies over
// MAX_BODY_BYTES 413 on /graphql and /scim/v2 (/auth/* keeps its 64 KiB).
func TestTheHTTPLimitsFollowTheirVariables(t *testing.T) {
	kv := sqliteEnv(t)
	kv["HTTP_READ_HEADER_TIMEOUT"] = "300ms"
	kv["HTTP_MAX_HEADER_BYTES"] = "4096"
	kv["MAX_BODY_BYTES"] = "2048"
	base, _ := serveInBackground(t, kv)
	addr := strings.TrimPrefix(base, "http://")

	// Slow headers: the server closes the connection.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("reading from a connection with unfinished headers: %v (want it closed by the server)", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the server held unfinished headers for %s; HTTP_READ_HEADER_TIMEOUT is 300ms", took)
	}

	// Large headers.
	res := send(t, "GET", base+"/healthz", map[string]string{"X-Padding": strings.Repeat("p", 8<<10)}, "")
	if res.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("8 KiB of headers: %d, want 431", res.status)
	}

	// Bodies.
	pad := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 4<<10) + `"}}`
	for _, r := range []struct{ path, ct string }{
		{"/graphql", "application/json"},
		{"/scim/v2/Users", "application/scim+json"},
	} {
		res := send(t, "POST", base+r.path, map[string]string{"Content-Type": r.ct}, pad)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("4 KiB body to %s: %d %.200s, want 413", r.path, res.status, res.raw)
		}
		// SCIM answers in its own error schema (RFC 7644 §3.12).
		if strings.HasPrefix(r.path, "/scim/") && !strings.Contains(res.raw, "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("413 from %s is not a SCIM error: %.200s", r.path, res.raw)
		}
	}
	if res := send(t, "POST", base+"/auth/login", map[string]string{"Content-Type": "application/json"},
		`{"organization":"x","email":"a@b.example","password":"`+strings.Repeat("x", 4<<10)+`"}`); res.status == http.StatusRequestEntityTooLarge {
		t.Errorf("a 4 KiB sign-in is within /auth/*'s 64 KiB, got 413")
	}
	if res := send(t, "POST", base+"/graphql", map[string]string{"Content-Type": "application/json"}, `{"query":"{ __typename }"}`); res.status != http.StatusOK {
		t.Errorf("a small body: %d %s", res.status, res.raw)
	}
}

// DB_MAX_CONNS bounds the PostgreSQL pool: with every connection held by a
// request stuck behind a lock, the server opens no more, and the requests
// that found none are answered 503 once REQUEST_TIMEOUT passes.
func TestThePoolNeverExceedsDBMaxConns(t *testing.T) {
	kv := postgresEnv(t)
	kv["DB_MAX_CONNS"], kv["REQUEST_TIMEOUT"] = "2", "2s"
	kv["DB_LOCK_TIMEOUT"], kv["DB_STATEMENT_TIMEOUT"] = "0", "0"
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("owner chose this passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Pool", "--slug", "pool",
		"--owner-email", "ana@pool.example", "--owner-password-file", pw); code != 0 {
		t.Fatalf("bootstrap: exit %d: %s %s", code, out, errOut)
	}
	s := start(t, kv)
	_, login := postJSON(t, s.base+"/auth/login", "", map[string]string{
		"organization": "pool", "email": "ana@pool.example", "password": "owner chose this passphrase",
	})
	tok, _ := login["token"].(string)
	dsn := kv["DATABASE_URL"]
	u, _ := url.Parse(dsn)
	admin, err := pgx.Connect(context.Background(), adminDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	release := testdb.LockTable(t, dsn, "business_units")
	serverConns := func() int {
		// Every connection to the database but the lock holder's.
		var n int
		if err := admin.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND query NOT LIKE 'LOCK TABLE%'",
			u.Path[1:]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var wg sync.WaitGroup
	statuses := make(chan int, 6)
	for range 6 {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]any{"query": `{ businessUnits { totalCount } }`})
			req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			raw, _ := io.ReadAll(bufio.NewReader(res.Body))
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(strings.ToLower(string(raw)), "unavailable") {
				t.Errorf("a request behind the lock: %d %s", res.StatusCode, raw)
			}
			statuses <- res.StatusCode
		})
	}
	most := 0
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		most = max(most, serverConns())
	}
	wg.Wait()
	release()
	if most != 2 {
		t.Errorf("the server held up to %d connections with six requests waiting; DB_MAX_CONNS is 2", most)
	}
	if len(statuses) != 6 {
		t.Errorf("%d of 6 requests answered", len(statuses))
	}
}
