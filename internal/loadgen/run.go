package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/scimgroupmember"
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz/authzbench"
)

// The operations of the mix.
const (
	OpList      = "list"       // GraphQL clients(first: 50) with names, first or next page
	OpListIDs   = "list_ids"   // the same page without audited fields (ids and status)
	OpRecord    = "record"     // GraphQL node(id) of a client
	OpGrant     = "grant"      // grantClientAccess
	OpRevoke    = "revoke"     // revokeClientAccess of a link this run granted
	OpContact   = "contact"    // addClientContact
	OpSCIMUser  = "scim_user"  // SCIM POST /Users
	OpSCIMGroup = "scim_group" // SCIM PATCH /Groups/{id}, a member in or out
	OpSignIn    = "signin"     // POST /auth/login with a password
	OpSignInMFA = "signin_mfa" // password, then verifyMfa with a TOTP code
)

// Ops lists every operation, in report order.
var Ops = []string{OpList, OpListIDs, OpRecord, OpGrant, OpRevoke, OpContact, OpSCIMUser, OpSCIMGroup, OpSignIn, OpSignInMFA}

// DefaultMix weighs the operations like a working day: mostly reads, a few
// writes, and sign-ins rare because each costs a full argon2id verification
// (about 180 ms of one core), which at a weight of 1 in 100 would take the
// whole machine at these rates.
const DefaultMix = "list=60,record=25,grant=3,revoke=2,contact=2,scim_user=2,scim_group=3,signin=0.05,signin_mfa=0.05"

// ParseMix reads weights as "op=weight,op=weight"; missing operations
// weigh nothing.
func ParseMix(s string) (map[string]float64, error) {
	mix := map[string]float64{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("loadgen: mix entry %q: want op=weight", part)
		}
		name = strings.TrimSpace(name)
		if !slices.Contains(Ops, name) {
			return nil, fmt.Errorf("loadgen: mix entry %q: unknown operation (known: %s)", part, strings.Join(Ops, ", "))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("loadgen: mix entry %q: the weight must be a number ≥ 0", part)
		}
		mix[name] = f
	}
	total := 0.0
	for _, f := range mix {
		total += f
	}
	if total == 0 {
		return nil, errors.New("loadgen: the mix weighs nothing")
	}
	return mix, nil
}

// The issue's target for authorized client-list reads on the 2-core
// machine; the report says whether a run met it (it does not change the
// exit status, which is about correctness).
const (
	TargetListsPerSecond = 2000
	TargetListP99        = 50 * time.Millisecond
)

// Config is one run.
type Config struct {
	Server      string // base URL of the running server
	Database    string // its PostgreSQL database, to pick users and verify
	Duration    time.Duration
	Concurrency int
	Mix         map[string]float64
	// SessionsPerRole is how many users of each built-in role sign in
	// before the run to read and (administrators) write.
	SessionsPerRole int
	// MFAUsers is how many users of the MFA pool enrol an authenticator
	// app for the run (at most 8).
	MFAUsers int
	Password string
	Progress io.Writer // a line each second; nil for none
	Log      *slog.Logger
	// HTTPClient, when set, sends the requests (its timeout bounds each).
	HTTPClient *http.Client
}

// Report is the outcome of a run.
type Report struct {
	Elapsed      time.Duration
	Concurrency  int
	Ops          []OpReport
	ListsByRole  map[string]int
	ServerErrors int64
	Failed       int64
	Verification Verification
}

// OK reports whether the run met the invariants: no server error and no
// acknowledged write missing.
func (r *Report) OK() bool { return r.ServerErrors == 0 && len(r.Verification.Lost) == 0 }

// Op returns the report of one operation.
func (r *Report) Op(name string) OpReport {
	for _, o := range r.Ops {
		if o.Name == name {
			return o
		}
	}
	return OpReport{Name: name}
}

