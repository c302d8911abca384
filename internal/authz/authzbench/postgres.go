package authzbench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/internal/store"
)

// DefaultAdminURL is the PostgreSQL server used when neither
// BENCH_DATABASE_URL nor TEST_DATABASE_URL is set.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the server the benchmark databases live on:
// BENCH_DATABASE_URL, else TEST_DATABASE_URL, else DefaultAdminURL. Its
// user needs CREATEDB.
func AdminURL() string {
	for _, k := range []string{"BENCH_DATABASE_URL", "TEST_DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return DefaultAdminURL
}

// Reachable reports whether a PostgreSQL server answers at admin within a
// couple of seconds.
func Reachable(ctx context.Context, admin string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// DatabaseName is the database OpenScale keeps the organization of scale s in.
func DatabaseName(s Scale) string { return fmt.Sprintf("clinicgate_bench_%d", s.Clients) }

// lockKey serializes OpenScale across processes ("cgbench" in ASCII).
const lockKey int64 = 0x6367626e6368

// Opened is a benchmark database opened by OpenScale.
type Opened struct {
	DB      *store.DB
	Dataset *Dataset
	DSN     string
	// Generated is how long creating, migrating and generating the
	// database took; zero when an existing one was reused.
	Generated time.Duration
}

// OpenScale opens the benchmark database of scale s on the PostgreSQL
// server admin, creating, migrating and generating it when it does not
// exist or does not hold an organization of scale s and of this Version.
// An existing database is migrated (so indexes added to the ent schema
// since it was generated appear) and reused.
func OpenScale(ctx context.Context, admin string, s Scale) (*Opened, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	name := DatabaseName(s)
	dsn, err := WithDatabase(admin, name)
	if err != nil {
		return nil, err
	}
	ac, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("authzbench: connect to %s: %w", redact(admin), err)
	}
	defer ac.Close(context.Background())
	if _, err := ac.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return nil, err
	}
	defer ac.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck // closing the connection releases it too

	var exists bool
	if err := ac.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, err
	}
	if exists {
		db, err := store.Open(ctx, "pgx", dsn)
		if err != nil {
			return nil, err
		}
		d, err := reuse(ctx, db, s)
		if err == nil {
			return &Opened{DB: db, Dataset: d, DSN: dsn}, nil
		}
		db.Close()
		if !errors.Is(err, ErrNotGenerated) {
			return nil, err
		}
		if _, err := ac.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return nil, fmt.Errorf("authzbench: drop stale %s: %w", name, err)
		}
	}

	start := time.Now()
	if _, err := ac.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return nil, fmt.Errorf("authzbench: create %s: %w", name, err)
	}
	db, err := store.Open(ctx, "pgx", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	d, err := Generate(ctx, db, s)
	if err != nil {
		db.Close()
		// Leave no half-generated database behind.
		_, _ = ac.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return nil, err
	}
	return &Opened{DB: db, Dataset: d, DSN: dsn, Generated: time.Since(start)}, nil
}

func reuse(ctx context.Context, db *store.DB, s Scale) (*Dataset, error) {
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return Load(ctx, db, s)
}

// WithDatabase returns the URL or keyword/value DSN dsn naming database name.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("authzbench: parsing %s: %w", redact(dsn), err)
		}
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}

// redact drops the password from a URL for messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return "the database server"
}
