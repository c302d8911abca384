package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz/authzbench"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The served benchmarks measure what a frontend pays: a GraphQL request
// over loopback TCP through the whole handler chain of `server serve`
// (request id, access log, recovery, deadline, the session middleware
// resolving a real bearer token, the GraphQL extensions, read audit) on
// the authzbench organizations. Every answer is checked against the
// reference evaluator, and each figure is reported beside the plain-SQL
// floor measured in the same run (x-floor), since absolute times drift on
// a shared machine.

const servedPageSize = 50

const (
	servedPageQuery = authzbench.PageQuery
	servedNodeQuery = `query Node($id: ID!) { node(id: $id) { id ... on Client { givenName familyName status } } }`
	servedIDsQuery  = `query IDs($first: Int, $after: Cursor) { clients(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`
)

// served is one scale's database with a server in front of it and a
// session of each measured user.
type served struct {
	opened *authzbench.Opened
	base   string
	tokens map[string]string // by user kind: bu, link
	ref    map[string][]pulid.ID
	pgx    *pgx.Conn
	client *http.Client
}

var (
	servedMu   sync.Mutex
	servedEnvs = map[string]*served{}
)

func servedScales(tb testing.TB) []authzbench.Scale {
	names := "1k,100k"
	if v := os.Getenv("BENCH_SCALES"); v != "" {
		names = v
	}
	out, err := authzbench.ParseScales(names)
	if err != nil {
		tb.Fatalf("BENCH_SCALES: %v", err)
	}
	return out
}

// setupServed opens the benchmark database of s (generating it on first
// use), signs the two measured users in and starts a server on it. The
// server lives until the process ends: benchmarks of one scale share it.
func setupServed(tb testing.TB, s authzbench.Scale) *served {
	tb.Helper()
	servedMu.Lock()
	defer servedMu.Unlock()
	if e := servedEnvs[s.Name()]; e != nil {
		return e
	}
	ctx := context.Background()
	admin := authzbench.AdminURL()
	if err := authzbench.Reachable(ctx, admin); err != nil {
		tb.Skipf("no PostgreSQL server (%v); set BENCH_DATABASE_URL or TEST_DATABASE_URL", err)
	}
	o, err := authzbench.OpenScale(ctx, admin, s)
	if err != nil {
		tb.Fatal(err)
	}
	// The read events earlier runs left unsealed (the in-process
	// benchmarks run no sealer) are sealed now, not by the server's sealer
	// while it is being measured.
	chain, err := audit.NewChain(o.DB.SQL, o.DB.Dialect)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := chain.Seal(ctx); err != nil {
		tb.Fatal(err)
	}
	// autovacuum is off on these machines: without fresh statistics and
	// visibility maps, index-only scans read the heap.
	if _, err := o.DB.SQL.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	d := o.Dataset
	e := &served{opened: o, tokens: map[string]string{}, ref: map[string][]pulid.ID{}}
	mgr := session.New(o.DB.Client, session.Config{})
	for kind, id := range map[string]pulid.ID{"bu": d.BUUser, "link": d.LinkUser} {
		sys := viewer.ForSystem(ctx, d.OrgID)
		err := store.InTx(sys, o.DB.Client, func(tx *ent.Client) error {
			u, err := tx.User.Query().Where(user.ID(id)).WithOrganization().Only(sys)
			if err != nil {
				return err
			}
			tok, _, err := mgr.Create(sys, tx, u, session.MethodPassword, session.CreateOptions{MFASatisfied: true})
			e.tokens[kind] = tok
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		if e.ref[kind], err = authzbench.ReferenceVisible(ctx, o.DB, d.OrgID, id, kind == "bu", time.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	e.base = "http://" + ln.Addr().String()
	kv := map[string]string{
		"DATABASE_URL": o.DSN,
		"SECRET_KEY":   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"DATA_DIR":     tb.TempDir(),
		"LOG_LEVEL":    "error",
		"PUBLIC_URL":   e.base,
		// The 100k business-unit user's ids are read in pages of 1,000.
		"GRAPHQL_COMPLEXITY_LIMIT": "100000",
	}
	go func() {
		if err := serveWith(context.Background(), nil, io.Discard, io.Discard, env(kv), listeners{main: ln}); err != nil {
			fmt.Fprintln(os.Stderr, "served bench: serve:", err)
		}
	}()
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := e.client.Get(e.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if e.pgx, err = pgx.Connect(ctx, o.DSN); err != nil {
		tb.Fatal(err)
	}
	servedEnvs[s.Name()] = e
	return e
}

// post sends one GraphQL request as the user of kind and decodes data
// into out.
func (e *served) post(kind, query string, vars map[string]any, buf *bytes.Buffer, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens[kind])
	res, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	buf.Reset()
	if _, err := io.Copy(buf, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.300s", res.StatusCode, buf.Bytes())
	}
	var env struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
		return err
	}
	if len(env.Errors) > 0 {
		return fmt.Errorf("errors: %.300s", buf.Bytes())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Data, out)
}

// servedMeasure runs op b.N times after a warm-up and reports the median
// (p50-ns), its ratio to floor (x-floor) and allocations per operation of
// the benchmark process (client and server: they share it).
func servedMeasure(b *testing.B, floor time.Duration, op func() error) {
	b.Helper()
	p50 := authzbench.Median(b, op)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	if floor > 0 {
		b.ReportMetric(float64(p50)/float64(floor), "x-floor")
	}
}

// floor measures the median of a plain pgx query with no authorization.
func (e *served) floor(tb testing.TB, query string, args ...any) time.Duration {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 200)
	for i := range 220 {
		t := time.Now()
		rows, err := e.pgx.Query(ctx, query, args...)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		if i >= 20 {
			lat = append(lat, time.Since(t))
		}
	}
	slices.Sort(lat)
	return lat[len(lat)/2]
}

type servedPage struct {
	Clients struct {
		PageInfo struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct {
			Node struct{ ID pulid.ID }
		}
	}
}

// BenchmarkServedClientPage: the first page of 50 clients.
func BenchmarkServedClientPage(b *testing.B) {
	for _, s := range servedScales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setupServed(b, s)
			floor := e.floor(b, `SELECT id, given_name, family_name, status FROM patients WHERE organization_id = $1 ORDER BY id LIMIT 51`,
				string(e.opened.Dataset.OrgID))
			for _, kind := range []string{"bu", "link"} {
				b.Run(kind, func(b *testing.B) {
					var buf bytes.Buffer
					want := e.ref[kind][:min(servedPageSize, len(e.ref[kind]))]
					servedMeasure(b, floor, func() error {
						var p servedPage
						if err := e.post(kind, servedPageQuery, map[string]any{"first": servedPageSize}, &buf, &p); err != nil {
							return err
						}
						if len(p.Clients.Edges) != len(want) || p.Clients.Edges[0].Node.ID != want[0] {
							return fmt.Errorf("page differs from the reference: %.300s", buf.Bytes())
						}
						return nil
					})
				})
			}
		})
	}
}

