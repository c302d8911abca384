package audit

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// Kinds of chain problems.
const (
	// ProblemChanged: the event's content (or its hash) is not what was
	// sealed.
	ProblemChanged = "changed"
	// ProblemRemoved: events are missing from the chain (a gap in
	// chain_seq).
	ProblemRemoved = "removed"
	// ProblemInserted: an event that does not belong to the chain sits in
	// it (the events around it link to each other, not to it), or takes
	// a place another event holds.
	ProblemInserted = "inserted"
	// ProblemBroken: the copy's own links disagree (an export whose
	// prev_hash is not the line before's hash).
	ProblemBroken = "broken"
)

// Problem is the first event of a chain that does not verify.
type Problem struct {
	Seq    int64  // its place in the chain (for a removal: the first missing place)
	ID     string // the event's id; for a removal, the next event present
	Kind   string // ProblemChanged, ProblemRemoved, ProblemInserted or ProblemBroken
	Detail string
}

func (p *Problem) Error() string {
	if p.Kind == ProblemRemoved {
		return fmt.Sprintf("seq %d: %s: %s", p.Seq, p.Kind, p.Detail)
	}
	return fmt.Sprintf("seq %d, event %s: %s: %s", p.Seq, p.ID, p.Kind, p.Detail)
}

// Report is the outcome of a verification.
type Report struct {
	Events   int64     // events walked, the bad one included
	FirstSeq int64     // the first place walked (1 for a whole chain)
	LastSeq  int64     // the last place walked
	Head     string    // the hash of the last event walked
	Pending  int64     // events not sealed yet (written while verifying)
	Last     time.Time // occurred_at of the last event walked
	Problem  *Problem  // nil when the chain verifies
}

// walk verifies events in chain order, starting after prev at place
// first. Events must come in ascending seq. It stops at the first
// problem, which it classifies with the event after the bad one: if the
// next event links to the bad one's stored hash, the bad one was changed
// after sealing; if it links to the hash before the bad one, the bad one
// was slipped in.
func walk(first int64, prev string, events iter.Seq2[*ChainEvent, error]) (Report, error) {
	r := Report{FirstSeq: first, Head: prev}
	expect := first
	var bad *ChainEvent // an event that did not link, waiting for the next to classify it
	var badPrev string
	for e, err := range events {
		if err != nil {
			return r, err
		}
		if bad != nil {
			r.Problem = classify(badPrev, bad, e)
			return r, nil
		}
		r.Events++
		r.LastSeq, r.Last = e.Seq, e.OccurredAt
		switch {
		case e.Seq < expect:
			r.Problem = &Problem{Seq: e.Seq, ID: e.ID, Kind: ProblemInserted,
				Detail: fmt.Sprintf("its place is taken by an earlier event (expected seq %d)", expect)}
			return r, nil
		case e.Seq > expect:
			detail := fmt.Sprintf("event at seq %d is missing", expect)
			if e.Seq > expect+1 {
				detail = fmt.Sprintf("events at seq %d to %d are missing", expect, e.Seq-1)
			}
			r.Problem = &Problem{Seq: expect, ID: e.ID, Kind: ProblemRemoved,
				Detail: fmt.Sprintf("%s; the next event present is %s at seq %d", detail, e.ID, e.Seq)}
			return r, nil
		}
		if e.PrevHash != "" && e.PrevHash != prev {
			r.Problem = &Problem{Seq: e.Seq, ID: e.ID, Kind: ProblemBroken,
				Detail: fmt.Sprintf("its prev_hash %s is not the hash of the event before it, %s", e.PrevHash, prev)}
			return r, nil
		}
		h, err := link(prev, e)
		if err != nil {
			return r, err
		}
		if h != e.Hash {
			bad, badPrev = e, prev
			continue
		}
		prev, r.Head = e.Hash, e.Hash
		expect++
	}
	if bad != nil {
		r.Problem = classify(badPrev, bad, nil)
	}
	return r, nil
}

