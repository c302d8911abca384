package authzbench_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/authz/authzbench"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/testdb"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// tiny is small enough for go test ./... (well under a second of data).
var tiny = authzbench.Scale{Clients: 400, Users: 20, BusinessUnits: 3, Links: 600}

// TestGenerate generates a tiny organization on SQLite and on PostgreSQL,
// and checks that the rows read back through
// ent and that the access rules show each measured user exactly the
// clients a plain reading of the rules gives.
func TestGenerate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := store.Open(context.Background(), "sqlite3", testdb.SQLiteDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		checkGenerate(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := store.Open(context.Background(), "pgx", testdb.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		checkGenerate(t, db)
	})
}

func checkGenerate(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, err := authzbench.Generate(ctx, db, tiny)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %+v in %v: bu user sees %d, link user %d", tiny, time.Since(start), d.BUUserVisible, d.LinkUserVisible)
	if _, err := authzbench.Generate(ctx, db, tiny); err == nil {
		t.Error("second Generate into the same database succeeded")
	}
	again, err := authzbench.Load(ctx, db, tiny)
	if err != nil || *again != *d {
		t.Fatalf("Load = %+v, %v; want %+v", again, err, d)
	}
	for _, u := range []struct {
		kind  string
		id    pulid.ID
		units bool
	}{{"bu", d.BUUser, true}, {"link", d.LinkUser, false}} {
		id := u.id
		v, err := authzbench.Viewer(ctx, db.Client, d.OrgID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(v.BusinessUnitIDs); u.kind == "bu" && got != 2 {
			t.Errorf("%s user belongs to %d units", u.kind, got)
		}
		want, err := authzbench.ReferenceVisible(ctx, db, d.OrgID, id, u.units, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		vctx := viewer.NewContext(ctx, v)
		got, err := db.Client.Patient.Query().Order(patient.ByID()).IDs(vctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s user: authz shows %d clients, the reference %d", u.kind, len(got), len(want))
		}
		checkQueries(t, db, vctx, want)
		switch u.kind {
		case "bu":
			if len(want) < tiny.Clients/5 {
				t.Errorf("bu user sees only %d clients", len(want))
			}
		case "link":
			if len(want) < 20 || len(want) > 40 {
				t.Errorf("link user sees %d clients, want tens", len(want))
			}
		}
	}
}

// checkQueries checks the shapes of client queries a viewer's rules give
// (on PostgreSQL a business-unit user's clients come from a union put in
// place of the table, with a different join for pages) against want, the
// reference list in id order.
func checkQueries(t *testing.T, db *store.DB, ctx context.Context, want []pulid.ID) {
	t.Helper()
	c := db.Client
	// Every page, by cursor, in id order.
	var paged []pulid.ID
	var after *ent.Cursor
	for {
		first := 7
		conn, err := c.Patient.Query().Paginate(ctx, after, &first, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if conn.TotalCount != len(want) {
			t.Errorf("totalCount = %d, want %d", conn.TotalCount, len(want))
		}
		for _, e := range conn.Edges {
			paged = append(paged, e.Node.ID)
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		after = conn.PageInfo.EndCursor
	}
	if !slices.Equal(paged, want) {
		t.Errorf("pages give %d clients, the reference %d", len(paged), len(want))
	}
	// The last page, backwards.
	last := 5
	conn, err := c.Patient.Query().Paginate(ctx, nil, nil, nil, &last)
	if err != nil {
		t.Fatal(err)
	}
	var tail []pulid.ID
	for _, e := range conn.Edges {
		tail = append(tail, e.Node.ID)
	}
	if !slices.Equal(tail, want[max(0, len(want)-last):]) {
		t.Errorf("last page = %v, want %v", tail, want[max(0, len(want)-last):])
	}
	// Rows under a limit, in another order; the first row; a count.
	rows, err := c.Patient.Query().Order(patient.ByFamilyName(), patient.ByID()).Limit(len(want) + 5).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []pulid.ID
	for i, r := range rows {
		ids = append(ids, r.ID)
		if r.GivenName == "" || r.OrganizationID == "" {
			t.Fatalf("row %d not loaded: %+v", i, r)
		}
		if i > 0 && rows[i-1].FamilyName > r.FamilyName {
			t.Fatalf("rows out of order at %d", i)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("rows by family name give %d clients, the reference %d", len(ids), len(want))
	}
	if len(want) > 0 {
		first, err := c.Patient.Query().Order(patient.ByID()).First(ctx)
		if err != nil || first.ID != want[0] {
			t.Errorf("First = %v, %v; want %s", first, err, want[0])
		}
	}
	if n, err := c.Patient.Query().Count(ctx); err != nil || n != len(want) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(want))
	}
	// The rule applied twice to one query (a query builder run twice, or
	// an explicit ClientsVisible besides the rule) keeps the same set.
	v := viewer.FromContext(ctx)
	twice, err := c.Patient.Query().Where(authz.ClientsVisible(v, time.Now())).Order(patient.ByID()).Limit(len(want) + 5).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(twice) != len(want) {
		t.Errorf("twice: %d clients, want %d", len(twice), len(want))
	}
	// Single decisions and the records rules built on the same predicate.
	all, err := c.Patient.Query().Order(patient.ByID()).IDs(viewer.ForSystem(context.Background(), v.OrgID))
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range all {
		if i%37 != 0 {
			continue
		}
		ok, err := authz.CanReadClient(ctx, c, id)
		if err != nil || ok != slices.Contains(want, id) {
			t.Errorf("CanReadClient(%s) = %v, %v", id, ok, err)
		}
	}
	links, err := c.ClientAccess.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sysLinks, err := c.ClientAccess.Query().All(viewer.ForSystem(context.Background(), v.OrgID))
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := 0
	for _, l := range sysLinks {
		if l.UserID == v.UserID || slices.Contains(want, l.ClientID) {
			wantLinks++
		}
	}
	if len(links) != wantLinks {
		t.Errorf("client accesses: %d, want %d", len(links), wantLinks)
	}
}
