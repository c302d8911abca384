package audit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clinicgate/clinicgate/ent"
)

// Batch writes the events of concurrent requests together: group commit.
// A request's Record returns once its events are committed, as a lone
// insert would, so nothing acknowledged can be lost in a crash; what
// changes is that requests arriving while an insert is running wait for
// the next one and share it. Under load every request's read event used
// to cost a statement and a commit (a WAL flush) of its own, about a
// tenth of a list request's database time; now a busy server commits
// them a handful at a time, and an idle one exactly as before, with no
// timer to wait for.
//
// There is no goroutine to start or stop: the first request to find no
// insert running leads, writes what is queued, and hands the lead to the
// first of those that queued meanwhile.
type Batch struct {
	c *ent.Client

	mu      sync.Mutex
	queue   []*queued
	leading bool // an insert is running or about to; newcomers queue
	inserts int  // statements sent, for tests (export_test.go)
}

// NewBatch returns a Batch writing through c, which should not be a
// transaction: reads are audited whatever became of a request's writes.
func NewBatch(c *ent.Client) *Batch { return &Batch{c: c} }

// Client is the client b writes through.
func (b *Batch) Client() *ent.Client { return b.c }

// queued is one Record call's rows, waiting.
type queued struct {
	rows []row
	// done receives errLead when the caller is to lead the next insert,
	// then the outcome of its rows: one value each, so a buffer of one.
	done chan error
}

// errLead tells a queued caller to lead the next insert; Record never
// returns it.
var errLead = errors.New("audit: lead the next insert")

// insertTimeout bounds one shared insert: every request in it waits for it.
const insertTimeout = 10 * time.Second

// Record writes events, completed from ctx as RecordBatch does, and
// returns when they are committed, or why they were not.
func (b *Batch) Record(ctx context.Context, events ...Event) error {
	return writeRows(ctx, events, func(rows []row) error { return b.record(ctx, rows) })
}

func (b *Batch) record(ctx context.Context, rows []row) error {
	q := &queued{rows: rows, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, q)
	if b.leading {
		b.mu.Unlock()
		if err := <-q.done; err != errLead {
			return err // written, or not, by another caller's insert
		}
		b.mu.Lock()
	}
	b.leading = true
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()
	b.lead(ctx, batch)
	return <-q.done
}

// lead writes batch, tells each of its callers the outcome, and passes
// the lead on (or gives it up when nobody queued). It runs without the
// leader's cancellation: the others' events are in the statement too.
func (b *Batch) lead(ctx context.Context, batch []*queued) {
	delivered := false
	defer func() {
		if !delivered { // a panic below: nobody may wait forever
			for _, q := range batch {
				select { // those told already keep their outcome
				case q.done <- errors.New("audit: the shared insert failed"):
				default:
				}
			}
		}
		b.mu.Lock()
		if len(b.queue) > 0 {
			b.queue[0].done <- errLead
		} else {
			b.leading = false
		}
		b.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), insertTimeout)
	defer cancel()
	var rows []row
	if len(batch) == 1 {
		rows = batch[0].rows
	} else {
		for _, q := range batch {
			rows = append(rows, q.rows...)
		}
	}
	err := b.insert(ctx, rows)
	if err == nil || len(batch) == 1 {
		for _, q := range batch {
			q.done <- err
		}
		delivered = true
		return
	}
	// One caller's rows may be what failed (a duplicate id): each tries
	// again alone, so the others are not refused for it.
	for _, q := range batch {
		q.done <- b.insert(ctx, q.rows)
	}
	delivered = true
}

func (b *Batch) insert(ctx context.Context, rows []row) error {
	b.mu.Lock()
	b.inserts++
	b.mu.Unlock()
	return insertRows(ctx, b.c, rows)
}
