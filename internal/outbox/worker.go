package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Options tune a Worker; zero fields take the defaults.
type Options struct {
	// PollInterval is how often the worker looks for due messages when
	// nobody wakes it (default 5s).
	PollInterval time.Duration
	// BatchSize is how many messages one round delivers before the worker
	// looks at its context again (default 50).
	BatchSize int
	// MaxAttempts is how many failed deliveries make a message dead
	// (default 10).
	MaxAttempts int
	// BackoffBase is the wait after the first failure, doubled after each
	// further one, with jitter, up to BackoffCap (defaults 30s and 1h).
	BackoffBase, BackoffCap time.Duration
	// SendTimeout bounds rendering and sending one message (default 1m).
	SendTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 30 * time.Second
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = time.Hour
	}
	if o.BackoffCap < o.BackoffBase {
		o.BackoffCap = o.BackoffBase
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = time.Minute
	}
	return o
}

// Worker delivers the outbox: it claims each due message in a transaction
// of its own (on PostgreSQL with FOR UPDATE SKIP LOCKED, so that several
// replicas never take the same one; SQLite has a single writer), renders
// it as the server within the message's organization, sends it and marks
// it delivered in that transaction. A failed send rolls the renderer's
// writes back and schedules a retry with exponential backoff; a message
// that fails MaxAttempts times is dead.
type Worker struct {
	db        *ent.Client
	renderers map[string]Renderer
	sender    mail.Sender
	clock     clock.Clock
	log       *slog.Logger
	opts      Options
	wake      chan struct{}

	mu   sync.Mutex
	rand *rand.Rand
}

// NewWorker returns a worker over db (the root client, not a
// transaction's), rendering each kind with renderers and sending with
// sender.
func NewWorker(db *ent.Client, renderers map[string]Renderer, sender mail.Sender, clk clock.Clock, log *slog.Logger, opts Options) *Worker {
	if clk == nil {
		clk = clock.System()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rs := make(map[string]Renderer, len(renderers))
	for k, r := range renderers {
		rs[k] = r
	}
	return &Worker{
		db: db, renderers: rs, sender: sender, clock: clk, log: log.With(slog.String("component", "outbox")),
		opts: opts.withDefaults(), wake: make(chan struct{}, 1),
		rand: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
}

// Wake makes a running worker look for due messages now rather than at
// its next poll: call it after a transaction that enqueued one commits.
// It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then returns once the message in hand
// is finished (a delivery is never cut off half way by the stop).
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opts.PollInterval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := w.round(ctx, w.opts.BatchSize)
			if err != nil {
				w.log.Error("outbox: delivery round failed", slog.String("error", err.Error()))
				break
			}
			if n < w.opts.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce delivers every message due now, and returns how many it handled
// (delivered, dropped as obsolete, failed or dead), for tests and tools.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.round(ctx, w.opts.BatchSize)
		total += n
		if err != nil || n < w.opts.BatchSize {
			return total, err
		}
	}
}

// round handles up to max due messages, one transaction each.
func (w *Worker) round(ctx context.Context, max int) (int, error) {
	n := 0
	for n < max && ctx.Err() == nil {
		// A delivery in hand finishes even when ctx is cancelled meanwhile.
		ok, err := w.deliverNext(context.WithoutCancel(ctx))
		if err != nil {
			return n, err
		}
		if !ok {
			return n, nil
		}
		n++
	}
	return n, nil
}

// outcome of one attempt, recorded after the delivery transaction.
type outcome struct {
	m         *ent.OutboxMessage
	recipient string
	err       error // the render or send error: retry, or dead
	dead      string
}

// deliverNext claims one due message and handles it. It reports whether
// there was one.
func (w *Worker) deliverNext(ctx context.Context) (bool, error) {
	ctx = clock.NewContext(ctx, w.clock)
	now := w.clock.Now()
	tx, err := w.db.Tx(ctx)
	if err != nil {
		return false, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	// Take the write lock first (a no-op write; on PostgreSQL a table lock
	// that does not conflict with other workers'): on SQLite a read
	// transaction that writes later fails if another connection wrote
	// meanwhile — which would be after the mail left.
	if _, err := tx.ExecContext(ctx, "UPDATE "+outboxmessage.Table+" SET attempts = attempts WHERE 1 = 0"); err != nil {
		return false, fmt.Errorf("outbox: lock: %w", err)
	}
	// The claim spans organizations: the server reads the whole outbox.
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	m, err := tx.OutboxMessage.Query().
		Where(outboxmessage.DeliveredAtIsNil(), outboxmessage.DeadAtIsNil(), outboxmessage.AvailableAtLTE(now)).
		Order(ent.Asc(outboxmessage.FieldAvailableAt), ent.Asc(outboxmessage.FieldID)).
		Modify(skipLocked).
		First(allow)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("outbox: claim: %w", err)
	}

	o := w.attempt(ctx, tx, m)
	if o.err == nil && o.dead == "" {
		if err := tx.Commit(); err != nil {
			// Sent, but not recorded: it will be sent again (at least
			// once, never lost).
			w.log.Error("outbox: sent but not recorded; it will be sent again",
				slog.String("id", string(m.ID)), slog.String("kind", m.Kind), slog.String("error", err.Error()))
			return true, nil
		}
		return true, nil
	}
	// Nothing of the attempt stays: the renderer's writes go.
	if err := tx.Rollback(); err != nil {
		return true, fmt.Errorf("outbox: rollback: %w", err)
	}
	return true, w.fail(ctx, o)
}

