// Package loadgen drives a running clinicgate server with a mix of the
// requests a large organization sends — GraphQL client lists and records
// read by users of every role, administrative mutations, SCIM provisioning
// and group changes, password and password+TOTP sign-ins — for a bounded
// time, reports throughput and latency per operation, and afterwards checks
// in the database that every write the server acknowledged is there.
//
// Seed prepares the organization (cmd/loadgen seeds before it runs): the
// generator of internal/authz/authzbench, plus what the load needs on top
// (passwords, a pool of users who must pass MFA). Run drives the server
// over HTTP only, as any client would; it reads the database only to pick
// its users and clients and to verify.
package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/oklog/ulid/v2"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz/authzbench"
	"github.com/clinicgate/clinicgate/internal/store"
)

// DefaultPassword is the password of every seeded user. The load database
// is a throwaway fixture, so the password is public; Seed hashes it once
// (argon2id at the server's parameters) and stores that one hash for every
// user, which is why seeding 5,000 users takes no minutes of hashing. Each
// sign-in still verifies it at full cost.
const DefaultPassword = "load-generator-password-1"

// mfaPoolSize is how many seeded clinicians must pass MFA. Run resets and
// enrols them afresh each time (their TOTP secrets exist only in the run
// that enrolled them).
const mfaPoolSize = 8

// ScaleFor is the generated organization for clients and users: business
// units and explicit links in the proportions of the issue (50 units and
// 300,000 links at 100,000 clients; at least 5 units).
func ScaleFor(clients, users int) authzbench.Scale {
	return authzbench.Scale{
		Clients:       clients,
		Users:         users,
		BusinessUnits: max(5, min(50, clients/2000)),
		Links:         3 * clients,
	}
}

// Seeded is what Seed found or made.
type Seeded struct {
	OrgID   pulid.ID
	OrgSlug string
	// Generated is false when the organization already existed and was
	// reused as it is.
	Generated bool
	Took      time.Duration
}

// Seed makes sure the PostgreSQL database dsn exists, is migrated and holds
// the load organization: generated at scale s when missing, reused as it is
// (whatever its size) when present, so that seeding is run once per
// database. The passwords and the MFA pool are set on every call; both are
// no-ops the second time.
func Seed(ctx context.Context, dsn string, s authzbench.Scale, log *slog.Logger) (*Seeded, error) {
	start := time.Now()
	if err := createDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, "pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	out := &Seeded{OrgSlug: authzbench.OrgSlug()}
	err = db.SQL.QueryRowContext(ctx, `SELECT id FROM organizations WHERE slug = $1`, out.OrgSlug).Scan(&out.OrgID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		log.Info("generating the load organization", slog.Int("clients", s.Clients), slog.Int("users", s.Users),
			slog.Int("business_units", s.BusinessUnits), slog.Int("links", s.Links))
		d, err := authzbench.Generate(ctx, db, s)
		if err != nil {
			return nil, err
		}
		out.OrgID, out.Generated = d.OrgID, true
	case err != nil:
		return nil, err
	default:
		log.Info("reusing the load organization", slog.String("org", out.OrgSlug))
	}
	if err := seedPasswords(ctx, db, out.OrgID); err != nil {
		return nil, err
	}
	if _, err := db.SQL.ExecContext(ctx, `UPDATE users SET require_mfa = true WHERE id IN (
		SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
		WHERE u.organization_id = $1 AND r.builtin = 'CLINICIAN' AND u.email LIKE 'user%@bench.test'
		ORDER BY u.email DESC LIMIT $2)`, out.OrgID, mfaPoolSize); err != nil {
		return nil, fmt.Errorf("loadgen: MFA pool: %w", err)
	}
	out.Took = time.Since(start)
	return out, nil
}

// seedPasswords gives every staff user of org without a password the
// DefaultPassword, by one hash shared by all (see DefaultPassword), copied
// in with COPY.
func seedPasswords(ctx context.Context, db *store.DB, org pulid.ID) error {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id FROM users WHERE organization_id = $1 AND kind = 'STAFF'
		AND NOT EXISTS (SELECT 1 FROM password_credentials p WHERE p.user_id = users.id)`, org)
	if err != nil {
		return err
	}
	var users []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(users) == 0 {
		return err
	}
	hash, err := password.Hash(DefaultPassword)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	copyRows := make([][]any, len(users))
	for i, u := range users {
		id := "pwd_" + ulid.Make().String()
		copyRows[i] = []any{id, now, now, hash, false, now, 0, org, u}
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		_, err := pc.CopyFrom(ctx, pgx.Identifier{"password_credentials"},
			[]string{"id", "created_at", "updated_at", "hash", "must_change", "changed_at", "failed_attempts", "organization_id", "user_id"},
			pgx.CopyFromRows(copyRows))
		if err != nil {
			return fmt.Errorf("loadgen: passwords: %w", err)
		}
		return nil
	})
}

// createDatabase creates the database dsn names when it does not exist,
// connecting to the server's postgres database to do it.
func createDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || !(u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return errors.New("loadgen: the database must be a postgres:// URL")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("loadgen: the database URL names no database")
	}
	admin, err := authzbench.WithDatabase(dsn, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("loadgen: connect to the database server: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'")
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) && pgErr.SQLState() == "42P04" { // created meanwhile
		return nil
	}
	return err
}
