package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// BenchmarkSealer measures what sealing costs per event: b.N unsealed
// read events of one organization (written as the GraphQL reads write
// them, in batches), then one Seal. go test -run '^$' -bench Sealer
// -benchtime 20000x ./internal/audit/
func BenchmarkSealer(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			allow := privacy.DecisionContext(context.Background(), privacy.Allow)
			org := db.Client.Organization.Create().SetName("bench").SetSlug("bench").SaveX(allow).ID
			sys := viewer.ForSystem(context.Background(), org)
			const batch = 50
			for i := 0; i < b.N; i += batch {
				events := make([]audit.Event, 0, batch)
				for j := i; j < min(b.N, i+batch); j++ {
					events = append(events, audit.Event{Action: audit.ClientRecordRead, TargetType: "client",
						TargetID: fmt.Sprintf("pat_%d", j), Details: map[string]any{"record": audit.RecordClientProfile}})
				}
				if err := audit.RecordBatch(sys, db.Client, events); err != nil {
					b.Fatal(err)
				}
			}
			c, err := audit.NewChain(db.SQL, db.Dialect)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			n, err := c.Seal(context.Background())
			b.StopTimer()
			if err != nil || n != b.N {
				b.Fatalf("sealed %d of %d: %v", n, b.N, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