// BenchmarkServedNodeDecision: node(id) of a client the user may see, and
// of one they may not (null).
func BenchmarkServedNodeDecision(b *testing.B) {
	for _, s := range servedScales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setupServed(b, s)
			d := e.opened.Dataset
			floor := e.floor(b, `SELECT id, given_name, family_name, status FROM patients WHERE id = $1`, string(d.BUUserReached))
			for _, c := range []struct {
				name, kind string
				id         pulid.ID
				want       bool
			}{
				{"bu/reached", "bu", d.BUUserReached, true},
				{"bu/hidden", "bu", d.BUUserHidden, false},
				{"link/reached", "link", d.LinkUserReached, true},
				{"link/hidden", "link", d.LinkUserHidden, false},
			} {
				b.Run(c.name, func(b *testing.B) {
					var buf bytes.Buffer
					servedMeasure(b, floor, func() error {
						var out struct{ Node *struct{ ID pulid.ID } }
						if err := e.post(c.kind, servedNodeQuery, map[string]any{"id": c.id}, &buf, &out); err != nil {
							return err
						}
						if (out.Node != nil) != c.want {
							return fmt.Errorf("node(%s) = %.200s, want visible=%v", c.id, buf.Bytes(), c.want)
						}
						return nil
					})
				})
			}
		})
	}
}

// BenchmarkServedAllVisibleIDs: every id the user may see, in pages of
// 1,000.
func BenchmarkServedAllVisibleIDs(b *testing.B) {
	for _, s := range servedScales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setupServed(b, s)
			for _, kind := range []string{"bu", "link"} {
				b.Run(kind, func(b *testing.B) {
					var buf bytes.Buffer
					want := e.ref[kind]
					// The floor reads as many ids, with no authorization.
					floor := e.floor(b, `SELECT id FROM patients WHERE organization_id = $1 ORDER BY id LIMIT $2`,
						string(e.opened.Dataset.OrgID), len(want))
					servedMeasure(b, floor, func() error {
						var got []pulid.ID
						vars := map[string]any{"first": 1000}
						for {
							var p servedPage
							if err := e.post(kind, servedIDsQuery, vars, &buf, &p); err != nil {
								return err
							}
							for _, edge := range p.Clients.Edges {
								got = append(got, edge.Node.ID)
							}
							if !p.Clients.PageInfo.HasNextPage {
								break
							}
							vars["after"] = p.Clients.PageInfo.EndCursor
						}
						if !slices.Equal(got, want) {
							return fmt.Errorf("%d ids, the reference %d", len(got), len(want))
						}
						return nil
					})
				})
			}
		})
	}
}
