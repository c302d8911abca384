package session_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// BenchmarkAuthenticate resolves one bearer token into its viewer on
// PostgreSQL: "kept" with the user's viewer kept from an earlier request
// at the current access epoch (one statement: the session joined to the
// epoch), "loaded" with no viewer kept (the session statement, then the
// user with their units and organization, and their roles).
func BenchmarkAuthenticate(b *testing.B) {
	db := storetest.Open(b, "postgres")
	org, err := db.Organization.Create().SetName("Bench").SetSlug("bench").Save(allow())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		size int
	}{{"kept", 0}, {"loaded", -1}} {
		b.Run(c.name, func(b *testing.B) {
			m := session.New(db.Client, session.Config{ViewerCacheSize: c.size})
			u, err := db.User.Create().SetOrganizationID(org.ID).SetEmail(c.name + "@bench.example").
				SetKind(user.KindStaff).SetStatus(user.StatusActive).Save(allow())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Role.Create().SetOrganizationID(org.ID).SetName("Role " + c.name).
				SetPrivileges([]string{string(authz.ClientsAccessAll)}).AddUsers(u).Save(allow()); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			sys := viewer.ForSystem(ctx, org.ID)
			tx, err := db.Tx(sys)
			if err != nil {
				b.Fatal(err)
			}
			tok, _, err := m.Create(sys, tx.Client(), u, session.MethodPassword, session.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			if _, _, err := m.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Authenticate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
