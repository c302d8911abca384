package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const batchAction = "test.batch"

func batchEvent(org pulid.ID, target string) audit.Event {
	return audit.Event{Org: org, Action: batchAction, TargetType: "client", TargetID: target}
}

// storedTargets returns the target ids of the org's test events, with how
// many times each is stored. It may run in a goroutine of the test.
func storedTargets(t *testing.T, c *ent.Client, org pulid.ID) map[string]int {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	evs, err := c.AuditEvent.Query().
		Where(auditevent.OrganizationID(org), auditevent.Action(batchAction)).All(ctx)
	if err != nil {
		t.Error(err)
	}
	got := map[string]int{}
	for _, e := range evs {
		got[e.TargetID]++
	}
	return got
}

// eventually fails the test unless cond holds within ten seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestABatchSharesOneInsertAmongTheRequestsThatWaitedForIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		c, drv := storetest.Record(db)
		b := audit.NewBatch(c)
		release := drv.HoldOn("INSERT INTO audit_events")
		defer release()

		type outcome struct {
			target string
			err    error
			stored bool // seen through another connection when Record returned
		}
		out := make(chan outcome, 6)
		record := func(target string) {
			err := b.Record(f.viewerCx, batchEvent(f.org.ID, target))
			out <- outcome{target, err, storedTargets(t, db.Client, f.org.ID)[target] == 1}
		}
		go record("lead")
		eventually(t, "the first insert is in flight", func() bool { return drv.Count("INSERT", "audit_events") == 1 })
		for i := range 5 {
			go record(fmt.Sprint(i))
		}
		eventually(t, "five requests wait", func() bool { return audit.Queued(b) == 5 })
		if len(out) != 0 {
			t.Fatal("a request returned before its event was written")
		}
		if got := storedTargets(t, db.Client, f.org.ID); len(got) != 0 {
			t.Fatalf("stored before the held insert ran: %v", got)
		}
		release()
		for range 6 {
			o := <-out
			if o.err != nil {
				t.Errorf("%s: %v", o.target, o.err)
			}
			if !o.stored {
				t.Errorf("%s: Record returned before its event was committed", o.target)
			}
		}
		if n := audit.Inserts(b); n != 2 {
			t.Errorf("%d inserts for six events, want 2: the first alone, then the five that waited", n)
		}
		got := storedTargets(t, db.Client, f.org.ID)
		for _, target := range []string{"lead", "0", "1", "2", "3", "4"} {
			if got[target] != 1 {
				t.Errorf("event %s stored %d times", target, got[target])
			}
		}
	})
}

func TestALoneRecordInsertsAtOnceAndLeavesTheBatchIdle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		b := audit.NewBatch(db.Client)
		for i := range 3 {
			if err := b.Record(f.viewerCx, batchEvent(f.org.ID, fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
			if n := audit.Inserts(b); n != i+1 {
				t.Fatalf("after %d lone records, %d inserts", i+1, n)
			}
		}
		if got := storedTargets(t, db.Client, f.org.ID); len(got) != 3 {
			t.Fatalf("stored %v", got)
		}
	})
}

func TestAFailingEventInABatchFailsOnlyItsOwnRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		c, drv := storetest.Record(db)
		b := audit.NewBatch(c)
		taken := pulid.New("aud")
		if err := audit.RecordWithID(f.viewerCx, b, batchEvent(f.org.ID, "first"), taken); err != nil {
			t.Fatal(err)
		}

		release := drv.HoldOn("INSERT INTO audit_events")
		defer release()
		errs := make(chan error, 1)
		go func() { errs <- b.Record(f.viewerCx, batchEvent(f.org.ID, "lead")) }()
		eventually(t, "the leader's insert is in flight", func() bool { return drv.Count("INSERT", "audit_events") == 2 })
		var wg sync.WaitGroup
		var dupErr, okErr error
		wg.Add(2)
		go func() { // the id is taken: this one must fail
			defer wg.Done()
			dupErr = audit.RecordWithID(f.viewerCx, b, batchEvent(f.org.ID, "duplicate"), taken)
		}()
		go func() {
			defer wg.Done()
			okErr = b.Record(f.viewerCx, batchEvent(f.org.ID, "innocent"))
		}()
		eventually(t, "both wait for the next insert", func() bool { return audit.Queued(b) == 2 })
		release()
		wg.Wait()
		if err := <-errs; err != nil {
			t.Errorf("leader: %v", err)
		}
		if dupErr == nil {
			t.Error("an event with a taken id was acknowledged")
		}
		if okErr != nil {
			t.Errorf("an event batched with a failing one was refused: %v", okErr)
		}
		got := storedTargets(t, db.Client, f.org.ID)
		if got["first"] != 1 || got["lead"] != 1 || got["innocent"] != 1 || got["duplicate"] != 0 {
			t.Errorf("stored %v, want first, lead and innocent once each", got)
		}
	})
}

func TestManyConcurrentRecordsAreAllStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		b := audit.NewBatch(db.Client)
		const workers, each = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					errs <- b.Record(f.viewerCx, batchEvent(f.org.ID, fmt.Sprintf("%d.%d", w, i)))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := storedTargets(t, db.Client, f.org.ID)
		if len(got) != workers*each {
			t.Fatalf("%d events stored, want %d", len(got), workers*each)
		}
		for target, n := range got {
			if n != 1 {
				t.Errorf("event %s stored %d times", target, n)
			}
		}
		if n := audit.Inserts(b); n > workers*each {
			t.Errorf("%d inserts for %d events", n, workers*each)
		}
		t.Logf("%d events in %d inserts", workers*each, audit.Inserts(b))
	})
}