// Write prints the report.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "\n%s at concurrency %d: %d operations, %.0f/s, %d failed, %d server errors\n\n",
		r.Elapsed.Round(time.Millisecond), r.Concurrency, r.total(), float64(r.total())/r.Elapsed.Seconds(), r.Failed, r.ServerErrors)
	writeTable(w, r.Ops)
	var roles []string
	for k, v := range r.ListsByRole {
		roles = append(roles, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(roles)
	fmt.Fprintf(w, "\nclient lists by role: %s\n", strings.Join(roles, ", "))
	if l := r.Op(OpList); l.Count > 0 {
		met := "met"
		if l.PerSecond < TargetListsPerSecond || l.P99 > TargetListP99 {
			met = "NOT met"
		}
		fmt.Fprintf(w, "target (≥ %d lists/s at p99 ≤ %v): %.0f/s at p99 %s ms, %s\n",
			TargetListsPerSecond, TargetListP99, l.PerSecond, ms(l.P99), met)
	}
	r.Verification.write(w)
}

func (r *Report) total() int {
	n := 0
	for _, o := range r.Ops {
		n += o.Count
	}
	return n
}

// fixture is what the run works on, read from the database.
type fixture struct {
	orgID, orgSlug string
	users          []fixtureUser // seeded staff, in email order
	clients        []string      // every client
	open           []string      // clients that are not restricted
}

type fixtureUser struct {
	id, email, role string
	mfa             bool
	addr            string
}

func loadFixture(ctx context.Context, db *sql.DB) (*fixture, error) {
	f := &fixture{orgSlug: authzbench.OrgSlug()}
	if err := db.QueryRowContext(ctx, `SELECT id FROM organizations WHERE slug = $1`, f.orgSlug).Scan(&f.orgID); err != nil {
		return nil, fmt.Errorf("loadgen: no load organization %q (seed first): %w", f.orgSlug, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT u.id, u.email, MIN(r.builtin), u.require_mfa FROM users u
		JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
		WHERE u.organization_id = $1 AND u.kind = 'STAFF' AND u.status = 'ACTIVE' AND u.email LIKE '%@bench.test'
		GROUP BY u.id, u.email, u.require_mfa ORDER BY u.email`, f.orgID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u fixtureUser
		var role sql.NullString
		if err := rows.Scan(&u.id, &u.email, &role, &u.mfa); err != nil {
			rows.Close()
			return nil, err
		}
		u.role = role.String
		// One address per user, so that the per-address sign-in
		// throttle sees many clients, as behind a real proxy.
		n := len(f.users) + 1
		u.addr = fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
		f.users = append(f.users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT id, restricted FROM patients WHERE organization_id = $1 ORDER BY id`, f.orgID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var restricted bool
		if err := rows.Scan(&id, &restricted); err != nil {
			rows.Close()
			return nil, err
		}
		f.clients = append(f.clients, id)
		if !restricted {
			f.open = append(f.open, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(f.users) < 10 || len(f.open) < 100 {
		return nil, fmt.Errorf("loadgen: the load organization is too small (%d users, %d clients)", len(f.users), len(f.open))
	}
	return f, nil
}

// Run drives cfg.Server for cfg.Duration and verifies the database after.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Concurrency < 1 {
		return nil, errors.New("loadgen: concurrency must be at least 1")
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("loadgen: duration must be positive")
	}
	weighed := false
	for _, op := range Ops {
		weighed = weighed || cfg.Mix[op] > 0
	}
	if !weighed {
		return nil, errors.New("loadgen: the mix weighs no operation")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.SessionsPerRole < 1 {
		cfg.SessionsPerRole = 5
	}
	cfg.MFAUsers = max(1, min(cfg.MFAUsers, mfaPoolSize))
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns: cfg.Concurrency * 2, MaxIdleConnsPerHost: cfg.Concurrency * 2,
				IdleConnTimeout: time.Minute,
			},
		}
	}
	db, err := sql.Open("pgx", cfg.Database)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	fx, err := loadFixture(ctx, db)
	if err != nil {
		return nil, err
	}
	l := &load{cfg: cfg, fx: fx, api: &api{base: strings.TrimSuffix(cfg.Server, "/"), http: hc}, db: db,
		runID: strconv.FormatInt(time.Now().UnixMilli(), 36)}
	if err := l.setup(ctx); err != nil {
		return nil, err
	}
	return l.run(ctx)
}

// load is one run in progress.
type load struct {
	cfg   Config
	fx    *fixture
	api   *api
	db    *sql.DB
	runID string

	scimToken string
	readers   []*session // every role
	admins    []*session // account owner and administrators
	grantees  []fixtureUser
	signers   []fixtureUser // users the sign-in operation signs in
	members   []fixtureUser // candidates for group membership
	mfa       *mfaPool
	groups    []string // one SCIM group per worker
	// setupSessions are the sign-ins of the setup, verified with the
	// others.
	setupSessions []ackSession
}

func (l *load) setup(ctx context.Context) error {
	start := time.Now()
	tok, err := issueSCIMToken(ctx, l.cfg.Database, l.fx.orgID, "load "+l.runID)
	if err != nil {
		return err
	}
	l.scimToken = tok
	byRole := map[string][]fixtureUser{}
	var pool []fixtureUser
	for _, u := range l.fx.users {
		if u.mfa {
			pool = append(pool, u)
			continue
		}
		byRole[u.role] = append(byRole[u.role], u)
		l.signers = append(l.signers, u)
		l.members = append(l.members, u)
		if u.role == "CLINICIAN" || u.role == "TEACHER" {
			l.grantees = append(l.grantees, u)
		}
	}
	if len(l.grantees) == 0 {
		l.grantees = l.members
	}
	// Sign in SessionsPerRole users of every role, two at a time (each
	// sign-in is an argon2id verification; the server runs at most
	// GOMAXPROCS at once).
	var picks []fixtureUser
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	roles := make([]string, 0, len(byRole))
	for r := range byRole {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		us := slices.Clone(byRole[r])
		rng.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
		picks = append(picks, us[:min(len(us), l.cfg.SessionsPerRole)]...)
	}
	sessions := make([]*session, len(picks))
	errs := make([]error, len(picks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, u := range picks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ans, o := l.api.login(ctx, l.fx.orgSlug, u.email, l.cfg.Password, u.addr)
			if !o.ok() || ans.State != "active" {
				errs[i] = fmt.Errorf("sign in %s: %s (state %q)", u.email, o.class, ans.State)
				return
			}
			sessions[i] = &session{userID: u.id, email: u.email, role: u.role, token: ans.Token, addr: u.addr}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", errSetup, err)
	}
	for _, s := range sessions {
		l.readers = append(l.readers, s)
		l.setupSessions = append(l.setupSessions, ackSession{token: s.token, user: s.email})
		if s.role == "ACCOUNT_OWNER" || s.role == "ADMINISTRATOR" {
			l.admins = append(l.admins, s)
		}
	}
	if len(l.admins) == 0 {
		return fmt.Errorf("%w: no administrator signed in", errSetup)
	}
	if len(pool) < l.cfg.MFAUsers {
		return fmt.Errorf("%w: the MFA pool has %d users, want %d (seed again)", errSetup, len(pool), l.cfg.MFAUsers)
	}
	mp, enrolled, err := enrolMFA(ctx, l, pool[:l.cfg.MFAUsers])
	if err != nil {
		return err
	}
	l.mfa = mp
	l.setupSessions = append(l.setupSessions, enrolled...)
	// One SCIM group per worker, so that a worker's view of its group's
	// members is the truth to verify.
	for w := range l.cfg.Concurrency {
		var g struct {
			ID string `json:"id"`
		}
		o := l.api.scim(ctx, l.scimToken, http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": fmt.Sprintf("load %s worker %d", l.runID, w),
		}, &g, http.StatusCreated)
		if !o.ok() || g.ID == "" {
			return fmt.Errorf("%w: SCIM group: %s", errSetup, o.class)
		}
		l.groups = append(l.groups, g.ID)
	}
	if err := l.settle(ctx); err != nil {
		return err
	}
	l.cfg.Log.Info("setup done", slog.Int("sessions", len(l.readers)), slog.Int("admins", len(l.admins)),
		slog.Int("mfa_users", len(l.mfa.users)), slog.Int("groups", len(l.groups)), slog.Duration("took", time.Since(start)))
	return nil
}

func (l *load) run(ctx context.Context) (*Report, error) {
	stats := newStats(Ops)
	var names []string
	var cum []float64
	total := 0.0
	for _, op := range Ops {
		if w := l.cfg.Mix[op]; w > 0 {
			total += w
			names = append(names, op)
			cum = append(cum, total)
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, l.cfg.Duration)
	defer cancel()
	workers := make([]*worker, l.cfg.Concurrency)
	for i := range workers {
		workers[i] = newWorker(l, i, stats)
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	start := time.Now()
	stats.started = start
	go func() {
		defer close(progressDone)
		l.progress(stats, stopProgress)
	}()
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			// Every operation of the mix runs at least once, however
			// short the run: the workers share them out first.
			for j := i; j < len(names) && runCtx.Err() == nil; j += len(workers) {
				w.do(runCtx, names[j])
			}
			for runCtx.Err() == nil {
				x := w.rng.Float64() * total
				op := names[sort.SearchFloat64s(cum, x)]
				w.do(runCtx, op)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopProgress)
	<-progressDone

	rep := &Report{Elapsed: elapsed, Concurrency: l.cfg.Concurrency, Ops: stats.reports(elapsed),
		ServerErrors: stats.server.Load(), Failed: stats.failed.Load(), ListsByRole: map[string]int{}}
	for _, w := range workers {
		for r, n := range w.listsByRole {
			rep.ListsByRole[r] += n
		}
	}
	// Verify with a context of its own: the run's has ended.
	v, err := l.verify(context.WithoutCancel(ctx), workers)
	if err != nil {
		return rep, err
	}
	rep.Verification = v
	return rep, nil
}

// progress prints a line a second until stop is closed.
func (l *load) progress(s *Stats, stop <-chan struct{}) {
	if l.cfg.Progress == nil {
		<-stop
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			n := s.total.Load()
			fmt.Fprintf(l.cfg.Progress, "%5.0fs %7d ops/s  total %d  failed %d  server errors %d\n",
				time.Since(s.started).Seconds(), n-last, n, s.failed.Load(), s.server.Load())
			last = n
		}
	}
}

// pick returns a random element.
func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// settleTables are the tables a run writes to (and the setup's sign-ins
// and enrolments), vacuumed before the mix.
var settleTables = []string{
	auditevent.Table, entsession.Table, clientaccess.Table, clientcontact.Table, user.Table,
	user.RolesTable, user.BusinessUnitsTable, scimgroupmember.Table, outboxmessage.Table, totpfactor.Table,
}

// settle brings the database to the same state before every run: the
// audit events earlier runs left unsealed are sealed now rather than by the
// server during the mix (a backlog of hundreds of thousands took a third
// of the machine from the reads being measured), and the tables runs write
// to are vacuumed and analyzed — these machines run PostgreSQL with
// autovacuum off, and dead rows left by the sealer and by revoked links
// otherwise slow every run a little more than the one before.
func (l *load) settle(ctx context.Context) error {
	start := time.Now()
	chain, err := audit.NewChain(l.db, dialect.Postgres)
	if err != nil {
		return err
	}
	sealed, err := chain.SealOrg(ctx, l.fx.orgID)
	if err != nil {
		return fmt.Errorf("%w: seal the audit backlog: %w", errSetup, err)
	}
	for _, t := range settleTables {
		if _, err := l.db.ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("%w: vacuum %s: %w", errSetup, t, err)
		}
	}
	l.cfg.Log.Info("database settled", slog.Int("audit_events_sealed", sealed), slog.Duration("took", time.Since(start)))
	return nil
}
