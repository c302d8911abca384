// Package authzbench generates large organizations for measuring the cost
// of the client access rules (internal/authz) on a real database, and holds
// the benchmarks that measure it (bench_test.go).
//
// Generate bulk-inserts one organization — business units, the built-in
// roles, users with their roles and units, clients and explicit links —
// straight into the tables of a migrated database (PostgreSQL COPY, or
// multi-row INSERTs on SQLite), bypassing ent's hooks for speed but with
// rows that are consistent with the ent schema. OpenScale keeps one
// generated database per scale on a PostgreSQL server
// (clinicgate_bench_<clients>) and reuses it while its row counts match, so
// repeated benchmark runs do not regenerate it.
//
// Two users of each organization are measured:
//
//   - the business-unit user: a Supervisor (clients.access.business_unit)
//     belonging to two business units, with a few explicit links besides —
//     thousands of visible clients at 100,000;
//   - the link user: a Clinician (no business-unit or organization-wide
//     privilege) who reaches clients only through ~30 explicit links (two of
//     them expired) and one open break-glass window — tens of clients.
package authzbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/oklog/ulid/v2"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Version names the shape of the generated data. Bump it whenever Generate
// changes what it inserts: stored datasets of another version are
// regenerated.
const Version = 1

// Scale is the size of a generated organization.
type Scale struct {
	Clients       int
	Users         int
	BusinessUnits int
	Links         int // explicit client links, over all users
}

// The scales of the issue: 100,000 clients with 5,000 users, 50 business
// units and 300,000 links, and the same organization shrunk a hundredfold
// in clients (users and links in proportion, 5 business units).
var (
	Scale1k   = Scale{Clients: 1_000, Users: 50, BusinessUnits: 5, Links: 3_000}
	Scale10k  = Scale{Clients: 10_000, Users: 500, BusinessUnits: 20, Links: 30_000}
	Scale100k = Scale{Clients: 100_000, Users: 5_000, BusinessUnits: 50, Links: 300_000}
)

// PageQuery is the GraphQL page the benchmarks measure: the first clients
// with the columns a client list shows.
const PageQuery = `query Page($first: Int) { clients(first: $first) { edges { cursor node { id givenName familyName status } } } }`

// ParseScales returns the scales a comma-separated list names ("1k",
// "10k", "100k"): the benchmarks' BENCH_SCALES.
func ParseScales(names string) ([]Scale, error) {
	all := map[string]Scale{"1k": Scale1k, "10k": Scale10k, "100k": Scale100k}
	var out []Scale
	for _, n := range strings.Split(names, ",") {
		s, ok := all[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("authzbench: unknown scale %q (want 1k, 10k, 100k)", n)
		}
		out = append(out, s)
	}
	return out, nil
}

// Name is a short name of the scale for benchmark names: "1k", "100k".
func (s Scale) Name() string {
	switch {
	case s.Clients >= 1_000_000 && s.Clients%1_000_000 == 0:
		return fmt.Sprintf("%dM", s.Clients/1_000_000)
	case s.Clients >= 1_000 && s.Clients%1_000 == 0:
		return fmt.Sprintf("%dk", s.Clients/1_000)
	}
	return fmt.Sprint(s.Clients)
}

func (s Scale) validate() error {
	switch {
	case s.BusinessUnits < 2:
		return errors.New("authzbench: need at least 2 business units")
	case s.Users < 10:
		return errors.New("authzbench: need at least 10 users")
	case s.Clients < 100:
		return errors.New("authzbench: need at least 100 clients")
	case s.Links < linkUserLinks+buUserLinks:
		return fmt.Errorf("authzbench: need at least %d links", linkUserLinks+buUserLinks)
	case s.Links > s.Users*s.Clients/2:
		return errors.New("authzbench: too many links for the users and clients")
	}
	return nil
}