// classify names what happened to bad, an event whose hash does not
// follow from prev and its content, with the event after it (nil if bad
// is the last).
func classify(prev string, bad, next *ChainEvent) *Problem {
	p := &Problem{Seq: bad.Seq, ID: bad.ID, Kind: ProblemChanged}
	if next == nil {
		p.Detail = "its content does not match its hash (the last event: changed after sealing, or added outside the chain)"
		return p
	}
	if h, err := link(prev, next); err == nil && h == next.Hash {
		p.Kind = ProblemInserted
		p.Detail = fmt.Sprintf("the chain runs from the event before it straight to %s at seq %d: it was slipped in", next.ID, next.Seq)
		return p
	}
	if h, err := link(bad.Hash, next); err == nil && h == next.Hash {
		p.Detail = "its content does not match the hash it was sealed with (the next event still links to that hash)"
		return p
	}
	p.Detail = "its content does not match its hash, and the next event does not link to it either"
	return p
}

// Verify seals org's pending events, then walks its whole chain in seq
// order recomputing every hash. The error is for a verification that could
// not run; a chain that does not verify is Report.Problem.
func (c *Chain) Verify(ctx context.Context, org string) (Report, error) {
	if _, err := c.SealOrg(ctx, org); err != nil {
		return Report{}, err
	}
	r, err := walk(1, zeroHash, c.events(ctx, org, 0))
	if err != nil {
		return r, fmt.Errorf("audit: verify %s: %w", org, err)
	}
	if err := c.db.QueryRowContext(ctx, c.q("SELECT count(*) FROM audit_events WHERE organization_id = ? AND chain_seq IS NULL"), org).Scan(&r.Pending); err != nil {
		return r, fmt.Errorf("audit: verify %s: %w", org, err)
	}
	return r, nil
}

// verifyPage bounds the events read per query while walking a chain.
const verifyPage = 1000

