package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// outcome is one request of the load and how it ended.
type outcome struct {
	write        bool
	start, end   time.Time
	ok           bool   // answered, and (a write) acknowledged with an id
	unavailable  bool   // refused as the database being unavailable
	id, name     string // of an acknowledged write
	status       int
	body, reason string
}

// faultLoad sends reads and writes to a server from several goroutines and
// keeps every outcome.
type faultLoad struct {
	base, token string
	client      *http.Client

	mu       sync.Mutex
	outcomes []outcome
	seq      atomic.Int64
}

const (
	qFaultRead  = `{ viewer { user { email } } businessUnits { totalCount } }`
	mFaultWrite = `mutation($n: String!) { createBusinessUnit(input: {name: $n}) { businessUnit { id name } } }`
)

func (l *faultLoad) run(ctx context.Context, worker int) {
	for i := 0; ctx.Err() == nil; i++ {
		write := i%2 == 1
		body := map[string]any{"query": qFaultRead}
		name := ""
		if write {
			name = fmt.Sprintf("unit %d-%d", worker, l.seq.Add(1))
			body = map[string]any{"query": mFaultWrite, "variables": map[string]any{"n": name}}
		}
		o := l.send(write, name, body)
		l.mu.Lock()
		l.outcomes = append(l.outcomes, o)
		l.mu.Unlock()
	}
}

// send posts one operation and classifies its answer.
func (l *faultLoad) send(write bool, name string, body any) outcome {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, l.base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	o := outcome{write: write, name: name, start: time.Now()}
	res, err := l.client.Do(req)
	if err != nil {
		o.end, o.reason = time.Now(), "transport: "+err.Error()
		return o
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	o.end, o.status, o.body = time.Now(), res.StatusCode, string(raw)
	var gql struct {
		Data struct {
			CreateBusinessUnit struct {
				BusinessUnit struct{ ID, Name string }
			}
		}
		Errors []struct {
			Extensions struct{ Code string }
		}
		Error struct{ Code string }
	}
	if err := json.Unmarshal(raw, &gql); err != nil {
		o.reason = "not JSON"
		return o
	}
	switch {
	case res.StatusCode == http.StatusServiceUnavailable:
		// Refused at the edge (the session lookup): the HTTP error body.
		o.unavailable = gql.Error.Code == "unavailable" && res.Header.Get("Retry-After") != ""
		o.reason = "503 " + gql.Error.Code
	case res.StatusCode == http.StatusOK && len(gql.Errors) > 0:
		// Refused inside GraphQL: every error UNAVAILABLE.
		o.unavailable = !slices.ContainsFunc(gql.Errors, func(e struct{ Extensions struct{ Code string } }) bool {
			return e.Extensions.Code != "UNAVAILABLE"
		})
		o.reason = "GraphQL errors"
	case res.StatusCode == http.StatusOK && !write:
		o.ok = true
	case res.StatusCode == http.StatusOK:
		u := gql.Data.CreateBusinessUnit.BusinessUnit
		o.ok, o.id = u.ID != "" && u.Name == name, u.ID
	default:
		o.reason = fmt.Sprintf("status %d", res.StatusCode)
	}
	return o
}

// since returns the outcomes of the requests started at or after t.
func (l *faultLoad) since(t time.Time) []outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []outcome
	for _, o := range l.outcomes {
		if !o.start.Before(t) {
			out = append(out, o)
		}
	}
	return out
}

