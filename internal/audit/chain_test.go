package audit_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// chainOrg creates an organization and records n events in it, one per
// request, each a second after the one before.
func chainOrg(t *testing.T, db *store.DB, slug string, n int) *ent.Organization {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := db.Client.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	recordEvents(t, db, org, 0, n)
	return org
}

// recordEvents records events from..to-1 of org, with details that
// exercise the canonical encoding (nested keys, numbers, markup); every
// odd one names clients too (the v2 encoding), so chains mix both.
func recordEvents(t *testing.T, db *store.DB, org *ent.Organization, from, to int) {
	t.Helper()
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for i := from; i < to; i++ {
		at := base.Add(time.Duration(i) * time.Second)
		ctx := clock.NewContext(viewer.ForSystem(context.Background(), org.ID), clock.Func(func() time.Time { return at }))
		ctx = audit.WithMeta(ctx, audit.Meta{IP: "192.0.2.7", UserAgent: "test <agent>", RequestID: fmt.Sprintf("req-%d", i)})
		e := audit.Event{
			Action: audit.AccessGranted, TargetType: "client_access", TargetID: fmt.Sprintf("acc_%d", i),
			Details: map[string]any{"z": i, "a": map[string]any{"y": 1.5, "b": "<b>&"}, "n": nil},
		}
		if i%2 == 1 {
			e.ClientIDs = []pulid.ID{pulid.ID(fmt.Sprintf("cli_%d", i)), "cli_x"}
		}
		err := audit.Record(ctx, db.Client, e)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newChain(t *testing.T, db *store.DB) *audit.Chain {
	t.Helper()
	c, err := audit.NewChain(db.SQL, db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chainIDs returns org's event ids by chain_seq, from 1.
func chainIDs(t *testing.T, db *store.DB, org *ent.Organization) []string {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	evs := db.Client.AuditEvent.Query().Where(auditevent.OrganizationID(org.ID)).
		Order(ent.Asc(auditevent.FieldChainSeq)).AllX(ctx)
	ids := []string{""}
	for i, e := range evs {
		if e.ChainSeq == nil || *e.ChainSeq != int64(i+1) || e.ChainHash == nil || len(*e.ChainHash) != 64 {
			t.Fatalf("event %s: seq %v hash %v, want seq %d and a hash", e.ID, e.ChainSeq, e.ChainHash, i+1)
		}
		ids = append(ids, string(e.ID))
	}
	return ids
}

// q rewrites ? placeholders for the database's dialect.
func q(db *store.DB, query string) string {
	if db.Dialect != dialect.Postgres {
		return query
	}
	for n := 1; strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", fmt.Sprintf("$%d", n), 1)
	}
	return query
}

// tamper runs statements on the audit trail the way someone with the
// database's keys would: on PostgreSQL as superuser with triggers off
// (session_replication_role), on SQLite after dropping the triggers.
func tamper(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	if db.Dialect == dialect.SQLite {
		stmts = append([]string{"DROP TRIGGER IF EXISTS audit_events_no_delete", "DROP TRIGGER IF EXISTS audit_events_seal_only"}, stmts...)
	} else {
		stmts = append([]string{"SET LOCAL session_replication_role = replica"}, stmts...)
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			t.Fatalf("tampering: %s: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestSealerLinksEachOrganizationsEventsIntoAChainThatVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acme := chainOrg(t, db, "acme", 5)
		globex := chainOrg(t, db, "globex", 3)
		c := newChain(t, db)
		n, err := c.Seal(ctx)
		if err != nil || n != 8 {
			t.Fatalf("Seal = %d, %v; want 8 events sealed", n, err)
		}
		if n, err := c.Seal(ctx); err != nil || n != 0 {
			t.Fatalf("second Seal = %d, %v; want nothing left to seal", n, err)
		}
		// Each organization has its own chain from 1, in the order the
		// events occurred.
		ids := chainIDs(t, db, acme)
		if len(ids) != 6 || len(chainIDs(t, db, globex)) != 4 {
			t.Fatalf("chains of %d and %d events", len(ids)-1, len(chainIDs(t, db, globex))-1)
		}
		sys := privacy.DecisionContext(ctx, privacy.Allow)
		for seq := 1; seq < len(ids); seq++ {
			e := db.Client.AuditEvent.GetX(sys, pulid.ID(ids[seq]))
			if want := fmt.Sprintf("acc_%d", seq-1); e.TargetID != want {
				t.Errorf("seq %d is %s, want %s", seq, e.TargetID, want)
			}
		}
		r, err := c.Verify(ctx, string(acme.ID))
		if err != nil || r.Problem != nil || r.Events != 5 || r.LastSeq != 5 || r.Pending != 0 {
			t.Fatalf("Verify = %+v, %v; want 5 events that verify", r, err)
		}
		head := r.Head
		// New events extend the chain; Verify seals them first.
		recordEvents(t, db, acme, 5, 8)
		r, err = c.Verify(ctx, string(acme.ID))
		if err != nil || r.Problem != nil || r.Events != 8 || r.Head == head {
			t.Fatalf("Verify after 3 more = %+v, %v", r, err)
		}
		if len(chainIDs(t, db, acme)) != 9 {
			t.Error("the new events were not sealed after the old ones")
		}
		if r, err := c.Verify(ctx, string(globex.ID)); err != nil || r.Problem != nil || r.Events != 3 {
			t.Errorf("Verify(globex) = %+v, %v", r, err)
		}
	})
}

func TestVerifyNamesAnEventChangedAfterSealing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 6)
		c := newChain(t, db)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		ids := chainIDs(t, db, org)
		// Someone rewrites who was granted access in event 3, and one
		// detail of event 5: the first is named.
		tamper(t, db,
			fmt.Sprintf("UPDATE audit_events SET target_id = 'acc_forged' WHERE id = '%s'", ids[3]),
			fmt.Sprintf("UPDATE audit_events SET ip = '198.51.100.1' WHERE id = '%s'", ids[5]))
		r, err := c.Verify(ctx, string(org.ID))
		if err != nil {
			t.Fatal(err)
		}
		p := r.Problem
		if p == nil || p.Seq != 3 || p.ID != ids[3] || p.Kind != audit.ProblemChanged {
			t.Fatalf("Problem = %+v, want event %s at seq 3 changed", p, ids[3])
		}
		// A changed detail, deep in the JSON, is caught the same way.
		org2 := chainOrg(t, db, "globex", 3)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		ids2 := chainIDs(t, db, org2)
		tamper(t, db, fmt.Sprintf(`UPDATE audit_events SET details = '{"a":{"b":"<b>&","y":1.5},"n":null,"z":99}' WHERE id = '%s'`, ids2[1]))
		r, err = c.Verify(ctx, string(org2.ID))
		if err != nil || r.Problem == nil || r.Problem.Seq != 1 || r.Problem.Kind != audit.ProblemChanged {
			t.Fatalf("Verify after a changed detail = %+v, %v", r.Problem, err)
		}
		// So is a client taken out of the clients an event names, or all of
		// them (an organization's second event is its first to name any).
		for i, change := range []string{`'["cli_x"]'`, "NULL"} {
			o := chainOrg(t, db, fmt.Sprintf("initech%d", i), 3)
			if _, err := c.Seal(ctx); err != nil {
				t.Fatal(err)
			}
			ids := chainIDs(t, db, o)
			if r, err := c.Verify(ctx, string(o.ID)); err != nil || r.Problem != nil {
				t.Fatalf("Verify before = %+v, %v", r, err)
			}
			tamper(t, db, fmt.Sprintf(`UPDATE audit_events SET client_ids = %s WHERE id = '%s'`, change, ids[2]))
			r, err = c.Verify(ctx, string(o.ID))
			if err != nil || r.Problem == nil || r.Problem.Seq != 2 || r.Problem.Kind != audit.ProblemChanged {
				t.Fatalf("Verify after client_ids = %s: %+v, %v", change, r.Problem, err)
			}
		}
	})
}

func TestVerifyNamesTheGapOfARemovedEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 6)
		c := newChain(t, db)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		ids := chainIDs(t, db, org)
		tamper(t, db, fmt.Sprintf("DELETE FROM audit_events WHERE id IN ('%s', '%s')", ids[3], ids[4]))
		r, err := c.Verify(ctx, string(org.ID))
		if err != nil {
			t.Fatal(err)
		}
		p := r.Problem
		if p == nil || p.Seq != 3 || p.ID != ids[5] || p.Kind != audit.ProblemRemoved || !strings.Contains(p.Detail, "seq 3 to 4") {
			t.Fatalf("Problem = %+v, want seq 3 to 4 removed before %s", p, ids[5])
		}
		if r.Events != 3 {
			t.Errorf("%d events walked, want the 2 good ones and the one after the gap", r.Events)
		}
		// Removing the newest event leaves no gap: the head no longer
		// matches a kept copy (see the export test), which is why the
		// README says to keep exports.
	})
}

func TestVerifyNamesAForgedEventSlippedIntoTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 6)
		c := newChain(t, db)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		ids := chainIDs(t, db, org)
		// Events 3.. move up one place (in two steps, past the unique
		// index) and a forged event takes place 3, with a made-up hash.
		forged := "aud_FORGED0000000000000000000"
		tamper(t, db,
			fmt.Sprintf("UPDATE audit_events SET chain_seq = -chain_seq WHERE organization_id = '%s' AND chain_seq >= 3", org.ID),
			fmt.Sprintf("UPDATE audit_events SET chain_seq = 1 - chain_seq WHERE organization_id = '%s' AND chain_seq < 0", org.ID),
			q(db, fmt.Sprintf(`INSERT INTO audit_events (id, organization_id, occurred_at, actor_kind, action, target_type, target_id, ip, user_agent, request_id, chain_seq, chain_hash)
VALUES ('%s', '%s', '2026-01-02 03:04:06', 'SYSTEM', 'access.revoked', 'client_access', 'acc_1', '', '', '', 3, '%s')`, forged, org.ID, strings.Repeat("ab", 32))))
		r, err := c.Verify(ctx, string(org.ID))
		if err != nil {
			t.Fatal(err)
		}
		p := r.Problem
		if p == nil || p.Seq != 3 || p.ID != forged || p.Kind != audit.ProblemInserted || !strings.Contains(p.Detail, ids[3]) {
			t.Fatalf("Problem = %+v, want the forged event at seq 3, inserted before %s", p, ids[3])
		}
		// A forged event appended after the head, with a made-up hash,
		// is named too.
		org2 := chainOrg(t, db, "globex", 2)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		tamper(t, db, fmt.Sprintf(`INSERT INTO audit_events (id, organization_id, occurred_at, actor_kind, action, target_type, target_id, ip, user_agent, request_id, chain_seq, chain_hash)
VALUES ('aud_FORGED0000000000000000001', '%s', '2026-01-02 03:04:06', 'SYSTEM', 'access.revoked', '', '', '', '', '', 3, '%s')`, org2.ID, strings.Repeat("cd", 32)))
		r, err = c.Verify(ctx, string(org2.ID))
		if err != nil || r.Problem == nil || r.Problem.Seq != 3 || r.Problem.ID != "aud_FORGED0000000000000000001" {
			t.Fatalf("Verify with an appended forgery = %+v, %v", r.Problem, err)
		}
	})
}

