package authzbench_test

// Benchmarks of the client access rules on PostgreSQL, at 1,000 and
// 100,000 clients (BENCH_SCALES=1k,10k,100k to choose), for two users: "bu"
// (business-unit privilege, thousands of visible clients at 100k) and
// "link" (explicit links only, tens of clients).
//
//	go test -run '^$' -bench . -count 6 ./internal/authz/authzbench/ | tee bench.txt
//
// Every figure reports ns/op (mean), p50-ns (median of the per-operation
// latencies of the run) and x-floor (p50 over the p50 of the plain pgx page
// with no authorization at the same scale). At the end of the run a table
// of medians against the targets is printed. The data live in one
// database per scale (clinicgate_bench_<clients>) on BENCH_DATABASE_URL,
// TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres,
// generated on first use and reused afterwards. Without a reachable server
// the benchmarks skip.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/authz/authzbench"
	"github.com/clinicgate/clinicgate/internal/testdb"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const pageSize = 50

// The GraphQL operations measured: the page alone, and the page with
// pageInfo and totalCount (entgql counts whenever either is selected).
const (
	pageQuery      = authzbench.PageQuery
	pageCountQuery = `query PageCount($first: Int) { clients(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id givenName familyName status } } } }`
)

// Targets of the issue, by benchmark.
var targets = map[string]time.Duration{
	"ClientPage":           time.Millisecond,
	"ClientPageTotalCount": 3 * time.Millisecond,
	"GraphQLClientPage":    3 * time.Millisecond,
	"DecisionCold":         250 * time.Microsecond,
	"DecisionCached":       20 * time.Microsecond,
}

func scales(tb testing.TB) []authzbench.Scale {
	names := "1k,100k"
	if v := os.Getenv("BENCH_SCALES"); v != "" {
		names = v
	} else if testing.Short() {
		names = "1k"
	}
	out, err := authzbench.ParseScales(names)
	if err != nil {
		tb.Fatalf("BENCH_SCALES: %v", err)
	}
	return out
}

var userKinds = []string{"bu", "link"}

// env is one scale's database, shared by all benchmarks of the process.
type env struct {
	opened  *authzbench.Opened
	client  *ent.Client // the store's client
	capture *ent.Client // the same database through a CaptureDriver
	viewers map[string]*viewer.Viewer
	schema  *ast.Schema
	pgx     *pgx.Conn
	floor   time.Duration // p50 of the plain pgx page
	logged  sync.Map      // benchmark names whose plans were logged
}

var (
	envMu sync.Mutex
	envs  = map[string]*env{}
)