// events yields org's sealed events with seq > after in seq order, a page
// at a time (sealed events never change, so pages need no snapshot).
func (c *Chain) events(ctx context.Context, org string, after int64) iter.Seq2[*ChainEvent, error] {
	return func(yield func(*ChainEvent, error) bool) {
		for {
			rows, err := c.db.QueryContext(ctx, c.q("SELECT "+eventColumns+" FROM audit_events WHERE organization_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?"), org, after, verifyPage)
			if err != nil {
				yield(nil, err)
				return
			}
			var page []*ChainEvent
			for rows.Next() {
				e, err := scanEvent(rows)
				if err != nil {
					rows.Close()
					yield(nil, err)
					return
				}
				page = append(page, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				yield(nil, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < verifyPage {
				return
			}
			after = page[len(page)-1].Seq
		}
	}
}

// Export seals org's pending events and writes its chain as JSON lines,
// one ChainEvent per line in seq order with its prev_hash, so that the
// copy can be verified on its own (VerifyExport). With a non-zero since
// it starts at the first event that occurred at or after since and writes
// every later one: a contiguous piece of the chain. It returns the number
// of events written.
func (c *Chain) Export(ctx context.Context, org string, since time.Time, w io.Writer) (int64, error) {
	if _, err := c.SealOrg(ctx, org); err != nil {
		return 0, err
	}
	after, prev := int64(0), zeroHash
	if !since.IsZero() {
		var first sql.NullInt64
		if err := c.db.QueryRowContext(ctx, c.q("SELECT min(chain_seq) FROM audit_events WHERE organization_id = ? AND chain_seq IS NOT NULL AND occurred_at >= ?"), org, since.UTC()).Scan(&first); err != nil {
			return 0, fmt.Errorf("audit: export %s: %w", org, err)
		}
		if !first.Valid {
			return 0, nil
		}
		after = first.Int64 - 1
		if after > 0 {
			if err := c.db.QueryRowContext(ctx, c.q("SELECT chain_hash FROM audit_events WHERE organization_id = ? AND chain_seq = ?"), org, after).Scan(&prev); err != nil {
				return 0, fmt.Errorf("audit: export %s: the event before seq %d: %w", org, first.Int64, err)
			}
		}
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var n int64
	for e, err := range c.events(ctx, org, after) {
		if err != nil {
			return n, fmt.Errorf("audit: export %s: %w", org, err)
		}
		e.PrevHash = prev
		prev = e.Hash
		if e.Details, err = canonicalJSON(e.Details); err != nil {
			return n, fmt.Errorf("audit: export %s: event %s: %w", org, e.ID, err)
		}
		e.OccurredAt = e.OccurredAt.UTC()
		if err := enc.Encode(e); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}

// VerifyExport verifies a copy written by Export, on its own: every line's
// hash must follow from its prev_hash and content, every prev_hash be the
// hash of the line before, and the places run on without a gap. The first
// line's prev_hash is taken on trust (a whole chain starts from zeros);
// compare Report.Head with a later export or the live chain to tie the
// copy to them.
func VerifyExport(r io.Reader) (Report, error) {
	d := json.NewDecoder(bufio.NewReader(r))
	var first *ChainEvent
	if err := d.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return Report{}, errors.New("audit: the export has no events")
		}
		return Report{}, fmt.Errorf("audit: line 1 of the export: %w", err)
	}
	events := func(yield func(*ChainEvent, error) bool) {
		if !yield(first, nil) {
			return
		}
		for line := 2; ; line++ {
			var e ChainEvent
			err := d.Decode(&e)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("audit: line %d of the export: %w", line, err))
				return
			}
			if !yield(&e, nil) {
				return
			}
		}
	}
	return walk(first.Seq, first.PrevHash, events)
}

// ProblemDiffers: the live chain and a kept copy disagree at this place
// (the chain was rewritten since the copy was taken, hashes included).
const ProblemDiffers = "differs from the copy"

// CompareExport checks that a copy written by Export is still what org's
// live chain holds: each line's event sits at the same seq, with the same
// id and hash. Since every hash covers the one before, this is what ties
// the live chain to a copy kept outside the database, against someone who
// rewrote the chain and recomputed its hashes. It reports the first place
// where they differ, or where the live chain lacks an event of the copy.
// Report.Events counts the events compared.
func (c *Chain) CompareExport(ctx context.Context, org string, r io.Reader) (Report, error) {
	d := json.NewDecoder(bufio.NewReader(r))
	var rep Report
	var next func() (*ChainEvent, error, bool)
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	for line := 1; ; line++ {
		var e ChainEvent
		err := d.Decode(&e)
		if errors.Is(err, io.EOF) {
			if line == 1 {
				return rep, errors.New("audit: the copy has no events")
			}
			return rep, nil
		}
		if err != nil {
			return rep, fmt.Errorf("audit: line %d of the copy: %w", line, err)
		}
		if e.OrganizationID != org {
			return rep, fmt.Errorf("audit: line %d of the copy is an event of organization %s, not %s", line, e.OrganizationID, org)
		}
		if next == nil {
			rep.FirstSeq = e.Seq
			next, stop = iter.Pull2(c.events(ctx, org, e.Seq-1))
		}
		live, err, ok := next()
		if err != nil {
			return rep, fmt.Errorf("audit: compare with the copy: %w", err)
		}
		rep.Events++
		rep.LastSeq, rep.Head, rep.Last = e.Seq, e.Hash, e.OccurredAt
		switch {
		case !ok:
			rep.Problem = &Problem{Seq: e.Seq, ID: e.ID, Kind: ProblemDiffers,
				Detail: "the copy has this event, the live chain ends before it (events were removed from its end)"}
			return rep, nil
		case live.Seq != e.Seq || live.ID != e.ID || live.Hash != e.Hash:
			rep.Problem = &Problem{Seq: e.Seq, ID: e.ID, Kind: ProblemDiffers,
				Detail: fmt.Sprintf("the copy has event %s with hash %s here, the live chain event %s at seq %d with hash %s", e.ID, e.Hash, live.ID, live.Seq, live.Hash)}
			return rep, nil
		}
	}
}
