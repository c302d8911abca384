package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"

	"github.com/clinicgate/clinicgate/internal/clock"
)

// Row times come from the request's clock (internal/clock), not from the
// wall clock that ent's Default(time.Now) would read: a test or an
// acceptance harness that sets the clock sees created_at, granted_at,
// occurred_at… follow it, as sessions, windows and audit times do. The
// fields have no default; these hooks fill them when a row is created (and
// updated_at on every update), unless the caller set them.

// stamp fills the named time fields of a new row, and with onUpdate also
// of every change, from the clock in ctx.
func stamp(onCreate []string, onUpdate ...string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			fields := onUpdate
			if m.Op().Is(ent.OpCreate) {
				fields = onCreate
			} else if bookkeepingOnly(m) {
				// Moving the access epoch is not a change of the row.
				return next.Mutate(ctx, m)
			}
			now := clock.Now(ctx)
			for _, f := range fields {
				if _, set := m.Field(f); set {
					continue
				}
				if err := m.SetField(f, now); err != nil {
					return nil, fmt.Errorf("schema: stamp %s.%s: %w", m.Type(), f, err)
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

func (TimeMixin) Hooks() []ent.Hook {
	return []ent.Hook{stamp([]string{"created_at", "updated_at"}, "updated_at")}
}

func (ClientAccess) Hooks() []ent.Hook       { return []ent.Hook{stamp([]string{"granted_at"})} }
func (StaffProfileAccess) Hooks() []ent.Hook { return []ent.Hook{stamp([]string{"granted_at"})} }
func (EmergencyAccess) Hooks() []ent.Hook    { return []ent.Hook{stamp([]string{"started_at"})} }
func (PasswordCredential) Hooks() []ent.Hook { return []ent.Hook{stamp([]string{"changed_at"})} }
func (Session) Hooks() []ent.Hook            { return []ent.Hook{stamp([]string{"created_at", "last_seen_at"})} }
func (RecoveryCode) Hooks() []ent.Hook       { return []ent.Hook{stamp([]string{"created_at"})} }
func (SCIMToken) Hooks() []ent.Hook          { return []ent.Hook{stamp([]string{"created_at"})} }
func (OutboxMessage) Hooks() []ent.Hook {
	return []ent.Hook{stamp([]string{"created_at", "available_at"})}
}
func (SeatCharge) Hooks() []ent.Hook     { return []ent.Hook{stamp([]string{"charged_at"})} }
func (SurveyResponse) Hooks() []ent.Hook { return []ent.Hook{stamp([]string{"submitted_at"})} }

// bookkeepingOnly reports whether an update only moves counters the server
// keeps for itself (the access epoch).
func bookkeepingOnly(m ent.Mutation) bool {
	if len(m.Fields()) > 0 || len(m.ClearedFields()) > 0 || len(m.AddedEdges()) > 0 ||
		len(m.RemovedEdges()) > 0 || len(m.ClearedEdges()) > 0 {
		return false
	}
	added := m.AddedFields()
	return len(added) == 1 && added[0] == FieldAccessEpoch
}
