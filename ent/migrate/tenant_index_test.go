package migrate_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent/migrate"
)

// Every tenant table can be read by organization through an index that
// starts with organization_id. TenantMixin adds one on that column alone,
// except to record types (audit events), which rely on their own indexes
// starting with it: a record type added without one fails here.
func TestEveryTenantTableHasAnIndexLedByItsOrganization(t *testing.T) {
	tenant := 0
	for _, table := range migrate.Tables {
		if _, ok := table.Column("organization_id"); !ok {
			continue
		}
		tenant++
		led := false
		for _, idx := range table.Indexes {
			if len(idx.Columns) > 0 && idx.Columns[0].Name == "organization_id" {
				led = true
				break
			}
		}
		if !led {
			t.Errorf("table %s has organization_id but no index that starts with it", table.Name)
		}
	}
	if tenant == 0 {
		t.Fatal("no table has an organization_id column: the check read nothing")
	}
}
