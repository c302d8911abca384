package loadgen

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The verification is what makes "zero lost writes" mean something: each
// kind of acknowledged write missing from the database (or acknowledged
// revocation still in it) is reported, and a database matching the
// acknowledgements reports nothing.
func TestVerificationReportsEveryKindOfLostWrite(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.PostgresDSN(t)
	if _, err := Seed(ctx, dsn, ScaleFor(1_000, 50), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx, err := loadFixture(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var link pair
	if err := db.QueryRowContext(ctx, `SELECT user_id, client_id FROM client_accesses WHERE organization_id = $1 LIMIT 1`, fx.orgID).
		Scan(&link.user, &link.client); err != nil {
		t.Fatal(err)
	}
	l := &load{fx: fx, db: db, runID: "verifytest"}
	clean := func() *worker {
		return &worker{links: map[pair]bool{}, unknownLinks: map[pair]bool{}, members: map[string]bool{}, memberUnsure: map[string]bool{}}
	}

	// What the database holds, acknowledged: nothing is lost.
	w := clean()
	w.links[link] = true
	v, err := l.verify(ctx, []*worker{w})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Lost) != 0 || v.Checked["links granted"] != 1 {
		t.Fatalf("a database matching the acknowledgements: %+v", v)
	}

	// Acknowledged writes the database does not hold.
	w = clean()
	w.links[pair{user: fx.users[0].id, client: "cli_01NOSUCHCLIENT00000000000"}] = true
	w.links[link] = false // revoked, yet there
	w.contacts = []string{"cct_01NOSUCHCONTACT0000000000"}
	w.scimUsers = []scimAck{{id: "usr_01NOSUCHUSER000000000000", userName: "load-verifytest-0-1@load.test"}}
	w.group = "sgm_01NOSUCHGROUP00000000000"
	w.members[fx.users[1].id] = true
	l.groups = []string{w.group}
	l.setupSessions = []ackSession{{token: "cgs_never-issued", user: "x", mfa: true}}
	v, err = l.verify(ctx, []*worker{w})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(v.Lost, "\n")
	for _, want := range []string{
		"client links granted and not revoked: 1 acknowledged, 0 in the database",
		"client links revoked: 1 acknowledged revocations, 1 links still in the database",
		"client contacts: 1 acknowledged, 0 in the database",
		"SCIM users: 1 acknowledged, 0 found",
		"SCIM users: 0 rows of this run, 1 acknowledged",
		"member " + fx.users[1].id + " acknowledged, not in the database",
		"SCIM groups: 1 created, 0 in the database",
		"sessions: 1 sign-ins acknowledged, 0 live sessions",
		"sessions: 1 MFA verifications acknowledged, 0 sessions that passed MFA",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("not reported: %q\ngot:\n%s", want, all)
		}
	}

	// A write whose answer never came is allowed either way.
	w = clean()
	p := pair{user: fx.users[0].id, client: "cli_01NOSUCHCLIENT00000000000"}
	w.links[p], w.unknownLinks[p] = true, true
	l.groups, l.setupSessions = nil, nil
	if v, err = l.verify(ctx, []*worker{w}); err != nil {
		t.Fatal(err)
	}
	if len(v.Lost) != 0 || v.Unknown != 1 {
		t.Fatalf("an unanswered grant: %+v", v)
	}
}

func TestMixParsingRefusesUnknownOperationsAndNegativeWeights(t *testing.T) {
	if _, err := ParseMix(DefaultMix); err != nil {
		t.Fatalf("the default mix: %v", err)
	}
	m, err := ParseMix(" list = 3 , signin=0.5,")
	if err != nil || m[OpList] != 3 || m[OpSignIn] != 0.5 || len(m) != 2 {
		t.Fatalf("got %v, %v", m, err)
	}
	for _, bad := range []string{"lists=1", "list=-1", "list", "list=x", "list=0", ""} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	xs := make([]time.Duration, 100)
	for i := range xs {
		xs[i] = time.Duration(i+1) * time.Millisecond
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := quantile(xs, q); got != want {
			t.Errorf("q%.2f = %v, want %v", q, got, want)
		}
	}
	if got := quantile(xs[:1], 0.99); got != time.Millisecond {
		t.Errorf("one sample: %v", got)
	}
}