// Fixed addresses of the generated organization.
const (
	buUserEmail   = "bu-user@bench.test"
	linkUserEmail = "link-user@bench.test"
	linkUserLinks = 32 // of which 2 expired
	buUserLinks   = 10
)

func orgSlug() string { return fmt.Sprintf("bench-v%d", Version) }

// Dataset describes a generated organization.
type Dataset struct {
	Scale    Scale
	OrgID    pulid.ID
	BUUser   pulid.ID // Supervisor in two business units
	LinkUser pulid.ID // Clinician reaching clients through links only

	// Visible is how many clients each user reaches, by a reference query
	// independent of internal/authz.
	BUUserVisible, LinkUserVisible int

	// Sample clients for single decisions: one each user reaches (through a
	// business unit, resp. a link) and one they do not, both from the
	// middle of the id order.
	BUUserReached, BUUserHidden     pulid.ID
	LinkUserReached, LinkUserHidden pulid.ID
}

// epoch is the creation time of the generated rows; far in the future and
// far in the past are "open" and "expired" at any time a benchmark runs.
var (
	epoch      = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture  = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	longBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// idGen makes deterministic prefixed ULIDs, increasing in creation order.
type idGen struct {
	rng *rand.Rand
	ms  uint64
}

func (g *idGen) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.rng.Uint32())
	}
	return len(p), nil
}

func (g *idGen) next(prefix string) pulid.ID {
	g.ms++
	return pulid.ID(prefix + "_" + ulid.MustNew(g.ms, io.Reader(g)).String())
}

