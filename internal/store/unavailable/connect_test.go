package unavailable_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/internal/store/unavailable"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// A database that does not accept connections (ALLOW_CONNECTIONS false,
// as during maintenance or a failover) refuses with SQLSTATE 55000 inside
// the connect error; that is unavailability, not a statement's fault.
func TestADatabaseRefusingConnectionsIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.PostgresDSN(t)
	u, _ := url.Parse(dsn)
	name := u.Path[1:]
	u.Path = "/postgres"
	admin, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	_, err = pgx.Connect(ctx, dsn)
	if err == nil || !unavailable.Is(err) {
		t.Fatalf("connecting to a database refusing connections: %v; unavailable.Is = false", err)
	}
}