func TestTheDatabaseRefusesToChangeOrRemoveAuditEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 3)
		c := newChain(t, db)
		if _, err := c.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		ids := chainIDs(t, db, org)
		recordEvents(t, db, org, 3, 4) // one unsealed
		unsealed := db.Client.AuditEvent.Query().Where(auditevent.ChainSeqIsNil()).OnlyIDX(privacy.DecisionContext(ctx, privacy.Allow))
		refused := map[string]string{
			"change a sealed event":         fmt.Sprintf("UPDATE audit_events SET action = 'x' WHERE id = '%s'", ids[1]),
			"reseal a sealed event":         fmt.Sprintf("UPDATE audit_events SET chain_hash = '%s' WHERE id = '%s'", strings.Repeat("0", 64), ids[2]),
			"unseal a sealed event":         fmt.Sprintf("UPDATE audit_events SET chain_seq = NULL, chain_hash = NULL WHERE id = '%s'", ids[3]),
			"change an unsealed event":      fmt.Sprintf("UPDATE audit_events SET target_id = 'x' WHERE id = '%s'", unsealed),
			"seal and change at once":       fmt.Sprintf("UPDATE audit_events SET chain_seq = 4, chain_hash = '%s', ip = '' WHERE id = '%s'", strings.Repeat("0", 64), unsealed),
			"seal and change its details":   fmt.Sprintf(`UPDATE audit_events SET chain_seq = 4, chain_hash = '%s', details = '{"record":"x"}' WHERE id = '%s'`, strings.Repeat("0", 64), unsealed),
			"half-seal an unsealed event":   fmt.Sprintf("UPDATE audit_events SET chain_seq = 4 WHERE id = '%s'", unsealed),
			"seal and change its clients":   fmt.Sprintf(`UPDATE audit_events SET chain_seq = 4, chain_hash = '%s', client_ids = '["cli_y"]' WHERE id = '%s'`, strings.Repeat("0", 64), unsealed),
			"delete a sealed event":         fmt.Sprintf("DELETE FROM audit_events WHERE id = '%s'", ids[1]),
			"delete an unsealed event":      fmt.Sprintf("DELETE FROM audit_events WHERE id = '%s'", unsealed),
			"delete the organization trail": fmt.Sprintf("DELETE FROM audit_events WHERE organization_id = '%s'", org.ID),
		}
		role := ""
		if db.Dialect == dialect.Postgres {
			refused["truncate"] = "TRUNCATE audit_events"
			role = appRole(t, db)
		}
		for what, stmt := range refused {
			err := execAs(ctx, db, role, stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", what, err)
			}
		}
		// The one change allowed is sealing, which Verify does.
		r, err := c.Verify(ctx, string(org.ID))
		if err != nil || r.Problem != nil || r.Events != 4 {
			t.Fatalf("Verify = %+v, %v", r, err)
		}
	})
}