var (
	givenNames  = []string{"Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Iris", "Jon", "Kai", "Lena", "Milo", "Nora", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tara"}
	familyNames = []string{"Adams", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hall", "Ito", "Jones", "Khan", "Lopez", "Moore", "Nguyen", "Olsen", "Patel", "Quinn", "Rossi", "Smith", "Tanaka"}
)

// table is rows to bulk-insert.
type table struct {
	name string
	cols []string
	rows [][]any
}

func (t *table) add(row ...any) { t.rows = append(t.rows, row) }

// Generate inserts one organization of scale s into db, a migrated
// database holding no organization of this package's slug, and returns its
// description. Rows are inserted directly (COPY on PostgreSQL), so no ent
// hook or privacy rule runs; they are consistent with the ent schema and
// read back through ent. The data are deterministic: the same scale always
// gives the same rows. On PostgreSQL the tables are vacuumed and analyzed
// at the end.
func Generate(ctx context.Context, db *store.DB, s Scale) (*Dataset, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(s.Clients), uint64(s.Users)<<20|uint64(s.BusinessUnits)))
	ids := &idGen{rng: rand.New(rand.NewPCG(1, 2)), ms: uint64(epoch.UnixMilli())}
	at := epoch

	orgID := ids.next("org")
	orgs := &table{name: organization.Table, cols: []string{
		organization.FieldID, organization.FieldCreatedAt, organization.FieldUpdatedAt, organization.FieldName,
		organization.FieldSlug, organization.FieldSessionViewEnabled, organization.FieldRequireMfa,
		organization.FieldSignInMethod, organization.FieldEmergencyAccessMinutes,
	}}
	orgs.add(orgID, at, at, fmt.Sprintf("Bench clinic %d/%d/%d/%d", s.Clients, s.Users, s.BusinessUnits, s.Links),
		orgSlug(), false, false, "ANY", 60)

	units := &table{name: businessunit.Table, cols: []string{
		businessunit.FieldID, businessunit.FieldCreatedAt, businessunit.FieldUpdatedAt, businessunit.FieldName,
		businessunit.FieldAddress, businessunit.FieldOrganizationID,
	}}
	unitIDs := make([]pulid.ID, s.BusinessUnits)
	for i := range unitIDs {
		unitIDs[i] = ids.next("bun")
		units.add(unitIDs[i], at, at, fmt.Sprintf("Unit %03d", i+1), "", orgID)
	}

	roles := &table{name: role.Table, cols: []string{
		role.FieldID, role.FieldCreatedAt, role.FieldUpdatedAt, role.FieldName, role.FieldDescription,
		role.FieldBuiltin, role.FieldPrivileges, role.FieldOrganizationID,
	}}
	roleIDs := map[string]pulid.ID{}
	for _, br := range authz.BuiltinRoles() {
		privs := make([]string, len(br.Privileges))
		for i, p := range br.Privileges {
			privs[i] = string(p)
		}
		js, err := json.Marshal(privs)
		if err != nil {
			return nil, err
		}
		id := ids.next("rol")
		roleIDs[br.Key] = id
		roles.add(id, at, at, br.Name, br.Description, br.Key, string(js), orgID)
	}

	users := &table{name: user.Table, cols: []string{
		user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldEmail, user.FieldEmailNormalized,
		user.FieldGivenName, user.FieldFamilyName, user.FieldDisplayName, user.FieldKind, user.FieldStatus,
		user.FieldIsAccountOwner, user.FieldScheduleAccess, user.FieldRequireMfa, user.FieldSignInMethod,
		user.FieldOrganizationID, user.FieldPrimaryBusinessUnitID,
	}}
	userRoles := &table{name: user.RolesTable, cols: user.RolesPrimaryKey}
	userUnits := &table{name: user.BusinessUnitsTable, cols: user.BusinessUnitsPrimaryKey}
	userIDs := make([]pulid.ID, s.Users)
	// The two measured users sit in the middle of the directory.
	buIdx, linkIdx := s.Users/2, s.Users/2+1
	for i := range userIDs {
		id := ids.next("usr")
		userIDs[i] = id
		var builtin, email string
		switch {
		case i == 0:
			builtin = "ACCOUNT_OWNER"
		case i == buIdx:
			builtin, email = "SUPERVISOR", buUserEmail
		case i == linkIdx:
			builtin, email = "CLINICIAN", linkUserEmail
		default:
			// 2% administrators, 30% supervisors (business-unit access),
			// 50% clinicians and 10% teachers (links only), 8% office.
			switch r := rng.IntN(100); {
			case r < 2:
				builtin = "ADMINISTRATOR"
			case r < 32:
				builtin = "SUPERVISOR"
			case r < 82:
				builtin = "CLINICIAN"
			case r < 92:
				builtin = "TEACHER"
			default:
				builtin = "OFFICE_STAFF"
			}
		}
		if email == "" {
			email = fmt.Sprintf("user%05d@bench.test", i)
		}
		// Every user belongs to one or two business units; the measured
		// business-unit user to two.
		n := 1 + rng.IntN(2)
		if i == buIdx {
			n = 2
		}
		first := rng.IntN(s.BusinessUnits)
		mine := []pulid.ID{unitIDs[first]}
		if n == 2 {
			mine = append(mine, unitIDs[(first+1+rng.IntN(s.BusinessUnits-1))%s.BusinessUnits])
		}
		given, family := givenNames[rng.IntN(len(givenNames))], familyNames[rng.IntN(len(familyNames))]
		users.add(id, at, at, email, strings.ToLower(email), given, family, given+" "+family,
			"STAFF", "ACTIVE", i == 0, "OWN_ONLY", false, "ANY", orgID, mine[0])
		userRoles.add(id, roleIDs[builtin])
		for _, u := range mine {
			userUnits.add(id, u)
		}
	}

	clients := &table{name: patient.Table, cols: []string{
		patient.FieldID, patient.FieldCreatedAt, patient.FieldUpdatedAt, patient.FieldGivenName,
		patient.FieldFamilyName, patient.FieldPreferredName, patient.FieldStatus, patient.FieldRestricted,
		patient.FieldOrganizationID, patient.FieldBusinessUnitID,
	}}
	clientIDs := make([]pulid.ID, s.Clients)
	clientUnit := make([]int, s.Clients) // -1: no business unit
	restricted := make([]bool, s.Clients)
	for i := range clientIDs {
		id := ids.next("cli")
		clientIDs[i] = id
		// Units are scattered over the id order; 5% of clients have none
		// and 2% are restricted.
		clientUnit[i] = rng.IntN(s.BusinessUnits)
		var unit any = unitIDs[clientUnit[i]]
		if rng.IntN(100) < 5 {
			clientUnit[i], unit = -1, nil
		}
		restricted[i] = rng.IntN(100) < 2
		status := "ACTIVE"
		if rng.IntN(10) == 0 {
			status = "DISCHARGED"
		}
		given, family := givenNames[rng.IntN(len(givenNames))], familyNames[rng.IntN(len(familyNames))]
		clients.add(id, at, at, given, family, "", status, restricted[i], orgID, unit)
	}

	links := &table{name: clientaccess.Table, cols: []string{
		clientaccess.FieldID, clientaccess.FieldGrantedAt, clientaccess.FieldExpiresAt,
		clientaccess.FieldOrganizationID, clientaccess.FieldUserID, clientaccess.FieldClientID,
		clientaccess.FieldGrantedByID,
	}}
	type pair struct{ u, c int }
	linked := make(map[pair]bool, s.Links)
	addLink := func(u, c int, expires any) bool {
		if linked[pair{u, c}] {
			return false
		}
		linked[pair{u, c}] = true
		links.add(ids.next("cla"), at, expires, orgID, userIDs[u], clientIDs[c], userIDs[0])
		return true
	}
	// The link user: 32 links, 2 expired and 2 expiring later; spread
	// over the whole id range so that an id-order walk finds them late.
	for k := 0; k < linkUserLinks; {
		var expires any
		switch k {
		case 0, 1:
			expires = longBefore
		case 2, 3:
			expires = farFuture
		}
		if addLink(linkIdx, rng.IntN(s.Clients), expires) {
			k++
		}
	}
	// The business-unit user: 10 links, mostly outside their units.
	for k := 0; k < buUserLinks; {
		if addLink(buIdx, rng.IntN(s.Clients), nil) {
			k++
		}
	}
	for len(links.rows) < s.Links {
		u := rng.IntN(s.Users)
		if u == buIdx || u == linkIdx {
			continue
		}
		var expires any
		switch rng.IntN(20) {
		case 0:
			expires = longBefore
		case 1:
			expires = farFuture
		}
		addLink(u, rng.IntN(s.Clients), expires)
	}

	// Break-glass windows: the link user has one open and one ended; a few
	// others have old ones.
	em := &table{name: emergencyaccess.Table, cols: []string{
		emergencyaccess.FieldID, emergencyaccess.FieldReason, emergencyaccess.FieldStartedAt,
		emergencyaccess.FieldExpiresAt, emergencyaccess.FieldEndedAt, emergencyaccess.FieldOrganizationID,
		emergencyaccess.FieldUserID, emergencyaccess.FieldClientID,
	}}
	em.add(ids.next("eac"), "urgent call", at, farFuture, nil, orgID, userIDs[linkIdx], clientIDs[rng.IntN(s.Clients)])
	em.add(ids.next("eac"), "earlier call", longBefore, longBefore.Add(time.Hour), longBefore.Add(time.Minute),
		orgID, userIDs[linkIdx], clientIDs[rng.IntN(s.Clients)])
	for range s.Users / 10 {
		em.add(ids.next("eac"), "old call", longBefore, longBefore.Add(time.Hour), nil,
			orgID, userIDs[rng.IntN(s.Users)], clientIDs[rng.IntN(s.Clients)])
	}

	for _, t := range []*table{orgs, units, roles, users, userRoles, userUnits, clients, links, em} {
		if err := insert(ctx, db, t); err != nil {
			return nil, fmt.Errorf("authzbench: insert %s: %w", t.name, err)
		}
	}
	if db.Dialect == dialect.Postgres {
		for _, t := range []*table{orgs, units, roles, users, userRoles, userUnits, clients, links, em} {
			if _, err := db.SQL.ExecContext(ctx, "VACUUM ANALYZE "+t.name); err != nil {
				return nil, fmt.Errorf("authzbench: vacuum %s: %w", t.name, err)
			}
		}
	}
	return Load(ctx, db, s)
}

