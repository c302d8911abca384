package invite_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// BenchmarkBulkInvite1000 invites 1,000 new addresses (a role opening the
// business unit's clients, the unit and its two clients, a subscription
// to charge) in one transaction on PostgreSQL (TEST_DATABASE_URL), as one
// bulkInviteUsers call does.
func BenchmarkBulkInvite1000(b *testing.B) {
	db := storetest.Open(b, "postgres")
	k := newClinic(b, db.Client)
	db.Client.Subscription.Create().SetOrganizationID(k.org.ID).SetTermStart(t0.AddDate(0, -6, 0)).
		SetTermEnd(t0.AddDate(0, 6, 0)).SetSeatPriceCents(36500).SetSeats(1_000_000).SaveX(allow())
	settings := invite.Settings{RoleIDs: []pulid.ID{k.buRole.ID}, BusinessUnitIDs: []pulid.ID{k.unit.ID}, RequireMFA: true}
	i := 0
	for b.Loop() {
		i++
		var sb strings.Builder
		for j := range 1000 {
			fmt.Fprintf(&sb, " Person.%d.%d@Example.test,\n", i, j)
		}
		ctx := k.as(b, k.manager, t0)
		start := time.Now()
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rs, _, err := invite.Bulk(ctx, tx.Client(), sb.String(), settings)
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		if len(rs) != 1000 || rs[999].Outcome != invite.OutcomeInvited {
			b.Fatalf("results %d", len(rs))
		}
		if d := time.Since(start); d > 2*time.Second {
			b.Errorf("1,000 addresses took %s, over 2 s", d)
		}
	}
}
