package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// The sealer's statement must find a batch's events by primary key however
// many events wait to be sealed: read through the unsealed index, every
// batch cost the whole backlog, and a sealer that fell behind fell further
// behind. Whatever the statistics say of the backlog, the plan must probe
// the primary key and never scan the unsealed index.
func TestTheSealerFindsABatchByPrimaryKey(t *testing.T) {
	db := storetest.Open(t, "postgres")
	ctx := context.Background()
	org := chainOrg(t, db, "seal-plan", 1)
	backlog := func(from int) {
		t.Helper()
		if _, err := db.SQL.ExecContext(ctx, `INSERT INTO audit_events
			(id, occurred_at, organization_id, action, actor_kind, target_type, target_id, ip, user_agent, request_id)
			SELECT 'evt_backlog_' || g, now() + g * interval '1 millisecond', $1, 'client.record_read', 'user',
				'client', 'cli_' || g, '', '', ''
			FROM generate_series($2::int, $2::int + 19999) AS g`, string(org.ID), from); err != nil {
			t.Fatal(err)
		}
	}
	// Statistics taken when every event was sealed, as after a quiet
	// night (or the load generator's vacuum): the planner believes the
	// unsealed index holds a row or two.
	backlog(1)
	if _, err := newChain(t, db).SealOrg(ctx, string(org.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, "ANALYZE audit_events"); err != nil {
		t.Fatal(err)
	}
	// Then a backlog of 20,000, as a busy minute leaves.
	backlog(20001)
	ids := []string{"evt_backlog_20007", "evt_backlog_20070", "evt_backlog_20700", "evt_backlog_27000"}
	rows, err := db.SQL.QueryContext(ctx, "EXPLAIN "+audit.SealUpdatePostgres,
		ids, []int64{2, 3, 4, 5}, []string{"h", "h", "h", "h"})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	p := strings.Join(plan, "\n")
	if !strings.Contains(p, "audit_events_pkey") || strings.Contains(p, "auditevent_unsealed") || strings.Contains(p, "Seq Scan on audit_events") {
		t.Fatalf("the sealer's statement does not probe the primary key for its batch:\n%s", p)
	}
}