// setup opens (generating on first use) the database of scale s, or skips
// without a reachable PostgreSQL server.
func setup(tb testing.TB, s authzbench.Scale) *env {
	tb.Helper()
	envMu.Lock()
	defer envMu.Unlock()
	if e := envs[s.Name()]; e != nil {
		return e
	}
	ctx := context.Background()
	admin := authzbench.AdminURL()
	if err := authzbench.Reachable(ctx, admin); err != nil {
		tb.Skipf("authzbench: no PostgreSQL server (%v); set BENCH_DATABASE_URL or TEST_DATABASE_URL to run the benchmarks", err)
	}
	o, err := authzbench.OpenScale(ctx, admin, s)
	if err != nil {
		tb.Fatal(err)
	}
	if o.Generated > 0 {
		fmt.Fprintf(os.Stderr, "authzbench: generated %s (%d clients, %d users, %d units, %d links) in %v\n",
			authzbench.DatabaseName(s), s.Clients, s.Users, s.BusinessUnits, s.Links, o.Generated.Round(time.Millisecond))
	}
	e := &env{opened: o, client: o.DB.Client, viewers: map[string]*viewer.Viewer{}}
	e.capture = ent.NewClient(ent.Driver(authzbench.CaptureDriver{Driver: entsql.OpenDB(dialect.Postgres, o.DB.SQL)}))
	d := o.Dataset
	for kind, id := range map[string]pulid.ID{"bu": d.BUUser, "link": d.LinkUser} {
		v, err := authzbench.Viewer(ctx, e.client, d.OrgID, id)
		if err != nil {
			tb.Fatal(err)
		}
		e.viewers[kind] = v
	}
	// The access rules must agree with the reference: the count, and the
	// first page.
	for kind, want := range map[string]int{"bu": d.BUUserVisible, "link": d.LinkUserVisible} {
		vctx := viewer.NewContext(ctx, e.viewers[kind])
		n, err := e.client.Patient.Query().Count(vctx)
		if err != nil {
			tb.Fatal(err)
		}
		if n != want {
			tb.Fatalf("%s user at %s: authz shows %d clients, the reference %d", kind, s.Name(), n, want)
		}
		ref, err := authzbench.ReferenceVisible(ctx, o.DB, d.OrgID, e.viewers[kind].UserID, kind == "bu", time.Now())
		if err != nil {
			tb.Fatal(err)
		}
		page, err := paginate(vctx, e.client)
		if err != nil {
			tb.Fatal(err)
		}
		var got []pulid.ID
		for _, edge := range page.Edges {
			got = append(got, edge.Node.ID)
		}
		if want := ref[:min(pageSize, len(ref))]; !slices.Equal(got, want) {
			tb.Fatalf("%s user at %s: first page %v, the reference %v", kind, s.Name(), got, want)
		}
	}
	var idx bool
	if err := o.DB.SQL.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'patients'
		AND indexdef LIKE '%(organization_id, business_unit_id, restricted, id)%')`).Scan(&idx); err != nil {
		tb.Fatal(err)
	}
	if !idx {
		fmt.Fprintf(os.Stderr, "authzbench: WARNING: %s has no index on patients (organization_id, business_unit_id, restricted, id); "+
			"the business-unit user's queries will not be flat\n", authzbench.DatabaseName(s))
	}
	e.schema = graph.NewSchema(e.client).Schema()
	if e.pgx, err = pgx.Connect(ctx, o.DSN); err != nil {
		tb.Fatal(err)
	}
	e.floor = e.measureFloor(tb)
	envs[s.Name()] = e
	return e
}

// floorQuery is the page with no authorization at all: the tenant's first
// clients in id order, the columns ent selects for the GraphQL page.
const floorQuery = `SELECT id, given_name, family_name, status FROM patients WHERE organization_id = $1 ORDER BY id LIMIT 51`

type row struct{ id, given, family, status string }

func (e *env) floorPage(ctx context.Context) ([]row, error) {
	rows, err := e.pgx.Query(ctx, floorQuery, string(e.opened.Dataset.OrgID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]row, 0, pageSize+1)
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.given, &r.family, &r.status); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// measureFloor times the plain pgx page, for the ratios of every figure.
func (e *env) measureFloor(tb testing.TB) time.Duration {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 2000)
	for i := range cap(lat) + 50 {
		t := time.Now()
		if _, err := e.floorPage(ctx); err != nil {
			tb.Fatal(err)
		}
		if i >= 50 {
			lat = append(lat, time.Since(t))
		}
	}
	return median(lat)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// result collects the measurements of one benchmark over -count runs, for
// the summary.
type result struct {
	name   string
	p50s   []time.Duration
	floor  time.Duration // the floor the ratios were taken against
	target time.Duration
}

var (
	resultsMu sync.Mutex
	results   []*result
)

// record notes the p50 of one call of a benchmark function. The testing
// package calls it with b.N = 1 first, then with growing b.N: the last call
// of each such sequence (one per -count) is the measurement.
func record(name string, n int, p50, floor, target time.Duration) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	var r *result
	for _, old := range results {
		if old.name == name {
			r = old
		}
	}
	if r == nil {
		r = &result{name: name, floor: floor, target: target}
		results = append(results, r)
	}
	switch {
	case n == 1:
		r.p50s = append(r.p50s, 0) // a new sequence; not a measurement yet
	case len(r.p50s) == 0:
		r.p50s = append(r.p50s, p50)
	default:
		r.p50s[len(r.p50s)-1] = p50
	}
}

// measure times op (authzbench.Median) and reports the median and its
// ratio to the floor.
func measure(b *testing.B, e *env, figure string, op func() error) {
	b.Helper()
	p50 := authzbench.Median(b, op)
	ratio := float64(p50) / float64(e.floor)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(ratio, "x-floor")
	record(b.Name(), b.N, p50, e.floor, targets[figure])
}

// gqlContext returns ctx as the clients resolver sees it for query: the
// operation and the field context gqlgen installs, so that Paginate
// collects fields and decides on counting exactly as over HTTP.
func (e *env) gqlContext(tb testing.TB, ctx context.Context, query string) context.Context {
	doc, errs := gqlparser.LoadQuery(e.schema, query)
	if errs != nil {
		tb.Fatal(errs)
	}
	op := doc.Operations[0]
	f := op.SelectionSet[0].(*ast.Field)
	ctx = graphql.WithOperationContext(ctx, &graphql.OperationContext{
		RawQuery: query, Doc: doc, Operation: op, OperationName: op.Name,
		Variables: map[string]any{"first": pageSize},
	})
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{
		Object: "Query", IsResolver: true,
		Field: graphql.CollectedField{Field: f, Selections: f.SelectionSet},
		Args:  map[string]any{"first": pageSize},
	})
}

// paginate is what the clients resolver does for clients(first: 50).
func paginate(ctx context.Context, c *ent.Client) (*ent.PatientConnection, error) {
	first := pageSize
	return c.Patient.Query().Paginate(ctx, nil, &first, nil, nil)
}

// logPlans records, once per benchmark, the statements ent sends for op
// and the plans PostgreSQL runs them with; TestMain prints them after the
// results (printing them among the results would break benchstat's lines).
// BENCH_EXPLAIN=0 turns this off.
func (e *env) logPlans(b *testing.B, ctx context.Context, op func(ctx context.Context, c *ent.Client) error) {
	if os.Getenv("BENCH_EXPLAIN") == "0" {
		return
	}
	if _, done := e.logged.LoadOrStore(b.Name(), true); done {
		return
	}
	p := e.plans(b, ctx, op)
	plansMu.Lock()
	plans = append(plans, fmt.Sprintf("=== %s%s", b.Name(), p))
	plansMu.Unlock()
}

var (
	plansMu sync.Mutex
	plans   []string
)

func (e *env) plans(tb testing.TB, ctx context.Context, op func(ctx context.Context, c *ent.Client) error) string {
	var rec authzbench.Recorder
	if err := op(authzbench.Record(ctx, &rec), e.capture); err != nil {
		tb.Fatal(err)
	}
	var out strings.Builder
	for _, st := range rec.Stmts {
		plan, err := authzbench.Explain(context.Background(), e.opened.DB.SQL, st)
		if err != nil {
			tb.Fatalf("explain %s: %v", st.Query, err)
		}
		fmt.Fprintf(&out, "\nSQL: %s\n%s", authzbench.Inline(st), plan)
	}
	return out.String()
}

func (e *env) viewerCtx(kind string) context.Context {
	return viewer.NewContext(context.Background(), e.viewers[kind])
}

// BenchmarkClientPage: the first page of 50 visible clients in id order
// through the privacy rules, ent and entgql's Paginate, as the clients
// resolver runs it for clients(first: 50) { edges { ... } }.
func BenchmarkClientPage(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			for _, kind := range userKinds {
				b.Run(kind, func(b *testing.B) {
					e := setup(b, s)
					ctx := e.gqlContext(b, e.viewerCtx(kind), pageQuery)
					op := func(ctx context.Context, c *ent.Client) error {
						conn, err := paginate(ctx, c)
						if err == nil && len(conn.Edges) != min(pageSize, e.visible(kind)) {
							err = fmt.Errorf("page has %d clients", len(conn.Edges))
						}
						return err
					}
					e.logPlans(b, ctx, op)
					measure(b, e, "ClientPage", func() error { return op(ctx, e.client) })
				})
			}
		})
	}
}

func (e *env) visible(kind string) int {
	if kind == "bu" {
		return e.opened.Dataset.BUUserVisible
	}
	return e.opened.Dataset.LinkUserVisible
}

// BenchmarkClientPageTotalCount: the same page with totalCount (and
// pageInfo) selected: entgql runs a COUNT over every visible client first.
func BenchmarkClientPageTotalCount(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			for _, kind := range userKinds {
				b.Run(kind, func(b *testing.B) {
					e := setup(b, s)
					ctx := e.gqlContext(b, e.viewerCtx(kind), pageCountQuery)
					op := func(ctx context.Context, c *ent.Client) error {
						conn, err := paginate(ctx, c)
						if err == nil && conn.TotalCount != e.visible(kind) {
							err = fmt.Errorf("totalCount = %d, want %d", conn.TotalCount, e.visible(kind))
						}
						return err
					}
					e.logPlans(b, ctx, op)
					measure(b, e, "ClientPageTotalCount", func() error { return op(ctx, e.client) })
				})
			}
		})
	}
}

// BenchmarkGraphQLClientPage: the whole GraphQL request over HTTP (loopback,
// keep-alive) through graph.NewHandler (which installs the request's
// decision cache), the viewer put in the context by a middleware as the
// server's session middleware would.
// "page" selects the edges only; "count" adds pageInfo and totalCount.
func BenchmarkGraphQLClientPage(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			for _, kind := range userKinds {
				for _, q := range []struct{ name, query string }{{"page", pageQuery}, {"count", pageCountQuery}} {
					b.Run(kind+"/"+q.name, func(b *testing.B) {
						e := setup(b, s)
						h := graph.NewHandler(e.client, graph.HandlerConfig{})
						v := e.viewers[kind]
						srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
							h.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
						}))
						defer srv.Close()
						client := srv.Client()
						body, _ := json.Marshal(map[string]any{"query": q.query, "variables": map[string]any{"first": pageSize}})
						var buf bytes.Buffer
						post := func() error {
							res, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
							if err != nil {
								return err
							}
							defer res.Body.Close()
							buf.Reset()
							if _, err := io.Copy(&buf, res.Body); err != nil {
								return err
							}
							if res.StatusCode != http.StatusOK {
								return fmt.Errorf("status %d: %s", res.StatusCode, buf.Bytes())
							}
							return nil
						}
						if err := post(); err != nil {
							b.Fatal(err)
						}
						var out struct {
							Data struct {
								Clients struct {
									TotalCount int
									Edges      []json.RawMessage
								}
							}
							Errors []json.RawMessage
						}
						if err := json.Unmarshal(buf.Bytes(), &out); err != nil || len(out.Errors) > 0 ||
							len(out.Data.Clients.Edges) != min(pageSize, e.visible(kind)) {
							b.Fatalf("unexpected response (%v): %.500s", err, buf.Bytes())
						}
						measure(b, e, "GraphQLClientPage", post)
					})
				}
			}
		})
	}
}

// decisionCases are the single decisions measured: a client each user
// reaches and one they do not.
func (e *env) decisionCases() []struct {
	name, kind string
	id         pulid.ID
	want       bool
} {
	d := e.opened.Dataset
	return []struct {
		name, kind string
		id         pulid.ID
		want       bool
	}{
		{"bu/reached", "bu", d.BUUserReached, true},
		{"bu/hidden", "bu", d.BUUserHidden, false},
		{"link/reached", "link", d.LinkUserReached, true},
		{"link/hidden", "link", d.LinkUserHidden, false},
	}
}

// BenchmarkDecisionCold: one CanReadClient decision with no cache: one
// query.
func BenchmarkDecisionCold(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setup(b, s)
			for _, c := range e.decisionCases() {
				b.Run(c.name, func(b *testing.B) {
					ctx := e.viewerCtx(c.kind)
					op := func(ctx context.Context, cl *ent.Client) error {
						ok, err := authz.CanReadClient(ctx, cl, c.id)
						if err == nil && ok != c.want {
							err = fmt.Errorf("CanReadClient(%s) = %v, want %v", c.id, ok, c.want)
						}
						return err
					}
					e.logPlans(b, ctx, op)
					measure(b, e, "DecisionCold", func() error { return op(ctx, e.client) })
				})
			}
		})
	}
}

// BenchmarkDecisionCached: the same decision repeated within one request
// (authz.WithCache): answered from the request's cache.
func BenchmarkDecisionCached(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setup(b, s)
			for _, c := range e.decisionCases() {
				b.Run(c.name, func(b *testing.B) {
					ctx := authz.WithCache(e.viewerCtx(c.kind))
					measure(b, e, "DecisionCached", func() error {
						ok, err := authz.CanReadClient(ctx, e.client, c.id)
						if err == nil && ok != c.want {
							err = fmt.Errorf("CanReadClient(%s) = %v, want %v", c.id, ok, c.want)
						}
						return err
					})
				})
			}
		})
	}
}

// BenchmarkFloorPlainPGX: the page with no authorization at all, a plain
// pgx query (the floor every ratio is taken against).
func BenchmarkFloorPlainPGX(b *testing.B) {
	for _, s := range scales(b) {
		b.Run(s.Name(), func(b *testing.B) {
			e := setup(b, s)
			ctx := context.Background()
			measure(b, e, "", func() error {
				rows, err := e.floorPage(ctx)
				if err == nil && len(rows) != pageSize+1 {
					err = fmt.Errorf("floor page has %d rows", len(rows))
				}
				return err
			})
		})
	}
}

func TestMain(m *testing.M) {
	code := testdb.Run(m)
	plansMu.Lock()
	if len(plans) > 0 {
		fmt.Printf("\nauthzbench: the SQL ent sent and its plan at the 7th execution of the prepared statement (as in the benchmarks' steady state)\n")
		for _, p := range plans {
			fmt.Println(p)
		}
	}
	plansMu.Unlock()
	printSummary(os.Stdout)
	envMu.Lock()
	for _, e := range envs {
		e.pgx.Close(context.Background())
		e.opened.DB.Close()
	}
	envMu.Unlock()
	os.Exit(code)
}

func printSummary(w io.Writer) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) == 0 {
		return
	}
	// Benchmark names are Benchmark<Figure>/<scale>[/<case>].
	type key struct{ figure, rest string }
	byScale := map[key]map[string]*result{}
	floors := map[string]time.Duration{} // by scale: the floor benchmark's median
	var keys []key
	var scaleNames []string
	for _, r := range results {
		parts := strings.SplitN(strings.TrimPrefix(r.name, "Benchmark"), "/", 3)
		if len(parts) < 2 {
			continue
		}
		figure, scale, rest := parts[0], parts[1], ""
		if len(parts) == 3 {
			rest = parts[2]
		}
		r.p50s = slices.DeleteFunc(r.p50s, func(d time.Duration) bool { return d == 0 })
		if len(r.p50s) == 0 {
			continue
		}
		if figure == "FloorPlainPGX" {
			floors[scale] = median(r.p50s)
		}
		k := key{figure, rest}
		if byScale[k] == nil {
			byScale[k] = map[string]*result{}
			keys = append(keys, k)
		}
		byScale[k][scale] = r
		if !slices.Contains(scaleNames, scale) {
			scaleNames = append(scaleNames, scale)
		}
	}
	sort.SliceStable(scaleNames, func(i, j int) bool { return scaleRank(scaleNames[i]) < scaleRank(scaleNames[j]) })
	fmt.Fprintf(w, "\nauthzbench: medians over runs of the per-operation p50; (x) = ratio to the plain pgx page (FloorPlainPGX) at the same scale\n")
	fmt.Fprintf(w, "%-22s %-14s", "figure", "case")
	for _, s := range scaleNames {
		fmt.Fprintf(w, " %18s", s)
	}
	fmt.Fprintf(w, " %9s %7s %s\n", "target", "growth", "")
	for _, k := range keys {
		fmt.Fprintf(w, "%-22s %-14s", k.figure, k.rest)
		ok := true
		var first, last time.Duration
		var target time.Duration
		for _, s := range scaleNames {
			r := byScale[k][s]
			if r == nil {
				fmt.Fprintf(w, " %18s", "-")
				continue
			}
			p50 := median(r.p50s)
			if first == 0 {
				first = p50
			}
			last = p50
			target = r.target
			if r.target > 0 && p50 > r.target {
				ok = false
			}
			floor := floors[s]
			if floor == 0 {
				floor = r.floor
			}
			x := float64(p50) / float64(floor)
			xs := fmt.Sprintf("%.1fx", x)
			if x < 0.1 {
				xs = fmt.Sprintf("%.4fx", x)
			}
			fmt.Fprintf(w, " %18s", fmt.Sprintf("%s (%s)", fmtDur(p50), xs))
		}
		growth, tgt, verdict := "-", "-", ""
		if len(scaleNames) > 1 && first > 0 {
			growth = fmt.Sprintf("%.2fx", float64(last)/float64(first))
		}
		if target > 0 {
			tgt, verdict = fmtDur(target), "ok"
			if !ok {
				verdict = "OVER TARGET"
			}
		}
		fmt.Fprintf(w, " %9s %7s %s\n", tgt, growth, verdict)
	}
}

func scaleRank(s string) int {
	n, mult := 0, 1
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1_000, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, strings.TrimSuffix(s, "M")
	}
	fmt.Sscan(s, &n)
	return n * mult
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	}
	return fmt.Sprintf("%dns", d.Nanoseconds())
}