// appRole creates a role that is neither superuser nor owner, with every
// privilege on audit_events, as an application's role would have; it is
// dropped at the end.
func appRole(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	role := "cg_app_" + hex.EncodeToString(b)
	for _, s := range []string{
		"CREATE ROLE " + role + " NOSUPERUSER",
		"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_events TO " + role,
	} {
		if _, err := db.SQL.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, s := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := db.SQL.ExecContext(context.Background(), s); err != nil {
				t.Errorf("cleaning up %s: %v", role, err)
			}
		}
	})
	return role
}

// execAs runs stmt in a transaction of its own, rolled back, as role (on
// PostgreSQL; "" for the connection's own).
func execAs(ctx context.Context, db *store.DB, role, stmt string) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if role != "" {
		if _, err := tx.ExecContext(ctx, "SET LOCAL ROLE "+role); err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		var super bool
		if err := tx.QueryRowContext(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || super {
			return fmt.Errorf("the role is superuser (%v) or unknown (%v)", super, err)
		}
	}
	_, err = tx.ExecContext(ctx, stmt)
	return err
}

func TestAnExportVerifiesOnItsOwnAndShowsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 5)
		c := newChain(t, db)
		var out bytes.Buffer
		n, err := c.Export(ctx, string(org.ID), time.Time{}, &out)
		if err != nil || n != 5 {
			t.Fatalf("Export = %d, %v (it seals first)", n, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 5 {
			t.Fatalf("%d lines", len(lines))
		}
		var first map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
			t.Fatal(err)
		}
		if first["seq"] != 1.0 || first["prev_hash"] != strings.Repeat("0", 64) || first["action"] != audit.AccessGranted || first["request_id"] != "req-0" {
			t.Errorf("first line = %v", first)
		}
		live, err := c.Verify(ctx, string(org.ID))
		if err != nil {
			t.Fatal(err)
		}
		r, err := audit.VerifyExport(strings.NewReader(out.String()))
		if err != nil || r.Problem != nil || r.Events != 5 || r.Head != live.Head {
			t.Fatalf("VerifyExport = %+v, %v; want 5 events with the live head %s", r, err, live.Head)
		}
		// A copy edited by hand is caught at the edited line.
		edited := strings.Replace(out.String(), `"target_id":"acc_2"`, `"target_id":"acc_9"`, 1)
		r, err = audit.VerifyExport(strings.NewReader(edited))
		if err != nil || r.Problem == nil || r.Problem.Seq != 3 || r.Problem.Kind != audit.ProblemChanged {
			t.Fatalf("VerifyExport of an edited copy = %+v, %v", r.Problem, err)
		}
		// A line dropped from the copy is a gap.
		dropped := strings.Join(append(append([]string{}, lines[:2]...), lines[3:]...), "\n")
		r, err = audit.VerifyExport(strings.NewReader(dropped))
		if err != nil || r.Problem == nil || r.Problem.Seq != 3 || r.Problem.Kind != audit.ProblemRemoved {
			t.Fatalf("VerifyExport of a copy without line 3 = %+v, %v", r.Problem, err)
		}
		// --since: a contiguous piece from the first event at or after
		// it, which verifies from its first prev_hash.
		since := time.Date(2026, 1, 2, 3, 4, 8, 0, time.UTC) // events 3 and 4 (from 0)
		out.Reset()
		if n, err := c.Export(ctx, string(org.ID), since, &out); err != nil || n != 2 {
			t.Fatalf("Export since = %d, %v", n, err)
		}
		r, err = audit.VerifyExport(&out)
		if err != nil || r.Problem != nil || r.FirstSeq != 4 || r.Head != live.Head {
			t.Fatalf("VerifyExport of a piece = %+v, %v", r, err)
		}
		if _, err := audit.VerifyExport(strings.NewReader("not json")); err == nil {
			t.Error("a file that is not an export verified")
		}
	})
}