// insert bulk-inserts t: COPY on PostgreSQL, multi-row INSERTs otherwise.
func insert(ctx context.Context, db *store.DB, t *table) error {
	if db.Dialect == dialect.Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			n, err := pc.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows))
			if err == nil && int(n) != len(t.rows) {
				err = fmt.Errorf("copied %d rows of %d", n, len(t.rows))
			}
			return err
		})
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	// SQLite allows 32766 variables per statement.
	per := max(1, 30000/len(t.cols))
	for rows := range slices.Chunk(t.rows, per) {
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %q (%s) VALUES ", t.name, `"`+strings.Join(t.cols, `", "`)+`"`)
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
		args := make([]any, 0, len(rows)*len(t.cols))
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Load describes the organization of scale s that Generate stored in db. It
// fails with ErrNotGenerated when db holds no such organization, or one
// whose row counts differ from s.
func Load(ctx context.Context, db *store.DB, s Scale) (*Dataset, error) {
	q := func(query string, args ...any) *sql.Row {
		if db.Dialect == dialect.Postgres {
			query = rebind(query)
		}
		return db.SQL.QueryRowContext(ctx, query, args...)
	}
	d := &Dataset{Scale: s}
	err := q(`SELECT id FROM organizations WHERE slug = ?`, orgSlug()).Scan(&d.OrgID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotGenerated
	}
	if err != nil {
		return nil, err
	}
	var got Scale
	if err := q(`SELECT
		(SELECT COUNT(*) FROM patients WHERE organization_id = ?),
		(SELECT COUNT(*) FROM users WHERE organization_id = ?),
		(SELECT COUNT(*) FROM business_units WHERE organization_id = ?),
		(SELECT COUNT(*) FROM client_accesses WHERE organization_id = ?)`,
		d.OrgID, d.OrgID, d.OrgID, d.OrgID).Scan(&got.Clients, &got.Users, &got.BusinessUnits, &got.Links); err != nil {
		return nil, err
	}
	if got != s {
		return nil, fmt.Errorf("%w: found %+v, want %+v", ErrNotGenerated, got, s)
	}
	if err := q(`SELECT id FROM users WHERE organization_id = ? AND email_normalized = ?`, d.OrgID, buUserEmail).Scan(&d.BUUser); err != nil {
		return nil, fmt.Errorf("authzbench: business-unit user: %w", err)
	}
	if err := q(`SELECT id FROM users WHERE organization_id = ? AND email_normalized = ?`, d.OrgID, linkUserEmail).Scan(&d.LinkUser); err != nil {
		return nil, fmt.Errorf("authzbench: link user: %w", err)
	}
	now := time.Now().UTC()
	bu, err := ReferenceVisible(ctx, db, d.OrgID, d.BUUser, true, now)
	if err != nil {
		return nil, err
	}
	link, err := ReferenceVisible(ctx, db, d.OrgID, d.LinkUser, false, now)
	if err != nil {
		return nil, err
	}
	d.BUUserVisible, d.LinkUserVisible = len(bu), len(link)
	// Samples from the middle of the id order, by the same plain reading of
	// the rules as ReferenceVisible.
	const (
		linkedNow = `SELECT client_id FROM client_accesses WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)
			UNION SELECT client_id FROM emergency_accesses WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?`
		inUnits = `business_unit_id IN (SELECT business_unit_id FROM user_business_units WHERE user_id = ?) AND NOT restricted`
	)
	var mid pulid.ID
	if err := q(`SELECT id FROM patients WHERE organization_id = ? ORDER BY id LIMIT 1 OFFSET ?`, d.OrgID, s.Clients/2).Scan(&mid); err != nil {
		return nil, err
	}
	if err := q(`SELECT id FROM patients WHERE organization_id = ? AND id >= ? AND `+inUnits+` AND id NOT IN (`+linkedNow+`) ORDER BY id LIMIT 1`,
		d.OrgID, mid, d.BUUser, d.BUUser, now, d.BUUser, now).Scan(&d.BUUserReached); err != nil {
		return nil, fmt.Errorf("authzbench: sample: %w", err)
	}
	if err := q(`SELECT id FROM patients WHERE organization_id = ? AND id >= ? AND NOT (`+inUnits+`) AND id NOT IN (`+linkedNow+`) ORDER BY id LIMIT 1`,
		d.OrgID, mid, d.BUUser, d.BUUser, now, d.BUUser, now).Scan(&d.BUUserHidden); err != nil {
		return nil, fmt.Errorf("authzbench: sample: %w", err)
	}
	if err := q(`SELECT client_id FROM client_accesses WHERE user_id = ? AND expires_at IS NULL ORDER BY client_id LIMIT 1 OFFSET 10`,
		d.LinkUser).Scan(&d.LinkUserReached); err != nil {
		return nil, fmt.Errorf("authzbench: sample: %w", err)
	}
	if err := q(`SELECT id FROM patients WHERE organization_id = ? AND id >= ? AND id NOT IN (`+linkedNow+`) ORDER BY id LIMIT 1`,
		d.OrgID, mid, d.LinkUser, now, d.LinkUser, now).Scan(&d.LinkUserHidden); err != nil {
		return nil, fmt.Errorf("authzbench: sample: %w", err)
	}
	return d, nil
}

// ReferenceVisible returns, in id order, the clients of org that staff
// user id reaches at now by a plain reading of the rules, independent of
// internal/authz: their live links and open break-glass windows, and with
// unitPrivilege the unrestricted clients of their business units.
func ReferenceVisible(ctx context.Context, db *store.DB, org, id pulid.ID, unitPrivilege bool, now time.Time) ([]pulid.ID, error) {
	query := `SELECT id FROM patients WHERE organization_id = ? AND (id IN (
		SELECT client_id FROM client_accesses WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)
		UNION SELECT client_id FROM emergency_accesses WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?)`
	args := []any{org, id, now, id, now}
	if unitPrivilege {
		query += ` OR (business_unit_id IN (SELECT business_unit_id FROM user_business_units WHERE user_id = ?) AND NOT restricted)`
		args = append(args, id)
	}
	query += `) ORDER BY id`
	if db.Dialect == dialect.Postgres {
		query = rebind(query)
	}
	rows, err := db.SQL.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pulid.ID
	for rows.Next() {
		var c pulid.ID
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ErrNotGenerated reports that a database holds no generated organization
// of the wanted scale.
var ErrNotGenerated = errors.New("authzbench: no generated organization of this scale")

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL.
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Viewer builds the viewer of user id as a session would (see
// session.Authenticate): roles' effective privileges and business units
// loaded through ent.
func Viewer(ctx context.Context, c *ent.Client, org, id pulid.ID) (*viewer.Viewer, error) {
	sys := viewer.ForSystem(ctx, org)
	u, err := c.User.Query().
		Where(user.ID(id)).
		WithBusinessUnits(func(q *ent.BusinessUnitQuery) { q.Select(businessunit.FieldID) }).
		Only(sys)
	if err != nil {
		return nil, fmt.Errorf("authzbench: load user: %w", err)
	}
	v, err := authz.LoadViewer(sys, c, u)
	if err != nil {
		return nil, err
	}
	v.AuthMethod = "PASSWORD"
	return v, nil
}

// OrgSlug is the slug of the organization Generate creates, for callers
// that reuse a generated database (cmd/loadgen) and find it by slug.
func OrgSlug() string { return orgSlug() }
