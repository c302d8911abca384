package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// The client_contacts migration moves each client's email into a contact
// of their own (relationship SELF), on both dialects.
func TestMigrationMovesClientEmailsIntoContacts(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			db, _, _ := openEmpty(t, d)
			files := migrationFiles(t, db.Dialect)
			last := files[len(files)-1]
			if !strings.HasSuffix(last.Name(), "_client_contacts.sql") {
				t.Skipf("a later migration exists (%s): this test seeds the database before client_contacts only", last.Name())
			}
			for _, f := range files[:len(files)-1] {
				stmts, err := f.Stmts()
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range stmts {
					if _, err := db.SQL.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %q: %v", f.Name(), q, err)
					}
				}
			}
			for _, q := range []string{
				`INSERT INTO organizations (id, created_at, updated_at, name, slug) VALUES ('org_old', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Old', 'old')`,
				`INSERT INTO patients (id, created_at, updated_at, given_name, family_name, preferred_name, status, restricted, email, phone, organization_id) VALUES ('cli_ADA', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Ada', 'Lovelace', '', 'ACTIVE', false, 'ada@x.test', '555', 'org_old')`,
				`INSERT INTO patients (id, created_at, updated_at, given_name, family_name, preferred_name, status, restricted, organization_id) VALUES ('cli_BEN', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Ben', 'B', '', 'ACTIVE', false, 'org_old')`,
			} {
				if _, err := db.SQL.ExecContext(ctx, q); err != nil {
					t.Fatalf("seed: %v", err)
				}
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			cts, err := db.ClientContact.Query().All(allow())
			if err != nil {
				t.Fatal(err)
			}
			if len(cts) != 1 {
				t.Fatalf("contacts = %+v, want Ada's only", cts)
			}
			c := cts[0]
			if c.ID != "cct_ADA" || c.ClientID != "cli_ADA" || c.Name != "Ada Lovelace" || c.Relationship != "Self" ||
				c.Email != "ada@x.test" || c.Phone != "555" || c.OrganizationID != "org_old" {
				t.Errorf("contact = %+v", c)
			}
			if n, err := db.ClientContact.Query().Where(clientcontact.ClientID("cli_BEN")).Count(allow()); err != nil || n != 0 {
				t.Errorf("a client without email got %d contacts (%v)", n, err)
			}
		})
	}
}