func TestConcurrentSealersAndWritersKeepOneUnbrokenChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 0)
		const writers, each = 4, 25
		var wg sync.WaitGroup
		stop := make(chan struct{})
		// Two sealers, as two replicas would run.
		sealers := make([]*audit.Chain, 2)
		errs := make(chan error, writers+len(sealers))
		for i := range sealers {
			sealers[i] = newChain(t, db)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := sealers[i].Seal(ctx); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var writersWG sync.WaitGroup
		for w := range writers {
			writersWG.Add(1)
			go func() {
				defer writersWG.Done()
				for i := range each {
					sys := viewer.ForSystem(ctx, org.ID)
					if err := audit.Record(sys, db.Client, audit.Event{Action: audit.SignIn, TargetType: "user", TargetID: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		writersWG.Wait()
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r, err := sealers[0].Verify(ctx, string(org.ID))
		if err != nil || r.Problem != nil || r.Events != writers*each || r.LastSeq != writers*each {
			t.Fatalf("Verify = %+v, %v; want %d events in one chain", r, err, writers*each)
		}
	})
}

func TestAKeptCopyCatchesAChainRewrittenWithRecomputedHashes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := chainOrg(t, db, "acme", 5)
		c := newChain(t, db)
		var copy bytes.Buffer
		if _, err := c.Export(ctx, string(org.ID), time.Time{}, &copy); err != nil {
			t.Fatal(err)
		}
		kept := copy.String()
		if r, err := c.CompareExport(ctx, string(org.ID), strings.NewReader(kept)); err != nil || r.Problem != nil || r.Events != 5 {
			t.Fatalf("CompareExport of a fresh copy = %+v, %v", r, err)
		}
		// Someone who knows the encoding rewrites event 3 and recomputes
		// the hashes from there to the head: the chain verifies on its
		// own, the kept copy shows the rewrite.
		var events []audit.ChainEvent
		for _, line := range strings.Split(strings.TrimSpace(kept), "\n") {
			var e audit.ChainEvent
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		events[2].TargetID = "acc_forged"
		prev := events[1].Hash
		var stmts []string
		for i := 2; i < len(events); i++ {
			canon, err := events[i].Canonical()
			if err != nil {
				t.Fatal(err)
			}
			p, _ := hex.DecodeString(prev)
			sum := sha256.Sum256(append(p, canon...))
			prev = hex.EncodeToString(sum[:])
			stmts = append(stmts, fmt.Sprintf("UPDATE audit_events SET target_id = '%s', chain_hash = '%s' WHERE id = '%s'", events[i].TargetID, prev, events[i].ID))
		}
		tamper(t, db, stmts...)
		if r, err := c.Verify(ctx, string(org.ID)); err != nil || r.Problem != nil {
			t.Fatalf("Verify = %+v, %v; a rewrite with recomputed hashes is not visible without a copy", r.Problem, err)
		}
		r, err := c.CompareExport(ctx, string(org.ID), strings.NewReader(kept))
		if err != nil || r.Problem == nil || r.Problem.Seq != 3 || r.Problem.ID != events[2].ID || r.Problem.Kind != audit.ProblemDiffers {
			t.Fatalf("CompareExport after the rewrite = %+v, %v; want seq 3 named", r.Problem, err)
		}

		// Removing the newest event leaves no gap; the copy shows it.
		org2 := chainOrg(t, db, "globex", 3)
		copy.Reset()
		if _, err := c.Export(ctx, string(org2.ID), time.Time{}, &copy); err != nil {
			t.Fatal(err)
		}
		tamper(t, db, fmt.Sprintf("DELETE FROM audit_events WHERE organization_id = '%s' AND chain_seq = 3", org2.ID))
		if r, err := c.Verify(ctx, string(org2.ID)); err != nil || r.Problem != nil || r.Events != 2 {
			t.Fatalf("Verify = %+v, %v", r, err)
		}
		r, err = c.CompareExport(ctx, string(org2.ID), &copy)
		if err != nil || r.Problem == nil || r.Problem.Seq != 3 || !strings.Contains(r.Problem.Detail, "ends before it") {
			t.Fatalf("CompareExport after removing the head = %+v, %v", r.Problem, err)
		}
		// A copy of another organization is refused, not compared.
		if _, err := c.CompareExport(ctx, string(org.ID), strings.NewReader(strings.ReplaceAll(kept, string(org.ID), string(org2.ID)))); err == nil {
			t.Error("a copy of another organization was compared")
		}
	})
}