func count(os []outcome, f func(outcome) bool) int {
	n := 0
	for _, o := range os {
		if f(o) {
			n++
		}
	}
	return n
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// adminDSN is dsn on the server's maintenance database: the connection
// that refuses and ends connections to the test database cannot be one of
// them.
func adminDSN(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	return u.String()
}

// While reads and writes run, the server's database stops accepting
// connections and every backend it had is terminated, as in a failover or
// a restart of PostgreSQL, then comes back. Meanwhile requests are refused
// fast (503 unavailable or GraphQL UNAVAILABLE, never later than the
// request timeout and a margin), /readyz says not ready; afterwards, with
// no restart, /readyz is ready and requests succeed; and in the database
// every acknowledged write is there, and no business unit is without the
// audit event written in its transaction.
func TestTheDatabaseGoesAwayAndComesBackUnderLoad(t *testing.T) {
	const requestTimeout = 3 * time.Second
	kv := postgresEnv(t)
	kv["REQUEST_TIMEOUT"] = requestTimeout.String()
	kv["DB_STATEMENT_TIMEOUT"] = "2s"
	kv["DB_LOCK_TIMEOUT"] = "1s"
	kv["DB_MAX_CONNS"] = "8"
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("owner chose this passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Faults", "--slug", "faults",
		"--owner-email", "ana@faults.example", "--owner-password-file", pw); code != 0 {
		t.Fatalf("bootstrap: exit %d: %s %s", code, out, errOut)
	}
	s := start(t, kv)
	status, login := postJSON(t, s.base+"/auth/login", "", map[string]string{
		"organization": "faults", "email": "ana@faults.example", "password": "owner chose this passphrase",
	})
	tok, _ := login["token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("login: %d %v", status, login)
	}

	ctx := context.Background()
	dsn := kv["DATABASE_URL"]
	dbName := func() string { u, _ := url.Parse(dsn); return u.Path[1:] }()
	admin, err := pgx.Connect(ctx, adminDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", pgx.Identifier{dbName}.Sanitize(), on)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{dbName}.Sanitize()+" ALLOW_CONNECTIONS true") })
	readyz := func() int {
		res, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.base + "/readyz")
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}

	load := &faultLoad{base: s.base, token: tok, client: &http.Client{Timeout: 20 * time.Second}}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for w := range 6 {
		workers.Go(func() { load.run(loadCtx, w) })
	}
	defer func() { stopLoad(); workers.Wait() }()

	t0 := time.Now()
	waitFor(t, 15*time.Second, "20 requests succeed before the outage", func() bool {
		return count(load.since(t0), func(o outcome) bool { return o.ok }) >= 20
	})

	// The outage: no new connection, and every existing one ended.
	allow(false)
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", dbName); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	waitFor(t, 10*time.Second, "/readyz turns 503 during the outage", func() bool { return readyz() == http.StatusServiceUnavailable })
	waitFor(t, 15*time.Second, "60 requests, 20 of them writes, are refused during the outage", func() bool {
		d := load.since(down)
		return count(d, func(o outcome) bool { return o.unavailable }) >= 60 &&
			count(d, func(o outcome) bool { return o.unavailable && o.write }) >= 20
	})
	during := load.since(down)
	allow(true)
	up := time.Now()

	var slowest time.Duration
	for _, o := range during {
		slowest = max(slowest, o.end.Sub(o.start))
		switch {
		case o.ok:
			t.Errorf("a request started during the outage succeeded: %s", o.body)
		case !o.unavailable:
			t.Errorf("a request during the outage was not refused as unavailable: %s: %.300s", o.reason, o.body)
		}
	}
	if margin := 1500 * time.Millisecond; slowest > requestTimeout+margin {
		t.Errorf("the slowest refusal took %s, more than REQUEST_TIMEOUT %s + %s", slowest, requestTimeout, margin)
	}

	// The server finds the database again by itself.
	waitFor(t, 15*time.Second, "/readyz turns 200 after the outage", func() bool { return readyz() == http.StatusOK })
	ready := time.Now()
	waitFor(t, 15*time.Second, "20 requests succeed after the outage", func() bool {
		return count(load.since(ready), func(o outcome) bool { return o.ok }) >= 20
	})
	stopLoad()
	workers.Wait()
	after := load.since(ready)
	for _, o := range after {
		if !o.ok {
			t.Errorf("a request after /readyz was ready failed: %s: %.300s", o.reason, o.body)
		}
	}

	// Nothing acknowledged is lost, nothing is half-applied.
	all := load.since(t0)
	acked := map[string]string{}
	for _, o := range all {
		// Those in flight when the backends were terminated included:
		// refused, never a 500.
		if !o.ok && !o.unavailable {
			t.Errorf("a request neither succeeded nor was refused as unavailable: %s: %.300s", o.reason, o.body)
		}
		if o.write && o.ok {
			acked[o.id] = o.name
		}
	}
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	rows, err := db.Query(ctx, `SELECT b.id, b.name, count(e.id) FROM business_units b
		LEFT JOIN audit_events e ON e.target_id = b.id AND e.action = 'business_unit.created'
		GROUP BY b.id, b.name`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var id, name string
		var events int
		if err := rows.Scan(&id, &name, &events); err != nil {
			t.Fatal(err)
		}
		stored[id] = name
		if events != 1 {
			t.Errorf("business unit %s (%s) has %d creation events, want 1", id, name, events)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, name := range acked {
		if stored[id] != name {
			t.Errorf("acknowledged business unit %s (%s) is not in the database", id, name)
		}
	}
	t.Logf("%d requests: %d acknowledged writes, %d units stored; outage of %s: %d refused (%d by a 503, %d inside GraphQL), slowest %s; ready again %s after; %d requests after, all ok",
		len(all), len(acked), len(stored), up.Sub(down).Round(time.Millisecond), len(during),
		count(during, func(o outcome) bool { return o.status == http.StatusServiceUnavailable }),
		count(during, func(o outcome) bool { return o.status == http.StatusOK }),
		slowest.Round(time.Millisecond), ready.Sub(up).Round(time.Millisecond), len(after))
}