// skipLocked makes PostgreSQL skip the rows another worker holds.
func skipLocked(s *entsql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
	}
}

// attempt renders and sends m in tx, as the server of m's organization,
// and marks it delivered there on success.
func (w *Worker) attempt(ctx context.Context, tx *ent.Tx, m *ent.OutboxMessage) outcome {
	sys := viewer.ForSystem(ctx, m.OrganizationID)
	r, ok := w.renderers[m.Kind]
	if !ok {
		return outcome{m: m, dead: fmt.Sprintf("no renderer for kind %q", m.Kind)}
	}
	ctx, cancel := context.WithTimeout(sys, w.opts.SendTimeout)
	defer cancel()
	msg, err := r.Render(ctx, tx.Client(), m)
	if errors.Is(err, ErrObsolete) {
		err = tx.OutboxMessage.UpdateOne(m).SetDeliveredAt(w.clock.Now()).
			SetLastError("obsolete: dropped without sending").Exec(sys)
		if err != nil {
			return outcome{m: m, err: fmt.Errorf("record obsolete: %w", err)}
		}
		w.log.Info("outbox: obsolete message dropped", slog.String("id", string(m.ID)), slog.String("kind", m.Kind))
		return outcome{m: m}
	}
	if err != nil {
		return outcome{m: m, err: fmt.Errorf("render: %w", err)}
	}
	if err := w.sender.Send(ctx, msg); err != nil {
		return outcome{m: m, recipient: msg.To, err: fmt.Errorf("send: %w", err)}
	}
	err = tx.OutboxMessage.UpdateOne(m).SetDeliveredAt(w.clock.Now()).
		SetRecipient(truncate(msg.To, 320)).ClearLastError().Exec(sys)
	if err != nil {
		return outcome{m: m, recipient: msg.To, err: fmt.Errorf("record delivery: %w", err)}
	}
	w.log.Info("outbox: delivered", slog.String("id", string(m.ID)), slog.String("kind", m.Kind),
		slog.Int("attempt", m.Attempts+1))
	return outcome{m: m}
}

// fail records a failed attempt in a transaction of its own: one more
// attempt, the error, and the next try pushed back; or the message dead.
func (w *Worker) fail(ctx context.Context, o outcome) error {
	m := o.m
	sys := viewer.ForSystem(ctx, m.OrganizationID)
	tx, err := w.db.Tx(sys)
	if err != nil {
		return fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	now := w.clock.Now()
	attempts := m.Attempts + 1
	u := tx.OutboxMessage.Update().
		// Only if nobody handled it meanwhile.
		Where(outboxmessage.ID(m.ID), outboxmessage.DeliveredAtIsNil(), outboxmessage.DeadAtIsNil(),
			outboxmessage.Attempts(m.Attempts)).
		SetAttempts(attempts)
	if o.recipient != "" {
		u.SetRecipient(truncate(o.recipient, 320))
	}
	attrs := []any{slog.String("id", string(m.ID)), slog.String("kind", m.Kind),
		slog.String("organization", string(m.OrganizationID)), slog.Int("attempts", attempts)}
	switch {
	case o.dead != "":
		u.SetDeadAt(now).SetLastError(truncate(o.dead, 1000))
		w.log.Error("outbox: message dead", append(attrs, slog.String("error", o.dead))...)
	case attempts >= w.opts.MaxAttempts:
		u.SetDeadAt(now).SetLastError(truncate(o.err.Error(), 1000))
		w.log.Error("outbox: message dead after its last attempt", append(attrs, slog.String("error", o.err.Error()))...)
	default:
		next := now.Add(w.backoff(attempts))
		u.SetAvailableAt(next).SetLastError(truncate(o.err.Error(), 1000))
		w.log.Warn("outbox: delivery failed; will retry", append(attrs,
			slog.String("error", o.err.Error()), slog.Time("next_attempt", next))...)
	}
	if err := u.Exec(sys); err != nil {
		return fmt.Errorf("outbox: record failure: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: record failure: %w", err)
	}
	return nil
}

// backoff is the wait after the attempts-th failure: BackoffBase doubled
// per earlier failure, capped, then drawn in [d/2, d] so that messages
// failing together do not retry together.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.opts.BackoffBase
	for i := 1; i < attempts && d < w.opts.BackoffCap; i++ {
		d *= 2
	}
	d = min(d, w.opts.BackoffCap)
	w.mu.Lock()
	j := time.Duration(w.rand.Int64N(int64(d/2) + 1))
	w.mu.Unlock()
	return d/2 + j
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// WakeHook is an ent hook on the outbox that calls wake (a Worker's Wake)
// once a message is enqueued for good: when the enqueuing transaction
// commits, or at once outside a transaction. Install it on the root client
// (c.OutboxMessage.Use) so that mail leaves without waiting for the poll.
func WakeHook(wake func()) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || !m.Op().Is(ent.OpCreate) {
				return v, err
			}
			om, ok := m.(*ent.OutboxMessageMutation)
			if !ok {
				return v, err
			}
			tx, txErr := om.Tx()
			if txErr != nil { // not in a transaction: committed already
				wake()
				return v, nil
			}
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					err := next.Commit(ctx, tx)
					if err == nil {
						wake()
					}
					return err
				})
			})
			return v, nil
		})
	}
}
