package audit

import (
	"context"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// SealUpdatePostgres is the sealer's batch statement, for the plan test.
const SealUpdatePostgres = sealUpdatePostgres

// Queued is how many Record calls wait for b's next insert.
func Queued(b *Batch) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// Inserts is how many statements b has sent.
func Inserts(b *Batch) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inserts
}

// RecordWithID records e through b under the id given, which a test can
// make collide with an event's already stored.
func RecordWithID(ctx context.Context, b *Batch, e Event, id pulid.ID) error {
	r, err := toRow(ctx, e)
	if err != nil {
		return err
	}
	r.id = id
	return b.record(ctx, []row{r})
}
